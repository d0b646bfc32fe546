// WaitRegistry (server/wait_registry.h): every waiter is answered exactly once, by Complete,
// by CompleteAll, or by ExpireUntil once its deadline has passed; a cancelled one never.
#include "server/wait_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace raftkv::server {
namespace {

using Clock = WaitRegistry<std::string>::Clock;
using std::chrono::seconds;

// Records every answer a callback receives, by waiter name.
struct Answers {
  std::vector<std::pair<std::string, std::string>> got;  // (waiter, result)
  WaitRegistry<std::string>::Callback For(std::string waiter) {
    return [this, waiter](std::string result) { got.emplace_back(waiter, std::move(result)); };
  }
};

TEST(WaitRegistryTest, ExpireUntilAnswersOnlyWaitersWhoseDeadlinePassed) {
  WaitRegistry<std::string> registry(1);
  Answers answers;
  const Clock::time_point t0 = Clock::now();
  registry.Register(answers.For("early"), t0 + seconds(1));
  registry.Register(answers.For("late"), t0 + seconds(5));
  EXPECT_EQ(registry.ExpireUntil(t0, "timed out"), 0u);
  EXPECT_EQ(registry.ExpireUntil(t0 + seconds(1), "timed out"), 1u);
  ASSERT_EQ(answers.got.size(), 1u);
  EXPECT_EQ(answers.got[0], std::make_pair(std::string("early"), std::string("timed out")));
  EXPECT_EQ(registry.size(), 1u);
}

TEST(WaitRegistryTest, CompletedOrCancelledWaiterIsNeverExpiredLater) {
  WaitRegistry<std::string> registry(1);
  Answers answers;
  const Clock::time_point t0 = Clock::now();
  const uint64_t done = registry.Register(answers.For("done"), t0 + seconds(1));
  const uint64_t cancelled = registry.Register(answers.For("cancelled"), t0 + seconds(1));
  registry.Register(answers.For("waiting"), t0 + seconds(1));
  EXPECT_TRUE(registry.Complete(done, "applied"));
  registry.Cancel(cancelled);
  EXPECT_EQ(registry.ExpireUntil(t0 + seconds(2), "timed out"), 1u);
  EXPECT_FALSE(registry.Complete(done, "again"));
  ASSERT_EQ(answers.got.size(), 2u);
  EXPECT_EQ(answers.got[0], std::make_pair(std::string("done"), std::string("applied")));
  EXPECT_EQ(answers.got[1], std::make_pair(std::string("waiting"), std::string("timed out")));
  EXPECT_EQ(registry.size(), 0u);
}

TEST(WaitRegistryTest, ExpiredWaiterIgnoresItsLateCompletion) {
  WaitRegistry<std::string> registry(1);
  Answers answers;
  const Clock::time_point t0 = Clock::now();
  const uint64_t id = registry.Register(answers.For("w"), t0 + seconds(1));
  EXPECT_EQ(registry.ExpireUntil(t0 + seconds(1), "timed out"), 1u);
  EXPECT_FALSE(registry.Complete(id, "applied late"));
  ASSERT_EQ(answers.got.size(), 1u);
  EXPECT_EQ(answers.got[0].second, "timed out");
}

TEST(WaitRegistryTest, WaiterWithoutDeadlineIsNeverExpired) {
  WaitRegistry<std::string> registry(1);
  Answers answers;
  const uint64_t id = registry.Register(answers.For("patient"));
  EXPECT_EQ(registry.ExpireUntil(Clock::now() + seconds(3600), "timed out"), 0u);
  EXPECT_TRUE(registry.Complete(id, "applied"));
  ASSERT_EQ(answers.got.size(), 1u);
  EXPECT_EQ(answers.got[0].second, "applied");
}

TEST(WaitRegistryTest, CompleteAllAnswersEveryWaiterOnceAndLeavesNothingToExpire) {
  WaitRegistry<std::string> registry(1);
  Answers answers;
  const Clock::time_point t0 = Clock::now();
  registry.Register(answers.For("a"), t0 + seconds(1));
  registry.Register(answers.For("b"));
  registry.CompleteAll("stopped");
  EXPECT_EQ(registry.ExpireUntil(t0 + seconds(2), "timed out"), 0u);
  EXPECT_EQ(answers.got.size(), 2u);
  for (const auto& [waiter, result] : answers.got) EXPECT_EQ(result, "stopped") << waiter;
}

}  // namespace
}  // namespace raftkv::server
