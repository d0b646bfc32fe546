// Conformance of the durable raft log (storage::RaftLogStore) to the in-memory fake the core is
// tested against (raft::MemoryStorage): every rule of raft::LogStorage and of the writes a server
// makes, run against both, one rule per test. For the RocksDB log each test also closes and
// reopens the store before checking again, so every rule holds across a restart too.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "raft/bootstrap.h"
#include "raft/memory_storage.h"
#include "raft/ready.h"
#include "storage/raft_log_store.h"
#include "tests/storage/raft_log_support.h"
#include "tests/storage/temp_dir.h"

namespace raftkv::storage {
namespace {

using raft::LogStorage;
using raft::Ready;
using testing::OpenLog;
using testing::OpenLogAt;
using testing::TempDir;
using testing::VerifiableEntry;

// The in-memory fake, driven the way tests/raft/test_cluster.cc drives it.
class MemoryLog {
 public:
  static constexpr const char* kName = "MemoryStorage";
  const LogStorage& log() const { return storage_; }
  Status Save(const Ready& rd) {
    if (rd.snapshot) RAFTKV_RETURN_IF_ERROR(storage_.ApplySnapshot(*rd.snapshot));
    RAFTKV_RETURN_IF_ERROR(storage_.Append(rd.entries));
    if (rd.hard_state) storage_.SetHardState(*rd.hard_state);
    return Status::Ok();
  }
  Status CreateSnapshot(uint64_t i, const raftpb::ConfState& cs, std::string data) {
    return storage_.CreateSnapshot(i, cs, std::move(data));
  }
  Status Compact(uint64_t i) { return storage_.Compact(i); }
  Status Bootstrap(const std::vector<uint64_t>& voters) { return storage_.Bootstrap(voters); }
  Status Reopen() { return Status::Ok(); }  // nothing to lose

 private:
  raft::MemoryStorage storage_;
};

// The RocksDB log in a temporary directory.
class RocksLog {
 public:
  static constexpr const char* kName = "RaftLogStore";
  RocksLog() {
    StatusOr<OpenLog> open = OpenLogAt(dir_.Sub("data"));
    if (!open.ok()) ADD_FAILURE() << open.status().ToString();
    if (open.ok()) open_ = std::move(open).value();
  }
  const LogStorage& log() const { return *open_.log; }
  Status Save(const Ready& rd) { return open_.log->Save(rd); }
  Status CreateSnapshot(uint64_t i, const raftpb::ConfState& cs, std::string data) {
    return open_.log->CreateSnapshot(i, cs, std::move(data));
  }
  Status Compact(uint64_t i) { return open_.log->Compact(i); }
  Status Bootstrap(const std::vector<uint64_t>& voters) { return open_.log->Bootstrap(voters); }
  Status Reopen() {
    open_.log.reset();
    open_.db.reset();
    StatusOr<OpenLog> open = OpenLogAt(dir_.Sub("data"));
    if (!open.ok()) return open.status();
    open_ = std::move(open).value();
    return Status::Ok();
  }

 private:
  TempDir dir_;
  OpenLog open_;
};

// Entries [lo, hi] at `term`.
std::vector<raftpb::Entry> Run(uint64_t lo, uint64_t hi, uint64_t term) {
  std::vector<raftpb::Entry> out;
  for (uint64_t i = lo; i <= hi; ++i) out.push_back(VerifiableEntry(i, term));
  return out;
}

Ready Append(std::vector<raftpb::Entry> entries) {
  Ready rd;
  rd.entries = std::move(entries);
  rd.must_sync = true;
  return rd;
}

Ready InstallSnapshot(uint64_t index, uint64_t term, std::vector<uint64_t> voters) {
  Ready rd;
  raftpb::Snapshot snap;
  snap.set_data("state@" + std::to_string(index));
  snap.mutable_metadata()->set_index(index);
  snap.mutable_metadata()->set_term(term);
  for (uint64_t v : voters) snap.mutable_metadata()->mutable_conf_state()->add_voters(v);
  rd.snapshot = std::move(snap);
  raftpb::HardState hs;
  hs.set_term(term);
  hs.set_commit(index);
  rd.hard_state = hs;
  rd.must_sync = true;
  return rd;
}

raftpb::ConfState Voters(std::vector<uint64_t> ids) {
  raftpb::ConfState cs;
  for (uint64_t id : ids) cs.add_voters(id);
  return cs;
}

// Terms of entries [lo, hi] as read with Term(); 0 where Term() fails.
std::vector<uint64_t> Terms(const LogStorage& log, uint64_t lo, uint64_t hi) {
  std::vector<uint64_t> out;
  for (uint64_t i = lo; i <= hi; ++i) {
    StatusOr<uint64_t> t = log.Term(i);
    out.push_back(t.ok() ? *t : 0);
  }
  return out;
}

std::vector<uint64_t> Indexes(const std::vector<raftpb::Entry>& entries) {
  std::vector<uint64_t> out;
  for (const raftpb::Entry& e : entries) out.push_back(e.index());
  return out;
}

template <typename Impl>
class LogConformanceTest : public ::testing::Test {
 protected:
  // Runs `check` on the live log, then again after a close and reopen.
  template <typename Check>
  void CheckLiveAndReopened(Check check) {
    {
      SCOPED_TRACE("live");
      check();
    }
    RAFTKV_ASSERT_OK(impl_.Reopen());
    SCOPED_TRACE("after reopen");
    check();
  }
  const LogStorage& log() const { return impl_.log(); }

  Impl impl_;
};

class ImplName {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

using Implementations = ::testing::Types<MemoryLog, RocksLog>;
TYPED_TEST_SUITE(LogConformanceTest, Implementations, ImplName);

TYPED_TEST(LogConformanceTest, NewLogIsEmptyWithTermZeroAtIndexZero) {
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().FirstIndex(), 1u);
    EXPECT_EQ(this->log().LastIndex(), 0u);
    StatusOr<uint64_t> t = this->log().Term(0);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, 0u);
    StatusOr<raftpb::Snapshot> snap = this->log().GetSnapshot();
    ASSERT_TRUE(snap.ok());
    EXPECT_EQ(snap->metadata().index(), 0u);
    StatusOr<raft::InitialState> init = this->log().GetInitialState();
    ASSERT_TRUE(init.ok());
    EXPECT_EQ(init->hard_state.term(), 0u);
    EXPECT_EQ(init->conf_state.voters_size(), 0);
  });
}

TYPED_TEST(LogConformanceTest, EntriesReturnsTheHalfOpenRangeLoToHi) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 6, 1))));
  this->CheckLiveAndReopened([&] {
    auto got = this->log().Entries(2, 5, UINT64_MAX);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(Indexes(*got), (std::vector<uint64_t>{2, 3, 4}));
    for (const raftpb::Entry& e : *got) EXPECT_TRUE(testing::VerifyEntry(e).ok());
    auto all = this->log().Entries(1, 7, UINT64_MAX);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->size(), 6u);
    auto none = this->log().Entries(3, 3, UINT64_MAX);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
  });
}

TYPED_TEST(LogConformanceTest, EntriesBeyondLastIndexAreUnavailable) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 3, 1))));
  this->CheckLiveAndReopened([&] {
    auto got = this->log().Entries(2, 5, UINT64_MAX);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
    EXPECT_TRUE(this->log().Entries(2, 4, UINT64_MAX).ok());  // hi == LastIndex() + 1 is fine
  });
}

TYPED_TEST(LogConformanceTest, EntriesAtOrBelowTheCompactedIndexAreCompacted) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 10, 1))));
  RAFTKV_ASSERT_OK(this->impl_.CreateSnapshot(5, Voters({1}), "s"));
  RAFTKV_ASSERT_OK(this->impl_.Compact(4));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().FirstIndex(), 5u);
    auto below = this->log().Entries(4, 8, UINT64_MAX);
    ASSERT_FALSE(below.ok());
    EXPECT_EQ(below.status().code(), StatusCode::kCompacted);
    auto first = this->log().Entries(5, 8, UINT64_MAX);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_EQ(Indexes(*first), (std::vector<uint64_t>{5, 6, 7}));
  });
}

TYPED_TEST(LogConformanceTest, EntriesStopOnceTheirSizeExceedsMaxBytes) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 6, 1))));
  const uint64_t s2 = raft::EntrySize(VerifiableEntry(2, 1));
  const uint64_t s3 = raft::EntrySize(VerifiableEntry(3, 1));
  const uint64_t s4 = raft::EntrySize(VerifiableEntry(4, 1));
  this->CheckLiveAndReopened([&] {
    // Exactly the size of two entries: both fit.
    auto two = this->log().Entries(2, 7, s2 + s3);
    ASSERT_TRUE(two.ok());
    EXPECT_EQ(Indexes(*two), (std::vector<uint64_t>{2, 3}));
    // One byte short of three entries: still two.
    auto still_two = this->log().Entries(2, 7, s2 + s3 + s4 - 1);
    ASSERT_TRUE(still_two.ok());
    EXPECT_EQ(Indexes(*still_two), (std::vector<uint64_t>{2, 3}));
    auto three = this->log().Entries(2, 7, s2 + s3 + s4);
    ASSERT_TRUE(three.ok());
    EXPECT_EQ(Indexes(*three), (std::vector<uint64_t>{2, 3, 4}));
  });
}

TYPED_TEST(LogConformanceTest, EntriesReturnAtLeastOneEntryWhateverMaxBytes) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 3, 1))));
  this->CheckLiveAndReopened([&] {
    auto got = this->log().Entries(2, 4, 0);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(Indexes(*got), (std::vector<uint64_t>{2}));
  });
}

TYPED_TEST(LogConformanceTest, TermIsAnswerableFromFirstIndexMinusOneToLastIndex) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 3, 1))));
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(4, 6, 2))));
  RAFTKV_ASSERT_OK(this->impl_.CreateSnapshot(4, Voters({1}), "s"));
  RAFTKV_ASSERT_OK(this->impl_.Compact(3));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(Terms(this->log(), 3, 6), (std::vector<uint64_t>{1, 2, 2, 2}));
    auto below = this->log().Term(2);
    ASSERT_FALSE(below.ok());
    EXPECT_EQ(below.status().code(), StatusCode::kCompacted);
    auto above = this->log().Term(7);
    ASSERT_FALSE(above.ok());
    EXPECT_EQ(above.status().code(), StatusCode::kUnavailable);
  });
}

TYPED_TEST(LogConformanceTest, AppendAtOrBelowLastIndexTruncatesTheConflictingSuffix) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 8, 1))));
  // A new leader's entries from 4 to 5 replace 4..8: 6..8 must be gone.
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(4, 5, 2))));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().LastIndex(), 5u);
    EXPECT_EQ(Terms(this->log(), 1, 5), (std::vector<uint64_t>{1, 1, 1, 2, 2}));
    EXPECT_EQ(this->log().Term(6).status().code(), StatusCode::kUnavailable);
    auto got = this->log().Entries(3, 6, UINT64_MAX);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 3u);
    EXPECT_EQ((*got)[1].term(), 2u);
    EXPECT_TRUE(testing::VerifyEntry((*got)[1]).ok());
  });
}

TYPED_TEST(LogConformanceTest, AppendOfALongerRunReplacesTheSuffixAndExtendsTheLog) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 4, 1))));
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(3, 9, 3))));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().LastIndex(), 9u);
    EXPECT_EQ(Terms(this->log(), 1, 9), (std::vector<uint64_t>{1, 1, 3, 3, 3, 3, 3, 3, 3}));
  });
}

TYPED_TEST(LogConformanceTest, AppendLeavingAGapIsRejectedAndChangesNothing) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 3, 1))));
  Status s = this->impl_.Save(Append(Run(5, 6, 1)));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().LastIndex(), 3u);
    EXPECT_EQ(Terms(this->log(), 1, 3), (std::vector<uint64_t>{1, 1, 1}));
  });
}

TYPED_TEST(LogConformanceTest, AppendOfNonContiguousEntriesIsRejectedAndChangesNothing) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 3, 1))));
  std::vector<raftpb::Entry> broken = {VerifiableEntry(4, 1), VerifiableEntry(6, 1)};
  Status s = this->impl_.Save(Append(broken));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  this->CheckLiveAndReopened([&] { EXPECT_EQ(this->log().LastIndex(), 3u); });
}

TYPED_TEST(LogConformanceTest, AppendedEntriesAtOrBelowTheCompactedIndexAreIgnored) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 6, 1))));
  RAFTKV_ASSERT_OK(this->impl_.CreateSnapshot(4, Voters({1}), "s"));
  RAFTKV_ASSERT_OK(this->impl_.Compact(4));
  // Entirely below: a no-op.
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(2, 3, 1))));
  EXPECT_EQ(this->log().LastIndex(), 6u);
  // Straddling: only 5.. are taken, and they truncate from 5.
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(3, 5, 1))));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().FirstIndex(), 5u);
    EXPECT_EQ(this->log().LastIndex(), 5u);
    EXPECT_EQ(Terms(this->log(), 4, 5), (std::vector<uint64_t>{1, 1}));
  });
}

TYPED_TEST(LogConformanceTest, SnapshotInstallReplacesTheWholeLogAndItsConfiguration) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 10, 1))));
  RAFTKV_ASSERT_OK(this->impl_.Save(InstallSnapshot(7, 3, {1, 2, 3})));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().FirstIndex(), 8u);
    EXPECT_EQ(this->log().LastIndex(), 7u);
    EXPECT_EQ(*this->log().Term(7), 3u);
    EXPECT_EQ(this->log().Term(6).status().code(), StatusCode::kCompacted);
    EXPECT_EQ(this->log().Term(8).status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(this->log().Entries(7, 8, UINT64_MAX).status().code(), StatusCode::kCompacted);
    auto snap = this->log().GetSnapshot();
    ASSERT_TRUE(snap.ok());
    EXPECT_EQ(snap->metadata().index(), 7u);
    EXPECT_EQ(snap->metadata().term(), 3u);
    EXPECT_EQ(snap->data(), "state@7");
    auto init = this->log().GetInitialState();
    ASSERT_TRUE(init.ok());
    EXPECT_EQ(init->conf_state.voters_size(), 3);
    EXPECT_EQ(init->hard_state.commit(), 7u);
  });
}

TYPED_TEST(LogConformanceTest, SnapshotInstallBeyondTheLogLeavesAnEmptyLogAfterIt) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 3, 1))));
  RAFTKV_ASSERT_OK(this->impl_.Save(InstallSnapshot(20, 4, {1})));
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(21, 22, 4))));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().FirstIndex(), 21u);
    EXPECT_EQ(this->log().LastIndex(), 22u);
    EXPECT_EQ(Terms(this->log(), 20, 22), (std::vector<uint64_t>{4, 4, 4}));
  });
}

TYPED_TEST(LogConformanceTest, SnapshotAndEntriesOfOneReadyAreAppliedInThatOrder) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 5, 1))));
  Ready rd = InstallSnapshot(8, 2, {1});
  rd.entries = Run(9, 11, 2);
  RAFTKV_ASSERT_OK(this->impl_.Save(rd));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().FirstIndex(), 9u);
    EXPECT_EQ(this->log().LastIndex(), 11u);
    EXPECT_EQ(Terms(this->log(), 8, 11), (std::vector<uint64_t>{2, 2, 2, 2}));
  });
}

TYPED_TEST(LogConformanceTest, SnapshotInstallOlderThanTheCurrentOneIsRejected) {
  RAFTKV_ASSERT_OK(this->impl_.Save(InstallSnapshot(10, 2, {1})));
  Status s = this->impl_.Save(InstallSnapshot(9, 2, {1}));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().GetSnapshot()->metadata().index(), 10u);
    EXPECT_EQ(this->log().LastIndex(), 10u);
  });
}

TYPED_TEST(LogConformanceTest, CreateSnapshotRecordsTheTermOfItsIndexAndKeepsTheLog) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 3, 1))));
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(4, 6, 2))));
  RAFTKV_ASSERT_OK(this->impl_.CreateSnapshot(5, Voters({1, 2}), "data@5"));
  this->CheckLiveAndReopened([&] {
    auto snap = this->log().GetSnapshot();
    ASSERT_TRUE(snap.ok());
    EXPECT_EQ(snap->metadata().index(), 5u);
    EXPECT_EQ(snap->metadata().term(), 2u);
    EXPECT_EQ(snap->metadata().conf_state().voters_size(), 2);
    EXPECT_EQ(snap->data(), "data@5");
    EXPECT_EQ(this->log().FirstIndex(), 1u);
    EXPECT_EQ(this->log().LastIndex(), 6u);
  });
}

TYPED_TEST(LogConformanceTest, CreateSnapshotNotNewerOrBeyondTheLogIsRejected) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 6, 1))));
  RAFTKV_ASSERT_OK(this->impl_.CreateSnapshot(4, Voters({1}), "s"));
  EXPECT_EQ(this->impl_.CreateSnapshot(4, Voters({1}), "s").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->impl_.CreateSnapshot(3, Voters({1}), "s").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->impl_.CreateSnapshot(7, Voters({1}), "s").code(), StatusCode::kInvalidArgument);
  this->CheckLiveAndReopened([&] { EXPECT_EQ(this->log().GetSnapshot()->metadata().index(), 4u); });
}

TYPED_TEST(LogConformanceTest, CompactRemovesThePrefixAndKeepsTheTermOfTheCompactedIndex) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 4, 1))));
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(5, 9, 2))));
  RAFTKV_ASSERT_OK(this->impl_.CreateSnapshot(8, Voters({1}), "s"));
  RAFTKV_ASSERT_OK(this->impl_.Compact(5));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().FirstIndex(), 6u);
    EXPECT_EQ(this->log().LastIndex(), 9u);
    EXPECT_EQ(*this->log().Term(5), 2u);
    EXPECT_EQ(this->log().Term(4).status().code(), StatusCode::kCompacted);
    auto rest = this->log().Entries(6, 10, UINT64_MAX);
    ASSERT_TRUE(rest.ok());
    EXPECT_EQ(Indexes(*rest), (std::vector<uint64_t>{6, 7, 8, 9}));
  });
  // Up to the snapshot index itself.
  RAFTKV_ASSERT_OK(this->impl_.Compact(8));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().FirstIndex(), 9u);
    EXPECT_EQ(*this->log().Term(8), 2u);
  });
}

TYPED_TEST(LogConformanceTest, CompactBeyondTheSnapshotIsRejectedAndBehindItIsANoOp) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 9, 1))));
  RAFTKV_ASSERT_OK(this->impl_.CreateSnapshot(5, Voters({1}), "s"));
  EXPECT_EQ(this->impl_.Compact(6).code(), StatusCode::kInvalidArgument);
  RAFTKV_ASSERT_OK(this->impl_.Compact(4));
  RAFTKV_ASSERT_OK(this->impl_.Compact(3));  // already compacted further
  this->CheckLiveAndReopened([&] { EXPECT_EQ(this->log().FirstIndex(), 5u); });
}

TYPED_TEST(LogConformanceTest, HardStateIsWhatGetInitialStateReports) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 3, 2))));
  Ready rd;
  raftpb::HardState hs;
  hs.set_term(5);
  hs.set_vote(3);
  hs.set_commit(2);
  rd.hard_state = hs;
  rd.must_sync = true;
  RAFTKV_ASSERT_OK(this->impl_.Save(rd));
  this->CheckLiveAndReopened([&] {
    auto init = this->log().GetInitialState();
    ASSERT_TRUE(init.ok());
    EXPECT_EQ(init->hard_state.term(), 5u);
    EXPECT_EQ(init->hard_state.vote(), 3u);
    EXPECT_EQ(init->hard_state.commit(), 2u);
  });
}

TYPED_TEST(LogConformanceTest, BootstrapWritesTheFoundingConfigurationAsCommittedEntries) {
  RAFTKV_ASSERT_OK(this->impl_.Bootstrap({3, 1, 2}));
  this->CheckLiveAndReopened([&] {
    EXPECT_EQ(this->log().FirstIndex(), 1u);
    EXPECT_EQ(this->log().LastIndex(), 3u);
    auto init = this->log().GetInitialState();
    ASSERT_TRUE(init.ok());
    EXPECT_EQ(init->hard_state.term(), 1u);
    EXPECT_EQ(init->hard_state.commit(), 3u);
    EXPECT_EQ(init->conf_state.voters_size(), 3);
    auto entries = this->log().Entries(1, 4, UINT64_MAX);
    ASSERT_TRUE(entries.ok());
    auto expected = raft::MakeBootstrapState({1, 2, 3});
    ASSERT_TRUE(expected.ok());
    ASSERT_EQ(entries->size(), expected->entries.size());
    for (size_t i = 0; i < entries->size(); ++i) {
      EXPECT_EQ((*entries)[i].SerializeAsString(), expected->entries[i].SerializeAsString());
    }
  });
}

TYPED_TEST(LogConformanceTest, BootstrapOfALogThatIsNotEmptyIsRejected) {
  RAFTKV_ASSERT_OK(this->impl_.Save(Append(Run(1, 1, 1))));
  EXPECT_EQ(this->impl_.Bootstrap({1}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->log().LastIndex(), 1u);
}

}  // namespace
}  // namespace raftkv::storage
