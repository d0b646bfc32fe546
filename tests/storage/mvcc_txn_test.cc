// Transaction and compaction-request rules of the MVCC key space as etcd 3.4 applies them
// (etcdserver/apply.go Txn, applyCompare, checkRequests; mvcc/kvstore.go Compact).
#include <gtest/gtest.h>

#include "tests/storage/mvcc_harness_support.h"

namespace raftkv::storage {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::TxnRequest;
using testing::DeleteReq;
using testing::Keys;
using testing::MvccHarness;
using testing::PutReq;
using testing::RangeReq;

Compare Cmp(const std::string& key, Compare::CompareTarget target, Compare::CompareResult result,
            int64_t number, const std::string& value = "") {
  Compare c;
  c.set_key(key);
  c.set_target(target);
  c.set_result(result);
  switch (target) {
    case Compare::VERSION:
      c.set_version(number);
      break;
    case Compare::CREATE:
      c.set_create_revision(number);
      break;
    case Compare::MOD:
      c.set_mod_revision(number);
      break;
    case Compare::LEASE:
      c.set_lease(number);
      break;
    default:
      c.set_value(value);
      break;
  }
  return c;
}

// Whether a transaction with the single compare `c` takes its success branch.
bool Holds(MvccHarness& h, const Compare& c) {
  TxnRequest txn;
  *txn.add_compare() = c;
  auto r = h.Txn(txn);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && r->succeeded();
}

TEST(MvccTxnTest, ComparesEachTargetWithEachResult) {
  MvccHarness h;
  ASSERT_TRUE(h.Put(PutReq("k", "m", 9)).ok());  // create = mod = 2, version 1, lease 9
  ASSERT_TRUE(h.Put(PutReq("k", "m", 9)).ok());  // mod 3, version 2
  EXPECT_TRUE(Holds(h, Cmp("k", Compare::VALUE, Compare::EQUAL, 0, "m")));
  EXPECT_TRUE(Holds(h, Cmp("k", Compare::VALUE, Compare::GREATER, 0, "a")));
  EXPECT_TRUE(Holds(h, Cmp("k", Compare::VALUE, Compare::LESS, 0, "n")));
  EXPECT_FALSE(Holds(h, Cmp("k", Compare::VALUE, Compare::NOT_EQUAL, 0, "m")));
  EXPECT_TRUE(Holds(h, Cmp("k", Compare::VERSION, Compare::EQUAL, 2)));
  EXPECT_TRUE(Holds(h, Cmp("k", Compare::VERSION, Compare::GREATER, 1)));
  EXPECT_TRUE(Holds(h, Cmp("k", Compare::CREATE, Compare::EQUAL, 2)));
  EXPECT_TRUE(Holds(h, Cmp("k", Compare::CREATE, Compare::LESS, 3)));
  EXPECT_TRUE(Holds(h, Cmp("k", Compare::MOD, Compare::EQUAL, 3)));
  EXPECT_TRUE(Holds(h, Cmp("k", Compare::MOD, Compare::NOT_EQUAL, 2)));
  EXPECT_TRUE(Holds(h, Cmp("k", Compare::LEASE, Compare::EQUAL, 9)));
  EXPECT_FALSE(Holds(h, Cmp("k", Compare::LEASE, Compare::GREATER, 9)));
}

TEST(MvccTxnTest, MissingKeyComparesAsZeroButNeverOnValue) {
  MvccHarness h;
  EXPECT_TRUE(Holds(h, Cmp("nope", Compare::VERSION, Compare::EQUAL, 0)));
  EXPECT_TRUE(Holds(h, Cmp("nope", Compare::CREATE, Compare::LESS, 1)));
  EXPECT_TRUE(Holds(h, Cmp("nope", Compare::MOD, Compare::EQUAL, 0)));
  EXPECT_FALSE(Holds(h, Cmp("nope", Compare::VALUE, Compare::EQUAL, 0, "")));
  EXPECT_FALSE(Holds(h, Cmp("nope", Compare::VALUE, Compare::NOT_EQUAL, 0, "x")));
}

TEST(MvccTxnTest, OperandOfAnotherTargetComparesAsZero) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("k", "v").ok());
  Compare c = Cmp("k", Compare::VERSION, Compare::GREATER, 0);
  c.set_mod_revision(100);   // the union now holds mod_revision, not version
  EXPECT_TRUE(Holds(h, c));  // version 1 > 0
}

TEST(MvccTxnTest, CompareOverARangeHoldsOnlyIfEveryKeyHolds) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a1", "x").ok());
  ASSERT_TRUE(h.Put("a2", "x").ok());
  Compare c = Cmp("a", Compare::VALUE, Compare::EQUAL, 0, "x");
  c.set_range_end("b");
  EXPECT_TRUE(Holds(h, c));
  ASSERT_TRUE(h.Put("a3", "y").ok());
  EXPECT_FALSE(Holds(h, c));
}

TEST(MvccTxnTest, ReadsInsideATxnSeeItsOwnEarlierWrites) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "old").ok());  // 2
  TxnRequest txn;
  *txn.add_success()->mutable_request_range() = RangeReq("a");
  *txn.add_success()->mutable_request_put() = PutReq("a", "new");
  *txn.add_success()->mutable_request_range() = RangeReq("a");
  *txn.add_success()->mutable_request_delete_range() = DeleteReq("zzz");
  auto r = h.Txn(txn);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->succeeded());
  EXPECT_EQ(r->header().revision(), 3);
  const auto& before = r->responses(0).response_range();
  EXPECT_EQ(before.kvs(0).value(), "old");
  EXPECT_EQ(before.header().revision(), 2);
  EXPECT_EQ(r->responses(1).response_put().header().revision(), 3);
  const auto& after = r->responses(2).response_range();
  EXPECT_EQ(after.kvs(0).value(), "new");
  EXPECT_EQ(after.kvs(0).version(), 2);
  EXPECT_EQ(after.header().revision(), 3);
  // A delete of nothing after a write reports the txn's revision.
  EXPECT_EQ(r->responses(3).response_delete_range().header().revision(), 3);
}

TEST(MvccTxnTest, FailureBranchRunsWhenACompareFails) {
  MvccHarness h;
  TxnRequest txn;
  *txn.add_compare() = Cmp("a", Compare::VERSION, Compare::GREATER, 0);
  *txn.add_success()->mutable_request_put() = PutReq("s", "1");
  *txn.add_failure()->mutable_request_put() = PutReq("f", "1");
  auto r = h.Txn(txn);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->succeeded());
  ASSERT_EQ(r->responses_size(), 1);
  EXPECT_TRUE(r->responses(0).has_response_put());
  EXPECT_EQ(h.Range(RangeReq("f"))->kvs_size(), 1);
  EXPECT_EQ(h.Range(RangeReq("s"))->kvs_size(), 0);
}

TEST(MvccTxnTest, NestedTxnsChooseTheirBranchBeforeAnyWriteAndCarryAnEmptyHeader) {
  MvccHarness h;
  TxnRequest inner;
  // Evaluated before the outer put: "a" does not exist yet.
  *inner.add_compare() = Cmp("a", Compare::VERSION, Compare::EQUAL, 0);
  *inner.add_success()->mutable_request_put() = PutReq("b", "from-inner-success");
  *inner.add_failure()->mutable_request_put() = PutReq("b", "from-inner-failure");
  TxnRequest outer;
  *outer.add_success()->mutable_request_put() = PutReq("a", "1");
  *outer.add_success()->mutable_request_txn() = inner;
  auto r = h.Txn(outer);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& nested = r->responses(1).response_txn();
  EXPECT_TRUE(nested.succeeded());
  EXPECT_TRUE(nested.has_header());
  EXPECT_EQ(nested.header().revision(), 0);
  EXPECT_EQ(h.Range(RangeReq("b"))->kvs(0).value(), "from-inner-success");
  EXPECT_EQ(h.Range(RangeReq("b"))->kvs(0).mod_revision(), 2);
}

TEST(MvccTxnTest, TxnWithoutWritesKeepsTheRevision) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());
  TxnRequest txn;
  *txn.add_success()->mutable_request_delete_range() = DeleteReq("nothing");
  auto r = h.Txn(txn);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header().revision(), 2);
  EXPECT_EQ(h.store().revision(), 2);
}

TEST(MvccTxnTest, RangeAtAFutureRevisionFailsTheWholeTxnBeforeAnyWrite) {
  MvccHarness h;
  TxnRequest txn;
  *txn.add_success()->mutable_request_put() = PutReq("a", "1");
  *txn.add_success()->mutable_request_range() = RangeReq("a", "", 2);  // 2 only after the put
  auto r = h.Txn(txn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "etcdserver: mvcc: required revision is a future revision");
  EXPECT_EQ(h.store().revision(), 1);
  EXPECT_EQ(h.Range(RangeReq("a"))->kvs_size(), 0);
}

TEST(MvccTxnTest, IgnoreValueOnAKeyMissingBeforeTheTxnFailsTheTxn) {
  MvccHarness h;
  etcdserverpb::PutRequest put = PutReq("a", "");
  put.set_ignore_value(true);
  TxnRequest txn;
  *txn.add_success()->mutable_request_put() = PutReq("b", "1");
  *txn.add_success()->mutable_request_put() = put;
  auto r = h.Txn(txn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "etcdserver: key not found");
  EXPECT_EQ(h.store().revision(), 1);
}

TEST(MvccTxnTest, AnOperationFailingMidTxnRollsBackTheWholeTxn) {
  // Not valid (the key is deleted and put in one txn) but the store must stay consistent:
  // "a" exists when checked, is gone when the put with ignore_value runs.
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());
  etcdserverpb::PutRequest put = PutReq("a", "");
  put.set_ignore_value(true);
  TxnRequest txn;
  *txn.add_success()->mutable_request_delete_range() = DeleteReq("a");
  *txn.add_success()->mutable_request_put() = put;
  auto r = h.Txn(txn);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(h.store().revision(), 2);
  EXPECT_EQ(h.Range(RangeReq("a"))->kvs(0).value(), "1");
}

TEST(MvccTxnTest, AKeyPutTwiceInOneTxnCountsBothVersions) {
  MvccHarness h;  // invalid input, handled as etcd's store does
  TxnRequest txn;
  *txn.add_success()->mutable_request_put() = PutReq("a", "1");
  *txn.add_success()->mutable_request_put() = PutReq("a", "2");
  ASSERT_TRUE(h.Txn(txn).ok());
  auto kv = h.Range(RangeReq("a"))->kvs(0);
  EXPECT_EQ(kv.value(), "2");
  EXPECT_EQ(kv.version(), 2);
  EXPECT_EQ(kv.create_revision(), 2);
}

TEST(MvccCompactTest, CompactAtOrBelowTheCompactedRevisionFailsAsCompacted) {
  MvccHarness h;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(h.Put("a", "v").ok());  // revision 4
  ASSERT_OK_AND_ASSIGN(c, h.Compact(3));
  EXPECT_EQ(c->header().revision(), 4);
  EXPECT_EQ(h.store().compacted_revision(), 3);
  for (int64_t rev : {3, 2}) {
    auto again = h.Compact(rev);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.status().code(), StatusCode::kOutOfRange);
    EXPECT_EQ(again.status().message(), "etcdserver: mvcc: required revision has been compacted");
  }
}

TEST(MvccCompactTest, CompactAboveTheCurrentRevisionFailsAsFuture) {
  MvccHarness h;
  auto r = h.Compact(2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(r.status().message(), "etcdserver: mvcc: required revision is a future revision");
  EXPECT_TRUE(h.Compact(1).ok());
  EXPECT_EQ(h.store().revision(), 1);  // compaction is not a write
}

TEST(MvccCompactTest, CompactedRevisionSurvivesReopen) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());
  ASSERT_TRUE(h.Put("a", "2").ok());
  ASSERT_TRUE(h.Compact(3).ok());
  ASSERT_TRUE(h.Reopen().ok());
  EXPECT_EQ(h.store().compacted_revision(), 3);
  EXPECT_FALSE(h.Range(RangeReq("a", "", 2)).ok());
}

}  // namespace
}  // namespace raftkv::storage
