// SimChecker: the global rules of Raft, checked against everything every node does.
//
// The checker sees the whole cluster at once (which no real node can), keeps the history needed
// to judge each rule, and records the first violation. Nodes report to it as they persist, send,
// apply and answer reads; the cluster reports each core's visible state after every input.
//
// Rules (names are stable; tests match on them):
//   election safety      at most one leader per term; a member votes for at most one candidate
//                        per term (its persisted vote never changes within a term).
//   log matching         two persisted entries with the same index and term have the same content
//                        and the same predecessor term; terms never decrease along a log.
//   leader completeness  a new leader of term T holds every entry committed in a term < T.
//   state machine safety every node applies the same entry at each index, only entries known to
//                        be committed, and reaches the same state at each index (also through
//                        snapshots).
//   configuration        every node sees the same membership after each index.
//   linearizable read    a ReadIndex read observes every write acknowledged before it began, and
//                        reads the value the log holds at the index where it is served.
//   durability           must_sync is set when it must be; a vote request, a granted vote or an
//                        append acknowledgement leaves only after what it promises is persisted;
//                        committed entries handed out are durable locally; terms never go back.
//   ready contract       committed entries continue the applied index; snapshots are newer.
//   core invariant       Core::CheckInvariants() fails, or the core's commit index goes back.
//   liveness             see SimDriver.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/memory_storage.h"
#include "raft/ready.h"
#include "raft/status.h"
#include "tests/sim/sim_state_machine.h"

namespace raftkv::sim {

inline constexpr std::string_view kElectionSafety = "election safety";
inline constexpr std::string_view kLogMatching = "log matching";
inline constexpr std::string_view kLeaderCompleteness = "leader completeness";
inline constexpr std::string_view kStateMachineSafety = "state machine safety";
inline constexpr std::string_view kConfiguration = "configuration";
inline constexpr std::string_view kLinearizableRead = "linearizable read";
inline constexpr std::string_view kDurability = "durability";
// Other misuse of the Ready contract: committed entries that do not continue the applied index,
// a snapshot older than what is applied, ...
inline constexpr std::string_view kReadyContract = "ready contract";
inline constexpr std::string_view kCoreInvariant = "core invariant";
inline constexpr std::string_view kLiveness = "liveness";
// The core returned an error the simulator cannot explain (e.g. Create failed on its own
// storage), or the simulator itself broke (a bug here, reported as such).
inline constexpr std::string_view kUnexpectedError = "unexpected error";

// A broken rule: which one, and the particulars (nodes, terms, indexes).
struct Violation {
  std::string rule;
  std::string detail;
};

// What the checker looks at in a live core after an input. `term_at` reads the core's log
// (persisted and unstable parts): Compacted/Unavailable outside [first_index - 1, last_index].
struct CoreView {
  uint64_t id = 0;
  uint64_t term = 0;
  bool leader = false;
  uint64_t committed = 0;
  uint64_t first_index = 1;
  uint64_t last_index = 0;
  std::function<StatusOr<uint64_t>(uint64_t)> term_at;
};

// Normalized "v1,2,3 l4" form of a configuration (sorted), for comparisons and traces.
std::string DescribeConf(const raftpb::ConfState& cs);

class SimChecker {
 public:
  // Records the founding membership, in force from `bootstrap_index` (the last bootstrap entry;
  // the membership before index 1 is empty unless bootstrap_index is 0).
  SimChecker(uint64_t bootstrap_index, const raftpb::ConfState& founding_conf);

  bool failed() const { return violation_.has_value(); }
  const std::optional<Violation>& violation() const { return violation_; }
  // Records a violation; only the first one of a run is kept.
  void Fail(std::string_view rule, std::string detail);

  // --- Cores -----------------------------------------------------------------------------------
  // After every input to a live core: election safety, commit tracking, leader completeness.
  void ObserveCore(const CoreView& v);
  // The node crashed: its next core starts from scratch (commit may be lower, role follower).
  void ForgetCore(uint64_t id) { observed_.erase(id); }

  // --- Persistence and sending (the Ready contract) ---------------------------------------------
  // A node persisted `entries` and moved its hard state from `before` to `after`; `storage` is
  // its disk afterwards.
  void OnPersisted(uint64_t id, const raftpb::HardState& before, const raftpb::HardState& after,
                   const std::vector<raftpb::Entry>& entries, const raft::MemoryStorage& storage);
  // A node is about to send `m` after persisting its Ready; `storage` is its disk.
  void OnSend(uint64_t id, const raftpb::Message& m, const raft::MemoryStorage& storage);

  // --- Applying ----------------------------------------------------------------------------------
  // Node `id` (incarnation `incarnation`) applied `e`; its state machine's hash is now
  // `state_hash`. `cmd` is the parsed command (nullptr for a no-op or membership change).
  void OnApplied(uint64_t id, uint64_t incarnation, const raftpb::Entry& e, const Command* cmd,
                 uint64_t state_hash);
  // Node `id` applied the membership change at `index`, resulting in `cs`.
  void OnConfApplied(uint64_t id, uint64_t index, const raftpb::ConfState& cs);
  // Node `id` installed a snapshot into its state machine.
  void OnSnapshotInstalled(uint64_t id, const raftpb::SnapshotMetadata& md, uint64_t state_hash);

  // --- Clients
  // ------------------------------------------------------------------------------------ A client
  // asked node `node` (incarnation) to write; the write is acknowledged when that same incarnation
  // applies it.
  void OnWriteProposed(const std::string& write_id, uint64_t node, uint64_t incarnation);
  // A client started a linearizable read of `key` on `node`.
  void OnReadStarted(const std::string& ctx, uint64_t node, const std::string& key);
  // The core of `node` answered a read: checks the read index.
  void OnReadState(uint64_t node, const raft::ReadState& rs);
  // `node` served the read `ctx` from its state machine at `applied`, returning `value`.
  void OnReadServed(uint64_t node, const std::string& ctx, uint64_t applied,
                    const std::string& value);
  // The key a started read asks for ("" if unknown).
  std::string ReadKey(const std::string& ctx) const;

  // --- Queries for the driver --------------------------------------------------------------------
  // The newest configuration any node has applied, and its index.
  const raftpb::ConfState& LatestConf() const { return conf_history_.rbegin()->second; }
  uint64_t LatestConfIndex() const { return conf_history_.rbegin()->first; }
  // The configuration in force after index `index`.
  const raftpb::ConfState& ConfAt(uint64_t index) const;
  // Index at which a write was first applied by anyone.
  std::optional<uint64_t> FirstAppliedIndex(const std::string& write_id) const;
  uint64_t max_completed_write() const { return max_completed_write_; }
  uint64_t max_committed() const { return committed_.empty() ? 0 : committed_.rbegin()->first; }

  // Statistics.
  uint64_t leaders_elected() const { return leaders_.size(); }
  uint64_t writes_completed() const { return writes_completed_; }
  uint64_t reads_checked() const { return reads_checked_; }

 private:
  // What the checker last saw of one live core.
  struct Observed {
    uint64_t commit = 0;
    bool leader = false;
    uint64_t term = 0;
  };
  // A committed index: the entry's term and the lowest term in which it was known committed.
  struct CommittedRecord {
    uint64_t term;
    uint64_t commit_term;
    uint64_t first_seen_by;
  };
  // A persisted entry (index, term): its content and its predecessor's term.
  struct LogRecord {
    uint64_t data_hash;
    uint64_t prev_term;
    uint64_t first_node;
  };
  // An applied index: the entry and the state after applying it.
  struct AppliedRecord {
    uint64_t term;
    uint64_t data_hash;
    uint64_t first_node;
  };
  struct WriteRecord {
    uint64_t node;
    uint64_t incarnation;
    bool completed = false;
  };
  struct ReadRecord {
    uint64_t node;
    std::string key;
    // The highest index of any write acknowledged before the read began.
    uint64_t min_index;
  };

  void RecordCommitted(uint64_t node, uint64_t index, uint64_t term, uint64_t commit_term);
  void CheckLeaderCompleteness(const CoreView& v);
  void RecordStateHash(uint64_t node, uint64_t index, uint64_t state_hash, const char* how);
  std::string ValueAt(const std::string& key, uint64_t index) const;

  std::optional<Violation> violation_;

  std::map<uint64_t, Observed> observed_;
  // Election safety: the leader of each term.
  std::map<uint64_t, uint64_t> leaders_;
  std::map<uint64_t, CommittedRecord> committed_;
  std::map<std::pair<uint64_t, uint64_t>, LogRecord> log_;
  std::map<uint64_t, AppliedRecord> applied_;
  // State hash after each applied index (also recorded from installed snapshots).
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> state_hash_at_;  // index -> (hash, node)
  // Membership after each membership change, by index; index 0 is the membership before the log.
  std::map<uint64_t, raftpb::ConfState> conf_history_;
  // Per key: index -> value written there (from the first application of each index).
  std::map<std::string, std::map<uint64_t, std::string>> key_history_;
  std::map<std::string, uint64_t> first_applied_;
  std::map<std::string, WriteRecord> writes_;
  std::map<std::string, ReadRecord> reads_;
  uint64_t max_completed_write_ = 0;
  uint64_t writes_completed_ = 0;
  uint64_t reads_checked_ = 0;
};

}  // namespace raftkv::sim
