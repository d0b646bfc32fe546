// MemoryStorage: an in-memory LogStorage, the fake beside the RocksDB log of storage/.
//
// Used by unit tests, the simulator and benchmarks. Not thread-safe: the caller serializes
// access (the simulator is single-threaded).
#pragma once

#include <vector>

#include "raft/log_storage.h"

namespace raftkv::raft {

class MemoryStorage : public LogStorage {
 public:
  MemoryStorage();

  StatusOr<InitialState> GetInitialState() const override;
  StatusOr<std::vector<raftpb::Entry>> Entries(uint64_t lo, uint64_t hi,
                                               uint64_t max_bytes) const override;
  StatusOr<uint64_t> Term(uint64_t i) const override;
  uint64_t FirstIndex() const override;
  uint64_t LastIndex() const override;
  StatusOr<raftpb::Snapshot> GetSnapshot() const override;

  // Writes: what the server does with a Ready.
  void SetHardState(const raftpb::HardState& hs) { hard_state_ = hs; }
  // Appends entries, truncating any existing suffix they conflict with. Entries at or below the
  // snapshot index are ignored. Error if the entries would leave a gap.
  Status Append(const std::vector<raftpb::Entry>& entries);
  // Replaces the whole log by a snapshot. Error if it is older than the current one.
  Status ApplySnapshot(const raftpb::Snapshot& snapshot);
  // Records a snapshot of the state machine at `index` (which must be in the log).
  Status CreateSnapshot(uint64_t index, const raftpb::ConfState& conf_state, std::string data);
  // Discards entries up to and including `compact_index`, which becomes the new first-minus-one
  // point (FirstIndex() == compact_index + 1). Error if compact_index is beyond the snapshot.
  Status Compact(uint64_t compact_index);
  // Makes this storage a founding member of a new cluster of `voters` (see bootstrap.h): the
  // founding configuration as committed log entries, the hard state and the ConfState. Error if
  // the storage is not empty.
  Status Bootstrap(const std::vector<uint64_t>& voters);
  // Sets the membership reported by GetInitialState (the server records it on conf change).
  void SetConfState(const raftpb::ConfState& cs) { conf_state_ = cs; }

  const raftpb::HardState& hard_state() const { return hard_state_; }
  // Number of entries held (for memory bounds in tests).
  size_t size() const { return entries_.size() - 1; }

 private:
  uint64_t offset() const { return entries_.front().index(); }

  raftpb::HardState hard_state_;
  raftpb::ConfState conf_state_;
  raftpb::Snapshot snapshot_;
  // entries_[0] is a dummy holding the index and term of the last compacted entry (the
  // snapshot point); entries_[i] has index offset() + i. Invariant: never empty, contiguous.
  std::vector<raftpb::Entry> entries_;
};

}  // namespace raftkv::raft
