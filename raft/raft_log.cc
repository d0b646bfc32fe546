#include "raft/raft_log.h"

#include <algorithm>
#include <string>

namespace raftkv::raft {

StatusOr<RaftLog> RaftLog::Open(const LogStorage* storage, uint64_t applied) {
  StatusOr<InitialState> init = storage->GetInitialState();
  if (!init.ok()) return init.status();
  RaftLog log;
  log.storage_ = storage;
  uint64_t first = storage->FirstIndex();
  uint64_t last = storage->LastIndex();
  if (first == 0 || last + 1 < first) {
    return Status::Corruption("raft log bounds are inconsistent: first " + std::to_string(first) +
                              ", last " + std::to_string(last));
  }
  log.unstable_offset_ = last + 1;
  uint64_t commit = init->hard_state.commit();
  if (commit > last) {
    return Status::Corruption("hard state commit " + std::to_string(commit) +
                              " is beyond the last log index " + std::to_string(last));
  }
  if (applied > last) {
    return Status::Corruption("applied index " + std::to_string(applied) +
                              " is beyond the last log index " + std::to_string(last));
  }
  // The state machine may have applied (and persisted) entries before the hard state carrying
  // their commit index was written; what was applied was committed.
  log.committed_ = std::max(commit, applied);
  log.applied_ = std::max(applied, first - 1);
  if (log.applied_ > log.committed_) log.committed_ = log.applied_;
  return log;
}

uint64_t RaftLog::FirstIndex() const {
  if (unstable_snapshot_) return unstable_snapshot_->metadata().index() + 1;
  return storage_->FirstIndex();
}

uint64_t RaftLog::LastIndex() const { return unstable_offset_ + unstable_.size() - 1; }

uint64_t RaftLog::LastTerm() const { return TermOrZero(LastIndex()); }

StatusOr<uint64_t> RaftLog::Term(uint64_t i) const {
  uint64_t dummy = FirstIndex() - 1;
  if (i < dummy) return Status::Compacted("index " + std::to_string(i) + " is compacted");
  if (i > LastIndex())
    return Status::Unavailable("index " + std::to_string(i) + " is not in the log");
  if (unstable_snapshot_ && i == unstable_snapshot_->metadata().index()) {
    return unstable_snapshot_->metadata().term();
  }
  if (i >= unstable_offset_) return unstable_[i - unstable_offset_].term();
  return storage_->Term(i);
}

uint64_t RaftLog::TermOrZero(uint64_t i) const {
  StatusOr<uint64_t> t = Term(i);
  return t.ok() ? *t : 0;
}

bool RaftLog::MatchTerm(uint64_t i, uint64_t term) const {
  StatusOr<uint64_t> t = Term(i);
  return t.ok() && *t == term;
}

bool RaftLog::IsUpToDate(uint64_t last_index, uint64_t last_term) const {
  uint64_t our_term = LastTerm();
  return last_term > our_term || (last_term == our_term && last_index >= LastIndex());
}

StatusOr<std::optional<uint64_t>> RaftLog::MaybeAppend(uint64_t prev_index, uint64_t prev_term,
                                                       uint64_t commit,
                                                       const std::vector<raftpb::Entry>& entries) {
  if (!MatchTerm(prev_index, prev_term)) return std::optional<uint64_t>();
  uint64_t last_new = prev_index + entries.size();
  // The first entry that is new or conflicts with ours (section 5.3: "if an existing entry
  // conflicts with a new one, delete the existing entry and all that follow it").
  size_t first_new = entries.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!MatchTerm(entries[i].index(), entries[i].term())) {
      first_new = i;
      break;
    }
  }
  if (first_new < entries.size()) {
    uint64_t conflict_index = entries[first_new].index();
    if (conflict_index <= committed_) {
      return Status::Corruption("append would overwrite committed entry " +
                                std::to_string(conflict_index) + " (committed " +
                                std::to_string(committed_) + ")");
    }
    TruncateAndAppend(std::vector<raftpb::Entry>(
        entries.begin() + static_cast<std::ptrdiff_t>(first_new), entries.end()));
  }
  CommitTo(std::min(commit, last_new));
  return std::optional<uint64_t>(last_new);
}

void RaftLog::Append(std::vector<raftpb::Entry> entries) {
  if (entries.empty()) return;
  TruncateAndAppend(std::move(entries));
}

void RaftLog::TruncateAndAppend(std::vector<raftpb::Entry> entries) {
  uint64_t after = entries.front().index();
  uint64_t end = unstable_offset_ + unstable_.size();
  if (after == end) {
    for (auto& e : entries) unstable_.push_back(std::move(e));
  } else if (after <= unstable_offset_) {
    // Replaces the whole unstable part and a suffix of the persisted log; the application
    // truncates storage when it persists these entries.
    unstable_offset_ = after;
    unstable_ = std::move(entries);
  } else {
    unstable_.resize(after - unstable_offset_);
    for (auto& e : entries) unstable_.push_back(std::move(e));
  }
}

std::pair<uint64_t, uint64_t> RaftLog::FindConflictByTerm(uint64_t index, uint64_t term) const {
  index = std::min(index, LastIndex());
  for (;;) {
    StatusOr<uint64_t> t = Term(index);
    if (!t.ok()) return {index, 0};
    if (*t <= term || index == 0) return {index, *t};
    --index;
  }
}

StatusOr<std::vector<raftpb::Entry>> RaftLog::EntriesFrom(uint64_t lo, uint64_t max_bytes) const {
  if (lo > LastIndex()) return std::vector<raftpb::Entry>();
  return Slice(lo, LastIndex() + 1, max_bytes);
}

StatusOr<std::vector<raftpb::Entry>> RaftLog::Slice(uint64_t lo, uint64_t hi,
                                                    uint64_t max_bytes) const {
  if (lo < FirstIndex())
    return Status::Compacted("entries from " + std::to_string(lo) + " are compacted");
  if (hi > LastIndex() + 1) {
    return Status::Unavailable("entries up to " + std::to_string(hi) + " are not in the log");
  }
  std::vector<raftpb::Entry> out;
  if (lo >= hi) return out;
  uint64_t bytes = 0;
  if (lo < unstable_offset_) {
    StatusOr<std::vector<raftpb::Entry>> stored =
        storage_->Entries(lo, std::min(hi, unstable_offset_), max_bytes);
    if (!stored.ok()) return stored.status();
    out = std::move(stored).value();
    if (out.empty()) return Status::Internal("storage returned no entries for a non-empty range");
    for (const auto& e : out) bytes += EntrySize(e);
    // Storage stopped early because of the byte limit.
    if (out.back().index() + 1 < std::min(hi, unstable_offset_)) return out;
  }
  for (uint64_t i = std::max(lo, unstable_offset_); i < hi; ++i) {
    const raftpb::Entry& e = unstable_[i - unstable_offset_];
    bytes += EntrySize(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

StatusOr<raftpb::Snapshot> RaftLog::Snapshot() const {
  if (unstable_snapshot_) return *unstable_snapshot_;
  return storage_->GetSnapshot();
}

void RaftLog::CommitTo(uint64_t commit) {
  if (commit <= committed_) return;
  // Callers clamp to the log; never commit what we do not have.
  committed_ = std::min(commit, LastIndex());
}

bool RaftLog::MaybeCommit(uint64_t index, uint64_t term) {
  if (index > committed_ && TermOrZero(index) == term) {
    CommitTo(index);
    return true;
  }
  return false;
}

void RaftLog::AppliedTo(uint64_t index) {
  if (index > applied_) applied_ = std::min(index, committed_);
}

uint64_t RaftLog::StableLastIndex() const {
  if (unstable_snapshot_) return 0;  // nothing beyond the pending snapshot is durable
  return unstable_offset_ - 1;
}

bool RaftLog::HasNextCommittedEntries() const {
  if (unstable_snapshot_) return false;
  uint64_t lo = std::max(applied_ + 1, FirstIndex());
  uint64_t hi = std::min(committed_, StableLastIndex());
  return lo <= hi;
}

std::vector<raftpb::Entry> RaftLog::NextCommittedEntries(uint64_t max_bytes) const {
  if (!HasNextCommittedEntries()) return {};
  uint64_t lo = std::max(applied_ + 1, FirstIndex());
  uint64_t hi = std::min(committed_, StableLastIndex());
  StatusOr<std::vector<raftpb::Entry>> ents = Slice(lo, hi + 1, max_bytes);
  // The range is within the durable log by construction; a failure here is a storage fault,
  // and handing out nothing lets the next Ready retry.
  if (!ents.ok()) return {};
  return std::move(ents).value();
}

void RaftLog::StableTo(uint64_t index, uint64_t term) {
  if (index < unstable_offset_ || index >= unstable_offset_ + unstable_.size()) return;
  if (unstable_[index - unstable_offset_].term() != term) return;
  unstable_.erase(unstable_.begin(),
                  unstable_.begin() + static_cast<std::ptrdiff_t>(index + 1 - unstable_offset_));
  unstable_offset_ = index + 1;
}

void RaftLog::StableSnapshotTo(uint64_t index) {
  if (unstable_snapshot_ && unstable_snapshot_->metadata().index() == index) {
    unstable_snapshot_.reset();
  }
}

void RaftLog::Restore(const raftpb::Snapshot& snapshot) {
  uint64_t index = snapshot.metadata().index();
  committed_ = index;
  unstable_.clear();
  unstable_offset_ = index + 1;
  unstable_snapshot_ = snapshot;
}

Status RaftLog::CheckInvariants() const {
  if (applied_ > committed_) {
    return Status::Internal("applied " + std::to_string(applied_) + " > committed " +
                            std::to_string(committed_));
  }
  if (committed_ > LastIndex()) {
    return Status::Internal("committed " + std::to_string(committed_) + " > last index " +
                            std::to_string(LastIndex()));
  }
  if (unstable_offset_ == 0) return Status::Internal("unstable offset is 0");
  for (size_t i = 0; i < unstable_.size(); ++i) {
    if (unstable_[i].index() != unstable_offset_ + i) {
      return Status::Internal("unstable entries are not contiguous at " + std::to_string(i));
    }
  }
  if (unstable_snapshot_ && unstable_snapshot_->metadata().index() + 1 != unstable_offset_ &&
      unstable_.empty()) {
    return Status::Internal("unstable snapshot does not precede the unstable entries");
  }
  return Status::Ok();
}

}  // namespace raftkv::raft
