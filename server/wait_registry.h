// WaitRegistry: where a client request waits for its outcome. A request registers a callback
// under a fresh id before it is proposed (or before its read index is asked for); the raft or
// apply thread completes the id exactly once; a request that gives up (deadline) cancels it.
// Completing an id nobody waits for any more is a no-op, so a late result is simply dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "raft/status.h"

namespace raftkv::server {

template <typename Result>
class WaitRegistry {
 public:
  using Callback = std::function<void(Result)>;

  // `first_id` should differ between restarts of a member (e.g. derived from the clock), so an
  // id of a command proposed before a restart never matches a waiter registered after it.
  explicit WaitRegistry(uint64_t first_id) : next_id_(first_id) {}

  // Registers `callback` and returns its id.
  uint64_t Register(Callback callback) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t id = next_id_++;
    waiters_.emplace(id, std::move(callback));
    return id;
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
};

}  // namespace raftkv::server
