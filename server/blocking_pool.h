// BlockingPool: a fixed set of threads running queued tasks that may block (a compaction
// waiting for the physical compaction) or take a while (a read of the store), so that they never
// occupy gRPC's callback threads or the raft and apply threads. Tasks run in the order they were
// posted (across threads, concurrently). The destructor runs every task still queued, then joins
// the threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/thread_name.h"

namespace raftkv::server {

class BlockingPool {
 public:
  // `name` names the threads (see storage/thread_name.h).
  BlockingPool(int threads, std::string name) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, name] {
        NameThisThread(name);
        Main();
      });
    }
  }
  ~BlockingPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues `task`; a free thread runs it.
  void Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void Main() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopping, and nothing left to run
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;               // signals a posted task or stopping
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace raftkv::server
