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
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "raft/status.h"
#include "tests/fault/harness/client_support.h"
#include "tests/fault/history.h"
#include "tests/fault/linearizability.h"

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

// The verdict on a run, whatever the workload: valid (every promise kept: linearizable, no
// acknowledged add lost, every total intact), invalid (a promise broken: the report says which),
// or unknown (the check could not decide, e.g. the linearizability search ran out of budget).
enum class RunVerdict { kValid, kInvalid, kUnknown };

// What a workload's check found: the verdict of the run and the report that explains it
// (operations by outcome, then the findings; on failure, where to look). The report's lines end
// with a line "verdict: <text>" that names the verdict in the workload's own terms.
struct WorkloadVerdict {
  RunVerdict verdict = RunVerdict::kUnknown;
  std::string report;
};

// A workload of the fault harness: concurrent clients over the etcd API, started before the
// faults and stopped after the healed cluster ran a fault-free final phase. fault_run calls, in
// this order: Start; Stop; FinalRead (the healed cluster is still up); then, after the cluster
// was killed to free the CPU, Check.
class Workload {
 public:
  virtual ~Workload() = default;
  virtual void Start() = 0;
  // Asks the clients to stop after their current operation, and joins them.
  virtual void Stop() = 0;
  // While set to member m (1-based, 0 for none), the clients bound to m only read: the
  // stale-follower nemesis uses it to read from a member the moment it resumes. Workloads
  // without reads of their own may ignore it.
  virtual void SetReadOnlyMember(int member) = 0;
  // Reads the healed cluster once more where the check needs it (the set's final read). Fails
  // only when the cluster never answered before the deadline.
  [[nodiscard]] virtual Status FinalRead(std::chrono::steady_clock::time_point deadline) = 0;
  // Checks what was recorded, writes the history (and, on failure, the evidence) into out_dir,
  // and says what it found. check_budget bounds the search of a linearizability check per key.
  virtual WorkloadVerdict Check(const std::string& out_dir,
                                std::chrono::milliseconds check_budget) = 0;
};

// The register workload (see the top of this file): its check is the linearizability checker.
class RegisterWorkload : public Workload {
 public:
  explicit RegisterWorkload(WorkloadOptions options);
  ~RegisterWorkload() override;  // stops and joins the clients if still running

  void Start() override;
  void Stop() override;
  void SetReadOnlyMember(int member) override { read_only_member_.store(member); }
  [[nodiscard]] Status FinalRead(std::chrono::steady_clock::time_point) override {
    return Status::Ok();
  }
  WorkloadVerdict Check(const std::string& out_dir,
                        std::chrono::milliseconds check_budget) override;
  // Every operation of every client (call after Stop).
  History TakeHistory();

 private:
  // The loop of client `c`.
  void RunClient(int c);

  const WorkloadOptions options_;
  std::atomic<int> read_only_member_{0};
  std::mutex mu_;          // guards history_
  History history_;        // appended by each client when it stops
  ClientThreads clients_;  // last: destroyed (stopped and joined) before what the clients use
};

// The workload named `name` ("register", ...; kWorkloadNames lists them), or null for an
// unknown name. Defined in workload_factory.cc.
std::unique_ptr<Workload> MakeWorkload(const std::string& name, WorkloadOptions options);
extern const std::vector<std::string> kWorkloadNames;

}  // namespace raftkv::fault::harness
