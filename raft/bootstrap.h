// Bootstrap: the state every founding member of a new cluster starts from.
//
// The founding configuration is written into the log itself -- one committed ADD_VOTER entry per
// founding member, at term 1 -- rather than only into each member's ConfState. A member that
// joins later and is caught up from log entries (not from a snapshot) replays those entries and
// so learns the whole configuration; with the configuration outside the log it would believe it
// is the only voter and could elect itself alone (thesis 4.1).
#pragma once

#include <cstdint>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/status.h"

namespace raftkv::raft {

struct BootstrapState {
  std::vector<raftpb::Entry> entries;  // indices 1..n, term 1, all ENTRY_CONF_CHANGE
  raftpb::HardState hard_state;        // term 1, commit n
  raftpb::ConfState conf_state;        // voters = the founders
};

// Identical on every founding member given the same set of ids. Error on an empty set or id 0.
StatusOr<BootstrapState> MakeBootstrapState(const std::vector<uint64_t>& voters);

}  // namespace raftkv::raft
