// Bad input from a peer (DESIGN.md rule 4): a malformed message is rejected with InvalidArgument
// and changes nothing -- not the term, the vote, the leader, the log, nor the output.
#include <gtest/gtest.h>

#include "raft/core.h"
#include "tests/raft/test_cluster.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

using raftpb::MSG_APPEND;

// A follower of leader 2 in term 2 with log {1:1, 2:2}, with nothing pending.
LoneCore Follower() {
  LoneCore c = MakeLoneCore({.log_terms = {1, 2}, .term = 2, .commit = 1});
  c.StepOk(Msg(raftpb::MSG_HEARTBEAT, 2, 1, 2));
  c.Flush();
  c.Flush();
  return c;
}

// Steps `m` and checks that it was rejected as InvalidArgument and left no trace.
void ExpectRejectedAndNothingChanged(const raftpb::Message& m) {
  LoneCore c = Follower();
  ASSERT_FALSE(c->HasReady());
  const CoreStatus before = c->GetStatus();
  Status s = c->Step(m);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  const CoreStatus after = c->GetStatus();
  EXPECT_EQ(after.hard_state.term(), before.hard_state.term());
  EXPECT_EQ(after.hard_state.vote(), before.hard_state.vote());
  EXPECT_EQ(after.hard_state.commit(), before.hard_state.commit());
  EXPECT_EQ(after.soft_state, before.soft_state);
  EXPECT_EQ(after.last_index, before.last_index);
  EXPECT_EQ(after.conf_state.voters_size(), before.conf_state.voters_size());
  EXPECT_FALSE(c->HasReady()) << "a rejected message produced output";
  RAFTKV_EXPECT_OK(c->CheckInvariants());
}

// A well-formed append of the leader of term 5 (higher than the follower's), to be broken.
raftpb::Message GoodAppend() {
  raftpb::Message m = Msg(MSG_APPEND, 2, 1, 5);
  m.set_index(2);
  m.set_log_term(2);
  m.set_commit(3);
  AddEntries(&m, {Ent(3, 5, "x"), Ent(4, 5, "y")});
  return m;
}

TEST(BadInput, WellFormedControlMessageIsAccepted_Rule4) {
  LoneCore c = Follower();
  RAFTKV_ASSERT_OK(c->Step(GoodAppend()));
  EXPECT_EQ(c->term(), 5u);
  EXPECT_EQ(c->log().LastIndex(), 4u);
}

TEST(BadInput, UnknownMessageTypeIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.set_type(raftpb::MSG_UNKNOWN);
  ExpectRejectedAndNothingChanged(m);
  m.set_type(static_cast<raftpb::MessageType>(99));
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, MessageWithoutSenderIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.set_from(0);
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, MessageClaimingToComeFromTheRecipientIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.set_from(1);
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, MessageForAnotherMemberIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.set_to(3);
  ExpectRejectedAndNothingChanged(m);
  m.set_to(0);
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, AppendWithNonContiguousEntriesIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.mutable_entries(1)->set_index(5);
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, AppendWhoseEntriesDoNotFollowPrevIndexIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.set_index(1);
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, AppendWithEntryTermAboveMessageTermIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.mutable_entries(1)->set_term(6);
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, AppendWithEntryOfTermZeroIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.set_log_term(0);
  m.mutable_entries(0)->set_term(0);
  m.mutable_entries(1)->set_term(0);
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, AppendWithDecreasingEntryTermsIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.mutable_entries(0)->set_term(5);
  m.mutable_entries(1)->set_term(3);
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, AppendWithEntryTermBelowPrevLogTermIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.set_log_term(5);
  m.mutable_entries(0)->set_term(4);
  m.mutable_entries(1)->set_term(4);
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, EntryOfUnknownTypeIsRejected_Rule4) {
  raftpb::Message m = GoodAppend();
  m.mutable_entries(0)->set_type(static_cast<raftpb::EntryType>(7));
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, TermBoundMessageWithoutTermIsRejected_Rule4) {
  for (raftpb::MessageType t : {raftpb::MSG_APPEND, raftpb::MSG_HEARTBEAT, raftpb::MSG_VOTE,
                                raftpb::MSG_APPEND_RESPONSE, raftpb::MSG_SNAPSHOT}) {
    raftpb::Message m = Msg(t, 2, 1, 0);
    SCOPED_TRACE(t);
    ExpectRejectedAndNothingChanged(m);
  }
}

TEST(BadInput, SnapshotEndingInATermAboveTheSendersTermIsRejected_Rule4) {
  // A leader of term 5 cannot hold a log entry of term 9: like an append entry above the
  // message term, this is malformed.
  raftpb::Message m = Msg(raftpb::MSG_SNAPSHOT, 2, 1, 5);
  m.mutable_snapshot()->mutable_metadata()->set_index(10);
  m.mutable_snapshot()->mutable_metadata()->set_term(9);
  *m.mutable_snapshot()->mutable_metadata()->mutable_conf_state() = MakeConfState({1, 2, 3});
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, SnapshotWithoutIndexOrTermIsRejected_Rule4) {
  raftpb::Message m = Msg(raftpb::MSG_SNAPSHOT, 2, 1, 5);
  m.mutable_snapshot()->mutable_metadata()->set_index(0);
  m.mutable_snapshot()->mutable_metadata()->set_term(5);
  ExpectRejectedAndNothingChanged(m);
  m.mutable_snapshot()->mutable_metadata()->set_index(10);
  m.mutable_snapshot()->mutable_metadata()->set_term(0);
  ExpectRejectedAndNothingChanged(m);
}

TEST(BadInput, ClusterKeepsWorkingAfterRejectingGarbage_Rule4) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  raftpb::Message junk = Msg(MSG_APPEND, 3, 2, 100);
  AddEntries(&junk, {Ent(7, 100), Ent(3, 100)});
  EXPECT_EQ(cluster.Inject(junk).code(), StatusCode::kInvalidArgument);
  RAFTKV_ASSERT_OK(cluster.Propose(1, "still-fine"));
  EXPECT_EQ(cluster.AppliedData(2), std::vector<std::string>{"still-fine"});
  EXPECT_EQ(cluster.core(2).term(), cluster.core(1).term());
}

TEST(BadInput, MalformedConfChangeProposalIsRejected_Rule4) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_ADD_VOTER);
  cc.set_node_id(0);
  Status s = cluster.core(1).ProposeConfChange(cc);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  s = cluster.core(1).TransferLeader(0);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
}

}  // namespace
}  // namespace raftkv::raft::test
