// ProgressTracker: the membership configuration (voters and learners) with the leader's
// Progress for each member, plus the quorum arithmetic: committed index and vote tallies.
//
// Membership changes one member at a time (thesis 4.1), so any majority of the old voters and
// any majority of the new voters overlap.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "proto/raft.pb.h"
#include "raft/progress.h"

namespace raftkv::raft {

enum class VoteResult { kPending, kWon, kLost };

class ProgressTracker {
 public:
  ProgressTracker(int max_inflight, uint64_t max_inflight_bytes)
      : max_inflight_(max_inflight), max_inflight_bytes_(max_inflight_bytes) {}

  // Replaces the configuration; every member starts with a fresh Progress at next_index.
  void Reset(const raftpb::ConfState& cs, uint64_t next_index);
  // One membership change. Returns false (and changes nothing) when it makes no sense: adding a
  // voter that already is one, demoting a voter, removing a non-member or the last voter.
  bool ApplyChange(const raftpb::ConfChange& cc, uint64_t next_index);

  raftpb::ConfState ToConfState() const;
  bool IsVoter(uint64_t id) const { return voters_.count(id) > 0; }
  bool IsLearner(uint64_t id) const { return learners_.count(id) > 0; }
  bool IsMember(uint64_t id) const { return IsVoter(id) || IsLearner(id); }
  const std::set<uint64_t>& voters() const { return voters_; }
  const std::set<uint64_t>& learners() const { return learners_; }
  size_t QuorumSize() const { return voters_.size() / 2 + 1; }

  Progress* Get(uint64_t id);
  const Progress* Get(uint64_t id) const;
  std::map<uint64_t, Progress>& progress() { return progress_; }
  const std::map<uint64_t, Progress>& progress() const { return progress_; }

  // The highest index replicated on a majority of voters (0 with no voters).
  uint64_t QuorumMatchIndex() const;
  // Whether a majority of voters was recently active (`self` always counts as active).
  bool QuorumActive(uint64_t self) const;
  // Clears recent_active on everyone but `self`.
  void ResetRecentActive(uint64_t self);

  // Vote tallying for an election.
  void ResetVotes() { votes_.clear(); }
  void RecordVote(uint64_t id, bool granted);
  VoteResult TallyVotes() const;
  // Whether `acks` contains a majority of voters.
  bool HasQuorum(const std::set<uint64_t>& acks) const;

 private:
  int max_inflight_;
  uint64_t max_inflight_bytes_;
  // Invariant: voters_ and learners_ are disjoint, and progress_ has exactly their union as keys.
  std::set<uint64_t> voters_;
  std::set<uint64_t> learners_;
  std::map<uint64_t, Progress> progress_;
  // Votes received in the current election, by voter id. Only voters' votes are recorded.
  std::map<uint64_t, bool> votes_;
};

}  // namespace raftkv::raft
