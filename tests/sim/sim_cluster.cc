#include "tests/sim/sim_cluster.h"

#include "tests/sim/sim_strings.h"

namespace raftkv::sim {
namespace {

std::vector<uint64_t> Founders(int voters) {
  std::vector<uint64_t> ids;
  for (int i = 1; i <= voters; ++i) ids.push_back(static_cast<uint64_t>(i));
  return ids;
}

// The membership after the bootstrap entries: the founders, as voters.
raftpb::ConfState FoundingConf(int voters) {
  raftpb::ConfState cs;
  for (uint64_t id : Founders(voters)) cs.add_voters(id);
  return cs;
}

}  // namespace

SimCluster::SimCluster(uint64_t rng_seed, const SimParams& params, SimTrace* trace)
    : params_(params),
      trace_(trace),
      rng_(rng_seed),
      network_(&queue_, &rng_),
      // raft/bootstrap.h writes one entry per founder: the founding membership holds from index
      // n = number of founders.
      checker_(static_cast<uint64_t>(params.initial_voters), FoundingConf(params.initial_voters)) {
  network_.set_faults(params_.faults);
  network_.SetCallbacks(
      [this](const Envelope& env) { Deliver(env); },
      [this](const Envelope& env, SimNetwork::DropReason why) { OnDrop(env, why); });
  const std::vector<uint64_t> founders = Founders(params_.initial_voters);
  for (uint64_t id : founders) AddNode(id, founders);
}

SimNode* SimCluster::AddNode(uint64_t id, const std::vector<uint64_t>& founders) {
  NodeServices services{&queue_, &network_, &checker_, trace_, &rng_, &params_};
  auto [it, inserted] = nodes_.try_emplace(id, std::make_unique<SimNode>(id, founders, services));
  if (!inserted) {
    checker_.Fail(kUnexpectedError, StrCat("simulator created node ", id, " twice"));
    return it->second.get();
  }
  it->second->Start();
  return it->second.get();
}

SimNode* SimCluster::node(uint64_t id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : it->second.get();
}

std::vector<SimNode*> SimCluster::UpNodes() const {
  std::vector<SimNode*> out;
  for (const auto& [id, n] : nodes_) {
    if (n->up()) out.push_back(n.get());
  }
  return out;
}

SimNode* SimCluster::Leader() const {
  SimNode* best = nullptr;
  for (const auto& [id, n] : nodes_) {
    if (!n->up() || !n->core()->is_leader()) continue;
    if (best == nullptr || n->core()->term() > best->core()->term()) best = n.get();
  }
  return best;
}

void SimCluster::RunUntil(uint64_t until, const std::function<bool()>& done) {
  while (!checker_.failed() && !queue_.empty() && queue_.next_time() <= until) {
    ++events_;
    trace_->BeginEvent(events_, queue_.next_time());
    queue_.RunNext();
    CheckAfterEvent();
    if (done()) return;
  }
}

void SimCluster::CheckAfterEvent() {
  if (checker_.failed()) return;
  for (const auto& [id, n] : nodes_) {
    if (!n->up()) continue;
    Status st = n->core()->CheckInvariants();
    if (!st.ok()) {
      checker_.Fail(kCoreInvariant, StrCat("n", id, ": ", st.ToString()));
      return;
    }
  }
}

void SimCluster::Deliver(const Envelope& env) {
  SimNode* to = node(env.msg.to());
  if (to == nullptr || !to->up()) {
    network_.CountDroppedAtNode();
    if (trace_->recording()) trace_->Line("lost (down) " + DescribeMessage(env.msg));
    OnDrop(env, SimNetwork::DropReason::kDown);
    return;
  }
  to->Receive(env.msg);
  if (env.msg.type() == raftpb::MSG_SNAPSHOT && !env.duplicate) {
    // The transport finished sending the snapshot: tell the sender's core.
    SimNode* from = node(env.msg.from());
    if (from != nullptr && from->up() && from->incarnation() == env.from_incarnation) {
      from->ReportSnapshot(env.msg.to(), true);
    }
  }
}

void SimCluster::OnDrop(const Envelope& env, SimNetwork::DropReason why) {
  trace_->Mix(0xd809 ^ (static_cast<uint64_t>(why) << 8) ^ env.msg.type());
  if (trace_->recording() && why != SimNetwork::DropReason::kDown) {
    trace_->Line(StrCat(why == SimNetwork::DropReason::kPartition ? "blocked " : "dropped ",
                        DescribeMessage(env.msg)));
  }
  if (env.duplicate) return;
  const raftpb::MessageType type = env.msg.type();
  const bool snapshot = type == raftpb::MSG_SNAPSHOT;
  const bool unreachable =
      (type == raftpb::MSG_APPEND || type == raftpb::MSG_HEARTBEAT) && rng_.Chance(0.5);
  if (!snapshot && !unreachable) return;
  // The sender's transport notices the failure a little later, as its own event.
  const uint64_t from_id = env.msg.from();
  const uint64_t to_id = env.msg.to();
  const uint64_t inc = env.from_incarnation;
  queue_.After(rng_.Uniform(0, 1000), [this, from_id, to_id, inc, snapshot]() {
    SimNode* from = node(from_id);
    if (from == nullptr || !from->up() || from->incarnation() != inc) return;
    if (snapshot) {
      from->ReportSnapshot(to_id, false);
    } else {
      from->ReportUnreachable(to_id);
    }
  });
}

std::string SimCluster::DescribeNodes() const {
  std::string out;
  for (const auto& [id, n] : nodes_) {
    out += StrCat("  n", id, ": ");
    if (n->stopped()) {
      out += "stopped";
    } else if (!n->up()) {
      out += "down";
    } else {
      const raft::Core& c = *n->core();
      out += StrCat(raft::RoleName(c.role()), " term ", c.term(), " lead ", c.leader(), " log [",
                    c.log().FirstIndex(), ",", c.log().LastIndex(), "] commit ",
                    c.log().committed(), " applied ", n->state_machine().applied(), " conf ",
                    DescribeConf(c.GetStatus().conf_state));
    }
    out += StrCat("; disk term ", n->storage().hard_state().term(), " vote ",
                  n->storage().hard_state().vote(), " log [", n->storage().FirstIndex(), ",",
                  n->storage().LastIndex(), "]\n");
  }
  return out;
}

uint64_t SimCluster::StateHash() const {
  uint64_t h = trace_->hash();
  for (const auto& [id, n] : nodes_) {
    const raftpb::HardState& hs = n->storage().hard_state();
    for (uint64_t v : {id, hs.term(), hs.vote(), hs.commit(), n->storage().LastIndex(),
                       n->state_machine().applied(), n->state_machine().Hash()}) {
      h = (h ^ v) * 0x100000001b3ULL;
    }
  }
  return h;
}

}  // namespace raftkv::sim
