// TestCluster: a small synchronous in-memory harness for the consensus core.
//
// N cores, each over its own MemoryStorage, connected by a perfect network that a test can cut
// (Isolate, Cut, SetFilter). Delivery is synchronous and deterministic: Deliver() repeatedly
// processes every member's Ready (persist, apply, Advance) and then steps the messages it
// produced into their recipients, until nothing is left to do. The harness follows the Ready
// contract of raft/ready.h to the letter (persist before sending), so what it shows about the
// core is what a correct server would see.
//
// It also keeps the evidence tests assert on: every message sent (before any filter), the
// committed entries each member applied, its read states, and any safety violation it noticed
// (two leaders in one term, two different entries applied at one index, a core invariant).
//
// Used by the unit tests in tests/raft/ and by benchmarks/raft_core_bench.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/config.h"
#include "raft/core.h"
#include "raft/memory_storage.h"
#include "raft/ready.h"
#include "raft/status.h"

namespace raftkv::raft::test {

// How the cluster's cores are configured and how much the harness records.
struct ClusterOptions {
  int election_tick = 10;
  int heartbeat_tick = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  uint64_t seed = 42;
  int max_inflight_msgs = 256;
  uint64_t max_inflight_bytes = 32 << 20;
  uint64_t max_size_per_msg = 1 << 20;
  // Keep every message handed out by a core (see sent()). Off in the benchmark.
  bool record_messages = true;
  // Keep every applied entry per member (see Member::applied). Off in the benchmark.
  bool record_applied = true;
  // Check core invariants, election safety and state-machine safety on every Ready.
  bool check_safety = true;
};

// One member of the cluster: its durable state, its core and what it has applied.
struct Member {
  uint64_t id = 0;
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<Core> core;
  // Index of the last entry (or snapshot) applied to the "state machine". Survives restarts,
  // like the applied index a real server persists with its state machine.
  uint64_t applied_index = 0;
  // Committed entries applied, in order (when ClusterOptions::record_applied).
  std::vector<raftpb::Entry> applied;
  // Number of entries applied (always counted).
  uint64_t applied_count = 0;
  // Snapshots installed, in order.
  std::vector<raftpb::SnapshotMetadata> installed_snapshots;
  // Read states handed out by the core, in order.
  std::vector<ReadState> read_states;
  // The configuration as the application last learned it (ApplyConfChange or a snapshot).
  raftpb::ConfState conf_state;
  // A stopped member neither ticks nor processes Readies; messages to and from it are lost.
  bool down = false;
};

// A message filter: return false to drop the message; it may also rewrite it.
using Filter = std::function<bool(raftpb::Message& m)>;

// The cluster. Not thread-safe (nothing in the core is).
class TestCluster {
 public:
  // A new cluster: every member starts from MemoryStorage::Bootstrap(voters) -- one committed
  // ADD_VOTER entry per voter at term 1 -- followed by one committed ADD_LEARNER entry per
  // learner, so the cluster's first leader is elected in term 2.
  explicit TestCluster(std::vector<uint64_t> voters, ClusterOptions options = {},
                       std::vector<uint64_t> learners = {});

  // The Config a member of this cluster is built with.
  Config MakeConfig(uint64_t id, const MemoryStorage* storage, uint64_t applied) const;

  Member& member(uint64_t id);
  const Member& member(uint64_t id) const;
  Core& core(uint64_t id) { return *member(id).core; }
  const Core& core(uint64_t id) const { return *member(id).core; }
  MemoryStorage& storage(uint64_t id) { return *member(id).storage; }
  std::vector<uint64_t> ids() const;
  const ClusterOptions& options() const { return options_; }

  // Adds a member that joins an existing cluster: empty storage and an empty ConfState.
  void AddJoiningMember(uint64_t id);
  // Replaces `id`'s durable state by a log whose entry i (1-based) has term terms[i-1], a hard
  // state (term, vote 0, commit) and the current ConfState, then restarts its core from it.
  // Entries get data "<term>.<index>". Meant for building a scenario before it runs: it resets
  // the harness's record of what was applied and who led (the test rewrites history).
  void SetLog(uint64_t id, const std::vector<uint64_t>& terms, uint64_t term, uint64_t commit);
  // Rebuilds `id`'s core from its storage: volatile state is lost, durable state is kept.
  // Messages in flight to it are dropped (they were addressed to the old process).
  void Restart(uint64_t id);
  // Crashes `id` (see Member::down). Start() restarts it from storage.
  void Stop(uint64_t id);
  void Start(uint64_t id);

  // Network faults. Heal() undoes all of them, including the filter.
  void Isolate(uint64_t id);
  void Cut(uint64_t a, uint64_t b);
  void SetFilter(Filter filter) { filter_ = std::move(filter); }
  void Heal();

  // One round: every up member with a Ready persists, applies and advances it; the messages
  // produced are queued, then every queued message is filtered and stepped into its recipient.
  // Returns false when there was nothing to do.
  bool DeliverRound();
  // Rounds until quiet.
  void Deliver();
  // Rounds until `done()` holds or the cluster is quiet; returns done().
  bool DeliverUntil(const std::function<bool()>& done);
  // Processes Readies only; the messages produced are queued but not delivered. Returns the
  // messages queued by this call.
  std::vector<raftpb::Message> ProcessReadies();
  // Drops every queued message.
  void DropInFlight() { in_flight_.clear(); }
  // Steps a (crafted or captured) message directly into its recipient, bypassing the filters.
  Status Inject(const raftpb::Message& m);

  // Ticks `id` n times, delivering after each tick.
  void Tick(uint64_t id, int n = 1);
  // Ticks every up member n times, delivering after each round of ticks.
  void TickAll(int n = 1);
  // Campaign(id), then delivers. Returns whether id became leader.
  bool Elect(uint64_t id);
  // Proposes on `id` and delivers.
  Status Propose(uint64_t id, std::string data);

  // The up member that is leader in the highest term, 0 if none.
  uint64_t Leader() const;
  // Data of the non-empty normal entries `id` applied, in order.
  std::vector<std::string> AppliedData(uint64_t id) const;
  // Terms of entries [first, last] in `id`'s storage (0 where unavailable).
  std::vector<uint64_t> StoredTerms(uint64_t id) const;
  // Snapshots `id`'s state at its applied index and discards the log up to it.
  Status Compact(uint64_t id);

  // Every message handed out by a core, in order, before filtering (record_messages).
  const std::vector<raftpb::Message>& sent() const { return sent_; }
  void ClearSent() { sent_.clear(); }
  // Recorded messages of `type`, optionally only from/to a member (0 = any).
  std::vector<raftpb::Message> Sent(raftpb::MessageType type, uint64_t from = 0,
                                    uint64_t to = 0) const;
  // Recorded messages of `type` from/to that carried entries.
  int CountAppendsWithEntries(uint64_t from, uint64_t to) const;

  // Safety violations and harness errors noticed so far (empty = all good).
  const std::vector<std::string>& errors() const { return errors_; }
  // Log Matching across all up members' durable logs (section 5.3): if two logs have an entry
  // with the same index and term, they are identical up to it.
  Status CheckLogMatching() const;

 private:
  std::unique_ptr<Core> NewCore(const Member& m) const;
  void ProcessReady(Member& m, std::vector<raftpb::Message>* out);
  void Apply(Member& m, const raftpb::Entry& e);
  bool Deliverable(raftpb::Message& m) const;
  void AddError(std::string e);

  ClusterOptions options_;
  std::map<uint64_t, Member> members_;
  // Messages produced and not yet delivered.
  std::vector<raftpb::Message> in_flight_;
  std::set<uint64_t> isolated_;
  std::set<std::pair<uint64_t, uint64_t>> cuts_;
  Filter filter_;
  std::vector<raftpb::Message> sent_;
  std::vector<std::string> errors_;
  // Election safety: the leader seen in each term.
  std::map<uint64_t, uint64_t> leader_of_term_;
  // State-machine safety: the (term, data) first applied at each index, by any member.
  std::map<uint64_t, std::pair<uint64_t, std::string>> applied_at_;
};

}  // namespace raftkv::raft::test
