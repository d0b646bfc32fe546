// Membership changes one member at a time (thesis 4.1), removal of the leader (4.2.2) and
// learners, the non-voting members (4.2.1).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "raft/core.h"
#include "tests/raft/test_cluster.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

using raftpb::CONF_CHANGE_ADD_LEARNER;
using raftpb::CONF_CHANGE_ADD_VOTER;
using raftpb::CONF_CHANGE_REMOVE_NODE;

raftpb::ConfChange CC(raftpb::ConfChangeType type, uint64_t id) {
  raftpb::ConfChange cc;
  cc.set_type(type);
  cc.set_node_id(id);
  return cc;
}

std::set<uint64_t> Voters(const Core& c) { return c.tracker().voters(); }
std::set<uint64_t> Learners(const Core& c) { return c.tracker().learners(); }

// ---- 4.2.1: learners ----------------------------------------------------------------------------

TEST(Learner, ReceivesTheLog_Thesis4_2_1) {
  TestCluster cluster({1, 2, 3}, {}, {4});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.Propose(1, "a"));
  RAFTKV_ASSERT_OK(cluster.Propose(1, "b"));
  EXPECT_EQ(cluster.AppliedData(4), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(cluster.core(4).leader(), 1u);
}

TEST(Learner, IsNotCountedInTheCommitQuorum_Thesis4_2_1) {
  TestCluster cluster({1, 2}, {}, {3});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t commit = cluster.core(1).log().committed();
  cluster.Isolate(2);
  RAFTKV_ASSERT_OK(cluster.Propose(1, "x"));
  // Leader and learner hold "x" (2 of 3 members), but only 1 of 2 voters: not committed.
  ASSERT_EQ(cluster.core(1).tracker().Get(3)->match, commit + 1);
  EXPECT_EQ(cluster.core(1).log().committed(), commit);
  EXPECT_TRUE(cluster.AppliedData(1).empty());
}

TEST(Learner, NeverCampaigns_Thesis4_2_1) {
  TestCluster cluster({1, 2, 3}, {}, {4});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t term = cluster.core(1).term();
  cluster.Isolate(4);
  cluster.Tick(4, 10 * cluster.options().election_tick);
  EXPECT_EQ(cluster.core(4).role(), Role::kFollower);
  EXPECT_EQ(cluster.core(4).term(), term);
  EXPECT_TRUE(cluster.Sent(raftpb::MSG_PRE_VOTE, 4).empty());
  EXPECT_TRUE(cluster.Sent(raftpb::MSG_VOTE, 4).empty());
  cluster.core(4).Campaign();
  EXPECT_EQ(cluster.core(4).role(), Role::kFollower) << "Campaign() on a learner";
}

TEST(Learner, CandidateNeitherAsksNorCountsLearners_Thesis4_2_1) {
  LoneCore c = MakeLoneCore({.voters = {1, 2, 3}, .learners = {4}, .pre_vote = false});
  c->Campaign();
  Ready rd = c.Flush();
  for (const auto& m : OfType(rd.messages, raftpb::MSG_VOTE)) EXPECT_NE(m.to(), 4u);
  c.StepOk(Msg(raftpb::MSG_VOTE_RESPONSE, 4, 1, c->term()));
  EXPECT_EQ(c->role(), Role::kCandidate) << "won with a learner's vote";
  c.StepOk(Msg(raftpb::MSG_VOTE_RESPONSE, 2, 1, c->term()));
  EXPECT_TRUE(c->is_leader());
}

TEST(Learner, PromotionMakesItCountInTheQuorum_Thesis4_2_1) {
  TestCluster cluster({1, 2}, {}, {3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_VOTER, 3)));
  cluster.Deliver();
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(Voters(cluster.core(id)), (std::set<uint64_t>{1, 2, 3})) << id;
    EXPECT_TRUE(Learners(cluster.core(id)).empty()) << id;
  }
  cluster.Isolate(2);
  RAFTKV_ASSERT_OK(cluster.Propose(1, "x"));
  EXPECT_EQ(cluster.AppliedData(1), std::vector<std::string>{"x"}) << "1 and 3 are 2 of 3";
}

// ---- 4.1: one change at a time ------------------------------------------------------------------

TEST(Membership, ChangeTakesEffectWhenApplied_Thesis4_1) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_LEARNER, 4)));
  EXPECT_FALSE(cluster.core(1).tracker().IsMember(4));
  cluster.Deliver();
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(Learners(cluster.core(id)), std::set<uint64_t>{4}) << id;
    EXPECT_EQ(cluster.member(id).conf_state.learners_size(), 1) << id;
  }
}

TEST(Membership, OnlyOneChangeMayBePendingAtATime_Thesis4_1) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_LEARNER, 4)));
  Status s = cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_LEARNER, 5));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  cluster.Deliver();
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_LEARNER, 5)));
  cluster.Deliver();
  EXPECT_EQ(Learners(cluster.core(2)), (std::set<uint64_t>{4, 5}));
}

TEST(Membership, ForwardedSecondChangeBecomesANoop_Thesis4_1) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_LEARNER, 4)));
  RAFTKV_ASSERT_OK(cluster.core(2).ProposeConfChange(CC(CONF_CHANGE_ADD_LEARNER, 5)));
  cluster.Deliver();
  for (uint64_t id : {1, 2, 3}) EXPECT_EQ(Learners(cluster.core(id)), std::set<uint64_t>{4}) << id;
  // Only the first change was applied; the second became an empty normal entry.
  std::vector<uint64_t> changed;
  for (const auto& e : cluster.member(1).applied) {
    raftpb::ConfChange cc;
    if (e.type() == raftpb::ENTRY_CONF_CHANGE && cc.ParseFromString(e.data()) &&
        cc.type() == CONF_CHANGE_ADD_LEARNER) {
      changed.push_back(cc.node_id());
    }
  }
  EXPECT_EQ(changed, std::vector<uint64_t>{4});
}

TEST(Membership, RemovedLeaderStepsDownAndTheRestElectANewOne_Thesis4_2_2) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_REMOVE_NODE, 1)));
  cluster.Deliver();
  // The removed leader hands over instead of dropping leadership at once: the remaining voters
  // must learn that the removal committed, or they would still need its vote.
  EXPECT_NE(cluster.core(1).GetStatus().lead_transferee, 0u);
  for (uint64_t id : {2, 3}) EXPECT_EQ(Voters(cluster.core(id)), (std::set<uint64_t>{2, 3})) << id;
  cluster.TickAll(6 * cluster.options().election_tick);
  const uint64_t leader = cluster.Leader();
  ASSERT_TRUE(leader == 2 || leader == 3) << "leader " << leader;
  RAFTKV_ASSERT_OK(cluster.Propose(leader, "z"));
  EXPECT_EQ(cluster.AppliedData(2), std::vector<std::string>{"z"});
  EXPECT_EQ(cluster.AppliedData(3), std::vector<std::string>{"z"});
  EXPECT_FALSE(cluster.core(1).is_leader());
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

TEST(Membership, RemovedFollowerNoLongerCountsOrReceives_Thesis4_1) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_REMOVE_NODE, 3)));
  cluster.Deliver();
  cluster.Isolate(3);
  cluster.ClearSent();
  RAFTKV_ASSERT_OK(cluster.Propose(1, "x"));
  EXPECT_EQ(cluster.AppliedData(1), std::vector<std::string>{"x"}) << "quorum of {1,2} is 2";
  EXPECT_TRUE(cluster.Sent(raftpb::MSG_APPEND, 1, 3).empty());
}

TEST(Membership, NewMemberCatchesUpFromASnapshotAndThenVotes_Thesis4_1) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  for (const char* d : {"a", "b", "c"}) RAFTKV_ASSERT_OK(cluster.Propose(1, d));
  for (uint64_t id : {1, 2, 3}) RAFTKV_ASSERT_OK(cluster.Compact(id));
  cluster.AddJoiningMember(4);
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_LEARNER, 4)));
  cluster.Deliver();
  cluster.TickAll(3);
  EXPECT_FALSE(cluster.Sent(raftpb::MSG_SNAPSHOT, 1, 4).empty());
  ASSERT_EQ(cluster.member(4).installed_snapshots.size(), 1u);
  EXPECT_EQ(cluster.core(4).log().LastIndex(), cluster.core(1).log().LastIndex());
  EXPECT_EQ(Voters(cluster.core(4)), (std::set<uint64_t>{1, 2, 3}));
  EXPECT_EQ(Learners(cluster.core(4)), std::set<uint64_t>{4});

  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_VOTER, 4)));
  cluster.Deliver();
  EXPECT_EQ(Voters(cluster.core(4)), (std::set<uint64_t>{1, 2, 3, 4}));
  // With 3 cut off, 1, 2 and 4 are 3 of 4 voters.
  cluster.Isolate(3);
  RAFTKV_ASSERT_OK(cluster.Propose(1, "d"));
  EXPECT_EQ(cluster.AppliedData(4), std::vector<std::string>{"d"});
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

// A member added before the leader ever compacted its log catches up from entries alone; it must
// still end up with the whole configuration (the initial members are not in the log).
TEST(Membership, NewMemberCaughtUpFromEntriesKnowsTheWholeConfiguration_Thesis4_1) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.Propose(1, "a"));
  cluster.AddJoiningMember(4);
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_LEARNER, 4)));
  cluster.Deliver();
  cluster.TickAll(3);
  ASSERT_EQ(cluster.core(4).log().LastIndex(), cluster.core(1).log().LastIndex());
  EXPECT_EQ(Voters(cluster.core(4)), (std::set<uint64_t>{1, 2, 3}));
  EXPECT_EQ(Learners(cluster.core(4)), std::set<uint64_t>{4});
}

// The safety consequence of the test above: a promoted member must never be able to win an
// election (and commit) on its own vote.
TEST(Membership, NewVoterCaughtUpFromEntriesCannotElectItselfAlone_Thesis4_1) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.AddJoiningMember(4);
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_LEARNER, 4)));
  cluster.Deliver();
  cluster.TickAll(3);
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(CC(CONF_CHANGE_ADD_VOTER, 4)));
  cluster.Deliver();
  ASSERT_TRUE(cluster.core(4).tracker().IsVoter(4));
  cluster.Isolate(4);
  for (int i = 0; i < 5 * cluster.options().election_tick && !cluster.core(4).is_leader(); ++i) {
    cluster.Tick(4);
  }
  EXPECT_FALSE(cluster.core(4).is_leader())
      << "member 4 became leader of term " << cluster.core(4).term()
      << " while cut off from the other 3 voters; it believes the voters are "
      << cluster.core(4).tracker().voters().size() << " member(s)";
  if (!cluster.core(4).is_leader()) return;
  // The consequence: it commits alone what the real cluster never agreed to.
  RAFTKV_EXPECT_OK(cluster.core(4).Propose("rogue"));
  cluster.Deliver();
  RAFTKV_EXPECT_OK(cluster.Propose(1, "real"));
  const std::vector<std::string> applied4 = cluster.AppliedData(4);
  EXPECT_EQ(std::count(applied4.begin(), applied4.end(), "rogue"), 0)
      << "member 4 applied a write committed by itself alone";
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

}  // namespace
}  // namespace raftkv::raft::test
