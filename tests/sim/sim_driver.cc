#include "tests/sim/sim_driver.h"

#include <algorithm>
#include <deque>
#include <set>

#include "tests/sim/sim_cluster.h"
#include "tests/sim/sim_strings.h"

namespace raftkv::sim {
namespace {

constexpr int kKeys = 5;
// Compaction keeps up to this many entries below the snapshot.
constexpr uint64_t kMaxCompactionTail = 30;
// Client writes in flight at once, and how long (in election timeouts) a client waits for one.
constexpr size_t kMaxOutstandingWrites = 16;
constexpr uint64_t kClientTimeoutTimeouts = 5;

std::set<uint64_t> Members(const raftpb::ConfState& cs) {
  std::set<uint64_t> out(cs.voters().begin(), cs.voters().end());
  out.insert(cs.learners().begin(), cs.learners().end());
  return out;
}

// The workload and fault schedule of one run (see sim_driver.h).
class SimDriver {
 public:
  explicit SimDriver(SimCluster* cluster)
      : c_(cluster), p_(cluster->params()), next_node_id_(p_.initial_voters + 1) {
    known_members_ = Members(c_->checker().LatestConf());
  }

  void Run() {
    for (int phase = 0; phase < p_.phases && !c_->checker().failed(); ++phase) {
      Chaos(phase);
      if (c_->checker().failed()) return;
      Liveness(phase);
    }
  }

 private:
  uint64_t Now() { return c_->queue().now(); }
  uint64_t ElectionTimeoutUs() const { return p_.tick_us * p_.election_tick; }
  void Note(const std::string& text) {
    if (c_->trace().recording()) c_->trace().Line(text);
  }

  // ---- Phases -----------------------------------------------------------------------------------

  void Chaos(int phase) {
    Note(StrCat("=== phase ", phase, ": chaos for ", p_.chaos_ticks, " ticks"));
    c_->network().set_faults(p_.faults);
    const uint64_t gen = ++generation_;
    ScheduleClientAction(gen);
    ScheduleFaultAction(gen);
    c_->RunUntil(Now() + p_.chaos_ticks * p_.tick_us, [this]() {
      WatchMembership();
      return false;
    });
  }

  void Liveness(int phase) {
    ++generation_;  // stops the chaos actions
    NetworkFaults healed = p_.faults;
    healed.drop = 0;
    healed.duplicate = 0;
    c_->network().set_faults(healed);
    c_->network().HealPartitions();
    const std::set<uint64_t> members = Members(c_->checker().LatestConf());
    for (const auto& [id, n] : c_->nodes()) {
      if (n->stopped() && members.count(id) > 0) {
        n->Revive();  // stopped after a removal, then added back (a delayed proposal)
      } else if (!n->up()) {
        n->Start();
      }
    }
    const uint64_t start = Now();
    const uint64_t deadline = start + p_.liveness_timeouts * ElectionTimeoutUs();
    Note(StrCat("=== phase ", phase, ": healed; liveness within ", p_.liveness_timeouts,
                " election timeouts"));
    live_ids_.clear();
    const uint64_t gen = generation_;
    c_->queue().After(0, [this, gen]() { LivenessProbe(gen); });
    bool ok = false;
    c_->RunUntil(deadline, [this, &ok]() {
      WatchMembership();
      ok = LivenessSatisfied();
      return ok;
    });
    if (c_->checker().failed() || ok) return;
    std::string leader = "none";
    if (SimNode* l = c_->Leader()) leader = StrCat("n", l->id(), " term ", l->core()->term());
    c_->checker().Fail(
        kLiveness,
        StrCat("no write applied by a majority of voters ",
               DescribeConf(c_->checker().LatestConf()), " within ", p_.liveness_timeouts,
               " election timeouts (", p_.liveness_timeouts * p_.election_tick,
               " ticks) after healing at t=", start / 1000, "ms; leader: ", leader,
               "; liveness writes proposed: ", live_ids_.size()));
  }

  // Proposes a fresh write on the leader every half election timeout until one is applied.
  void LivenessProbe(uint64_t gen) {
    if (gen != generation_) return;
    if (SimNode* l = c_->Leader()) {
      const std::string id = StrCat("live", phase_writes_++);
      Status st = l->Propose(Command{"live", id, id});
      // A refused proposal (e.g. during a leadership transfer) is retried at the next probe.
      if (st.ok()) live_ids_.push_back(id);
    }
    c_->queue().After(ElectionTimeoutUs() / 2, [this, gen]() { LivenessProbe(gen); });
  }

  bool LivenessSatisfied() {
    std::optional<uint64_t> index;
    for (const std::string& id : live_ids_) {
      std::optional<uint64_t> i = c_->checker().FirstAppliedIndex(id);
      if (i && (!index || *i < *index)) index = i;
    }
    if (!index) return false;
    const raftpb::ConfState& conf = c_->checker().LatestConf();
    int applied = 0;
    for (uint64_t v : conf.voters()) {
      SimNode* n = c_->node(v);
      if (n != nullptr && n->up() && n->state_machine().applied() >= *index) ++applied;
    }
    return applied >= conf.voters_size() / 2 + 1;
  }

  // Stops (some) removed nodes, as an operator would once the removal is done. "Done" means a
  // majority of the new configuration's voters durably know the removal is committed: the core
  // switches membership when it applies a change, so if the last node that knew the removal was
  // committed were stopped (e.g. the removed leader of a two-voter configuration), the survivors
  // would wait for it forever -- a property of apply-time membership, not a bug to report.
  void WatchMembership() {
    if (c_->checker().LatestConfIndex() != seen_conf_index_) {
      seen_conf_index_ = c_->checker().LatestConfIndex();
      std::set<uint64_t> now = Members(c_->checker().LatestConf());
      for (uint64_t id : known_members_) {
        if (now.count(id) == 0) removals_.push_back({id, seen_conf_index_});
      }
      known_members_ = std::move(now);
    }
    for (auto it = removals_.begin(); it != removals_.end();) {
      const raftpb::ConfState& conf = c_->checker().ConfAt(it->index);
      int durable = 0;
      for (uint64_t v : conf.voters()) {
        SimNode* n = c_->node(v);
        if (n != nullptr && n->DurableCommit() >= it->index) ++durable;
      }
      if (durable < conf.voters_size() / 2 + 1) {
        ++it;
        continue;
      }
      if (c_->rng().Chance(p_.stop_removed)) {
        const uint64_t id = it->id;
        const uint64_t delay = c_->rng().Uniform(0, 2 * ElectionTimeoutUs());
        c_->queue().After(delay, [this, id]() {
          // Not if a delayed proposal has added it back in the meantime.
          if (Members(c_->checker().LatestConf()).count(id) > 0) return;
          if (SimNode* n = c_->node(id)) n->Stop();
        });
      }
      it = removals_.erase(it);
    }
  }

  // ---- Chaos actions ----------------------------------------------------------------------------

  void ScheduleClientAction(uint64_t gen) {
    c_->queue().After(c_->rng().Uniform(1, 2 * p_.client_interval_us), [this, gen]() {
      if (gen != generation_) return;
      const ActionWeights& w = p_.weights;
      const int weights[] = {w.propose, w.read};
      switch (PickWeighted(weights)) {
        case 0:
          DoPropose();
          break;
        case 1:
          DoRead();
          break;
      }
      ScheduleClientAction(gen);
    });
  }

  void ScheduleFaultAction(uint64_t gen) {
    c_->queue().After(c_->rng().Uniform(1, 2 * p_.fault_interval_us), [this, gen]() {
      if (gen != generation_) return;
      const ActionWeights& w = p_.weights;
      const int weights[] = {w.transfer_leader, w.campaign,  w.conf_change, w.compact,
                             w.crash,           w.partition, w.heal};
      switch (PickWeighted(weights)) {
        case 0:
          DoTransferLeader();
          break;
        case 1:
          DoCampaign();
          break;
        case 2:
          DoConfChange();
          break;
        case 3:
          DoCompact();
          break;
        case 4:
          DoCrash();
          break;
        case 5:
          DoPartition();
          break;
        case 6:
          c_->network().HealPartitions();
          Note("HEAL partitions");
          break;
      }
      ScheduleFaultAction(gen);
    });
  }

  // An index into `weights` drawn with probability proportional to its weight; -1 if all are 0.
  template <size_t N>
  int PickWeighted(const int (&weights)[N]) {
    int total = 0;
    for (int x : weights) total += x;
    if (total <= 0) return -1;
    int pick = static_cast<int>(c_->rng().Uniform(0, static_cast<uint64_t>(total - 1)));
    int i = 0;
    while (pick >= weights[i]) pick -= weights[i++];
    return i;
  }

  SimNode* RandomUpNode() {
    std::vector<SimNode*> up = c_->UpNodes();
    return up.empty() ? nullptr : c_->rng().Pick(up);
  }

  std::string RandomKey() { return StrCat("k", c_->rng().Uniform(0, kKeys - 1)); }

  void DoPropose() {
    // Clients wait for their writes (or give up after a timeout), so the backlog of unapplied
    // writes stays bounded, as with real clients; an unbounded backlog over deliberately tiny
    // flow-control windows would make any liveness bound meaningless.
    while (
        !outstanding_.empty() &&
        (c_->checker().FirstAppliedIndex(outstanding_.front().id) ||
         outstanding_.front().proposed_at + kClientTimeoutTimeouts * ElectionTimeoutUs() < Now())) {
      outstanding_.pop_front();
    }
    if (outstanding_.size() >= kMaxOutstandingWrites) return;
    SimNode* n = RandomUpNode();
    if (n == nullptr) return;
    const uint64_t w = next_write_++;
    const std::string id = StrCat("w", w);
    Status st = n->Propose(Command{RandomKey(), StrCat("v", w), id});
    // A refused proposal is a normal outcome (no leader, transfer in progress); the checker only
    // relies on writes that were acknowledged.
    if (st.ok()) outstanding_.push_back({id, Now()});
  }

  void DoRead() {
    SimNode* n = RandomUpNode();
    if (n == nullptr) return;
    Status st = n->ReadIndex(StrCat("r", next_read_++), RandomKey());
    // A refused read (no known leader) is a normal outcome; only answered reads are checked.
    st.IgnoreError();
  }

  void DoTransferLeader() {
    SimNode* n = RandomUpNode();
    if (n == nullptr) return;
    const raftpb::ConfState& conf = c_->checker().LatestConf();
    uint64_t target;
    if (conf.voters_size() > 0 && !c_->rng().Chance(0.1)) {
      target = conf.voters(static_cast<int>(c_->rng().Index(conf.voters_size())));
    } else {
      target = c_->rng().Uniform(1, next_node_id_);  // maybe a learner or a non-member
    }
    Status st = n->TransferLeader(target);
    // Refusals (no leader, not a voter, ...) are expected; the request is best effort.
    st.IgnoreError();
  }

  void DoCampaign() {
    if (SimNode* n = RandomUpNode()) n->Campaign();
  }

  void DoConfChange() {
    SimNode* leader = c_->Leader();
    if (leader == nullptr) return;
    const raft::ProgressTracker& tr = leader->core()->tracker();
    std::vector<uint64_t> voters(tr.voters().begin(), tr.voters().end());
    std::vector<uint64_t> learners(tr.learners().begin(), tr.learners().end());
    raftpb::ConfChange cc;
    bool new_node = false;
    const uint64_t roll = c_->rng().Uniform(0, 99);
    if (roll < 35) {
      if (static_cast<int>(c_->nodes().size()) >= p_.max_nodes) return;
      cc.set_type(raftpb::CONF_CHANGE_ADD_LEARNER);
      cc.set_node_id(next_node_id_);
      new_node = true;
    } else if (roll < 65) {
      if (learners.empty() || voters.size() >= 7) return;
      cc.set_type(raftpb::CONF_CHANGE_ADD_VOTER);
      cc.set_node_id(c_->rng().Pick(learners));
    } else if (roll < 95) {
      std::vector<uint64_t> members = voters;
      members.insert(members.end(), learners.begin(), learners.end());
      const uint64_t victim = c_->rng().Pick(members);
      // Removing the last voter is refused by the core; try it only now and then.
      if (voters.size() == 1 && voters[0] == victim && !c_->rng().Chance(0.1)) return;
      cc.set_type(raftpb::CONF_CHANGE_REMOVE_NODE);
      cc.set_node_id(victim);
    } else {
      // Nonsense the core must refuse identically on every node: re-add a voter, remove a
      // stranger.
      if (c_->rng().Chance(0.5)) {
        cc.set_type(raftpb::CONF_CHANGE_ADD_VOTER);
        cc.set_node_id(c_->rng().Pick(voters));
      } else {
        cc.set_type(raftpb::CONF_CHANGE_REMOVE_NODE);
        cc.set_node_id(next_node_id_ + 100);
      }
    }
    // Mostly on the leader, sometimes forwarded by a follower.
    SimNode* via = c_->rng().Chance(0.8) ? leader : RandomUpNode();
    Status st = via->ProposeConfChange(cc);
    // FailedPrecondition (a change is pending) or ProposalDropped are expected; retried later
    // by a later action.
    if (!st.ok()) return;
    if (new_node) {
      ++next_node_id_;
      c_->AddNode(cc.node_id(), {});  // joins with an empty disk and membership
    }
  }

  void DoCompact() {
    if (SimNode* n = RandomUpNode()) n->Compact(kMaxCompactionTail);
  }

  void DoCrash() {
    SimNode* n = RandomUpNode();
    if (n == nullptr) return;
    n->Crash();
    const double timeouts =
        p_.min_downtime_timeouts + (p_.max_downtime_timeouts - p_.min_downtime_timeouts) *
                                       static_cast<double>(c_->rng().Uniform(0, 1000)) / 1000;
    const uint64_t id = n->id();
    c_->queue().After(static_cast<uint64_t>(timeouts * static_cast<double>(ElectionTimeoutUs())),
                      [this, id]() { c_->node(id)->Start(); });
  }

  void DoPartition() {
    std::vector<uint64_t> ids;
    for (const auto& [id, n] : c_->nodes()) {
      if (!n->stopped()) ids.push_back(id);
    }
    if (ids.size() < 2) return;
    SimNetwork& net = c_->network();
    SimRandom& rng = c_->rng();
    const uint64_t kind = rng.Uniform(0, 3);
    if (kind == 0) {
      // Isolate one node both ways.
      const uint64_t a = rng.Pick(ids);
      for (uint64_t b : ids) {
        if (b != a) net.BlockBoth(a, b);
      }
    } else if (kind == 1) {
      // Split into two sides, symmetric.
      std::vector<uint64_t> side;
      std::vector<uint64_t> other;
      for (uint64_t id : ids) (rng.Chance(0.5) ? side : other).push_back(id);
      for (uint64_t a : side) {
        for (uint64_t b : other) net.BlockBoth(a, b);
      }
    } else if (kind == 2) {
      // One-way: a node hears nobody, or nobody hears it.
      const uint64_t a = rng.Pick(ids);
      const bool deaf = rng.Chance(0.5);
      for (uint64_t b : ids) {
        if (b == a) continue;
        if (deaf) {
          net.Block(b, a);
        } else {
          net.Block(a, b);
        }
      }
    } else {
      // A few random one-way links.
      const uint64_t links = rng.Uniform(1, 3);
      for (uint64_t k = 0; k < links; ++k) {
        const uint64_t a = rng.Pick(ids);
        const uint64_t b = rng.Pick(ids);
        if (a != b) net.Block(a, b);
      }
    }
    Note("PARTITION " + net.DescribePartitions());
  }

  SimCluster* c_;
  const SimParams& p_;
  // Bumped at each phase change; scheduled actions of an older phase do nothing.
  uint64_t generation_ = 0;
  uint64_t next_node_id_;
  uint64_t next_write_ = 0;
  uint64_t next_read_ = 0;
  uint64_t phase_writes_ = 0;
  // Ids of the liveness writes proposed in the current liveness phase.
  std::vector<std::string> live_ids_;
  // Members of the latest configuration seen, and its index (to spot removals).
  std::set<uint64_t> known_members_;
  uint64_t seen_conf_index_ = 0;
  // A node removed from the configuration by the change at `index`, not yet considered for
  // stopping.
  struct Removal {
    uint64_t id;
    uint64_t index;
  };
  std::vector<Removal> removals_;
  // Client writes proposed and not yet applied anywhere nor timed out, oldest first.
  struct PendingWrite {
    std::string id;
    uint64_t proposed_at;
  };
  std::deque<PendingWrite> outstanding_;
};

}  // namespace

RunResult RunSeed(uint64_t seed, const RunOptions& options) {
  // The parameters come from their own stream so that the run's stream starts the same way
  // whatever they are.
  SimRandom param_rng(seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL);
  SimParams params = SimParams::Draw(param_rng);
  if (options.phases) params.phases = *options.phases;
  if (options.chaos_ticks) params.chaos_ticks = *options.chaos_ticks;

  SimTrace trace(options.trace_mode, options.tail_lines, options.out);
  if (trace.recording()) trace.Line(StrCat("seed ", seed, ": ", params.ToString()));
  SimCluster cluster(seed, params, &trace);
  SimDriver driver(&cluster);
  driver.Run();

  RunResult r;
  r.seed = seed;
  r.params = params.ToString();
  r.events = cluster.events();
  r.time_us = cluster.queue().now();
  r.run_hash = cluster.StateHash();
  r.leaders = cluster.checker().leaders_elected();
  r.committed = cluster.checker().max_committed();
  r.writes_acked = cluster.checker().writes_completed();
  r.reads_checked = cluster.checker().reads_checked();
  r.messages = cluster.network().sent();
  if (const auto& v = cluster.checker().violation()) {
    r.passed = false;
    r.rule = v->rule;
    r.detail = v->detail;
    r.event = cluster.events();
    r.nodes = cluster.DescribeNodes();
  } else {
    r.passed = true;
  }
  if (trace.recording()) {
    trace.Line(r.passed ? std::string("PASSED") : FailureLine(r));
    r.tail = trace.Tail();
    r.trace_lines_hash = trace.lines_hash();
    r.trace_lines = trace.line_count();
  }
  return r;
}

RunResult RunSeedAndExplain(uint64_t seed, const RunOptions& options) {
  RunResult r = RunSeed(seed, options);
  if (r.passed) return r;
  RunOptions again = options;
  if (again.trace_mode == SimTrace::Mode::kHashOnly) again.trace_mode = SimTrace::Mode::kTail;
  if (again.trace_mode == SimTrace::Mode::kPrint) again.trace_mode = SimTrace::Mode::kTail;
  RunResult replay = RunSeed(seed, again);
  r.tail = replay.tail;
  r.replayed = !replay.passed && replay.rule == r.rule && replay.detail == r.detail &&
               replay.event == r.event && replay.run_hash == r.run_hash;
  return r;
}

std::string FailureLine(const RunResult& r) {
  return StrCat("seed ", r.seed, ": ", r.rule, " at event ", r.event, ": ", r.detail);
}

std::string FailureReport(const RunResult& r) {
  std::string out = FailureLine(r) + "\n";
  out += "  params: " + r.params + "\n";
  out += StrCat("  virtual time ", r.time_us / 1000, "ms; nodes:\n");
  out += r.nodes;
  out += r.replayed ? "  replay: same seed reproduces this failure exactly\n"
                    : "  replay: NOT REPRODUCED -- the simulator is not deterministic\n";
  if (!r.tail.empty()) {
    out +=
        "  trace tail (replay with: raft_sim --seed " + std::to_string(r.seed) + " --verbose):\n";
    for (const std::string& line : r.tail) out += "    " + line + "\n";
  }
  return out;
}

}  // namespace raftkv::sim
