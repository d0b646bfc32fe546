#include "tests/fault/configuration_cache.h"

#include <algorithm>

namespace raftkv::fault {
namespace {

// Bookkeeping beyond the bit words and state bytes (hash node, vector and string headers), for
// the memory estimate.
constexpr size_t kKeyOverhead = 96;
constexpr size_t kSetOverhead = 32;

// Whether every element of `a` is in `b` (both of the same size).
bool IsSubset(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] & ~b[i]) != 0) return false;
  }
  return true;
}

}  // namespace

size_t ConfigurationCache::KeyHash::operator()(const Key& key) const {
  size_t h = std::hash<ModelState>()(key.state);
  for (const uint64_t w : key.known) h = h * 0x9e3779b97f4a7c15ULL + std::hash<uint64_t>()(w);
  return h;
}

bool ConfigurationCache::Visit(const OpSet& known, const ModelState& state, const OpSet& unknown) {
  auto [it, inserted] = visited_.try_emplace(Key{known.words(), state});
  std::vector<std::vector<uint64_t>>& sets = it->second;
  if (inserted) bytes_ += kKeyOverhead + known.words().size() * 8 + state.size();
  for (const std::vector<uint64_t>& set : sets) {
    if (IsSubset(set, unknown.words())) return false;
  }
  // The new set dominates the recorded supersets of it: drop them.
  const auto dominated = [&unknown](const std::vector<uint64_t>& set) {
    return IsSubset(unknown.words(), set);
  };
  const size_t before = sets.size();
  sets.erase(std::remove_if(sets.begin(), sets.end(), dominated), sets.end());
  const size_t set_bytes = kSetOverhead + unknown.words().size() * 8;
  bytes_ -= (before - sets.size()) * set_bytes;
  size_ -= before - sets.size();
  sets.push_back(unknown.words());
  bytes_ += set_bytes;
  ++size_;
  return true;
}

}  // namespace raftkv::fault
