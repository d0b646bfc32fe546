// What the apply thread knows of the newest version of recently written keys, so that a put
// does not have to seek the key space (a merged RocksDB iterator over the memtables and every
// level) to learn the key's create revision, version and lease.
//
// Invariant: an entry, when present, equals what the committed key space holds as the key's
// newest version (or says the key is absent). Entries are added only from batches that
// committed; the cache is cleared when the key space is replaced (MvccStore::Reload) and when
// it would outgrow its capacity, so a missing entry only costs a seek.
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

// Keys to their newest version, by user key. Not thread-safe: the apply thread owns it.
using LatestVersions = std::unordered_map<std::string, LatestVersion>;

class LatestCache {
 public:
  // At most this many keys are kept (about 100 bytes each plus the key).
  static constexpr size_t kCapacity = 1 << 18;

  // The key's newest version, or null when the cache does not know it.
  const LatestVersion* Find(const std::string& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }
  // Takes in what a committed batch wrote or learned.
  void Merge(const LatestVersions& committed) {
    if (entries_.size() + committed.size() > kCapacity) entries_.clear();
    for (const auto& [key, latest] : committed) entries_[key] = latest;
  }
  void Clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }

 private:
  LatestVersions entries_;
};

}  // namespace raftkv::storage::mvcc
