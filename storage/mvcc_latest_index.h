// The apply thread's index of every live key of the committed key space with its newest
// version (no value), as etcd keeps its key index in memory: a put, and a txn's version,
// create or mod revision compare, learn the key's state without a seek of the key space (a
// merged RocksDB iterator over the memtables and every level, the dominant cost of a put into
// a large store).
//
// Invariant: the index holds exactly the keys whose newest committed version is live, each
// with that version's create revision, mod revision, version and lease; a key it does not hold
// does not exist (never written, or deleted). It is built by one scan when the store opens and
// when a snapshot replaces the key space (MvccStore::RebuildLatestIndex), and changed only by
// batches that committed (Merge).
//
// Memory: about 100 bytes per live key plus the key itself (etcd's index costs more per key).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace raftkv::storage::mvcc {

// The newest version of a key, without its value.
struct LatestVersion {
  bool live = false;  // false: the key does not exist (never written, or deleted)
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

// Keys to their newest version, by user key (absent keys as live = false).
using LatestVersions = std::unordered_map<std::string, LatestVersion>;

// Not thread-safe: the apply thread owns it.
class LatestIndex {
 public:
  // The key's newest version: live = false when the key does not exist.
  LatestVersion Find(const std::string& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? LatestVersion{} : it->second;
  }
  // Takes in what a committed batch wrote: live versions replace, deletions erase.
  void Merge(const LatestVersions& committed) {
    for (const auto& [key, latest] : committed) {
      if (latest.live) {
        entries_[key] = latest;
      } else {
        entries_.erase(key);
      }
    }
  }
  // Adds one live key while the index is built from a scan.
  void Add(std::string key, const LatestVersion& latest) { entries_[std::move(key)] = latest; }
  void Clear() { entries_ = {}; }
  // The number of live keys.
  size_t size() const { return entries_.size(); }

 private:
  std::unordered_map<std::string, LatestVersion> entries_;
};

}  // namespace raftkv::storage::mvcc
