#include "raft/memory_storage.h"

#include <string>

#include "raft/bootstrap.h"

namespace raftkv::raft {

MemoryStorage::MemoryStorage() { entries_.emplace_back(); }  // dummy at index 0, term 0

StatusOr<InitialState> MemoryStorage::GetInitialState() const {
  return InitialState{hard_state_, conf_state_};
}

uint64_t MemoryStorage::FirstIndex() const { return offset() + 1; }

uint64_t MemoryStorage::LastIndex() const { return offset() + entries_.size() - 1; }

StatusOr<uint64_t> MemoryStorage::Term(uint64_t i) const {
  if (i < offset()) return Status::Compacted("index " + std::to_string(i) + " is compacted");
  if (i > LastIndex())
    return Status::Unavailable("index " + std::to_string(i) + " is not in the log");
  return entries_[i - offset()].term();
}

StatusOr<std::vector<raftpb::Entry>> MemoryStorage::Entries(uint64_t lo, uint64_t hi,
                                                            uint64_t max_bytes) const {
  if (lo <= offset())
    return Status::Compacted("entries from " + std::to_string(lo) + " are compacted");
  if (hi > LastIndex() + 1) {
    return Status::Unavailable("entries up to " + std::to_string(hi) + " are not in the log");
  }
  std::vector<raftpb::Entry> out;
  uint64_t bytes = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const raftpb::Entry& e = entries_[i - offset()];
    bytes += EntrySize(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

StatusOr<raftpb::Snapshot> MemoryStorage::GetSnapshot() const { return snapshot_; }

Status MemoryStorage::Bootstrap(const std::vector<uint64_t>& voters) {
  if (LastIndex() != 0 || hard_state_.term() != 0) {
    return Status::FailedPrecondition("bootstrap of a storage that is not empty");
  }
  StatusOr<BootstrapState> state = MakeBootstrapState(voters);
  if (!state.ok()) return state.status();
  RAFTKV_RETURN_IF_ERROR(Append(state->entries));
  hard_state_ = state->hard_state;
  conf_state_ = state->conf_state;
  return Status::Ok();
}

Status MemoryStorage::Append(const std::vector<raftpb::Entry>& entries) {
  if (entries.empty()) return Status::Ok();
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].index() != entries[i - 1].index() + 1) {
      return Status::InvalidArgument("appended entries are not contiguous");
    }
  }
  uint64_t first_new = entries.front().index();
  uint64_t last_new = entries.back().index();
  if (last_new <= offset()) return Status::Ok();  // all below the snapshot: nothing to do
  if (first_new > LastIndex() + 1) {
    return Status::InvalidArgument("append of index " + std::to_string(first_new) +
                                   " leaves a gap after " + std::to_string(LastIndex()));
  }
  size_t skip = first_new <= offset() ? offset() + 1 - first_new : 0;
  uint64_t start = entries[skip].index();
  entries_.resize(start - offset());  // truncate the conflicting (or overwritten) suffix
  entries_.insert(entries_.end(), entries.begin() + static_cast<std::ptrdiff_t>(skip),
                  entries.end());
  return Status::Ok();
}

Status MemoryStorage::ApplySnapshot(const raftpb::Snapshot& snapshot) {
  uint64_t index = snapshot.metadata().index();
  if (index < snapshot_.metadata().index()) {
    return Status::FailedPrecondition("snapshot at " + std::to_string(index) +
                                      " is older than the current one");
  }
  snapshot_ = snapshot;
  entries_.clear();
  raftpb::Entry dummy;
  dummy.set_index(index);
  dummy.set_term(snapshot.metadata().term());
  entries_.push_back(std::move(dummy));
  conf_state_ = snapshot.metadata().conf_state();
  return Status::Ok();
}

Status MemoryStorage::CreateSnapshot(uint64_t index, const raftpb::ConfState& conf_state,
                                     std::string data) {
  if (index <= snapshot_.metadata().index()) {
    return Status::FailedPrecondition("snapshot at " + std::to_string(index) + " is not newer");
  }
  if (index > LastIndex()) {
    return Status::InvalidArgument("snapshot index " + std::to_string(index) +
                                   " is beyond the log");
  }
  raftpb::Snapshot snap;
  snap.set_data(std::move(data));
  snap.mutable_metadata()->set_index(index);
  snap.mutable_metadata()->set_term(entries_[index - offset()].term());
  *snap.mutable_metadata()->mutable_conf_state() = conf_state;
  snapshot_ = std::move(snap);
  return Status::Ok();
}

Status MemoryStorage::Compact(uint64_t compact_index) {
  if (compact_index <= offset()) return Status::Ok();  // already compacted
  if (compact_index > snapshot_.metadata().index()) {
    // Compacting past the snapshot would leave entries that exist nowhere: a lagging follower
    // could then be caught up neither by appends nor by the (older) snapshot.
    return Status::InvalidArgument("compact index " + std::to_string(compact_index) +
                                   " is beyond the snapshot index " +
                                   std::to_string(snapshot_.metadata().index()));
  }
  size_t drop = compact_index - offset();
  raftpb::Entry dummy;
  dummy.set_index(entries_[drop].index());
  dummy.set_term(entries_[drop].term());
  std::vector<raftpb::Entry> kept;
  kept.reserve(entries_.size() - drop);
  kept.push_back(std::move(dummy));
  for (size_t i = drop + 1; i < entries_.size(); ++i) kept.push_back(std::move(entries_[i]));
  entries_ = std::move(kept);
  return Status::Ok();
}

}  // namespace raftkv::raft
