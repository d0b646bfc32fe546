// ConfigurationCache: the configurations a linearizability search (search.h) has visited, so
// that it never explores one twice, nor one that a visited configuration dominates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "tests/fault/model.h"

namespace raftkv::fault {

// A set of small integers (operation indexes) as bit words.
class OpSet {
 public:
  explicit OpSet(size_t size) : words_((size + 63) / 64, 0) {}
  void Set(size_t i) { words_[i / 64] |= uint64_t{1} << (i % 64); }
  void Reset(size_t i) { words_[i / 64] &= ~(uint64_t{1} << (i % 64)); }
  const std::vector<uint64_t>& words() const { return words_; }

 private:
  std::vector<uint64_t> words_;
};

// A configuration of the search is (K, U, s): the linearized operations of known outcome K,
// those of unknown outcome U, and the model state s after them.
//
// Lowe's cache prunes a configuration reached a second time. This one also prunes
// (K, U, s) when (K, U', s) with U' a subset of U was visited: every continuation of the first
// is open to the second (the operations in U minus U' have no recorded output and never
// complete, so they constrain nothing and may go last, as the Model contract allows). Without
// this, each operation of unknown outcome doubles the configurations to rule out in a history
// that is not linearizable.
class ConfigurationCache {
 public:
  // Records (known, state, unknown) and returns true, unless it is dominated by a visited
  // configuration (then returns false and records nothing).
  bool Visit(const OpSet& known, const ModelState& state, const OpSet& unknown);

  // Configurations recorded, and approximately the memory they take.
  size_t size() const { return size_; }
  size_t bytes() const { return bytes_; }

 private:
  // (K, s): the part of a configuration that must match exactly.
  struct Key {
    std::vector<uint64_t> known;
    ModelState state;
    bool operator==(const Key& other) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& key) const;
  };

  // For each (K, s), the unknown sets U recorded with it; none is a subset of another.
  std::unordered_map<Key, std::vector<std::vector<uint64_t>>, KeyHash> visited_;
  size_t size_ = 0;
  size_t bytes_ = 0;
};

}  // namespace raftkv::fault
