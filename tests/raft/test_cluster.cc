#include "tests/raft/test_cluster.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace raftkv::raft::test {

namespace {

// Upper bound on delivery rounds before the harness declares a livelock.
constexpr int kMaxRounds = 1000000;

std::string Describe(const raftpb::Message& m) {
  return "type " + std::to_string(m.type()) + " from " + std::to_string(m.from()) + " to " +
         std::to_string(m.to()) + " term " + std::to_string(m.term());
}

}  // namespace

TestCluster::TestCluster(std::vector<uint64_t> voters, ClusterOptions options,
                         std::vector<uint64_t> learners)
    : options_(options) {
  // The learners' ADD_LEARNER entries, committed after the founders' ADD_VOTER entries.
  std::vector<raftpb::Entry> learner_entries;
  for (size_t i = 0; i < learners.size(); ++i) {
    raftpb::ConfChange cc;
    cc.set_type(raftpb::CONF_CHANGE_ADD_LEARNER);
    cc.set_node_id(learners[i]);
    raftpb::Entry e;
    e.set_term(1);
    e.set_index(voters.size() + i + 1);
    e.set_type(raftpb::ENTRY_CONF_CHANGE);
    e.set_data(cc.SerializeAsString());
    learner_entries.push_back(std::move(e));
  }
  std::vector<uint64_t> all = voters;
  all.insert(all.end(), learners.begin(), learners.end());
  for (uint64_t id : all) {
    Member& m = members_[id];
    m.id = id;
    m.storage = std::make_unique<MemoryStorage>();
    // Founding members start from the configuration written into the log (raft/bootstrap.h),
    // as a server does, so that members joining later learn it from the entries.
    Status s = m.storage->Bootstrap(voters);
    if (!s.ok()) AddError("Bootstrap: " + s.ToString());
    if (!learner_entries.empty()) {
      s = m.storage->Append(learner_entries);
      if (!s.ok()) AddError("Bootstrap learners: " + s.ToString());
      raftpb::HardState hs = m.storage->hard_state();
      hs.set_commit(learner_entries.back().index());
      m.storage->SetHardState(hs);
      StatusOr<InitialState> init = m.storage->GetInitialState();
      raftpb::ConfState cs = init.ok() ? init->conf_state : raftpb::ConfState();
      for (uint64_t l : learners) cs.add_learners(l);
      m.storage->SetConfState(cs);
    }
    StatusOr<InitialState> init = m.storage->GetInitialState();
    if (init.ok()) m.conf_state = init->conf_state;
    m.core = NewCore(m);
  }
  // The bootstrap entries are committed and not yet applied: the cores hand them out in their
  // first Ready and the harness applies them like any committed entry (a member does not
  // campaign while a committed configuration change is unapplied).
  Deliver();
}

Config TestCluster::MakeConfig(uint64_t id, const MemoryStorage* storage, uint64_t applied) const {
  Config c;
  c.id = id;
  c.election_tick = options_.election_tick;
  c.heartbeat_tick = options_.heartbeat_tick;
  c.storage = storage;
  c.applied = applied;
  c.max_size_per_msg = options_.max_size_per_msg;
  c.max_inflight_msgs = options_.max_inflight_msgs;
  c.max_inflight_bytes = options_.max_inflight_bytes;
  c.pre_vote = options_.pre_vote;
  c.check_quorum = options_.check_quorum;
  c.seed = options_.seed;
  return c;
}

std::unique_ptr<Core> TestCluster::NewCore(const Member& m) const {
  StatusOr<std::unique_ptr<Core>> core =
      Core::Create(MakeConfig(m.id, m.storage.get(), m.applied_index));
  if (!core.ok()) {
    // The harness built the storage itself: failing here is a bug in the test or the core, and
    // nothing sensible can follow.
    std::fprintf(stderr, "TestCluster: Core::Create(%llu) failed: %s\n",
                 static_cast<unsigned long long>(m.id), core.status().ToString().c_str());
    std::abort();
  }
  return std::move(core).value();
}

Member& TestCluster::member(uint64_t id) {
  auto it = members_.find(id);
  if (it == members_.end()) {
    std::fprintf(stderr, "TestCluster: no member %llu\n", static_cast<unsigned long long>(id));
    std::abort();
  }
  return it->second;
}

const Member& TestCluster::member(uint64_t id) const {
  return const_cast<TestCluster*>(this)->member(id);
}

std::vector<uint64_t> TestCluster::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, m] : members_) out.push_back(id);
  return out;
}

void TestCluster::AddJoiningMember(uint64_t id) {
  Member& m = members_[id];
  m.id = id;
  m.storage = std::make_unique<MemoryStorage>();
  m.core = NewCore(m);
}

void TestCluster::SetLog(uint64_t id, const std::vector<uint64_t>& terms, uint64_t term,
                         uint64_t commit) {
  Member& m = member(id);
  m.storage = std::make_unique<MemoryStorage>();
  m.storage->SetConfState(m.conf_state);
  std::vector<raftpb::Entry> ents;
  for (size_t i = 0; i < terms.size(); ++i) {
    raftpb::Entry e;
    e.set_index(i + 1);
    e.set_term(terms[i]);
    e.set_data(std::to_string(terms[i]) + "." + std::to_string(i + 1));
    ents.push_back(std::move(e));
  }
  Status s = m.storage->Append(ents);
  if (!s.ok()) AddError("SetLog: " + s.ToString());
  raftpb::HardState hs;
  hs.set_term(term);
  hs.set_commit(commit);
  m.storage->SetHardState(hs);
  m.applied_index = 0;
  m.applied.clear();
  m.applied_count = 0;
  // The test is writing a new history: what was applied and who led before no longer counts.
  applied_at_.clear();
  leader_of_term_.clear();
  m.core = NewCore(m);
}

void TestCluster::Restart(uint64_t id) {
  Member& m = member(id);
  in_flight_.erase(std::remove_if(in_flight_.begin(), in_flight_.end(),
                                  [id](const raftpb::Message& msg) { return msg.to() == id; }),
                   in_flight_.end());
  m.core = NewCore(m);
  m.down = false;
}

void TestCluster::Stop(uint64_t id) { member(id).down = true; }

void TestCluster::Start(uint64_t id) { Restart(id); }

void TestCluster::Isolate(uint64_t id) { isolated_.insert(id); }

void TestCluster::Cut(uint64_t a, uint64_t b) {
  cuts_.insert({a, b});
  cuts_.insert({b, a});
}

void TestCluster::Heal() {
  isolated_.clear();
  cuts_.clear();
  filter_ = nullptr;
}

void TestCluster::AddError(std::string e) { errors_.push_back(std::move(e)); }

void TestCluster::Apply(Member& m, const raftpb::Entry& e) {
  if (e.index() != m.applied_index + 1) {
    AddError("member " + std::to_string(m.id) + " was handed entry " + std::to_string(e.index()) +
             " to apply after applying " + std::to_string(m.applied_index));
  }
  m.applied_index = e.index();
  ++m.applied_count;
  if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
    raftpb::ConfChange cc;
    if (!cc.ParseFromString(e.data())) {
      AddError("member " + std::to_string(m.id) + ": unparsable conf change at " +
               std::to_string(e.index()));
    } else {
      m.conf_state = m.core->ApplyConfChange(cc);
      m.storage->SetConfState(m.conf_state);
    }
  }
  if (options_.check_safety) {
    auto [it, inserted] = applied_at_.try_emplace(e.index(), e.term(), e.data());
    if (!inserted && (it->second.first != e.term() || it->second.second != e.data())) {
      AddError("state machine safety: member " + std::to_string(m.id) + " applied term " +
               std::to_string(e.term()) + " at index " + std::to_string(e.index()) +
               " where another member applied term " + std::to_string(it->second.first));
    }
  }
  if (options_.record_applied) m.applied.push_back(e);
}

void TestCluster::ProcessReady(Member& m, std::vector<raftpb::Message>* out) {
  if (m.down || !m.core->HasReady()) return;
  Ready rd = m.core->GetReady();
  // Step 1: persist snapshot, entries, hard state.
  if (rd.snapshot) {
    Status s = m.storage->ApplySnapshot(*rd.snapshot);
    if (!s.ok()) AddError("member " + std::to_string(m.id) + ": ApplySnapshot: " + s.ToString());
  }
  if (!rd.entries.empty()) {
    Status s = m.storage->Append(rd.entries);
    if (!s.ok()) AddError("member " + std::to_string(m.id) + ": Append: " + s.ToString());
  }
  if (rd.hard_state) m.storage->SetHardState(*rd.hard_state);
  // Step 2: send.
  for (raftpb::Message& msg : rd.messages) {
    if (options_.record_messages) sent_.push_back(msg);
    out->push_back(std::move(msg));
  }
  // Step 3: install the snapshot, apply committed entries.
  if (rd.snapshot) {
    const raftpb::SnapshotMetadata& md = rd.snapshot->metadata();
    m.applied_index = md.index();
    m.conf_state = md.conf_state();
    m.installed_snapshots.push_back(md);
  }
  for (const raftpb::Entry& e : rd.committed_entries) Apply(m, e);
  // Step 4: reads.
  for (ReadState& r : rd.read_states) m.read_states.push_back(std::move(r));
  // Step 5.
  m.core->Advance();

  if (options_.check_safety) {
    if (m.core->is_leader()) {
      auto [it, inserted] = leader_of_term_.try_emplace(m.core->term(), m.id);
      if (!inserted && it->second != m.id) {
        AddError("election safety: members " + std::to_string(it->second) + " and " +
                 std::to_string(m.id) + " both led term " + std::to_string(m.core->term()));
      }
    }
    Status s = m.core->CheckInvariants();
    if (!s.ok()) AddError("member " + std::to_string(m.id) + ": " + s.ToString());
  }
}

std::vector<raftpb::Message> TestCluster::ProcessReadies() {
  std::vector<raftpb::Message> out;
  for (auto& [id, m] : members_) ProcessReady(m, &out);
  in_flight_.insert(in_flight_.end(), out.begin(), out.end());
  return out;
}

bool TestCluster::Deliverable(raftpb::Message& m) const {
  auto to = members_.find(m.to());
  if (to == members_.end() || to->second.down) return false;
  auto from = members_.find(m.from());
  if (from != members_.end() && from->second.down) return false;
  if (isolated_.count(m.from()) || isolated_.count(m.to())) return false;
  if (cuts_.count({m.from(), m.to()})) return false;
  if (filter_ && !filter_(m)) return false;
  return true;
}

bool TestCluster::DeliverRound() {
  ProcessReadies();
  if (in_flight_.empty()) return false;
  std::vector<raftpb::Message> msgs = std::move(in_flight_);
  in_flight_.clear();
  for (raftpb::Message& msg : msgs) {
    if (!Deliverable(msg)) continue;
    Status s = member(msg.to()).core->Step(msg);
    if (!s.ok())
      AddError("core rejected a message of the cluster (" + Describe(msg) + "): " + s.ToString());
  }
  return true;
}

void TestCluster::Deliver() {
  for (int i = 0; i < kMaxRounds; ++i) {
    if (!DeliverRound()) return;
  }
  AddError("cluster did not quiesce");
}

bool TestCluster::DeliverUntil(const std::function<bool()>& done) {
  for (int i = 0; i < kMaxRounds; ++i) {
    if (done()) return true;
    if (!DeliverRound()) return done();
  }
  AddError("cluster did not quiesce");
  return done();
}

Status TestCluster::Inject(const raftpb::Message& m) { return member(m.to()).core->Step(m); }

void TestCluster::Tick(uint64_t id, int n) {
  for (int i = 0; i < n; ++i) {
    Member& m = member(id);
    if (!m.down) m.core->Tick();
    Deliver();
  }
}

void TestCluster::TickAll(int n) {
  for (int i = 0; i < n; ++i) {
    for (auto& [id, m] : members_) {
      if (!m.down) m.core->Tick();
    }
    Deliver();
  }
}

bool TestCluster::Elect(uint64_t id) {
  core(id).Campaign();
  Deliver();
  return core(id).is_leader();
}

Status TestCluster::Propose(uint64_t id, std::string data) {
  Status s = core(id).Propose(std::move(data));
  Deliver();
  return s;
}

uint64_t TestCluster::Leader() const {
  uint64_t leader = 0, term = 0;
  for (const auto& [id, m] : members_) {
    if (!m.down && m.core->is_leader() && m.core->term() >= term) {
      leader = id;
      term = m.core->term();
    }
  }
  return leader;
}

std::vector<std::string> TestCluster::AppliedData(uint64_t id) const {
  std::vector<std::string> out;
  for (const raftpb::Entry& e : member(id).applied) {
    if (e.type() == raftpb::ENTRY_NORMAL && !e.data().empty()) out.push_back(e.data());
  }
  return out;
}

std::vector<uint64_t> TestCluster::StoredTerms(uint64_t id) const {
  const MemoryStorage& s = *member(id).storage;
  std::vector<uint64_t> out;
  for (uint64_t i = 1; i <= s.LastIndex(); ++i) {
    StatusOr<uint64_t> t = s.Term(i);
    out.push_back(t.ok() ? *t : 0);
  }
  return out;
}

Status TestCluster::Compact(uint64_t id) {
  Member& m = member(id);
  uint64_t index = m.applied_index;
  if (index < m.storage->FirstIndex()) return Status::Ok();  // nothing new to compact
  RAFTKV_RETURN_IF_ERROR(
      m.storage->CreateSnapshot(index, m.conf_state, "snapshot@" + std::to_string(index)));
  return m.storage->Compact(index);
}

std::vector<raftpb::Message> TestCluster::Sent(raftpb::MessageType type, uint64_t from,
                                               uint64_t to) const {
  std::vector<raftpb::Message> out;
  for (const raftpb::Message& m : sent_) {
    if (m.type() != type) continue;
    if (from != 0 && m.from() != from) continue;
    if (to != 0 && m.to() != to) continue;
    out.push_back(m);
  }
  return out;
}

int TestCluster::CountAppendsWithEntries(uint64_t from, uint64_t to) const {
  int n = 0;
  for (const raftpb::Message& m : Sent(raftpb::MSG_APPEND, from, to)) {
    if (m.entries_size() > 0) ++n;
  }
  return n;
}

Status TestCluster::CheckLogMatching() const {
  for (const auto& [a, ma] : members_) {
    for (const auto& [b, mb] : members_) {
      if (a >= b) continue;
      const MemoryStorage& sa = *ma.storage;
      const MemoryStorage& sb = *mb.storage;
      uint64_t lo = std::max(sa.FirstIndex(), sb.FirstIndex());
      uint64_t hi = std::min(sa.LastIndex(), sb.LastIndex());
      // Find the highest common index with equal terms; everything from lo up to it must match.
      uint64_t top = 0;
      for (uint64_t i = hi; i >= lo && i > 0; --i) {
        if (*sa.Term(i) == *sb.Term(i)) {
          top = i;
          break;
        }
      }
      for (uint64_t i = lo; i <= top; ++i) {
        StatusOr<std::vector<raftpb::Entry>> ea = sa.Entries(i, i + 1, UINT64_MAX);
        StatusOr<std::vector<raftpb::Entry>> eb = sb.Entries(i, i + 1, UINT64_MAX);
        if (!ea.ok() || !eb.ok()) return Status::Internal("CheckLogMatching: unreadable entry");
        const raftpb::Entry& x = ea->front();
        const raftpb::Entry& y = eb->front();
        if (x.term() != y.term() || x.data() != y.data() || x.type() != y.type()) {
          return Status::Internal("log matching: members " + std::to_string(a) + " and " +
                                  std::to_string(b) + " agree at index " + std::to_string(top) +
                                  " but differ at index " + std::to_string(i));
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace raftkv::raft::test
