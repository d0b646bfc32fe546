// Progress: what a leader knows about one follower's log, and the flow control that decides when
// to send it more (pipelining under an in-flight window).
#pragma once

#include <cstdint>
#include <deque>

namespace raftkv::raft {

// The append messages sent to a follower and not yet acknowledged, bounded in count and bytes.
// Each is remembered by the last index it carried.
class Inflights {
 public:
  // max_bytes == 0 means no byte limit.
  Inflights(int max_count, uint64_t max_bytes) : max_count_(max_count), max_bytes_(max_bytes) {}

  // Records a message whose last entry is `last_index`, carrying `bytes`.
  // Invariant kept: indices are strictly increasing.
  void Add(uint64_t last_index, uint64_t bytes);
  // Forgets every message whose last index is <= index (acknowledged).
  void FreeLE(uint64_t index);
  // Forgets the oldest message (a heartbeat response shows the follower is alive).
  void FreeFirstOne();
  bool Full() const;
  int Count() const { return static_cast<int>(items_.size()); }
  uint64_t Bytes() const { return bytes_; }
  void Reset();

 private:
  struct Item {
    uint64_t last_index;
    uint64_t bytes;
  };
  int max_count_;
  uint64_t max_bytes_;
  std::deque<Item> items_;
  uint64_t bytes_ = 0;  // Invariant: sum of items_[i].bytes.
};

// How the leader is currently talking to a follower.
enum class ProgressState {
  // Unknown match: send one append at a time and wait for the answer.
  kProbe,
  // Known match: stream appends optimistically, up to the in-flight window.
  kReplicate,
  // The follower needs a snapshot; appends pause until it is installed.
  kSnapshot,
};

const char* ProgressStateName(ProgressState s);

// The leader's view of one member (including itself).
// Invariant: match < next.
struct Progress {
  Progress(uint64_t next_index, int max_inflight, uint64_t max_inflight_bytes, bool learner)
      : next(next_index), inflights(max_inflight, max_inflight_bytes), is_learner(learner) {}

  // Highest index known to be replicated on the member.
  uint64_t match = 0;
  // Index of the next entry to send.
  uint64_t next = 1;
  ProgressState state = ProgressState::kProbe;
  // Probe state: an append was sent and not answered yet, so sending is paused.
  bool probe_sent = false;
  // Snapshot state: index of the snapshot being sent.
  uint64_t pending_snapshot = 0;
  // Heard from since the last check-quorum round.
  bool recent_active = false;
  Inflights inflights;
  bool is_learner = false;

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(uint64_t snapshot_index);
  // An acknowledgement up to n. Returns true if it raised match.
  bool MaybeUpdate(uint64_t n);
  // Called after sending entries up to last_index (count > 0) carrying bytes.
  void SentEntries(uint64_t last_index, uint64_t bytes);
  // A rejection of the append at `rejected`, with the follower's hint of where to probe next.
  // Returns false if the rejection is stale (an answer to an older message).
  bool MaybeDecreaseTo(uint64_t rejected, uint64_t match_hint);
  // Whether sending appends is paused by flow control.
  bool IsPaused() const;
};

}  // namespace raftkv::raft
