// The etcd KV API of a member (server/kv_frontend.h) over a 3-member in-process cluster: etcd's
// validation messages before anything is proposed, etcd's response header, serializable reads,
// and errors that come back from the apply thread.
#include "server/kv_frontend.h"

#include <gtest/gtest.h>

#include "tests/server/local_cluster.h"
#include "tests/storage/temp_dir.h"

namespace raftkv::server::testing {
namespace {

using storage::testing::TempDir;

class KvFrontendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    leader_ = cluster_.WaitForLeader();
    ASSERT_NE(leader_, 0u);
  }
  KvFrontend& kv(uint64_t id) { return *cluster_.member(id).kv; }

  TempDir dir_;
  LocalCluster cluster_{dir_.path(), {}};
  uint64_t leader_ = 0;
};

TEST_F(KvFrontendTest, EmptyKeyIsRefusedWithEtcdsMessageBeforeProposing) {
  etcdserverpb::PutRequest put;
  put.set_value("v");
  auto result = kv(leader_).Put(put);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "etcdserver: key is not provided");
  EXPECT_EQ(cluster_.member(leader_).store->revision(), 1);
}

TEST_F(KvFrontendTest, InvalidAsyncWriteIsAnsweredBeforeTheCallReturnsAndNeverProposed) {
  bool answered = false;
  Status got = Status::Ok();
  etcdserverpb::TxnRequest txn;
  for (int i = 0; i < 2; ++i) {
    etcdserverpb::PutRequest* put = txn.add_success()->mutable_request_put();
    put->set_key("same");
    put->set_value("v");
  }
  kv(leader_).TxnAsync(txn, [&](StatusOr<etcdserverpb::TxnResponse> result) {
    answered = true;
    got = result.status();
  });
  EXPECT_TRUE(answered);
  EXPECT_EQ(got.message(), "etcdserver: duplicate key given in txn request");
  EXPECT_EQ(cluster_.member(leader_).store->revision(), 1);
}

TEST_F(KvFrontendTest, RequestLargerThanTheLimitIsRefusedWithEtcdsMessage) {
  etcdserverpb::PutRequest put;
  put.set_key("big");
  put.set_value(std::string(1536 * 1024 + 1, 'x'));
  auto result = kv(leader_).Put(put);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "etcdserver: request is too large");
}

TEST_F(KvFrontendTest, HeaderCarriesClusterMemberTermAndRevision) {
  const uint64_t follower = leader_ % 3 + 1;
  etcdserverpb::PutRequest put;
  put.set_key("k");
  put.set_value("v");
  auto result = kv(follower).Put(put);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->header().cluster_id(), 0xc1u);
  EXPECT_EQ(result->header().member_id(), follower);
  EXPECT_GE(result->header().raft_term(), 1u);
  EXPECT_EQ(result->header().revision(), 2);
}

TEST_F(KvFrontendTest, SerializableReadIsAnsweredFromLocalStateWithoutALeader) {
  etcdserverpb::PutRequest put;
  put.set_key("k");
  put.set_value("v");
  ASSERT_TRUE(kv(leader_).Put(put).ok());
  const uint64_t follower = leader_ % 3 + 1;
  ASSERT_TRUE(cluster_.member(follower).applier->WaitApplied(
      cluster_.member(leader_).applier->applied_index(),
      std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  cluster_.Isolate(follower, true);
  etcdserverpb::RangeRequest get;
  get.set_key("k");
  get.set_serializable(true);
  auto local = kv(follower).Range(get);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  ASSERT_EQ(local->kvs_size(), 1);
  EXPECT_EQ(local->kvs(0).value(), "v");
}

TEST_F(KvFrontendTest, ApplyErrorsComeBackWithEtcdsMessages) {
  etcdserverpb::CompactionRequest future;
  future.set_revision(100);
  auto compacted = kv(leader_).Compact(future);
  ASSERT_FALSE(compacted.ok());
  EXPECT_EQ(compacted.status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(compacted.status().message(),
            "etcdserver: mvcc: required revision is a future revision");

  etcdserverpb::PutRequest ignore_value;
  ignore_value.set_key("missing");
  ignore_value.set_ignore_value(true);
  auto put = kv(leader_).Put(ignore_value);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().message(), "etcdserver: key not found");
}

TEST_F(KvFrontendTest, TxnThroughAFollowerSeesItsOwnWrites) {
  const uint64_t follower = leader_ % 3 + 1;
  etcdserverpb::TxnRequest txn;
  auto* cmp = txn.add_compare();
  cmp->set_key("k");
  cmp->set_target(etcdserverpb::Compare::VERSION);
  cmp->set_result(etcdserverpb::Compare::EQUAL);
  cmp->set_version(0);
  txn.add_success()->mutable_request_put()->set_key("k");
  txn.mutable_success(0)->mutable_request_put()->set_value("created");
  txn.add_success()->mutable_request_range()->set_key("k");
  auto result = kv(follower).Txn(txn);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->succeeded());
  ASSERT_EQ(result->responses_size(), 2);
  ASSERT_EQ(result->responses(1).response_range().kvs_size(), 1);
  EXPECT_EQ(result->responses(1).response_range().kvs(0).value(), "created");
}

}  // namespace
}  // namespace raftkv::server::testing
