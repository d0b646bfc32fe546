// The replicated application of the simulator: a tiny key-value map driven by "put" commands.
//
// A command is the text "put <key> <value> <id>", where <id> is unique per client request (so
// the checker can tell when the request that a client made is applied, and by whom). Keys and
// values never contain spaces or newlines. The leader's no-op (empty data) and membership changes
// advance the applied index without changing the map.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace raftkv::sim {

// One client write.
struct Command {
  std::string key;
  std::string value;
  std::string id;  // Unique per request.
};

std::string EncodeCommand(const Command& cmd);
// nullopt when `data` is not a well-formed command.
std::optional<Command> ParseCommand(std::string_view data);

// The in-memory state machine of one node. Lost on a crash; rebuilt from the latest snapshot.
// Invariant: hash_ is the XOR of EntryHash(k, v) over kv_, so equal maps have equal hashes.
class KvStateMachine {
 public:
  // An empty map at `applied` (a founding member starts after its bootstrap entries).
  explicit KvStateMachine(uint64_t applied = 0) : applied_(applied) {}

  uint64_t applied() const { return applied_; }
  // Applies the entry at `index` (cmd == nullptr for a no-op or membership change).
  // Precondition: index == applied() + 1 (the caller checks and reports violations).
  void Apply(uint64_t index, const Command* cmd);
  // The value of `key`, "" when absent.
  std::string Get(const std::string& key) const;
  // A digest of the map's contents (not of the applied index).
  uint64_t Hash() const { return hash_; }

  // Snapshot data: the applied index and the map.
  std::string Serialize() const;
  // Rebuilds from Serialize() output; nullopt when malformed.
  static std::optional<KvStateMachine> Parse(std::string_view data);

 private:
  static uint64_t EntryHash(const std::string& key, const std::string& value);

  uint64_t applied_ = 0;
  std::map<std::string, std::string> kv_;
  uint64_t hash_ = 0;
};

}  // namespace raftkv::sim
