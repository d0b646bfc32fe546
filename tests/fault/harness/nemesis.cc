#include "tests/fault/harness/nemesis.h"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace raftkv::fault::harness {
namespace {

using std::chrono::milliseconds;

// Sleeps until `until` or for `span`, whichever is first. Faults are paced with it; nothing is
// assumed to have happened when it returns.
void SleepAtMost(milliseconds span, std::chrono::steady_clock::time_point until) {
  std::this_thread::sleep_until(std::min(std::chrono::steady_clock::now() + span, until));
}

}  // namespace

const std::set<std::string> kNemesisKinds = {"kill", "pause",    "partition",
                                             "slow", "transfer", "stale-follower"};
const std::set<std::string> kLinkFaultKinds = {"partition", "slow"};

Nemesis::Nemesis(std::set<std::string> kinds, uint64_t seed, FaultCluster* cluster,
                 Network* network, Workload* workload)
    : cluster_(cluster),
      network_(network),
      workload_(workload),
      rng_(seed),
      kinds_(kinds.begin(), kinds.end()) {}

Status Nemesis::Run(Clock::time_point end) {
  started_ = Clock::now();
  if (kinds_.empty()) {
    std::this_thread::sleep_until(end);
    return Status::Ok();
  }
  while (Clock::now() < end) {
    SleepAtMost(milliseconds(800 + rng_() % 1200), end);
    if (Clock::now() >= end) break;
    const std::string kind = kinds_[rng_() % kinds_.size()];
    if (kind == "stale-follower") {
      StaleFollower(end);
      continue;
    }
    std::vector<Fault> faults;
    auto first = Inject(kind, end);
    if (!first.ok()) return first.status();
    faults.push_back(std::move(*first));
    // One fault in three is combined with a second of another kind.
    std::vector<std::string> others;
    for (const std::string& k : kinds_) {
      if (k != kind && k != "stale-follower" && k != "transfer") others.push_back(k);
    }
    if (!others.empty() && rng_() % 3 == 0) {
      auto second = Inject(others[rng_() % others.size()], end);
      if (!second.ok()) return second.status();
      faults.push_back(std::move(*second));
    }
    SleepAtMost(milliseconds(1000 + rng_() % 2000), end);
    for (auto it = faults.rbegin(); it != faults.rend(); ++it) {
      if (it->heal) RAFTKV_RETURN_IF_ERROR(it->heal());
    }
  }
  return Status::Ok();
}

StatusOr<Nemesis::Fault> Nemesis::Inject(const std::string& kind, Clock::time_point end) {
  (void)end;
  if (kind == "kill") return Kill();
  if (kind == "pause") return Pause();
  if (kind == "partition") return Partition();
  if (kind == "slow") return Slow();
  if (kind == "transfer") return Transfer();
  return Status::InvalidArgument("unknown nemesis kind " + kind);
}

std::vector<int> Nemesis::ShuffledMembers() {
  std::vector<int> members;
  for (int i = 1; i <= cluster_->members(); ++i) members.push_back(i);
  std::shuffle(members.begin(), members.end(), rng_);
  return members;
}

std::pair<std::string, std::vector<int>> Nemesis::PickVictims() {
  const int n = cluster_->members();
  std::vector<int> members = ShuffledMembers();
  switch (rng_() % 4) {
    case 0: {
      const int leader = cluster_->CurrentLeader();
      if (leader != 0) return {"leader", {leader}};
      return {"one", {members[0]}};
    }
    case 1:
      if (n >= 3) {
        members.resize(static_cast<size_t>((n - 1) / 2));
        return {"minority", members};
      }
      return {"one", {members[0]}};
    case 2:
      members.resize(static_cast<size_t>(n / 2 + 1));
      return {"majority", members};
    default:
      return {"one", {members[0]}};
  }
}

std::string Nemesis::Members(const std::vector<int>& members) {
  std::string text;
  for (int m : members) text += (text.empty() ? "" : ",") + std::to_string(m);
  return text;
}

StatusOr<Nemesis::Fault> Nemesis::Kill() {
  auto [variant, victims] = PickVictims();
  for (int v : victims) cluster_->Kill(v);
  ++injected_["kill " + variant];
  Log("kill " + variant + ": members " + Members(victims));
  Fault fault;
  fault.heal = [this, victims = victims] {
    for (int v : victims) {
      if (!cluster_->running(v)) RAFTKV_RETURN_IF_ERROR(cluster_->Start(v));
    }
    Log("restart members " + Members(victims));
    return Status::Ok();
  };
  return fault;
}

Nemesis::Fault Nemesis::Pause() {
  auto [variant, victims] = PickVictims();
  for (int v : victims) cluster_->Pause(v);
  ++injected_["pause " + variant];
  Log("pause " + variant + ": members " + Members(victims));
  Fault fault;
  fault.heal = [this, victims = victims] {
    for (int v : victims) cluster_->Resume(v);
    Log("resume members " + Members(victims));
    return Status::Ok();
  };
  return fault;
}

void Nemesis::CutBetween(const std::vector<int>& a, const std::vector<int>& b, LinkFaults* faults) {
  for (int x : a) {
    for (int y : b) {
      faults->cut.insert({x, y});
      faults->cut.insert({y, x});
    }
  }
}

StatusOr<Nemesis::Fault> Nemesis::Partition() {
  const int n = cluster_->members();
  std::vector<int> members = ShuffledMembers();
  LinkFaults faults;
  std::string variant_name;  // halves, leader, bridge or one-way
  std::string description;   // the variant and its sides
  const uint64_t variant = rng_() % 4;
  if (variant == 0 || n < 3) {
    const auto half = members.begin() + static_cast<long>(members.size() / 2);
    const std::vector<int> a(members.begin(), half);
    const std::vector<int> b(half, members.end());
    CutBetween(a, b, &faults);
    variant_name = "halves";
    description = "halves: " + Members(a) + " | " + Members(b);
  } else if (variant == 1) {
    int leader = cluster_->CurrentLeader();
    if (leader == 0) leader = members[0];
    std::vector<int> rest;
    for (int m : members) {
      if (m != leader) rest.push_back(m);
    }
    CutBetween({leader}, rest, &faults);
    variant_name = "leader";
    description = "leader isolated: " + std::to_string(leader) + " | " + Members(rest);
  } else if (variant == 2) {
    // A bridge: two halves that cannot talk, and one member in touch with both.
    const int bridge = members[0];
    const std::vector<int> rest(members.begin() + 1, members.end());
    const auto half = rest.begin() + static_cast<long>(rest.size() / 2);
    const std::vector<int> a(rest.begin(), half);
    const std::vector<int> b(half, rest.end());
    CutBetween(a, b, &faults);
    variant_name = "bridge";
    description = "bridge " + std::to_string(bridge) + ": " + Members(a) + " | " + Members(b);
  } else {
    // One-way: a minority hears nobody, and everybody hears it.
    const std::vector<int> deaf(members.begin(), members.begin() + (n - 1) / 2);
    const std::vector<int> rest(members.begin() + (n - 1) / 2, members.end());
    for (int x : rest) {
      for (int y : deaf) faults.cut.insert({x, y});
    }
    variant_name = "one-way";
    description = "one-way: " + Members(rest) + " -/-> " + Members(deaf);
  }
  ++injected_["partition " + variant_name];
  Log("partition " + description);
  return AddLinkFaults(faults, "partition " + variant_name);
}

StatusOr<Nemesis::Fault> Nemesis::Slow() {
  // Some members' links, both ways, lose a share of their packets.
  std::vector<int> members = ShuffledMembers();
  const size_t slow = 1 + rng_() % std::max<size_t>(1, members.size() / 2);
  const int percent = 10 + static_cast<int>(rng_() % 31);
  LinkFaults faults;
  for (size_t s = 0; s < slow; ++s) {
    for (int other : members) {
      if (other == members[s]) continue;
      faults.loss[{members[s], other}] = percent;
      faults.loss[{other, members[s]}] = percent;
    }
  }
  const std::vector<int> victims(members.begin(), members.begin() + static_cast<long>(slow));
  ++injected_["slow"];
  Log("slow links of members " + Members(victims) + ": " + std::to_string(percent) +
      "% packet loss");
  return AddLinkFaults(faults, "slow links");
}

StatusOr<Nemesis::Fault> Nemesis::AddLinkFaults(const LinkFaults& added, const std::string& name) {
  links_.cut.insert(added.cut.begin(), added.cut.end());
  for (const auto& [link, percent] : added.loss) links_.loss[link] = percent;
  RAFTKV_RETURN_IF_ERROR(network_->SetLinks(links_));
  Fault fault;
  fault.heal = [this, added, name] {
    for (const auto& link : added.cut) links_.cut.erase(link);
    for (const auto& [link, percent] : added.loss) links_.loss.erase(link);
    Log("heal " + name);
    return network_->SetLinks(links_);
  };
  return fault;
}

Nemesis::Fault Nemesis::Transfer() {
  const int leader = cluster_->CurrentLeader();
  if (leader == 0) {
    Log("transfer: no leader to move");
    return {};
  }
  int target = static_cast<int>(rng_() % static_cast<uint64_t>(cluster_->members())) + 1;
  if (target == leader) target = target % cluster_->members() + 1;
  const Status moved = cluster_->MoveLeader(leader, target);
  ++injected_["transfer"];
  Log("transfer leadership " + std::to_string(leader) + " -> " + std::to_string(target) + ": " +
      (moved.ok() ? "done" : moved.ToString()));
  return {};
}

void Nemesis::StaleFollower(Clock::time_point end) {
  // Pauses a follower while the others keep writing, then resumes it while the clients bound
  // to it do nothing but read: a member that serves reads without a ReadIndex round answers
  // from its old state until it catches up.
  const int leader = cluster_->CurrentLeader();
  if (leader == 0 || cluster_->members() < 2) return;
  int follower = static_cast<int>(rng_() % static_cast<uint64_t>(cluster_->members())) + 1;
  if (follower == leader) follower = follower % cluster_->members() + 1;
  workload_->SetReadOnlyMember(follower);
  cluster_->Pause(follower);
  ++injected_["stale-follower"];
  Log("stale-follower: pause member " + std::to_string(follower) + " (leader " +
      std::to_string(leader) + ")");
  SleepAtMost(milliseconds(1500), end);
  cluster_->Resume(follower);
  Log("stale-follower: resume member " + std::to_string(follower));
  SleepAtMost(milliseconds(700), end);
  workload_->SetReadOnlyMember(0);
}

void Nemesis::Log(const std::string& line) {
  const auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - started_).count();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%7.1fs ", static_cast<double>(ms) / 1000.0);
  log_.push_back(stamp + line);
  std::fprintf(stderr, "nemesis: %s%s\n", stamp, line.c_str());
}

}  // namespace raftkv::fault::harness
