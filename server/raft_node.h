// RaftNode: the raft thread of a kvd member (DESIGN.md, server/). One thread owns the consensus
// core and the raft log store. It drains an inbox (peer messages, proposals, read requests,
// reports from the transport), ticks the core on a timer, and for every Ready does, in the order
// raft/ready.h demands:
//   0. hands every committed entry to the apply thread and answers read-index requests with
//      their index (committed entries are durable locally already, so the applier works in
//      parallel with steps 1-2; a Ready that installs a snapshot does this after step 4);
//   1. a leader sends its appends, heartbeats and snapshots at once (thesis 10.2.1);
//   2. persists the Ready in one WriteBatch, fsynced when it must be (RaftLogStore::Save);
//   3. sends the other messages (votes, acknowledgements: they depend on step 2);
//   4. applies configuration changes to the core (before Advance);
//   5. calls Advance.
// Proposals made in one drain of the inbox go to the core as one batch, and reads asked for in
// one drain share one ReadIndex request: a leader sends one append per follower, and a
// follower forwards one message, per drain rather than per request.
// Every public method is thread-safe: it only queues an input and wakes the thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/core.h"
#include "raft/status.h"
#include "server/applier.h"
#include "server/wait_registry.h"
#include "storage/raft_log_store.h"

namespace raftkv::server {

// Sends raft messages to peers. The transport must never block the raft thread for long (it
// queues), and must report every snapshot it was asked to send (RaftNode::ReportSnapshot).
class PeerSender {
 public:
  virtual ~PeerSender() = default;
  virtual void Send(std::vector<raftpb::Message> messages) = 0;
};

// The answer to a read-index request: the index a linearizable read must wait for.
struct ReadIndexOutcome {
  Status status;
  uint64_t index = 0;
};
using ReadIndexWaiters = WaitRegistry<ReadIndexOutcome>;

struct RaftNodeOptions {
  uint64_t id = 0;
  std::chrono::milliseconds tick_interval{100};  // --heartbeat-interval
  int election_tick = 10;                        // --election-timeout / --heartbeat-interval
  // Seed of the core's randomness (election timeouts); members should differ.
  uint64_t seed = 0;
  // Take a log snapshot (and compact the log) every this many applied entries, keeping this
  // many entries behind it so that slightly slow followers still catch up from the log.
  uint64_t snapshot_every = 10000;
  uint64_t keep_entries_after_snapshot = 5000;
  // How long a ReadIndex round whose answer never came (a message lost) is remembered; longer
  // than the request timeout, after which its reads have given up anyway.
  std::chrono::milliseconds read_round_lifetime{std::chrono::minutes(5)};
};

// What the node publishes about itself, for Maintenance.Status and response headers.
struct NodeState {
  uint64_t term = 0;
  uint64_t leader = 0;
  uint64_t commit = 0;
  uint64_t last_index = 0;  // the last index of the raft log (Maintenance.Status's raftIndex)
  bool is_leader = false;
  raftpb::ConfState conf_state;
};

class RaftNode {
 public:
  // None of the pointers is owned; all must outlive the node.
  RaftNode(RaftNodeOptions options, storage::RaftLogStore* log, Applier* applier,
           PeerSender* sender, ApplyWaiters* apply_waiters, ReadIndexWaiters* read_waiters);
  ~RaftNode();
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  // Builds the core from the log (applied = what the state machine already holds) and starts
  // the thread.
  [[nodiscard]] Status Start();
  // Stops the thread; waiters still pending are completed with Unavailable.
  void Stop();

  // A message from a peer.
  void Step(raftpb::Message message);
  // Proposes an encoded cmdpb::Command whose waiter is registered under request_id in the apply
  // waiters. If the core drops it (no leader), that waiter is completed with etcd's
  // "etcdserver: no leader".
  void Propose(uint64_t request_id, std::string data);
  // Asks for a read index; the read waiter registered under read_id gets it.
  void ReadIndex(uint64_t read_id);
  void ReportUnreachable(uint64_t peer);
  void ReportSnapshot(uint64_t peer, bool success);
  void TransferLeadership(uint64_t transferee);
  // On a leader, transfers leadership to the voter best placed to take over, chosen on the raft
  // thread when the request is handled (Core::BestTransferee: one heard from lately, with the
  // most of the log). Nothing happens on a follower or with no other voter.
  void HandOverLeadership();

  NodeState state() const;
  // The current term alone (response headers), without copying the rest of the state.
  uint64_t term() const;
  uint64_t id() const { return options_.id; }

 private:
  // One queued input of the raft thread.
  struct Input {
    enum class Kind {
      kMessage,
      kPropose,
      kReadIndex,
      kUnreachable,
      kSnapshotReport,
      kTransfer,
      kHandOver
    };
    Kind kind;
    raftpb::Message message;  // kMessage
    std::string data;         // kPropose
    uint64_t id = 0;          // request id, read id or peer id
    bool success = false;     // kSnapshotReport
  };

  void Enqueue(Input input);
  void Main();
  void Handle(Input& input);
  // Steps 0-5 of the file comment for one Ready.
  void ProcessReady();
  // Persists the Ready, retrying a failed write until it succeeds or the node stops.
  bool PersistWithRetry(const raft::Ready& ready);
  // Proposes the commands queued since the last call in batches (one append, and on a follower
  // one forwarded message, per batch); a refused batch completes its waiters with Unavailable.
  void ProposeQueued();
  // Asks the core for one read index on behalf of every read that arrived since the last call
  // (they all arrived before the round starts, so its index serves each of them).
  void AskReadIndex();
  // Hands each read state to the reads of the round it names (its 8-byte context).
  void CompleteReadStates(const std::vector<raft::ReadState>& read_states);
  // Forgets rounds never answered (a message lost) after options_.read_round_lifetime; their
  // reads' waiters have expired by their own deadlines by then.
  void ForgetUnansweredReadRounds(std::chrono::steady_clock::time_point now);
  // Fails the reads of every round asked of another leader than `leader` (a new soft state's).
  void NoteLeader(uint64_t leader);
  // Records a log snapshot at the applied index and compacts the log when it is due.
  void MaybeSnapshotLog();
  void PublishState();

  const RaftNodeOptions options_;
  storage::RaftLogStore* const log_;
  Applier* const applier_;
  PeerSender* const sender_;
  ApplyWaiters* const apply_waiters_;
  ReadIndexWaiters* const read_waiters_;

  // Owned by the raft thread once started.
  std::unique_ptr<raft::Core> core_;
  // The configuration as of each index where it changed, from the last log snapshot on, so a
  // log snapshot at the applied index records the configuration of that index (snapshots are
  // taken only up to the index the core handed out, whose configuration changes the raft
  // thread has applied).
  std::map<uint64_t, raftpb::ConfState> conf_history_;
  // Commands proposed since the inbox was last drained (their waiter ids and data, in order).
  std::vector<uint64_t> proposal_ids_;
  std::vector<std::string> proposal_data_;
  // Read ids asked for since the inbox was last drained; they share the next ReadIndex round.
  std::vector<uint64_t> reads_to_ask_;
  // One ReadIndex round asked of the core: when, of which leader, and the reads waiting for its
  // index.
  struct AskedRound {
    std::chrono::steady_clock::time_point asked;
    uint64_t leader = 0;
    std::vector<uint64_t> read_ids;
  };
  // Rounds asked and not yet answered, by round number (the read state's context); numbers
  // grow with time, so the oldest round is first.
  std::map<uint64_t, AskedRound> asked_rounds_;
  // The next round number. Each start draws a random first number below 2^63, so numbers never
  // wrap and an answer to an earlier incarnation's round, delivered late, names no round of
  // this one (it would carry a read index older than the reads waiting now).
  uint64_t next_round_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Input> inbox_;  // guarded by mu_
  bool stop_ = false;         // guarded by mu_
  std::thread thread_;

  mutable std::mutex state_mu_;
  NodeState state_;  // guarded by state_mu_
};

}  // namespace raftkv::server
