// RaftLogStore: the durable raft log of a member, on the member's RocksDB (storage/database.h).
// It is the LogStorage the consensus core reads, and the place the server persists each Ready.
// Layout on disk: storage/raft_log_keys.h. Behaviour: exactly that of raft::MemoryStorage (the
// in-memory fake), which tests/storage/raft_log_conformance_test.cc checks rule by rule.
//
// Durability and atomicity:
//   - Save() writes everything one Ready asks to persist (snapshot metadata, entries with the
//     truncation of a conflicting suffix, hard state) in ONE RocksDB WriteBatch, fsynced when
//     the Ready says must_sync. After a crash the log is as of some prefix of the Saves, and
//     every Save that returned OK with sync is in it.
//   - The bounds held in memory change only after a write succeeded: a write that fails (a full
//     disk gives NoSpace) leaves the store, in memory and on disk, exactly as it was, and the
//     caller may retry it.
//
// Consistency: Open() refuses a log that breaks the rules below with Corruption, naming the
// index and the problem; it never repairs anything. Reads check what they read (key, index,
// contiguity) and report damage as Corruption as well.
//   - entries are contiguous in [FirstIndex(), LastIndex()], each stored under its own index,
//     with non-decreasing terms, starting right after the compacted point;
//   - the compacted point <= the snapshot index <= LastIndex(), and the snapshot's term is the
//     term of the entry at its index;
//   - the hard state's commit <= LastIndex().
//
// Threading: NOT thread-safe. In kvd one raft thread owns the store and both reads it (through
// the core) and writes it (Save, CreateSnapshot, Compact); nothing else may call it. Other
// threads may use the same Database for other column families: only this store touches
// Family::kRaftLog and Family::kRaftMeta.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/log_storage.h"
#include "raft/ready.h"
#include "raft/status.h"
#include "storage/database.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace raftkv::storage {

class RaftLogStore : public raft::LogStorage {
 public:
  // Loads the log held in `db` (an empty log if there is none yet) and checks its consistency
  // (see above). `db` is not owned and must outlive the store.
  static StatusOr<std::unique_ptr<RaftLogStore>> Open(Database* db);

  RaftLogStore(const RaftLogStore&) = delete;
  RaftLogStore& operator=(const RaftLogStore&) = delete;

  // raft::LogStorage. Same results and errors as raft::MemoryStorage; in addition, damage found
  // on disk while reading is Corruption and a failing disk is IOError.
  StatusOr<raft::InitialState> GetInitialState() const override;
  StatusOr<std::vector<raftpb::Entry>> Entries(uint64_t lo, uint64_t hi,
                                               uint64_t max_bytes) const override;
  StatusOr<uint64_t> Term(uint64_t i) const override;
  uint64_t FirstIndex() const override { return compacted_index_ + 1; }
  uint64_t LastIndex() const override { return last_index_; }
  StatusOr<raftpb::Snapshot> GetSnapshot() const override { return snapshot_; }

  // Persists step 1 of `ready` (raft/ready.h) in one WriteBatch, synced when ready.must_sync:
  //   - ready.snapshot (if any) replaces the whole log, as MemoryStorage::ApplySnapshot does
  //     (FailedPrecondition if it is older than the current snapshot); its ConfState becomes the
  //     one GetInitialState reports;
  //   - ready.entries are appended, overwriting from their first index and deleting every old
  //     entry above their last one (one DeleteRange); entries at or below the compacted point
  //     are ignored; InvalidArgument if they are not contiguous, leave a gap after LastIndex(),
  //     or go back in term;
  //   - ready.hard_state (if any) is recorded; InvalidArgument if its commit is beyond the last
  //     index the log will have.
  // Nothing else of the Ready is looked at. On error nothing was written.
  [[nodiscard]] Status Save(const raft::Ready& ready);

  // Records a snapshot of the state machine at `index`, which must be in the log and newer than
  // the current snapshot (same errors as MemoryStorage::CreateSnapshot). Synced, so that the
  // caller may discard older state-machine snapshots once this returns OK. The log itself is
  // unchanged; see Compact.
  [[nodiscard]] Status CreateSnapshot(uint64_t index, const raftpb::ConfState& conf_state,
                                      std::string data);

  // Removes the entries up to and including `compact_index` with a single range deletion;
  // FirstIndex() becomes compact_index + 1 and Term(compact_index) stays answerable. A no-op if
  // already compacted that far; InvalidArgument beyond the snapshot index. Not synced: losing
  // it in a crash only brings the removed prefix back, and RocksDB's WAL order guarantees that
  // any later synced write brings it along. Disk space is reclaimed in the background.
  [[nodiscard]] Status Compact(uint64_t compact_index);

  // Makes this store a founding member of a new cluster of `voters` (raft/bootstrap.h): the
  // founding configuration as committed entries, the hard state and the ConfState, in one
  // synced write. FailedPrecondition if the store is not empty.
  [[nodiscard]] Status Bootstrap(const std::vector<uint64_t>& voters);

  // Records the membership GetInitialState reports (the server calls it after applying a
  // configuration change). Synced.
  [[nodiscard]] Status SetConfState(const raftpb::ConfState& conf_state);

  const raftpb::HardState& hard_state() const { return hard_state_; }
  const raftpb::ConfState& conf_state() const { return conf_state_; }
  Database* database() const { return db_; }

 private:
  explicit RaftLogStore(Database* db) : db_(db) {}

  // Reads and checks everything Open promises to check; fills the fields below.
  [[nodiscard]] Status Load();
  // Checks the newest entries of the log (see the comment in raft_log_open.cc); sets last_term_.
  [[nodiscard]] Status CheckTail(uint64_t first_key);

  // The entry at `index`, which must lie in [FirstIndex(), LastIndex()]: a missing or damaged
  // one is Corruption.
  StatusOr<raftpb::Entry> ReadEntry(uint64_t index) const;
  // Term of the entry at `index`, in [compacted_index_, last_index_].
  StatusOr<uint64_t> TermInLog(uint64_t index) const;
  // Adds a Put of `message` under `key` of `family` to `batch`.
  [[nodiscard]] Status PutMessage(rocksdb::WriteBatch* batch, Family family, std::string_view key,
                                  const google::protobuf::MessageLite& message) const;
  // Adds a deletion of the log entries in [from, to) to `batch` (nothing when from >= to).
  [[nodiscard]] Status DeleteEntries(rocksdb::WriteBatch* batch, uint64_t from, uint64_t to) const;
  // Asks RocksDB to compact the log keys in [from, to] away in the background.
  void SuggestReclaim(uint64_t from, uint64_t to) const;

  Database* const db_;  // not owned; outlives the store

  // The in-memory copy of what is on disk, updated only after a successful write.
  // Invariants: compacted_index_ <= snapshot_.metadata().index() <= last_index_;
  // hard_state_.commit() <= last_index_; entries (compacted_index_, last_index_] are on disk.
  raftpb::HardState hard_state_;
  raftpb::ConfState conf_state_;
  raftpb::Snapshot snapshot_;
  // Index and term of the last entry removed from the front (the snapshot point after a
  // snapshot install); FirstIndex() == compacted_index_ + 1.
  uint64_t compacted_index_ = 0;
  uint64_t compacted_term_ = 0;
  // Index and term of the last entry (== compacted_index_/compacted_term_ when the log is
  // empty). Cached because the core asks for the last term all the time.
  uint64_t last_index_ = 0;
  uint64_t last_term_ = 0;
};

}  // namespace raftkv::storage
