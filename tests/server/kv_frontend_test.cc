// The etcd KV API of a member (server/kv_frontend.h) over a 3-member in-process cluster: etcd's
// validation messages before anything is proposed, etcd's response header, serializable reads,
// and errors that come back from the apply thread.
#include "server/kv_frontend.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "tests/server/local_cluster.h"
#include "tests/storage/temp_dir.h"
#include "tests/support/wait_until.h"

namespace raftkv::server::testing {
namespace {

using raftkv::testing::WaitUntil;
using storage::testing::TempDir;

// The read runner of RangeAsync: reads handed over are kept until the test runs them.
class HandedReads {
 public:
  std::function<void(std::function<void()>)> Runner() {
    return [this](std::function<void()> read) {
      std::lock_guard<std::mutex> lock(mu_);
      reads_.push_back(std::move(read));
    };
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return reads_.size();
  }
  // Waits (up to 10 s) for a read to be handed over, and runs it here.
  bool RunOne() {
    std::function<void()> read;
    const bool handed = WaitUntil([&] {
      std::lock_guard<std::mutex> lock(mu_);
      if (reads_.empty()) return false;
      read = std::move(reads_.front());
      reads_.erase(reads_.begin());
      return true;
    });
    if (handed) read();
    return handed;
  }

 private:
  std::mutex mu_;
  std::vector<std::function<void()>> reads_;
};

// What a RangeAsync answered (set once, from any thread).
struct RangeAnswer {
  std::mutex mu;
  bool answered = false;
  StatusOr<etcdserverpb::RangeResponse> result = Status::Internal("no answer");
  KvFrontend::Done<etcdserverpb::RangeResponse> Done() {
    return [this](StatusOr<etcdserverpb::RangeResponse> r) {
      std::lock_guard<std::mutex> lock(mu);
      EXPECT_FALSE(answered) << "answered twice";
      answered = true;
      result = std::move(r);
    };
  }
  bool is_answered() {
    std::lock_guard<std::mutex> lock(mu);
    return answered;
  }
};

class KvFrontendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    leader_ = cluster_.WaitForLeader();
    ASSERT_NE(leader_, 0u);
  }
  KvFrontend& kv(uint64_t id) { return *cluster_.member(id).kv; }
  // A put through the leader that must succeed.
  void PutThroughLeader(const std::string& key, const std::string& value) {
    etcdserverpb::PutRequest put;
    put.set_key(key);
    put.set_value(value);
    auto result = kv(leader_).Put(put);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
  }

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
  PutThroughLeader("k", "v");
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

// A linearizable RangeAsync waits for its read index without a thread; the read itself is
// handed to the runner (never run on the raft or apply thread) and sees every completed write.
TEST_F(KvFrontendTest, AsyncLinearizableReadIsHandedToTheRunnerAndSeesCompletedWrites) {
  PutThroughLeader("k", "written");
  const uint64_t follower = leader_ % 3 + 1;
  etcdserverpb::RangeRequest get;
  get.set_key("k");
  HandedReads reads;
  RangeAnswer answer;
  kv(follower).RangeAsync(get, answer.Done(), reads.Runner());
  ASSERT_TRUE(reads.RunOne()) << "the read was never handed over";
  ASSERT_TRUE(answer.is_answered());
  ASSERT_TRUE(answer.result.ok()) << answer.result.status().ToString();
  ASSERT_EQ(answer.result->kvs_size(), 1);
  EXPECT_EQ(answer.result->kvs(0).value(), "written");
  EXPECT_EQ(answer.result->header().member_id(), follower);
}

TEST_F(KvFrontendTest, AsyncSerializableAndInvalidReadsAreAnsweredBeforeTheCallReturns) {
  HandedReads reads;
  etcdserverpb::RangeRequest serializable;
  serializable.set_key("k");
  serializable.set_serializable(true);
  RangeAnswer local;
  kv(leader_).RangeAsync(serializable, local.Done(), reads.Runner());
  EXPECT_TRUE(local.is_answered());
  EXPECT_TRUE(local.result.ok()) << local.result.status().ToString();

  etcdserverpb::RangeRequest no_key;  // linearizable, but invalid
  RangeAnswer invalid;
  kv(leader_).RangeAsync(no_key, invalid.Done(), reads.Runner());
  EXPECT_TRUE(invalid.is_answered());
  EXPECT_EQ(invalid.result.status().message(), "etcdserver: key is not provided");
  EXPECT_EQ(reads.count(), 0u);
}

// A 3-member cluster whose election timeout is `election_tick` ticks of 10 ms.
struct ClusterWithElectionTick {
  explicit ClusterWithElectionTick(int election_tick)
      : cluster(dir.path(), LocalClusterOptions{.election_tick = election_tick}) {}
  TempDir dir;
  LocalCluster cluster;
};

// Waits (up to 30 s) for a leader that every member follows, cuts one of its followers off,
// and returns that follower's id (0 if no leader came).
uint64_t IsolateAFollower(LocalCluster& cluster) {
  const uint64_t leader = cluster.WaitForLeader(std::chrono::seconds(30));
  if (leader == 0) return 0;
  const uint64_t follower = leader % 3 + 1;
  cluster.Isolate(follower, true);
  return follower;
}

// An isolated member never learns a read index. Once it gives up on its leader (an election
// timeout later) its linearizable read fails with etcd's "leader changed", and nothing is read.
// The read must be asked while the member still follows its leader (else "no leader" is the
// right answer), so the follower has learned its leader, and the election timeout is 1-2 s: far
// longer than the raft thread takes to ask, even on a loaded machine under sanitizers.
TEST(KvFrontendLeaderLossTest,
     AsyncLinearizableReadOfAMemberThatLosesItsLeaderFailsWithLeaderChanged) {
  ClusterWithElectionTick c(100);
  const uint64_t follower = IsolateAFollower(c.cluster);
  ASSERT_NE(follower, 0u);
  LocalCluster& cluster = c.cluster;
  etcdserverpb::RangeRequest get;
  get.set_key("k");
  HandedReads reads;
  RangeAnswer answer;
  cluster.member(follower).kv->RangeAsync(get, answer.Done(), reads.Runner());
  ASSERT_TRUE(WaitUntil([&] { return answer.is_answered(); }, std::chrono::seconds(30)));
  EXPECT_EQ(answer.result.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(answer.result.status().message(), "etcdserver: leader changed");
  EXPECT_EQ(reads.count(), 0u);
}

// A read whose read index never comes while the member still follows its leader is answered
// "request timed out" by the expiry timer (the request timeout is 3 s; the election timeout
// here, 4-8 s, so the isolated member keeps its leader until then), and nothing is read.
TEST(KvFrontendTimeoutTest, AsyncLinearizableReadWithoutAnAnswerTimesOut) {
  ClusterWithElectionTick c(400);
  const uint64_t follower = IsolateAFollower(c.cluster);
  ASSERT_NE(follower, 0u);
  LocalCluster& cluster = c.cluster;
  etcdserverpb::RangeRequest get;
  get.set_key("k");
  HandedReads reads;
  RangeAnswer answer;
  KvFrontend& kv = *cluster.member(follower).kv;
  kv.RangeAsync(get, answer.Done(), reads.Runner());
  ASSERT_TRUE(WaitUntil(
      [&] {
        kv.ExpireWaiters();
        return answer.is_answered();
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(answer.result.status().message(), "etcdserver: request timed out");
  EXPECT_EQ(reads.count(), 0u);
}

}  // namespace
}  // namespace raftkv::server::testing
