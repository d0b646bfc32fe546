// Transactions (every compare target and operator, then/else, nested, read-only) and
// compaction, with etcd's errors for breaking their limits, against a real 3-member kvd cluster.
#include <gtest/gtest.h>

#include "tests/client/client_test_support.h"

namespace raftkv::client::testing {
namespace {

using TxnTest = ClusterTest;

PutOptions WithPrevKv() {
  PutOptions options;
  options.prev_kv = true;
  return options;
}

// Whether a transaction with this one compare takes its "then" branch.
bool Holds(Client& client, Compare compare) {
  auto txn = client.Commit(Txn().If(std::move(compare)));
  EXPECT_TRUE(txn.ok()) << txn.status().ToString();
  return txn.ok() && txn->succeeded;
}

TEST_F(TxnTest, EveryCompareTargetWithEveryOperator) {
  auto first = client().Put("c", "m");
  ASSERT_OK(first);
  auto second = client().Put("c", "m");  // version 2, create first, mod second
  ASSERT_OK(second);
  const int64_t create = first->header.revision;
  const int64_t mod = second->header.revision;

  EXPECT_TRUE(Holds(client(), Compare::Value("c", CompareOp::kEqual, "m")));
  EXPECT_FALSE(Holds(client(), Compare::Value("c", CompareOp::kNotEqual, "m")));
  EXPECT_TRUE(Holds(client(), Compare::Value("c", CompareOp::kLess, "n")));
  EXPECT_TRUE(Holds(client(), Compare::Value("c", CompareOp::kGreater, "l")));

  EXPECT_TRUE(Holds(client(), Compare::Version("c", CompareOp::kEqual, 2)));
  EXPECT_TRUE(Holds(client(), Compare::Version("c", CompareOp::kNotEqual, 1)));
  EXPECT_TRUE(Holds(client(), Compare::Version("c", CompareOp::kLess, 3)));
  EXPECT_FALSE(Holds(client(), Compare::Version("c", CompareOp::kGreater, 2)));

  EXPECT_TRUE(Holds(client(), Compare::CreateRevision("c", CompareOp::kEqual, create)));
  EXPECT_FALSE(Holds(client(), Compare::CreateRevision("c", CompareOp::kNotEqual, create)));
  EXPECT_TRUE(Holds(client(), Compare::CreateRevision("c", CompareOp::kLess, mod)));
  EXPECT_FALSE(Holds(client(), Compare::CreateRevision("c", CompareOp::kGreater, create)));

  EXPECT_TRUE(Holds(client(), Compare::ModRevision("c", CompareOp::kEqual, mod)));
  EXPECT_TRUE(Holds(client(), Compare::ModRevision("c", CompareOp::kNotEqual, create)));
  EXPECT_FALSE(Holds(client(), Compare::ModRevision("c", CompareOp::kLess, mod)));
  EXPECT_TRUE(Holds(client(), Compare::ModRevision("c", CompareOp::kGreater, create)));

  EXPECT_TRUE(Holds(client(), Compare::Lease("c", CompareOp::kEqual, 0)));
  EXPECT_FALSE(Holds(client(), Compare::Lease("c", CompareOp::kNotEqual, 0)));
  EXPECT_FALSE(Holds(client(), Compare::Lease("c", CompareOp::kLess, 0)));
  EXPECT_TRUE(Holds(client(), Compare::Lease("c", CompareOp::kGreater, -1)));

  // A missing key has version, revisions and lease 0.
  EXPECT_TRUE(Holds(client(), Compare::Version("missing", CompareOp::kEqual, 0)));
  EXPECT_TRUE(Holds(client(), Compare::CreateRevision("missing", CompareOp::kEqual, 0)));
  EXPECT_TRUE(Holds(client(), Compare::ModRevision("missing", CompareOp::kEqual, 0)));
}

TEST_F(TxnTest, CompareWithRangeMustHoldForEveryKeyInTheRange) {
  ASSERT_OK(client().Put("r/a", "1"));
  ASSERT_OK(client().Put("r/b", "1"));
  EXPECT_TRUE(Holds(client(), Compare::Value("r/", CompareOp::kEqual, "1").WithRange("r0")));
  ASSERT_OK(client().Put("r/c", "2"));
  EXPECT_FALSE(Holds(client(), Compare::Value("r/", CompareOp::kEqual, "1").WithRange("r0")));
}

TEST_F(TxnTest, ThenRunsWhenEveryCompareHoldsElseOtherwiseWithResultsInOrder) {
  ASSERT_OK(client().Put("t", "old"));
  ASSERT_OK(client().Put("gone", "x"));
  Txn txn;
  txn.If(Compare::Value("t", CompareOp::kEqual, "old"))
      .If(Compare::Version("t", CompareOp::kEqual, 1))
      .Then(Op::Put("t", "new", WithPrevKv()))
      .Then(Op::Get("t"))
      .Then(Op::Delete("gone"))
      .Else(Op::Get("t"));
  auto done = client().Commit(txn);
  ASSERT_OK(done);
  EXPECT_TRUE(done->succeeded);
  ASSERT_EQ(done->results.size(), 3u);
  const auto& put = std::get<PutResult>(done->results[0]);
  ASSERT_TRUE(put.prev_kv.has_value());
  EXPECT_EQ(put.prev_kv->value, "old");
  // Reads inside a txn see its own earlier writes.
  const auto& get = std::get<GetResult>(done->results[1]);
  ASSERT_EQ(get.kvs.size(), 1u);
  EXPECT_EQ(get.kvs[0].value, "new");
  EXPECT_EQ(std::get<DeleteResult>(done->results[2]).deleted, 1);

  // The same txn again: the compares fail now, so only the else branch runs.
  auto again = client().Commit(txn);
  ASSERT_OK(again);
  EXPECT_FALSE(again->succeeded);
  ASSERT_EQ(again->results.size(), 1u);
  EXPECT_EQ(std::get<GetResult>(again->results[0]).kvs[0].value, "new");
  EXPECT_EQ(again->header.revision, done->header.revision) << "a txn that wrote nothing";
}

TEST_F(TxnTest, NestedTxnRunsInsideTheOuterBranchAtOneRevision) {
  ASSERT_OK(client().Put("n/flag", "on"));
  Txn inner;
  inner.If(Compare::Value("n/flag", CompareOp::kEqual, "on"))
      .Then(Op::Put("n/a", "1"))
      .Then(Op::Put("n/b", "2"))
      .Else(Op::Put("n/off", "1"));
  Txn outer;
  outer.If(Compare::Version("n/flag", CompareOp::kGreater, 0))
      .Then(Op::Nested(inner))
      .Then(Op::Get("n/a"));
  auto done = client().Commit(outer);
  ASSERT_OK(done);
  EXPECT_TRUE(done->succeeded);
  ASSERT_EQ(done->results.size(), 2u);
  const auto& nested = std::get<std::shared_ptr<TxnResult>>(done->results[0]);
  ASSERT_NE(nested, nullptr);
  EXPECT_TRUE(nested->succeeded);
  EXPECT_EQ(nested->results.size(), 2u);
  EXPECT_EQ(std::get<GetResult>(done->results[1]).kvs[0].value, "1");

  auto a = client().Get("n/a");
  auto b = client().Get("n/b");
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(a->kvs[0].mod_revision, b->kvs[0].mod_revision) << "one txn, one revision";
  EXPECT_EQ(a->kvs[0].mod_revision, done->header.revision);
}

TEST_F(TxnTest, ReadOnlyTxnAnswersWithoutRaisingTheRevision) {
  auto put = client().Put("ro", "v");
  ASSERT_OK(put);
  GetOptions prefix;
  prefix.prefix = true;
  auto read = client().Commit(Txn().Then(Op::Get("ro")).Then(Op::Get("r", prefix)));
  ASSERT_OK(read);
  EXPECT_TRUE(read->succeeded);
  EXPECT_EQ(read->header.revision, put->header.revision);
  EXPECT_EQ(std::get<GetResult>(read->results[1]).count, 1);
}

TEST_F(TxnTest, TooManyOpsAndDuplicateKeysAreInvalidArgumentWithEtcdsMessages) {
  Txn big;
  for (int i = 0; i < 129; ++i) big.Then(Op::Put("big/" + std::to_string(i), "v"));
  auto too_many = client().Commit(big);
  EXPECT_EQ(too_many.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(too_many.status().message(), "etcdserver: too many operations in txn request");

  auto duplicate = client().Commit(Txn().Then(Op::Put("dup", "1")).Then(Op::Put("dup", "2")));
  EXPECT_EQ(duplicate.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(duplicate.status().message(), "etcdserver: duplicate key given in txn request");

  GetOptions conflicting;
  conflicting.prefix = true;
  conflicting.from_key = true;
  auto bad_option = client().Commit(Txn().Then(Op::Get("k", conflicting)));
  EXPECT_EQ(bad_option.status().code(), ErrorCode::kInvalidArgument);

  GetOptions prefix;
  prefix.prefix = true;
  auto nothing = client().Get("big/", prefix);
  ASSERT_OK(nothing);
  EXPECT_EQ(nothing->count, 0) << "a refused txn applied nothing";
}

using CompactTest = ClusterTest;

TEST_F(CompactTest, OldRevisionsAreCompactedAwayAndReadsOfThemFail) {
  auto v1 = client().Put("h", "1");
  ASSERT_OK(v1);
  auto v2 = client().Put("h", "2");
  ASSERT_OK(v2);
  auto v3 = client().Put("h", "3");
  ASSERT_OK(v3);

  auto compacted = client().Compact(v2->header.revision);
  ASSERT_OK(compacted);
  GetOptions at;
  at.revision = v1->header.revision;
  auto old = client().Get("h", at);
  EXPECT_EQ(old.status().code(), ErrorCode::kCompacted);
  EXPECT_EQ(old.status().message(), "etcdserver: mvcc: required revision has been compacted");
  at.revision = v2->header.revision;  // the compaction revision itself is kept
  auto kept = client().Get("h", at);
  ASSERT_OK(kept);
  EXPECT_EQ(kept->kvs[0].value, "2");

  // Compacting again to the same revision, or to a future one, fails as in etcd.
  auto twice = client().Compact(v2->header.revision);
  EXPECT_EQ(twice.status().code(), ErrorCode::kCompacted);
  auto future = client().Compact(v3->header.revision + 100);
  EXPECT_EQ(future.status().code(), ErrorCode::kFutureRevision);
  EXPECT_EQ(future.status().message(), "etcdserver: mvcc: required revision is a future revision");

  // A physical compaction returns once the history is gone; reads of the present go on.
  ASSERT_OK(client().Compact(v3->header.revision, /*physical=*/true));
  auto now = client().Get("h");
  ASSERT_OK(now);
  EXPECT_EQ(now->kvs[0].value, "3");
}

}  // namespace
}  // namespace raftkv::client::testing
