#include "tests/fault/bank_check.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <sstream>
#include <utility>

namespace raftkv::fault {
namespace {

// The problems of one read, as a phrase ("" when it keeps every rule); counts each broken rule
// in `result`.
std::string CheckRead(const BankCheckOptions& options, const BankRead& read,
                      BankCheckResult* result) {
  std::vector<std::string> problems;
  int missing = 0;
  for (int a = 0; a < options.accounts; ++a) missing += read.balances.count(std::to_string(a)) == 0;
  if (missing > 0) {
    ++result->missing_account;
    problems.push_back(std::to_string(missing) + " accounts missing");
  }
  int extra = 0;
  int negative = 0;
  bool malformed = false;
  int64_t sum = 0;
  for (const auto& [account, text] : read.balances) {
    const std::optional<int64_t> index = ParseBalance(account);
    if (!index || *index < 0 || *index >= options.accounts || std::to_string(*index) != account) {
      ++extra;
    }
    const std::optional<int64_t> balance = ParseBalance(text);
    if (!balance) {
      malformed = true;
      continue;
    }
    negative += *balance < 0;
    sum += *balance;
  }
  if (extra > 0) {
    ++result->extra_account;
    problems.push_back(std::to_string(extra) + " unknown accounts");
  }
  if (malformed) {
    ++result->bad_balance;
    problems.push_back("a balance that is not a decimal integer");
  }
  if (negative > 0) {
    ++result->negative;
    problems.push_back(std::to_string(negative) + " negative balances");
  }
  if (!malformed && sum != options.total) {
    ++result->wrong_total;
    problems.push_back("total " + std::to_string(sum) + ", expected " +
                       std::to_string(options.total));
  }
  std::string phrase;
  for (const std::string& problem : problems) phrase += (phrase.empty() ? "" : "; ") + problem;
  return phrase;
}

}  // namespace

std::optional<int64_t> ParseBalance(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

BankCheckResult CheckBank(const BankCheckOptions& options, const std::vector<BankRead>& reads) {
  BankCheckResult result;
  result.reads = static_cast<int64_t>(reads.size());
  for (const BankRead& read : reads) {
    const std::string problems = CheckRead(options, read, &result);
    if (problems.empty()) continue;
    ++result.bad_reads;
    if (result.examples.size() < kMaxBankExamples) {
      result.examples.push_back("client " + std::to_string(read.process) + " at " +
                                std::to_string(read.invoke_ns) + ".." +
                                std::to_string(read.complete_ns) + " ns: " + problems + ": " +
                                FormatBalances(read));
    }
  }
  result.valid = result.bad_reads == 0;
  return result;
}

std::string FormatBalances(const BankRead& read) {
  // Accounts in numeric order where they are numbers ("2" before "10"); others after, by name.
  std::map<std::pair<int64_t, std::string>, std::string> ordered;
  for (const auto& [account, text] : read.balances) {
    const std::optional<int64_t> index = ParseBalance(account);
    ordered[{index.value_or(INT64_MAX), account}] = text;
  }
  std::string out;
  for (const auto& [key, text] : ordered) {
    out += (out.empty() ? "" : " ") + key.second + "=" + text;
  }
  return out;
}

std::string FormatBankCheck(const BankCheckResult& result) {
  std::ostringstream out;
  out << "reads checked: " << result.reads << "; bad " << result.bad_reads << " (missing account "
      << result.missing_account << ", unknown account " << result.extra_account
      << ", malformed balance " << result.bad_balance << ", negative balance " << result.negative
      << ", wrong total " << result.wrong_total << ")\n";
  if (!result.examples.empty()) {
    out << "first bad reads:\n";
    for (const std::string& example : result.examples) out << "  " << example << "\n";
  }
  out << (result.valid ? "verdict: valid (every read keeps the total)\n"
                       : "verdict: invalid (a read broke the bank's invariants)\n");
  return out.str();
}

}  // namespace raftkv::fault
