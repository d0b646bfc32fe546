// The bank checker of the fault tests: clients move money between accounts with transactions
// (read the balances, then compare both accounts' mod revisions and put both new balances), so
// no transfer creates or destroys money, and every read must see a consistent state. The rules,
// for every successful read:
//   - it sees every account: none missing, none extra;
//   - every balance is a decimal integer and none is negative;
//   - the balances add up to the initial total.
// Pure: no RPC, no clock; the bank workload (harness/bank_workload.h) feeds it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raftkv::fault {

// The accounts are named "0" .. "<accounts - 1>".
struct BankCheckOptions {
  int accounts = 0;
  int64_t total = 0;  // the sum of the initial balances
};

// One successful read of all accounts.
struct BankRead {
  uint64_t process = 0;  // the client that read (for reports)
  int64_t invoke_ns = 0;
  int64_t complete_ns = 0;
  // Account name -> balance as stored (text), for every account the read returned.
  std::map<std::string, std::string> balances;
};

// What CheckBank found. A read may break several rules; it counts once in bad_reads and once in
// each rule's count.
struct BankCheckResult {
  bool valid = true;
  int64_t reads = 0;
  int64_t bad_reads = 0;
  int64_t missing_account = 0;  // reads lacking some account
  int64_t extra_account = 0;    // reads with an account outside 0..accounts-1
  int64_t bad_balance = 0;      // reads with a balance that is not a decimal integer
  int64_t negative = 0;         // reads with a negative balance
  int64_t wrong_total = 0;      // reads whose balances do not add up to the total
  // The first kMaxBankExamples bad reads, each described on one line.
  std::vector<std::string> examples;
};

// How many bad reads BankCheckResult describes.
inline constexpr size_t kMaxBankExamples = 5;

// Applies the rules above to every read.
BankCheckResult CheckBank(const BankCheckOptions& options, const std::vector<BankRead>& reads);

// The balance `text` as a number, or nullopt when it is not exactly a decimal integer ("-3" is
// one; "+3", " 3", "3x" and "" are not).
std::optional<int64_t> ParseBalance(const std::string& text);

// "0=100 1=98 2=102": a read's balances in account order, for reports and history files.
std::string FormatBalances(const BankRead& read);

// The result as report lines: the counts, the bad reads described, and a last line
// "verdict: valid" or "verdict: invalid (...)".
std::string FormatBankCheck(const BankCheckResult& result);

}  // namespace raftkv::fault
