// SimCluster: the nodes of one run, the network between them, and the event loop that checks the
// whole cluster after every event.
//
// Owns everything a run is made of (clock, randomness, network, checker, nodes); the driver
// (sim_driver.h) decides what happens. After every event it runs Core::CheckInvariants() on every
// live core; the other rules are checked by SimChecker as nodes report to it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proto/raft.pb.h"
#include "tests/sim/sim_checker.h"
#include "tests/sim/sim_event_queue.h"
#include "tests/sim/sim_network.h"
#include "tests/sim/sim_node.h"
#include "tests/sim/sim_params.h"
#include "tests/sim/sim_random.h"
#include "tests/sim/sim_trace.h"

namespace raftkv::sim {

class SimCluster {
 public:
  // Creates and starts the founding voters 1..params.initial_voters. `rng_seed` seeds all the
  // run's randomness; `trace` must outlive the cluster.
  SimCluster(uint64_t rng_seed, const SimParams& params, SimTrace* trace);
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  const SimParams& params() const { return params_; }
  EventQueue& queue() { return queue_; }
  SimNetwork& network() { return network_; }
  SimChecker& checker() { return checker_; }
  const SimChecker& checker() const { return checker_; }
  SimRandom& rng() { return rng_; }
  SimTrace& trace() { return *trace_; }

  // Creates a node and starts it: a founding member (disk bootstrapped with `founders`) or, with
  // `founders` empty, a joiner with an empty disk.
  SimNode* AddNode(uint64_t id, const std::vector<uint64_t>& founders);
  // nullptr when no node has that id.
  SimNode* node(uint64_t id) const;
  const std::map<uint64_t, std::unique_ptr<SimNode>>& nodes() const { return nodes_; }
  std::vector<SimNode*> UpNodes() const;
  // The live leader with the highest term, or nullptr.
  SimNode* Leader() const;

  // Runs events while the next one is due at or before `until`, stopping early when `done()`
  // (evaluated after every event) returns true or a rule is broken.
  void RunUntil(uint64_t until, const std::function<bool()>& done);
  // Events run so far.
  uint64_t events() const { return events_; }

  // One line per node (role, term, indexes, membership), for failure reports.
  std::string DescribeNodes() const;
  // A digest of every node's disk and state machine.
  uint64_t StateHash() const;

 private:
  void Deliver(const Envelope& env);
  void OnDrop(const Envelope& env, SimNetwork::DropReason why);
  void CheckAfterEvent();

  const SimParams params_;
  SimTrace* trace_;
  EventQueue queue_;
  SimRandom rng_;
  SimNetwork network_;
  SimChecker checker_;
  // By id, so iteration order is deterministic. Nodes are never destroyed during a run.
  std::map<uint64_t, std::unique_ptr<SimNode>> nodes_;
  uint64_t events_ = 0;
};

}  // namespace raftkv::sim
