// ProgressTracker: membership, quorum arithmetic for commit and votes.
#include "raft/progress_tracker.h"

#include <gtest/gtest.h>

#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

ProgressTracker Tracker(const std::vector<uint64_t>& voters,
                        const std::vector<uint64_t>& learners = {}) {
  ProgressTracker t(16, 0);
  t.Reset(MakeConfState(voters, learners), 1);
  return t;
}

void SetMatches(ProgressTracker& t, const std::map<uint64_t, uint64_t>& matches) {
  for (const auto& [id, m] : matches) t.Get(id)->MaybeUpdate(m);
}

TEST(ProgressTracker, QuorumSizeIsAMajorityOfVoters) {
  EXPECT_EQ(Tracker({1}).QuorumSize(), 1u);
  EXPECT_EQ(Tracker({1, 2}).QuorumSize(), 2u);
  EXPECT_EQ(Tracker({1, 2, 3}).QuorumSize(), 2u);
  EXPECT_EQ(Tracker({1, 2, 3, 4}).QuorumSize(), 3u);
  EXPECT_EQ(Tracker({1, 2, 3, 4, 5}, {6, 7}).QuorumSize(), 3u);
}

TEST(ProgressTracker, QuorumMatchIndexIsReplicatedOnAMajority_Sec5_3) {
  ProgressTracker t3 = Tracker({1, 2, 3});
  SetMatches(t3, {{1, 5}, {2, 3}, {3, 1}});
  EXPECT_EQ(t3.QuorumMatchIndex(), 3u);

  ProgressTracker t4 = Tracker({1, 2, 3, 4});
  SetMatches(t4, {{1, 5}, {2, 4}, {3, 3}, {4, 1}});
  EXPECT_EQ(t4.QuorumMatchIndex(), 3u);

  ProgressTracker t5 = Tracker({1, 2, 3, 4, 5});
  SetMatches(t5, {{1, 9}, {2, 9}, {3, 2}, {4, 2}, {5, 7}});
  EXPECT_EQ(t5.QuorumMatchIndex(), 7u);

  ProgressTracker t1 = Tracker({1});
  SetMatches(t1, {{1, 4}});
  EXPECT_EQ(t1.QuorumMatchIndex(), 4u);
}

TEST(ProgressTracker, LearnersDoNotCountTowardsCommit_Thesis4_2_1) {
  ProgressTracker t = Tracker({1, 2, 3}, {4, 5});
  SetMatches(t, {{1, 9}, {2, 1}, {3, 1}, {4, 9}, {5, 9}});
  EXPECT_EQ(t.QuorumMatchIndex(), 1u);
}

TEST(ProgressTracker, NoVotersMeansNothingCommits) {
  ProgressTracker t = Tracker({});
  EXPECT_EQ(t.QuorumMatchIndex(), 0u);
  EXPECT_FALSE(t.HasQuorum({}));
}

TEST(ProgressTracker, VoteTallyWinsWithAMajority_Sec5_2) {
  ProgressTracker t = Tracker({1, 2, 3, 4, 5});
  t.RecordVote(1, true);
  t.RecordVote(2, true);
  EXPECT_EQ(t.TallyVotes(), VoteResult::kPending);
  t.RecordVote(3, true);
  EXPECT_EQ(t.TallyVotes(), VoteResult::kWon);
}

TEST(ProgressTracker, VoteTallyLosesWhenAMajorityIsOutOfReach_Sec5_2) {
  ProgressTracker t = Tracker({1, 2, 3, 4, 5});
  t.RecordVote(1, true);
  t.RecordVote(2, false);
  t.RecordVote(3, false);
  EXPECT_EQ(t.TallyVotes(), VoteResult::kPending);
  t.RecordVote(4, false);
  EXPECT_EQ(t.TallyVotes(), VoteResult::kLost);
}

TEST(ProgressTracker, AVoterIsCountedOnceAndLearnersNotAtAll_Sec5_2) {
  ProgressTracker t = Tracker({1, 2, 3}, {4});
  t.RecordVote(1, true);
  t.RecordVote(4, true);
  EXPECT_EQ(t.TallyVotes(), VoteResult::kPending) << "a learner's vote counted";
  t.RecordVote(2, false);
  t.RecordVote(2, true);  // a duplicate that changed its mind does not count
  EXPECT_EQ(t.TallyVotes(), VoteResult::kPending);
  t.ResetVotes();
  t.RecordVote(1, true);
  t.RecordVote(2, true);
  EXPECT_EQ(t.TallyVotes(), VoteResult::kWon);
}

TEST(ProgressTracker, HasQuorumCountsVotersOnly) {
  ProgressTracker t = Tracker({1, 2, 3}, {4});
  EXPECT_FALSE(t.HasQuorum({1, 4}));
  EXPECT_TRUE(t.HasQuorum({1, 3}));
  EXPECT_FALSE(t.HasQuorum({9, 8}));
}

TEST(ProgressTracker, QuorumActiveAlwaysCountsSelf_Thesis6_2) {
  ProgressTracker t = Tracker({1, 2, 3});
  t.ResetRecentActive(1);
  EXPECT_FALSE(t.QuorumActive(1));
  t.Get(3)->recent_active = true;
  EXPECT_TRUE(t.QuorumActive(1));
  t.ResetRecentActive(1);
  EXPECT_FALSE(t.Get(3)->recent_active);
  EXPECT_TRUE(t.Get(1)->recent_active);
}

TEST(ProgressTracker, ApplyChangeAddsAndRemovesOneMember_Thesis4_1) {
  ProgressTracker t = Tracker({1, 2, 3});
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_ADD_VOTER);
  cc.set_node_id(4);
  EXPECT_TRUE(t.ApplyChange(cc, 10));
  EXPECT_TRUE(t.IsVoter(4));
  EXPECT_EQ(t.Get(4)->next, 10u);
  EXPECT_EQ(t.QuorumSize(), 3u);
  EXPECT_FALSE(t.ApplyChange(cc, 10)) << "adding an existing voter";
  cc.set_type(raftpb::CONF_CHANGE_REMOVE_NODE);
  EXPECT_TRUE(t.ApplyChange(cc, 10));
  EXPECT_FALSE(t.IsMember(4));
  EXPECT_EQ(t.Get(4), nullptr);
  EXPECT_FALSE(t.ApplyChange(cc, 10)) << "removing a non-member";
}

TEST(ProgressTracker, PromotionKeepsTheLearnersProgress_Thesis4_2_1) {
  ProgressTracker t = Tracker({1, 2}, {3});
  t.Get(3)->MaybeUpdate(42);
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_ADD_VOTER);
  cc.set_node_id(3);
  EXPECT_TRUE(t.ApplyChange(cc, 50));
  EXPECT_TRUE(t.IsVoter(3));
  EXPECT_FALSE(t.IsLearner(3));
  EXPECT_EQ(t.Get(3)->match, 42u);
  EXPECT_FALSE(t.Get(3)->is_learner);
}

TEST(ProgressTracker, RefusesChangesThatMakeNoSense_Thesis4_1) {
  ProgressTracker t = Tracker({1});
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_REMOVE_NODE);
  cc.set_node_id(1);
  EXPECT_FALSE(t.ApplyChange(cc, 1)) << "removing the last voter";
  cc.set_type(raftpb::CONF_CHANGE_ADD_LEARNER);
  EXPECT_FALSE(t.ApplyChange(cc, 1)) << "demoting a voter";
  cc.set_node_id(0);
  EXPECT_FALSE(t.ApplyChange(cc, 1)) << "member 0";
  EXPECT_EQ(t.voters(), std::set<uint64_t>{1});
  EXPECT_TRUE(t.learners().empty());
}

TEST(ProgressTracker, ResetKeepsVotersAndLearnersDisjoint) {
  ProgressTracker t = Tracker({1, 2}, {2, 3});
  EXPECT_EQ(t.voters(), (std::set<uint64_t>{1, 2}));
  EXPECT_EQ(t.learners(), std::set<uint64_t>{3});
  EXPECT_EQ(t.progress().size(), 3u);
  raftpb::ConfState cs = t.ToConfState();
  EXPECT_EQ(cs.voters_size(), 2);
  EXPECT_EQ(cs.learners_size(), 1);
}

}  // namespace
}  // namespace raftkv::raft::test
