// Core: linearizable reads by ReadIndex (thesis 6.4) and leadership transfer (thesis 3.10).
#include "raft/core.h"

namespace raftkv::raft {

void Core::HandleReadIndexRequest(uint64_t from, std::string ctx) {
  PendingRead read{from, std::move(ctx), log_.committed()};
  // Step 1 of 6.4: until an entry of its own term is committed, a new leader does not know the
  // true commit index. Park the read until then.
  if (!CommittedEntryInCurrentTerm()) {
    reads_waiting_for_commit_.push_back(std::move(read));
    return;
  }
  if (tracker_.voters().size() == 1 && tracker_.IsVoter(id_)) {
    AnswerRead(read);  // a single voter is always the quorum
    return;
  }
  if (reads_.Add(std::move(read))) StartReadRound();
}

void Core::ReleaseReadsWaitingForCommit() {
  if (!CommittedEntryInCurrentTerm()) return;
  std::vector<PendingRead> waiting = std::move(reads_waiting_for_commit_);
  reads_waiting_for_commit_.clear();
  for (auto& r : waiting) HandleReadIndexRequest(r.from, std::move(r.ctx));
}

void Core::StartReadRound() {
  uint64_t round = reads_.StartRound(id_);
  // Step 2 of 6.4: a fresh heartbeat round, acknowledged by a majority, proves we were still
  // the leader after every read in this round arrived.
  for (uint64_t voter : tracker_.voters()) {
    if (voter != id_) SendHeartbeat(voter, round);
  }
}

void Core::FinishReadRound() {
  for (const PendingRead& r : reads_.FinishRound()) AnswerRead(r);
  if (reads_.has_queued()) StartReadRound();
}

void Core::AnswerRead(const PendingRead& read) {
  if (read.from == id_) {
    read_states_.push_back(ReadState{read.index, read.ctx});
    return;
  }
  raftpb::Message m;
  m.set_type(raftpb::MSG_READ_INDEX_RESPONSE);
  m.set_to(read.from);
  m.set_index(read.index);
  m.set_context(read.ctx);
  Send(std::move(m));
}

void Core::HandleTransferLeader(uint64_t transferee) {
  if (transferee == id_ || !tracker_.IsVoter(transferee)) return;
  if (lead_transferee_ != 0) {
    if (lead_transferee_ == transferee) return;  // already under way
    AbortLeaderTransfer();
  }
  // The transfer must finish within one election timeout, or it is abandoned.
  election_elapsed_ = 0;
  lead_transferee_ = transferee;
  const Progress* pr = tracker_.Get(transferee);
  if (pr->match == log_.LastIndex()) {
    SendTimeoutNow(transferee);
  } else {
    SendAppend(transferee);  // catch it up first; TimeoutNow follows its acknowledgement
  }
}

uint64_t Core::BestTransferee() const {
  uint64_t best = 0;
  bool best_active = false;
  uint64_t best_match = 0;
  for (uint64_t voter : tracker_.voters()) {  // in id order: the lowest id wins a tie
    const Progress* pr = tracker_.Get(voter);
    if (voter == id_ || pr == nullptr) continue;
    bool better = best == 0 || (pr->recent_active && !best_active) ||
                  (pr->recent_active == best_active && pr->match > best_match);
    if (better) {
      best = voter;
      best_active = pr->recent_active;
      best_match = pr->match;
    }
  }
  return best;
}

void Core::HandOverLeadershipAfterRemoval() {
  const uint64_t best = BestTransferee();
  if (best == 0) {
    BecomeFollower(term_, 0);
    return;
  }
  HandleTransferLeader(best);
}

void Core::SendTimeoutNow(uint64_t to) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_TIMEOUT_NOW);
  m.set_to(to);
  Send(std::move(m));
}

}  // namespace raftkv::raft
