// The nemesis of the fault harness: a seeded sequence of faults against a FaultCluster and its
// Network, run on the harness's main thread (members must be started from it, see cluster.h).
//
// Kinds (--nemesis, any comma-separated set):
//   kill       SIGKILL, then restart: one member, the leader, a minority, or a majority (the
//              cluster stops until they come back);
//   pause      SIGSTOP, then SIGCONT, with the same choice of victims;
//   partition  members cut apart (needs network namespaces): random halves, the leader
//              isolated, a bridge (two halves that cannot talk, and one member both reach), or
//              one-way (a minority hears nobody but is heard);
//   slow       lossy links (needs namespaces): 10-40% of the packets between some members are
//              dropped, so TCP retransmits and the links crawl;
//   transfer   leadership moved to another member (Maintenance.MoveLeader);
//   stale-follower  pauses a follower, then resumes it while its clients only read (the test
//              that a member without ReadIndex serves stale reads).
// One fault at a time, held for 1-3 s and healed, with gaps of 0.8-2 s; when more than one kind
// is enabled, one fault in three is combined with a second of another kind (a partition while a
// member is paused, say), and both are healed together. Every fault is healed before Run
// returns. The same seed gives the same sequence of choices (the cluster's timing may still
// differ).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "raft/status.h"
#include "tests/fault/harness/cluster.h"
#include "tests/fault/harness/network.h"
#include "tests/fault/harness/workload.h"

namespace raftkv::fault::harness {

// The kinds --nemesis accepts (besides "none").
extern const std::set<std::string> kNemesisKinds;
// The kinds that need link faults from the network.
extern const std::set<std::string> kLinkFaultKinds;

class Nemesis {
 public:
  using Clock = std::chrono::steady_clock;

  Nemesis(std::set<std::string> kinds, uint64_t seed, FaultCluster* cluster, Network* network,
          Workload* workload);

  // Injects faults until `end`; every fault is healed before it returns. Fails only when the
  // harness itself fails (a member cannot be restarted, a filter cannot be loaded).
  [[nodiscard]] Status Run(Clock::time_point end);

  // Faults injected, by kind and variant ("kill leader", "partition bridge", ...).
  const std::map<std::string, int>& injected() const { return injected_; }
  // What was done, in order, with the time since Run began.
  const std::vector<std::string>& log() const { return log_; }

 private:
  // An injected fault and what undoes it.
  struct Fault {
    std::function<Status()> heal;
  };

  // Injects one fault of `kind`; the result heals it. Returns a fault with an empty heal when
  // nothing could be done (no leader to isolate, say).
  StatusOr<Fault> Inject(const std::string& kind, Clock::time_point end);
  StatusOr<Fault> Kill();
  Fault Pause();
  StatusOr<Fault> Partition();
  StatusOr<Fault> Slow();
  Fault Transfer();
  void StaleFollower(Clock::time_point end);

  // Adds `added` to the network's current link faults (links_) and applies them; the fault's
  // heal takes exactly those links out again, so combined link faults heal one by one.
  StatusOr<Fault> AddLinkFaults(const LinkFaults& added, const std::string& name);
  // Victims for kill and pause: {variant name, members}.
  std::pair<std::string, std::vector<int>> PickVictims();
  // All members, shuffled by the nemesis's generator.
  std::vector<int> ShuffledMembers();
  // A LinkFaults cutting every link between a and b, both ways.
  static void CutBetween(const std::vector<int>& a, const std::vector<int>& b, LinkFaults* faults);
  static std::string Members(const std::vector<int>& members);

  void Log(const std::string& line);

  FaultCluster* const cluster_;
  Network* const network_;
  Workload* const workload_;
  std::mt19937_64 rng_;                  // seeded with --seed: the same choices in order
  std::vector<std::string> kinds_;       // enabled kinds, sorted
  std::map<std::string, int> injected_;  // kind and variant -> faults injected
  std::vector<std::string> log_;         // what was done, in order
  LinkFaults links_;                     // the link faults in force now
  Clock::time_point started_;            // when Run began, for the log's times
};

}  // namespace raftkv::fault::harness
