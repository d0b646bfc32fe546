// Ready: what the consensus core asks the outside world to do, and in which order.
//
// The durability contract (DESIGN.md rule 1). For each Ready, in this order:
//   1. Persist `snapshot` (if any), then `entries` (truncating the conflicting suffix of the log),
//      then `hard_state` (if any) -- ideally in one atomic write, fsynced when `must_sync`.
//   2. Send `messages`. Every message may depend on step 1 (a vote depends on the persisted vote,
//      an append acknowledgement on the persisted entries), so they leave only after it -- with
//      one exception: a leader may send its MSG_APPEND, MSG_HEARTBEAT and MSG_SNAPSHOT messages
//      before its own write completes (thesis 10.2.1), because the core counts the leader itself
//      towards a quorum only for entries acknowledged by Advance().
//   3. Install `snapshot` into the state machine, then apply `committed_entries` in order. They
//      are all durable locally already, so applying them may overlap with step 1 of this Ready,
//      and ordinary entries may lag behind Advance(). ENTRY_CONF_CHANGE entries must be applied
//      (Core::ApplyConfChange called) before Advance(): the core installs no snapshot while a
//      Ready is outstanding, so no configuration from a snapshot can overtake them.
//   4. Serve `read_states` once the state machine has applied up to each one's index.
//   5. Call Core::Advance() once step 1 is complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/raft.pb.h"

namespace raftkv::raft {

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };

const char* RoleName(Role role);

// Volatile state worth telling the application about when it changes.
struct SoftState {
  uint64_t leader = 0;  // 0 = no known leader
  Role role = Role::kFollower;
  bool operator==(const SoftState&) const = default;
};

// A linearizable read that may be served: once the local state machine has applied `index`,
// the read identified by `request_ctx` observes every write that completed before it began.
struct ReadState {
  uint64_t index = 0;
  std::string request_ctx;
};

struct Ready {
  // Set when leader or role changed since the last Ready.
  std::optional<SoftState> soft_state;
  // Set when term, vote or commit changed: persist it.
  std::optional<raftpb::HardState> hard_state;
  // Entries to append to the persisted log. They are contiguous; the first one may overwrite
  // (and truncate from) an existing index.
  std::vector<raftpb::Entry> entries;
  // A snapshot received from the leader, to persist and install.
  std::optional<raftpb::Snapshot> snapshot;
  // Committed entries, durable locally, to apply to the state machine in order.
  std::vector<raftpb::Entry> committed_entries;
  // Messages to send (see the contract above for when).
  std::vector<raftpb::Message> messages;
  // Linearizable reads that are ready to be served.
  std::vector<ReadState> read_states;
  // True when step 1 must be fsynced before messages leave: term, vote or entries changed.
  bool must_sync = false;
};

}  // namespace raftkv::raft
