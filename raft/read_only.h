// ReadOnlyQueue: the leader's linearizable reads by ReadIndex (thesis 6.4).
//
// A read is answered with the commit index at the time it arrived, but only after a heartbeat
// round *started after it arrived* is acknowledged by a majority, confirming that this node was
// still the leader. Many reads share one round: while a round is in flight, new reads wait and
// all of them ride the next round together. At most one round is in flight at a time.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace raftkv::raft {

// One read waiting for confirmation.
struct PendingRead {
  uint64_t from = 0;   // The member that asked (this node for a local read).
  std::string ctx;     // The caller's request context.
  uint64_t index = 0;  // Commit index when the read arrived.
};

class ReadOnlyQueue {
 public:
  // Queues a read. Returns true when no round is in flight, so the caller should start one.
  bool Add(PendingRead read);
  // Starts a round for every queued read; returns its id (to put in heartbeats).
  // Precondition: no round in flight and queued reads exist.
  uint64_t StartRound(uint64_t self);
  // The round in flight, 0 if none.
  uint64_t current_round() const { return round_id_; }
  bool has_queued() const { return !queued_.empty(); }
  // Records that `from` acknowledged `round`. Returns the ids that acked the current round, or
  // nullptr for an ack of a stale or unknown round.
  const std::set<uint64_t>* Ack(uint64_t round, uint64_t from);
  // Ends the current round, handing back its reads.
  std::vector<PendingRead> FinishRound();
  // Drops everything (on losing leadership).
  void Reset();
  size_t pending_count() const { return in_round_.size() + queued_.size(); }

 private:
  // Reads waiting for the next round.
  std::vector<PendingRead> queued_;
  // Reads of the round in flight. Invariant: empty iff round_id_ == 0.
  std::vector<PendingRead> in_round_;
  uint64_t round_id_ = 0;
  // Ids monotonically increase across rounds, so a late ack never confirms a newer round.
  uint64_t last_round_id_ = 0;
  std::set<uint64_t> acks_;
};

}  // namespace raftkv::raft
