// The node loop of kvd (server/raft_node.h, server/applier.h) with real storage and threads:
// three members in one process, joined by an in-process transport (local_cluster.h).
// DESIGN.md rules 2 and 3: a client gets "ok" only for what is committed and applied, and every
// member serves every request.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <vector>

#include "tests/server/local_cluster.h"
#include "tests/storage/temp_dir.h"
#include "tests/support/wait_until.h"

namespace raftkv::server::testing {
namespace {

using raftkv::testing::WaitUntil;
using storage::testing::TempDir;

// Waits until member `id` has applied at least `index`.
bool WaitApplied(LocalCluster& c, uint64_t id, uint64_t index) {
  return c.member(id).applier->WaitApplied(
      index, std::chrono::steady_clock::now() + std::chrono::seconds(10));
}

TEST(NodeTest, WriteThroughTheLeaderIsAppliedOnEveryMemberAtTheSameRevision) {
  TempDir dir;
  LocalCluster c(dir.path(), {});
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  auto put = c.Put(leader, "k", "v1");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->header().revision(), 2);
  for (uint64_t id = 1; id <= 3; ++id) {
    auto got = c.Get(id, "k");
    ASSERT_TRUE(got.ok()) << "member " << id << ": " << got.status().ToString();
    ASSERT_EQ(got->kvs_size(), 1);
    EXPECT_EQ(got->kvs(0).value(), "v1");
    EXPECT_EQ(got->kvs(0).mod_revision(), 2);
  }
}

TEST(NodeTest, FollowerForwardsWritesAndServesLinearizableReads) {
  TempDir dir;
  LocalCluster c(dir.path(), {});
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const uint64_t follower = leader % 3 + 1;
  for (int i = 0; i < 20; ++i) {
    auto put = c.Put(follower, "key" + std::to_string(i), "value" + std::to_string(i));
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    EXPECT_EQ(put->header().revision(), 2 + i);
  }
  // A read through the other follower observes every completed write (ReadIndex).
  const uint64_t other = 6 - leader - follower;  // the member that is neither
  auto got = c.Get(other, "key19");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->kvs_size(), 1);
  EXPECT_EQ(got->kvs(0).value(), "value19");
}

// Thesis 6.4 with shared rounds: reads a follower is asked for together share one ReadIndex
// request to the leader (one per drain of its inbox, not one per read), and each of them still
// observes every write completed before it began.
TEST(NodeTest, ConcurrentLinearizableReadsOnAFollowerShareReadIndexRequests) {
  constexpr int kReads = 500;
  // Declared before the cluster: a read still pending at a failed assertion is answered while
  // the cluster stops, and must find these alive.
  etcdserverpb::RangeRequest get;
  get.set_key("k");
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;   // guarded by mu
  int saw_write = 0;  // guarded by mu
  TempDir dir;
  // An election timeout of 1-2 s: no leader change during the burst, even on a loaded machine.
  LocalClusterOptions options;
  options.election_tick = 100;
  LocalCluster c(dir.path(), options);
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const uint64_t follower = leader % 3 + 1;
  ASSERT_TRUE(c.Put(leader, "k", "v").ok());
  const uint64_t before = c.SentCount(follower, raftpb::MSG_READ_INDEX);
  for (int i = 0; i < kReads; ++i) {
    c.member(follower).kv->RangeAsync(
        get,
        [&](StatusOr<etcdserverpb::RangeResponse> result) {
          std::lock_guard<std::mutex> lock(mu);
          ++answered;
          if (result.ok() && result->kvs_size() == 1 && result->kvs(0).value() == "v") ++saw_write;
          cv.notify_all();
        },
        [](std::function<void()> read) { read(); });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return answered == kReads; }))
        << answered << " of " << kReads << " reads answered";
    EXPECT_EQ(saw_write, kReads);
  }
  const uint64_t forwarded = c.SentCount(follower, raftpb::MSG_READ_INDEX) - before;
  EXPECT_GE(forwarded, 1u);
  EXPECT_LT(forwarded, static_cast<uint64_t>(kReads)) << "every read was forwarded on its own";
}

// Section 5.3 with batching: writes a follower is asked for together are forwarded to the
// leader in one message per drain of its inbox (not one per write), and each is applied once,
// at a revision of its own.
TEST(NodeTest, ConcurrentWritesOnAFollowerAreForwardedInBatches) {
  constexpr int kWrites = 500;
  // Declared before the cluster, for the same reason as in the read test above.
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;             // guarded by mu
  std::set<int64_t> revisions;  // guarded by mu: the revision of each successful write
  std::vector<etcdserverpb::PutRequest> puts(kWrites);
  TempDir dir;
  LocalClusterOptions options;
  options.election_tick = 100;  // no leader change during the burst
  LocalCluster c(dir.path(), options);
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const uint64_t follower = leader % 3 + 1;
  const uint64_t before = c.SentCount(follower, raftpb::MSG_PROPOSE);
  for (int i = 0; i < kWrites; ++i) {
    puts[i].set_key("key" + std::to_string(i));
    puts[i].set_value("value");
    c.member(follower).kv->PutAsync(puts[i], [&](StatusOr<etcdserverpb::PutResponse> result) {
      std::lock_guard<std::mutex> lock(mu);
      ++answered;
      if (result.ok()) revisions.insert(result->header().revision());
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return answered == kWrites; }))
        << answered << " of " << kWrites << " writes answered";
    EXPECT_EQ(revisions.size(), static_cast<size_t>(kWrites));  // all applied, each once
  }
  // The leader applies on its own thread, possibly after the follower answered.
  ASSERT_TRUE(WaitApplied(c, leader, c.member(follower).applier->applied_index()));
  EXPECT_EQ(c.member(leader).store->revision(), 1 + kWrites);
  const uint64_t forwarded = c.SentCount(follower, raftpb::MSG_PROPOSE) - before;
  EXPECT_GE(forwarded, 1u);
  EXPECT_LT(forwarded, static_cast<uint64_t>(kWrites)) << "every write was forwarded on its own";
}

TEST(NodeTest, RestartedMemberKeepsItsStateAndCatchesUpFromTheLog) {
  TempDir dir;
  LocalCluster c(dir.path(), {});
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  ASSERT_TRUE(c.Put(leader, "before", "1").ok());
  const uint64_t down = leader % 3 + 1;
  ASSERT_TRUE(WaitApplied(c, down, c.member(leader).applier->applied_index()));
  c.Stop(down);
  for (int i = 0; i < 30; ++i) {
    leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    ASSERT_TRUE(c.Put(leader, "during" + std::to_string(i), "x").ok());
  }
  ASSERT_TRUE(c.Restart(down).ok());
  auto got = c.Get(down, "during29");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->kvs_size(), 1);
  EXPECT_EQ(c.member(down).store->revision(), 32);  // 1 + 1 + 30 writes, none applied twice
  auto before = c.Get(down, "before");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->kvs_size(), 1);
}

// A stopping kvd hands its leadership over (RaftNode::HandOverLeadership) to a follower the
// leader hears from, never to one that is down while another is up (which would hold the stop
// for an election timeout and leave the cluster to elect anyway).
TEST(NodeTest, HandOverGoesToAFollowerTheLeaderHearsFrom) {
  TempDir dir;
  LocalCluster c(dir.path(), {});
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  ASSERT_TRUE(c.Put(leader, "k", "v").ok());
  // Stop the follower a first-voter rule would pick: the lowest other id.
  const uint64_t down = leader == 1 ? 2 : 1;
  const uint64_t up = 6 - leader - down;
  c.Stop(down);
  ASSERT_TRUE(c.Put(leader, "k", "v2").ok());  // only `up` has it now
  c.member(leader).node->HandOverLeadership();
  EXPECT_TRUE(WaitUntil([&] { return c.member(up).node->state().is_leader; }));
  EXPECT_FALSE(c.member(leader).node->state().is_leader);
  // A follower asked to hand over does nothing.
  c.member(leader).node->HandOverLeadership();
  // Its raft thread handles its inputs in order: the hand-over, then this write it forwards.
  ASSERT_TRUE(c.Put(leader, "k", "v3").ok());
  EXPECT_TRUE(c.member(up).node->state().is_leader);
}

TEST(NodeTest, MemberBehindACompactedLogCatchesUpFromASnapshotStream) {
  TempDir dir;
  LocalClusterOptions options;
  options.snapshot_every = 20;
  options.keep_entries_after_snapshot = 5;
  LocalCluster c(dir.path(), options);
  uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const uint64_t down = leader % 3 + 1;
  c.Stop(down);
  for (int i = 0; i < 120; ++i) {
    leader = c.WaitForLeader();
    ASSERT_NE(leader, 0u);
    ASSERT_TRUE(c.Put(leader, "k" + std::to_string(i), std::to_string(i)).ok());
  }
  ASSERT_GT(c.member(leader).log->FirstIndex(), 10u) << "the leader's log was not compacted";
  ASSERT_TRUE(c.Restart(down).ok());
  auto got = c.Get(down, "k119");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->kvs_size(), 1);
  EXPECT_EQ(got->kvs(0).value(), "119");
  auto first = c.Get(down, "k0");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->kvs_size(), 1);
  EXPECT_EQ(c.member(down).store->revision(), c.member(leader).store->revision());
  EXPECT_GT(c.member(down).store->generation(), 1u) << "caught up without a snapshot";
}

TEST(NodeTest, IsolatedMemberCannotCompleteWritesOrLinearizableReads) {
  TempDir dir;
  LocalCluster c(dir.path(), {});
  const uint64_t leader = c.WaitForLeader();
  ASSERT_NE(leader, 0u);
  const uint64_t alone = leader % 3 + 1;
  c.Isolate(alone, true);
  auto put = c.Put(alone, "k", "v", std::chrono::seconds(1));
  EXPECT_FALSE(put.ok());
  auto got = c.Get(alone, "k", std::chrono::seconds(1));
  EXPECT_FALSE(got.ok());
  // The majority goes on.
  const uint64_t majority_leader = c.WaitForLeader();
  ASSERT_NE(majority_leader, 0u);
  EXPECT_TRUE(c.Put(majority_leader, "k", "v").ok());
  c.Isolate(alone, false);
  auto healed = c.Get(alone, "k");
  ASSERT_TRUE(healed.ok()) << healed.status().ToString();
  EXPECT_EQ(healed->kvs_size(), 1);
}

}  // namespace
}  // namespace raftkv::server::testing
