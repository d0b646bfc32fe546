// Generations of the MVCC key space (storage/mvcc_store.h): Open removes every generation but
// the active one, and Reload picks up a generation switched to by a snapshot restore.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/codec.h"
#include "storage/mvcc_keys.h"
#include "tests/storage/mvcc_harness_support.h"

namespace raftkv::storage {
namespace {

using testing::MvccHarness;
using testing::RangeReq;

// Every key of `family`, in order.
std::vector<std::string> RawKeys(Database& db, Family family) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(TotalOrderReadOptions(), db.family(family)));
  std::vector<std::string> keys;
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
  return keys;
}

// Whether every key starts with generation `gen`.
bool AllInGeneration(const std::vector<std::string>& keys, uint64_t gen) {
  for (const std::string& k : keys) {
    if (k.size() < 8 || ReadBigEndian64(k) != gen) return false;
  }
  return true;
}

TEST(MvccGenerationTest, OpenRemovesEveryGenerationButTheActiveOne) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());
  rocksdb::WriteBatch junk;
  for (Family f : {Family::kMvccKv, Family::kMvccMeta}) {
    for (uint64_t gen : {0, 2, 7}) {
      ASSERT_TRUE(junk.Put(h.db().family(f), BigEndian64(gen) + "junk", "x").ok());
    }
  }
  ASSERT_TRUE(h.db().Write(&junk, true).ok());
  ASSERT_TRUE(h.Reopen().ok());
  EXPECT_EQ(h.store().generation(), 1);
  EXPECT_TRUE(AllInGeneration(RawKeys(h.db(), Family::kMvccKv), 1));
  EXPECT_TRUE(AllInGeneration(RawKeys(h.db(), Family::kMvccMeta), 1));
  EXPECT_EQ(h.Range(RangeReq("a"))->kvs(0).value(), "1");
}

// Does what a snapshot restore does: copies every key of `from`'s active generation into
// `to`'s database under generation `gen`, then switches the pointer and deletes the old
// generation in one synced batch.
void RestoreInto(MvccHarness& from, MvccHarness& to, uint64_t gen) {
  const uint64_t old_gen = to.store().generation();
  rocksdb::WriteBatch copy;
  for (Family f : {Family::kMvccKv, Family::kMvccMeta}) {
    for (const std::string& k : RawKeys(from.db(), f)) {
      std::string value;
      ASSERT_TRUE(from.db().db()->Get(rocksdb::ReadOptions(), from.db().family(f), k, &value).ok());
      ASSERT_TRUE(copy.Put(to.db().family(f), BigEndian64(gen) + k.substr(8), value).ok());
    }
  }
  ASSERT_TRUE(to.db().Write(&copy, false).ok());
  rocksdb::WriteBatch flip;
  ASSERT_TRUE(
      flip.Put(to.db().family(Family::kNodeMeta), mvcc::kGenerationPointerKey, BigEndian64(gen))
          .ok());
  for (Family f : {Family::kMvccKv, Family::kMvccMeta}) {
    ASSERT_TRUE(
        flip.DeleteRange(to.db().family(f), BigEndian64(old_gen), BigEndian64(old_gen + 1)).ok());
  }
  ASSERT_TRUE(to.db().Write(&flip, true).ok());
}

TEST(MvccGenerationTest, ReloadPicksUpTheGenerationASnapshotRestoreSwitchedTo) {
  MvccHarness leader;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(leader.Put("k" + std::to_string(i), "L").ok());
  ASSERT_TRUE(leader.Compact(3).ok());
  MvccHarness follower;
  ASSERT_TRUE(follower.Put("stale", "F").ok());

  RestoreInto(leader, follower, 2);
  // Between the switch and Reload, reads refuse rather than answer from a vanished generation.
  EXPECT_EQ(follower.Range(RangeReq("k0")).status().code(), StatusCode::kUnavailable);

  ASSERT_TRUE(follower.store().Reload().ok());
  EXPECT_EQ(follower.store().generation(), 2);
  EXPECT_EQ(follower.store().revision(), leader.store().revision());
  EXPECT_EQ(follower.store().applied_index(), leader.store().applied_index());
  EXPECT_EQ(follower.store().compacted_revision(), 3);
  auto all = follower.Range(RangeReq("a", std::string(1, '\0')));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->kvs_size(), 5);
  EXPECT_EQ(follower.Range(RangeReq("stale"))->kvs_size(), 0);
  EXPECT_TRUE(AllInGeneration(RawKeys(follower.db(), Family::kMvccKv), 2));
}

TEST(MvccGenerationTest, WritesAfterReloadLandInTheNewGenerationAndSurviveReopen) {
  MvccHarness leader;
  ASSERT_TRUE(leader.Put("a", "1").ok());
  MvccHarness follower;
  RestoreInto(leader, follower, 2);
  ASSERT_TRUE(follower.store().Reload().ok());
  auto batch = follower.store().BeginBatch();
  ASSERT_TRUE((*batch)->Put(testing::PutReq("b", "2")).ok());
  ASSERT_TRUE(follower.store()
                  .Commit(std::move(batch).value(), follower.store().applied_index() + 1, true)
                  .ok());
  ASSERT_TRUE(follower.Reopen().ok());
  EXPECT_EQ(follower.store().generation(), 2);
  EXPECT_EQ(follower.store().revision(), 3);
  EXPECT_EQ(follower.Range(RangeReq("a", "c"))->kvs_size(), 2);
  EXPECT_TRUE(AllInGeneration(RawKeys(follower.db(), Family::kMvccMeta), 2));
}

// Puts after a restore continue the versions of the restored key space, not the replaced one:
// Reload rebuilds the LatestIndex (storage/mvcc_latest_index.h).
TEST(MvccGenerationTest, PutsAfterReloadSeeTheRestoredKeySpacesVersions) {
  MvccHarness leader;
  ASSERT_OK_AND_ASSIGN(created, leader.Put("shared", "L1"));
  ASSERT_TRUE(leader.Put("shared", "L2").ok());
  MvccHarness follower;
  ASSERT_TRUE(follower.Put("only-follower", "F").ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(follower.Put("shared", "F").ok());  // version 5 here

  RestoreInto(leader, follower, 2);
  ASSERT_TRUE(follower.store().Reload().ok());
  auto batch = follower.store().BeginBatch();
  ASSERT_TRUE((*batch)->Put(testing::PutReq("shared", "3")).ok());
  ASSERT_TRUE((*batch)->Put(testing::PutReq("only-follower", "again")).ok());
  ASSERT_TRUE(follower.store()
                  .Commit(std::move(batch).value(), follower.store().applied_index() + 1, true)
                  .ok());
  auto shared = follower.Range(RangeReq("shared"));
  ASSERT_TRUE(shared.ok());
  ASSERT_EQ(shared->kvs_size(), 1);
  EXPECT_EQ(shared->kvs(0).version(), 3);
  EXPECT_EQ(shared->kvs(0).create_revision(), created->header().revision());
  auto recreated = follower.Range(RangeReq("only-follower"));
  ASSERT_TRUE(recreated.ok());
  ASSERT_EQ(recreated->kvs_size(), 1);
  EXPECT_EQ(recreated->kvs(0).version(), 1);
}

}  // namespace
}  // namespace raftkv::storage
