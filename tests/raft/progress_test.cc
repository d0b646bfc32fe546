// Inflights and Progress: the leader's flow control per follower.
#include "raft/progress.h"

#include <gtest/gtest.h>

namespace raftkv::raft::test {
namespace {

TEST(Inflights, FullAfterMaxCountMessages) {
  Inflights in(3, 0);
  in.Add(1, 10);
  in.Add(2, 10);
  EXPECT_FALSE(in.Full());
  in.Add(3, 10);
  EXPECT_TRUE(in.Full());
  EXPECT_EQ(in.Count(), 3);
  EXPECT_EQ(in.Bytes(), 30u);
}

TEST(Inflights, FullOnceMaxBytesIsReached) {
  Inflights in(100, 250);
  in.Add(1, 100);
  in.Add(2, 100);
  EXPECT_FALSE(in.Full());
  in.Add(3, 50);
  EXPECT_TRUE(in.Full());
}

TEST(Inflights, ZeroMaxBytesMeansNoByteLimit) {
  Inflights in(100, 0);
  in.Add(1, uint64_t{1} << 40);
  EXPECT_FALSE(in.Full());
}

TEST(Inflights, FreeLEForgetsAcknowledgedMessages) {
  Inflights in(10, 0);
  for (uint64_t i = 1; i <= 5; ++i) in.Add(i * 10, 7);
  in.FreeLE(25);
  EXPECT_EQ(in.Count(), 3);
  EXPECT_EQ(in.Bytes(), 21u);
  in.FreeLE(5);  // stale acknowledgement
  EXPECT_EQ(in.Count(), 3);
  in.FreeLE(50);
  EXPECT_EQ(in.Count(), 0);
  EXPECT_EQ(in.Bytes(), 0u);
}

TEST(Inflights, FreeFirstOneAndReset) {
  Inflights in(2, 0);
  in.Add(1, 5);
  in.Add(2, 6);
  ASSERT_TRUE(in.Full());
  in.FreeFirstOne();
  EXPECT_FALSE(in.Full());
  EXPECT_EQ(in.Bytes(), 6u);
  in.Reset();
  EXPECT_EQ(in.Count(), 0);
  EXPECT_EQ(in.Bytes(), 0u);
  in.FreeFirstOne();  // on empty: no-op
  EXPECT_EQ(in.Count(), 0);
}

Progress MakeProgress(uint64_t next, int max_inflight = 4) {
  return Progress(next, max_inflight, 0, false);
}

TEST(Progress, MaybeUpdateRaisesMatchAndNext) {
  Progress pr = MakeProgress(5);
  EXPECT_TRUE(pr.MaybeUpdate(6));
  EXPECT_EQ(pr.match, 6u);
  EXPECT_EQ(pr.next, 7u);
  EXPECT_FALSE(pr.MaybeUpdate(4)) << "a stale acknowledgement";
  EXPECT_EQ(pr.match, 6u);
  EXPECT_EQ(pr.next, 7u);
}

TEST(Progress, ProbeSendsOneAppendThenPauses) {
  Progress pr = MakeProgress(5);
  ASSERT_EQ(pr.state, ProgressState::kProbe);
  EXPECT_FALSE(pr.IsPaused());
  pr.SentEntries(9, 100);
  EXPECT_TRUE(pr.IsPaused());
  EXPECT_EQ(pr.next, 5u) << "probing does not advance next optimistically";
  pr.MaybeUpdate(9);
  EXPECT_FALSE(pr.IsPaused());
}

TEST(Progress, ReplicateAdvancesNextOptimisticallyUntilTheWindowIsFull) {
  Progress pr = MakeProgress(5, 2);
  pr.MaybeUpdate(4);
  pr.BecomeReplicate();
  EXPECT_EQ(pr.next, 5u);
  pr.SentEntries(6, 10);
  EXPECT_EQ(pr.next, 7u);
  EXPECT_FALSE(pr.IsPaused());
  pr.SentEntries(8, 10);
  EXPECT_EQ(pr.next, 9u);
  EXPECT_TRUE(pr.IsPaused());
  pr.MaybeUpdate(6);
  pr.inflights.FreeLE(6);
  EXPECT_FALSE(pr.IsPaused());
}

TEST(Progress, ReplicateRejectionAtOrBelowMatchIsStale) {
  Progress pr = MakeProgress(5);
  pr.MaybeUpdate(10);
  pr.BecomeReplicate();
  pr.SentEntries(15, 10);
  EXPECT_FALSE(pr.MaybeDecreaseTo(9, 3));
  EXPECT_EQ(pr.next, 16u);
  EXPECT_TRUE(pr.MaybeDecreaseTo(12, 3));
  EXPECT_EQ(pr.next, 11u) << "back to match + 1";
}

TEST(Progress, ProbeRejectionOnlyCountsForTheLastProbe) {
  Progress pr = MakeProgress(10);
  EXPECT_FALSE(pr.MaybeDecreaseTo(5, 2)) << "an answer to an older probe";
  EXPECT_EQ(pr.next, 10u);
  EXPECT_TRUE(pr.MaybeDecreaseTo(9, 3));
  EXPECT_EQ(pr.next, 4u) << "jumps to the follower's hint + 1";
  EXPECT_FALSE(pr.probe_sent);
}

TEST(Progress, ProbeRejectionNeverGoesBelowMatch) {
  Progress pr = MakeProgress(10);
  pr.MaybeUpdate(6);
  pr.next = 10;
  EXPECT_TRUE(pr.MaybeDecreaseTo(9, 2));
  EXPECT_EQ(pr.next, 7u);
}

TEST(Progress, SnapshotStatePausesAndProbeResumesAfterTheSnapshot) {
  Progress pr = MakeProgress(3);
  pr.BecomeSnapshot(20);
  EXPECT_TRUE(pr.IsPaused());
  EXPECT_EQ(pr.pending_snapshot, 20u);
  pr.BecomeProbe();
  EXPECT_EQ(pr.next, 21u);
  EXPECT_EQ(pr.state, ProgressState::kProbe);
  EXPECT_EQ(pr.pending_snapshot, 0u);
}

TEST(Progress, BecomeReplicateResetsTheWindow) {
  Progress pr = MakeProgress(3, 1);
  pr.MaybeUpdate(2);
  pr.BecomeReplicate();
  pr.SentEntries(5, 1);
  ASSERT_TRUE(pr.IsPaused());
  pr.BecomeProbe();
  EXPECT_EQ(pr.inflights.Count(), 0);
  EXPECT_EQ(pr.next, 3u);
}

}  // namespace
}  // namespace raftkv::raft::test
