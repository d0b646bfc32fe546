// SimParams: the shape of one simulated run (cluster size, timing, fault rates, workload mix),
// drawn from the run's seed so that different seeds explore different corners.
#pragma once

#include <cstdint>
#include <string>

#include "tests/sim/sim_random.h"

namespace raftkv::sim {

// How the network misbehaves. Every message independently may be dropped, and otherwise is
// delivered after a uniform random delay (which reorders messages) and may be duplicated (the
// copy gets its own delay).
struct NetworkFaults {
  double drop = 0;
  double duplicate = 0;
  uint64_t min_delay_us = 100;
  uint64_t max_delay_us = 5000;
};

// Relative weights of the random actions taken during the chaotic part of a phase. Client
// actions (writes, reads) and fault/operator actions (the rest) are two independent streams,
// each with its own mean interval, so a busy client does not imply a storm of faults.
struct ActionWeights {
  // Client stream.
  int propose = 2;
  int read = 1;
  // Fault/operator stream.
  int transfer_leader = 2;
  int campaign = 1;
  int conf_change = 4;
  int compact = 4;
  int crash = 2;
  int partition = 3;
  int heal = 2;
};

struct SimParams {
  // Initial voters, ids 1..initial_voters.
  int initial_voters = 3;
  // The core's timing, in ticks, and the length of a tick in virtual microseconds.
  int election_tick = 10;
  int heartbeat_tick = 1;
  uint64_t tick_us = 10000;
  // Each node's clock runs at tick_us * (1 +- clock_skew) (fixed per node incarnation).
  double clock_skew = 0.05;
  // Core flow-control limits (small values force many messages and probing).
  uint64_t max_size_per_msg = 1 << 20;
  int max_inflight_msgs = 256;
  uint64_t max_committed_size_per_ready = 64 << 20;
  // The core's optional protections (thesis 9.6 and 6.2).
  bool pre_vote = true;
  bool check_quorum = true;

  // Network faults during the chaotic part of a phase (the healed network keeps the delays).
  NetworkFaults faults;
  // The disk: a Ready's write completes after a uniform delay in [0, disk_max_latency_us].
  uint64_t disk_max_latency_us = 1000;
  // Chance that a leader sends its appends/heartbeats/snapshots before its own write (thesis
  // 10.2.1) rather than after.
  double early_send = 0.5;
  // Chance that a crash loses a hard-state write that was not fsynced (must_sync == false).
  double unsynced_loss = 0.5;
  // Crashed nodes come back after a uniform downtime in [min, max] election timeouts.
  double min_downtime_timeouts = 0.2;
  double max_downtime_timeouts = 4;
  // Chance that a node removed from the configuration is then stopped (otherwise it stays up,
  // which the core must tolerate). Always 1 without pre-vote or check-quorum: a removed member
  // left running then disrupts elections by design (thesis 4.2.3), which is not a liveness bug.
  double stop_removed = 0.5;
  // At most this many nodes are ever created (initial voters plus joiners).
  int max_nodes = 8;

  // Mean virtual time between client actions, and between fault/operator actions.
  uint64_t client_interval_us = 3000;
  uint64_t fault_interval_us = 50000;
  ActionWeights weights;

  // A run is `phases` times: chaos for chaos_ticks ticks, then heal and require liveness within
  // liveness_timeouts election timeouts.
  int phases = 2;
  int chaos_ticks = 300;
  int liveness_timeouts = 50;

  // Draws the parameters of a run from its generator.
  static SimParams Draw(SimRandom& rng);
  std::string ToString() const;
};

}  // namespace raftkv::sim
