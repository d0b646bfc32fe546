// Flow control of replication: pipelining under an in-flight window (count and bytes), one
// append at a time while probing, and acknowledgements reopening the window.
#include <gtest/gtest.h>

#include "raft/core.h"
#include "raft/progress.h"
#include "tests/raft/test_cluster.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

using raftpb::MSG_APPEND;

// A 3-member cluster led by 1 whose follower 2 is caught up (replicate state), one entry per
// append message, and messages to 2 captured but not delivered.
TestCluster PipelineCluster(int max_inflight_msgs, uint64_t max_inflight_bytes) {
  TestCluster cluster({1, 2, 3}, {.max_inflight_msgs = max_inflight_msgs,
                                  .max_inflight_bytes = max_inflight_bytes,
                                  .max_size_per_msg = 1});
  EXPECT_TRUE(cluster.Elect(1));
  EXPECT_EQ(cluster.core(1).tracker().Get(2)->state, ProgressState::kReplicate);
  cluster.SetFilter([](raftpb::Message& m) { return m.to() != 2; });
  return cluster;
}

TEST(FlowControl, ReplicateStateSendsUpToMaxInflightMsgsThenPauses_Pipelining) {
  TestCluster cluster = PipelineCluster(3, 0);
  const int before = cluster.CountAppendsWithEntries(1, 2);
  for (int i = 0; i < 10; ++i) RAFTKV_ASSERT_OK(cluster.Propose(1, "p" + std::to_string(i)));
  // Three appends went out without waiting for any answer (pipelining), then it paused.
  EXPECT_EQ(cluster.CountAppendsWithEntries(1, 2) - before, 3);
  const Progress* pr = cluster.core(1).tracker().Get(2);
  EXPECT_EQ(pr->inflights.Count(), 3);
  EXPECT_TRUE(pr->IsPaused());
  // Follower 3 is not held back by 2's window: everything is committed.
  EXPECT_EQ(cluster.AppliedData(3).size(), 10u);
}

TEST(FlowControl, AcknowledgementsFreeTheWindow_Pipelining) {
  TestCluster cluster = PipelineCluster(3, 0);
  for (int i = 0; i < 10; ++i) RAFTKV_ASSERT_OK(cluster.Propose(1, "p" + std::to_string(i)));
  std::vector<raftpb::Message> held;
  for (const auto& m : cluster.Sent(MSG_APPEND, 1, 2)) {
    if (m.entries_size() > 0) held.push_back(m);
  }
  ASSERT_FALSE(held.empty());
  // Deliver the appends that were held back; their acknowledgements reopen the window and the
  // rest streams out.
  cluster.Heal();
  for (const auto& m : std::vector<raftpb::Message>(held.end() - 3, held.end())) {
    RAFTKV_ASSERT_OK(cluster.Inject(m));
  }
  cluster.Deliver();
  EXPECT_EQ(cluster.core(2).log().LastIndex(), cluster.core(1).log().LastIndex());
  EXPECT_EQ(cluster.core(1).tracker().Get(2)->match, cluster.core(1).log().LastIndex());
  EXPECT_EQ(cluster.core(1).tracker().Get(2)->inflights.Count(), 0);
  EXPECT_EQ(cluster.AppliedData(2).size(), 10u);
}

TEST(FlowControl, ReplicateStateRespectsMaxInflightBytes_Pipelining) {
  // Each entry is 100 data bytes + 24 bytes of overhead = 124 bytes; the window holds 3.
  TestCluster cluster = PipelineCluster(256, 3 * 124);
  const int before = cluster.CountAppendsWithEntries(1, 2);
  for (int i = 0; i < 10; ++i) RAFTKV_ASSERT_OK(cluster.Propose(1, std::string(100, 'a' + i)));
  EXPECT_EQ(cluster.CountAppendsWithEntries(1, 2) - before, 3);
  const Progress* pr = cluster.core(1).tracker().Get(2);
  EXPECT_EQ(pr->inflights.Bytes(), 3u * 124u);
  EXPECT_TRUE(pr->IsPaused());
}

TEST(FlowControl, ProbeStateSendsOneAppendAtATime_Pipelining) {
  TestCluster cluster = PipelineCluster(256, 0);
  cluster.core(1).ReportUnreachable(2);
  ASSERT_EQ(cluster.core(1).tracker().Get(2)->state, ProgressState::kProbe);
  const int before = cluster.CountAppendsWithEntries(1, 2);
  for (int i = 0; i < 5; ++i) RAFTKV_ASSERT_OK(cluster.Propose(1, "p" + std::to_string(i)));
  EXPECT_EQ(cluster.CountAppendsWithEntries(1, 2) - before, 1);
}

TEST(FlowControl, MaxSizePerMsgBoundsEachAppendButSendsAtLeastOneEntry) {
  TestCluster cluster({1, 2, 3}, {.max_size_per_msg = 300});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Isolate(2);
  for (int i = 0; i < 6; ++i) RAFTKV_ASSERT_OK(cluster.Propose(1, std::string(100, 'x')));
  RAFTKV_ASSERT_OK(cluster.Propose(1, std::string(1000, 'y')));  // larger than the limit alone
  cluster.Heal();
  cluster.ClearSent();
  cluster.TickAll(3);
  ASSERT_EQ(cluster.AppliedData(2).size(), 7u);
  bool saw_big = false;
  for (const auto& m : cluster.Sent(MSG_APPEND, 1, 2)) {
    uint64_t bytes = 0;
    for (const auto& e : m.entries()) bytes += EntrySize(e);
    if (m.entries_size() > 1) {
      EXPECT_LE(bytes, 300u);
    }
    if (m.entries_size() == 1 && m.entries(0).data().size() == 1000) saw_big = true;
  }
  EXPECT_TRUE(saw_big);
}

}  // namespace
}  // namespace raftkv::raft::test
