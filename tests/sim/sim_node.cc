#include "tests/sim/sim_node.h"

#include <algorithm>
#include <utility>

#include "tests/sim/sim_strings.h"

namespace raftkv::sim {
namespace {

// Messages a leader may send before its own write completes (thesis 10.2.1).
bool LeaderMessage(raftpb::MessageType t) {
  return t == raftpb::MSG_APPEND || t == raftpb::MSG_HEARTBEAT || t == raftpb::MSG_SNAPSHOT;
}

}  // namespace

SimNode::SimNode(uint64_t id, const std::vector<uint64_t>& founders, NodeServices services)
    : id_(id), s_(services) {
  if (founders.empty()) return;
  Status st = storage_.Bootstrap(founders);
  if (!st.ok()) {
    s_.checker->Fail(kUnexpectedError, StrCat("n", id_, " Bootstrap failed: ", st.ToString()));
    return;
  }
  StatusOr<raft::InitialState> init = storage_.GetInitialState();
  if (!init.ok()) {
    s_.checker->Fail(kUnexpectedError,
                     StrCat("n", id_, " GetInitialState failed: ", init.status().ToString()));
    return;
  }
  bootstrap_conf_ = init->conf_state;
  bootstrap_index_ = storage_.LastIndex();
  synced_hard_state_ = storage_.hard_state();
}

void SimNode::TraceLine(const std::string& text) { s_.trace->Line(StrCat("n", id_, " ", text)); }

uint64_t SimNode::DurableCommit() const {
  const uint64_t snapshot_index = storage_.FirstIndex() - 1;
  uint64_t commit = unsynced_write_ ? synced_hard_state_.commit() : storage_.hard_state().commit();
  return std::max(commit, snapshot_index);
}

// ---- Lifecycle ----------------------------------------------------------------------------------

void SimNode::Start() {
  if (up() || stopped_) return;
  ++incarnation_;
  StatusOr<raftpb::Snapshot> snap = storage_.GetSnapshot();
  if (!snap.ok()) {
    s_.checker->Fail(kUnexpectedError,
                     StrCat("n", id_, " GetSnapshot failed: ", snap.status().ToString()));
    return;
  }
  const uint64_t snap_index = snap->metadata().index();
  if (snap_index > 0) {
    std::optional<KvStateMachine> sm = KvStateMachine::Parse(snap->data());
    if (!sm || sm->applied() != snap_index) {
      s_.checker->Fail(kUnexpectedError,
                       StrCat("n", id_, " cannot restore its snapshot at ", snap_index));
      return;
    }
    sm_ = std::move(*sm);
    applied_conf_ = snap->metadata().conf_state();
  } else {
    sm_ = KvStateMachine(bootstrap_index_);
    applied_conf_ = bootstrap_conf_;
  }
  // The membership recorded with the applied index (the state machine's snapshot).
  storage_.SetConfState(applied_conf_);

  const SimParams& p = *s_.params;
  raft::Config cfg;
  cfg.id = id_;
  cfg.election_tick = p.election_tick;
  cfg.heartbeat_tick = p.heartbeat_tick;
  cfg.storage = &storage_;
  cfg.applied = sm_.applied();
  cfg.max_size_per_msg = p.max_size_per_msg;
  cfg.max_inflight_msgs = p.max_inflight_msgs;
  cfg.max_committed_size_per_ready = p.max_committed_size_per_ready;
  cfg.pre_vote = p.pre_vote;
  cfg.check_quorum = p.check_quorum;
  cfg.seed = s_.rng->Next();
  StatusOr<std::unique_ptr<raft::Core>> core = raft::Core::Create(cfg);
  if (!core.ok()) {
    s_.checker->Fail(
        kUnexpectedError,
        StrCat("n", id_, " Core::Create failed on its own disk: ", core.status().ToString()));
    return;
  }
  core_ = std::move(core).value();
  ready_.reset();
  pending_reads_.clear();
  last_role_ = core_->role();
  // Clock skew: each incarnation's tick period is off by up to clock_skew.
  const double skew = p.clock_skew * (static_cast<double>(s_.rng->Uniform(0, 2000)) / 1000 - 1);
  tick_period_us_ = std::max<uint64_t>(1, static_cast<uint64_t>(p.tick_us * (1 + skew)));
  s_.trace->Mix(0x5747 ^ id_);
  if (s_.trace->recording()) {
    TraceLine(StrCat("START incarnation ", incarnation_, " term ", storage_.hard_state().term(),
                     " vote ", storage_.hard_state().vote(), " commit ",
                     storage_.hard_state().commit(), " snap ", snap_index, " log [",
                     storage_.FirstIndex(), ",", storage_.LastIndex(), "] conf ",
                     DescribeConf(applied_conf_)));
  }
  // The first tick comes at a random phase of the period.
  const uint64_t inc = incarnation_;
  s_.queue->After(s_.rng->Uniform(1, tick_period_us_), [this, inc]() {
    if (inc == incarnation_ && up()) ScheduleTick();
  });
  AfterInput();
}

void SimNode::ScheduleTick() {
  // Runs one tick now and schedules the next.
  s_.trace->Mix(0x71c4 ^ id_);
  core_->Tick();
  AfterInput();
  const uint64_t inc = incarnation_;
  s_.queue->After(tick_period_us_, [this, inc]() {
    if (inc == incarnation_ && up()) ScheduleTick();
  });
}

void SimNode::Crash() {
  if (!up()) return;
  core_.reset();
  ready_.reset();
  pending_reads_.clear();
  sm_ = KvStateMachine();
  bool lost = false;
  if (unsynced_write_ && s_.rng->Chance(s_.params->unsynced_loss)) {
    storage_.SetHardState(synced_hard_state_);
    lost = true;
  }
  unsynced_write_ = false;
  s_.checker->ForgetCore(id_);
  s_.trace->Mix(0xc7a5 ^ id_);
  if (s_.trace->recording()) {
    TraceLine(StrCat("CRASH", lost ? " (lost an unsynced hard state)" : "", "; disk: term ",
                     storage_.hard_state().term(), " vote ", storage_.hard_state().vote(),
                     " commit ", storage_.hard_state().commit(), " log [", storage_.FirstIndex(),
                     ",", storage_.LastIndex(), "]"));
  }
}

void SimNode::Stop() {
  Crash();
  stopped_ = true;
  if (s_.trace->recording()) TraceLine("STOPPED");
}

void SimNode::Revive() {
  if (!stopped_) return;
  stopped_ = false;
  if (s_.trace->recording()) TraceLine("REVIVED");
  Start();
}

// ---- Inputs -------------------------------------------------------------------------------------

void SimNode::AfterInput() {
  if (!up()) return;
  Observe();
  MaybeStartReady();
}

void SimNode::Observe() {
  const raft::RaftLog& log = core_->log();
  CoreView v;
  v.id = id_;
  v.term = core_->term();
  v.leader = core_->is_leader();
  v.committed = log.committed();
  v.first_index = log.FirstIndex();
  v.last_index = log.LastIndex();
  v.term_at = [&log](uint64_t i) { return log.Term(i); };
  s_.checker->ObserveCore(v);
  if (core_->role() != last_role_) {
    last_role_ = core_->role();
    s_.trace->Mix(0x201e ^ (id_ << 8) ^ static_cast<uint64_t>(last_role_));
    if (s_.trace->recording()) {
      TraceLine(StrCat("becomes ", raft::RoleName(last_role_), " term ", core_->term(), " log [",
                       log.FirstIndex(), ",", log.LastIndex(), "] commit ", log.committed()));
    }
  }
}

void SimNode::Receive(const raftpb::Message& m) {
  if (!up()) return;
  s_.trace->Mix((static_cast<uint64_t>(m.type()) << 48) ^ (m.from() << 40) ^ (m.to() << 32) ^
                (m.term() << 20) ^ m.index());
  if (s_.trace->recording()) TraceLine("recv " + DescribeMessage(m));
  Status st = core_->Step(m);
  if (!st.ok()) {
    ++step_errors_;
    if (s_.trace->recording()) TraceLine("Step: " + st.ToString());
    // The network delivers messages intact and only to their addressee, so a message one core
    // produced and another rejects as malformed means the two disagree on the wire format.
    if (st.code() == StatusCode::kInvalidArgument) {
      s_.checker->Fail(kUnexpectedError, StrCat("n", id_, " rejected ", DescribeMessage(m),
                                                " as malformed: ", st.ToString()));
    }
  }
  AfterInput();
}

void SimNode::ReportSnapshot(uint64_t to, bool ok) {
  if (!up()) return;
  if (s_.trace->recording()) TraceLine(StrCat("ReportSnapshot(n", to, ", ", ok, ")"));
  core_->ReportSnapshot(to, ok);
  AfterInput();
}

void SimNode::ReportUnreachable(uint64_t to) {
  if (!up()) return;
  if (s_.trace->recording()) TraceLine(StrCat("ReportUnreachable(n", to, ")"));
  core_->ReportUnreachable(to);
  AfterInput();
}

Status SimNode::Propose(const Command& cmd) {
  if (!up()) return Status::ProposalDropped("node is down");
  // The write begins now; it is acknowledged when this incarnation applies it.
  s_.checker->OnWriteProposed(cmd.id, id_, incarnation_);
  Status st = core_->Propose(EncodeCommand(cmd));
  s_.trace->Mix(0x9909 ^ (id_ << 4) ^ static_cast<uint64_t>(st.code()));
  if (s_.trace->recording()) {
    TraceLine(StrCat("Propose ", EncodeCommand(cmd), " -> ", st.ToString()));
  }
  AfterInput();
  return st;
}

Status SimNode::ReadIndex(const std::string& ctx, const std::string& key) {
  if (!up()) return Status::ProposalDropped("node is down");
  // The read begins now: it must observe every write acknowledged so far.
  s_.checker->OnReadStarted(ctx, id_, key);
  Status st = core_->ReadIndex(ctx);
  s_.trace->Mix(0x4ead ^ (id_ << 4) ^ static_cast<uint64_t>(st.code()));
  if (s_.trace->recording()) {
    TraceLine(StrCat("ReadIndex ", ctx, " key ", key, " (acked writes up to ",
                     s_.checker->max_completed_write(), ") -> ", st.ToString()));
  }
  AfterInput();
  return st;
}

Status SimNode::TransferLeader(uint64_t transferee) {
  if (!up()) return Status::ProposalDropped("node is down");
  Status st = core_->TransferLeader(transferee);
  s_.trace->Mix(0x7a5f ^ (id_ << 4) ^ transferee);
  if (s_.trace->recording()) {
    TraceLine(StrCat("TransferLeader(n", transferee, ") -> ", st.ToString()));
  }
  AfterInput();
  return st;
}

Status SimNode::ProposeConfChange(const raftpb::ConfChange& cc) {
  if (!up()) return Status::ProposalDropped("node is down");
  Status st = core_->ProposeConfChange(cc);
  s_.trace->Mix(0xcc ^ (id_ << 4) ^ (cc.node_id() << 8) ^ static_cast<uint64_t>(cc.type()));
  if (s_.trace->recording()) {
    TraceLine(StrCat("ProposeConfChange(", raftpb::ConfChangeType_Name(cc.type()), " n",
                     cc.node_id(), ") -> ", st.ToString()));
  }
  AfterInput();
  return st;
}

void SimNode::Campaign() {
  if (!up()) return;
  if (s_.trace->recording()) TraceLine("Campaign()");
  s_.trace->Mix(0xca4a ^ id_);
  core_->Campaign();
  AfterInput();
}

void SimNode::Compact(uint64_t max_keep) {
  if (!up()) return;
  StatusOr<raftpb::Snapshot> snap = storage_.GetSnapshot();
  if (!snap.ok()) {
    s_.checker->Fail(kUnexpectedError,
                     StrCat("n", id_, " GetSnapshot failed: ", snap.status().ToString()));
    return;
  }
  uint64_t snap_index = snap->metadata().index();
  const uint64_t applied = sm_.applied();
  if (applied > snap_index) {
    Status st = storage_.CreateSnapshot(applied, applied_conf_, sm_.Serialize());
    if (!st.ok()) {
      s_.checker->Fail(kUnexpectedError,
                       StrCat("n", id_, " CreateSnapshot(", applied, ") failed: ", st.ToString()));
      return;
    }
    snap_index = applied;
  }
  // Keep a random tail below the snapshot so lagging followers sometimes need no snapshot.
  const uint64_t keep = s_.rng->Uniform(0, max_keep);
  const uint64_t compact_to = snap_index > keep ? snap_index - keep : 0;
  if (compact_to > 0) {
    Status st = storage_.Compact(compact_to);
    if (!st.ok()) {
      s_.checker->Fail(kUnexpectedError,
                       StrCat("n", id_, " Compact(", compact_to, ") failed: ", st.ToString()));
      return;
    }
  }
  s_.trace->Mix(0xc0c0 ^ (id_ << 32) ^ compact_to);
  if (s_.trace->recording()) {
    TraceLine(StrCat("COMPACT snapshot at ", snap_index, " conf ", DescribeConf(applied_conf_),
                     "; log now [", storage_.FirstIndex(), ",", storage_.LastIndex(), "]"));
  }
  AfterInput();  // the core may now need to send snapshots instead of entries
}

// ---- Ready: step A ------------------------------------------------------------------------------

void SimNode::MaybeStartReady() {
  if (!up() || ready_ || !core_->HasReady()) return;
  ready_ = core_->GetReady();
  raft::Ready& rd = *ready_;
  s_.trace->Mix(0x4ead7 ^ (rd.entries.size() << 32) ^ (rd.committed_entries.size() << 16) ^
                rd.messages.size());
  if (s_.trace->recording()) {
    std::string text = StrCat("ready: ", rd.entries.size(), " entries");
    if (!rd.entries.empty()) {
      text += StrCat(" [", rd.entries.front().index(), "..", rd.entries.back().index(), "]");
    }
    if (rd.hard_state) {
      text += StrCat(" hs(t", rd.hard_state->term(), " v", rd.hard_state->vote(), " c",
                     rd.hard_state->commit(), ")");
    }
    if (rd.snapshot) text += StrCat(" snap@", rd.snapshot->metadata().index());
    text += StrCat(" commit ", rd.committed_entries.size(), " msgs ", rd.messages.size(), " reads ",
                   rd.read_states.size(), rd.must_sync ? " sync" : "");
    TraceLine(text);
  }
  if (s_.rng->Chance(s_.params->early_send)) {
    // Thesis 10.2.1: a leader's appends, heartbeats and snapshots may leave before its write.
    std::vector<raftpb::Message> rest;
    for (raftpb::Message& m : rd.messages) {
      if (LeaderMessage(m.type())) {
        if (s_.trace->recording()) TraceLine("send early " + DescribeMessage(m));
        SendMessage(m);
      } else {
        rest.push_back(std::move(m));
      }
    }
    rd.messages = std::move(rest);
  }
  const uint64_t inc = incarnation_;
  s_.queue->After(s_.rng->Uniform(0, s_.params->disk_max_latency_us), [this, inc]() {
    if (inc == incarnation_ && up()) FinishReady();
  });
}

void SimNode::SendMessage(const raftpb::Message& m) {
  s_.checker->OnSend(id_, m, storage_);
  s_.network->Send(m, incarnation_);
}

// ---- Ready: step B ------------------------------------------------------------------------------

void SimNode::FinishReady() {
  if (!ready_) return;
  raft::Ready rd = std::move(*ready_);
  // ready_ stays engaged (moved-from) until Advance: no new Ready may start before it.
  const raftpb::HardState before = storage_.hard_state();

  // 1. Persist: snapshot, entries, hard state -- one atomic write.
  const bool term_or_vote_changed = rd.hard_state && (rd.hard_state->term() != before.term() ||
                                                      rd.hard_state->vote() != before.vote());
  if ((!rd.entries.empty() || term_or_vote_changed) && !rd.must_sync) {
    s_.checker->Fail(kDurability, StrCat("n", id_, " Ready has ", rd.entries.size(),
                                         " entries / term or vote change but must_sync is false"));
    return;
  }
  if (rd.snapshot) {
    Status st = storage_.ApplySnapshot(*rd.snapshot);
    if (!st.ok()) {
      s_.checker->Fail(kReadyContract,
                       StrCat("n", id_, " cannot persist the Ready's snapshot: ", st.ToString()));
      return;
    }
  }
  Status st = storage_.Append(rd.entries);
  if (!st.ok()) {
    s_.checker->Fail(kReadyContract,
                     StrCat("n", id_, " cannot persist the Ready's entries: ", st.ToString()));
    return;
  }
  if (rd.hard_state) storage_.SetHardState(*rd.hard_state);
  if (rd.must_sync || rd.snapshot) {
    synced_hard_state_ = storage_.hard_state();
    unsynced_write_ = false;
  } else if (rd.hard_state) {
    unsynced_write_ = true;
  }
  s_.checker->OnPersisted(id_, before, storage_.hard_state(), rd.entries, storage_);
  if (s_.checker->failed()) return;

  // 2. Send what depends on the write.
  for (const raftpb::Message& m : rd.messages) {
    if (s_.trace->recording()) TraceLine("send " + DescribeMessage(m));
    SendMessage(m);
  }

  // 3. Install the snapshot, apply committed entries.
  if (rd.snapshot) InstallSnapshot(*rd.snapshot);
  for (const raftpb::Entry& e : rd.committed_entries) {
    if (s_.checker->failed() || !up()) return;
    ApplyEntry(e);
  }
  if (!up()) return;

  // 4. Reads.
  for (const raft::ReadState& rs : rd.read_states) {
    s_.checker->OnReadState(id_, rs);
    if (s_.trace->recording()) {
      TraceLine(StrCat("read state ", rs.request_ctx, " index ", rs.index));
    }
    pending_reads_.push_back(rs);
  }
  ServeReads();

  // 5. Acknowledge the write.
  ready_.reset();
  core_->Advance();
  AfterInput();
}

void SimNode::InstallSnapshot(const raftpb::Snapshot& snap) {
  const raftpb::SnapshotMetadata& md = snap.metadata();
  if (md.index() <= sm_.applied()) {
    s_.checker->Fail(kReadyContract, StrCat("n", id_, " was handed a snapshot at ", md.index(),
                                            " to install but has applied ", sm_.applied()));
    return;
  }
  std::optional<KvStateMachine> sm = KvStateMachine::Parse(snap.data());
  if (!sm || sm->applied() != md.index()) {
    s_.checker->Fail(kUnexpectedError,
                     StrCat("n", id_, " received unreadable snapshot data at ", md.index()));
    return;
  }
  sm_ = std::move(*sm);
  applied_conf_ = md.conf_state();
  s_.trace->Mix(0x5a5a ^ md.index());
  if (s_.trace->recording()) {
    TraceLine(StrCat("install snapshot (", md.index(), ",", md.term(), ") conf ",
                     DescribeConf(md.conf_state())));
  }
  s_.checker->OnSnapshotInstalled(id_, md, sm_.Hash());
}

void SimNode::ApplyEntry(const raftpb::Entry& e) {
  if (e.index() != sm_.applied() + 1) {
    s_.checker->Fail(kReadyContract, StrCat("n", id_, " was handed committed entry ", e.index(),
                                            " to apply after applying ", sm_.applied()));
    return;
  }
  StatusOr<uint64_t> disk_term = storage_.Term(e.index());
  if (!disk_term.ok() || *disk_term != e.term()) {
    s_.checker->Fail(kDurability, StrCat("n", id_, " was handed committed entry (", e.index(), ",",
                                         e.term(), ") to apply but its disk has ",
                                         disk_term.ok() ? StrCat("term ", *disk_term)
                                                        : disk_term.status().ToString()));
    return;
  }
  std::optional<Command> cmd;
  if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
    raftpb::ConfChange cc;
    if (!cc.ParseFromString(e.data())) {
      s_.checker->Fail(kUnexpectedError,
                       StrCat("n", id_, " cannot parse the conf change at ", e.index()));
      return;
    }
    applied_conf_ = core_->ApplyConfChange(cc);
    sm_.Apply(e.index(), nullptr);
    if (s_.trace->recording()) {
      TraceLine(StrCat("apply ", e.index(), " conf change ", raftpb::ConfChangeType_Name(cc.type()),
                       " n", cc.node_id(), " -> ", DescribeConf(applied_conf_)));
    }
    s_.checker->OnConfApplied(id_, e.index(), applied_conf_);
    Observe();
  } else if (!e.data().empty()) {
    cmd = ParseCommand(e.data());
    if (!cmd) {
      s_.checker->Fail(kUnexpectedError,
                       StrCat("n", id_, " cannot parse the command at ", e.index()));
      return;
    }
    sm_.Apply(e.index(), &*cmd);
  } else {
    sm_.Apply(e.index(), nullptr);
  }
  s_.trace->Mix(0xa991 ^ (id_ << 40) ^ e.index());
  if (s_.trace->recording() && e.type() != raftpb::ENTRY_CONF_CHANGE) {
    TraceLine(StrCat("apply ", e.index(), " t", e.term(), " ",
                     e.data().empty() ? std::string("no-op") : e.data()));
  }
  s_.checker->OnApplied(id_, incarnation_, e, cmd ? &*cmd : nullptr, sm_.Hash());
}

void SimNode::ServeReads() {
  auto ready_end = std::stable_partition(
      pending_reads_.begin(), pending_reads_.end(),
      [this](const raft::ReadState& rs) { return rs.index <= sm_.applied(); });
  for (auto it = pending_reads_.begin(); it != ready_end; ++it) {
    const std::string key = s_.checker->ReadKey(it->request_ctx);
    const std::string value = sm_.Get(key);
    if (s_.trace->recording()) {
      TraceLine(StrCat("serve read ", it->request_ctx, " at ", sm_.applied(), ": ", key, "='",
                       value, "'"));
    }
    s_.checker->OnReadServed(id_, it->request_ctx, sm_.applied(), value);
  }
  pending_reads_.erase(pending_reads_.begin(), ready_end);
}

}  // namespace raftkv::sim
