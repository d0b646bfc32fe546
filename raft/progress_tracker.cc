#include "raft/progress_tracker.h"

#include <algorithm>
#include <functional>
#include <vector>

namespace raftkv::raft {

void ProgressTracker::Reset(const raftpb::ConfState& cs, uint64_t next_index) {
  voters_.clear();
  learners_.clear();
  progress_.clear();
  for (uint64_t id : cs.voters()) voters_.insert(id);
  for (uint64_t id : cs.learners()) {
    if (!voters_.count(id)) learners_.insert(id);  // keep the two disjoint
  }
  for (uint64_t id : voters_) {
    progress_.emplace(id, Progress(next_index, max_inflight_, max_inflight_bytes_, false));
  }
  for (uint64_t id : learners_) {
    progress_.emplace(id, Progress(next_index, max_inflight_, max_inflight_bytes_, true));
  }
}

bool ProgressTracker::ApplyChange(const raftpb::ConfChange& cc, uint64_t next_index) {
  uint64_t id = cc.node_id();
  if (id == 0) return false;
  switch (cc.type()) {
    case raftpb::CONF_CHANGE_ADD_VOTER:
      if (voters_.count(id)) return false;
      if (learners_.erase(id)) {  // promotion keeps the learner's progress
        voters_.insert(id);
        progress_.at(id).is_learner = false;
        return true;
      }
      voters_.insert(id);
      break;
    case raftpb::CONF_CHANGE_ADD_LEARNER:
      // Demoting a voter in one step is not a single-member change we support.
      if (voters_.count(id) || learners_.count(id)) return false;
      learners_.insert(id);
      break;
    case raftpb::CONF_CHANGE_REMOVE_NODE:
      if (voters_.count(id)) {
        if (voters_.size() == 1) return false;  // never remove the last voter
        voters_.erase(id);
      } else if (!learners_.erase(id)) {
        return false;
      }
      progress_.erase(id);
      return true;
    default:
      return false;
  }
  Progress pr(next_index, max_inflight_, max_inflight_bytes_, learners_.count(id) > 0);
  // A new member counts as active, so that check-quorum does not depose the leader before the
  // member had a chance to answer.
  pr.recent_active = true;
  progress_.insert_or_assign(id, std::move(pr));
  return true;
}

raftpb::ConfState ProgressTracker::ToConfState() const {
  raftpb::ConfState cs;
  for (uint64_t id : voters_) cs.add_voters(id);
  for (uint64_t id : learners_) cs.add_learners(id);
  return cs;
}

Progress* ProgressTracker::Get(uint64_t id) {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

const Progress* ProgressTracker::Get(uint64_t id) const {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

uint64_t ProgressTracker::QuorumMatchIndex() const {
  if (voters_.empty()) return 0;
  std::vector<uint64_t> matches;
  matches.reserve(voters_.size());
  for (uint64_t id : voters_) matches.push_back(progress_.at(id).match);
  // The quorum-th largest match is replicated on at least a quorum of voters.
  std::sort(matches.begin(), matches.end(), std::greater<>());
  return matches[QuorumSize() - 1];
}

bool ProgressTracker::QuorumActive(uint64_t self) const {
  size_t active = 0;
  for (uint64_t id : voters_) {
    if (id == self || progress_.at(id).recent_active) ++active;
  }
  return active >= QuorumSize();
}

void ProgressTracker::ResetRecentActive(uint64_t self) {
  for (auto& [id, pr] : progress_) pr.recent_active = (id == self);
}

void ProgressTracker::RecordVote(uint64_t id, bool granted) {
  if (!voters_.count(id)) return;
  votes_.emplace(id, granted);  // the first answer of a voter counts, duplicates do not
}

VoteResult ProgressTracker::TallyVotes() const {
  size_t granted = 0, rejected = 0;
  for (const auto& [id, g] : votes_) (g ? granted : rejected)++;
  if (granted >= QuorumSize()) return VoteResult::kWon;
  // Lost once the voters still silent could not make up a quorum.
  if (voters_.size() - rejected < QuorumSize()) return VoteResult::kLost;
  return VoteResult::kPending;
}

bool ProgressTracker::HasQuorum(const std::set<uint64_t>& acks) const {
  size_t n = 0;
  for (uint64_t id : acks) n += voters_.count(id);
  return !voters_.empty() && n >= QuorumSize();
}

}  // namespace raftkv::raft
