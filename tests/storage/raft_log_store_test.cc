// Tests of storage::RaftLogStore beyond what it shares with MemoryStorage (that is
// raft_log_conformance_test.cc): what survives a reopen, damage found at Open (always
// Corruption naming the index and the problem, never a crash or a repair), writes refused
// before they reach the disk, and a full disk.
#include "storage/raft_log_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/fault_file_system.h"
#include "storage/raft_log_keys.h"
#include "tests/storage/raft_log_support.h"
#include "tests/storage/temp_dir.h"

namespace raftkv::storage {
namespace {

using testing::OpenLog;
using testing::OpenLogAt;
using testing::TempDir;
using testing::VerifiableEntry;

raft::Ready Append(uint64_t lo, uint64_t hi, uint64_t term, uint64_t commit) {
  raft::Ready rd;
  for (uint64_t i = lo; i <= hi; ++i) rd.entries.push_back(VerifiableEntry(i, term));
  raftpb::HardState hs;
  hs.set_term(term);
  hs.set_commit(commit);
  rd.hard_state = hs;
  rd.must_sync = true;
  return rd;
}

class RaftLogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Open()); }

  void Open() {
    StatusOr<OpenLog> open = OpenLogAt(dir_.Sub("data"));
    ASSERT_TRUE(open.ok()) << open.status().ToString();
    open_ = std::move(open).value();
  }
  void Close() {
    open_.log.reset();
    open_.db.reset();
  }
  // Closes the store, keeping the database open, so a test can damage the families directly.
  void CloseStoreOnly() { open_.log.reset(); }
  // Reopens and returns the error Open gives (OK if it opens).
  Status ReopenStatus() {
    Close();
    StatusOr<OpenLog> open = OpenLogAt(dir_.Sub("data"));
    if (!open.ok()) return open.status();
    open_ = std::move(open).value();
    return Status::Ok();
  }

  void PutRaw(Family family, const std::string& key, const std::string& value) {
    rocksdb::Status s =
        open_.db->db()->Put(rocksdb::WriteOptions(), open_.db->family(family), key, value);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void DeleteRaw(Family family, const std::string& key) {
    rocksdb::Status s =
        open_.db->db()->Delete(rocksdb::WriteOptions(), open_.db->family(family), key);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Expects Open to fail with Corruption whose message contains every one of `parts`.
  void ExpectCorruptionAtOpen(const std::vector<std::string>& parts) {
    Status s = ReopenStatus();
    ASSERT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
    for (const std::string& part : parts) {
      EXPECT_NE(s.message().find(part), std::string::npos)
          << "'" << part << "' not in: " << s.message();
    }
  }

  RaftLogStore& log() { return *open_.log; }

  TempDir dir_;
  OpenLog open_;
};

TEST_F(RaftLogStoreTest, EverythingWrittenSurvivesCloseAndReopen) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 20, 1, 10)));
  RAFTKV_ASSERT_OK(log().Save(Append(15, 30, 2, 12)));  // truncates 15..20
  raftpb::ConfState cs;
  cs.add_voters(1);
  cs.add_learners(4);
  RAFTKV_ASSERT_OK(log().SetConfState(cs));
  RAFTKV_ASSERT_OK(log().CreateSnapshot(12, cs, "snapshot-data"));
  RAFTKV_ASSERT_OK(log().Compact(11));

  RAFTKV_ASSERT_OK(ReopenStatus());
  EXPECT_EQ(log().FirstIndex(), 12u);
  EXPECT_EQ(log().LastIndex(), 30u);
  EXPECT_EQ(*log().Term(11), 1u);
  EXPECT_EQ(*log().Term(14), 1u);
  EXPECT_EQ(*log().Term(15), 2u);
  EXPECT_EQ(*log().Term(30), 2u);
  auto entries = log().Entries(12, 31, UINT64_MAX);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 19u);
  for (const raftpb::Entry& e : *entries) EXPECT_TRUE(testing::VerifyEntry(e).ok()) << e.index();
  auto init = log().GetInitialState();
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->hard_state.term(), 2u);
  EXPECT_EQ(init->hard_state.commit(), 12u);
  EXPECT_EQ(init->conf_state.SerializeAsString(), cs.SerializeAsString());
  auto snap = log().GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->metadata().index(), 12u);
  EXPECT_EQ(snap->metadata().term(), 1u);
  EXPECT_EQ(snap->data(), "snapshot-data");
}

TEST_F(RaftLogStoreTest, HardStateThatDoesNotParseIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 3, 1, 1)));
  PutRaw(Family::kRaftMeta, std::string(kHardStateKey), "\xff\xff\xff garbage");
  ExpectCorruptionAtOpen({"hard_state", "does not parse"});
}

TEST_F(RaftLogStoreTest, SnapshotMetadataThatDoesNotParseIsCorruption) {
  PutRaw(Family::kRaftMeta, std::string(kSnapshotKey), "\x0a\xff");
  ExpectCorruptionAtOpen({"snapshot", "does not parse"});
}

TEST_F(RaftLogStoreTest, GapInTheLogIsCorruptionNamingTheMissingEntries) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 10, 1, 1)));
  DeleteRaw(Family::kRaftLog, LogKey(6));
  ExpectCorruptionAtOpen({"entries 6..6 are missing"});
}

TEST_F(RaftLogStoreTest, StrayEntryBeyondTheLastIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 1, 1)));
  PutRaw(Family::kRaftLog, LogKey(9), VerifiableEntry(9, 1).SerializeAsString());
  ExpectCorruptionAtOpen({"entries 6..8 are missing"});
}

TEST_F(RaftLogStoreTest, MissingFirstEntryIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 1, 1)));
  DeleteRaw(Family::kRaftLog, LogKey(1));
  ExpectCorruptionAtOpen({"first entry is 2", "entries 1..1 are missing"});
}

TEST_F(RaftLogStoreTest, EntryLeftBelowTheCompactedIndexIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 8, 1, 6)));
  RAFTKV_ASSERT_OK(log().CreateSnapshot(6, raftpb::ConfState(), ""));
  RAFTKV_ASSERT_OK(log().Compact(5));
  PutRaw(Family::kRaftLog, LogKey(3), VerifiableEntry(3, 1).SerializeAsString());
  ExpectCorruptionAtOpen({"entry 3 should be gone", "compacted up to 5"});
}

TEST_F(RaftLogStoreTest, EntryStoredUnderAnotherIndexIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 1, 1)));
  PutRaw(Family::kRaftLog, LogKey(4), VerifiableEntry(7, 1).SerializeAsString());
  ExpectCorruptionAtOpen({"stored under index 4 says it is entry 7"});
}

TEST_F(RaftLogStoreTest, EntryThatDoesNotParseIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 1, 1)));
  PutRaw(Family::kRaftLog, LogKey(5), "\x0a\xff\xff");
  ExpectCorruptionAtOpen({"raft log entry 5", "does not parse"});
}

TEST_F(RaftLogStoreTest, TermGoingBackIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 3, 1)));
  PutRaw(Family::kRaftLog, LogKey(5), VerifiableEntry(5, 2).SerializeAsString());
  ExpectCorruptionAtOpen({"entry 4 has term 3, higher than the term 2 of entry 5"});
}

TEST_F(RaftLogStoreTest, MalformedKeyInTheLogFamilyIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 1, 1)));
  PutRaw(Family::kRaftLog, "\xff\xff\xff\xff\xff\xff\xff\xff\x01", "x");
  ExpectCorruptionAtOpen({"key of 9 bytes"});
}

TEST_F(RaftLogStoreTest, CommitBeyondTheLastEntryIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 1, 1)));
  raftpb::HardState hs;
  hs.set_term(1);
  hs.set_commit(9);
  PutRaw(Family::kRaftMeta, std::string(kHardStateKey), hs.SerializeAsString());
  ExpectCorruptionAtOpen({"commit index 9", "last entry 5"});
}

TEST_F(RaftLogStoreTest, SnapshotWhoseTermDisagreesWithTheLogIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 2, 1)));
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(4);
  snap.mutable_metadata()->set_term(1);
  PutRaw(Family::kRaftMeta, std::string(kSnapshotKey), snap.SerializeAsString());
  ExpectCorruptionAtOpen({"snapshot at index 4 has term 1", "log has term 2"});
}

TEST_F(RaftLogStoreTest, SnapshotBeyondTheLogIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 2, 1)));
  raftpb::Snapshot snap;
  snap.mutable_metadata()->set_index(8);
  snap.mutable_metadata()->set_term(2);
  PutRaw(Family::kRaftMeta, std::string(kSnapshotKey), snap.SerializeAsString());
  ExpectCorruptionAtOpen({"snapshot at index 8", "beyond the last entry 5"});
}

TEST_F(RaftLogStoreTest, CompactedPointBeyondTheSnapshotIsCorruption) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 2, 1)));
  raftpb::Entry compacted;
  compacted.set_index(3);
  compacted.set_term(2);
  PutRaw(Family::kRaftMeta, std::string(kCompactedKey), compacted.SerializeAsString());
  ExpectCorruptionAtOpen({"compacted up to index 3", "beyond the snapshot index 0"});
}

// Open checks only the newest entries one by one (raft_log_open.cc says why); damage further
// down is still found, by the read that meets it.
TEST_F(RaftLogStoreTest, GapBelowTheCheckedTailIsReportedByTheReadThatMeetsIt) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 3000, 1, 1)));
  DeleteRaw(Family::kRaftLog, LogKey(100));
  RAFTKV_ASSERT_OK(ReopenStatus());
  auto entries = log().Entries(90, 110, UINT64_MAX);
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().code(), StatusCode::kCorruption);
  EXPECT_NE(entries.status().message().find("entry 100 is missing"), std::string::npos)
      << entries.status().message();
  auto term = log().Term(100);
  ASSERT_FALSE(term.ok());
  EXPECT_EQ(term.status().code(), StatusCode::kCorruption);
}

TEST_F(RaftLogStoreTest, AppendGoingBackInTermIsRefusedBeforeItReachesTheDisk) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 3, 1)));
  Status s = log().Save(Append(6, 7, 2, 1));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  s = log().Save(Append(3, 4, 2, 1));  // truncating append below the term of entry 2
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  RAFTKV_ASSERT_OK(ReopenStatus());
  EXPECT_EQ(log().LastIndex(), 5u);
}

TEST_F(RaftLogStoreTest, HardStateCommitBeyondTheLogIsRefused) {
  RAFTKV_ASSERT_OK(log().Save(Append(1, 5, 1, 1)));
  Status s = log().Save(Append(6, 7, 1, 8));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(log().LastIndex(), 5u);
  EXPECT_EQ(log().hard_state().commit(), 1u);
}

TEST_F(RaftLogStoreTest, FullDiskFailsSaveWithNoSpaceKeepsReadsAndRecovers) {
  Close();
  auto fs = std::make_shared<FaultFileSystem>(rocksdb::FileSystem::Default());
  StatusOr<OpenLog> open = OpenLogAt(dir_.Sub("data"), fs);
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  open_ = std::move(open).value();
  RAFTKV_ASSERT_OK(log().Save(Append(1, 10, 1, 5)));

  fs->SetDiskFull(true);
  Status full = log().Save(Append(8, 14, 2, 7));  // would truncate 8..10 and extend
  EXPECT_EQ(full.code(), StatusCode::kNoSpace) << full.ToString();
  EXPECT_EQ(log().Save(Append(11, 12, 1, 5)).code(), StatusCode::kNoSpace);
  // Reads reflect the last successful write, in memory and on disk.
  EXPECT_EQ(log().LastIndex(), 10u);
  EXPECT_EQ(*log().Term(10), 1u);
  EXPECT_EQ(log().hard_state().commit(), 5u);
  auto entries = log().Entries(1, 11, UINT64_MAX);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 10u);
  EXPECT_EQ(entries->back().term(), 1u);

  // Space returns: the same write, retried, goes through. RocksDB's own recovery polls the free
  // space every few seconds and refuses a manual resume meanwhile, so the first retries may repeat
  // NoSpace (Database::Write): wait for the condition with a deadline, checking that each refused
  // retry changed nothing. (A resume tried while the disk was still full would have made the
  // error fatal, and this wait would time out.)
  fs->SetDiskFull(false);
  Status retried = log().Save(Append(8, 14, 2, 7));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!retried.ok() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(retried.code(), StatusCode::kNoSpace) << retried.ToString();
    ASSERT_EQ(log().LastIndex(), 10u);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    retried = log().Save(Append(8, 14, 2, 7));
  }
  RAFTKV_ASSERT_OK(retried);
  EXPECT_EQ(log().LastIndex(), 14u);
  EXPECT_EQ(*log().Term(8), 2u);
  RAFTKV_ASSERT_OK(ReopenStatus());
  EXPECT_EQ(log().LastIndex(), 14u);
  EXPECT_EQ(*log().Term(7), 1u);
  EXPECT_EQ(*log().Term(8), 2u);
  EXPECT_EQ(log().hard_state().commit(), 7u);
}

}  // namespace
}  // namespace raftkv::storage
