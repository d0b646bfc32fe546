// Linearizable reads by ReadIndex (thesis 6.4).
#include <gtest/gtest.h>

#include "raft/core.h"
#include "tests/raft/test_cluster.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

using raftpb::MSG_APPEND;
using raftpb::MSG_HEARTBEAT;
using raftpb::MSG_READ_INDEX;
using raftpb::MSG_READ_INDEX_RESPONSE;

TEST(ReadIndex, LeaderAnswersOnlyAfterAHeartbeatRoundReachesAMajority_Thesis6_4) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t commit = cluster.core(1).log().committed();
  cluster.ClearSent();
  RAFTKV_ASSERT_OK(cluster.core(1).ReadIndex("r1"));
  std::vector<raftpb::Message> out = cluster.ProcessReadies();
  EXPECT_TRUE(cluster.member(1).read_states.empty()) << "answered before confirming leadership";
  std::vector<raftpb::Message> hb = OfType(out, MSG_HEARTBEAT);
  ASSERT_EQ(hb.size(), 2u);
  for (const auto& m : hb) EXPECT_NE(m.read_round(), 0u);
  cluster.Deliver();
  ASSERT_EQ(cluster.member(1).read_states.size(), 1u);
  EXPECT_EQ(cluster.member(1).read_states[0].request_ctx, "r1");
  EXPECT_EQ(cluster.member(1).read_states[0].index, commit);
}

TEST(ReadIndex, OneFollowerAckIsAMajorityOfThree_Thesis6_4) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Isolate(3);
  RAFTKV_ASSERT_OK(cluster.core(1).ReadIndex("r"));
  cluster.Deliver();
  EXPECT_EQ(cluster.member(1).read_states.size(), 1u);
}

TEST(ReadIndex, ReadIndexIsTheCommitIndexWhenTheReadArrived_Thesis6_4) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t commit = cluster.core(1).log().committed();
  RAFTKV_ASSERT_OK(cluster.core(1).ReadIndex("r"));
  RAFTKV_ASSERT_OK(cluster.core(1).Propose("later-write"));
  cluster.Deliver();
  ASSERT_EQ(cluster.member(1).read_states.size(), 1u);
  EXPECT_EQ(cluster.member(1).read_states[0].index, commit);
  EXPECT_EQ(cluster.core(1).log().committed(), commit + 1);
}

TEST(ReadIndex, NewLeaderWaitsForAnEntryOfItsTermToCommit_Thesis6_4) {
  // Entries 1..3 were committed in term 1, but member 2 only learned of index 1. Elected in
  // term 2, it does not know the true commit index until its no-op commits: answering at 1 would
  // miss writes 2 and 3.
  TestCluster cluster({1, 2, 3});
  cluster.SetLog(1, {1, 1, 1}, 1, 3);
  cluster.SetLog(2, {1, 1, 1}, 1, 1);
  cluster.SetLog(3, {1, 1, 1}, 1, 3);
  cluster.SetFilter([](raftpb::Message& m) { return m.type() != MSG_APPEND; });
  ASSERT_TRUE(cluster.Elect(2));
  ASSERT_EQ(cluster.core(2).log().committed(), 1u);
  RAFTKV_ASSERT_OK(cluster.core(2).ReadIndex("r"));
  cluster.TickAll(3);
  EXPECT_TRUE(cluster.member(2).read_states.empty()) << "answered with a stale commit index";
  cluster.Heal();
  cluster.TickAll(2);
  ASSERT_EQ(cluster.member(2).read_states.size(), 1u);
  EXPECT_EQ(cluster.member(2).read_states[0].index, 4u) << "the no-op of term 2 is at index 4";
}

TEST(ReadIndex, FollowerForwardsReadToLeaderAndGetsTheIndex_Thesis6_4) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.Propose(1, "x"));
  const uint64_t commit = cluster.core(1).log().committed();
  RAFTKV_ASSERT_OK(cluster.core(2).ReadIndex("f"));
  cluster.Deliver();
  EXPECT_EQ(cluster.Sent(MSG_READ_INDEX, 2, 1).size(), 1u);
  EXPECT_EQ(cluster.Sent(MSG_READ_INDEX_RESPONSE, 1, 2).size(), 1u);
  ASSERT_EQ(cluster.member(2).read_states.size(), 1u);
  EXPECT_EQ(cluster.member(2).read_states[0].request_ctx, "f");
  EXPECT_EQ(cluster.member(2).read_states[0].index, commit);
  EXPECT_TRUE(cluster.member(1).read_states.empty());
}

TEST(ReadIndex, ReadsArrivingDuringARoundShareTheNextRound_Thesis6_4) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(1).ReadIndex("r0"));
  std::vector<raftpb::Message> round1 = OfType(cluster.ProcessReadies(), MSG_HEARTBEAT);
  ASSERT_EQ(round1.size(), 2u);
  // Nine more reads while round 1 is in flight: no new heartbeats.
  for (int i = 1; i <= 9; ++i) RAFTKV_ASSERT_OK(cluster.core(1).ReadIndex("r" + std::to_string(i)));
  EXPECT_TRUE(OfType(cluster.ProcessReadies(), MSG_HEARTBEAT).empty());
  // Round 1 reaches the followers, their acks reach the leader.
  ASSERT_TRUE(cluster.DeliverRound());
  ASSERT_TRUE(cluster.DeliverRound());
  // Round 1 confirms r0 only (the others arrived after it started); round 2 starts for them.
  std::vector<raftpb::Message> round2 = OfType(cluster.ProcessReadies(), MSG_HEARTBEAT);
  ASSERT_EQ(cluster.member(1).read_states.size(), 1u);
  EXPECT_EQ(cluster.member(1).read_states[0].request_ctx, "r0");
  ASSERT_EQ(round2.size(), 2u);
  EXPECT_GT(round2[0].read_round(), round1[0].read_round());
  cluster.Deliver();
  ASSERT_EQ(cluster.member(1).read_states.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(cluster.member(1).read_states[i].request_ctx, "r" + std::to_string(i));
  }
  // Ten reads, two rounds of heartbeats.
  int read_heartbeats = 0;
  for (const auto& m : cluster.Sent(MSG_HEARTBEAT, 1)) read_heartbeats += m.read_round() != 0;
  EXPECT_EQ(read_heartbeats, 4);
}

TEST(ReadIndex, LeaderThatCannotReachAMajorityNeverAnswers_Thesis6_4) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Isolate(1);
  RAFTKV_ASSERT_OK(cluster.core(1).ReadIndex("r"));
  cluster.TickAll(3 * cluster.options().election_tick);
  EXPECT_TRUE(cluster.member(1).read_states.empty());
  EXPECT_FALSE(cluster.core(1).is_leader());
  // Even after the partition heals, the old read is not answered (2 or 3 may have taken over).
  cluster.Heal();
  cluster.TickAll(3 * cluster.options().election_tick);
  EXPECT_TRUE(cluster.member(1).read_states.empty());
}

TEST(ReadIndex, StaleRoundAcknowledgementsDoNotConfirmANewerRound_Thesis6_4) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Isolate(2);
  cluster.Isolate(3);
  RAFTKV_ASSERT_OK(cluster.core(1).ReadIndex("r"));
  cluster.Deliver();
  std::vector<raftpb::Message> hb = cluster.Sent(MSG_HEARTBEAT, 1, 2);
  ASSERT_FALSE(hb.empty());
  // An acknowledgement of round 0 (a plain heartbeat) or of a made-up round proves nothing.
  raftpb::Message ack = Msg(raftpb::MSG_HEARTBEAT_RESPONSE, 2, 1, cluster.core(1).term());
  ack.set_read_round(0);
  RAFTKV_ASSERT_OK(cluster.Inject(ack));
  ack.set_read_round(hb.back().read_round() + 100);
  RAFTKV_ASSERT_OK(cluster.Inject(ack));
  cluster.ProcessReadies();
  cluster.DropInFlight();
  EXPECT_TRUE(cluster.member(1).read_states.empty());
  ack.set_read_round(hb.back().read_round());
  RAFTKV_ASSERT_OK(cluster.Inject(ack));
  cluster.ProcessReadies();
  EXPECT_EQ(cluster.member(1).read_states.size(), 1u);
}

TEST(ReadIndex, WithoutAKnownLeaderReadIsDropped_Thesis6_4) {
  TestCluster cluster({1, 2, 3});
  Status s = cluster.core(2).ReadIndex("r");
  EXPECT_EQ(s.code(), StatusCode::kProposalDropped) << s.ToString();
}

TEST(ReadIndex, SingleVoterAnswersWithoutAHeartbeatRound_Thesis6_4) {
  LoneCore c = MakeLoneCore({.voters = {1}});
  c->Campaign();
  c.Flush();
  c.Flush();
  ASSERT_EQ(c->log().committed(), 1u);
  RAFTKV_ASSERT_OK(c->ReadIndex("solo"));
  Ready rd = c.Flush();
  ASSERT_EQ(rd.read_states.size(), 1u);
  EXPECT_EQ(rd.read_states[0].index, 1u);
  EXPECT_EQ(rd.read_states[0].request_ctx, "solo");
}

}  // namespace
}  // namespace raftkv::raft::test
