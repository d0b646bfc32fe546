// Log replication: the AppendEntries consistency check and conflict truncation (paper 5.3), fast
// backtracking, the commitment rule (5.4.2, Figure 8), the leader's own durability (thesis
// 10.2.1), proposals and their forwarding, and restart from storage (Figure 2).
#include <gtest/gtest.h>

#include "raft/core.h"
#include "tests/raft/test_cluster.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

using raftpb::MSG_APPEND;
using raftpb::MSG_APPEND_RESPONSE;
using raftpb::MSG_PROPOSE;

raftpb::Message Append(uint64_t from, uint64_t to, uint64_t term, uint64_t prev_index,
                       uint64_t prev_term, const std::vector<raftpb::Entry>& ents,
                       uint64_t commit) {
  raftpb::Message m = Msg(MSG_APPEND, from, to, term);
  m.set_index(prev_index);
  m.set_log_term(prev_term);
  m.set_commit(commit);
  AddEntries(&m, ents);
  return m;
}

// The single append response in `rd`.
raftpb::Message OnlyAppendResponse(const Ready& rd) {
  std::vector<raftpb::Message> resp = OfType(rd.messages, MSG_APPEND_RESPONSE);
  EXPECT_EQ(resp.size(), 1u);
  return resp.empty() ? raftpb::Message() : resp[0];
}

std::vector<uint64_t> Terms(const MemoryStorage& s) {
  std::vector<uint64_t> out;
  for (uint64_t i = s.FirstIndex(); i <= s.LastIndex(); ++i) out.push_back(*s.Term(i));
  return out;
}

// ---- 5.3: log matching --------------------------------------------------------------------------

TEST(LogReplication, LeaderReplicatesProposalsToEveryMemberInOrder_Sec5_3) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  for (const char* d : {"a", "b", "c"}) RAFTKV_ASSERT_OK(cluster.Propose(1, d));
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(cluster.AppliedData(id), (std::vector<std::string>{"a", "b", "c"})) << id;
  }
  RAFTKV_EXPECT_OK(cluster.CheckLogMatching());
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

TEST(LogMatching, FollowerRejectsAppendWhosePrevEntryIsMissing_Sec5_3) {
  LoneCore c = MakeLoneCore({.log_terms = {1, 1}, .term = 1});
  c.StepOk(Append(2, 1, 1, 3, 1, {Ent(4, 1)}, 0));
  Ready rd = c.Flush();
  EXPECT_TRUE(rd.entries.empty());
  raftpb::Message resp = OnlyAppendResponse(rd);
  EXPECT_TRUE(resp.reject());
  EXPECT_EQ(resp.index(), 3u);
  EXPECT_EQ(c->log().LastIndex(), 2u);
}

TEST(LogMatching, FollowerRejectsAppendWhosePrevTermDiffers_Sec5_3) {
  LoneCore c = MakeLoneCore({.log_terms = {1, 1}, .term = 2});
  c.StepOk(Append(2, 1, 2, 2, 2, {Ent(3, 2)}, 0));
  Ready rd = c.Flush();
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_TRUE(OnlyAppendResponse(rd).reject());
  EXPECT_EQ(Terms(*c.storage), (std::vector<uint64_t>{1, 1}));
}

TEST(LogMatching, FollowerAppendsAfterMatchingPrevEntryAndAcksLastNewIndex_Sec5_3) {
  LoneCore c = MakeLoneCore({.log_terms = {1, 1}, .term = 2});
  c.StepOk(Append(2, 1, 2, 2, 1, {Ent(3, 2), Ent(4, 2)}, 0));
  Ready rd = c.Flush();
  ASSERT_EQ(rd.entries.size(), 2u);
  EXPECT_EQ(rd.entries[0].index(), 3u);
  EXPECT_TRUE(rd.must_sync);
  raftpb::Message resp = OnlyAppendResponse(rd);
  EXPECT_FALSE(resp.reject());
  EXPECT_EQ(resp.index(), 4u);
  EXPECT_EQ(Terms(*c.storage), (std::vector<uint64_t>{1, 1, 2, 2}));
}

TEST(LogMatching, ConflictingSuffixIsDeletedAndReplaced_Sec5_3) {
  // Entries 3 and 4 of term 1 were never committed; the leader of term 2 has 3:2 instead.
  LoneCore c = MakeLoneCore({.log_terms = {1, 1, 1, 1}, .term = 2, .commit = 1});
  c.StepOk(Append(2, 1, 2, 1, 1, {Ent(2, 1, "e2"), Ent(3, 2, "new3")}, 1));
  Ready rd = c.Flush();
  // Only what changes is handed out: the first conflicting entry and what follows.
  ASSERT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(rd.entries[0].index(), 3u);
  EXPECT_EQ(rd.entries[0].term(), 2u);
  EXPECT_EQ(Terms(*c.storage), (std::vector<uint64_t>{1, 1, 2}));
  EXPECT_EQ(c->log().LastIndex(), 3u);
  EXPECT_EQ(OnlyAppendResponse(rd).index(), 3u);
}

TEST(LogMatching, AppendOfEntriesAlreadyHeldDoesNotTruncateTheLog_Sec5_3) {
  // A delayed, duplicated append covering a prefix of what we have must not delete the rest:
  // only a *conflicting* entry triggers truncation.
  LoneCore c = MakeLoneCore({.log_terms = {1, 1, 1, 1}, .term = 1});
  c.StepOk(Append(2, 1, 1, 1, 1, {Ent(2, 1, "e2")}, 0));
  Ready rd = c.Flush();
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_FALSE(OnlyAppendResponse(rd).reject());
  EXPECT_EQ(c->log().LastIndex(), 4u);
  EXPECT_EQ(Terms(*c.storage), (std::vector<uint64_t>{1, 1, 1, 1}));
}

TEST(LogMatching, FollowerCommitIsMinOfLeaderCommitAndLastNewEntry_Sec5_3) {
  // Figure 2: "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last
  // new entry)". Entries 3 and 4 were not verified by this append: they may be stale.
  LoneCore c = MakeLoneCore({.log_terms = {1, 1, 1, 1}, .term = 2});
  c.StepOk(Append(2, 1, 2, 1, 1, {Ent(2, 1, "e2")}, 4));
  EXPECT_EQ(c->log().committed(), 2u);
}

TEST(LogMatching, FollowerAheadOfLeaderCommitDoesNotMoveCommitBackwards_Sec5_3) {
  LoneCore c = MakeLoneCore({.log_terms = {1, 1, 1}, .term = 1, .commit = 3});
  c.StepOk(Append(2, 1, 1, 3, 1, {}, 1));
  EXPECT_EQ(c->log().committed(), 3u);
}

// Figure 7 of the paper: the leader of term 8 and six followers (a)-(f) with missing, extra
// and conflicting entries.
const std::vector<uint64_t> kFig7Leader = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
const std::map<uint64_t, std::vector<uint64_t>> kFig7Followers = {
    {2, {1, 1, 1, 4, 4, 5, 5, 6, 6}},           // (a) missing one entry
    {3, {1, 1, 1, 4}},                          // (b) missing many
    {4, {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}},     // (c) one extra uncommitted entry
    {5, {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}},  // (d) extra entries of term 7
    {6, {1, 1, 1, 4, 4, 4, 4}},                 // (e) conflicting term-4 entries
    {7, {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}},     // (f) conflicting terms 2 and 3
};

TestCluster Figure7Cluster() {
  TestCluster cluster({1, 2, 3, 4, 5, 6, 7});
  cluster.SetLog(1, kFig7Leader, 7, 0);
  for (const auto& [id, terms] : kFig7Followers) cluster.SetLog(id, terms, 7, 0);
  return cluster;
}

TEST(LogMatching, LeaderBringsDivergentFollowerLogsIntoAgreement_Fig7_Sec5_3) {
  TestCluster cluster = Figure7Cluster();
  ASSERT_TRUE(cluster.Elect(1));
  ASSERT_EQ(cluster.core(1).term(), 8u);
  cluster.TickAll(1);  // followers that matched last learn the commit index from a heartbeat
  std::vector<uint64_t> expected = kFig7Leader;
  expected.push_back(8);  // the new leader's no-op
  for (uint64_t id = 1; id <= 7; ++id) {
    EXPECT_EQ(cluster.StoredTerms(id), expected) << "member " << id;
    EXPECT_EQ(cluster.core(id).log().committed(), 11u) << "member " << id;
  }
  RAFTKV_EXPECT_OK(cluster.CheckLogMatching());
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

// ---- fast backtracking --------------------------------------------------------------------------

TEST(FastBacktracking, RejectionCarriesHintOfLastEntryWithTermAtMostPrevTerm) {
  // Follower (f) of Figure 7 receives the term-8 leader's first append (prev = 10, term 6).
  LoneCore c = MakeLoneCore({.id = 7,
                             .voters = {1, 2, 3, 4, 5, 6, 7},
                             .log_terms = {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},
                             .term = 7});
  c.StepOk(Append(1, 7, 8, 10, 6, {Ent(11, 8)}, 0));
  raftpb::Message resp = OnlyAppendResponse(c.Flush());
  EXPECT_TRUE(resp.reject());
  EXPECT_EQ(resp.index(), 10u);
  EXPECT_EQ(resp.reject_hint(), 10u);
  EXPECT_EQ(resp.log_term(), 3u);
}

TEST(FastBacktracking, HintBeyondShortLogPointsAtItsLastEntry) {
  LoneCore c = MakeLoneCore({.log_terms = {1, 1, 1, 4}, .term = 7});
  c.StepOk(Append(2, 1, 8, 10, 6, {Ent(11, 8)}, 0));
  raftpb::Message resp = OnlyAppendResponse(c.Flush());
  EXPECT_TRUE(resp.reject());
  EXPECT_EQ(resp.reject_hint(), 4u);
  EXPECT_EQ(resp.log_term(), 4u);
}

TEST(FastBacktracking, LeaderSkipsAWholeTermPerRoundTrip_Fig7) {
  TestCluster cluster = Figure7Cluster();
  ASSERT_TRUE(cluster.Elect(1));
  // (f): one rejection, then the leader jumps straight to index 3 (the last entry of term <= 3
  // in its own log) instead of walking back one entry at a time from 10.
  std::vector<raftpb::Message> to_f = cluster.Sent(MSG_APPEND, 1, 7);
  ASSERT_GE(to_f.size(), 2u);
  EXPECT_EQ(to_f[0].index(), 10u);
  EXPECT_EQ(to_f[1].index(), 3u);
  EXPECT_EQ(to_f[1].log_term(), 1u);
  int rejections = 0;
  for (const auto& m : cluster.Sent(MSG_APPEND_RESPONSE, 7, 1)) rejections += m.reject();
  EXPECT_EQ(rejections, 1);
  // (e): hint (7, term 4); the leader's last entry of term <= 4 is index 5.
  std::vector<raftpb::Message> to_e = cluster.Sent(MSG_APPEND, 1, 6);
  ASSERT_GE(to_e.size(), 2u);
  EXPECT_EQ(to_e[1].index(), 5u);
  EXPECT_EQ(to_e[1].log_term(), 4u);
}

// ---- 5.4.2: committing entries from previous terms (Figure 8) -----------------------------------

// Figure 8 (c): S1 is leader of term 4 and holds index 2 of term 2; S5 holds a conflicting
// index 2 of term 3. The filter strips S1's own term-4 entries from its appends, so index 2 of
// term 2 reaches every follower while nothing of term 4 does.
void BuildFigure8(TestCluster& cluster) {
  cluster.SetLog(1, {1, 2}, 3, 1);
  cluster.SetLog(2, {1, 2}, 3, 1);
  cluster.SetLog(3, {1}, 3, 1);
  cluster.SetLog(4, {1}, 3, 1);
  cluster.SetLog(5, {1, 3}, 3, 1);
  cluster.SetFilter([](raftpb::Message& m) {
    if (m.type() != MSG_APPEND) return true;
    auto* ents = m.mutable_entries();
    while (!ents->empty() && ents->at(ents->size() - 1).term() == 4) ents->RemoveLast();
    return true;
  });
}

TEST(Commitment, LeaderDoesNotCommitPriorTermEntryByCountingReplicas_Fig8_Sec5_4_2) {
  TestCluster cluster({1, 2, 3, 4, 5});
  BuildFigure8(cluster);
  ASSERT_TRUE(cluster.Elect(1));
  ASSERT_EQ(cluster.core(1).term(), 4u);
  for (uint64_t id = 2; id <= 5; ++id) {
    ASSERT_EQ(cluster.core(1).tracker().Get(id)->match, 2u) << "member " << id;
    ASSERT_EQ(cluster.StoredTerms(id), (std::vector<uint64_t>{1, 2})) << "member " << id;
  }
  // Index 2 is on all five members, but it is of term 2: not committed by counting replicas.
  EXPECT_EQ(cluster.core(1).log().committed(), 1u);
  for (uint64_t id = 1; id <= 5; ++id) {
    EXPECT_EQ(cluster.member(id).applied_index, 1u) << "member " << id;
  }
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

TEST(Commitment, PriorTermEntryCommitsIndirectlyWithCurrentTermEntry_Fig8_Sec5_4_2) {
  TestCluster cluster({1, 2, 3, 4, 5});
  BuildFigure8(cluster);
  ASSERT_TRUE(cluster.Elect(1));
  ASSERT_EQ(cluster.core(1).log().committed(), 1u);
  cluster.Heal();
  cluster.TickAll(3);
  // Once the term-4 no-op at index 3 is on a majority, it commits, and index 2 with it.
  EXPECT_EQ(cluster.core(1).log().committed(), 3u);
  for (uint64_t id = 1; id <= 5; ++id) {
    EXPECT_EQ(cluster.member(id).applied_index, 3u) << "member " << id;
    ASSERT_GE(cluster.member(id).applied.size(), 2u);
    EXPECT_EQ(cluster.member(id).applied[1].term(), 2u) << "member " << id;
  }
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

// ---- thesis 10.2.1: the leader's own durability -------------------------------------------------

TEST(LeaderDurability, SingleVoterCommitsOnlyAfterAdvance_Thesis10_2_1) {
  LoneCore c = MakeLoneCore({.voters = {1}});
  c->Campaign();
  ASSERT_TRUE(c->is_leader());
  Ready rd = c->GetReady();
  ASSERT_EQ(rd.entries.size(), 1u) << "the no-op of the new term";
  EXPECT_TRUE(rd.committed_entries.empty());
  EXPECT_EQ(c->log().committed(), 0u) << "counted itself before its entry was persisted";
  RAFTKV_ASSERT_OK(c.storage->Append(rd.entries));
  if (rd.hard_state) c.storage->SetHardState(*rd.hard_state);
  c->Advance();
  EXPECT_EQ(c->log().committed(), 1u);
  rd = c.Flush();
  ASSERT_EQ(rd.committed_entries.size(), 1u);
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->commit(), 1u);
}

TEST(LeaderDurability, OneFollowerAckWithoutLeaderPersistenceDoesNotCommit_Thesis10_2_1) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t before = cluster.core(1).log().committed();
  cluster.Cut(1, 3);
  RAFTKV_ASSERT_OK(cluster.core(1).Propose("x"));
  // The leader hands out its entry and the appends; it may send before its own write completes.
  Ready rd = cluster.core(1).GetReady();
  ASSERT_EQ(rd.entries.size(), 1u);
  std::vector<raftpb::Message> appends = OfType(rd.messages, MSG_APPEND);
  for (const auto& m : appends) {
    if (m.to() == 2) RAFTKV_ASSERT_OK(cluster.Inject(m));
  }
  std::vector<raftpb::Message> from2 = cluster.ProcessReadies();
  cluster.DropInFlight();
  std::vector<raftpb::Message> acks = OfType(from2, MSG_APPEND_RESPONSE);
  ASSERT_EQ(acks.size(), 1u);
  ASSERT_EQ(acks[0].index(), before + 1);
  RAFTKV_ASSERT_OK(cluster.Inject(acks[0]));
  // 1 of 3 acknowledged; the leader's own copy is not durable yet: no majority.
  EXPECT_EQ(cluster.core(1).log().committed(), before);
  RAFTKV_ASSERT_OK(cluster.storage(1).Append(rd.entries));
  if (rd.hard_state) cluster.storage(1).SetHardState(*rd.hard_state);
  cluster.core(1).Advance();
  EXPECT_EQ(cluster.core(1).log().committed(), before + 1);
}

TEST(LeaderDurability, TwoFollowerAcksCommitBeforeLeaderPersists_Thesis10_2_1) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t before = cluster.core(1).log().committed();
  RAFTKV_ASSERT_OK(cluster.core(1).Propose("x"));
  Ready rd = cluster.core(1).GetReady();
  for (const auto& m : OfType(rd.messages, MSG_APPEND)) RAFTKV_ASSERT_OK(cluster.Inject(m));
  std::vector<raftpb::Message> acks = OfType(cluster.ProcessReadies(), MSG_APPEND_RESPONSE);
  cluster.DropInFlight();
  ASSERT_EQ(acks.size(), 2u);
  for (const auto& m : acks) RAFTKV_ASSERT_OK(cluster.Inject(m));
  // A majority of followers suffices; the entry is committed...
  EXPECT_EQ(cluster.core(1).log().committed(), before + 1);
  RAFTKV_ASSERT_OK(cluster.storage(1).Append(rd.entries));
  if (rd.hard_state) cluster.storage(1).SetHardState(*rd.hard_state);
  cluster.core(1).Advance();
  // ...but handed to the leader's state machine only once it is durable locally.
  Ready next = cluster.core(1).GetReady();
  ASSERT_FALSE(next.committed_entries.empty());
  EXPECT_EQ(next.committed_entries.back().data(), "x");
  cluster.core(1).Advance();
}

TEST(ReadyContract, CommittedEntriesAreHandedOutOnlyOnceDurable_Thesis10_2_1) {
  LoneCore c = MakeLoneCore({.term = 1});
  c.StepOk(Append(2, 1, 1, 0, 0, {Ent(1, 1, "a"), Ent(2, 1, "b")}, 2));
  EXPECT_EQ(c->log().committed(), 2u);
  Ready rd = c.Flush();
  EXPECT_EQ(rd.entries.size(), 2u);
  EXPECT_TRUE(rd.committed_entries.empty()) << "entries not yet persisted were handed to apply";
  rd = c.Flush();
  ASSERT_EQ(rd.committed_entries.size(), 2u);
  EXPECT_EQ(rd.committed_entries[1].data(), "b");
}

TEST(ReadyContract, AppendAckLeavesInTheReadyThatPersistsTheEntries_Rule1) {
  LoneCore c = MakeLoneCore({.term = 1});
  c.StepOk(Append(2, 1, 1, 0, 0, {Ent(1, 1, "a")}, 0));
  Ready rd = c.Flush();
  // The ack is in the same Ready as the entries it acknowledges, which the application must
  // persist (and sync) before sending it.
  EXPECT_EQ(rd.entries.size(), 1u);
  EXPECT_TRUE(rd.must_sync);
  EXPECT_EQ(OnlyAppendResponse(rd).index(), 1u);
}

// ---- proposals ----------------------------------------------------------------------------------

TEST(Proposal, FollowerForwardsProposalToLeader_Rule3) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.Propose(2, "via-follower"));
  std::vector<raftpb::Message> fwd = cluster.Sent(MSG_PROPOSE, 2, 1);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].entries(0).data(), "via-follower");
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(cluster.AppliedData(id), std::vector<std::string>{"via-follower"}) << id;
  }
}

TEST(Proposal, BatchIsAppendedInOrderAndReplicatedInOneAppendPerFollower_Sec5_3) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Deliver();
  const uint64_t last = cluster.core(1).log().LastIndex();
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeBatch({"a", "b", "c"}));
  EXPECT_EQ(cluster.core(1).log().LastIndex(), last + 3);
  std::vector<raftpb::Message> appends = cluster.ProcessReadies();
  for (uint64_t to : {2, 3}) {
    int count = 0;
    for (const raftpb::Message& m : appends) {
      if (m.type() != MSG_APPEND || m.to() != to) continue;
      ++count;
      ASSERT_EQ(m.entries_size(), 3) << "to " << to;
      EXPECT_EQ(m.entries(0).data(), "a");
      EXPECT_EQ(m.entries(2).data(), "c");
    }
    EXPECT_EQ(count, 1) << "to " << to;
  }
  cluster.Deliver();  // the appends above are queued already
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(cluster.AppliedData(id), (std::vector<std::string>{"a", "b", "c"})) << id;
  }
}

TEST(Proposal, FollowerForwardsABatchInOneMessageAndWithoutALeaderDropsAllOfIt_Rule3) {
  TestCluster cluster({1, 2, 3});
  Status dropped = cluster.core(2).ProposeBatch({"x", "y"});
  EXPECT_EQ(dropped.code(), StatusCode::kProposalDropped) << dropped.ToString();
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(2).ProposeBatch({"p", "q"}));
  cluster.Deliver();
  std::vector<raftpb::Message> fwd = cluster.Sent(MSG_PROPOSE, 2, 1);
  ASSERT_EQ(fwd.size(), 1u);
  ASSERT_EQ(fwd[0].entries_size(), 2);
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(cluster.AppliedData(id), (std::vector<std::string>{"p", "q"})) << id;
  }
}

TEST(Proposal, DroppedWhenNoLeaderIsKnown) {
  TestCluster cluster({1, 2, 3});
  Status s = cluster.core(1).Propose("x");
  EXPECT_EQ(s.code(), StatusCode::kProposalDropped) << s.ToString();
  EXPECT_FALSE(cluster.core(1).HasReady());
}

TEST(Proposal, CandidateDropsProposals) {
  LoneCore c = MakeLoneCore({.pre_vote = false});
  c->Campaign();
  ASSERT_EQ(c->role(), Role::kCandidate);
  Status s = c->Propose("x");
  EXPECT_EQ(s.code(), StatusCode::kProposalDropped) << s.ToString();
  EXPECT_EQ(c->log().LastIndex(), 0u);
}

TEST(Proposal, LeaderAppendsProposalInItsTermAfterItsLog_Sec5_3) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t last = cluster.core(1).log().LastIndex();
  RAFTKV_ASSERT_OK(cluster.core(1).Propose("x"));
  EXPECT_EQ(cluster.core(1).log().LastIndex(), last + 1);
  EXPECT_EQ(cluster.core(1).log().TermOrZero(last + 1), cluster.core(1).term());
  cluster.Deliver();
}

// ---- Figure 2: restart from persistent state ----------------------------------------------------

TEST(Restart, MemberKeepsTermVoteAndLog_Fig2) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.Propose(1, "a"));
  RAFTKV_ASSERT_OK(cluster.Propose(1, "b"));
  const CoreStatus before = cluster.core(2).GetStatus();
  const uint64_t vote = cluster.storage(2).hard_state().vote();
  cluster.Restart(2);
  const CoreStatus after = cluster.core(2).GetStatus();
  EXPECT_EQ(after.hard_state.term(), before.hard_state.term());
  EXPECT_EQ(after.hard_state.vote(), vote);
  EXPECT_EQ(after.hard_state.commit(), before.hard_state.commit());
  EXPECT_EQ(after.last_index, before.last_index);
  EXPECT_EQ(after.applied, before.applied);
  EXPECT_EQ(after.soft_state.role, Role::kFollower);
  // It rejoins and goes on applying where it stopped, without applying anything twice (the
  // harness reports a re-applied index as an error).
  RAFTKV_ASSERT_OK(cluster.Propose(1, "c"));
  EXPECT_EQ(cluster.AppliedData(2), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

TEST(Restart, CommittedEntriesAboveAppliedAreHandedOutAgain_Fig2) {
  LoneCore c = MakeLoneCore({.log_terms = {1, 1, 1}, .term = 1, .commit = 3, .applied = 1});
  EXPECT_EQ(c->log().committed(), 3u);
  Ready rd = c.Flush();
  ASSERT_EQ(rd.committed_entries.size(), 2u);
  EXPECT_EQ(rd.committed_entries[0].index(), 2u);
  EXPECT_EQ(rd.committed_entries[1].index(), 3u);
}

TEST(Restart, LeaderComesBackAsFollowerOfItsTerm_Fig2) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  const uint64_t term = cluster.core(1).term();
  cluster.Restart(1);
  EXPECT_EQ(cluster.core(1).role(), Role::kFollower);
  EXPECT_EQ(cluster.core(1).term(), term);
  EXPECT_EQ(cluster.storage(1).hard_state().vote(), 1u);
}

}  // namespace
}  // namespace raftkv::raft::test
