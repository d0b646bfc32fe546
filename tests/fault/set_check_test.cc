// Tests of the set checker (set_check.h): each rule on small hand-made adds and final reads,
// once kept and once broken.
#include "tests/fault/set_check.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace raftkv::fault {
namespace {

SetAdd Add(std::string element, Outcome outcome) {
  SetAdd add;
  add.element = std::move(element);
  add.outcome = outcome;
  return add;
}

// Rule: a read holding every acknowledged add, and nothing else, is valid; the counts say so.
TEST(SetCheck, ReadHoldingEveryAcknowledgedAddIsValid) {
  const SetCheckResult result = CheckSet(
      {Add("a", Outcome::kOk), Add("b", Outcome::kOk), Add("c", Outcome::kFail)}, {"b", "a"});
  EXPECT_TRUE(result.valid);
  EXPECT_EQ(result.attempted, 3);
  EXPECT_EQ(result.ok, 2);
  EXPECT_EQ(result.fail, 1);
  EXPECT_EQ(result.unknown, 0);
  EXPECT_EQ(result.read, 2);
  EXPECT_EQ(result.lost, 0);
  EXPECT_EQ(result.unexpected, 0);
  EXPECT_NE(FormatSetCheck(result).find("verdict: valid"), std::string::npos);
}

// Rule: every acknowledged add is in the final read; one missing is "lost" and named.
TEST(SetCheck, AcknowledgedAddMissingFromTheReadIsLost) {
  const SetCheckResult result = CheckSet(
      {Add("a", Outcome::kOk), Add("b", Outcome::kOk), Add("c", Outcome::kOk)}, {"a", "c"});
  EXPECT_FALSE(result.valid);
  EXPECT_EQ(result.lost, 1);
  EXPECT_EQ(result.lost_examples, std::vector<std::string>{"b"});
  const std::string report = FormatSetCheck(result);
  EXPECT_NE(report.find("lost (first 1): b"), std::string::npos) << report;
  EXPECT_NE(report.find("verdict: invalid (acknowledged adds lost)"), std::string::npos) << report;
}

// Rule: every element read was attempted; an element nobody added is "unexpected".
TEST(SetCheck, ElementNeverAddedIsUnexpected) {
  const SetCheckResult result = CheckSet({Add("a", Outcome::kOk)}, {"a", "z"});
  EXPECT_FALSE(result.valid);
  EXPECT_EQ(result.unexpected, 1);
  EXPECT_EQ(result.unexpected_examples, std::vector<std::string>{"z"});
}

// Rule: a failed add provably never took effect, so finding it in the read is invalid.
TEST(SetCheck, FailedAddPresentInTheReadIsInvalid) {
  const SetCheckResult result =
      CheckSet({Add("a", Outcome::kOk), Add("f", Outcome::kFail)}, {"a", "f"});
  EXPECT_FALSE(result.valid);
  EXPECT_EQ(result.failed_present, 1);
  EXPECT_EQ(result.failed_present_examples, std::vector<std::string>{"f"});
  EXPECT_EQ(result.lost, 0);
  EXPECT_EQ(result.unexpected, 0);
}

// Rule: an add of unknown outcome may be present or absent; those present are counted as
// recovered.
TEST(SetCheck, UnknownAddMayBePresentOrAbsent) {
  const SetCheckResult result =
      CheckSet({Add("u1", Outcome::kUnknown), Add("u2", Outcome::kUnknown)}, {"u2"});
  EXPECT_TRUE(result.valid);
  EXPECT_EQ(result.unknown, 2);
  EXPECT_EQ(result.recovered, 1);
}

// Rule: an element attempted twice must be present if any attempt was acknowledged, and may be
// present if one attempt failed and another is unknown.
TEST(SetCheck, RepeatedElementFollowsItsStrongestOutcome) {
  EXPECT_FALSE(CheckSet({Add("a", Outcome::kFail), Add("a", Outcome::kOk)}, {}).valid);
  EXPECT_TRUE(CheckSet({Add("a", Outcome::kFail), Add("a", Outcome::kUnknown)}, {"a"}).valid);
}

// Rule: the report keeps at most kMaxSetExamples examples of each kind but counts all.
TEST(SetCheck, ExamplesAreBoundedButCountsAreComplete) {
  std::vector<SetAdd> adds;
  for (int i = 0; i < 50; ++i) adds.push_back(Add("e" + std::to_string(i), Outcome::kOk));
  const SetCheckResult result = CheckSet(adds, {});
  EXPECT_EQ(result.lost, 50);
  EXPECT_EQ(result.lost_examples.size(), kMaxSetExamples);
}

}  // namespace
}  // namespace raftkv::fault
