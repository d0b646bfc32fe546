// Physical compaction of the MVCC store (storage/mvcc_compaction.cc): what it removes, what it
// keeps, that readers running beside it always get correct answers, and that it resumes after a
// restart. Old versions are counted with a raw iterator over Family::kMvccKv.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/storage/mvcc_harness_support.h"

namespace raftkv::storage {
namespace {

using testing::DeleteReq;
using testing::MvccHarness;
using testing::RangeReq;

constexpr auto kWait = std::chrono::seconds(20);

// Number of stored versions (live or tombstones) in the MVCC key family.
int RawVersions(Database& db) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(TotalOrderReadOptions(), db.family(Family::kMvccKv)));
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  EXPECT_TRUE(it->status().ok());
  return n;
}

Status WaitPhysical(MvccHarness& h, int64_t revision) {
  return h.store().WaitForPhysicalCompaction(revision, std::chrono::steady_clock::now() + kWait);
}

TEST(MvccCompactionTest, SupersededVersionsAndDeletedKeysAreRemoved) {
  MvccHarness h;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(h.Put("a", std::to_string(i)).ok());
  ASSERT_TRUE(h.Put("b", "1").ok());
  ASSERT_TRUE(h.Put("b", "2").ok());
  ASSERT_TRUE(h.Delete(DeleteReq("b")).ok());
  ASSERT_TRUE(h.Put("c", "1").ok());
  EXPECT_EQ(RawVersions(h.db()), 9);
  const int64_t rev = h.store().revision();
  ASSERT_TRUE(h.Compact(rev).ok());
  ASSERT_TRUE(WaitPhysical(h, rev).ok());
  EXPECT_EQ(h.store().physically_compacted_revision(), rev);
  EXPECT_EQ(RawVersions(h.db()), 2);  // a's newest and c
  auto all = h.Range(RangeReq("a", std::string(1, '\0')));
  ASSERT_EQ(all->kvs_size(), 2);
  EXPECT_EQ(all->kvs(0).value(), "4");
  EXPECT_EQ(all->kvs(0).version(), 5);
}

TEST(MvccCompactionTest, VersionsAReadAtOrAboveTheCompactedRevisionNeedsAreKept) {
  MvccHarness h;
  for (int i = 2; i <= 5; ++i) ASSERT_TRUE(h.Put("a", "at" + std::to_string(i)).ok());
  ASSERT_TRUE(h.Put("b", "at6").ok());
  ASSERT_TRUE(h.Delete(DeleteReq("b")).ok());  // 7
  ASSERT_TRUE(h.Compact(3).ok());
  ASSERT_TRUE(WaitPhysical(h, 3).ok());
  EXPECT_EQ(RawVersions(h.db()), 5);  // a@3, a@4, a@5, b@6, b's tombstone@7
  for (int64_t rev = 3; rev <= 7; ++rev) {
    auto r = h.Range(RangeReq("a", "", rev));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->kvs_size(), 1);
    EXPECT_EQ(r->kvs(0).value(), "at" + std::to_string(std::min<int64_t>(rev, 5)));
  }
  EXPECT_EQ(h.Range(RangeReq("b", "", 6))->kvs_size(), 1);
}

TEST(MvccCompactionTest, ConcurrentReadersAlwaysSeeCorrectResults) {
  MvccOptions options;
  options.compaction_keys_per_batch = 3;
  options.compaction_deletes_per_batch = 5;
  MvccHarness h(options);
  constexpr int kKeys = 40;
  // One txn per round puts every key at one revision; each value names that revision, so a
  // reader can check what it sees (and version = revision - 1).
  auto write_round = [&] {
    etcdserverpb::TxnRequest txn;
    for (int k = 0; k < kKeys; ++k) {
      auto* put = txn.add_success()->mutable_request_put();
      put->set_key("key" + std::to_string(k));
      put->set_value(std::to_string(h.store().revision() + 1));
    }
    ASSERT_TRUE(h.Txn(txn).ok());
  };
  for (int i = 0; i < 10; ++i) write_round();

  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::atomic<int> errors{0};
  std::thread reader([&] {
    while (!stop) {
      // Current reads and reads at the compacted revision.
      for (int64_t rev : {int64_t{0}, h.store().compacted_revision()}) {
        auto r = h.Range(RangeReq("key", "kez", rev));
        if (!r.ok()) {
          // A read at a revision compacted meanwhile may fail that way, and only that way.
          if (rev == 0 || r.status().code() != StatusCode::kOutOfRange) ++errors;
          continue;
        }
        if (r->kvs_size() != kKeys || r->count() != kKeys) ++errors;
        for (const auto& kv : r->kvs()) {
          if (kv.value() != std::to_string(kv.mod_revision())) ++errors;
          if (rev > 0 && kv.mod_revision() > rev) ++errors;
          if (kv.version() != kv.mod_revision() - 1) ++errors;
        }
        ++reads;
      }
    }
  });
  for (int round = 0; round < 100; ++round) {
    write_round();
    if (round % 5 == 4) {
      ASSERT_TRUE(h.Compact(h.store().revision() - 2).ok());
    }
  }
  ASSERT_TRUE(WaitPhysical(h, h.store().compacted_revision()).ok());
  while (reads < 50) std::this_thread::yield();
  stop = true;
  reader.join();
  EXPECT_EQ(errors, 0);
  // Left: the versions at compacted revision and the two above it, per key.
  EXPECT_EQ(RawVersions(h.db()), 3 * kKeys);
}

TEST(MvccCompactionTest, UnfinishedPhysicalCompactionResumesAfterReopen) {
  MvccOptions off;
  off.background_compaction = false;
  MvccHarness h(off);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(h.Put("a", std::to_string(i)).ok());
  ASSERT_TRUE(h.Compact(5).ok());
  EXPECT_EQ(h.store().physically_compacted_revision(), -1);
  EXPECT_EQ(RawVersions(h.db()), 4);
  EXPECT_EQ(WaitPhysical(h, 5).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(h.Reopen(MvccOptions()).ok());
  ASSERT_TRUE(WaitPhysical(h, 5).ok());
  EXPECT_EQ(RawVersions(h.db()), 1);
  ASSERT_TRUE(h.Reopen().ok());
  EXPECT_EQ(h.store().physically_compacted_revision(), 5);
}

TEST(MvccCompactionTest, WaitingForARevisionAboveTheCompactedOneFailsAtOnce) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());
  Status s = WaitPhysical(h, 2);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace raftkv::storage
