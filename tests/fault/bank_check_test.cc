// Tests of the bank checker (bank_check.h): each rule on small hand-made reads, once kept and
// once broken.
#include "tests/fault/bank_check.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace raftkv::fault {
namespace {

constexpr BankCheckOptions kThreeAccounts{.accounts = 3, .total = 300};

BankRead Read(std::map<std::string, std::string> balances) {
  BankRead read;
  read.process = 7;
  read.invoke_ns = 10;
  read.complete_ns = 20;
  read.balances = std::move(balances);
  return read;
}

// Rule: reads that see every account, no negative balance and the initial total are valid,
// however the money is spread.
TEST(BankCheck, ReadsKeepingTheTotalAreValid) {
  const BankCheckResult result =
      CheckBank(kThreeAccounts, {Read({{"0", "100"}, {"1", "100"}, {"2", "100"}}),
                                 Read({{"0", "0"}, {"1", "295"}, {"2", "5"}})});
  EXPECT_TRUE(result.valid);
  EXPECT_EQ(result.reads, 2);
  EXPECT_EQ(result.bad_reads, 0);
  EXPECT_NE(FormatBankCheck(result).find("verdict: valid"), std::string::npos);
}

// Rule: the balances of every read add up to the initial total; a read that sees half of a
// transfer (money taken from one account, not yet given to the other) is caught and described.
TEST(BankCheck, ReadWithAWrongTotalIsInvalid) {
  const BankCheckResult result =
      CheckBank(kThreeAccounts, {Read({{"0", "100"}, {"1", "100"}, {"2", "100"}}),
                                 Read({{"0", "97"}, {"1", "100"}, {"2", "100"}})});
  EXPECT_FALSE(result.valid);
  EXPECT_EQ(result.bad_reads, 1);
  EXPECT_EQ(result.wrong_total, 1);
  ASSERT_EQ(result.examples.size(), 1u);
  EXPECT_EQ(result.examples[0], "client 7 at 10..20 ns: total 297, expected 300: 0=97 1=100 2=100");
  EXPECT_NE(FormatBankCheck(result).find("verdict: invalid"), std::string::npos);
}

// Rule: no balance is negative, even when the total is right.
TEST(BankCheck, NegativeBalanceIsInvalid) {
  const BankCheckResult result =
      CheckBank(kThreeAccounts, {Read({{"0", "-5"}, {"1", "205"}, {"2", "100"}})});
  EXPECT_FALSE(result.valid);
  EXPECT_EQ(result.negative, 1);
  EXPECT_EQ(result.wrong_total, 0);
}

// Rule: every read sees every account; one missing is invalid (and so is its total).
TEST(BankCheck, MissingAccountIsInvalid) {
  const BankCheckResult result = CheckBank(kThreeAccounts, {Read({{"0", "150"}, {"1", "150"}})});
  EXPECT_FALSE(result.valid);
  EXPECT_EQ(result.missing_account, 1);
}

// Rule: a read sees no account besides 0..accounts-1 ("3", "01" and "x" are all unknown).
TEST(BankCheck, ExtraAccountIsInvalid) {
  for (const char* extra : {"3", "01", "x"}) {
    const BankCheckResult result =
        CheckBank(kThreeAccounts, {Read({{"0", "100"}, {"1", "100"}, {"2", "100"}, {extra, "0"}})});
    EXPECT_FALSE(result.valid) << extra;
    EXPECT_EQ(result.extra_account, 1) << extra;
  }
}

// Rule: every balance is a decimal integer; anything else is invalid.
TEST(BankCheck, MalformedBalanceIsInvalid) {
  for (const char* balance : {"", "1x", "+1", " 1"}) {
    const BankCheckResult result =
        CheckBank(kThreeAccounts, {Read({{"0", balance}, {"1", "200"}, {"2", "100"}})});
    EXPECT_FALSE(result.valid) << '"' << balance << '"';
    EXPECT_EQ(result.bad_balance, 1) << '"' << balance << '"';
  }
}

// Rule: the report describes only the first kMaxBankExamples bad reads but counts them all.
TEST(BankCheck, ExamplesAreBoundedButCountsAreComplete) {
  std::vector<BankRead> reads(12, Read({{"0", "1"}, {"1", "1"}, {"2", "1"}}));
  const BankCheckResult result = CheckBank(kThreeAccounts, reads);
  EXPECT_EQ(result.bad_reads, 12);
  EXPECT_EQ(result.examples.size(), kMaxBankExamples);
}

}  // namespace
}  // namespace raftkv::fault
