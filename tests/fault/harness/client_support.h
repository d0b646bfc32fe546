// Client-side pieces shared by the set and bank workloads: their client threads, a deadline for
// one request, the think time between operations, and a call that tries the members in turn until
// one answers (for the reads and set-ups that must happen once, whichever member is up).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "proto/etcd/rpc.grpc.pb.h"
#include "tests/fault/harness/rpc_support.h"

namespace raftkv::fault::harness {

// The client threads of a workload: Start runs body(c) on a thread of its own for each client
// c; the bodies loop until stopping(). Destroying it stops and joins them, so a workload declares
// it after every member its clients use.
class ClientThreads {
 public:
  ClientThreads() = default;
  ClientThreads(const ClientThreads&) = delete;
  ClientThreads& operator=(const ClientThreads&) = delete;
  ~ClientThreads() { Stop(); }

  void Start(int clients, const std::function<void(int)>& body) {
    for (int c = 0; c < clients; ++c) threads_.emplace_back([body, c] { body(c); });
  }
  // Asks the clients to stop after their current operation, and joins them.
  void Stop() {
    stop_.store(true);
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  bool stopping() const { return stop_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// The gRPC deadline (system clock) of a request sent now: `per_try` from now, but not past
// `deadline` (steady clock).
inline std::chrono::system_clock::time_point TryDeadline(
    std::chrono::milliseconds per_try, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::chrono::system_clock::now() + std::clamp(left, std::chrono::milliseconds(0), per_try);
}

// Sleeps a random time in [0, think_time] between a client's operations; 100 ms more after an
// operation that got no answer, so that a client of a dead member does not spin.
inline void Think(std::mt19937_64& rng, std::chrono::milliseconds think_time, bool answered) {
  const uint64_t think_ms = static_cast<uint64_t>(think_time.count()) + 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(rng() % think_ms + (answered ? 0 : 100)));
}

// Calls `call(stub)` on the member at addresses[0], then [1], ... (round robin, 100 ms apart)
// until one call returns ok or `deadline` passes, and returns the last call's status; stops at
// once on INVALID_ARGUMENT, which no other member or later try would answer differently. `call`
// sets its own request deadlines (TryDeadline) and may send several requests.
template <typename Call>
grpc::Status CallAnyMember(const std::vector<std::string>& addresses,
                           std::chrono::steady_clock::time_point deadline, Call call) {
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs;
  for (const std::string& address : addresses) {
    stubs.push_back(etcdserverpb::KV::NewStub(MakeChannel(address)));
  }
  grpc::Status status(grpc::StatusCode::DEADLINE_EXCEEDED, "no member was tried");
  for (size_t i = 0; !stubs.empty() && std::chrono::steady_clock::now() < deadline;
       i = (i + 1) % stubs.size()) {
    status = call(*stubs[i]);
    if (status.ok() || status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return status;
}

}  // namespace raftkv::fault::harness
