// LogStorage: the read side of the durable raft log, as the consensus core sees it.
//
// The core never writes storage. The server (or a test) persists what a Ready hands it, then
// calls Core::Advance; from then on the core reads those entries back through this interface.
// storage/ implements it on RocksDB; MemoryStorage (memory_storage.h) is the in-memory fake.
#pragma once

#include <cstdint>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/status.h"

namespace raftkv::raft {

// What a member starts from: its persisted hard state and membership.
struct InitialState {
  raftpb::HardState hard_state;
  raftpb::ConfState conf_state;
};

// Read access to the persisted log. Implementations must be consistent with what was last
// persisted: entries form a contiguous range [FirstIndex(), LastIndex()], the entry just before
// FirstIndex() is described by the snapshot metadata, and Term(FirstIndex() - 1) is answerable.
class LogStorage {
 public:
  virtual ~LogStorage() = default;

  virtual StatusOr<InitialState> GetInitialState() const = 0;

  // Entries in [lo, hi), stopping once their total size exceeds max_bytes but always returning
  // at least one entry when lo < hi. Errors: Compacted if lo < FirstIndex(); Unavailable if
  // hi > LastIndex() + 1.
  virtual StatusOr<std::vector<raftpb::Entry>> Entries(uint64_t lo, uint64_t hi,
                                                       uint64_t max_bytes) const = 0;

  // Term of the entry at index i, for i in [FirstIndex() - 1, LastIndex()]. Errors: Compacted
  // below that range, Unavailable above it.
  virtual StatusOr<uint64_t> Term(uint64_t i) const = 0;

  // Index of the first entry still in the log (snapshot index + 1). Implementations keep the
  // bounds in memory (they are the only writer), so these two cannot fail.
  virtual uint64_t FirstIndex() const = 0;

  // Index of the last entry in the log (the snapshot index when the log is empty).
  virtual uint64_t LastIndex() const = 0;

  // The most recent snapshot. SnapshotTemporarilyUnavailable tells the core to retry later.
  virtual StatusOr<raftpb::Snapshot> GetSnapshot() const = 0;
};

// Approximate size of an entry on the wire and on disk, used for byte limits.
inline uint64_t EntrySize(const raftpb::Entry& e) { return e.data().size() + 24; }

}  // namespace raftkv::raft
