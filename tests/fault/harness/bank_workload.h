// The bank workload of the fault harness: accounts "bank/0" .. "bank/<n-1>" (n = the options'
// keys, at least 2), each starting at 100, created by one transaction before the clients start.
// Clients mostly transfer: a linearizable read of all accounts, then a Txn that moves 1..5 from
// one account to another only if neither changed since the read (both mod revisions equal); the
// rest of the time they only read. Every successful read, those inside transfers and one final
// read of the healed cluster included, must see all accounts, no negative balance, and the
// initial total (tests/fault/bank_check.h).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "raft/status.h"
#include "tests/fault/bank_check.h"
#include "tests/fault/harness/client_support.h"
#include "tests/fault/harness/workload.h"
#include "tests/fault/history.h"

namespace raftkv::fault::harness {

// One attempted transfer, for the report and the history file.
struct BankTransfer {
  uint64_t process = 0;
  int64_t invoke_ns = 0;  // of the Txn (the read before it is a BankRead of its own)
  int64_t complete_ns = 0;
  int from = 0;
  int to = 0;
  int64_t amount = 0;
  Outcome outcome = Outcome::kOk;
  bool succeeded = false;  // with kOk: the compares held and the money moved
};

// See the top of this file.
class BankWorkload : public Workload {
 public:
  explicit BankWorkload(WorkloadOptions options);

  // Creates the accounts (retrying for up to kInitTimeout), then starts the clients; when the
  // accounts could not be created, starts none, and Check says unknown.
  void Start() override;
  void Stop() override { clients_.Stop(); }
  void SetReadOnlyMember(int member) override { read_only_member_.store(member); }
  // One more linearizable read of all accounts, from the first member that answers.
  [[nodiscard]] Status FinalRead(std::chrono::steady_clock::time_point deadline) override;
  WorkloadVerdict Check(const std::string& out_dir, std::chrono::milliseconds) override;

 private:
  // The loop of client `c`.
  void RunClient(int c);
  // The accounts' creation; the error when it never succeeded.
  [[nodiscard]] Status CreateAccounts();

  const WorkloadOptions options_;
  const int accounts_;  // max(options.keys, 2)
  Status initialised_ = Status::Unavailable("the accounts were never created (Start not called)");
  std::atomic<int> read_only_member_{0};
  std::mutex mu_;  // guards reads_, transfers_ and failed_reads_
  // Every successful read: appended by each client when it stops, then by FinalRead.
  std::vector<BankRead> reads_;
  std::vector<BankTransfer> transfers_;  // every transfer sent, appended by each client
  int64_t failed_reads_ = 0;             // reads without an answer
  // Last, so that destroying the workload joins the clients before what they use goes.
  ClientThreads clients_;
};

}  // namespace raftkv::fault::harness
