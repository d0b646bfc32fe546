// Randomized tests of the linearizability checker: histories recorded from a real sequential
// execution, spread into random concurrency windows, must pass; the same with one read corrupted
// must fail at that read; and a history whose search explodes must stop within its budget.
//
// Every run prints its seed; RAFTKV_TEST_SEED=<seed> replays it.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include "tests/fault/linearizability.h"
#include "tests/storage/child_process_support.h"

namespace raftkv::fault {
namespace {

// Shape of a generated history.
struct GeneratorParams {
  int operations = 150;
  int keys = 3;
  int values = 4;  // distinct values written: "v0" ... ("v" + values-1)
  // Each operation's invoke and complete lie up to this far (uniformly) before and after its
  // linearization point; points are 10 ns apart.
  int64_t max_window_ns = 60;
};

// A linearizable history: operations take effect one by one on a map of registers at points
// 10 ns apart, and each is recorded with an interval around its point. Some writes and cas are
// recorded as unknown (they took effect, the client never heard); some reads are unknown; some
// operations that never took effect are recorded as failed or unknown.
History GenerateLinearizable(std::mt19937_64& rng, const GeneratorParams& params) {
  std::map<std::string, Value> registers;
  auto uniform = [&rng](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(rng);
  };
  auto random_value = [&]() -> Value {
    if (uniform(0, 19) == 0) return std::nullopt;
    return "v" + std::to_string(uniform(0, params.values - 1));
  };
  History history;
  for (int i = 0; i < params.operations; ++i) {
    const int64_t point = int64_t{i} * 10 + 1000;
    const int64_t invoke = point - uniform(0, params.max_window_ns);
    const int64_t complete = point + uniform(0, params.max_window_ns);
    const uint64_t process = static_cast<uint64_t>(i % 7);
    const std::string key = "key" + std::to_string(uniform(0, params.keys - 1));
    Value& current = registers[key];
    const int64_t dice = uniform(0, 99);
    if (dice < 40) {
      history.push_back(MakeRead(process, key, current, invoke, complete));
      if (uniform(0, 19) == 0) history.back().outcome = Outcome::kUnknown;
    } else if (dice < 70) {
      const Value value = random_value();
      history.push_back(MakeWrite(process, key, value, invoke, complete));
      current = value;
      if (uniform(0, 9) == 0) history.back().outcome = Outcome::kUnknown;
    } else if (dice < 92) {
      const Value expected = uniform(0, 1) == 0 ? current : random_value();
      const Value value = random_value();
      const bool matches = expected == current;
      history.push_back(MakeCas(process, key, expected, value, matches, invoke, complete));
      if (matches) current = value;
      if (uniform(0, 9) == 0) history.back().outcome = Outcome::kUnknown;
    } else {
      // Never took effect: its value must never be read.
      history.push_back(MakeWrite(process, key, "lost" + std::to_string(i), invoke, complete));
      history.back().outcome = dice < 96 ? Outcome::kFail : Outcome::kUnknown;
    }
  }
  return history;
}

// Rule: every history of a real sequential execution, however its operations overlap, is
// linearizable; and a read changed to return a value never written makes it fail exactly at
// that read.
TEST(LinearizabilityRandom, RecordedExecutionsPassAndACorruptedReadFails) {
  const uint64_t seed = storage::testing::TestSeed();
  std::cout << "seed " << seed << " (replay with RAFTKV_TEST_SEED=" << seed << ")\n";
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with RAFTKV_TEST_SEED)");
  std::mt19937_64 rng(seed);
  CheckOptions options;
  options.budget_per_key.max_steps = 5'000'000;

  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    GeneratorParams params;
    params.max_window_ns = std::uniform_int_distribution<int64_t>(0, 80)(rng);
    params.values = static_cast<int>(std::uniform_int_distribution<int>(2, 6)(rng));
    History history = GenerateLinearizable(rng, params);
    StatusOr<CheckResult> result = CheckLinearizability(history, options);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_EQ(result->verdict, Verdict::kLinearizable);

    std::vector<size_t> reads;
    for (size_t i = 0; i < history.size(); ++i) {
      if (history[i].kind == OpKind::kRead && history[i].outcome == Outcome::kOk) {
        reads.push_back(i);
      }
    }
    ASSERT_FALSE(reads.empty());
    Operation& corrupted = history[reads[rng() % reads.size()]];
    corrupted.observed = "never written";
    result = CheckLinearizability(history, options);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_EQ(result->verdict, Verdict::kNotLinearizable);
    ASSERT_TRUE(result->failure.has_value());
    const FailingWindow& window = *result->failure;
    EXPECT_EQ(window.key, corrupted.key);
    EXPECT_TRUE(window.minimal);
    ASSERT_LT(window.last, window.operations.size());
    EXPECT_EQ(window.operations[window.last], corrupted);
  }
}

// Rule (budget): a search that would take exponential time stops at its step or memory budget
// with kTimedOut instead of hanging. 40 writes of distinct values and a read of a value none of
// them wrote, all concurrent: every subset of the writes is a configuration to rule out.
TEST(LinearizabilityBudget, ExplodingSearchStopsAtItsBudget) {
  History history;
  for (int i = 0; i < 40; ++i) history.push_back(MakeWrite(1, "k", std::to_string(i), 0, 1000));
  history.push_back(MakeRead(2, "k", "never written", 0, 1000));

  CheckOptions by_steps;
  by_steps.budget_per_key.max_steps = 200'000;
  StatusOr<CheckResult> result = CheckLinearizability(history, by_steps);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->verdict, Verdict::kTimedOut);
  ASSERT_EQ(result->keys.size(), 1u);
  EXPECT_LE(result->keys[0].steps, by_steps.budget_per_key.max_steps + 1);
  EXPECT_FALSE(result->failure.has_value());

  CheckOptions by_memory;
  by_memory.budget_per_key.max_cache_bytes = 1 << 20;
  result = CheckLinearizability(history, by_memory);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->verdict, Verdict::kTimedOut);
}

// Rule (budget): a large, highly concurrent history (one key, about a hundred operations in
// flight at once) returns within its budget, with kTimedOut or the right verdict.
TEST(LinearizabilityBudget, LargeConcurrentHistoryReturnsWithinBudget) {
  const uint64_t seed = storage::testing::TestSeed();
  std::cout << "seed " << seed << " (replay with RAFTKV_TEST_SEED=" << seed << ")\n";
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with RAFTKV_TEST_SEED)");
  std::mt19937_64 rng(seed);
  GeneratorParams params;
  params.operations = 3000;
  params.keys = 1;
  params.values = 3;
  params.max_window_ns = 500;
  const History history = GenerateLinearizable(rng, params);

  CheckOptions options;
  options.budget_per_key.max_steps = 2'000'000;
  options.budget_per_key.time = std::chrono::milliseconds(2000);
  StatusOr<CheckResult> result = CheckLinearizability(history, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_NE(result->verdict, Verdict::kNotLinearizable);
  std::cout << "verdict: " << VerdictName(result->verdict) << " after " << result->keys[0].steps
            << " steps\n";
}

}  // namespace
}  // namespace raftkv::fault
