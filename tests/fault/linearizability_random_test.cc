// Randomized tests of the linearizability checker: tiny random histories judged the same as by
// trying every order; histories of a real execution (history_generator.h) pass, and fail at the
// read corrupted to a value never written; a search that explodes stops within its budget.
//
// Every randomized test prints its seed; RAFTKV_TEST_SEED=<seed> replays it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fault/history_generator.h"
#include "tests/fault/linearizability.h"
#include "tests/storage/child_process_support.h"

namespace raftkv::fault {
namespace {

using testing::GenerateLinearizable;
using testing::GeneratorParams;

// The seed of a randomized test, printed so that a failure replays.
uint64_t PrintedSeed() {
  const uint64_t seed = storage::testing::TestSeed();
  std::cout << "seed " << seed << " (replay with RAFTKV_TEST_SEED=" << seed << ")\n";
  return seed;
}

// The definition itself, for a history of one key: some order of its operations (kOk, and
// kUnknown other than reads) respects real time and runs in the register. An unknown operation
// that never took effect is one placed last.
bool LinearizableByEveryOrder(const History& history) {
  std::vector<Operation> ops;
  for (const Operation& op : history) {
    if (op.outcome == Outcome::kOk ||
        (op.outcome == Outcome::kUnknown && op.kind != OpKind::kRead)) {
      ops.push_back(op);
    }
  }
  const RegisterModel model;
  std::vector<size_t> order(ops.size());
  std::iota(order.begin(), order.end(), 0);
  do {
    ModelState state = model.Init();
    bool legal = true;
    for (size_t i = 0; i < order.size() && legal; ++i) {
      const Operation& op = ops[order[i]];
      // Nothing placed later may have completed before this one was invoked.
      for (size_t j = i + 1; j < order.size() && legal; ++j) {
        const Operation& later = ops[order[j]];
        legal = !(later.outcome == Outcome::kOk && later.complete_ns < op.invoke_ns);
      }
      std::optional<ModelState> next = model.Step(state, op);
      legal = legal && next.has_value();
      if (legal) state = std::move(*next);
    }
    if (legal) return true;
  } while (std::next_permutation(order.begin(), order.end()));
  return false;
}

// A tiny random history of one key, linearizable or not: random kinds, inputs, outputs, times
// and outcomes over two values and absent.
History TinyRandomHistory(std::mt19937_64& rng) {
  const auto uniform = [&rng](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(rng);
  };
  const auto value = [&]() -> Value {
    const int64_t v = uniform(0, 2);
    return v == 0 ? Value() : Value(v == 1 ? "a" : "b");
  };
  History history;
  const int64_t size = uniform(1, 7);
  for (int64_t i = 0; i < size; ++i) {
    const int64_t invoke = uniform(0, 20);
    const int64_t complete = invoke + uniform(0, 8);
    const int64_t kind = uniform(0, 2);
    if (kind == 0) history.push_back(MakeRead(i, "k", value(), invoke, complete));
    if (kind == 1) history.push_back(MakeWrite(i, "k", value(), invoke, complete));
    if (kind == 2) {
      history.push_back(MakeCas(i, "k", value(), value(), uniform(0, 1) == 0, invoke, complete));
    }
    const int64_t outcome = uniform(0, 9);
    if (outcome < 3) history.back().outcome = Outcome::kUnknown;
    if (outcome == 3) history.back().outcome = Outcome::kFail;
  }
  return history;
}

// Rule: the checker's verdict is the definition's (for tiny histories, where every order can be
// tried), with all its pruning rules; and a failing window is itself not linearizable.
TEST(LinearizabilityRandom, TinyHistoriesAgreeWithTryingEveryOrder) {
  const uint64_t seed = PrintedSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with RAFTKV_TEST_SEED)");
  std::mt19937_64 rng(seed);
  int linearizable = 0;
  for (int round = 0; round < 3000; ++round) {
    const History history = TinyRandomHistory(rng);
    StatusOr<CheckResult> result = CheckLinearizability(history);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    std::ostringstream text;
    ASSERT_TRUE(WriteHistory(history, text).ok());
    const bool expected = LinearizableByEveryOrder(history);
    ASSERT_EQ(result->verdict, expected ? Verdict::kLinearizable : Verdict::kNotLinearizable)
        << "round " << round << ", history:\n"
        << text.str();
    linearizable += expected ? 1 : 0;
    if (expected) continue;
    ASSERT_TRUE(result->failure.has_value());
    History window = result->failure->operations;
    for (size_t i = 0; i < window.size(); ++i) {
      if (result->failure->pending[i]) window[i].outcome = Outcome::kUnknown;
    }
    EXPECT_FALSE(LinearizableByEveryOrder(window)) << "round " << round << ", history:\n"
                                                   << text.str();
  }
  // Both verdicts are well represented.
  EXPECT_GT(linearizable, 300);
  EXPECT_LT(linearizable, 2700);
}

// Rule: every history of a real execution, however its operations overlap and whatever became
// of the unknown ones, is linearizable; and a read changed to return a value never written makes
// it fail exactly at that read.
TEST(LinearizabilityRandom, RealExecutionsPassAndACorruptedReadFailsThere) {
  const uint64_t seed = PrintedSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with RAFTKV_TEST_SEED)");
  std::mt19937_64 rng(seed);
  CheckOptions options;
  options.budget_per_key.max_steps = 5'000'000;

  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    GeneratorParams params;
    params.processes = static_cast<int>(std::uniform_int_distribution<int>(1, 8)(rng));
    params.values = static_cast<int>(std::uniform_int_distribution<int>(0, 5)(rng));
    params.unknown_percent = static_cast<int>(std::uniform_int_distribution<int>(0, 10)(rng));
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

// Rule (budget): a large, highly concurrent history (one key, 40 clients, many unknown
// outcomes) returns within its budget, with kTimedOut or the right verdict.
TEST(LinearizabilityBudget, LargeConcurrentHistoryReturnsWithinBudget) {
  const uint64_t seed = PrintedSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with RAFTKV_TEST_SEED)");
  std::mt19937_64 rng(seed);
  GeneratorParams params;
  params.operations = 4000;
  params.processes = 40;
  params.keys = 1;
  params.values = 3;
  params.unknown_percent = 10;
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
