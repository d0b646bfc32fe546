// Rules the simulator drove into the core: how a removed leader leaves (thesis 4.2.2 under
// membership changes applied at commit time), that no snapshot overtakes membership changes
// being applied (the Ready contract), and that a follower never re-forwards another member's
// read (thesis 6.4). Each test names the simulator seed that first broke the rule.
#include <gtest/gtest.h>

#include <set>

#include "raft/core.h"
#include "tests/raft/test_cluster.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

raftpb::ConfChange Remove(uint64_t id) {
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_REMOVE_NODE);
  cc.set_node_id(id);
  return cc;
}

// Seed 13: a leader that dropped leadership as soon as it applied its own removal could leave
// the others without the commit index of that removal, still needing its vote.
TEST(RemovedLeader, HandsLeadershipToTheMostCaughtUpVoter_Thesis4_2_2) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(Remove(1)));
  cluster.Deliver();
  EXPECT_FALSE(cluster.Sent(raftpb::MSG_TIMEOUT_NOW, 1).empty())
      << "the removed leader should tell a remaining voter to take over";
  for (int i = 0; i < 6 * cluster.options().election_tick; ++i) {
    cluster.TickAll();
    if (cluster.Leader() == 2 || cluster.Leader() == 3) break;
  }
  const uint64_t leader = cluster.Leader();
  ASSERT_TRUE(leader == 2 || leader == 3) << "leader " << leader;
  EXPECT_FALSE(cluster.core(1).is_leader());
  RAFTKV_ASSERT_OK(cluster.Propose(leader, "after"));
  EXPECT_EQ(cluster.AppliedData(2), std::vector<std::string>{"after"});
  EXPECT_EQ(cluster.AppliedData(3), std::vector<std::string>{"after"});
}

// Seed 2394: a removed leader deposed by check-quorum while the remaining voter was down left
// that voter, once back, unable to win without the removed member's vote.
TEST(RemovedLeader, IsNotDeposedByCheckQuorumBeforeItHandsOver_Thesis6_2) {
  TestCluster cluster({1, 2});
  ASSERT_TRUE(cluster.Elect(1));
  RAFTKV_ASSERT_OK(cluster.core(1).ProposeConfChange(Remove(1)));
  // The removal commits with member 2's acknowledgement; then member 2 goes silent before the
  // handover completes.
  cluster.DeliverUntil([&] { return !cluster.core(1).tracker().IsVoter(1); });
  cluster.Isolate(2);
  cluster.Tick(1, 5 * cluster.options().election_tick);
  EXPECT_TRUE(cluster.core(1).is_leader())
      << "a removed leader with a silent quorum must keep leading until it hands over";
  cluster.Heal();
  for (int i = 0; i < 6 * cluster.options().election_tick && cluster.Leader() != 2; ++i) {
    cluster.TickAll();
  }
  EXPECT_EQ(cluster.Leader(), 2u);
  EXPECT_EQ(cluster.core(2).tracker().voters(), std::set<uint64_t>{2});
}

// Seed 801: a snapshot installed between GetReady and Advance replaced the configuration under
// membership changes the application was still applying from that Ready.
TEST(ReadyContract, NoSnapshotIsInstalledWhileAReadyIsOutstanding) {
  LoneCoreSpec spec;
  spec.id = 2;
  spec.log_terms = {1, 1};
  spec.term = 1;
  spec.commit = 2;
  LoneCore c = MakeLoneCore(spec);
  raftpb::Message hb = Msg(raftpb::MSG_HEARTBEAT, 1, 2, 2);
  c.StepOk(hb);
  ASSERT_TRUE(c->HasReady());
  Ready outstanding = c->GetReady();

  raftpb::Message snap = Msg(raftpb::MSG_SNAPSHOT, 1, 2, 2);
  snap.mutable_snapshot()->mutable_metadata()->set_index(10);
  snap.mutable_snapshot()->mutable_metadata()->set_term(2);
  *snap.mutable_snapshot()->mutable_metadata()->mutable_conf_state() = MakeConfState({1, 2, 3});
  c.StepOk(snap);
  EXPECT_FALSE(c->log().unstable_snapshot().has_value())
      << "the snapshot must wait until the outstanding Ready is advanced";
  EXPECT_EQ(c->log().LastIndex(), 2u);

  c->Advance();
  c.StepOk(snap);
  ASSERT_TRUE(c->log().unstable_snapshot().has_value());
  EXPECT_EQ(c->log().LastIndex(), 10u);
}

// Seed 1: a follower re-forwarded a read another member had sent it, so the leader's answer came
// back to the follower, which served a read nobody had asked it for.
TEST(ReadIndex, FollowerDropsAReadForwardedByAnotherMember_Thesis6_4) {
  TestCluster cluster({1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.ClearSent();
  raftpb::Message read = Msg(raftpb::MSG_READ_INDEX, 3, 2, 0);
  read.set_context("from-3");
  RAFTKV_ASSERT_OK(cluster.Inject(read));
  cluster.Deliver();
  EXPECT_TRUE(cluster.Sent(raftpb::MSG_READ_INDEX, 2).empty());
  EXPECT_TRUE(cluster.Sent(raftpb::MSG_READ_INDEX_RESPONSE).empty());
}

}  // namespace
}  // namespace raftkv::raft::test
