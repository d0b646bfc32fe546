// The register workload of the fault harness: client threads, each bound to one member, doing
// random reads (linearizable Range), writes (Put of a unique value) and compare-and-sets (Txn:
// value == expected, then put) on a few keys over the etcd v3 gRPC API, and recording every
// operation for the linearizability checker (tests/fault/history.h).
//
// Outcomes follow what the answer proves: ok when kvd answered; fail only when the request
// provably never took effect (kvd dropped the proposal before it entered the log: "etcdserver:
// no leader" / "etcdserver: leader changed"; or gRPC never reached a server: "failed to
// connect"); unknown for everything else (deadline exceeded, connection lost after sending,
// "request timed out"), which the checker treats as possibly applied at any later time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/fault/history.h"

namespace raftkv::fault::harness {

// What the clients do and where they send it.
struct WorkloadOptions {
  int clients = 8;
  int keys = 4;
  uint64_t seed = 1;
  // Client endpoints, one per member; client c talks to addresses[c % size] only.
  std::vector<std::string> addresses;
  // Deadline of each request; past it the operation is unknown.
  std::chrono::milliseconds request_timeout{1000};
  // Each client waits a random time in [0, think_time] between operations, so that the history
  // stays small enough to check.
  std::chrono::milliseconds think_time{20};
};

// Runs the clients on their own threads from Start until Stop, and hands back the history.
class RegisterWorkload {
 public:
  explicit RegisterWorkload(WorkloadOptions options);
  ~RegisterWorkload();  // stops and joins the clients if still running

  void Start();
  // Asks the clients to stop after their current operation, and joins them.
  void Stop();
  // While set to member m (1-based, 0 for none), the clients bound to m only read: the
  // stale-follower nemesis uses it to read from a member the moment it resumes.
  void SetReadOnlyMember(int member) { read_only_member_.store(member); }
  // Every operation of every client (call after Stop).
  History TakeHistory();

 private:
  // The loop of client `c`.
  void RunClient(int c);

  const WorkloadOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<int> read_only_member_{0};
  std::vector<std::thread> threads_;
  std::mutex mu_;    // guards history_
  History history_;  // appended by each client when it stops
};

}  // namespace raftkv::fault::harness
