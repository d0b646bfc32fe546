// Core: the Raft consensus state machine of one member. Pure and deterministic: no threads, no
// I/O, no clock. Time is Tick(), the network is Step() and Ready::messages, the disk is LogStorage
// (read) and Ready (write), randomness is a seeded generator from Config.
//
// Use (see ready.h for the durability contract):
//   auto core = Core::Create(config);
//   loop: Tick() on a timer, Step() each peer message, Propose()/ReadIndex() for clients;
//         if (core->HasReady()) { Ready rd = core->GetReady(); persist; send; apply; Advance(); }
//
// Implements the Raft paper and Ongaro's thesis: elections with randomized timeouts, pre-vote
// (9.6), check-quorum (6.2), log replication with pipelining and fast backtracking, commitment of
// current-term entries only (5.4.2), snapshots (5.x/7), ReadIndex reads (6.4), leadership
// transfer (3.10), single-member membership changes with learners (4.1 and 4.2.1).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/config.h"
#include "raft/progress_tracker.h"
#include "raft/raft_log.h"
#include "raft/read_only.h"
#include "raft/ready.h"
#include "raft/status.h"

namespace raftkv::raft {

// A snapshot of the core's state, for tests, the simulator and the server's status endpoint.
struct CoreStatus {
  uint64_t id = 0;
  raftpb::HardState hard_state;
  SoftState soft_state;
  uint64_t applied = 0;
  uint64_t last_index = 0;
  uint64_t first_index = 0;
  uint64_t lead_transferee = 0;
  raftpb::ConfState conf_state;
};

class Core {
 public:
  // Builds a core from the persisted state in config.storage. A founding member of a new
  // cluster starts from storage bootstrapped with the founding configuration in its log
  // (bootstrap.h, MemoryStorage::Bootstrap); a member joining an existing cluster starts from
  // empty storage (an empty ConfState) and learns the configuration from the leader's entries
  // or snapshot.
  static StatusOr<std::unique_ptr<Core>> Create(const Config& config);

  // Advances logical time by one tick.
  void Tick();

  // Handles a message from a peer. Malformed messages are rejected with InvalidArgument and
  // change nothing; messages from stale terms are ignored with Ok.
  Status Step(const raftpb::Message& m);

  // Proposes a command. ProposalDropped when there is no leader, a leadership transfer is in
  // progress, or this member is not in the configuration. Success only means the proposal was
  // accepted (or forwarded): it is replicated, committed and applied later, or lost if
  // leadership changes, so callers wait for it to be applied with a timeout.
  Status Propose(std::string data);
  // Proposes several commands at once, as consecutive entries in their order: one append to the
  // log and one append message per follower (a follower forwards them in one message). All are
  // accepted or none, on the same terms as Propose. An empty batch proposes nothing.
  Status ProposeBatch(std::vector<std::string> data);

  // Proposes one membership change. Only a leader takes it directly, and only one change may be
  // pending (proposed and not applied) at a time: FailedPrecondition otherwise. On a follower it
  // is forwarded, and the leader replaces it by a no-op if another change is pending.
  Status ProposeConfChange(const raftpb::ConfChange& cc);

  // Applies a committed membership change (the application calls this while applying the
  // ENTRY_CONF_CHANGE entry). Returns the resulting configuration, which the application
  // persists with the applied index. Invalid changes leave the configuration unchanged.
  raftpb::ConfState ApplyConfChange(const raftpb::ConfChange& cc);

  // Requests a linearizable read. The answer comes later as a ReadState with the same ctx.
  // ProposalDropped when there is no known leader.
  Status ReadIndex(std::string ctx);

  // Asks the leader to hand leadership to `transferee`. Forwarded when called on a follower.
  Status TransferLeader(uint64_t transferee);

  // Starts an election now (if this member may be a candidate).
  void Campaign();

  // The application could not reach `id` / finished sending it a snapshot.
  void ReportUnreachable(uint64_t id);
  void ReportSnapshot(uint64_t id, bool success);

  bool HasReady() const;
  // Hands out what must be done. Precondition: no Ready is outstanding (Advance was called).
  Ready GetReady();
  // Acknowledges that step 1 of the last Ready (persistence) is complete.
  void Advance();

  CoreStatus GetStatus() const;
  uint64_t id() const { return id_; }
  uint64_t term() const { return term_; }
  uint64_t leader() const { return lead_; }
  Role role() const { return role_; }
  bool is_leader() const { return role_ == Role::kLeader; }
  const RaftLog& log() const { return log_; }
  const ProgressTracker& tracker() const { return tracker_; }
  // The other voter best placed to take over from this member: one heard from within the last
  // election timeout if any (a dead one would never take over), and among those the one with
  // the highest match (it catches up soonest; the lowest id on a tie). 0 if there is no other
  // voter. Meaningful on a leader only.
  uint64_t BestTransferee() const;

  // Checks the core's local invariants (applied <= committed <= last index, progress sanity,
  // role consistency). Called after every input in debug builds; the simulator calls it always.
  Status CheckInvariants() const;

 private:
  Core(const Config& config, RaftLog log);

  // Role transitions.
  void BecomeFollower(uint64_t term, uint64_t lead);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void ResetForTerm(uint64_t term);
  void ResetRandomizedElectionTimeout();

  // Elections (core_election.cc).
  enum class CampaignKind { kPreElection, kElection, kTransfer };
  void StartCampaign(CampaignKind kind);
  bool Promotable() const;
  bool HasUnappliedConfChanges() const;
  void HandleVoteRequest(const raftpb::Message& m);
  void HandleVoteResponse(const raftpb::Message& m);
  void TickElection();
  void TickHeartbeat();

  // Replication (core_replication.cc).
  void AppendEntries(std::vector<raftpb::Entry> entries);
  bool MaybeSendAppend(uint64_t to, bool send_if_empty);
  void SendAppend(uint64_t to) { MaybeSendAppend(to, true); }
  bool SendSnapshot(uint64_t to, Progress& pr);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  void SendHeartbeat(uint64_t to, uint64_t read_round);
  bool MaybeCommit();
  void HandleAppend(const raftpb::Message& m);
  void HandleHeartbeat(const raftpb::Message& m);
  void HandleSnapshot(const raftpb::Message& m);
  void HandleAppendResponse(const raftpb::Message& m);
  void HandleHeartbeatResponse(const raftpb::Message& m);
  void HandlePropose(const raftpb::Message& m);
  void MaybeUpdateSelfProgress();

  // Reads and leadership transfer (core_read.cc).
  void HandleReadIndexRequest(uint64_t from, std::string ctx);
  void StartReadRound();
  void FinishReadRound();
  void AnswerRead(const PendingRead& read);
  void ReleaseReadsWaitingForCommit();
  void HandleTransferLeader(uint64_t transferee);
  void AbortLeaderTransfer() { lead_transferee_ = 0; }
  void SendTimeoutNow(uint64_t to);
  // Removed leader: starts a transfer to the remaining voter with the highest match (steps down
  // if there is none).
  void HandOverLeadershipAfterRemoval();

  // Dispatch by role.
  void StepLeader(const raftpb::Message& m);
  void StepCandidate(const raftpb::Message& m);
  void StepFollower(const raftpb::Message& m);

  void Send(raftpb::Message m);
  // Sends a term-less request (proposal, read, transfer) to the known leader; ProposalDropped
  // when there is none.
  [[nodiscard]] Status ForwardToLeader(raftpb::Message m);
  raftpb::HardState CurrentHardState() const;
  SoftState CurrentSoftState() const { return {lead_, role_}; }
  bool CommittedEntryInCurrentTerm() const;
  void DebugCheck() const;

  const uint64_t id_;
  const int election_timeout_;
  const int heartbeat_timeout_;
  const uint64_t max_msg_size_;
  const uint64_t max_committed_size_per_ready_;
  const bool pre_vote_;
  const bool check_quorum_;

  // Persistent state (section 5, Figure 2). Invariant: vote_ is a vote cast in term_ (or 0).
  uint64_t term_ = 0;
  uint64_t vote_ = 0;
  RaftLog log_;

  // Volatile state.
  Role role_ = Role::kFollower;
  // The leader of term_ as far as we know; 0 = unknown. Invariant: role_ == kLeader implies
  // lead_ == id_.
  uint64_t lead_ = 0;
  ProgressTracker tracker_;
  // Leader: the member leadership is being transferred to, 0 if none. Proposals are refused
  // while it is set; cleared after an election timeout.
  uint64_t lead_transferee_ = 0;
  // Leader: index of the last membership change proposed; another may be proposed only once
  // this one has been applied.
  uint64_t pending_conf_index_ = 0;
  // Set when this member applied its own removal, cleared when another member's leadership is
  // seen. Until then it may still stand for election (its own vote does not count), so that it
  // can catch up the remaining voters, which may need its vote until they know it is gone.
  bool removed_awaiting_successor_ = false;
  ReadOnlyQueue reads_;
  // Leader: reads received before an entry of the current term was committed (the commit index
  // is not known to be current until then, thesis 6.4 step 1).
  std::vector<PendingRead> reads_waiting_for_commit_;

  // Ticks since the last election timeout reset (followers/candidates) or since the last
  // check-quorum (leaders).
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  // In [election_timeout_, 2 * election_timeout_), drawn anew at each reset.
  int randomized_election_timeout_ = 0;
  std::mt19937_64 rng_;

  // Output waiting for the next Ready.
  std::vector<raftpb::Message> msgs_;
  std::vector<ReadState> read_states_;

  // What the previous Ready reported, to detect changes.
  SoftState prev_soft_state_;
  raftpb::HardState prev_hard_state_;
  // What the outstanding Ready handed out, applied on Advance. Valid iff ready_outstanding_.
  bool ready_outstanding_ = false;
  uint64_t ready_last_entry_index_ = 0;
  uint64_t ready_last_entry_term_ = 0;
  uint64_t ready_snapshot_index_ = 0;
  uint64_t ready_last_committed_index_ = 0;
};

}  // namespace raftkv::raft
