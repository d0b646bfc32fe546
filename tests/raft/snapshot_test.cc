// Snapshots: a follower behind the leader's compaction gets InstallSnapshot; installing replaces
// the log; ReportSnapshot (paper section 7).
#include <gtest/gtest.h>

#include "raft/core.h"
#include "raft/progress.h"
#include "tests/raft/test_cluster.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

using raftpb::MSG_APPEND_RESPONSE;
using raftpb::MSG_SNAPSHOT;

raftpb::Message SnapshotMsg(uint64_t from, uint64_t to, uint64_t term, uint64_t index,
                            uint64_t snap_term) {
  raftpb::Message m = Msg(MSG_SNAPSHOT, from, to, term);
  m.mutable_snapshot()->set_data("state");
  m.mutable_snapshot()->mutable_metadata()->set_index(index);
  m.mutable_snapshot()->mutable_metadata()->set_term(snap_term);
  *m.mutable_snapshot()->mutable_metadata()->mutable_conf_state() = MakeConfState({1, 2, 3});
  return m;
}

// Leader 1 of {1,2,3} committed "a", "b", "c" while 3 was cut off, then compacted its log past
// everything 3 has.
TestCluster ClusterWithFollowerBehindCompaction() {
  TestCluster cluster({1, 2, 3});
  EXPECT_TRUE(cluster.Elect(1));
  cluster.Isolate(3);
  for (const char* d : {"a", "b", "c"}) RAFTKV_EXPECT_OK(cluster.Propose(1, d));
  RAFTKV_EXPECT_OK(cluster.Compact(1));
  EXPECT_GT(cluster.storage(1).FirstIndex(), cluster.core(3).log().LastIndex() + 1);
  return cluster;
}

TEST(Snapshot, FollowerBehindCompactionIsSentASnapshot_Sec7) {
  TestCluster cluster = ClusterWithFollowerBehindCompaction();
  const uint64_t snap_index = cluster.storage(1).FirstIndex() - 1;
  cluster.Heal();
  cluster.TickAll(3);
  std::vector<raftpb::Message> snaps = cluster.Sent(MSG_SNAPSHOT, 1, 3);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0].snapshot().metadata().index(), snap_index);
  EXPECT_EQ(snaps[0].snapshot().metadata().conf_state().voters_size(), 3);
  ASSERT_EQ(cluster.member(3).installed_snapshots.size(), 1u);
  EXPECT_EQ(cluster.storage(3).FirstIndex(), snap_index + 1);
  EXPECT_GE(cluster.core(3).log().committed(), snap_index);
  const Progress* pr = cluster.core(1).tracker().Get(3);
  EXPECT_EQ(pr->state, ProgressState::kReplicate);
  EXPECT_EQ(pr->match, cluster.core(1).log().LastIndex());
  // Replication resumes after the snapshot.
  RAFTKV_ASSERT_OK(cluster.Propose(1, "d"));
  EXPECT_EQ(cluster.AppliedData(3), std::vector<std::string>{"d"});
  EXPECT_TRUE(cluster.errors().empty()) << cluster.errors().front();
}

TEST(Snapshot, InstallingReplacesAConflictingLog_Sec7) {
  LoneCore c = MakeLoneCore({.log_terms = {1, 1, 1}, .term = 1, .commit = 1});
  c.StepOk(SnapshotMsg(2, 1, 2, 5, 2));
  Ready rd = c.Flush();
  ASSERT_TRUE(rd.snapshot.has_value());
  EXPECT_EQ(rd.snapshot->metadata().index(), 5u);
  EXPECT_TRUE(rd.must_sync);
  EXPECT_TRUE(rd.entries.empty());
  EXPECT_TRUE(rd.committed_entries.empty()) << "entries of the discarded log were applied";
  std::vector<raftpb::Message> resp = OfType(rd.messages, MSG_APPEND_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_FALSE(resp[0].reject());
  EXPECT_EQ(resp[0].index(), 5u);
  EXPECT_EQ(c.storage->FirstIndex(), 6u);
  EXPECT_EQ(c.storage->LastIndex(), 5u);
  EXPECT_EQ(c->log().LastIndex(), 5u);
  EXPECT_EQ(c->log().committed(), 5u);
  EXPECT_EQ(c->log().applied(), 5u);
  EXPECT_EQ(c->log().TermOrZero(5), 2u);
}

TEST(Snapshot, SnapshotOfAPrefixKeepsTheEntriesThatFollow_Sec7) {
  // "If the follower receives a snapshot that describes a prefix of its log, then log entries
  // covered by the snapshot are deleted but entries following the snapshot are still valid and
  // must be retained."
  LoneCore c = MakeLoneCore({.log_terms = {1, 1, 1, 1, 1}, .term = 1, .commit = 1});
  c.StepOk(SnapshotMsg(2, 1, 1, 3, 1));
  Ready rd = c.Flush();
  EXPECT_FALSE(rd.snapshot.has_value());
  EXPECT_EQ(c->log().LastIndex(), 5u);
  EXPECT_EQ(c->log().committed(), 3u);
  std::vector<raftpb::Message> resp = OfType(rd.messages, MSG_APPEND_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_EQ(resp[0].index(), 3u);
}

TEST(Snapshot, SnapshotOlderThanCommitIndexIsIgnored_Sec7) {
  LoneCore c = MakeLoneCore({.log_terms = {1, 1, 1}, .term = 1, .commit = 3});
  c.StepOk(SnapshotMsg(2, 1, 1, 2, 1));
  Ready rd = c.Flush();
  EXPECT_FALSE(rd.snapshot.has_value());
  EXPECT_EQ(c->log().LastIndex(), 3u);
  std::vector<raftpb::Message> resp = OfType(rd.messages, MSG_APPEND_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_EQ(resp[0].index(), 3u);
}

TEST(Snapshot, LeaderPausesAppendsWhileASnapshotIsInFlight_Sec7) {
  TestCluster cluster = ClusterWithFollowerBehindCompaction();
  cluster.Heal();
  cluster.SetFilter([](raftpb::Message& m) { return m.type() != MSG_SNAPSHOT; });
  cluster.TickAll(2);
  ASSERT_EQ(cluster.Sent(MSG_SNAPSHOT, 1, 3).size(), 1u);
  ASSERT_EQ(cluster.core(1).tracker().Get(3)->state, ProgressState::kSnapshot);
  const int appends = cluster.CountAppendsWithEntries(1, 3);
  RAFTKV_ASSERT_OK(cluster.Propose(1, "d"));
  cluster.TickAll(3);
  EXPECT_EQ(cluster.CountAppendsWithEntries(1, 3), appends);
  EXPECT_EQ(cluster.Sent(MSG_SNAPSHOT, 1, 3).size(), 1u) << "snapshot resent while pending";
}

TEST(Snapshot, ReportSnapshotFailureMakesTheLeaderSendItAgain_Sec7) {
  TestCluster cluster = ClusterWithFollowerBehindCompaction();
  cluster.Heal();
  cluster.SetFilter([](raftpb::Message& m) { return m.type() != MSG_SNAPSHOT; });
  cluster.TickAll(2);
  ASSERT_EQ(cluster.Sent(MSG_SNAPSHOT, 1, 3).size(), 1u);
  cluster.core(1).ReportSnapshot(3, false);
  EXPECT_EQ(cluster.core(1).tracker().Get(3)->state, ProgressState::kProbe);
  cluster.Heal();
  cluster.TickAll(3);
  EXPECT_EQ(cluster.Sent(MSG_SNAPSHOT, 1, 3).size(), 2u);
  EXPECT_EQ(cluster.member(3).installed_snapshots.size(), 1u);
  EXPECT_EQ(cluster.core(1).tracker().Get(3)->state, ProgressState::kReplicate);
}

TEST(Snapshot, ReportSnapshotSuccessResumesReplicationAfterTheSnapshot_Sec7) {
  TestCluster cluster = ClusterWithFollowerBehindCompaction();
  const uint64_t snap_index = cluster.storage(1).FirstIndex() - 1;
  cluster.Heal();
  // The follower installs the snapshot, but its acknowledgement (not its earlier rejection) is
  // lost.
  cluster.SetFilter([](raftpb::Message& m) {
    return !(m.type() == MSG_APPEND_RESPONSE && m.from() == 3 && !m.reject());
  });
  cluster.TickAll(2);
  ASSERT_EQ(cluster.member(3).installed_snapshots.size(), 1u);
  ASSERT_EQ(cluster.core(1).tracker().Get(3)->state, ProgressState::kSnapshot);
  cluster.core(1).ReportSnapshot(3, true);
  const Progress* pr = cluster.core(1).tracker().Get(3);
  EXPECT_EQ(pr->state, ProgressState::kProbe);
  EXPECT_EQ(pr->next, snap_index + 1);
  cluster.Heal();
  cluster.TickAll(2);
  EXPECT_EQ(cluster.Sent(MSG_SNAPSHOT, 1, 3).size(), 1u) << "the snapshot was sent twice";
  pr = cluster.core(1).tracker().Get(3);
  ASSERT_NE(pr, nullptr);
  EXPECT_EQ(pr->state, ProgressState::kReplicate);
  EXPECT_EQ(pr->match, cluster.core(1).log().LastIndex());
}

}  // namespace
}  // namespace raftkv::raft::test
