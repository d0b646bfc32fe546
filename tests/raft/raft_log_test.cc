// RaftLog: the persisted log plus the unstable tail, the consistency check, commit rules.
#include "raft/raft_log.h"

#include <gtest/gtest.h>

#include "raft/memory_storage.h"
#include "tests/raft/test_util.h"

namespace raftkv::raft::test {
namespace {

// A storage holding entries 1..n with the given terms, commit and persisted hard state.
std::unique_ptr<MemoryStorage> StorageWith(const std::vector<uint64_t>& terms,
                                           uint64_t commit = 0) {
  auto s = std::make_unique<MemoryStorage>();
  Status st = s->Append(EntsWithTerms(terms));
  EXPECT_TRUE(st.ok()) << st.ToString();
  raftpb::HardState hs;
  hs.set_term(terms.empty() ? 0 : terms.back());
  hs.set_commit(commit);
  s->SetHardState(hs);
  return s;
}

RaftLog OpenOk(const MemoryStorage* s, uint64_t applied = 0) {
  StatusOr<RaftLog> log = RaftLog::Open(s, applied);
  EXPECT_TRUE(log.ok()) << StatusText(log);
  return std::move(log).value();
}

TEST(RaftLog, EmptyLogStartsAtIndexOne) {
  MemoryStorage s;
  RaftLog log = OpenOk(&s);
  EXPECT_EQ(log.FirstIndex(), 1u);
  EXPECT_EQ(log.LastIndex(), 0u);
  EXPECT_EQ(log.LastTerm(), 0u);
  EXPECT_EQ(log.committed(), 0u);
  EXPECT_EQ(log.applied(), 0u);
  EXPECT_EQ(log.Term(1).status().code(), StatusCode::kUnavailable);
  RAFTKV_EXPECT_OK(log.CheckInvariants());
}

TEST(RaftLog, OpenRejectsCommitBeyondTheLog) {
  auto s = StorageWith({1, 1}, 5);
  EXPECT_EQ(RaftLog::Open(s.get(), 0).status().code(), StatusCode::kCorruption);
}

TEST(RaftLog, OpenRejectsAppliedBeyondTheLog) {
  auto s = StorageWith({1, 1}, 2);
  EXPECT_EQ(RaftLog::Open(s.get(), 3).status().code(), StatusCode::kCorruption);
}

TEST(RaftLog, AppliedIndexImpliesCommitted) {
  auto s = StorageWith({1, 1, 1}, 1);
  RaftLog log = OpenOk(s.get(), 2);
  EXPECT_EQ(log.applied(), 2u);
  EXPECT_EQ(log.committed(), 2u);
}

TEST(RaftLog, AppendGoesToTheUnstableTailUntilStable) {
  auto s = StorageWith({1, 1});
  RaftLog log = OpenOk(s.get());
  log.Append({Ent(3, 2), Ent(4, 2)});
  EXPECT_EQ(log.LastIndex(), 4u);
  EXPECT_EQ(log.LastTerm(), 2u);
  EXPECT_EQ(log.unstable_entries().size(), 2u);
  EXPECT_EQ(log.StableLastIndex(), 2u);
  RAFTKV_ASSERT_OK(s->Append(log.unstable_entries()));
  log.StableTo(4, 2);
  EXPECT_TRUE(log.unstable_entries().empty());
  EXPECT_EQ(log.StableLastIndex(), 4u);
}

TEST(RaftLog, StableToIgnoresAnEntryWhoseTermChanged) {
  auto s = StorageWith({1});
  RaftLog log = OpenOk(s.get());
  log.Append({Ent(2, 1)});
  // Meanwhile entry 2 was replaced by one of term 2 (a new leader's entry).
  StatusOr<std::optional<uint64_t>> r = log.MaybeAppend(1, 1, 0, {Ent(2, 2)});
  ASSERT_TRUE(r.ok());
  log.StableTo(2, 1);  // the acknowledgement of the old write
  EXPECT_EQ(log.unstable_entries().size(), 1u) << "marked a different entry stable";
  EXPECT_EQ(log.StableLastIndex(), 1u);
}

TEST(RaftLog, IsUpToDateComparesLastTermThenLength_Sec5_4_1) {
  auto s = StorageWith({1, 2, 2});
  RaftLog log = OpenOk(s.get());
  EXPECT_TRUE(log.IsUpToDate(1, 3));
  EXPECT_TRUE(log.IsUpToDate(3, 2));
  EXPECT_TRUE(log.IsUpToDate(4, 2));
  EXPECT_FALSE(log.IsUpToDate(2, 2));
  EXPECT_FALSE(log.IsUpToDate(9, 1));
}

TEST(RaftLog, MaybeAppendFailsTheConsistencyCheck_Sec5_3) {
  auto s = StorageWith({1, 1});
  RaftLog log = OpenOk(s.get());
  StatusOr<std::optional<uint64_t>> r = log.MaybeAppend(2, 2, 0, {Ent(3, 2)});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  r = log.MaybeAppend(3, 1, 0, {Ent(4, 1)});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(log.LastIndex(), 2u);
}

TEST(RaftLog, MaybeAppendTruncatesFromTheFirstConflict_Sec5_3) {
  auto s = StorageWith({1, 1, 1, 1});
  RaftLog log = OpenOk(s.get());
  StatusOr<std::optional<uint64_t>> r = log.MaybeAppend(1, 1, 2, {Ent(2, 1), Ent(3, 3)});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(**r, 3u);
  EXPECT_EQ(log.LastIndex(), 3u);
  EXPECT_EQ(log.TermOrZero(3), 3u);
  ASSERT_EQ(log.unstable_entries().size(), 1u);
  EXPECT_EQ(log.unstable_entries()[0].index(), 3u);
  EXPECT_EQ(log.committed(), 2u);
}

TEST(RaftLog, MaybeAppendRefusesToOverwriteACommittedEntry_Sec5_4) {
  auto s = StorageWith({1, 1, 1}, 3);
  RaftLog log = OpenOk(s.get());
  StatusOr<std::optional<uint64_t>> r = log.MaybeAppend(1, 1, 3, {Ent(2, 2)});
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(log.TermOrZero(2), 1u);
  EXPECT_EQ(log.LastIndex(), 3u);
}

TEST(RaftLog, FindConflictByTermFindsLastEntryWithTermAtMost) {
  auto s = StorageWith({1, 1, 1, 4, 4, 5, 5, 6, 6, 6});
  RaftLog log = OpenOk(s.get());
  EXPECT_EQ(log.FindConflictByTerm(10, 3), (std::pair<uint64_t, uint64_t>{3, 1}));
  EXPECT_EQ(log.FindConflictByTerm(10, 6), (std::pair<uint64_t, uint64_t>{10, 6}));
  EXPECT_EQ(log.FindConflictByTerm(7, 4), (std::pair<uint64_t, uint64_t>{5, 4}));
  EXPECT_EQ(log.FindConflictByTerm(20, 5), (std::pair<uint64_t, uint64_t>{7, 5}));
  EXPECT_EQ(log.FindConflictByTerm(0, 0), (std::pair<uint64_t, uint64_t>{0, 0}));
}

TEST(RaftLog, SliceSpansStorageAndUnstableAndHonoursMaxBytes) {
  auto s = std::make_unique<MemoryStorage>();
  RAFTKV_ASSERT_OK(s->Append({Ent(1, 1, std::string(76, 'a')), Ent(2, 1, std::string(76, 'b'))}));
  RaftLog log = OpenOk(s.get());
  log.Append({Ent(3, 1, std::string(76, 'c')), Ent(4, 1, std::string(76, 'd'))});
  // Each entry is 76 + 24 = 100 bytes.
  StatusOr<std::vector<raftpb::Entry>> all = log.Slice(1, 5, UINT64_MAX);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ((*all)[i].index(), i + 1);
  StatusOr<std::vector<raftpb::Entry>> three = log.Slice(1, 5, 300);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->size(), 3u);
  StatusOr<std::vector<raftpb::Entry>> one = log.Slice(2, 5, 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u) << "at least one entry even above max_bytes";
  EXPECT_EQ(one->front().index(), 2u);
  EXPECT_EQ(log.Slice(3, 6, UINT64_MAX).status().code(), StatusCode::kUnavailable);
}

TEST(RaftLog, CompactedEntriesAreReportedAsCompacted) {
  auto s = StorageWith({1, 1, 2, 2});
  RAFTKV_ASSERT_OK(s->CreateSnapshot(3, MakeConfState({1}), ""));
  RAFTKV_ASSERT_OK(s->Compact(3));
  RaftLog log = OpenOk(s.get());
  EXPECT_EQ(log.FirstIndex(), 4u);
  EXPECT_EQ(log.Term(2).status().code(), StatusCode::kCompacted);
  StatusOr<uint64_t> t = log.Term(3);
  ASSERT_TRUE(t.ok()) << StatusText(t);
  EXPECT_EQ(*t, 2u) << "the term just before FirstIndex is answerable";
  EXPECT_EQ(log.Slice(2, 4, UINT64_MAX).status().code(), StatusCode::kCompacted);
}

TEST(RaftLog, LeaderCommitsOnlyEntriesOfTheGivenTerm_Sec5_4_2) {
  auto s = StorageWith({1, 2, 2});
  RaftLog log = OpenOk(s.get());
  EXPECT_FALSE(log.MaybeCommit(2, 3));
  EXPECT_EQ(log.committed(), 0u);
  EXPECT_TRUE(log.MaybeCommit(3, 2));
  EXPECT_EQ(log.committed(), 3u);
  EXPECT_FALSE(log.MaybeCommit(2, 2)) << "commit never moves backwards";
  EXPECT_EQ(log.committed(), 3u);
}

TEST(RaftLog, CommitToNeverDecreasesNorExceedsTheLog) {
  auto s = StorageWith({1, 1, 1});
  RaftLog log = OpenOk(s.get());
  log.CommitTo(2);
  log.CommitTo(1);
  EXPECT_EQ(log.committed(), 2u);
  log.CommitTo(10);
  EXPECT_EQ(log.committed(), 3u);
  RAFTKV_EXPECT_OK(log.CheckInvariants());
}

TEST(RaftLog, NextCommittedEntriesStopAtTheDurablePrefix_Thesis10_2_1) {
  auto s = StorageWith({1, 1});
  RaftLog log = OpenOk(s.get());
  log.Append({Ent(3, 1), Ent(4, 1)});
  log.CommitTo(4);
  std::vector<raftpb::Entry> ents = log.NextCommittedEntries(UINT64_MAX);
  ASSERT_EQ(ents.size(), 2u);
  EXPECT_EQ(ents.back().index(), 2u);
  log.AppliedTo(2);
  RAFTKV_ASSERT_OK(s->Append(log.unstable_entries()));
  log.StableTo(4, 1);
  ents = log.NextCommittedEntries(UINT64_MAX);
  ASSERT_EQ(ents.size(), 2u);
  EXPECT_EQ(ents.front().index(), 3u);
}

TEST(RaftLog, AppliedNeverExceedsCommitted) {
  auto s = StorageWith({1, 1, 1});
  RaftLog log = OpenOk(s.get());
  log.CommitTo(1);
  log.AppliedTo(3);
  EXPECT_EQ(log.applied(), 1u);
}

TEST(RaftLog, RestoreReplacesTheLogWithASnapshot_Sec7) {
  auto s = StorageWith({1, 1, 1});
  RaftLog log = OpenOk(s.get());
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(7);
  snap.mutable_metadata()->set_term(3);
  log.Restore(snap);
  EXPECT_EQ(log.LastIndex(), 7u);
  EXPECT_EQ(log.LastTerm(), 3u);
  EXPECT_EQ(log.FirstIndex(), 8u);
  EXPECT_EQ(log.committed(), 7u);
  EXPECT_TRUE(log.unstable_snapshot().has_value());
  EXPECT_FALSE(log.HasNextCommittedEntries());
  EXPECT_EQ(log.Term(3).status().code(), StatusCode::kCompacted);
  RAFTKV_EXPECT_OK(log.CheckInvariants());
}

}  // namespace
}  // namespace raftkv::raft::test
