// Tests of the linearizability checker (linearizability.h) on small histories whose answer is
// known by hand. Each test names the rule of linearizability (Herlihy and Wing) or of the
// checker's contract it checks. Times are plain integers (nanoseconds).
#include "tests/fault/linearizability.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "tests/fault/report.h"

namespace raftkv::fault {
namespace {

CheckResult Check(const History& history) {
  StatusOr<CheckResult> result = CheckLinearizability(history);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : CheckResult{};
}

Verdict VerdictOf(const History& history) { return Check(history).verdict; }

Operation Unknown(Operation op) {
  op.outcome = Outcome::kUnknown;
  return op;
}

Operation Failed(Operation op) {
  op.outcome = Outcome::kFail;
  return op;
}

// Rule: a sequential history is linearizable exactly when each read returns the last value
// written before it (absent before the first write).
TEST(Linearizability, SequentialHistoryFollowsTheRegister) {
  const History history = {
      MakeRead(1, "k", std::nullopt, 0, 5),   MakeWrite(1, "k", "1", 10, 20),
      MakeRead(2, "k", "1", 30, 40),          MakeWrite(2, "k", "2", 50, 60),
      MakeRead(1, "k", "2", 70, 80),          MakeWrite(1, "k", std::nullopt, 90, 95),
      MakeRead(1, "k", std::nullopt, 96, 99),
  };
  EXPECT_EQ(VerdictOf(history), Verdict::kLinearizable);
  EXPECT_EQ(VerdictOf({}), Verdict::kLinearizable);
}

// Rule: a read concurrent with a write may see the old value or the new one, nothing else.
TEST(Linearizability, ReadConcurrentWithWriteSeesEitherValue) {
  for (const Value& seen : {Value("1"), Value("2")}) {
    EXPECT_EQ(VerdictOf({MakeWrite(1, "k", "1", 0, 10), MakeWrite(1, "k", "2", 20, 60),
                         MakeRead(2, "k", seen, 30, 40)}),
              Verdict::kLinearizable)
        << *seen;
  }
  EXPECT_EQ(VerdictOf({MakeWrite(1, "k", "1", 0, 10), MakeWrite(1, "k", "2", 20, 60),
                       MakeRead(2, "k", std::nullopt, 30, 40)}),
            Verdict::kNotLinearizable);
}

// Rule: operations that touch in time (one completes at the instant the other is invoked) are
// concurrent, so either order is allowed.
TEST(Linearizability, OperationsTouchingInTimeAreConcurrent) {
  EXPECT_EQ(VerdictOf({MakeRead(1, "k", "1", 0, 10), MakeWrite(2, "k", "1", 10, 20)}),
            Verdict::kLinearizable);
  EXPECT_EQ(VerdictOf({MakeRead(1, "k", "1", 0, 9), MakeWrite(2, "k", "1", 10, 20)}),
            Verdict::kNotLinearizable);
}

// Rule (real-time order): a read invoked after a write completed must not return an older value.
TEST(Linearizability, StaleReadAfterCompletedWriteIsNotLinearizable) {
  EXPECT_EQ(VerdictOf({MakeWrite(1, "k", "1", 0, 10), MakeWrite(1, "k", "2", 20, 30),
                       MakeRead(2, "k", "1", 40, 50)}),
            Verdict::kNotLinearizable);
  EXPECT_EQ(VerdictOf({MakeWrite(1, "k", "1", 0, 10), MakeRead(2, "k", std::nullopt, 20, 30)}),
            Verdict::kNotLinearizable);
}

// Rule: a read returns a value some write wrote (or absent), never one nobody wrote.
TEST(Linearizability, ReadOfValueNeverWrittenIsNotLinearizable) {
  EXPECT_EQ(VerdictOf({MakeRead(1, "k", "ghost", 0, 10)}), Verdict::kNotLinearizable);
  EXPECT_EQ(VerdictOf({MakeWrite(1, "k", "1", 0, 100), MakeRead(2, "k", "ghost", 10, 20)}),
            Verdict::kNotLinearizable);
}

// Rule: once a read saw the new value, a later read (in real time) cannot see the old one, even
// while the write that installed the new value is still running.
TEST(Linearizability, ReadsMustNotGoBackInTime) {
  const Operation old_write = MakeWrite(1, "k", "old", 0, 10);
  const Operation new_write = MakeWrite(1, "k", "new", 20, 100);
  EXPECT_EQ(VerdictOf({old_write, new_write, MakeRead(2, "k", "old", 30, 40),
                       MakeRead(3, "k", "new", 50, 60)}),
            Verdict::kLinearizable);
  EXPECT_EQ(VerdictOf({old_write, new_write, MakeRead(2, "k", "new", 30, 40),
                       MakeRead(3, "k", "old", 50, 60)}),
            Verdict::kNotLinearizable);
  // Two overlapping writes: non-overlapping reads may see them in either order, but cannot flip
  // back to a value already overwritten.
  const Operation a = MakeWrite(1, "k", "a", 0, 100);
  const Operation b = MakeWrite(2, "k", "b", 0, 100);
  EXPECT_EQ(VerdictOf({a, b, MakeRead(3, "k", "b", 10, 20), MakeRead(3, "k", "a", 30, 40)}),
            Verdict::kLinearizable);
  EXPECT_EQ(VerdictOf({a, b, MakeRead(3, "k", "b", 10, 20), MakeRead(3, "k", "a", 30, 40),
                       MakeRead(3, "k", "b", 50, 60)}),
            Verdict::kNotLinearizable);
}

// Rule (register model): a cas succeeds exactly when the value equals the expected one
// (absent included), and only then changes it.
TEST(Linearizability, CasSucceedsExactlyWhenTheValueMatches) {
  const Operation init = MakeWrite(1, "k", "x", 0, 10);
  EXPECT_EQ(
      VerdictOf({MakeCas(1, "k", std::nullopt, "a", true, 0, 10), MakeRead(1, "k", "a", 20, 30)}),
      Verdict::kLinearizable);
  EXPECT_EQ(
      VerdictOf({init, MakeCas(1, "k", "x", "y", true, 20, 30), MakeRead(1, "k", "y", 40, 50)}),
      Verdict::kLinearizable);
  EXPECT_EQ(
      VerdictOf({init, MakeCas(1, "k", "z", "y", false, 20, 30), MakeRead(1, "k", "x", 40, 50)}),
      Verdict::kLinearizable);
  // Succeeded although the value did not match.
  EXPECT_EQ(VerdictOf({init, MakeCas(1, "k", "z", "y", true, 20, 30)}), Verdict::kNotLinearizable);
  // Failed although the value matched and nothing ran concurrently.
  EXPECT_EQ(VerdictOf({init, MakeCas(1, "k", "x", "y", false, 20, 30)}), Verdict::kNotLinearizable);
  // A failed cas changes nothing.
  EXPECT_EQ(
      VerdictOf({init, MakeCas(1, "k", "z", "y", false, 20, 30), MakeRead(1, "k", "y", 40, 50)}),
      Verdict::kNotLinearizable);
}

// Rule: of two concurrent cas from the same expected value, at most one succeeds; the other may
// fail because the first went ahead.
TEST(Linearizability, ConcurrentCasFromTheSameValueAtMostOneSucceeds) {
  const Operation init = MakeWrite(1, "k", "0", 0, 10);
  EXPECT_EQ(VerdictOf({init, MakeCas(1, "k", "0", "1", true, 20, 40),
                       MakeCas(2, "k", "0", "1", false, 20, 40)}),
            Verdict::kLinearizable);
  EXPECT_EQ(VerdictOf({init, MakeCas(1, "k", "0", "1", true, 20, 40),
                       MakeCas(2, "k", "0", "1", true, 20, 40)}),
            Verdict::kNotLinearizable);
}

// Rule: an operation of unknown outcome may take effect at any time after its invoke (even long
// after the client gave up) or never; never before its invoke, and at most once.
TEST(Linearizability, UnknownOutcomeMayTakeEffectLaterOrNever) {
  const Operation lost = Unknown(MakeWrite(1, "k", "1", 10, 20));
  EXPECT_EQ(VerdictOf({lost, MakeRead(2, "k", "1", 1000, 1010)}), Verdict::kLinearizable);
  EXPECT_EQ(VerdictOf({lost, MakeRead(2, "k", std::nullopt, 1000, 1010)}), Verdict::kLinearizable);
  EXPECT_EQ(VerdictOf({lost, MakeRead(2, "k", std::nullopt, 1000, 1010),
                       MakeRead(2, "k", "1", 2000, 2010)}),
            Verdict::kLinearizable);
  // Not before its invoke.
  EXPECT_EQ(VerdictOf({MakeRead(2, "k", "1", 0, 5), lost}), Verdict::kNotLinearizable);
  // At most once: seen, overwritten, then seen again.
  EXPECT_EQ(VerdictOf({lost, MakeRead(2, "k", "1", 100, 110), MakeWrite(2, "k", "2", 120, 130),
                       MakeRead(2, "k", "1", 140, 150)}),
            Verdict::kNotLinearizable);
  // An unknown cas either applied (if it matched when it ran) or not.
  const Operation init = MakeWrite(1, "k", "0", 0, 5);
  const Operation cas = Unknown(MakeCas(3, "k", "0", "9", false, 10, 20));
  EXPECT_EQ(VerdictOf({init, cas, MakeRead(2, "k", "9", 500, 510)}), Verdict::kLinearizable);
  EXPECT_EQ(VerdictOf({init, cas, MakeRead(2, "k", "0", 500, 510)}), Verdict::kLinearizable);
  // A read of unknown outcome constrains nothing.
  EXPECT_EQ(VerdictOf({init, Unknown(MakeRead(2, "k", "ghost", 500, 510))}),
            Verdict::kLinearizable);
}

// Rule: an operation that failed did not happen, so its value can never be read.
TEST(Linearizability, FailedOperationsAreIgnored) {
  const Operation failed = Failed(MakeWrite(1, "k", "1", 0, 10));
  EXPECT_EQ(VerdictOf({failed, MakeRead(2, "k", std::nullopt, 20, 30)}), Verdict::kLinearizable);
  EXPECT_EQ(VerdictOf({failed, MakeRead(2, "k", "1", 20, 30)}), Verdict::kNotLinearizable);
  EXPECT_EQ(VerdictOf({Failed(MakeRead(2, "k", "ghost", 20, 30))}), Verdict::kLinearizable);
}

// Rule (compositionality): each key is its own register, starting absent; the verdict is per key
// and the history fails when one key does.
TEST(Linearizability, KeysAreIndependentRegisters) {
  const History good = {MakeWrite(1, "a", "1", 0, 10), MakeWrite(1, "b", "2", 20, 30),
                        MakeRead(2, "a", "1", 40, 50), MakeRead(2, "b", "2", 40, 50),
                        MakeRead(2, "c", std::nullopt, 40, 50)};
  CheckResult result = Check(good);
  EXPECT_EQ(result.verdict, Verdict::kLinearizable);
  ASSERT_EQ(result.keys.size(), 3u);
  EXPECT_EQ(result.keys[0].key, "a");
  EXPECT_EQ(result.keys[2].key, "c");

  // A value of key a read on key b is a value never written to b.
  History bad = good;
  bad.push_back(MakeRead(3, "b", "1", 60, 70));
  result = Check(bad);
  EXPECT_EQ(result.verdict, Verdict::kNotLinearizable);
  ASSERT_EQ(result.keys.size(), 3u);
  EXPECT_EQ(result.keys[0].verdict, Verdict::kLinearizable);
  EXPECT_EQ(result.keys[1].verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(result.keys[2].verdict, Verdict::kLinearizable);
  ASSERT_TRUE(result.failure.has_value());
  EXPECT_EQ(result.failure->key, "b");
}

// Rule (failing window): the window is the key's history up to the completion that first makes
// it non-linearizable; it holds the offending read and the writes that make it stale, and
// nothing invoked later.
TEST(Linearizability, FailingWindowEndsAtTheOffendingOperation) {
  History history;
  for (int i = 0; i < 20; ++i) {
    history.push_back(MakeWrite(1, "k", std::to_string(i), i * 100, i * 100 + 10));
    history.push_back(MakeRead(2, "k", std::to_string(i), i * 100 + 20, i * 100 + 30));
    history.push_back(MakeWrite(3, "other", std::to_string(i), i * 100, i * 100 + 10));
  }
  // A write still running when the window ends, and the stale read.
  history.push_back(MakeWrite(4, "k", "late", 2000, 5000));
  const Operation stale = MakeRead(2, "k", "5", 2010, 2020);
  history.push_back(stale);
  // Operations after the failure.
  for (int i = 0; i < 10; ++i) history.push_back(MakeRead(5, "k", "late", 6000 + i, 6000 + i));

  const CheckResult result = Check(history);
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable);
  ASSERT_TRUE(result.failure.has_value());
  const FailingWindow& window = *result.failure;
  EXPECT_EQ(window.key, "k");
  EXPECT_TRUE(window.minimal);
  ASSERT_LT(window.last, window.operations.size());
  EXPECT_EQ(window.operations[window.last], stale);
  EXPECT_EQ(window.end_ns, 2020);
  // The 40 operations of "k" before, the pending write, the stale read; nothing later.
  EXPECT_EQ(window.operations.size(), 42u);
  ASSERT_EQ(window.pending.size(), window.operations.size());
  for (size_t i = 0; i < window.operations.size(); ++i) {
    EXPECT_EQ(window.operations[i].key, "k");
    EXPECT_LE(window.operations[i].invoke_ns, window.end_ns);
    EXPECT_EQ(window.pending[i], window.operations[i].value == Value("late"));
  }
  // Cut just before the stale read, the same history is linearizable.
  History cut;
  for (const Operation& op : window.operations) {
    if (!(op == stale)) cut.push_back(op);
  }
  EXPECT_EQ(VerdictOf(cut), Verdict::kLinearizable);
}

// Rule (report): the report counts the operations by outcome and kind, and shows the verdict,
// the failing key and its window with the offending operation marked.
TEST(Linearizability, ReportNamesVerdictKeyAndWindow) {
  const Operation stale = MakeRead(2, "k", "1", 40, 50);
  const History history = {MakeWrite(1, "k", "1", 0, 10), MakeWrite(1, "k", "2", 20, 30), stale,
                           Failed(MakeWrite(1, "k", "3", 60, 70)),
                           Unknown(MakeCas(1, "j", "a", "b", false, 60, 70))};
  const CheckResult result = Check(history);
  std::ostringstream report;
  WriteReport(history, result, report);
  const std::string text = report.str();
  EXPECT_NE(text.find("linearizability: not linearizable"), std::string::npos) << text;
  EXPECT_NE(text.find("operations: 5 (ok 3, fail 1, unknown 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("write: ok 2 fail 1 unknown 0"), std::string::npos) << text;
  EXPECT_NE(text.find("cas: ok 0 fail 0 unknown 1"), std::string::npos) << text;
  EXPECT_NE(text.find("failing key: \"k\""), std::string::npos) << text;
  EXPECT_NE(text.find("> " + FormatOperation(stale)), std::string::npos) << text;
  const std::string path = ::testing::TempDir() + "/fault_report.txt";
  EXPECT_TRUE(WriteReportFile(history, result, path).ok());
}

// Rule (errors are values): a history with an operation completing before its invoke is
// rejected, not checked.
TEST(Linearizability, MalformedHistoryIsAnError) {
  StatusOr<CheckResult> result = CheckLinearizability({MakeWrite(1, "k", "1", 10, 5)});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  // For an unknown outcome the complete time is only when the client gave up: any value is fine.
  EXPECT_TRUE(CheckLinearizability({Unknown(MakeWrite(1, "k", "1", 10, 5))}).ok());
}

}  // namespace
}  // namespace raftkv::fault
