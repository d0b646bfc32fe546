// RaftLog: the core's view of its log -- the persisted part (LogStorage) followed by the
// unstable part (entries and possibly a snapshot handed out in a Ready but not yet persisted).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/log_storage.h"
#include "raft/status.h"

namespace raftkv::raft {

class RaftLog {
 public:
  // Starts from what `storage` holds; `applied` is what the state machine already has.
  static StatusOr<RaftLog> Open(const LogStorage* storage, uint64_t applied);

  uint64_t FirstIndex() const;
  uint64_t LastIndex() const;
  uint64_t LastTerm() const;
  // Term of entry i; Compacted/Unavailable outside [FirstIndex() - 1, LastIndex()].
  StatusOr<uint64_t> Term(uint64_t i) const;
  // Term of entry i, or 0 when it is not in the log.
  uint64_t TermOrZero(uint64_t i) const;
  bool MatchTerm(uint64_t i, uint64_t term) const;

  // Election restriction (section 5.4.1): is a log ending at (last_index, last_term) at least as
  // up-to-date as ours?
  bool IsUpToDate(uint64_t last_index, uint64_t last_term) const;

  // The AppendEntries consistency check and append (section 5.3). If our log has an entry at
  // prev_index with prev_term, appends `entries` (truncating the first conflicting suffix),
  // advances commit to min(commit, last new index) and returns the last new index. Returns
  // nullopt when the check fails. Error if the leader would overwrite a committed entry, which
  // a correct leader never asks for.
  StatusOr<std::optional<uint64_t>> MaybeAppend(uint64_t prev_index, uint64_t prev_term,
                                                uint64_t commit,
                                                const std::vector<raftpb::Entry>& entries);
  // Leader append of new entries (indices already assigned and following LastIndex()).
  void Append(std::vector<raftpb::Entry> entries);

  // Fast backtracking: the largest index <= `index` whose term is <= `term`, and that term.
  // Stops at the first index we can no longer answer for (compacted).
  std::pair<uint64_t, uint64_t> FindConflictByTerm(uint64_t index, uint64_t term) const;

  // Entries in [lo, LastIndex()] up to max_bytes (at least one). Errors as LogStorage::Entries.
  StatusOr<std::vector<raftpb::Entry>> EntriesFrom(uint64_t lo, uint64_t max_bytes) const;
  StatusOr<std::vector<raftpb::Entry>> Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes) const;

  // The snapshot the leader should send: the unstable one if any, else storage's.
  StatusOr<raftpb::Snapshot> Snapshot() const;

  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  // Advances commit. Precondition: commit <= LastIndex().
  void CommitTo(uint64_t commit);
  // Leader rule (section 5.4.2): commits `index` only if its entry is of `term`.
  bool MaybeCommit(uint64_t index, uint64_t term);
  void AppliedTo(uint64_t index);

  // Highest index known to be persisted (everything up to it is in storage).
  uint64_t StableLastIndex() const;
  // Committed entries not yet handed to the application that are durable locally.
  bool HasNextCommittedEntries() const;
  std::vector<raftpb::Entry> NextCommittedEntries(uint64_t max_bytes) const;

  // The unstable part, to put in a Ready.
  const std::vector<raftpb::Entry>& unstable_entries() const { return unstable_; }
  const std::optional<raftpb::Snapshot>& unstable_snapshot() const { return unstable_snapshot_; }
  // Marks unstable entries up to (index, term) persisted; ignored when the log has changed since
  // (the entry at index no longer has that term).
  void StableTo(uint64_t index, uint64_t term);
  void StableSnapshotTo(uint64_t index);

  // Replaces the log with a snapshot received from the leader (section 7).
  void Restore(const raftpb::Snapshot& snapshot);

  // applied <= committed <= LastIndex() and the unstable part starts right after storage.
  Status CheckInvariants() const;

 private:
  RaftLog() = default;
  void TruncateAndAppend(std::vector<raftpb::Entry> entries);

  const LogStorage* storage_ = nullptr;
  // Entries not yet persisted; unstable_[i] has index unstable_offset_ + i.
  std::vector<raftpb::Entry> unstable_;
  // Index of unstable_[0] (or of the next entry to be appended when unstable_ is empty).
  // Invariant: unstable_offset_ == LastIndex of storage + 1, or snapshot index + 1 while an
  // unstable snapshot is pending.
  uint64_t unstable_offset_ = 0;
  // A snapshot received but not yet persisted.
  std::optional<raftpb::Snapshot> unstable_snapshot_;
  // Highest index known committed. Invariant: applied_ <= committed_ <= LastIndex().
  uint64_t committed_ = 0;
  // Highest index handed to the application for applying.
  uint64_t applied_ = 0;
};

}  // namespace raftkv::raft
