// The flags of kvctl's get, put and del, shared by the commands and by the operations of a txn
// (whose lines take the same flags, as in etcdctl). Each turns its flags and positional
// arguments into the client library's options, refusing bad combinations with etcdctl's words.
#pragma once

#include <raftkv/client.h>
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace raftkv::kvctl {

// get <key> [range_end]
struct GetFlags {
  std::string key;
  std::optional<std::string> range_end;
  std::string consistency = "l";
  std::string order;
  std::string sort_by;
  bool prefix = false;
  bool from_key = false;
  bool keys_only = false;
  bool count_only = false;
  bool print_value_only = false;
  int64_t limit = 0;
  int64_t rev = 0;
  int64_t min_mod_rev = 0;
  int64_t max_mod_rev = 0;
  int64_t min_create_rev = 0;
  int64_t max_create_rev = 0;

  void Register(CLI::App* app);
  // InvalidArgument with etcdctl's message when the flags contradict each other.
  client::Result<client::GetOptions> ToOptions() const;
};

// put <key> [value]; the value may come from stdin instead (see the command).
struct PutFlags {
  std::string key;
  std::optional<std::string> value;
  std::string lease;  // hexadecimal, as etcdctl takes it
  bool prev_kv = false;
  bool ignore_value = false;
  bool ignore_lease = false;

  void Register(CLI::App* app);
  client::Result<client::PutOptions> ToOptions() const;
};

// del <key> [range_end]
struct DeleteFlags {
  std::string key;
  std::optional<std::string> range_end;
  bool prefix = false;
  bool from_key = false;
  bool prev_kv = false;

  void Register(CLI::App* app);
  client::Result<client::DeleteOptions> ToOptions() const;
};

// An InvalidArgument status with `message`.
client::Status BadArgument(std::string message);

}  // namespace raftkv::kvctl
