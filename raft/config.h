// Config: how a consensus core is built. Everything here is fixed for the life of a core.
#pragma once

#include <cstdint>

#include "raft/status.h"

namespace raftkv::raft {

class LogStorage;

struct Config {
  // This member's id. Must be non-zero.
  uint64_t id = 0;
  // Ticks without hearing from a leader before a follower starts an election; the actual timeout
  // is drawn at random from [election_tick, 2 * election_tick) at each reset (section 5.2).
  int election_tick = 10;
  // Ticks between heartbeats sent by a leader. Must be less than election_tick.
  int heartbeat_tick = 1;
  // The persisted log. Not owned; must outlive the core.
  const LogStorage* storage = nullptr;
  // The last index the state machine had applied when the core was (re)started. Committed
  // entries above it are handed out again.
  uint64_t applied = 0;
  // Upper bound on the entries' bytes in one append message (at least one entry is always sent).
  uint64_t max_size_per_msg = 1 << 20;
  // Upper bound on the committed entries' bytes handed out in one Ready.
  uint64_t max_committed_size_per_ready = 64 << 20;
  // In-flight window per follower while replicating: at most this many append messages ...
  int max_inflight_msgs = 256;
  // ... and at most this many entry bytes not yet acknowledged (0 = no byte limit).
  uint64_t max_inflight_bytes = 32 << 20;
  // Pre-vote (thesis 9.6): a node only starts a real election (raising its term) after a majority
  // says it could win, so a node rejoining from a partition does not depose a healthy leader.
  bool pre_vote = true;
  // Check-quorum (thesis 6.2): a leader that has not heard from a majority within an election
  // timeout steps down; followers that heard from a leader within the timeout ignore votes.
  bool check_quorum = true;
  // Seed of the core's random generator (election timeouts). Same seed, same behaviour.
  uint64_t seed = 0;

  [[nodiscard]] Status Validate() const;
};

}  // namespace raftkv::raft
