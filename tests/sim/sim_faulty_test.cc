// The simulator can fail: linked against a core built with RAFTKV_FAULT_DOUBLE_VOTE (a follower
// grants a second vote in a term), some seed must end with an election-safety violation, and that
// failure must replay exactly from its seed.
#include <iostream>

#include <gtest/gtest.h>

#include "tests/sim/sim_checker.h"
#include "tests/sim/sim_driver.h"

namespace raftkv::sim {
namespace {

constexpr uint64_t kSeeds = 200;

TEST(SimFaultyCoreTest, DoubleVoteIsCaughtAsElectionSafetyViolation) {
  uint64_t failures = 0;
  std::optional<RunResult> caught;
  for (uint64_t seed = 1; seed <= kSeeds && !caught; ++seed) {
    RunResult r = RunSeed(seed);
    if (r.passed) continue;
    ++failures;
    std::cout << FailureLine(r) << "\n";
    if (r.rule == kElectionSafety) caught = r;
  }
  ASSERT_TRUE(caught.has_value()) << "no election-safety violation in " << kSeeds
                                  << " seeds against a core that votes twice (" << failures
                                  << " other failures)";
  // The failure names its seed and replays identically from it.
  RunResult again = RunSeedAndExplain(caught->seed);
  EXPECT_FALSE(again.passed);
  EXPECT_EQ(again.rule, kElectionSafety);
  EXPECT_EQ(again.detail, caught->detail);
  EXPECT_TRUE(again.replayed) << FailureReport(again);
  std::cout << FailureReport(again);
}

}  // namespace
}  // namespace raftkv::sim
