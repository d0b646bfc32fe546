// Core: construction, role transitions, input validation and dispatch, Ready/Advance.
// Elections live in core_election.cc, replication in core_replication.cc, reads and leadership
// transfer in core_read.cc.
#include "raft/core.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace raftkv::raft {

namespace {

bool IsKnownMessageType(raftpb::MessageType t) {
  return t >= raftpb::MSG_PROPOSE && t <= raftpb::MSG_TIMEOUT_NOW;
}

// Messages that carry entries must carry contiguous ones following `index`.
Status ValidateEntries(const raftpb::Message& m) {
  for (int i = 0; i < m.entries_size(); ++i) {
    const raftpb::Entry& e = m.entries(i);
    if (m.type() == raftpb::MSG_APPEND) {
      if (e.index() != m.index() + 1 + static_cast<uint64_t>(i)) {
        return Status::InvalidArgument("append entries are not contiguous after index " +
                                       std::to_string(m.index()));
      }
      if (e.term() == 0 || e.term() > m.term()) {
        return Status::InvalidArgument("append entry has term " + std::to_string(e.term()) +
                                       " outside (0, " + std::to_string(m.term()) + "]");
      }
      if (i > 0 && e.term() < m.entries(i - 1).term()) {
        return Status::InvalidArgument("append entries have decreasing terms");
      }
    }
    if (e.type() != raftpb::ENTRY_NORMAL && e.type() != raftpb::ENTRY_CONF_CHANGE) {
      return Status::InvalidArgument("entry has an unknown type");
    }
  }
  if (m.type() == raftpb::MSG_SNAPSHOT) {
    const raftpb::SnapshotMetadata& md = m.snapshot().metadata();
    if (md.index() == 0 || md.term() == 0) {
      return Status::InvalidArgument("snapshot without an index or term");
    }
    if (md.term() > m.term()) {
      return Status::InvalidArgument("snapshot ends in term " + std::to_string(md.term()) +
                                     ", above the sender's term " + std::to_string(m.term()));
    }
  }
  if (m.type() == raftpb::MSG_APPEND && m.entries_size() > 0 &&
      m.entries(0).term() < m.log_term()) {
    return Status::InvalidArgument("append entry term is below the previous entry's term");
  }
  return Status::Ok();
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

StatusOr<std::unique_ptr<Core>> Core::Create(const Config& config) {
  RAFTKV_RETURN_IF_ERROR(config.Validate());
  StatusOr<InitialState> init = config.storage->GetInitialState();
  if (!init.ok()) return init.status();
  StatusOr<RaftLog> log = RaftLog::Open(config.storage, config.applied);
  if (!log.ok()) return log.status();
  std::unique_ptr<Core> core(new Core(config, std::move(log).value()));
  const raftpb::HardState& hs = init->hard_state;
  core->tracker_.Reset(init->conf_state, core->log_.LastIndex() + 1);
  core->BecomeFollower(hs.term(), 0);
  core->vote_ = hs.vote();
  // A member whose persisted configuration has voters but not itself was removed (a joiner's is
  // empty): after a restart it keeps the right to stand until it sees a successor.
  core->removed_awaiting_successor_ =
      !core->tracker_.voters().empty() && !core->tracker_.IsMember(config.id);
  core->prev_hard_state_ = core->CurrentHardState();
  core->prev_soft_state_ = core->CurrentSoftState();
  return core;
}

Core::Core(const Config& config, RaftLog log)
    : id_(config.id),
      election_timeout_(config.election_tick),
      heartbeat_timeout_(config.heartbeat_tick),
      max_msg_size_(config.max_size_per_msg),
      max_committed_size_per_ready_(config.max_committed_size_per_ready),
      pre_vote_(config.pre_vote),
      check_quorum_(config.check_quorum),
      log_(std::move(log)),
      tracker_(config.max_inflight_msgs, config.max_inflight_bytes),
      rng_(config.seed ^ (config.id * 0x9E3779B97F4A7C15ULL)) {}

// ---- role transitions ---------------------------------------------------------------------------

void Core::ResetForTerm(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = 0;
  }
  lead_ = 0;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  AbortLeaderTransfer();
  tracker_.ResetVotes();
  // Fresh progress for every member: what a leader knew of them belongs to its own term.
  tracker_.Reset(tracker_.ToConfState(), log_.LastIndex() + 1);
  reads_.Reset();
  reads_waiting_for_commit_.clear();
  pending_conf_index_ = 0;
}

void Core::ResetRandomizedElectionTimeout() {
  randomized_election_timeout_ =
      election_timeout_ + static_cast<int>(rng_() % static_cast<uint64_t>(election_timeout_));
}

void Core::BecomeFollower(uint64_t term, uint64_t lead) {
  ResetForTerm(term);
  lead_ = lead;
  role_ = Role::kFollower;
}

void Core::BecomePreCandidate() {
  // Pre-candidacy changes neither term nor vote (thesis 9.6): nothing is persisted.
  tracker_.ResetVotes();
  lead_ = 0;
  role_ = Role::kPreCandidate;
}

void Core::BecomeCandidate() {
  ResetForTerm(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
}

void Core::BecomeLeader() {
  ResetForTerm(term_);
  lead_ = id_;
  role_ = Role::kLeader;
  // The leader has everything it has persisted; the rest is counted on Advance.
  if (Progress* self = tracker_.Get(id_)) {
    self->BecomeReplicate();
    self->MaybeUpdate(log_.StableLastIndex());
    self->recent_active = true;
  }
  // Conf changes in the uncommitted tail may be pending: allow a new one only after all of it
  // is applied (this also closes the single-server change bug, thesis 4.1 / errata).
  pending_conf_index_ = log_.LastIndex();
  // A no-op of the new term lets the leader commit (and learn the commit index, 5.4.2/6.4).
  std::vector<raftpb::Entry> noop(1);
  AppendEntries(std::move(noop));
  BroadcastAppend();
}

// ---- inputs -------------------------------------------------------------------------------------

void Core::Tick() {
  if (role_ == Role::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
  DebugCheck();
}

Status Core::Step(const raftpb::Message& m) {
  if (!IsKnownMessageType(m.type())) {
    return Status::InvalidArgument("message of unknown type " + std::to_string(m.type()));
  }
  if (m.from() == 0) return Status::InvalidArgument("message without a sender");
  if (m.from() == id_) return Status::InvalidArgument("message claims to come from this member");
  if (m.to() != id_) {
    return Status::InvalidArgument("message for member " + std::to_string(m.to()) +
                                   " delivered to " + std::to_string(id_));
  }
  RAFTKV_RETURN_IF_ERROR(ValidateEntries(m));
  const raftpb::MessageType t = m.type();
  const bool is_vote_request = t == raftpb::MSG_VOTE || t == raftpb::MSG_PRE_VOTE;

  if (m.term() == 0) {
    // Term-less messages: forwarded proposals, reads and transfer requests.
    if (t != raftpb::MSG_PROPOSE && t != raftpb::MSG_READ_INDEX &&
        t != raftpb::MSG_READ_INDEX_RESPONSE && t != raftpb::MSG_TRANSFER_LEADER) {
      return Status::InvalidArgument("message of type " + std::to_string(t) + " without a term");
    }
  } else if (m.term() > term_) {
    if (is_vote_request) {
      // Leader lease (thesis 4.2.3 / 6.2): a member that heard from a leader within the minimum
      // election timeout ignores requests to replace it, unless a transfer asked for it.
      bool in_lease = check_quorum_ && lead_ != 0 && election_elapsed_ < election_timeout_;
      if (in_lease && !m.leader_transfer()) return Status::Ok();
    }
    if (t == raftpb::MSG_PRE_VOTE) {
      // A pre-vote never changes our term.
    } else if (t == raftpb::MSG_PRE_VOTE_RESPONSE && !m.reject()) {
      // The pre-vote asked for term_+1; a grant carries that term. Counted below.
    } else if (t == raftpb::MSG_APPEND || t == raftpb::MSG_HEARTBEAT || t == raftpb::MSG_SNAPSHOT) {
      BecomeFollower(m.term(), m.from());
    } else {
      BecomeFollower(m.term(), 0);
    }
  } else if (m.term() < term_) {
    if ((check_quorum_ || pre_vote_) && (t == raftpb::MSG_HEARTBEAT || t == raftpb::MSG_APPEND)) {
      // A leader from an older term (e.g. one that was partitioned away while we moved on, or
      // that we outgrew through a pre-vote-less election): tell it our term so it steps down.
      raftpb::Message resp;
      resp.set_to(m.from());
      resp.set_type(raftpb::MSG_APPEND_RESPONSE);
      Send(std::move(resp));
    } else if (t == raftpb::MSG_PRE_VOTE) {
      raftpb::Message resp;
      resp.set_to(m.from());
      resp.set_type(raftpb::MSG_PRE_VOTE_RESPONSE);
      resp.set_reject(true);
      Send(std::move(resp));
    }
    return Status::Ok();  // stale: ignored
  }

  if (is_vote_request) {
    HandleVoteRequest(m);
  } else {
    switch (role_) {
      case Role::kLeader:
        StepLeader(m);
        break;
      case Role::kCandidate:
      case Role::kPreCandidate:
        StepCandidate(m);
        break;
      case Role::kFollower:
        StepFollower(m);
        break;
    }
  }
  DebugCheck();
  return Status::Ok();
}

void Core::StepLeader(const raftpb::Message& m) {
  switch (m.type()) {
    case raftpb::MSG_PROPOSE:
      HandlePropose(m);
      break;
    case raftpb::MSG_APPEND_RESPONSE:
      HandleAppendResponse(m);
      break;
    case raftpb::MSG_HEARTBEAT_RESPONSE:
      HandleHeartbeatResponse(m);
      break;
    case raftpb::MSG_READ_INDEX:
      HandleReadIndexRequest(m.from(), m.context());
      break;
    case raftpb::MSG_TRANSFER_LEADER:
      HandleTransferLeader(m.transferee());
      break;
    default:
      break;  // e.g. a late vote response: nothing to do
  }
}

void Core::StepCandidate(const raftpb::Message& m) {
  switch (m.type()) {
    case raftpb::MSG_APPEND:
      BecomeFollower(m.term(), m.from());
      HandleAppend(m);
      break;
    case raftpb::MSG_HEARTBEAT:
      BecomeFollower(m.term(), m.from());
      HandleHeartbeat(m);
      break;
    case raftpb::MSG_SNAPSHOT:
      BecomeFollower(m.term(), m.from());
      HandleSnapshot(m);
      break;
    case raftpb::MSG_VOTE_RESPONSE:
    case raftpb::MSG_PRE_VOTE_RESPONSE:
      HandleVoteResponse(m);
      break;
    default:
      break;  // proposals are dropped without a leader; TimeoutNow is stale
  }
}

void Core::StepFollower(const raftpb::Message& m) {
  switch (m.type()) {
    case raftpb::MSG_PROPOSE:
    case raftpb::MSG_TRANSFER_LEADER:
      // Forwarded once more to the leader we know (no answer is owed to the sender).
      ForwardToLeader(m).IgnoreError();  // without a leader it is dropped; the proposer retries
      break;
    case raftpb::MSG_APPEND:
    case raftpb::MSG_HEARTBEAT:
    case raftpb::MSG_SNAPSHOT:
      // The leader of our term: reset the election timer and remember it.
      election_elapsed_ = 0;
      lead_ = m.from();
      removed_awaiting_successor_ = false;
      if (m.type() == raftpb::MSG_APPEND) {
        HandleAppend(m);
      } else if (m.type() == raftpb::MSG_HEARTBEAT) {
        HandleHeartbeat(m);
      } else {
        HandleSnapshot(m);
      }
      break;
    case raftpb::MSG_TIMEOUT_NOW:
      // Only the leader of our term may tell us to stand (thesis 3.10).
      if (m.from() == lead_) StartCampaign(CampaignKind::kTransfer);
      break;
    case raftpb::MSG_READ_INDEX:
      // A read forwarded to us by a member that took us for the leader. Forwarding it again
      // would make the answer come back to us rather than to the asker, so it is dropped; the
      // asker times out and retries with the leader it learns.
      break;
    case raftpb::MSG_READ_INDEX_RESPONSE:
      read_states_.push_back(ReadState{m.index(), m.context()});
      break;
    default:
      break;
  }
}

Status Core::Propose(std::string data) {
  std::vector<std::string> batch;
  batch.push_back(std::move(data));
  return ProposeBatch(std::move(batch));
}

Status Core::ProposeBatch(std::vector<std::string> data) {
  if (data.empty()) return Status::Ok();
  raftpb::Message m;
  m.set_type(raftpb::MSG_PROPOSE);
  m.set_from(id_);
  for (std::string& d : data) m.add_entries()->set_data(std::move(d));
  if (role_ == Role::kLeader) {
    if (!tracker_.IsMember(id_)) return Status::ProposalDropped("this member was removed");
    if (lead_transferee_ != 0) return Status::ProposalDropped("leadership transfer in progress");
    HandlePropose(m);
    DebugCheck();
    return Status::Ok();
  }
  return ForwardToLeader(std::move(m));
}

Status Core::ProposeConfChange(const raftpb::ConfChange& cc) {
  if (cc.node_id() == 0) return Status::InvalidArgument("conf change without a node id");
  raftpb::Message m;
  m.set_type(raftpb::MSG_PROPOSE);
  m.set_from(id_);
  raftpb::Entry* e = m.add_entries();
  e->set_type(raftpb::ENTRY_CONF_CHANGE);
  e->set_data(cc.SerializeAsString());
  if (role_ == Role::kLeader) {
    if (lead_transferee_ != 0) return Status::ProposalDropped("leadership transfer in progress");
    if (pending_conf_index_ > log_.applied()) {
      return Status::FailedPrecondition("a membership change is already in progress");
    }
    HandlePropose(m);
    DebugCheck();
    return Status::Ok();
  }
  return ForwardToLeader(std::move(m));
}

raftpb::ConfState Core::ApplyConfChange(const raftpb::ConfChange& cc) {
  bool changed = tracker_.ApplyChange(cc, log_.LastIndex() + 1);
  if (changed && !tracker_.IsMember(id_)) removed_awaiting_successor_ = true;
  if (changed && role_ == Role::kLeader) {
    if (!tracker_.IsVoter(id_)) {
      // A leader whose own removal is committed hands over rather than stepping down at once
      // (4.2.2): its heartbeats keep telling the others the commit index -- without it they would
      // still count the removed member's vote -- until the best remaining voter takes over.
      HandOverLeadershipAfterRemoval();
    } else {
      if (lead_transferee_ != 0 && !tracker_.IsMember(lead_transferee_)) AbortLeaderTransfer();
      // The quorum changed: the commit index may advance, and new members need the log.
      if (MaybeCommit()) {
        BroadcastAppend();
      } else {
        for (auto& [id, pr] : tracker_.progress()) {
          if (id != id_) MaybeSendAppend(id, false);
        }
      }
    }
  }
  DebugCheck();
  return tracker_.ToConfState();
}

Status Core::ReadIndex(std::string ctx) {
  if (role_ == Role::kLeader) {
    HandleReadIndexRequest(id_, std::move(ctx));
    DebugCheck();
    return Status::Ok();
  }
  raftpb::Message m;
  m.set_type(raftpb::MSG_READ_INDEX);
  m.set_context(std::move(ctx));
  return ForwardToLeader(std::move(m));
}

Status Core::TransferLeader(uint64_t transferee) {
  if (transferee == 0) return Status::InvalidArgument("transfer to member 0");
  if (role_ == Role::kLeader) {
    if (!tracker_.IsVoter(transferee)) {
      return Status::InvalidArgument("member " + std::to_string(transferee) + " is not a voter");
    }
    HandleTransferLeader(transferee);
    DebugCheck();
    return Status::Ok();
  }
  raftpb::Message m;
  m.set_type(raftpb::MSG_TRANSFER_LEADER);
  m.set_transferee(transferee);
  return ForwardToLeader(std::move(m));
}

void Core::Campaign() {
  if (role_ == Role::kLeader) return;
  StartCampaign(pre_vote_ ? CampaignKind::kPreElection : CampaignKind::kElection);
  DebugCheck();
}

void Core::ReportUnreachable(uint64_t id) {
  if (role_ != Role::kLeader) return;
  Progress* pr = tracker_.Get(id);
  // The follower may have missed appends sent optimistically: fall back to probing.
  if (pr != nullptr && pr->state == ProgressState::kReplicate) pr->BecomeProbe();
}

void Core::ReportSnapshot(uint64_t id, bool success) {
  if (role_ != Role::kLeader) return;
  Progress* pr = tracker_.Get(id);
  if (pr == nullptr || pr->state != ProgressState::kSnapshot) return;
  // On failure, forget the pending snapshot so the next probe can ask for a fresh one.
  if (!success) pr->pending_snapshot = 0;
  pr->BecomeProbe();
  // Wait for the follower's answer (or the next heartbeat) before probing again.
  pr->probe_sent = true;
}

// ---- Ready / Advance ----------------------------------------------------------------------------

raftpb::HardState Core::CurrentHardState() const {
  raftpb::HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(log_.committed());
  return hs;
}

static bool SameHardState(const raftpb::HardState& a, const raftpb::HardState& b) {
  return a.term() == b.term() && a.vote() == b.vote() && a.commit() == b.commit();
}

bool Core::HasReady() const {
  if (ready_outstanding_) return false;
  if (!(CurrentSoftState() == prev_soft_state_)) return true;
  if (!SameHardState(CurrentHardState(), prev_hard_state_)) return true;
  if (log_.unstable_snapshot() || !log_.unstable_entries().empty()) return true;
  if (!msgs_.empty() || !read_states_.empty()) return true;
  return log_.HasNextCommittedEntries();
}

Ready Core::GetReady() {
  Ready rd;
  if (ready_outstanding_) return rd;  // contract violation by the caller: hand out nothing new
  SoftState ss = CurrentSoftState();
  if (!(ss == prev_soft_state_)) {
    rd.soft_state = ss;
    prev_soft_state_ = ss;
  }
  raftpb::HardState hs = CurrentHardState();
  if (!SameHardState(hs, prev_hard_state_)) {
    rd.must_sync = hs.term() != prev_hard_state_.term() || hs.vote() != prev_hard_state_.vote();
    rd.hard_state = hs;
    prev_hard_state_ = hs;
  }
  rd.entries = log_.unstable_entries();
  if (!rd.entries.empty()) rd.must_sync = true;
  if (log_.unstable_snapshot()) {
    rd.snapshot = *log_.unstable_snapshot();
    rd.must_sync = true;
  }
  rd.committed_entries = log_.NextCommittedEntries(max_committed_size_per_ready_);
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.read_states = std::move(read_states_);
  read_states_.clear();

  ready_outstanding_ = true;
  ready_last_entry_index_ = rd.entries.empty() ? 0 : rd.entries.back().index();
  ready_last_entry_term_ = rd.entries.empty() ? 0 : rd.entries.back().term();
  ready_snapshot_index_ = rd.snapshot ? rd.snapshot->metadata().index() : 0;
  ready_last_committed_index_ =
      rd.committed_entries.empty() ? 0 : rd.committed_entries.back().index();
  return rd;
}

void Core::Advance() {
  if (!ready_outstanding_) return;
  ready_outstanding_ = false;
  if (ready_snapshot_index_ != 0) {
    log_.StableSnapshotTo(ready_snapshot_index_);
    log_.AppliedTo(ready_snapshot_index_);
  }
  if (ready_last_entry_index_ != 0) {
    log_.StableTo(ready_last_entry_index_, ready_last_entry_term_);
  }
  if (ready_last_committed_index_ != 0) log_.AppliedTo(ready_last_committed_index_);
  if (role_ == Role::kLeader) MaybeUpdateSelfProgress();
  DebugCheck();
}

// ---- status and invariants ----------------------------------------------------------------------

CoreStatus Core::GetStatus() const {
  CoreStatus s;
  s.id = id_;
  s.hard_state = CurrentHardState();
  s.soft_state = CurrentSoftState();
  s.applied = log_.applied();
  s.last_index = log_.LastIndex();
  s.first_index = log_.FirstIndex();
  s.lead_transferee = lead_transferee_;
  s.conf_state = tracker_.ToConfState();
  return s;
}

Status Core::CheckInvariants() const {
  RAFTKV_RETURN_IF_ERROR(log_.CheckInvariants());
  if (role_ == Role::kLeader && lead_ != id_) {
    return Status::Internal("leader " + std::to_string(id_) + " records leader " +
                            std::to_string(lead_));
  }
  if ((role_ == Role::kCandidate || role_ == Role::kLeader) && vote_ != id_) {
    return Status::Internal("candidate or leader did not vote for itself in its term");
  }
  if (role_ == Role::kLeader) {
    uint64_t last = log_.LastIndex();
    for (const auto& [id, pr] : tracker_.progress()) {
      if (pr.match >= pr.next) {
        return Status::Internal("progress of " + std::to_string(id) + ": match " +
                                std::to_string(pr.match) + " >= next " + std::to_string(pr.next));
      }
      if (pr.match > last) {
        return Status::Internal("progress of " + std::to_string(id) + ": match beyond the log");
      }
    }
    if (const Progress* self = tracker_.Get(id_); self && self->match > log_.StableLastIndex()) {
      return Status::Internal("leader counts itself for entries it has not persisted");
    }
  }
  for (uint64_t id : tracker_.voters()) {
    if (tracker_.IsLearner(id)) return Status::Internal("a member is both voter and learner");
  }
  return Status::Ok();
}

void Core::DebugCheck() const {
#ifdef RAFTKV_CHECK_INVARIANTS
  Status s = CheckInvariants();
  if (!s.ok()) {
    std::fprintf(stderr, "raft core %llu: invariant violated: %s\n",
                 static_cast<unsigned long long>(id_), s.ToString().c_str());
    std::abort();
  }
#endif
}

void Core::Send(raftpb::Message m) {
  m.set_from(id_);
  // Proposals and read requests are term-less (forwarded across terms); responses to a
  // pre-vote carry the term the candidate asked for when granted (set by the caller).
  if (m.term() == 0 && m.type() != raftpb::MSG_PROPOSE && m.type() != raftpb::MSG_READ_INDEX &&
      m.type() != raftpb::MSG_READ_INDEX_RESPONSE && m.type() != raftpb::MSG_TRANSFER_LEADER) {
    m.set_term(term_);
  }
  msgs_.push_back(std::move(m));
}

Status Core::ForwardToLeader(raftpb::Message m) {
  if (lead_ == 0) return Status::ProposalDropped("no leader");
  m.set_to(lead_);
  Send(std::move(m));
  return Status::Ok();
}

bool Core::CommittedEntryInCurrentTerm() const {
  return log_.TermOrZero(log_.committed()) == term_;
}

}  // namespace raftkv::raft
