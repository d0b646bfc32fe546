// Command-line flags of kvd: etcd's names and defaults, so a script that starts an etcd member
// starts a kvd member by changing the binary's name. Parsed with CLI11 into a ServerConfig.
#pragma once

#include <string>
#include <vector>

#include "server/config.h"

namespace raftkv::server {

// What the command line asks for: run a member with `config`, or print `output` and exit with
// `exit_code` (--help, --version, or a flag error, whose message names the flag).
struct FlagsOutcome {
  bool run = false;
  ServerConfig config;
  int exit_code = 0;
  std::string output;
};

// Parses args (args[0] is the program name). Accepts "--flag value" and "--flag=value".
FlagsOutcome ParseKvdFlags(const std::vector<std::string>& args);

}  // namespace raftkv::server
