// FaultCluster: an N-member kvd cluster as real processes, for the fault harness
// (fault_run.cc). Unlike tests/server/kvd_cluster.h it takes the kvd binary at run time, sends
// each member's stdout and stderr to a log file (so a chatty member never blocks on a full
// pipe), and can pause (SIGSTOP) and resume (SIGCONT) a member as well as kill and restart it.
//
// Member i (1..n) listens where the cluster's Network says (network.h: its own network
// namespace, or 127.0.0.1), keeps its data in data_dir/member<i> and logs to
// log_dir/member<i>.log (appended across restarts). Children get SIGKILL when the thread that
// started them exits (PR_SET_PDEATHSIG), so start members from the main thread only: then nothing
// outlives the harness, even when the harness itself is killed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "raft/status.h"
#include "tests/fault/harness/network.h"

namespace raftkv::fault::harness {

// Where and how to run the members.
struct ClusterOptions {
  std::string kvd_binary;
  std::string data_dir;  // parent of the members' data directories
  std::string log_dir;   // where member<i>.log go
  int members = 5;
  const Network* network = nullptr;      // where members listen; must outlive the cluster
  std::vector<std::string> extra_flags;  // appended to every member's command line
};

class FaultCluster {
 public:
  explicit FaultCluster(ClusterOptions options);
  // Resumes and kills every member still running, and reaps it.
  ~FaultCluster();
  FaultCluster(const FaultCluster&) = delete;
  FaultCluster& operator=(const FaultCluster&) = delete;

  int members() const { return options_.members; }

  // Starts member i (which must not be running). Fails when fork or the log file fails; a kvd
  // that exits at once is noticed later (it never answers).
  [[nodiscard]] Status Start(int i);
  // SIGKILLs member i (resuming it first if paused) and reaps it. No-op when it is not running.
  void Kill(int i);
  // SIGSTOP / SIGCONT member i. No-op when it is not running.
  void Pause(int i);
  void Resume(int i);

  bool running(int i) const;
  bool paused(int i) const;

  // "host:port" of member i's client endpoint.
  std::string ClientAddress(int i) const;

  // The member (1..n) that every running, unpaused member reports as leader, or 0 when the
  // deadline passes first.
  int WaitForLeader(std::chrono::steady_clock::time_point deadline) const;
  // The member that some running, unpaused member reports as leader right now, or 0.
  int CurrentLeader() const;
  // Asks member `from` (the leader) to hand leadership to member `to` (Maintenance.MoveLeader).
  [[nodiscard]] Status MoveLeader(int from, int to) const;

 private:
  // What the harness knows of one member process.
  struct Member {
    pid_t pid = -1;       // > 0 while running
    bool paused = false;  // SIGSTOPped and not yet SIGCONTed
  };

  // One Status call: {this member's id, the leader's id} or {0, 0} on error.
  std::pair<uint64_t, uint64_t> QueryStatus(int i) const;

  const ClusterOptions options_;
  mutable std::mutex mu_;        // guards members_
  std::vector<Member> members_;  // index i-1 for member i
};

}  // namespace raftkv::fault::harness
