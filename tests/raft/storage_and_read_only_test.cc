// MemoryStorage (the in-memory LogStorage), ReadOnlyQueue (ReadIndex rounds) and Config.
#include <gtest/gtest.h>

#include "raft/config.h"
#include "raft/core.h"
#include "raft/memory_storage.h"
#include "raft/read_only.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

// ---- MemoryStorage ------------------------------------------------------------------------------

TEST(MemoryStorage, EmptyStorageHasTheDummyEntryOnly) {
  MemoryStorage s;
  EXPECT_EQ(s.FirstIndex(), 1u);
  EXPECT_EQ(s.LastIndex(), 0u);
  StatusOr<uint64_t> t = s.Term(0);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 0u);
  EXPECT_EQ(s.Term(1).status().code(), StatusCode::kUnavailable);
  StatusOr<std::vector<raftpb::Entry>> e = s.Entries(1, 1, UINT64_MAX);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());
  EXPECT_EQ(s.size(), 0u);
}

TEST(MemoryStorage, AppendTruncatesTheConflictingSuffix) {
  MemoryStorage s;
  RAFTKV_ASSERT_OK(s.Append(EntsWithTerms({1, 1, 1, 1})));
  RAFTKV_ASSERT_OK(s.Append({Ent(3, 2), Ent(4, 2)}));
  RAFTKV_ASSERT_OK(s.Append({Ent(2, 3)}));
  EXPECT_EQ(s.LastIndex(), 2u);
  EXPECT_EQ(*s.Term(2), 3u);
}

TEST(MemoryStorage, AppendRejectsAGapAndNonContiguousEntries) {
  MemoryStorage s;
  RAFTKV_ASSERT_OK(s.Append(EntsWithTerms({1, 1})));
  EXPECT_EQ(s.Append({Ent(4, 1)}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Append({Ent(3, 1), Ent(5, 1)}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.LastIndex(), 2u);
}

TEST(MemoryStorage, EntriesHonourMaxBytesButReturnAtLeastOne) {
  MemoryStorage s;
  RAFTKV_ASSERT_OK(s.Append({Ent(1, 1, std::string(76, 'a')), Ent(2, 1, std::string(76, 'b')),
                             Ent(3, 1, std::string(76, 'c'))}));
  StatusOr<std::vector<raftpb::Entry>> e = s.Entries(1, 4, 250);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->size(), 2u);
  e = s.Entries(2, 4, 1);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->size(), 1u);
  EXPECT_EQ(s.Entries(1, 5, UINT64_MAX).status().code(), StatusCode::kUnavailable);
}

TEST(MemoryStorage, CompactKeepsTheTermOfTheLastCompactedEntry) {
  MemoryStorage s;
  RAFTKV_ASSERT_OK(s.Append(EntsWithTerms({1, 2, 3, 4, 5})));
  EXPECT_EQ(s.Compact(3).code(), StatusCode::kInvalidArgument) << "compaction beyond snapshot";
  RAFTKV_ASSERT_OK(s.CreateSnapshot(3, MakeConfState({1, 2}), "data"));
  RAFTKV_ASSERT_OK(s.Compact(3));
  EXPECT_EQ(s.FirstIndex(), 4u);
  EXPECT_EQ(s.LastIndex(), 5u);
  EXPECT_EQ(*s.Term(3), 3u);
  EXPECT_EQ(s.Term(2).status().code(), StatusCode::kCompacted);
  EXPECT_EQ(s.Entries(3, 5, UINT64_MAX).status().code(), StatusCode::kCompacted);
  StatusOr<raftpb::Snapshot> snap = s.GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->metadata().index(), 3u);
  EXPECT_EQ(snap->metadata().term(), 3u);
  EXPECT_EQ(snap->data(), "data");
  // Appending entries that overlap the compacted prefix keeps only the new part.
  RAFTKV_ASSERT_OK(s.Append({Ent(2, 2), Ent(3, 3), Ent(4, 4), Ent(5, 5), Ent(6, 6)}));
  EXPECT_EQ(s.FirstIndex(), 4u);
  EXPECT_EQ(s.LastIndex(), 6u);
}

TEST(MemoryStorage, CreateSnapshotRejectsOldOrUnknownIndexes) {
  MemoryStorage s;
  RAFTKV_ASSERT_OK(s.Append(EntsWithTerms({1, 1, 1})));
  EXPECT_EQ(s.CreateSnapshot(4, MakeConfState({1}), "").code(), StatusCode::kInvalidArgument);
  RAFTKV_ASSERT_OK(s.CreateSnapshot(2, MakeConfState({1}), ""));
  EXPECT_EQ(s.CreateSnapshot(2, MakeConfState({1}), "").code(), StatusCode::kFailedPrecondition);
}

TEST(MemoryStorage, ApplySnapshotReplacesTheLogAndMembership) {
  MemoryStorage s;
  RAFTKV_ASSERT_OK(s.Append(EntsWithTerms({1, 1, 1})));
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(10);
  snap.mutable_metadata()->set_term(4);
  *snap.mutable_metadata()->mutable_conf_state() = MakeConfState({1, 2, 3});
  RAFTKV_ASSERT_OK(s.ApplySnapshot(snap));
  EXPECT_EQ(s.FirstIndex(), 11u);
  EXPECT_EQ(s.LastIndex(), 10u);
  EXPECT_EQ(*s.Term(10), 4u);
  StatusOr<InitialState> init = s.GetInitialState();
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->conf_state.voters_size(), 3);
  snap.mutable_metadata()->set_index(5);
  EXPECT_EQ(s.ApplySnapshot(snap).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.LastIndex(), 10u);
}

TEST(MemoryStorage, InitialStateReturnsWhatWasPersisted) {
  MemoryStorage s;
  raftpb::HardState hs;
  hs.set_term(3);
  hs.set_vote(2);
  hs.set_commit(1);
  s.SetHardState(hs);
  s.SetConfState(MakeConfState({1, 2}, {3}));
  StatusOr<InitialState> init = s.GetInitialState();
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->hard_state.term(), 3u);
  EXPECT_EQ(init->hard_state.vote(), 2u);
  EXPECT_EQ(init->hard_state.commit(), 1u);
  EXPECT_EQ(init->conf_state.learners_size(), 1);
}

TEST(MemoryStorage, BootstrapWritesTheFoundingConfigurationIntoTheLog_Thesis4_1) {
  MemoryStorage s;
  RAFTKV_ASSERT_OK(s.Bootstrap({3, 1, 2}));
  EXPECT_EQ(s.LastIndex(), 3u);
  EXPECT_EQ(s.hard_state().term(), 1u);
  EXPECT_EQ(s.hard_state().commit(), 3u);
  StatusOr<std::vector<raftpb::Entry>> ents = s.Entries(1, 4, UINT64_MAX);
  ASSERT_TRUE(ents.ok()) << StatusText(ents);
  for (uint64_t i = 0; i < 3; ++i) {
    const raftpb::Entry& e = (*ents)[i];
    EXPECT_EQ(e.type(), raftpb::ENTRY_CONF_CHANGE);
    EXPECT_EQ(e.term(), 1u);
    raftpb::ConfChange cc;
    ASSERT_TRUE(cc.ParseFromString(e.data()));
    EXPECT_EQ(cc.type(), raftpb::CONF_CHANGE_ADD_VOTER);
    EXPECT_EQ(cc.node_id(), i + 1) << "same log on every founder: sorted by id";
  }
  StatusOr<InitialState> init = s.GetInitialState();
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->conf_state.voters_size(), 3);
  EXPECT_EQ(s.Bootstrap({1}).code(), StatusCode::kFailedPrecondition) << "storage not empty";
}

TEST(MemoryStorage, BootstrapRejectsBadMemberSets) {
  for (const std::vector<uint64_t>& voters :
       {std::vector<uint64_t>{}, std::vector<uint64_t>{0, 1}, std::vector<uint64_t>{2, 2}}) {
    MemoryStorage s;
    EXPECT_EQ(s.Bootstrap(voters).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.LastIndex(), 0u);
  }
}

// ---- ReadOnlyQueue ------------------------------------------------------------------------------

TEST(ReadOnlyQueue, FirstReadAsksForARoundLaterOnesWait_Thesis6_4) {
  ReadOnlyQueue q;
  EXPECT_TRUE(q.Add({1, "a", 5}));
  uint64_t round = q.StartRound(1);
  EXPECT_NE(round, 0u);
  EXPECT_EQ(q.current_round(), round);
  EXPECT_FALSE(q.Add({1, "b", 6})) << "a round is in flight: wait for the next one";
  EXPECT_TRUE(q.has_queued());
  EXPECT_EQ(q.pending_count(), 2u);
}

TEST(ReadOnlyQueue, AcksOfTheCurrentRoundAccumulate_Thesis6_4) {
  ReadOnlyQueue q;
  q.Add({1, "a", 5});
  uint64_t round = q.StartRound(1);
  const std::set<uint64_t>* acks = q.Ack(round, 2);
  ASSERT_NE(acks, nullptr);
  EXPECT_EQ(*acks, (std::set<uint64_t>{1, 2}));
  EXPECT_EQ(q.Ack(round + 1, 3), nullptr) << "ack of an unknown round";
  EXPECT_EQ(q.Ack(0, 3), nullptr) << "ack of a plain heartbeat";
}

TEST(ReadOnlyQueue, FinishRoundHandsBackOnlyTheReadsOfThatRound_Thesis6_4) {
  ReadOnlyQueue q;
  q.Add({1, "a", 5});
  uint64_t r1 = q.StartRound(1);
  q.Add({2, "b", 6});
  q.Add({3, "c", 6});
  std::vector<PendingRead> done = q.FinishRound();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].ctx, "a");
  EXPECT_EQ(done[0].index, 5u);
  EXPECT_EQ(q.current_round(), 0u);
  EXPECT_EQ(q.Ack(r1, 2), nullptr) << "a finished round accepts no more acks";
  uint64_t r2 = q.StartRound(1);
  EXPECT_GT(r2, r1);
  done = q.FinishRound();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[1].ctx, "c");
}

TEST(ReadOnlyQueue, ResetDropsEverythingAndRoundIdsKeepIncreasing_Thesis6_4) {
  ReadOnlyQueue q;
  q.Add({1, "a", 5});
  uint64_t r1 = q.StartRound(1);
  q.Add({1, "b", 5});
  q.Reset();
  EXPECT_EQ(q.pending_count(), 0u);
  EXPECT_EQ(q.current_round(), 0u);
  EXPECT_EQ(q.Ack(r1, 2), nullptr);
  EXPECT_TRUE(q.Add({1, "c", 7}));
  EXPECT_GT(q.StartRound(1), r1) << "a late ack of an old round must not confirm a new one";
}

// ---- Config -------------------------------------------------------------------------------------

TEST(Config, ValidateRejectsNonsense) {
  MemoryStorage s;
  Config good;
  good.id = 1;
  good.storage = &s;
  RAFTKV_EXPECT_OK(good.Validate());
  Config c = good;
  c.id = 0;
  EXPECT_EQ(c.Validate().code(), StatusCode::kInvalidArgument);
  c = good;
  c.storage = nullptr;
  EXPECT_EQ(c.Validate().code(), StatusCode::kInvalidArgument);
  c = good;
  c.heartbeat_tick = 10;
  c.election_tick = 10;
  EXPECT_EQ(c.Validate().code(), StatusCode::kInvalidArgument);
  c = good;
  c.heartbeat_tick = 0;
  EXPECT_EQ(c.Validate().code(), StatusCode::kInvalidArgument);
  c = good;
  c.max_inflight_msgs = 0;
  EXPECT_EQ(c.Validate().code(), StatusCode::kInvalidArgument);
  c = good;
  c.max_size_per_msg = 0;
  EXPECT_EQ(c.Validate().code(), StatusCode::kInvalidArgument);
  c = good;
  c.id = 0;
  EXPECT_EQ(Core::Create(c).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace raftkv::raft::test
