// Range rules of the MVCC key space as etcd 3.4 applies them (etcdserver/apply.go Range):
// key conventions with arbitrary bytes, history, revision errors, limit, sort, filters.
#include <gtest/gtest.h>

#include "tests/storage/mvcc_harness_support.h"

namespace raftkv::storage {
namespace {

using etcdserverpb::RangeRequest;
using testing::DeleteReq;
using testing::Keys;
using testing::MvccHarness;
using testing::PrefixEnd;
using testing::PutReq;
using testing::RangeReq;
using Strings = std::vector<std::string>;

const std::string kZero(1, '\0');
const std::string kFF(1, '\xff');

// Puts each key (value = key) in order, one revision each.
void PutAll(MvccHarness& h, const Strings& keys) {
  for (const std::string& k : keys) ASSERT_TRUE(h.Put(k, k).ok());
}

Strings RangeKeys(MvccHarness& h, const RangeRequest& r) {
  auto response = h.Range(r);
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  return response.ok() ? Keys(*response) : Strings{"<error>"};
}

TEST(MvccRangeTest, EmptyRangeEndReadsExactlyOneKeyEvenWithZeroAndFFBytes) {
  MvccHarness h;
  const Strings keys = {"a", "a" + kZero, "a" + kFF, "a" + kZero + kZero, kZero, kFF, "ab"};
  PutAll(h, keys);
  for (const std::string& k : keys) EXPECT_EQ(RangeKeys(h, RangeReq(k)), Strings{k});
}

TEST(MvccRangeTest, PrefixRangeHoldsExactlyTheKeysWithThePrefixIncludingZeroAndFFBytes) {
  MvccHarness h;
  PutAll(h, {"a", "a" + kZero, "a" + kZero + "x", "a" + kFF, "a" + kFF + kFF, "b", kZero, kFF,
             kFF + kZero, "`"});
  EXPECT_EQ(RangeKeys(h, RangeReq("a", PrefixEnd("a"))),
            (Strings{"a", "a" + kZero, "a" + kZero + "x", "a" + kFF, "a" + kFF + kFF}));
  EXPECT_EQ(RangeKeys(h, RangeReq("a" + kZero, PrefixEnd("a" + kZero))),
            (Strings{"a" + kZero, "a" + kZero + "x"}));
  EXPECT_EQ(RangeKeys(h, RangeReq("a" + kFF, PrefixEnd("a" + kFF))),
            (Strings{"a" + kFF, "a" + kFF + kFF}));
  // The prefix end of all-0xff keys is "\0": every key from there on.
  EXPECT_EQ(RangeKeys(h, RangeReq(kFF, PrefixEnd(kFF))), (Strings{kFF, kFF + kZero}));
}

TEST(MvccRangeTest, RangeEndZeroReadsEveryKeyFromKeyOn) {
  MvccHarness h;
  PutAll(h, {kZero, "a", "b" + kZero, kFF});
  EXPECT_EQ(RangeKeys(h, RangeReq("b", kZero)), (Strings{"b" + kZero, kFF}));
  EXPECT_EQ(RangeKeys(h, RangeReq(kZero, kZero)), (Strings{kZero, "a", "b" + kZero, kFF}));
}

TEST(MvccRangeTest, RangeEndAtOrBelowKeyIsEmpty) {
  MvccHarness h;
  PutAll(h, {"a", "b", "c"});
  EXPECT_EQ(RangeKeys(h, RangeReq("b", "b")), Strings{});
  EXPECT_EQ(RangeKeys(h, RangeReq("c", "a")), Strings{});
}

TEST(MvccRangeTest, HistoricalReadSeesTheVersionsOfThatRevision) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());           // 2
  ASSERT_TRUE(h.Put("b", "1").ok());           // 3
  ASSERT_TRUE(h.Put("a", "2").ok());           // 4
  ASSERT_TRUE(h.Delete(DeleteReq("b")).ok());  // 5
  auto at3 = h.Range(RangeReq("a", "z", 3));
  ASSERT_TRUE(at3.ok());
  ASSERT_EQ(at3->kvs_size(), 2);
  EXPECT_EQ(at3->kvs(0).value(), "1");
  EXPECT_EQ(at3->kvs(1).key(), "b");
  EXPECT_EQ(at3->header().revision(), 5);  // the header carries the current revision
  EXPECT_EQ(RangeKeys(h, RangeReq("a", "z", 5)), Strings{"a"});
  EXPECT_EQ(RangeKeys(h, RangeReq("a", "z", 1)), Strings{});
  // A negative revision reads the current state.
  EXPECT_EQ(RangeKeys(h, RangeReq("a", "z", -3)), Strings{"a"});
}

TEST(MvccRangeTest, FutureRevisionIsOutOfRangeWithEtcdMessage) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());
  auto r = h.Range(RangeReq("a", "", 3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(r.status().message(), "etcdserver: mvcc: required revision is a future revision");
}

TEST(MvccRangeTest, RevisionBelowCompactedIsOutOfRangeWithEtcdMessage) {
  MvccHarness h;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(h.Put("a", std::to_string(i)).ok());  // 2..5
  ASSERT_TRUE(h.Compact(4).ok());
  auto r = h.Range(RangeReq("a", "", 3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(r.status().message(), "etcdserver: mvcc: required revision has been compacted");
  // The compacted revision itself is still readable.
  auto at4 = h.Range(RangeReq("a", "", 4));
  ASSERT_TRUE(at4.ok());
  EXPECT_EQ(at4->kvs(0).value(), "2");
}

TEST(MvccRangeTest, LimitCutsKvsAndSetsMoreWhileCountIsTheTotal) {
  MvccHarness h;
  PutAll(h, {"a", "b", "c", "d"});
  RangeRequest r = RangeReq("a", kZero);
  r.set_limit(2);
  auto limited = h.Range(r);
  EXPECT_EQ(Keys(*limited), (Strings{"a", "b"}));
  EXPECT_TRUE(limited->more());
  EXPECT_EQ(limited->count(), 4);
  r.set_limit(4);
  EXPECT_FALSE(h.Range(r)->more());
}

TEST(MvccRangeTest, SortOrdersAndTargets) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("b", "3").ok());  // create 2
  ASSERT_TRUE(h.Put("a", "2").ok());  // create 3
  ASSERT_TRUE(h.Put("c", "1").ok());  // create 4
  ASSERT_TRUE(h.Put("b", "0").ok());  // b: version 2, mod 5
  RangeRequest r = RangeReq("a", kZero);
  r.set_sort_order(RangeRequest::DESCEND);
  EXPECT_EQ(RangeKeys(h, r), (Strings{"c", "b", "a"}));
  r.set_sort_target(RangeRequest::CREATE);
  EXPECT_EQ(RangeKeys(h, r), (Strings{"c", "a", "b"}));
  r.set_sort_target(RangeRequest::MOD);
  EXPECT_EQ(RangeKeys(h, r), (Strings{"b", "c", "a"}));
  r.set_sort_target(RangeRequest::VALUE);
  EXPECT_EQ(RangeKeys(h, r), (Strings{"a", "c", "b"}));
  r.set_sort_order(RangeRequest::ASCEND);
  r.set_sort_target(RangeRequest::VERSION);
  EXPECT_EQ(RangeKeys(h, r), (Strings{"a", "c", "b"}));  // ties keep key order
}

TEST(MvccRangeTest, SortTargetOtherThanKeyWithoutOrderSortsAscending) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "z").ok());
  ASSERT_TRUE(h.Put("b", "y").ok());
  ASSERT_TRUE(h.Put("c", "x").ok());
  RangeRequest r = RangeReq("a", kZero);
  r.set_sort_target(RangeRequest::VALUE);
  EXPECT_EQ(RangeKeys(h, r), (Strings{"c", "b", "a"}));
  // Without a sort order the limit is applied first (to limit + 1 keys in key order), as in
  // etcd: the three keys fetched are a, b, c; sorted by value; cut to 2.
  ASSERT_TRUE(h.Put("d", "a").ok());
  r.set_limit(2);
  auto limited = h.Range(r);
  EXPECT_EQ(Keys(*limited), (Strings{"c", "b"}));
  EXPECT_TRUE(limited->more());
  EXPECT_EQ(limited->count(), 4);
}

TEST(MvccRangeTest, KeysOnlyDropsValuesAndCountOnlyDropsKvs) {
  MvccHarness h;
  PutAll(h, {"a", "b"});
  RangeRequest r = RangeReq("a", kZero);
  r.set_keys_only(true);
  auto keys_only = h.Range(r);
  ASSERT_EQ(keys_only->kvs_size(), 2);
  EXPECT_EQ(keys_only->kvs(0).value(), "");
  EXPECT_EQ(keys_only->kvs(0).version(), 1);
  r.set_count_only(true);
  r.set_limit(1);
  auto count_only = h.Range(r);
  EXPECT_EQ(count_only->kvs_size(), 0);
  EXPECT_EQ(count_only->count(), 2);
  EXPECT_FALSE(count_only->more());
}

TEST(MvccRangeTest, RevisionFiltersDropKvsButNotTheCount) {
  MvccHarness h;
  PutAll(h, {"a", "b", "c", "d"});  // mod = create = 2, 3, 4, 5
  RangeRequest r = RangeReq("a", kZero);
  r.set_min_mod_revision(3);
  r.set_max_create_revision(4);
  auto filtered = h.Range(r);
  EXPECT_EQ(Keys(*filtered), (Strings{"b", "c"}));
  EXPECT_EQ(filtered->count(), 4);
  r.set_limit(1);
  filtered = h.Range(r);
  EXPECT_EQ(Keys(*filtered), Strings{"b"});
  EXPECT_TRUE(filtered->more());
}

}  // namespace
}  // namespace raftkv::storage
