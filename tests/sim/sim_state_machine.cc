#include "tests/sim/sim_state_machine.h"

#include <charconv>
#include <vector>

#include "tests/sim/sim_trace.h"

namespace raftkv::sim {
namespace {

// Splits on single spaces; empty fields are kept (and make the caller reject the input).
std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t sp = s.find(' ', start);
    out.push_back(s.substr(start, sp == std::string_view::npos ? sp : sp - start));
    if (sp == std::string_view::npos) return out;
    start = sp + 1;
  }
}

}  // namespace

std::string EncodeCommand(const Command& cmd) {
  return "put " + cmd.key + " " + cmd.value + " " + cmd.id;
}

std::optional<Command> ParseCommand(std::string_view data) {
  std::vector<std::string_view> f = SplitSpaces(data);
  if (f.size() != 4 || f[0] != "put" || f[1].empty() || f[2].empty() || f[3].empty()) {
    return std::nullopt;
  }
  return Command{std::string(f[1]), std::string(f[2]), std::string(f[3])};
}

uint64_t KvStateMachine::EntryHash(const std::string& key, const std::string& value) {
  return HashBytes(value, HashBytes(key) * 31 + 7);
}

void KvStateMachine::Apply(uint64_t index, const Command* cmd) {
  applied_ = index;
  if (cmd == nullptr) return;
  auto [it, inserted] = kv_.try_emplace(cmd->key, cmd->value);
  if (!inserted) {
    hash_ ^= EntryHash(it->first, it->second);
    it->second = cmd->value;
  }
  hash_ ^= EntryHash(it->first, it->second);
}

std::string KvStateMachine::Get(const std::string& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? std::string() : it->second;
}

std::string KvStateMachine::Serialize() const {
  std::string out = std::to_string(applied_) + "\n";
  for (const auto& [k, v] : kv_) out += k + " " + v + "\n";
  return out;
}

std::optional<KvStateMachine> KvStateMachine::Parse(std::string_view data) {
  KvStateMachine sm;
  size_t nl = data.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  std::string_view head = data.substr(0, nl);
  auto [ptr, ec] = std::from_chars(head.data(), head.data() + head.size(), sm.applied_);
  if (ec != std::errc() || ptr != head.data() + head.size()) return std::nullopt;
  size_t pos = nl + 1;
  while (pos < data.size()) {
    nl = data.find('\n', pos);
    if (nl == std::string_view::npos) return std::nullopt;
    std::string_view line = data.substr(pos, nl - pos);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp + 1 == line.size()) return std::nullopt;
    std::string key(line.substr(0, sp));
    std::string value(line.substr(sp + 1));
    sm.hash_ ^= EntryHash(key, value);
    sm.kv_.emplace(std::move(key), std::move(value));
    pos = nl + 1;
  }
  return sm;
}

}  // namespace raftkv::sim
