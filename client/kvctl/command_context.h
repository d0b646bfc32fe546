// What every kvctl command works with: the global flags, the client built from them, and the
// exit codes (documented in `kvctl --help` and the README, the same numbers as etcdctl's).
#pragma once

#include <raftkv/client.h>

#include <memory>
#include <string>
#include <vector>

#include "client/kvctl/printer.h"

namespace raftkv::kvctl {

// Exit codes.
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitError = 1;          // the cluster refused or failed the request
inline constexpr int kExitBadConnection = 2;  // no endpoint reachable, or the command timed out
inline constexpr int kExitInvalidInput = 3;   // a malformed txn
inline constexpr int kExitBadArgs = 128;      // bad flags or arguments

// The flags every command takes, before or after the command's name.
struct GlobalFlags {
  std::string endpoints;  // comma-separated; default from KVCTL_ENDPOINTS, else 127.0.0.1:2379
  std::string command_timeout = "5s";
  std::string dial_timeout = "2s";
  std::string write_out = "simple";
  bool hex = false;
};

// Built once the command line is parsed; owns the client.
class CommandContext {
 public:
  // Validates the global flags (bad ones: an error message for exit code kExitBadArgs).
  static client::Result<std::unique_ptr<CommandContext>> Create(const GlobalFlags& flags);

  client::Client& client() { return *client_; }
  const std::vector<std::string>& endpoints() const { return client_->endpoints(); }
  const PrintOptions& print() const { return print_; }
  PrintOptions& print() { return print_; }
  // The deadline of each request the command makes.
  const client::CallOptions& call() const { return call_; }

 private:
  std::unique_ptr<client::Client> client_;
  PrintOptions print_;
  client::CallOptions call_;
};

// Prints "Error: <message>" on stderr and returns the exit code that fits `status`.
int ReportError(const client::Status& status);
// Prints "Error: <message>" on stderr and returns kExitBadArgs.
int ReportBadArgs(const std::string& message);

}  // namespace raftkv::kvctl
