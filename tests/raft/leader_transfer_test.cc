// Leadership transfer (thesis 3.10).
#include <gtest/gtest.h>

#include "raft/core.h"
#include "tests/raft/test_cluster.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

using raftpb::MSG_APPEND;
using raftpb::MSG_APPEND_RESPONSE;
using raftpb::MSG_TIMEOUT_NOW;
using raftpb::MSG_TRANSFER_LEADER;

TEST(LeaderTransfer, CaughtUpTransfereeGetsTimeoutNowAndWins_Thesis3_10) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.Propose(1, "a"));
  const uint64_t term = cluster.core(1).term();
  RAFTKV_ASSERT_OK(cluster.core(1).TransferLeader(2));
  std::vector<raftpb::Message> out = cluster.ProcessReadies();
  EXPECT_EQ(OfType(out, MSG_TIMEOUT_NOW).size(), 1u) << "2 is caught up: TimeoutNow at once";
  cluster.Deliver();
  // No ticks were needed: the transferee's election bypasses the followers' leader lease.
  EXPECT_EQ(cluster.Leader(), 2u);
  EXPECT_EQ(cluster.core(2).term(), term + 1);
  EXPECT_EQ(cluster.core(1).role(), Role::kFollower);
  EXPECT_EQ(cluster.core(1).leader(), 2u);
  RAFTKV_ASSERT_OK(cluster.Propose(2, "b"));
  EXPECT_EQ(cluster.AppliedData(1), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

TEST(LeaderTransfer, LaggingTransfereeIsCaughtUpBeforeTimeoutNow_Thesis3_10) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Isolate(3);
  for (const char* d : {"a", "b", "c"}) RAFTKV_ASSERT_OK(cluster.Propose(1, d));
  cluster.Heal();
  cluster.ClearSent();
  const uint64_t last = cluster.core(1).log().LastIndex();
  RAFTKV_ASSERT_OK(cluster.core(1).TransferLeader(3));
  std::vector<raftpb::Message> out = cluster.ProcessReadies();
  EXPECT_TRUE(OfType(out, MSG_TIMEOUT_NOW).empty()) << "TimeoutNow to a lagging transferee";
  EXPECT_FALSE(OfType(out, MSG_APPEND).empty()) << "the transfer should start catching 3 up";
  cluster.Deliver();
  EXPECT_EQ(cluster.Leader(), 3u);
  EXPECT_EQ(cluster.AppliedData(3), (std::vector<std::string>{"a", "b", "c"}));
  // TimeoutNow went out only after 3 acknowledged the leader's whole log.
  size_t timeout_pos = 0, caught_up_pos = 0;
  const std::vector<raftpb::Message>& sent = cluster.sent();
  for (size_t i = 0; i < sent.size(); ++i) {
    if (sent[i].type() == MSG_TIMEOUT_NOW && timeout_pos == 0) timeout_pos = i + 1;
    if (sent[i].type() == MSG_APPEND_RESPONSE && sent[i].from() == 3 && !sent[i].reject() &&
        sent[i].index() == last && caught_up_pos == 0) {
      caught_up_pos = i + 1;
    }
  }
  ASSERT_NE(timeout_pos, 0u);
  ASSERT_NE(caught_up_pos, 0u);
  EXPECT_LT(caught_up_pos, timeout_pos);
}

TEST(LeaderTransfer, LeaderRefusesProposalsDuringTransfer_Thesis3_10) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Isolate(3);
  RAFTKV_ASSERT_OK(cluster.core(1).TransferLeader(3));
  cluster.Deliver();
  ASSERT_EQ(cluster.core(1).GetStatus().lead_transferee, 3u);
  const uint64_t last = cluster.core(1).log().LastIndex();
  Status s = cluster.core(1).Propose("x");
  EXPECT_EQ(s.code(), StatusCode::kProposalDropped) << s.ToString();
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_ADD_LEARNER);
  cc.set_node_id(9);
  s = cluster.core(1).ProposeConfChange(cc);
  EXPECT_EQ(s.code(), StatusCode::kProposalDropped) << s.ToString();
  // A proposal forwarded by a follower is dropped too.
  RAFTKV_ASSERT_OK(cluster.Propose(2, "y"));
  EXPECT_EQ(cluster.core(1).log().LastIndex(), last);
}

TEST(LeaderTransfer, TransferIsAbandonedAfterAnElectionTimeout_Thesis3_10) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t term = cluster.core(1).term();
  cluster.Isolate(3);
  RAFTKV_ASSERT_OK(cluster.core(1).TransferLeader(3));
  cluster.Deliver();
  const int et = cluster.options().election_tick;
  cluster.TickAll(et - 1);
  EXPECT_EQ(cluster.core(1).GetStatus().lead_transferee, 3u);
  cluster.TickAll(1);
  EXPECT_EQ(cluster.core(1).GetStatus().lead_transferee, 0u);
  EXPECT_TRUE(cluster.core(1).is_leader());
  EXPECT_EQ(cluster.core(1).term(), term);
  RAFTKV_ASSERT_OK(cluster.Propose(1, "after-abort"));
  EXPECT_EQ(cluster.AppliedData(2), std::vector<std::string>{"after-abort"});
}

TEST(LeaderTransfer, FollowerForwardsTransferRequestToLeader_Thesis3_10) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(2).TransferLeader(3));
  cluster.Deliver();
  EXPECT_EQ(cluster.Sent(MSG_TRANSFER_LEADER, 2, 1).size(), 1u);
  EXPECT_EQ(cluster.Leader(), 3u);
}

TEST(LeaderTransfer, TransferToANonVoterIsRejected_Thesis3_10) {
  TestCluster cluster({1, 2, 3}, {}, {4});
  ASSERT_TRUE(cluster.Elect(1));
  Status s = cluster.core(1).TransferLeader(4);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  s = cluster.core(1).TransferLeader(99);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(cluster.core(1).GetStatus().lead_transferee, 0u);
  RAFTKV_ASSERT_OK(cluster.core(1).Propose("still-accepting"));
}

TEST(LeaderTransfer, TimeoutNowFromANonLeaderIsIgnored_Thesis3_10) {
  LoneCore c = MakeLoneCore({.log_terms = {1}, .term = 1});
  c.StepOk(Msg(raftpb::MSG_HEARTBEAT, 2, 1, 1));
  c.StepOk(Msg(MSG_TIMEOUT_NOW, 3, 1, 1));
  EXPECT_EQ(c->role(), Role::kFollower);
  EXPECT_EQ(c->term(), 1u);
  EXPECT_EQ(c->leader(), 2u);
}

}  // namespace
}  // namespace raftkv::raft::test
