// SimNode: one member of the simulated cluster -- a consensus core, the durable disk it reads
// (a MemoryStorage that survives crashes), and its in-memory state machine (lost on a crash).
//
// Ready handling models the durability contract of raft/ready.h in two steps that other events
// may separate, so that a crash can land between them:
//   A. StartReady, right after any input that leaves a Ready: GetReady; a leader may send its
//      appends, heartbeats and snapshots at once (thesis 10.2.1); the write goes to the disk,
//      which completes it after a random latency.
//   B. FinishReady, when the write completes: persist the snapshot, entries and hard state (one
//      atomic write), send the other messages, install the snapshot and apply committed entries
//      to the state machine, serve reads whose index is applied, then Advance().
// A crash before B loses that Ready's writes. A hard-state write made with must_sync == false
// may also be lost by a crash until a later synced write covers it.
//
// A founding member's disk starts as MemoryStorage::Bootstrap makes it (raft/bootstrap.h): the
// founding configuration as committed entries 1..n, which count as applied (the membership on
// disk already reflects them). A member that joins later starts from an empty disk and an empty
// membership, and learns both from the leader (entries from index 1, or a snapshot).
//
// A restart rebuilds the node from its disk only: the state machine from the latest snapshot (or
// the bootstrap state), the membership recorded with it, applied = its index; the core hands the
// committed entries above it out again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/core.h"
#include "raft/memory_storage.h"
#include "raft/ready.h"
#include "raft/status.h"
#include "tests/sim/sim_checker.h"
#include "tests/sim/sim_event_queue.h"
#include "tests/sim/sim_network.h"
#include "tests/sim/sim_params.h"
#include "tests/sim/sim_random.h"
#include "tests/sim/sim_state_machine.h"
#include "tests/sim/sim_trace.h"

namespace raftkv::sim {

// What a node uses of the run: the clock, the network, the checker, the trace, randomness and
// the run's parameters. All owned by the cluster, which outlives its nodes.
struct NodeServices {
  EventQueue* queue = nullptr;
  SimNetwork* network = nullptr;
  SimChecker* checker = nullptr;
  SimTrace* trace = nullptr;
  SimRandom* rng = nullptr;
  const SimParams* params = nullptr;
};

class SimNode {
 public:
  // `founders` are the founding voters when this node is one of them (its disk is bootstrapped
  // with them), empty for a member that joins later. Does not start the node.
  SimNode(uint64_t id, const std::vector<uint64_t>& founders, NodeServices services);

  uint64_t id() const { return id_; }
  bool up() const { return core_ != nullptr; }
  // Stopped (removed from the cluster and shut down); Start() does nothing until Revive().
  bool stopped() const { return stopped_; }
  // Counts starts; events scheduled by one incarnation are ignored by the next.
  uint64_t incarnation() const { return incarnation_; }
  // The running core, nullptr when down.
  raft::Core* core() const { return core_.get(); }
  const KvStateMachine& state_machine() const { return sm_; }
  const raft::MemoryStorage& storage() const { return storage_; }
  // The highest index this node's disk records as committed in a way no crash can undo: the
  // commit of the last synced hard state, or the snapshot index.
  uint64_t DurableCommit() const;
  // The membership as of the state machine's applied index.
  const raftpb::ConfState& applied_conf() const { return applied_conf_; }

  // Builds a core from the disk and starts ticking. No-op when up or stopped.
  void Start();
  // Loses everything not on the disk. No-op when down.
  void Crash();
  // Crashes and stays down (restarts are ignored) until Revive().
  void Stop();
  // Undoes Stop() and starts the node from its disk (an operator brings back a member that the
  // configuration names again, e.g. one re-added after its removal).
  void Revive();

  // Inputs (no-ops returning ProposalDropped/Ok when the node is down). Each one is followed by
  // the checker's look at the core and, if a Ready is due, step A.
  void Receive(const raftpb::Message& m);
  void ReportSnapshot(uint64_t to, bool ok);
  void ReportUnreachable(uint64_t to);
  Status Propose(const Command& cmd);
  // Starts a linearizable read of `key`, identified by `ctx`.
  Status ReadIndex(const std::string& ctx, const std::string& key);
  Status TransferLeader(uint64_t transferee);
  Status ProposeConfChange(const raftpb::ConfChange& cc);
  void Campaign();
  // Snapshots the state machine at its applied index and compacts the log, keeping a random
  // tail of up to `max_keep` entries below the snapshot.
  void Compact(uint64_t max_keep);

  // Statistics.
  uint64_t step_errors() const { return step_errors_; }

 private:
  void ScheduleTick();
  void AfterInput();
  void Observe();
  void MaybeStartReady();
  void FinishReady();
  void SendMessage(const raftpb::Message& m);
  void InstallSnapshot(const raftpb::Snapshot& snap);
  void ApplyEntry(const raftpb::Entry& e);
  void ServeReads();
  void TraceLine(const std::string& text);

  const uint64_t id_;
  // What the disk held before anything happened: the membership and the index that the
  // bootstrap entries reach (0 and empty for a joiner). The state machine restarts from here when
  // there is no snapshot.
  raftpb::ConfState bootstrap_conf_;
  uint64_t bootstrap_index_ = 0;
  NodeServices s_;

  // The durable disk: survives crashes.
  raft::MemoryStorage storage_;
  // The last hard state written with must_sync (what a crash cannot lose), and whether a later
  // unsynced write is still at risk.
  raftpb::HardState synced_hard_state_;
  bool unsynced_write_ = false;

  // Volatile: gone on a crash.
  std::unique_ptr<raft::Core> core_;
  KvStateMachine sm_;
  raftpb::ConfState applied_conf_;
  // The Ready handed out by step A and not yet finished by step B.
  std::optional<raft::Ready> ready_;
  // Read states received whose index is not applied yet.
  std::vector<raft::ReadState> pending_reads_;
  // This incarnation's tick period (clock skew).
  uint64_t tick_period_us_ = 0;
  raft::Role last_role_ = raft::Role::kFollower;

  uint64_t incarnation_ = 0;
  bool stopped_ = false;
  uint64_t step_errors_ = 0;
};

}  // namespace raftkv::sim
