// Leader election (paper section 5.2), terms (5.1), the election restriction (5.4.1), pre-vote
// (thesis 9.6) and check-quorum (thesis 6.2).
#include <gtest/gtest.h>

#include <set>

#include "raft/core.h"
#include "tests/raft/test_cluster.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

using raftpb::MSG_APPEND;
using raftpb::MSG_APPEND_RESPONSE;
using raftpb::MSG_HEARTBEAT;
using raftpb::MSG_HEARTBEAT_RESPONSE;
using raftpb::MSG_PRE_VOTE;
using raftpb::MSG_PRE_VOTE_RESPONSE;
using raftpb::MSG_VOTE;
using raftpb::MSG_VOTE_RESPONSE;

// Ticks a lone follower until its role changes; returns the number of ticks, -1 if it did not
// change within `max` ticks.
int TicksUntilCampaign(LoneCore& c, int max) {
  Role start = c->role();
  for (int i = 1; i <= max; ++i) {
    c->Tick();
    if (c->role() != start) return i;
  }
  return -1;
}

raftpb::Message VoteRequest(raftpb::MessageType type, uint64_t from, uint64_t to, uint64_t term,
                            uint64_t last_index, uint64_t last_term) {
  raftpb::Message m = Msg(type, from, to, term);
  m.set_index(last_index);
  m.set_log_term(last_term);
  return m;
}

// ---- 5.2: elections -----------------------------------------------------------------------------

TEST(LeaderElection, FollowerBecomesCandidateAfterElectionTimeout_Sec5_2) {
  LoneCore c = MakeLoneCore({.log_terms = {1, 1}, .term = 1, .pre_vote = false});
  ASSERT_GT(TicksUntilCampaign(c, 20), 0);
  // "To begin an election, a follower increments its current term and transitions to candidate
  // state. It then votes for itself and issues RequestVote RPCs in parallel to each of the other
  // servers."
  EXPECT_EQ(c->role(), Role::kCandidate);
  EXPECT_EQ(c->term(), 2u);
  Ready rd = c.Flush();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term(), 2u);
  EXPECT_EQ(rd.hard_state->vote(), 1u);
  EXPECT_TRUE(rd.must_sync);
  std::vector<raftpb::Message> votes = OfType(rd.messages, MSG_VOTE);
  ASSERT_EQ(votes.size(), 2u);
  std::set<uint64_t> to;
  for (const auto& m : votes) {
    to.insert(m.to());
    EXPECT_EQ(m.term(), 2u);
    EXPECT_EQ(m.index(), 2u);     // last log index
    EXPECT_EQ(m.log_term(), 1u);  // last log term
  }
  EXPECT_EQ(to, (std::set<uint64_t>{2, 3}));
}

TEST(RandomizedElectionTimeout, TimeoutIsDrawnFromElectionTickToTwiceElectionTick_Sec5_2) {
  std::set<int> first_timeouts;
  for (uint64_t seed = 1; seed <= 64; ++seed) {
    LoneCore c = MakeLoneCore({.pre_vote = false, .election_tick = 10, .seed = seed});
    int first = TicksUntilCampaign(c, 40);
    EXPECT_GE(first, 10) << "seed " << seed;
    EXPECT_LT(first, 20) << "seed " << seed;
    first_timeouts.insert(first);
  }
  // Randomized: split votes are unlikely only if members do not all time out together.
  EXPECT_GE(first_timeouts.size(), 5u);
}

TEST(RandomizedElectionTimeout, CandidateRetriesWithNewRandomTimeoutInNextTerm_Sec5_2) {
  std::set<int> retry_timeouts;
  for (uint64_t seed = 1; seed <= 32; ++seed) {
    LoneCore c = MakeLoneCore({.pre_vote = false, .election_tick = 10, .seed = seed});
    ASSERT_GT(TicksUntilCampaign(c, 40), 0);
    ASSERT_EQ(c->term(), 1u);
    int ticks = 0;
    while (c->term() == 1 && ticks < 40) {
      c->Tick();
      ++ticks;
    }
    EXPECT_EQ(c->term(), 2u) << "seed " << seed;
    EXPECT_EQ(c->role(), Role::kCandidate);
    EXPECT_GE(ticks, 10) << "seed " << seed;
    EXPECT_LT(ticks, 20) << "seed " << seed;
    retry_timeouts.insert(ticks);
  }
  EXPECT_GE(retry_timeouts.size(), 5u);
}

TEST(RandomizedElectionTimeout, SameSeedGivesSameTimeouts_Determinism) {
  for (uint64_t seed : {3u, 11u, 99u}) {
    LoneCore a = MakeLoneCore({.pre_vote = false, .seed = seed});
    LoneCore b = MakeLoneCore({.pre_vote = false, .seed = seed});
    EXPECT_EQ(TicksUntilCampaign(a, 40), TicksUntilCampaign(b, 40));
  }
}

TEST(LeaderElection, CandidateWithMajorityOfVotesBecomesLeader_Sec5_2) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  for (uint64_t id : {2, 3}) {
    EXPECT_EQ(cluster.core(id).role(), Role::kFollower);
    EXPECT_EQ(cluster.core(id).leader(), 1u);
    EXPECT_EQ(cluster.core(id).term(), cluster.core(1).term());
  }
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

TEST(LeaderElection, CandidateRejectedByMajorityReturnsToFollower_Sec5_2) {
  LoneCore c = MakeLoneCore({.pre_vote = false});
  c->Campaign();
  ASSERT_EQ(c->role(), Role::kCandidate);
  c.Flush();
  raftpb::Message r2 = Msg(MSG_VOTE_RESPONSE, 2, 1, 1);
  r2.set_reject(true);
  c.StepOk(r2);
  EXPECT_EQ(c->role(), Role::kCandidate) << "one rejection of three does not decide";
  raftpb::Message r3 = Msg(MSG_VOTE_RESPONSE, 3, 1, 1);
  r3.set_reject(true);
  c.StepOk(r3);
  EXPECT_EQ(c->role(), Role::kFollower);
  EXPECT_EQ(c->term(), 1u);
}

TEST(LeaderElection, CandidateStepsDownOnAppendFromLeaderOfItsTerm_Sec5_2) {
  LoneCore c = MakeLoneCore({.pre_vote = false});
  c->Campaign();
  ASSERT_EQ(c->role(), Role::kCandidate);
  c.Flush();
  // "If the leader's term is at least as large as the candidate's current term, then the
  // candidate recognizes the leader as legitimate and returns to follower state."
  c.StepOk(Msg(MSG_APPEND, 2, 1, 1));
  EXPECT_EQ(c->role(), Role::kFollower);
  EXPECT_EQ(c->leader(), 2u);
  EXPECT_EQ(c->term(), 1u);
}

TEST(LeaderElection, SingleVoterElectsItselfAtOnce_Sec5_2) {
  LoneCore c = MakeLoneCore({.voters = {1}});
  c->Campaign();
  EXPECT_TRUE(c->is_leader());
  EXPECT_EQ(c->term(), 1u);
}

TEST(LeaderElection, LeaderHeartbeatsEveryHeartbeatTick_Sec5_2) {
  TestCluster cluster({1, 2, 3}, {.heartbeat_tick = 2});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.ClearSent();
  cluster.Tick(1);
  EXPECT_TRUE(cluster.Sent(MSG_HEARTBEAT, 1).empty());
  cluster.Tick(1);
  std::vector<raftpb::Message> hb = cluster.Sent(MSG_HEARTBEAT, 1);
  ASSERT_EQ(hb.size(), 2u);
  EXPECT_NE(hb[0].to(), hb[1].to());
}

TEST(LeaderElection, HeartbeatsKeepFollowersFromStartingElections_Sec5_2) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  uint64_t term = cluster.core(1).term();
  cluster.ClearSent();
  cluster.TickAll(10 * cluster.options().election_tick);
  EXPECT_EQ(cluster.Leader(), 1u);
  for (uint64_t id : {1, 2, 3}) EXPECT_EQ(cluster.core(id).term(), term);
  EXPECT_TRUE(cluster.Sent(MSG_PRE_VOTE).empty());
  EXPECT_TRUE(cluster.Sent(MSG_VOTE).empty());
}

TEST(LeaderElection, NewLeaderIsElectedAfterLeaderCrashes_Sec5_2) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  uint64_t term = cluster.core(1).term();
  cluster.Stop(1);
  cluster.TickAll(4 * cluster.options().election_tick);
  uint64_t leader = cluster.Leader();
  EXPECT_TRUE(leader == 2 || leader == 3) << "leader " << leader;
  EXPECT_GT(cluster.core(leader).term(), term);
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

// ---- 5.1: terms ---------------------------------------------------------------------------------

TEST(Terms, LeaderSeeingHigherTermRevertsToFollower_Sec5_1) {
  LoneCore c = MakeLoneCore({});
  MakeLeader(c);
  uint64_t term = c->term();
  c.StepOk(Msg(MSG_HEARTBEAT_RESPONSE, 2, 1, term + 3));
  EXPECT_EQ(c->role(), Role::kFollower);
  EXPECT_EQ(c->term(), term + 3);
  Ready rd = c.Flush();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term(), term + 3);
  EXPECT_EQ(rd.hard_state->vote(), 0u);
}

TEST(Terms, AppendFromStaleTermIsRefusedAndAnsweredWithCurrentTerm_Sec5_1) {
  LoneCore c = MakeLoneCore({.log_terms = {1}, .term = 3});
  raftpb::Message m = Msg(MSG_APPEND, 2, 1, 2);
  m.set_index(1);
  m.set_log_term(1);
  AddEntries(&m, {Ent(2, 2, "stale")});
  c.StepOk(m);
  EXPECT_EQ(c->term(), 3u);
  EXPECT_EQ(c->log().LastIndex(), 1u);
  Ready rd = c.Flush();
  EXPECT_TRUE(rd.entries.empty());
  // The answer carries our term so that the stale leader steps down.
  std::vector<raftpb::Message> resp = OfType(rd.messages, MSG_APPEND_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_EQ(resp[0].term(), 3u);
  EXPECT_EQ(resp[0].to(), 2u);
}

// ---- 5.2: one vote per term ---------------------------------------------------------------------

TEST(VotePerTerm, GrantsAtMostOneVotePerTerm_Sec5_2) {
  LoneCore c = MakeLoneCore({.pre_vote = false});
  c.StepOk(VoteRequest(MSG_VOTE, 2, 1, 1, 0, 0));
  Ready rd = c.Flush();
  // The vote is persisted (and synced) in the same Ready as the response that announces it.
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term(), 1u);
  EXPECT_EQ(rd.hard_state->vote(), 2u);
  EXPECT_TRUE(rd.must_sync);
  std::vector<raftpb::Message> resp = OfType(rd.messages, MSG_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_FALSE(resp[0].reject());

  c.StepOk(VoteRequest(MSG_VOTE, 3, 1, 1, 0, 0));
  resp = OfType(c.Flush().messages, MSG_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_EQ(resp[0].to(), 3u);
  EXPECT_TRUE(resp[0].reject()) << "second vote in term 1";

  // Asking again for the same candidate is answered the same way (a retransmission).
  c.StepOk(VoteRequest(MSG_VOTE, 2, 1, 1, 0, 0));
  resp = OfType(c.Flush().messages, MSG_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_FALSE(resp[0].reject());
  EXPECT_EQ(c.storage->hard_state().vote(), 2u);
}

TEST(VotePerTerm, VoteSurvivesRestart_Sec5_2) {
  LoneCore c = MakeLoneCore({.pre_vote = false});
  c.StepOk(VoteRequest(MSG_VOTE, 2, 1, 1, 0, 0));
  c.Flush();
  c.Restart();
  EXPECT_EQ(c->term(), 1u);
  c.StepOk(VoteRequest(MSG_VOTE, 3, 1, 1, 0, 0));
  std::vector<raftpb::Message> resp = OfType(c.Flush().messages, MSG_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_TRUE(resp[0].reject()) << "the vote for 2 in term 1 was forgotten by the restart";
}

TEST(VotePerTerm, NewTermAllowsANewVote_Sec5_2) {
  LoneCore c = MakeLoneCore({.pre_vote = false});
  c.StepOk(VoteRequest(MSG_VOTE, 2, 1, 1, 0, 0));
  c.Flush();
  c.StepOk(VoteRequest(MSG_VOTE, 3, 1, 2, 0, 0));
  Ready rd = c.Flush();
  std::vector<raftpb::Message> resp = OfType(rd.messages, MSG_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_FALSE(resp[0].reject());
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term(), 2u);
  EXPECT_EQ(rd.hard_state->vote(), 3u);
}

TEST(VotePerTerm, FollowerThatKnowsTheLeaderDoesNotVoteForAnotherInSameTerm_Sec5_2) {
  LoneCore c = MakeLoneCore({.term = 1, .pre_vote = false, .check_quorum = false});
  c.StepOk(Msg(MSG_HEARTBEAT, 2, 1, 1));
  ASSERT_EQ(c->leader(), 2u);
  c.Flush();
  c.StepOk(VoteRequest(MSG_VOTE, 3, 1, 1, 5, 1));
  std::vector<raftpb::Message> resp = OfType(c.Flush().messages, MSG_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_TRUE(resp[0].reject());
}

// ---- 5.4.1: election restriction ----------------------------------------------------------------

// A voter whose log ends with (index 3, term 2).
LoneCore VoterWithLog() {
  return MakeLoneCore({.log_terms = {1, 1, 2}, .term = 2, .pre_vote = false});
}

bool Granted(LoneCore& c, uint64_t last_index, uint64_t last_term) {
  c.StepOk(VoteRequest(MSG_VOTE, 2, 1, 3, last_index, last_term));
  std::vector<raftpb::Message> resp = OfType(c.Flush().messages, MSG_VOTE_RESPONSE);
  EXPECT_EQ(resp.size(), 1u);
  return !resp.empty() && !resp[0].reject();
}

TEST(ElectionRestriction, VoterRejectsCandidateWithLowerLastTermEvenIfLonger_Sec5_4_1) {
  LoneCore c = VoterWithLog();
  EXPECT_FALSE(Granted(c, 10, 1));
  EXPECT_EQ(c.storage->hard_state().vote(), 0u);
}

TEST(ElectionRestriction, VoterRejectsCandidateWithSameLastTermAndShorterLog_Sec5_4_1) {
  LoneCore c = VoterWithLog();
  EXPECT_FALSE(Granted(c, 2, 2));
}

TEST(ElectionRestriction, VoterGrantsCandidateWithHigherLastTermEvenIfShorter_Sec5_4_1) {
  LoneCore c = VoterWithLog();
  EXPECT_TRUE(Granted(c, 1, 3));
}

TEST(ElectionRestriction, VoterGrantsCandidateWithEquallyUpToDateLog_Sec5_4_1) {
  LoneCore c = VoterWithLog();
  EXPECT_TRUE(Granted(c, 3, 2));
}

TEST(ElectionRestriction, MemberMissingCommittedEntryCannotBeElected_Sec5_4_1) {
  // No leader lease here, so that 2 answers 3's requests and only the restriction stops it.
  TestCluster cluster({1, 2, 3}, {.check_quorum = false});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Isolate(3);
  RAFTKV_ASSERT_OK(cluster.Propose(1, "x"));
  ASSERT_EQ(cluster.AppliedData(2), std::vector<std::string>{"x"});
  cluster.Stop(1);
  cluster.Heal();
  // Only 3 times out: it campaigns again and again, and 2 must refuse it every time because
  // 3 lacks the committed "x".
  for (int i = 0; i < 6 * cluster.options().election_tick; ++i) {
    cluster.Tick(3);
    ASSERT_FALSE(cluster.core(3).is_leader()) << "member 3 won without a committed entry";
  }
  std::vector<raftpb::Message> answers = cluster.Sent(MSG_PRE_VOTE_RESPONSE, 2, 3);
  ASSERT_FALSE(answers.empty()) << "3 never asked 2";
  for (const auto& m : answers) EXPECT_TRUE(m.reject());
  // 2 holds everything committed and can win.
  cluster.TickAll(6 * cluster.options().election_tick);
  EXPECT_EQ(cluster.Leader(), 2u);
  EXPECT_EQ(cluster.AppliedData(3), std::vector<std::string>{"x"});
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

// ---- thesis 9.6: pre-vote -----------------------------------------------------------------------

TEST(PreVote, PreCandidateKeepsItsTermAndVote_Thesis9_6) {
  LoneCore c = MakeLoneCore({.log_terms = {1}, .term = 1, .vote = 2});
  ASSERT_GT(TicksUntilCampaign(c, 20), 0);
  EXPECT_EQ(c->role(), Role::kPreCandidate);
  EXPECT_EQ(c->term(), 1u);
  Ready rd = c.Flush();
  EXPECT_FALSE(rd.hard_state.has_value()) << "a pre-vote changes nothing durable";
  EXPECT_FALSE(rd.must_sync);
  EXPECT_EQ(c.storage->hard_state().vote(), 2u);
  std::vector<raftpb::Message> pv = OfType(rd.messages, MSG_PRE_VOTE);
  ASSERT_EQ(pv.size(), 2u);
  for (const auto& m : pv) {
    EXPECT_EQ(m.term(), 2u) << "asks for the term it would stand in";
    EXPECT_EQ(m.index(), 1u);
    EXPECT_EQ(m.log_term(), 1u);
  }
  EXPECT_TRUE(OfType(rd.messages, MSG_VOTE).empty());
}

TEST(PreVote, GrantingAPreVoteChangesNeitherTermNorVote_Thesis9_6) {
  LoneCore c = MakeLoneCore({.log_terms = {1}, .term = 1});
  c.StepOk(VoteRequest(MSG_PRE_VOTE, 2, 1, 2, 1, 1));
  EXPECT_EQ(c->term(), 1u);
  Ready rd = c.Flush();
  EXPECT_FALSE(rd.hard_state.has_value());
  std::vector<raftpb::Message> resp = OfType(rd.messages, MSG_PRE_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_FALSE(resp[0].reject());
  EXPECT_EQ(resp[0].term(), 2u);
  // Still free to grant a real vote to someone else in term 2.
  c.StepOk(VoteRequest(MSG_VOTE, 3, 1, 2, 1, 1));
  resp = OfType(c.Flush().messages, MSG_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_FALSE(resp[0].reject());
}

TEST(PreVote, PreVoteIsSubjectToTheElectionRestriction_Thesis9_6) {
  LoneCore c = MakeLoneCore({.log_terms = {1, 2}, .term = 2});
  c.StepOk(VoteRequest(MSG_PRE_VOTE, 2, 1, 3, 5, 1));
  std::vector<raftpb::Message> resp = OfType(c.Flush().messages, MSG_PRE_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_TRUE(resp[0].reject());
  EXPECT_EQ(c->term(), 2u);
}

TEST(PreVote, PreCandidateWithMajorityStartsTheRealElection_Thesis9_6) {
  LoneCore c = MakeLoneCore({.log_terms = {1}, .term = 1});
  c->Campaign();
  ASSERT_EQ(c->role(), Role::kPreCandidate);
  c.Flush();
  c.StepOk(Msg(MSG_PRE_VOTE_RESPONSE, 2, 1, 2));
  EXPECT_EQ(c->role(), Role::kCandidate);
  EXPECT_EQ(c->term(), 2u);
  Ready rd = c.Flush();
  EXPECT_EQ(OfType(rd.messages, MSG_VOTE).size(), 2u);
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->vote(), 1u);
}

TEST(PreVote, PartitionedMemberRejoiningDoesNotRaiseTermOrDeposeLeader_Thesis9_6) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t term = cluster.core(1).term();
  cluster.Isolate(3);
  cluster.TickAll(10 * cluster.options().election_tick);
  EXPECT_EQ(cluster.core(3).term(), term) << "an isolated pre-candidate must not raise its term";
  EXPECT_FALSE(cluster.Sent(MSG_PRE_VOTE, 3).empty()) << "3 did try to campaign";
  EXPECT_TRUE(cluster.Sent(MSG_VOTE, 3).empty());
  cluster.Heal();
  cluster.TickAll(4 * cluster.options().election_tick);
  EXPECT_EQ(cluster.Leader(), 1u);
  for (uint64_t id : {1, 2, 3}) EXPECT_EQ(cluster.core(id).term(), term) << "member " << id;
  EXPECT_EQ(cluster.core(3).leader(), 1u);
  RAFTKV_ASSERT_OK(cluster.Propose(1, "after"));
  EXPECT_EQ(cluster.AppliedData(3), std::vector<std::string>{"after"});
}

// Control for the test above: without pre-vote and check-quorum, the same partition does
// disrupt the cluster, so the test above can tell the difference.
TEST(PreVote, WithoutPreVoteRejoiningMemberForcesANewTerm_Thesis9_6) {
  TestCluster cluster({1, 2, 3}, {.pre_vote = false, .check_quorum = false});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t term = cluster.core(1).term();
  cluster.Isolate(3);
  cluster.TickAll(10 * cluster.options().election_tick);
  EXPECT_GT(cluster.core(3).term(), term);
  cluster.Heal();
  cluster.TickAll(4 * cluster.options().election_tick);
  EXPECT_GT(cluster.core(1).term(), term) << "the old leader was deposed";
}

// ---- thesis 6.2: check-quorum -------------------------------------------------------------------

TEST(CheckQuorum, LeaderCutOffFromMajorityStepsDown_Thesis6_2) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Isolate(1);
  // Within two election timeouts (one to notice, one full round without contact).
  cluster.Tick(1, 2 * cluster.options().election_tick);
  EXPECT_EQ(cluster.core(1).role(), Role::kFollower);
  EXPECT_EQ(cluster.core(1).leader(), 0u);
}

TEST(CheckQuorum, LeaderInContactWithMajorityStaysLeader_Thesis6_2) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t term = cluster.core(1).term();
  cluster.Isolate(3);
  cluster.TickAll(10 * cluster.options().election_tick);
  EXPECT_TRUE(cluster.core(1).is_leader());
  EXPECT_EQ(cluster.core(1).term(), term);
}

TEST(CheckQuorum, WithoutCheckQuorumIsolatedLeaderStaysLeader_Thesis6_2) {
  TestCluster cluster({1, 2, 3}, {.check_quorum = false});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Isolate(1);
  cluster.Tick(1, 5 * cluster.options().election_tick);
  EXPECT_TRUE(cluster.core(1).is_leader());
}

TEST(CheckQuorum, FollowerInLeaseIgnoresVoteRequests_Thesis6_2) {
  LoneCore c = MakeLoneCore({.log_terms = {1}, .term = 1});
  c.StepOk(Msg(MSG_HEARTBEAT, 2, 1, 1));
  ASSERT_EQ(c->leader(), 2u);
  c.Flush();
  c.StepOk(VoteRequest(MSG_VOTE, 3, 1, 2, 5, 1));
  c.StepOk(VoteRequest(MSG_PRE_VOTE, 3, 1, 2, 5, 1));
  EXPECT_EQ(c->term(), 1u);
  EXPECT_EQ(c->leader(), 2u);
  Ready rd = c.Flush();
  EXPECT_TRUE(OfType(rd.messages, MSG_VOTE_RESPONSE).empty());
  EXPECT_TRUE(OfType(rd.messages, MSG_PRE_VOTE_RESPONSE).empty());
  EXPECT_FALSE(rd.hard_state.has_value());
}

TEST(CheckQuorum, FollowerPastItsLeaseConsidersVoteRequests_Thesis6_2) {
  LoneCore c = MakeLoneCore({.log_terms = {1}, .term = 1});
  c.StepOk(Msg(MSG_HEARTBEAT, 2, 1, 1));
  for (int i = 0; i < 10; ++i) c->Tick();  // one election_tick without news from the leader
  c.Flush();
  c.StepOk(VoteRequest(MSG_VOTE, 3, 1, 2, 5, 1));
  EXPECT_EQ(c->term(), 2u);
  std::vector<raftpb::Message> resp = OfType(c.Flush().messages, MSG_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_FALSE(resp[0].reject());
}

}  // namespace
}  // namespace raftkv::raft::test
