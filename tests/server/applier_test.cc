// The apply thread's index waiters (server/applier.h, WhenApplied): how a linearizable read
// waits for its read index to be applied without a thread of its own.
#include "server/applier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/database.h"
#include "storage/mvcc_store.h"
#include "tests/storage/temp_dir.h"

namespace raftkv::server {
namespace {

using Clock = std::chrono::steady_clock;
using storage::testing::TempDir;

// No-op entries (empty data) at indexes [first, last]: applied, changing nothing.
std::vector<raftpb::Entry> Entries(uint64_t first, uint64_t last) {
  std::vector<raftpb::Entry> entries;
  for (uint64_t i = first; i <= last; ++i) {
    raftpb::Entry e;
    e.set_index(i);
    e.set_term(1);
    e.set_type(raftpb::ENTRY_NORMAL);
    entries.push_back(std::move(e));
  }
  return entries;
}

// The answers a waiter got, in order (any thread).
class Answers {
 public:
  std::function<void(bool)> Callback() {
    return [this](bool applied) {
      std::lock_guard<std::mutex> lock(mu_);
      got_.push_back(applied);
    };
  }
  std::vector<bool> got() const {
    std::lock_guard<std::mutex> lock(mu_);
    return got_;
  }
  // Waits (up to 10 s) until at least `n` answers arrived.
  bool WaitFor(size_t n) const {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      if (got().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }

 private:
  mutable std::mutex mu_;
  std::vector<bool> got_;
};

class ApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::DatabaseOptions options;
    options.data_dir = dir_.path();
    auto db = storage::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    auto store = storage::MvccStore::Open(db_.get());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    applier_ = std::make_unique<Applier>(store_.get(), &waiters_, 1);
    applier_->Start();
  }
  void TearDown() override { applier_.reset(); }

  Clock::time_point Later() const { return Clock::now() + std::chrono::seconds(60); }

  TempDir dir_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::MvccStore> store_;
  ApplyWaiters waiters_{1};
  std::unique_ptr<Applier> applier_;
};

TEST_F(ApplierTest, WhenAppliedAnswersAtOnceOnTheCallingThreadForAnAppliedIndex) {
  applier_->Enqueue(Entries(1, 3));
  ASSERT_TRUE(applier_->WaitApplied(3, Later()));
  Answers answers;
  applier_->WhenApplied(2, Later(), answers.Callback());
  applier_->WhenApplied(3, Later(), answers.Callback());
  EXPECT_EQ(answers.got(), (std::vector<bool>{true, true}));  // before returning
}

TEST_F(ApplierTest, WhenAppliedAnswersOnlyOnceTheBatchReachingTheIndexIsApplied) {
  Answers at5;
  applier_->WhenApplied(5, Later(), at5.Callback());
  applier_->Enqueue(Entries(1, 4));
  ASSERT_TRUE(applier_->WaitApplied(4, Later()));
  EXPECT_TRUE(at5.got().empty());  // index 4 is not 5
  applier_->Enqueue(Entries(5, 6));
  ASSERT_TRUE(at5.WaitFor(1));
  EXPECT_EQ(at5.got(), std::vector<bool>{true});
  EXPECT_GE(applier_->applied_index(), 5u);
}

TEST_F(ApplierTest, AWaiterPastItsDeadlineIsAnsweredFalseOnceAndNeverAgain) {
  Answers expired;
  Answers pending;
  applier_->WhenApplied(2, Clock::now() - std::chrono::milliseconds(1), expired.Callback());
  applier_->WhenApplied(2, Later(), pending.Callback());
  applier_->ExpireAppliedWaiters(Clock::now());
  EXPECT_EQ(expired.got(), std::vector<bool>{false});
  EXPECT_TRUE(pending.got().empty());  // its deadline has not passed
  applier_->Enqueue(Entries(1, 2));
  ASSERT_TRUE(pending.WaitFor(1));
  EXPECT_EQ(pending.got(), std::vector<bool>{true});
  EXPECT_EQ(expired.got(), std::vector<bool>{false});  // the expired one is not answered again
}

TEST_F(ApplierTest, StopAnswersEveryWaiterFalseAndLaterWaitersAtOnce) {
  Answers before;
  applier_->WhenApplied(7, Later(), before.Callback());
  applier_->Stop();
  EXPECT_EQ(before.got(), std::vector<bool>{false});
  Answers after;
  applier_->WhenApplied(7, Later(), after.Callback());
  EXPECT_EQ(after.got(), std::vector<bool>{false});
}

}  // namespace
}  // namespace raftkv::server
