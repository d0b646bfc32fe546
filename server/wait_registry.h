// WaitRegistry: where a client request waits for its outcome. A request registers a callback
// under a fresh id before it is proposed (or before its read index is asked for); the raft or
// apply thread completes the id exactly once; a request that gives up (deadline) cancels it.
// Completing an id nobody waits for any more is a no-op, so a late result is simply dropped.
// A waiter may carry a deadline instead of a thread that waits: ExpireUntil, called by a timer,
// completes every waiter whose deadline has passed with the result it is given (an asynchronous
// request then answers "request timed out" although no thread ever blocked on it).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "raft/status.h"

namespace raftkv::server {

template <typename Result>
class WaitRegistry {
 public:
  using Callback = std::function<void(Result)>;

  // `first_id` should differ between restarts of a member (e.g. derived from the clock), so an
  // id of a command proposed before a restart never matches a waiter registered after it.
  explicit WaitRegistry(uint64_t first_id) : next_id_(first_id) {}

  using Clock = std::chrono::steady_clock;

  // Registers `callback` and returns its id.
  uint64_t Register(Callback callback) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t id = next_id_++;
    waiters_.emplace(id, std::move(callback));
    return id;
  }

  // Registers `callback` with a deadline: unless completed or cancelled first, the first
  // ExpireUntil at or after `deadline` completes it. Deadlines should be registered in
  // non-decreasing order (one request timeout for all), or a later-registered earlier deadline
  // waits for the ones before it.
  uint64_t Register(Callback callback, Clock::time_point deadline) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t id = next_id_++;
    waiters_.emplace(id, std::move(callback));
    deadlines_.emplace_back(deadline, id);
    return id;
  }

  // Completes (outside the lock) every waiter whose deadline is at or before `now` with
  // `expired`. Returns how many it completed.
  size_t ExpireUntil(Clock::time_point now, const Result& expired) {
    std::vector<Callback> due;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!deadlines_.empty() && deadlines_.front().first <= now) {
        auto it = waiters_.find(deadlines_.front().second);
        if (it != waiters_.end()) {  // else completed or cancelled already
          due.push_back(std::move(it->second));
          waiters_.erase(it);
        }
        deadlines_.pop_front();
      }
    }
    for (Callback& callback : due) callback(expired);
    return due.size();
  }

  // Calls the callback registered under `id` (outside the lock) and forgets it. Returns false
  // if nobody waits under `id`.
  bool Complete(uint64_t id, Result result) {
    Callback callback;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = waiters_.find(id);
      if (it == waiters_.end()) return false;
      callback = std::move(it->second);
      waiters_.erase(it);
    }
    callback(std::move(result));
    return true;
  }

  // Forgets `id` without calling its callback.
  void Cancel(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    waiters_.erase(id);
  }

  // Completes every waiter with `result` (shutdown).
  void CompleteAll(const Result& result) {
    std::unordered_map<uint64_t, Callback> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      all.swap(waiters_);
      deadlines_.clear();
    }
    for (auto& [id, callback] : all) callback(result);
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return waiters_.size();
  }

 private:
  mutable std::mutex mu_;
  uint64_t next_id_;                                // guarded by mu_
  std::unordered_map<uint64_t, Callback> waiters_;  // guarded by mu_
  // (deadline, id) of waiters registered with a deadline, in registration order; entries whose
  // id has left waiters_ are dropped when they reach the front. Guarded by mu_.
  std::deque<std::pair<Clock::time_point, uint64_t>> deadlines_;
};

}  // namespace raftkv::server
