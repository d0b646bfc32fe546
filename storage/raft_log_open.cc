// RaftLogStore::Open: loads the log's bounds and metadata and checks that they fit together.
//
// What is read at open, and why not the whole log:
//   - the four meta records, and the first and last keys of the log (two seeks);
//   - the newest entries (up to kTailCheckEntries of them, or kTailCheckBytes), each parsed and
//     checked: stored under its own index, contiguous, terms non-decreasing;
//   - the first entry and the entry at the snapshot index.
// The store only ever writes contiguous runs (an append deletes everything above its last
// entry in the same batch, a compaction deletes a prefix in one range deletion), so the log can
// only be out of shape where a crash cuts it -- at the tail, which is checked -- or through
// outside damage. Damage inside a file is caught by RocksDB's block checksums (Database::Open
// verifies every file); a gap or a misplaced entry in the middle is caught by the reads, which
// check every key and index they return and report Corruption. Reading a whole log of tens of
// thousands of entries of up to a megabyte each at every start would cost more than it finds.
#include <rocksdb/db.h>

#include <memory>
#include <string>

#include "storage/raft_log_keys.h"
#include "storage/raft_log_store.h"

namespace raftkv::storage {
namespace {

// How much of the tail Open checks entry by entry.
constexpr uint64_t kTailCheckEntries = 1024;
constexpr uint64_t kTailCheckBytes = 8 << 20;

std::string Str(uint64_t v) { return std::to_string(v); }

// Reads the meta record under `key` into `out`; a missing record leaves `out` empty.
template <typename Message>
Status LoadMeta(Database* db, std::string_view key, Message* out) {
  std::string value;
  rocksdb::Status s =
      db->db()->Get(rocksdb::ReadOptions(), db->family(Family::kRaftMeta), key, &value);
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return FromRocks(s, "raft log: reading " + std::string(key));
  return ParseStored(value, "raft log " + std::string(key), out);
}

// The index of the key the iterator is on, or Corruption.
StatusOr<uint64_t> KeyIndex(const rocksdb::Iterator& it) {
  std::optional<uint64_t> index = ParseLogKey(it.key().ToStringView());
  if (!index) {
    return Status::Corruption("raft log: a key of " + Str(it.key().size()) +
                              " bytes in the log family (log keys are " + Str(kLogKeySize) +
                              " bytes)");
  }
  return *index;
}

}  // namespace

StatusOr<std::unique_ptr<RaftLogStore>> RaftLogStore::Open(Database* db) {
  std::unique_ptr<RaftLogStore> store(new RaftLogStore(db));
  RAFTKV_RETURN_IF_ERROR(store->Load());
  return store;
}

Status RaftLogStore::Load() {
  RAFTKV_RETURN_IF_ERROR(LoadMeta(db_, kHardStateKey, &hard_state_));
  RAFTKV_RETURN_IF_ERROR(LoadMeta(db_, kConfStateKey, &conf_state_));
  RAFTKV_RETURN_IF_ERROR(LoadMeta(db_, kSnapshotKey, &snapshot_));
  raftpb::Entry compacted;
  RAFTKV_RETURN_IF_ERROR(LoadMeta(db_, kCompactedKey, &compacted));
  compacted_index_ = compacted.index();
  compacted_term_ = compacted.term();
  const uint64_t snap_index = snapshot_.metadata().index();
  const uint64_t snap_term = snapshot_.metadata().term();
  if (compacted_index_ > snap_index) {
    return Status::Corruption("raft log: compacted up to index " + Str(compacted_index_) +
                              ", beyond the snapshot index " + Str(snap_index) + ": entries " +
                              Str(snap_index + 1) + ".." + Str(compacted_index_) +
                              " exist nowhere");
  }

  // The bounds of the log: its first and last keys.
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->family(Family::kRaftLog)));
  it->SeekToFirst();
  if (!it->status().ok()) return FromRocks(it->status(), "raft log: seeking the first entry");
  if (!it->Valid()) {
    last_index_ = compacted_index_;
    last_term_ = compacted_term_;
  } else {
    StatusOr<uint64_t> first_key = KeyIndex(*it);
    if (!first_key.ok()) return first_key.status();
    if (*first_key != compacted_index_ + 1) {
      return Status::Corruption(
          "raft log: the first entry is " + Str(*first_key) + " but the log starts at " +
          Str(compacted_index_ + 1) + " (compacted up to " + Str(compacted_index_) + "): " +
          (*first_key <= compacted_index_ ? "entry " + Str(*first_key) + " should be gone"
                                          : "entries " + Str(compacted_index_ + 1) + ".." +
                                                Str(*first_key - 1) + " are missing"));
    }
    it->SeekToLast();
    if (!it->status().ok()) return FromRocks(it->status(), "raft log: seeking the last entry");
    StatusOr<uint64_t> last_key = KeyIndex(*it);
    if (!last_key.ok()) return last_key.status();
    last_index_ = *last_key;
    RAFTKV_RETURN_IF_ERROR(CheckTail(*first_key));
    // last_term_ is set by CheckTail; the first entry must not go back in term either.
    StatusOr<raftpb::Entry> first = ReadEntry(*first_key);
    if (!first.ok()) return first.status();
    if (first->term() < compacted_term_) {
      return Status::Corruption("raft log: entry " + Str(*first_key) + " has term " +
                                Str(first->term()) + ", lower than the term " +
                                Str(compacted_term_) + " of the compacted entry before it");
    }
  }

  // The snapshot must describe an entry of the log (or the compacted point itself).
  if (snap_index > last_index_) {
    return Status::Corruption("raft log: the snapshot at index " + Str(snap_index) +
                              " is beyond the last entry " + Str(last_index_));
  }
  StatusOr<uint64_t> term_at_snapshot = TermInLog(snap_index);
  if (!term_at_snapshot.ok()) return term_at_snapshot.status();
  if (*term_at_snapshot != snap_term) {
    return Status::Corruption("raft log: the snapshot at index " + Str(snap_index) + " has term " +
                              Str(snap_term) + " but the log has term " + Str(*term_at_snapshot) +
                              " there");
  }
  if (hard_state_.commit() > last_index_) {
    return Status::Corruption("raft log: the hard state's commit index " +
                              Str(hard_state_.commit()) + " is beyond the last entry " +
                              Str(last_index_));
  }
  return Status::Ok();
}

// Walks back from the last entry over the newest entries, checking each one; sets last_term_.
// Precondition: last_index_ is the last key and first_key the first.
Status RaftLogStore::CheckTail(uint64_t first_key) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->family(Family::kRaftLog)));
  uint64_t expected = last_index_;
  uint64_t checked = 0;
  uint64_t bytes = 0;
  uint64_t next_term = UINT64_MAX;  // term of the entry after the current one
  for (it->SeekToLast(); it->Valid(); it->Prev(), --expected) {
    StatusOr<uint64_t> key = KeyIndex(*it);
    if (!key.ok()) return key.status();
    if (*key != expected) {
      return Status::Corruption("raft log: entries " + Str(*key + 1) + ".." + Str(expected) +
                                " are missing (a gap below entry " + Str(expected + 1) + ")");
    }
    StatusOr<raftpb::Entry> decoded = DecodeEntry(expected, it->value().ToStringView());
    if (!decoded.ok()) return decoded.status();
    raftpb::Entry& entry = *decoded;
    if (entry.term() > next_term) {
      return Status::Corruption("raft log: entry " + Str(expected) + " has term " +
                                Str(entry.term()) + ", higher than the term " + Str(next_term) +
                                " of entry " + Str(expected + 1) + " after it");
    }
    if (checked == 0) last_term_ = entry.term();
    next_term = entry.term();
    ++checked;
    bytes += raft::EntrySize(entry);
    if (expected == first_key || checked >= kTailCheckEntries || bytes >= kTailCheckBytes) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "raft log: reading the tail");
  if (checked == 0) return Status::Corruption("raft log: the last entry vanished while opening");
  return Status::Ok();
}

}  // namespace raftkv::storage
