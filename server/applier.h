// Applier: the apply thread of a kvd member. It takes committed raft entries in log order (from
// the raft thread), executes their commands against the MVCC store in batches -- one RocksDB
// write per batch, with the raft index of the batch's last entry written alongside -- and then
// hands each proposing client its result and wakes readers waiting for an index to be applied.
//
// Guarantees:
//   - Every committed command is applied exactly once: entries at or below the store's applied
//     index (already applied before a restart, or covered by a restored snapshot) are skipped.
//   - A client learns its result only after the batch holding its command was written.
//   - A batch whose write fails (a full disk) is retried, re-executed from scratch, until it
//     succeeds or the applier stops; nothing after it is applied in the meantime.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "proto/command.pb.h"
#include "proto/raft.pb.h"
#include "raft/status.h"
#include "server/wait_registry.h"
#include "storage/mvcc_store.h"

namespace raftkv::server {

// The outcome of one command, for the client waiting on it.
struct ApplyOutcome {
  Status status;                // ok, or the etcd error the command failed with
  cmdpb::CommandResult result;  // set when status is ok
  uint64_t index = 0;           // the raft index of the command's entry
};

using ApplyWaiters = WaitRegistry<ApplyOutcome>;

class Applier {
 public:
  // `store` and `waiters` are not owned and must outlive the applier. `member_id` tells which
  // commands this member proposed (their origin), whose waiters it completes.
  Applier(storage::MvccStore* store, ApplyWaiters* waiters, uint64_t member_id);
  ~Applier();  // stops the thread
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  void Start();
  // Stops after the batch in progress; entries still queued are not applied (they are
  // committed, and are applied again after a restart).
  void Stop();

  // Queues committed entries (in log order, continuing what was queued before).
  void Enqueue(std::vector<raftpb::Entry> entries);

  // The raft index of the last applied entry.
  uint64_t applied_index() const { return applied_.load(); }
  // Waits until applied_index() >= index. False when the deadline passed or the applier stopped.
  bool WaitApplied(uint64_t index, std::chrono::steady_clock::time_point deadline) const;
  // The same without a waiting thread: calls `done(true)` once applied_index() >= index -- at
  // once on the calling thread if it already is, else on the apply thread right after the
  // batch (or restored snapshot) that reaches it -- or `done(false)` when `deadline` passes
  // first (ExpireAppliedWaiters) or the applier stops. `done` runs exactly once, never under
  // the applier's lock, and must not block (it hands the read off).
  void WhenApplied(uint64_t index, std::chrono::steady_clock::time_point deadline,
                   std::function<void(bool)> done);
  // Answers false to every WhenApplied waiter whose deadline is at or before `now` (called by
  // a timer, as the wait registries' ExpireUntil).
  void ExpireAppliedWaiters(std::chrono::steady_clock::time_point now);

  // Runs `work` on the apply thread between two batches (after every entry queued before it
  // was applied), and waits for it. Used to install a restored snapshot, which must not race
  // with a batch. Returns work's status; Unavailable if the applier stopped first.
  [[nodiscard]] Status RunExclusive(std::function<Status()> work);

 private:
  // One item of the queue: entries, or exclusive work with its completion slot.
  struct Task {
    std::vector<raftpb::Entry> entries;
    std::function<Status()> work;
    std::shared_ptr<std::pair<bool, Status>> done;  // (finished, result), under mu_
  };

  void Main();
  // Applies `entries` (skipping those already applied) in one batch; retries a failed write.
  void ApplyEntries(const std::vector<raftpb::Entry>& entries);
  // Answers true to the WhenApplied waiters whose index is now applied.
  void ReleaseAppliedWaiters();
  // Executes one command in `batch`; records its outcome for this member's waiter.
  void Execute(storage::MvccWriteBatch* batch, const raftpb::Entry& entry,
               std::vector<std::pair<uint64_t, ApplyOutcome>>* outcomes);

  storage::MvccStore* const store_;
  ApplyWaiters* const waiters_;
  const uint64_t member_id_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // signalled on new tasks, on progress and on stop
  std::deque<Task> queue_;              // guarded by mu_
  bool stop_ = false;                   // guarded by mu_
  std::atomic<uint64_t> applied_{0};    // published after each successful batch (under mu_)
  // A WhenApplied waiter. Invariant: a waiter stays in applied_waiters_ only while its index is
  // above applied_ -- whoever raises applied_ then takes (under mu_) and answers the waiters it
  // reached -- and each waiter has exactly one entry in waiters_by_deadline_, pointing back at
  // it, so that expiry costs the expired waiters only.
  struct AppliedWaiter;
  using AppliedWaiters = std::multimap<uint64_t, AppliedWaiter>;  // by index
  using WaitersByDeadline =
      std::multimap<std::chrono::steady_clock::time_point, AppliedWaiters::iterator>;
  struct AppliedWaiter {
    std::function<void(bool)> done;
    WaitersByDeadline::iterator by_deadline;
  };
  AppliedWaiters applied_waiters_;         // guarded by mu_
  WaitersByDeadline waiters_by_deadline_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace raftkv::server
