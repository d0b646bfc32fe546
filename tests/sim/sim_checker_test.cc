// Each rule of SimChecker, fed a synthetic history that breaks it, must report that rule (and a
// history that keeps it must not). A check that cannot fail protects nothing.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "raft/memory_storage.h"
#include "tests/sim/sim_checker.h"

namespace raftkv::sim {
namespace {

raftpb::ConfState Voters(std::initializer_list<uint64_t> ids) {
  raftpb::ConfState cs;
  for (uint64_t id : ids) cs.add_voters(id);
  return cs;
}

raftpb::Entry MakeEntry(uint64_t index, uint64_t term, std::string data = "") {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(std::move(data));
  return e;
}

raftpb::HardState Hs(uint64_t term, uint64_t vote, uint64_t commit = 0) {
  raftpb::HardState hs;
  hs.set_term(term);
  hs.set_vote(vote);
  hs.set_commit(commit);
  return hs;
}

// A core's log for CoreView: index -> term (indexes 1..n).
struct FakeLog {
  std::vector<uint64_t> terms;  // terms[i - 1] is the term of index i
  CoreView View(uint64_t id, uint64_t term, bool leader, uint64_t committed) const {
    CoreView v;
    v.id = id;
    v.term = term;
    v.leader = leader;
    v.committed = committed;
    v.first_index = 1;
    v.last_index = terms.size();
    v.term_at = [this](uint64_t i) -> StatusOr<uint64_t> {
      if (i == 0) return uint64_t{0};
      if (i > terms.size()) return Status::Unavailable("beyond");
      return terms[i - 1];
    };
    return v;
  }
};

class SimCheckerTest : public ::testing::Test {
 protected:
  SimCheckerTest() : checker_(0, Voters({1, 2, 3})) {}
  std::string Rule() const { return checker_.failed() ? checker_.violation()->rule : "none"; }

  SimChecker checker_;
};

TEST_F(SimCheckerTest, TwoLeadersInOneTerm) {
  FakeLog log{{1}};
  checker_.ObserveCore(log.View(1, 2, true, 0));
  checker_.ObserveCore(log.View(1, 2, true, 0));  // the same leader again: fine
  checker_.ObserveCore(log.View(2, 3, true, 0));  // another term: fine
  EXPECT_FALSE(checker_.failed());
  checker_.ObserveCore(log.View(3, 2, true, 0));
  EXPECT_EQ(Rule(), kElectionSafety);
}

TEST_F(SimCheckerTest, VoteChangedWithinATerm) {
  raft::MemoryStorage st;
  checker_.OnPersisted(3, Hs(4, 0), Hs(4, 1), {}, st);
  checker_.OnPersisted(3, Hs(4, 1), Hs(5, 2), {}, st);  // new term, new vote: fine
  EXPECT_FALSE(checker_.failed());
  checker_.OnPersisted(3, Hs(5, 2), Hs(5, 1), {}, st);
  EXPECT_EQ(Rule(), kElectionSafety);
}

TEST_F(SimCheckerTest, VoteGrantedBeforeItIsPersisted) {
  raft::MemoryStorage st;
  st.SetHardState(Hs(4, 1));
  raftpb::Message m;
  m.set_type(raftpb::MSG_VOTE_RESPONSE);
  m.set_from(3);
  m.set_to(1);
  m.set_term(4);
  checker_.OnSend(3, m, st);  // matches the persisted vote
  EXPECT_FALSE(checker_.failed());
  m.set_to(2);
  checker_.OnSend(3, m, st);
  EXPECT_EQ(Rule(), kElectionSafety);
}

TEST_F(SimCheckerTest, AppendAckBeyondPersistedLog) {
  raft::MemoryStorage st;
  ASSERT_TRUE(st.Append({MakeEntry(1, 1), MakeEntry(2, 1)}).ok());
  raftpb::Message m;
  m.set_type(raftpb::MSG_APPEND_RESPONSE);
  m.set_from(2);
  m.set_to(1);
  m.set_term(1);
  m.set_index(2);
  checker_.OnSend(2, m, st);
  EXPECT_FALSE(checker_.failed());
  m.set_index(3);
  checker_.OnSend(2, m, st);
  EXPECT_EQ(Rule(), kDurability);
}

TEST_F(SimCheckerTest, SameIndexAndTermDifferentContent) {
  raft::MemoryStorage a;
  raft::MemoryStorage b;
  std::vector<raftpb::Entry> ea = {MakeEntry(1, 1, "x")};
  std::vector<raftpb::Entry> eb = {MakeEntry(1, 1, "y")};
  ASSERT_TRUE(a.Append(ea).ok());
  ASSERT_TRUE(b.Append(eb).ok());
  checker_.OnPersisted(1, Hs(1, 1), Hs(1, 1), ea, a);
  checker_.OnPersisted(2, Hs(1, 1), Hs(1, 1), ea, a);
  EXPECT_FALSE(checker_.failed());
  checker_.OnPersisted(3, Hs(1, 1), Hs(1, 1), eb, b);
  EXPECT_EQ(Rule(), kLogMatching);
}

TEST_F(SimCheckerTest, SameIndexAndTermDifferentPredecessor) {
  raft::MemoryStorage a;
  raft::MemoryStorage b;
  ASSERT_TRUE(a.Append({MakeEntry(1, 1), MakeEntry(2, 3)}).ok());
  ASSERT_TRUE(b.Append({MakeEntry(1, 2), MakeEntry(2, 3)}).ok());
  checker_.OnPersisted(1, Hs(3, 1), Hs(3, 1), {MakeEntry(2, 3)}, a);
  EXPECT_FALSE(checker_.failed());
  checker_.OnPersisted(2, Hs(3, 1), Hs(3, 1), {MakeEntry(2, 3)}, b);
  EXPECT_EQ(Rule(), kLogMatching);
}

TEST_F(SimCheckerTest, NewLeaderMissingACommittedEntry) {
  FakeLog full{{1, 1, 2}};
  checker_.ObserveCore(full.View(1, 2, true, 3));  // n1 leads term 2 and commits 1..3
  FakeLog good{{1, 1, 2, 3}};
  checker_.ObserveCore(good.View(2, 3, true, 0));
  EXPECT_FALSE(checker_.failed());
  FakeLog short_log{{1, 1}};
  checker_.ObserveCore(short_log.View(3, 4, true, 0));
  EXPECT_EQ(Rule(), kLeaderCompleteness);
}

TEST_F(SimCheckerTest, LateLeaderOfAnOlderTermNeedNotHaveNewerCommits) {
  // Entries committed in term 5 need not be in the log of a (delayed) leader of term 4.
  FakeLog newer{{1, 5}};
  checker_.ObserveCore(newer.View(1, 5, true, 2));
  FakeLog older{{1}};
  checker_.ObserveCore(older.View(2, 4, true, 0));
  EXPECT_FALSE(checker_.failed()) << checker_.violation()->detail;
}

TEST_F(SimCheckerTest, DifferentEntriesAppliedAtOneIndex) {
  FakeLog log{{1}};
  checker_.ObserveCore(log.View(1, 1, true, 1));
  Command a{"k", "a", "w1"};
  Command b{"k", "b", "w2"};
  checker_.OnApplied(1, 1, MakeEntry(1, 1, "put k a w1"), &a, 11);
  checker_.OnApplied(2, 1, MakeEntry(1, 1, "put k a w1"), &a, 11);
  EXPECT_FALSE(checker_.failed());
  checker_.OnApplied(3, 1, MakeEntry(1, 1, "put k b w2"), &b, 12);
  EXPECT_EQ(Rule(), kStateMachineSafety);
}

TEST_F(SimCheckerTest, AppliedWithoutBeingCommitted) {
  Command a{"k", "a", "w1"};
  checker_.OnApplied(1, 1, MakeEntry(1, 1, "put k a w1"), &a, 11);
  EXPECT_EQ(Rule(), kStateMachineSafety);
}

TEST_F(SimCheckerTest, StaleReadIndex) {
  FakeLog log{{1, 1, 1}};
  checker_.ObserveCore(log.View(1, 1, true, 3));
  Command a{"k", "a", "w1"};
  checker_.OnWriteProposed("w1", 1, 1);
  checker_.OnApplied(1, 1, MakeEntry(3, 1, "put k a w1"), &a, 11);  // acknowledged at index 3
  ASSERT_EQ(checker_.max_completed_write(), 3u);
  checker_.OnReadStarted("r1", 2, "k");
  checker_.OnReadState(2, raft::ReadState{3, "r1"});
  checker_.OnReadServed(2, "r1", 3, "a");
  EXPECT_FALSE(checker_.failed());
  checker_.OnReadStarted("r2", 2, "k");
  checker_.OnReadState(2, raft::ReadState{2, "r2"});
  EXPECT_EQ(Rule(), kLinearizableRead);
}

TEST_F(SimCheckerTest, ReadReturnsWrongValue) {
  FakeLog log{{1}};
  checker_.ObserveCore(log.View(1, 1, true, 1));
  Command a{"k", "a", "w1"};
  checker_.OnApplied(1, 1, MakeEntry(1, 1, "put k a w1"), &a, 11);
  checker_.OnReadStarted("r1", 1, "k");
  checker_.OnReadState(1, raft::ReadState{1, "r1"});
  checker_.OnReadServed(1, "r1", 1, "stale");
  EXPECT_EQ(Rule(), kLinearizableRead);
}

TEST_F(SimCheckerTest, DivergentMembership) {
  raftpb::ConfState a = Voters({1, 2, 3});
  a.add_learners(4);
  raftpb::ConfState b;
  b.add_learners(4);
  checker_.OnConfApplied(1, 5, a);
  checker_.OnConfApplied(2, 5, a);
  EXPECT_FALSE(checker_.failed());
  checker_.OnConfApplied(4, 5, b);
  EXPECT_EQ(Rule(), kConfiguration);
}

TEST_F(SimCheckerTest, CommitIndexGoingBack) {
  FakeLog log{{1, 1}};
  checker_.ObserveCore(log.View(1, 1, false, 2));
  checker_.ObserveCore(log.View(1, 1, false, 1));
  EXPECT_EQ(Rule(), kCoreInvariant);
}

TEST_F(SimCheckerTest, OnlyTheFirstViolationIsKept) {
  checker_.Fail(kLiveness, "first");
  checker_.Fail(kElectionSafety, "second");
  EXPECT_EQ(Rule(), kLiveness);
  EXPECT_EQ(checker_.violation()->detail, "first");
}

}  // namespace
}  // namespace raftkv::sim
