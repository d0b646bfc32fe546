// The set workload of the fault harness: each client thread adds unique elements to a set (a Put
// of key "set/c<client>-<n>"), recording each add's outcome; after the cluster healed, one final
// read of the prefix "set/" must hold every acknowledged add (tests/fault/set_check.h).
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "raft/status.h"
#include "tests/fault/harness/client_support.h"
#include "tests/fault/harness/workload.h"
#include "tests/fault/set_check.h"

namespace raftkv::fault::harness {

// See the top of this file. Only adds, no reads of its own: SetReadOnlyMember is ignored.
class SetWorkload : public Workload {
 public:
  explicit SetWorkload(WorkloadOptions options);

  void Start() override;
  void Stop() override { clients_.Stop(); }
  void SetReadOnlyMember(int) override {}
  // Reads every element under "set/" from the first member that answers, a page at a time.
  [[nodiscard]] Status FinalRead(std::chrono::steady_clock::time_point deadline) override;
  WorkloadVerdict Check(const std::string& out_dir, std::chrono::milliseconds) override;

 private:
  // The loop of client `c`.
  void RunClient(int c);

  const WorkloadOptions options_;
  std::mutex mu_;             // guards adds_
  std::vector<SetAdd> adds_;  // appended by each client when it stops
  // The elements of the final read; set by FinalRead (after Stop), read by Check.
  std::vector<std::string> final_read_;
  bool final_read_done_ = false;
  // Last, so that destroying the workload joins the clients before what they use goes.
  ClientThreads clients_;
};

}  // namespace raftkv::fault::harness
