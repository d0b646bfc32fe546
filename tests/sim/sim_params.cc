#include "tests/sim/sim_params.h"

#include <cstdio>
#include <vector>

namespace raftkv::sim {

SimParams SimParams::Draw(SimRandom& rng) {
  SimParams p;
  p.initial_voters = rng.Chance(0.6) ? 3 : 5;
  p.heartbeat_tick = rng.Chance(0.7) ? 1 : 2;
  p.max_size_per_msg = rng.Chance(0.3) ? 120 : (1 << 20);
  p.max_inflight_msgs = rng.Chance(0.3) ? 2 : 256;
  p.max_committed_size_per_ready = rng.Chance(0.3) ? 100 : (64 << 20);
  p.pre_vote = rng.Chance(0.8);
  p.check_quorum = rng.Chance(0.8);

  const std::vector<double> drops = {0, 0.01, 0.05, 0.15};
  const std::vector<double> dups = {0, 0.02, 0.1};
  const std::vector<uint64_t> max_delays = {2000, 10000, 30000};
  p.faults.drop = rng.Pick(drops);
  p.faults.duplicate = rng.Pick(dups);
  p.faults.min_delay_us = rng.Uniform(50, 1000);
  p.faults.max_delay_us = p.faults.min_delay_us + rng.Pick(max_delays);

  const std::vector<uint64_t> disk = {0, 1000, 5000};
  p.disk_max_latency_us = rng.Pick(disk);
  p.early_send = rng.Chance(0.5) ? 0.5 : 0;
  p.stop_removed = rng.Chance(0.5) ? 0.5 : 0;
  if (!p.pre_vote || !p.check_quorum) p.stop_removed = 1;
  p.client_interval_us = rng.Uniform(500, 8000);
  p.fault_interval_us = rng.Uniform(5000, 150000);

  ActionWeights& w = p.weights;
  w.propose = static_cast<int>(rng.Uniform(1, 3));
  w.read = rng.Chance(0.85) ? static_cast<int>(rng.Uniform(1, 2)) : 0;
  w.crash = static_cast<int>(rng.Uniform(0, 3));
  w.partition = static_cast<int>(rng.Uniform(0, 5));
  w.heal = w.partition > 0 ? static_cast<int>(rng.Uniform(1, 3)) : 0;
  w.conf_change = static_cast<int>(rng.Uniform(0, 8));
  w.compact = static_cast<int>(rng.Uniform(1, 6));
  w.transfer_leader = static_cast<int>(rng.Uniform(0, 3));
  return p;
}

std::string SimParams::ToString() const {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "voters=%d hb=%d el=%d msg_size=%llu inflight=%d apply_size=%llu pre_vote=%d "
                "check_quorum=%d drop=%.2f dup=%.2f "
                "delay=[%llu,%llu]us disk<=%lluus early_send=%.1f stop_removed=%.1f "
                "client_interval=%lluus fault_interval=%lluus w{write=%d read=%d crash=%d part=%d "
                "heal=%d conf=%d compact=%d transfer=%d}",
                initial_voters, heartbeat_tick, election_tick,
                static_cast<unsigned long long>(max_size_per_msg), max_inflight_msgs,
                static_cast<unsigned long long>(max_committed_size_per_ready), pre_vote ? 1 : 0,
                check_quorum ? 1 : 0, faults.drop, faults.duplicate,
                static_cast<unsigned long long>(faults.min_delay_us),
                static_cast<unsigned long long>(faults.max_delay_us),
                static_cast<unsigned long long>(disk_max_latency_us), early_send, stop_removed,
                static_cast<unsigned long long>(client_interval_us),
                static_cast<unsigned long long>(fault_interval_us), weights.propose, weights.read,
                weights.crash, weights.partition, weights.heal, weights.conf_change,
                weights.compact, weights.transfer_leader);
  return buf;
}

}  // namespace raftkv::sim
