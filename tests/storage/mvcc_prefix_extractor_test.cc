// The prefix filter of the MVCC key space (storage/mvcc_prefix_extractor.h): its domain is
// exactly the version keys, a version key's prefix is its user key's KeyPrefix, and reads over
// versions spread across many table files see what a total-order read would.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>

#include "storage/mvcc_keys.h"
#include "storage/mvcc_prefix_extractor.h"
#include "tests/storage/mvcc_harness_support.h"

namespace raftkv::storage {
namespace {

using testing::DeleteReq;
using testing::Keys;
using testing::MvccHarness;
using testing::RangeReq;
using Strings = std::vector<std::string>;

const std::string kZero(1, '\0');
const std::string kFF(1, '\xff');

bool InDomain(const rocksdb::SliceTransform& t, const std::string& key) {
  return t.InDomain(rocksdb::Slice(key));
}

TEST(MvccPrefixExtractorTest, EveryVersionKeyIsInTheDomainWithItsUserKeysPrefix) {
  auto extractor = NewVersionKeyPrefixExtractor();
  for (const std::string& user_key :
       {std::string(), std::string("a"), kZero, kFF, "a" + kZero + "b", kZero + kZero + kFF,
        std::string(300, 'k')}) {
    for (uint64_t generation : {uint64_t{1}, uint64_t{0x0001000100010001}}) {
      for (int64_t revision : {int64_t{1}, int64_t{256}, int64_t{1} << 62}) {
        const std::string key = mvcc::VersionKey(generation, user_key, revision);
        ASSERT_TRUE(InDomain(*extractor, key)) << user_key.size() << "-byte key";
        EXPECT_EQ(extractor->Transform(rocksdb::Slice(key)).ToString(),
                  mvcc::KeyPrefix(generation, user_key));
      }
    }
  }
}

// A seek to anything but a version key must never be filtered: that is what keeps multi-key
// seeks (to a KeyPrefix, the next user key, a generation bound) exact.
TEST(MvccPrefixExtractorTest, KeysThatAreNotExactlyVersionKeysAreOutsideTheDomain) {
  auto extractor = NewVersionKeyPrefixExtractor();
  const std::string long_key(20, 'k');
  EXPECT_FALSE(InDomain(*extractor, mvcc::KeyPrefix(1, long_key)));
  EXPECT_FALSE(InDomain(*extractor, mvcc::NextUserKey(mvcc::KeyPrefix(1, long_key))));
  EXPECT_FALSE(InDomain(*extractor, mvcc::GenerationPrefix(1)));
  EXPECT_FALSE(InDomain(*extractor, mvcc::GenerationEnd(1)));
  EXPECT_FALSE(InDomain(*extractor, mvcc::MetaKey(1, "applied_index_and_more")));
  // One byte more or less than a revision after the terminator.
  const std::string version = mvcc::VersionKey(1, "abc", 7);
  EXPECT_FALSE(InDomain(*extractor, version + "x"));
  EXPECT_FALSE(InDomain(*extractor, version.substr(0, version.size() - 1)));
  // A 0x00 followed by neither 0xff nor the terminator: damaged, not a version key.
  std::string damaged = mvcc::GenerationPrefix(1) + "a" + kZero + "\x05";
  damaged += mvcc::VersionKeyFromPrefix(mvcc::KeyPrefix(1, "b").substr(8), 3);
  EXPECT_FALSE(InDomain(*extractor, damaged));
  // Two terminators: the first ends the user key, and what follows is not an 8-byte revision,
  // though the last ten bytes look like a terminator and a revision.
  const std::string two_terminators =
      mvcc::KeyPrefix(1, "x") + mvcc::VersionKeyFromPrefix(mvcc::KeyPrefix(1, "y").substr(8), 5);
  mvcc::ParsedVersionKey parsed;
  ASSERT_TRUE(mvcc::ParseVersionKey(two_terminators, &parsed));
  EXPECT_FALSE(InDomain(*extractor, two_terminators));
}

StatusOr<etcdserverpb::RangeResponse> ReadAt(MvccHarness& h, const std::string& key,
                                             const std::string& end = "", int64_t revision = 0) {
  return h.Range(RangeReq(key, end, revision));
}

// Every key is written into its own table file, then some are overwritten or deleted into later
// files: single-key reads (newest and historical) find the file that holds their key, and
// multi-key reads still see every key of every file.
TEST(MvccPrefixExtractorTest, ReadsOverVersionsInManyTableFilesSeeEveryKeyAndItsNewestVersion) {
  MvccHarness h;
  auto flush = [&] {
    ASSERT_TRUE(h.db().db()->Flush(rocksdb::FlushOptions(), h.db().family(Family::kMvccKv)).ok());
  };
  Strings keys;
  for (char c = 'a'; c <= 'p'; ++c) keys.push_back(std::string(1, c) + kZero + kFF);
  for (const std::string& k : keys) {
    ASSERT_TRUE(h.Put(k, "v1 " + k).ok());
    flush();
  }
  const int64_t before_updates = h.store().revision();
  ASSERT_TRUE(h.Put(keys[3], "v2").ok());
  flush();
  ASSERT_TRUE(h.Delete(DeleteReq(keys[7])).ok());
  flush();
  ASSERT_TRUE(h.Put(keys[11], "v2").ok());  // left in the memtable

  // The single-key reads below go through the prefix filters: RocksDB counts the table files
  // whose filter ruled the key out (thread-local counters, this thread's reads only).
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(now, ReadAt(h, keys[i]));
    if (i == 7) {
      EXPECT_EQ(now->kvs_size(), 0) << "deleted key " << i;
    } else {
      ASSERT_EQ(now->kvs_size(), 1) << "key " << i;
      EXPECT_EQ(now->kvs(0).value(), (i == 3 || i == 11) ? "v2" : "v1 " + keys[i]) << "key " << i;
    }
    ASSERT_OK_AND_ASSIGN(then, ReadAt(h, keys[i], "", before_updates));
    ASSERT_EQ(then->kvs_size(), 1) << "key " << i << " at revision " << before_updates;
    EXPECT_EQ(then->kvs(0).value(), "v1 " + keys[i]);
  }
  const uint64_t files_skipped = rocksdb::get_perf_context()->bloom_sst_miss_count;
  const uint64_t memtable_skips = rocksdb::get_perf_context()->bloom_memtable_miss_count;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  // The memtable holds only keys[11]'s update (and the store's bookkeeping in other families):
  // the reads of the 15 other keys, now and at the older revision, pass it by its filter.
  EXPECT_GT(memtable_skips, 0u) << "single-key reads did not use the memtable's filter";
  // However the background compaction has merged the 18 files by now, the two holding only the
  // update of keys[3] and the deletion of keys[7] are newer than every other key's file, so
  // reads of the other keys pass them by their filters.
  EXPECT_GT(files_skipped, 0u) << "single-key reads did not use the prefix filters";
  // Keys never written, between and around the written ones, are absent.
  for (const std::string& absent : {std::string("a"), "b" + kZero, std::string("q"), kZero}) {
    ASSERT_OK_AND_ASSIGN(none, ReadAt(h, absent));
    EXPECT_EQ(none->kvs_size(), 0) << absent;
  }

  Strings live = keys;
  live.erase(live.begin() + 7);
  ASSERT_OK_AND_ASSIGN(all, ReadAt(h, kZero, kZero));
  EXPECT_EQ(Keys(*all), live);
  ASSERT_OK_AND_ASSIGN(from_d, ReadAt(h, keys[3], "m"));
  EXPECT_EQ(Keys(*from_d), Strings(live.begin() + 3, live.begin() + 11));
  ASSERT_OK_AND_ASSIGN(history, ReadAt(h, kZero, kZero, before_updates));
  EXPECT_EQ(Keys(*history), keys);

  // The same after a restart, when every read goes to the table files.
  ASSERT_TRUE(h.Reopen().ok());
  ASSERT_OK_AND_ASSIGN(reopened, ReadAt(h, keys[11]));
  ASSERT_EQ(reopened->kvs_size(), 1);
  EXPECT_EQ(reopened->kvs(0).value(), "v2");
  ASSERT_OK_AND_ASSIGN(all_reopened, ReadAt(h, kZero, kZero));
  EXPECT_EQ(Keys(*all_reopened), live);
}

}  // namespace
}  // namespace raftkv::storage
