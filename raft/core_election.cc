// Core: elections -- timeouts, pre-vote, votes and their tally (sections 5.2, 5.4.1; thesis 9.6).
#include "raft/core.h"

namespace raftkv::raft {

bool Core::Promotable() const { return tracker_.IsVoter(id_) || removed_awaiting_successor_; }

bool Core::HasUnappliedConfChanges() const {
  if (log_.committed() <= log_.applied()) return false;
  StatusOr<std::vector<raftpb::Entry>> ents =
      log_.Slice(log_.applied() + 1, log_.committed() + 1, UINT64_MAX);
  if (!ents.ok()) return true;  // cannot tell: be conservative and do not campaign
  for (const auto& e : *ents) {
    if (e.type() == raftpb::ENTRY_CONF_CHANGE) return true;
  }
  return false;
}

void Core::TickElection() {
  ++election_elapsed_;
  if (Promotable() && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    StartCampaign(pre_vote_ ? CampaignKind::kPreElection : CampaignKind::kElection);
  }
}

void Core::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= election_timeout_) {
    election_elapsed_ = 0;
    // A transfer that did not finish within an election timeout is abandoned (thesis 3.10);
    // a removed leader tries again (judging who is alive before the activity flags reset),
    // since it must not keep leadership.
    if (lead_transferee_ != 0) AbortLeaderTransfer();
    if (!tracker_.IsVoter(id_)) HandOverLeadershipAfterRemoval();
    if (role_ != Role::kLeader) return;
    // A removed leader is exempt: it must stay until the remaining voters have caught up and
    // one of them took over -- they may still need its vote until they know it is gone.
    if (check_quorum_ && tracker_.IsVoter(id_)) {
      // Check-quorum (thesis 6.2): without contact with a majority for an election timeout, a
      // leader steps down, so clients are not left waiting on a leader that cannot commit.
      if (!tracker_.QuorumActive(id_)) {
        BecomeFollower(term_, 0);
        return;
      }
      tracker_.ResetRecentActive(id_);
    }
  }
  if (heartbeat_elapsed_ >= heartbeat_timeout_) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat();
  }
}

void Core::StartCampaign(CampaignKind kind) {
  if (!Promotable()) return;
  // Do not stand with a configuration that is about to change: apply it first.
  if (HasUnappliedConfChanges()) return;
  uint64_t vote_term;
  raftpb::MessageType vote_type;
  if (kind == CampaignKind::kPreElection) {
    BecomePreCandidate();
    vote_type = raftpb::MSG_PRE_VOTE;
    vote_term = term_ + 1;  // the term we would stand in; ours does not change yet
  } else {
    BecomeCandidate();
    vote_type = raftpb::MSG_VOTE;
    vote_term = term_;
  }
  tracker_.RecordVote(id_, true);
  if (tracker_.TallyVotes() == VoteResult::kWon) {
    // A single-voter cluster wins at once.
    if (kind == CampaignKind::kPreElection) {
      StartCampaign(CampaignKind::kElection);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (uint64_t voter : tracker_.voters()) {
    if (voter == id_) continue;
    raftpb::Message m;
    m.set_type(vote_type);
    m.set_to(voter);
    m.set_term(vote_term);
    m.set_index(log_.LastIndex());
    m.set_log_term(log_.LastTerm());
    m.set_leader_transfer(kind == CampaignKind::kTransfer);
    Send(std::move(m));
  }
}

void Core::HandleVoteRequest(const raftpb::Message& m) {
  const bool pre = m.type() == raftpb::MSG_PRE_VOTE;
  // One vote per term (5.2): we may vote for whom we already voted for, or for anyone if we have
  // neither voted nor know a leader this term. A pre-vote for a later term commits us to nothing.
  bool can_vote = vote_ == m.from() || (vote_ == 0 && lead_ == 0) || (pre && m.term() > term_);
#ifdef RAFTKV_FAULT_DOUBLE_VOTE
  // Deliberately broken core for the simulator's self-test: forget the vote already cast.
  can_vote = can_vote || (!pre && m.term() == term_ && role_ == Role::kFollower);
#endif
  // Election restriction (5.4.1): only for a log at least as up-to-date as ours.
  bool grant = can_vote && log_.IsUpToDate(m.index(), m.log_term());
  raftpb::Message resp;
  resp.set_to(m.from());
  resp.set_type(pre ? raftpb::MSG_PRE_VOTE_RESPONSE : raftpb::MSG_VOTE_RESPONSE);
  resp.set_reject(!grant);
  // A granted pre-vote answers in the candidate's future term; anything else in ours.
  resp.set_term(grant && pre ? m.term() : term_);
  if (grant && !pre) {
    election_elapsed_ = 0;
    vote_ = m.from();
  }
  Send(std::move(resp));
}

void Core::HandleVoteResponse(const raftpb::Message& m) {
  const bool pre = m.type() == raftpb::MSG_PRE_VOTE_RESPONSE;
  if (pre != (role_ == Role::kPreCandidate)) return;  // an answer to another campaign
  if (pre && m.term() != term_ + 1 && !m.reject()) return;
  tracker_.RecordVote(m.from(), !m.reject());
  switch (tracker_.TallyVotes()) {
    case VoteResult::kWon:
      if (pre) {
        StartCampaign(CampaignKind::kElection);
      } else {
        BecomeLeader();
      }
      break;
    case VoteResult::kLost:
      BecomeFollower(term_, 0);
      break;
    case VoteResult::kPending:
      break;
  }
}

}  // namespace raftkv::raft
