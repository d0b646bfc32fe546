// Rules of the MVCC key space (storage/mvcc_store.h), one per test, each as etcd 3.4 behaves
// (etcdserver/apply.go, mvcc/kvstore_txn.go): revisions, per-key versions, puts, deletes.
#include <gtest/gtest.h>

#include "storage/mvcc_errors.h"
#include "tests/storage/mvcc_harness_support.h"

namespace raftkv::storage {
namespace {

using testing::DeleteReq;
using testing::Keys;
using testing::MvccHarness;
using testing::PutReq;
using testing::RangeReq;

mvccpb::KeyValue GetOne(MvccHarness& h, const std::string& key, int64_t revision = 0) {
  auto r = h.Range(RangeReq(key, "", revision));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok() || r->kvs_size() != 1) return mvccpb::KeyValue();
  return r->kvs(0);
}

TEST(MvccRevisionTest, NewStoreIsAtRevisionOne) {
  MvccHarness h;
  EXPECT_EQ(h.store().revision(), 1);
  ASSERT_OK_AND_ASSIGN(r, h.Range(RangeReq("a")));
  EXPECT_EQ(r->header().revision(), 1);
  EXPECT_EQ(r->kvs_size(), 0);
  EXPECT_EQ(h.store().compacted_revision(), -1);
}

TEST(MvccRevisionTest, EachWritingRequestRaisesRevisionByExactlyOne) {
  MvccHarness h;
  ASSERT_OK_AND_ASSIGN(p, h.Put("a", "1"));
  EXPECT_EQ(p->header().revision(), 2);
  etcdserverpb::TxnRequest txn;
  for (const char* k : {"x", "y", "z"}) *txn.add_success()->mutable_request_put() = PutReq(k, k);
  ASSERT_OK_AND_ASSIGN(t, h.Txn(txn));
  EXPECT_EQ(t->header().revision(), 3);
  EXPECT_EQ(h.store().revision(), 3);
  for (const char* k : {"x", "y", "z"}) EXPECT_EQ(GetOne(h, k).mod_revision(), 3);
}

TEST(MvccRevisionTest, ReadsAndFailedWritesDoNotRaiseRevision) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());
  ASSERT_TRUE(h.Range(RangeReq("a")).ok());
  etcdserverpb::PutRequest bad = PutReq("missing", "");
  bad.set_ignore_value(true);
  EXPECT_FALSE(h.Put(bad).ok());
  etcdserverpb::TxnRequest read_only;
  *read_only.add_success()->mutable_request_range() = RangeReq("a");
  ASSERT_OK_AND_ASSIGN(t, h.Txn(read_only));
  EXPECT_EQ(t->header().revision(), 2);
  EXPECT_EQ(h.store().revision(), 2);
}

TEST(MvccRevisionTest, DeleteOfNothingDeletesZeroAndDoesNotRaiseRevision) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());
  ASSERT_OK_AND_ASSIGN(d, h.Delete(DeleteReq("b", "c")));
  EXPECT_EQ(d->deleted(), 0);
  EXPECT_EQ(d->header().revision(), 2);
  EXPECT_EQ(h.store().revision(), 2);
}

TEST(MvccKeyTest, CreateRevisionModRevisionAndVersionFollowPuts) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());  // rev 2
  ASSERT_TRUE(h.Put("b", "1").ok());  // rev 3
  ASSERT_TRUE(h.Put("a", "2").ok());  // rev 4
  mvccpb::KeyValue a = GetOne(h, "a");
  EXPECT_EQ(a.create_revision(), 2);
  EXPECT_EQ(a.mod_revision(), 4);
  EXPECT_EQ(a.version(), 2);
  EXPECT_EQ(a.value(), "2");
}

TEST(MvccKeyTest, DeleteThenPutRestartsVersionWithNewCreateRevision) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("a", "1").ok());  // 2
  ASSERT_TRUE(h.Put("a", "2").ok());  // 3
  ASSERT_OK_AND_ASSIGN(d, h.Delete(DeleteReq("a")));
  EXPECT_EQ(d->deleted(), 1);
  EXPECT_EQ(d->header().revision(), 4);
  EXPECT_EQ(h.Range(RangeReq("a"))->kvs_size(), 0);
  ASSERT_TRUE(h.Put("a", "3").ok());  // 5
  mvccpb::KeyValue a = GetOne(h, "a");
  EXPECT_EQ(a.create_revision(), 5);
  EXPECT_EQ(a.mod_revision(), 5);
  EXPECT_EQ(a.version(), 1);
}

TEST(MvccKeyTest, PutPrevKvReturnsThePreviousVersionOnlyWhenTheKeyExisted) {
  MvccHarness h;
  etcdserverpb::PutRequest put = PutReq("a", "1", 7);
  put.set_prev_kv(true);
  ASSERT_OK_AND_ASSIGN(first, h.Put(put));
  EXPECT_FALSE(first->has_prev_kv());
  put.set_value("2");
  ASSERT_OK_AND_ASSIGN(second, h.Put(put));
  ASSERT_TRUE(second->has_prev_kv());
  EXPECT_EQ(second->prev_kv().value(), "1");
  EXPECT_EQ(second->prev_kv().mod_revision(), 2);
  EXPECT_EQ(second->prev_kv().lease(), 7);
}

TEST(MvccKeyTest, IgnoreValueAndIgnoreLeaseKeepTheCurrentOnes) {
  MvccHarness h;
  ASSERT_TRUE(h.Put(PutReq("a", "v", 5)).ok());
  etcdserverpb::PutRequest keep_value = PutReq("a", "", 6);
  keep_value.set_ignore_value(true);
  ASSERT_TRUE(h.Put(keep_value).ok());
  EXPECT_EQ(GetOne(h, "a").value(), "v");
  EXPECT_EQ(GetOne(h, "a").lease(), 6);
  etcdserverpb::PutRequest keep_lease = PutReq("a", "w", 0);
  keep_lease.set_ignore_lease(true);
  ASSERT_TRUE(h.Put(keep_lease).ok());
  EXPECT_EQ(GetOne(h, "a").value(), "w");
  EXPECT_EQ(GetOne(h, "a").lease(), 6);
  EXPECT_EQ(GetOne(h, "a").version(), 3);
}

TEST(MvccKeyTest, IgnoreValueOnMissingKeyFailsWithEtcdKeyNotFound) {
  MvccHarness h;
  etcdserverpb::PutRequest put = PutReq("a", "");
  put.set_ignore_lease(true);
  auto r = h.Put(put);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "etcdserver: key not found");
  EXPECT_EQ(h.store().revision(), 1);
}

TEST(MvccKeyTest, UnknownLeaseIsRefusedWhenALeaseLookupIsGiven) {
  MvccOptions options;
  options.lease_exists = [](int64_t lease) { return lease == 1; };
  MvccHarness h(options);
  EXPECT_TRUE(h.Put(PutReq("a", "v", 1)).ok());
  auto r = h.Put(PutReq("b", "v", 2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "etcdserver: requested lease not found");
}

TEST(MvccKeyTest, DeleteRangeDeletesEveryLiveKeyInTheRangeAndReturnsPrevKvs) {
  MvccHarness h;
  for (const char* k : {"a", "b", "c", "d"}) ASSERT_TRUE(h.Put(k, k).ok());
  ASSERT_TRUE(h.Delete(DeleteReq("b")).ok());
  etcdserverpb::DeleteRangeRequest del = DeleteReq("a", "d");
  del.set_prev_kv(true);
  ASSERT_OK_AND_ASSIGN(d, h.Delete(del));
  EXPECT_EQ(d->deleted(), 2);
  ASSERT_EQ(d->prev_kvs_size(), 2);
  EXPECT_EQ(d->prev_kvs(0).key(), "a");
  EXPECT_EQ(d->prev_kvs(1).key(), "c");
  ASSERT_OK_AND_ASSIGN(all, h.Range(RangeReq("a", std::string(1, '\0'))));
  EXPECT_EQ(Keys(*all), std::vector<std::string>{"d"});
}

TEST(MvccBatchTest, RequestsOfOneBatchSeeEachOtherAndNothingIsVisibleBeforeCommit) {
  MvccHarness h;
  auto batch = h.store().BeginBatch();
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE((*batch)->Put(PutReq("a", "1")).ok());
  ASSERT_OK_AND_ASSIGN(p, (*batch)->Put(PutReq("a", "2")));
  EXPECT_EQ(p->header().revision(), 3);
  ASSERT_OK_AND_ASSIGN(inside, (*batch)->Range(RangeReq("a")));
  ASSERT_EQ(inside->kvs_size(), 1);
  EXPECT_EQ(inside->kvs(0).version(), 2);
  // Readers still see the committed state.
  EXPECT_EQ(h.store().revision(), 1);
  EXPECT_EQ(h.Range(RangeReq("a"))->kvs_size(), 0);
  ASSERT_TRUE(h.store().Commit(std::move(batch).value(), 1, false).ok());
  EXPECT_EQ(h.store().revision(), 3);
  EXPECT_EQ(GetOne(h, "a").value(), "2");
}

TEST(MvccBatchTest, OnlyOneBatchMayBeOpen) {
  MvccHarness h;
  auto first = h.store().BeginBatch();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(h.store().BeginBatch().status().code(), StatusCode::kFailedPrecondition);
  first->reset();
  EXPECT_TRUE(h.store().BeginBatch().ok());
}

TEST(MvccBatchTest, AppliedIndexIsWrittenWithTheChangeAndOldIndexesAreRecognisedAfterReopen) {
  MvccHarness h;
  auto batch = h.store().BeginBatch();
  ASSERT_TRUE((*batch)->Put(PutReq("a", "1")).ok());
  ASSERT_TRUE(h.store().Commit(std::move(batch).value(), 10, /*sync=*/true).ok());
  EXPECT_EQ(h.store().applied_index(), 10);
  ASSERT_TRUE(h.Reopen().ok());
  EXPECT_EQ(h.store().applied_index(), 10);
  EXPECT_EQ(h.store().revision(), 2);
  EXPECT_TRUE(h.store().IsApplied(9));
  EXPECT_TRUE(h.store().IsApplied(10));
  EXPECT_FALSE(h.store().IsApplied(11));
  // A batch at an index already applied is refused and writes nothing.
  auto again = h.store().BeginBatch();
  ASSERT_TRUE((*again)->Put(PutReq("a", "2")).ok());
  Status s = h.store().Commit(std::move(again).value(), 10, true);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.store().revision(), 2);
  EXPECT_EQ(GetOne(h, "a").value(), "1");
}

TEST(MvccBatchTest, ABatchWithoutChangesStillRecordsItsIndex) {
  MvccHarness h;
  auto batch = h.store().BeginBatch();
  ASSERT_TRUE(h.store().Commit(std::move(batch).value(), 4, true).ok());
  ASSERT_TRUE(h.Reopen().ok());
  EXPECT_EQ(h.store().applied_index(), 4);
  EXPECT_EQ(h.store().revision(), 1);
}

// The LatestIndex (storage/mvcc_latest_index.h) spares puts a seek; it must only ever hold what
// was committed. A batch dropped without Commit, and a request rolled back inside a batch, leave
// no trace in later versions.
TEST(MvccKeyTest, VersionsIgnoreWritesOfDroppedBatchesAndRolledBackRequests) {
  MvccHarness h;
  ASSERT_TRUE(h.Put("k", "1").ok());  // version 1, committed
  {
    ASSERT_OK_AND_ASSIGN(dropped, h.store().BeginBatch());
    ASSERT_TRUE((*dropped)->Put(PutReq("k", "2")).ok());  // version 2, never committed
  }
  ASSERT_OK_AND_ASSIGN(batch, h.store().BeginBatch());
  // A txn that puts k and then fails (ignore_value on a missing key) is rolled back whole.
  etcdserverpb::TxnRequest failing;
  *failing.add_success()->mutable_request_put() = PutReq("k", "3");
  etcdserverpb::PutRequest bad = PutReq("missing", "");
  bad.set_ignore_value(true);
  *failing.add_success()->mutable_request_put() = bad;
  EXPECT_FALSE((*batch)->Txn(failing).ok());
  ASSERT_TRUE((*batch)->Put(PutReq("k", "4")).ok());
  ASSERT_TRUE(h.store().Commit(std::move(batch).value(), h.TakeIndex(), false).ok());
  mvccpb::KeyValue kv = GetOne(h, "k");
  EXPECT_EQ(kv.version(), 2);
  EXPECT_EQ(kv.value(), "4");
  EXPECT_EQ(kv.create_revision(), 2);
  // After a delete the index must say "absent": the next put starts a new generation of k.
  ASSERT_TRUE(h.Delete(DeleteReq("k")).ok());
  ASSERT_OK_AND_ASSIGN(p, h.Put("k", "5"));
  kv = GetOne(h, "k");
  EXPECT_EQ(kv.version(), 1);
  EXPECT_EQ(kv.create_revision(), p->header().revision());
}

// The LatestIndex is rebuilt from disk when the store opens: versions, create revisions and
// txn compares continue where they were, and a key deleted before the restart is absent.
TEST(MvccKeyTest, TheLatestIndexIsRebuiltWhenTheStoreOpens) {
  MvccHarness h;
  ASSERT_OK_AND_ASSIGN(first, h.Put("kept", "1"));
  ASSERT_TRUE(h.Put("kept", "2").ok());
  ASSERT_TRUE(h.Put("gone", "1").ok());
  ASSERT_TRUE(h.Delete(DeleteReq("gone")).ok());
  ASSERT_TRUE(h.Put(std::string("nul\0key", 7), "1").ok());
  ASSERT_TRUE(h.Reopen().ok());

  ASSERT_OK_AND_ASSIGN(put, h.Put("kept", "3"));
  mvccpb::KeyValue kv = GetOne(h, "kept");
  EXPECT_EQ(kv.version(), 3);
  EXPECT_EQ(kv.create_revision(), first->header().revision());
  ASSERT_OK_AND_ASSIGN(again, h.Put("gone", "2"));
  kv = GetOne(h, "gone");
  EXPECT_EQ(kv.version(), 1);
  EXPECT_EQ(kv.create_revision(), again->header().revision());
  ASSERT_TRUE(h.Put(std::string("nul\0key", 7), "2").ok());
  EXPECT_EQ(GetOne(h, std::string("nul\0key", 7)).version(), 2);

  // Compares on version, create and mod revision read the index too.
  etcdserverpb::TxnRequest txn;
  etcdserverpb::Compare* version = txn.add_compare();
  version->set_key("kept");
  version->set_target(etcdserverpb::Compare::VERSION);
  version->set_result(etcdserverpb::Compare::EQUAL);
  version->set_version(3);
  etcdserverpb::Compare* mod = txn.add_compare();
  mod->set_key("kept");
  mod->set_target(etcdserverpb::Compare::MOD);
  mod->set_result(etcdserverpb::Compare::EQUAL);
  mod->set_mod_revision(put->header().revision());
  etcdserverpb::Compare* missing = txn.add_compare();
  missing->set_key("never");
  missing->set_target(etcdserverpb::Compare::CREATE);
  missing->set_result(etcdserverpb::Compare::EQUAL);
  missing->set_create_revision(0);
  ASSERT_OK_AND_ASSIGN(result, h.Txn(txn));
  EXPECT_TRUE(result->succeeded());
  mod->set_mod_revision(put->header().revision() - 1);
  ASSERT_OK_AND_ASSIGN(stale, h.Txn(txn));
  EXPECT_FALSE(stale->succeeded());
}

}  // namespace
}  // namespace raftkv::storage
