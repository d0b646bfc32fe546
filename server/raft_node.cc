#include "server/raft_node.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "raft/config.h"
#include "storage/thread_name.h"

namespace raftkv::server {
namespace {

// A first ReadIndex round number for this start, below 2^63: the wall clock in nanoseconds and
// the member id, mixed (splitmix64's finalizer), so two starts never share round numbers.
uint64_t FirstReadRound(uint64_t member_id) {
  uint64_t x = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) ^
               (member_id * 0x9e3779b97f4a7c15ULL);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return (x ^ (x >> 31)) >> 1;
}

// The most command bytes proposed in one batch: a follower forwards a batch in one message.
constexpr size_t kMaxProposalBatchBytes = 1 << 20;

// Messages a leader may send before its own write is durable (raft/ready.h, step 2).
bool MaySendBeforePersist(const raftpb::Message& m) {
  return m.type() == raftpb::MSG_APPEND || m.type() == raftpb::MSG_HEARTBEAT ||
         m.type() == raftpb::MSG_SNAPSHOT;
}

}  // namespace

RaftNode::RaftNode(RaftNodeOptions options, storage::RaftLogStore* log, Applier* applier,
                   PeerSender* sender, ApplyWaiters* apply_waiters, ReadIndexWaiters* read_waiters)
    : options_(options),
      log_(log),
      applier_(applier),
      sender_(sender),
      apply_waiters_(apply_waiters),
      read_waiters_(read_waiters) {}

RaftNode::~RaftNode() { Stop(); }

Status RaftNode::Start() {
  raft::Config config;
  config.id = options_.id;
  config.election_tick = options_.election_tick;
  config.heartbeat_tick = 1;
  config.storage = log_;
  config.seed = options_.seed;
  // The state machine holds everything up to the applier's index; the core hands out committed
  // entries after it. It can be ahead of the log's commit after a snapshot restore (the entries
  // in between are then skipped when they commit again) and never behind the log snapshot.
  const uint64_t snapshot_index = log_->GetSnapshot()->metadata().index();
  config.applied =
      std::min(std::max(applier_->applied_index(), snapshot_index), log_->hard_state().commit());
  auto core = raft::Core::Create(config);
  if (!core.ok()) return core.status();
  core_ = std::move(*core);
  conf_history_.clear();
  conf_history_[snapshot_index] = log_->conf_state();
  next_round_ = FirstReadRound(options_.id);
  proposal_ids_.clear();
  proposal_data_.clear();
  asked_rounds_.clear();
  reads_to_ask_.clear();
  PublishState();
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = false;
  thread_ = std::thread([this] {
    NameThisThread("kvd-raft");
    Main();
  });
  return Status::Ok();
}

void RaftNode::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  read_waiters_->CompleteAll(
      ReadIndexOutcome{Status::Unavailable("etcdserver: server stopped"), 0});
}

void RaftNode::Enqueue(Input input) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.push_back(std::move(input));
  }
  cv_.notify_one();
}

void RaftNode::Step(raftpb::Message message) {
  Enqueue(Input{Input::Kind::kMessage, std::move(message), {}, 0, false});
}
void RaftNode::Propose(uint64_t request_id, std::string data) {
  Enqueue(Input{Input::Kind::kPropose, {}, std::move(data), request_id, false});
}
void RaftNode::ReadIndex(uint64_t read_id) {
  Enqueue(Input{Input::Kind::kReadIndex, {}, {}, read_id, false});
}
void RaftNode::ReportUnreachable(uint64_t peer) {
  Enqueue(Input{Input::Kind::kUnreachable, {}, {}, peer, false});
}
void RaftNode::ReportSnapshot(uint64_t peer, bool success) {
  Enqueue(Input{Input::Kind::kSnapshotReport, {}, {}, peer, success});
}
void RaftNode::TransferLeadership(uint64_t transferee) {
  Enqueue(Input{Input::Kind::kTransfer, {}, {}, transferee, false});
}
void RaftNode::HandOverLeadership() { Enqueue(Input{Input::Kind::kHandOver, {}, {}, 0, false}); }

NodeState RaftNode::state() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return state_;
}

uint64_t RaftNode::term() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return state_.term;
}

void RaftNode::PublishState() {
  NodeState s;
  s.term = core_->term();
  s.leader = core_->leader();
  s.commit = core_->log().committed();
  s.last_index = core_->log().LastIndex();
  s.is_leader = core_->is_leader();
  s.conf_state = core_->GetStatus().conf_state;
  std::lock_guard<std::mutex> lock(state_mu_);
  state_ = std::move(s);
}

void RaftNode::Main() {
  auto next_tick = std::chrono::steady_clock::now() + options_.tick_interval;
  std::vector<Input> inputs;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, next_tick, [&] { return stop_ || !inbox_.empty(); });
      if (stop_) return;
      inputs.swap(inbox_);
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_tick) {
      core_->Tick();
      next_tick += options_.tick_interval;
      // After a long stall (a slow disk), do not replay the missed ticks in a burst.
      if (next_tick < now) next_tick = now + options_.tick_interval;
    }
    for (Input& input : inputs) Handle(input);
    inputs.clear();
    ProposeQueued();
    AskReadIndex();
    ForgetUnansweredReadRounds(now);
    while (core_->HasReady()) {
      ProcessReady();
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) return;
      }
    }
    PublishState();
    MaybeSnapshotLog();
  }
}

void RaftNode::Handle(Input& input) {
  switch (input.kind) {
    case Input::Kind::kMessage: {
      Status s = core_->Step(input.message);
      if (!s.ok()) {
        spdlog::warn("member {:x}: refused a message from {:x}: {}", options_.id,
                     input.message.from(), s.ToString());
      }
      break;
    }
    case Input::Kind::kPropose:
      proposal_ids_.push_back(input.id);  // ProposeQueued, after the whole inbox
      proposal_data_.push_back(std::move(input.data));
      break;
    case Input::Kind::kReadIndex:
      reads_to_ask_.push_back(input.id);  // AskReadIndex, after the whole inbox
      break;
    case Input::Kind::kUnreachable:
      core_->ReportUnreachable(input.id);
      break;
    case Input::Kind::kSnapshotReport:
      core_->ReportSnapshot(input.id, input.success);
      break;
    case Input::Kind::kTransfer:
      core_->TransferLeader(input.id).IgnoreError();  // the client watches the leader change
      break;
    case Input::Kind::kHandOver:
      if (const uint64_t best = core_->BestTransferee(); core_->is_leader() && best != 0) {
        core_->TransferLeader(best).IgnoreError();  // the caller watches the leader change
      }
      break;
  }
}

bool RaftNode::PersistWithRetry(const raft::Ready& ready) {
  for (int attempt = 0;; ++attempt) {
    Status s = log_->Save(ready);
    if (s.ok()) return true;
    if (attempt == 0) {
      spdlog::error("member {:x}: persisting the raft log failed: {}; retrying", options_.id,
                    s.ToString());
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; })) return false;
  }
}

void RaftNode::ProcessReady() {
  raft::Ready ready = core_->GetReady();

  // 0. Committed entries are durable locally already (raft/ready.h, step 3): the applier starts
  // on them now, in parallel with this Ready's sends and write, instead of one write (under
  // load, one fsync) later; read states, which only wait for the applier, follow the leader's
  // appends. A Ready that installs a snapshot keeps the strict order: its entries follow the
  // snapshot's key space.
  std::vector<raftpb::Entry> conf_changes;
  if (!ready.snapshot) {
    for (const raftpb::Entry& entry : ready.committed_entries) {
      if (entry.type() == raftpb::ENTRY_CONF_CHANGE) conf_changes.push_back(entry);
    }
    applier_->Enqueue(std::move(ready.committed_entries));
    ready.committed_entries.clear();
  }

  // 1. A leader's appends, heartbeats and snapshots leave before its own write.
  std::vector<raftpb::Message> early, after;
  for (raftpb::Message& m : ready.messages) {
    (core_->is_leader() && MaySendBeforePersist(m) ? early : after).push_back(std::move(m));
  }
  if (!early.empty()) sender_->Send(std::move(early));
  if (!ready.snapshot) CompleteReadStates(ready.read_states);
  if (ready.soft_state) NoteLeader(ready.soft_state->leader);

  // 2. Persist. A snapshot arrives here only after the transport restored the key space it
  // describes (snapshot_install.h), so the state machine already holds its index.
  if (ready.snapshot && applier_->applied_index() < ready.snapshot->metadata().index()) {
    spdlog::critical("member {:x}: snapshot at {} installed before its key space (applied {})",
                     options_.id, ready.snapshot->metadata().index(), applier_->applied_index());
  }
  if (!PersistWithRetry(ready)) return;  // stopping: the Ready is lost, the log is intact
  if (ready.snapshot) {
    conf_history_.clear();
    conf_history_[ready.snapshot->metadata().index()] = ready.snapshot->metadata().conf_state();
    for (const raftpb::Entry& entry : ready.committed_entries) {
      if (entry.type() == raftpb::ENTRY_CONF_CHANGE) conf_changes.push_back(entry);
    }
  }

  // 3. Messages that depend on the write.
  if (!after.empty()) sender_->Send(std::move(after));

  // 4. Configuration changes take effect in the core now (before Advance, raft/ready.h step 3).
  for (const raftpb::Entry& entry : conf_changes) {
    raftpb::ConfChange cc;
    if (!cc.ParseFromString(entry.data())) {
      spdlog::error("member {:x}: conf change entry {} does not parse; skipped", options_.id,
                    entry.index());
      continue;
    }
    raftpb::ConfState cs = core_->ApplyConfChange(cc);
    conf_history_[entry.index()] = cs;
    if (Status s = log_->SetConfState(cs); !s.ok()) {
      spdlog::error("member {:x}: persisting the configuration failed: {}", options_.id,
                    s.ToString());
    }
  }
  if (ready.snapshot) {
    applier_->Enqueue(std::move(ready.committed_entries));
    CompleteReadStates(ready.read_states);
  }

  // 5.
  core_->Advance();
}

void RaftNode::ProposeQueued() {
  size_t begin = 0;
  while (begin < proposal_ids_.size()) {
    // Up to kMaxProposalBatchBytes per batch (at least one proposal).
    size_t end = begin;
    size_t bytes = 0;
    std::vector<std::string> batch;
    while (end < proposal_ids_.size() &&
           (end == begin || bytes + proposal_data_[end].size() <= kMaxProposalBatchBytes)) {
      bytes += proposal_data_[end].size();
      batch.push_back(std::move(proposal_data_[end]));
      ++end;
    }
    if (Status s = core_->ProposeBatch(std::move(batch)); !s.ok()) {
      const bool no_leader = core_->leader() == 0;
      for (size_t i = begin; i < end; ++i) {
        apply_waiters_->Complete(
            proposal_ids_[i],
            ApplyOutcome{Status::Unavailable(no_leader ? "etcdserver: no leader"
                                                       : "etcdserver: leader changed"),
                         {},
                         0});
      }
    }
    begin = end;
  }
  proposal_ids_.clear();
  proposal_data_.clear();
}

void RaftNode::AskReadIndex() {
  if (reads_to_ask_.empty()) return;
  const uint64_t round = next_round_++;
  std::string ctx(8, '\0');
  for (int i = 0; i < 8; ++i) ctx[i] = static_cast<char>(round >> (8 * i));
  // Recorded first: a single voter answers inside ReadIndex.
  auto asked = asked_rounds_
                   .emplace(round, AskedRound{std::chrono::steady_clock::now(), core_->leader(),
                                              std::move(reads_to_ask_)})
                   .first;
  reads_to_ask_.clear();
  if (Status s = core_->ReadIndex(std::move(ctx)); !s.ok()) {
    for (uint64_t id : asked->second.read_ids) {
      read_waiters_->Complete(id,
                              ReadIndexOutcome{Status::Unavailable("etcdserver: no leader"), 0});
    }
    asked_rounds_.erase(asked);
  }
}

void RaftNode::NoteLeader(uint64_t leader) {
  // A round asked of another leader may never be answered (a leader that steps down drops its
  // pending reads): like etcd, its reads fail now and the clients retry. Rounds asked of this
  // leader stand (a Ready's soft state can trail the core, which asks of the leader it knows).
  for (auto it = asked_rounds_.begin(); it != asked_rounds_.end();) {
    if (it->second.leader == leader) {
      ++it;
      continue;
    }
    for (uint64_t id : it->second.read_ids) {
      read_waiters_->Complete(
          id, ReadIndexOutcome{Status::Unavailable("etcdserver: leader changed"), 0});
    }
    it = asked_rounds_.erase(it);
  }
}

void RaftNode::CompleteReadStates(const std::vector<raft::ReadState>& read_states) {
  for (const raft::ReadState& rs : read_states) {
    if (rs.request_ctx.size() != 8) continue;
    uint64_t round = 0;
    for (int i = 0; i < 8; ++i)
      round |= uint64_t{static_cast<unsigned char>(rs.request_ctx[i])} << (8 * i);
    auto it = asked_rounds_.find(round);
    if (it == asked_rounds_.end()) continue;  // forgotten, or answered twice
    for (uint64_t id : it->second.read_ids) {
      read_waiters_->Complete(id, ReadIndexOutcome{Status::Ok(), rs.index});
    }
    asked_rounds_.erase(it);
  }
}

void RaftNode::ForgetUnansweredReadRounds(std::chrono::steady_clock::time_point now) {
  while (!asked_rounds_.empty() &&
         now - asked_rounds_.begin()->second.asked > options_.read_round_lifetime) {
    asked_rounds_.erase(asked_rounds_.begin());
  }
}

void RaftNode::MaybeSnapshotLog() {
  const uint64_t snapshot_index = log_->GetSnapshot()->metadata().index();
  // Capped at what the core handed out: the raft thread has applied every configuration change
  // up to there (after a crash the store can be ahead of the saved commit, and the changes in
  // between reach conf_history_ only when they commit again).
  const uint64_t applied =
      std::min({applier_->applied_index(), log_->LastIndex(), core_->log().applied()});
  if (applied < snapshot_index + options_.snapshot_every) return;
  // The configuration as of `applied`: the last change at or before it.
  auto it = conf_history_.upper_bound(applied);
  if (it == conf_history_.begin()) return;  // cannot happen: the history starts at a snapshot
  const raftpb::ConfState conf = std::prev(it)->second;
  if (Status s = log_->CreateSnapshot(applied, conf, std::string()); !s.ok()) {
    spdlog::warn("member {:x}: log snapshot at {} failed: {}", options_.id, applied, s.ToString());
    return;
  }
  conf_history_.erase(conf_history_.begin(), std::prev(it));
  if (applied > options_.keep_entries_after_snapshot) {
    const uint64_t compact_to = applied - options_.keep_entries_after_snapshot;
    if (compact_to >= log_->FirstIndex()) {
      if (Status s = log_->Compact(compact_to); !s.ok()) {
        spdlog::warn("member {:x}: log compaction to {} failed: {}", options_.id, compact_to,
                     s.ToString());
      }
    }
  }
}

}  // namespace raftkv::server
