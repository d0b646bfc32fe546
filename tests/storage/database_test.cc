// Tests of storage::Database: the data directory's identity and integrity checks, and a full
// disk (DESIGN.md rule 4: bad input from the disk gets a clear error, never a crash or lost data).
#include "storage/database.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "storage/fault_file_system.h"
#include "tests/storage/temp_dir.h"

namespace raftkv::storage {
namespace {

using testing::TempDir;

DatabaseOptions OptionsFor(const std::string& dir, std::optional<MemberIdentity> id) {
  DatabaseOptions options;
  options.data_dir = dir;
  options.expected_identity = id;
  return options;
}

Status PutNodeMeta(Database& db, const std::string& key, const std::string& value, bool sync) {
  rocksdb::WriteBatch batch;
  if (!batch.Put(db.family(Family::kNodeMeta), key, value).ok()) {
    return Status::Internal("batch");
  }
  return db.Write(&batch, sync);
}

std::string GetNodeMeta(Database& db, const std::string& key) {
  std::string value;
  rocksdb::Status s =
      db.db()->Get(rocksdb::ReadOptions(), db.family(Family::kNodeMeta), key, &value);
  return s.ok() ? value : "<" + s.ToString() + ">";
}

TEST(DatabaseTest, NewDirectoryIsCreatedWithItsIdentityAndReopensWithData) {
  TempDir dir;
  const MemberIdentity id{0xc1, 0xa1};
  {
    auto db = Database::Open(OptionsFor(dir.Sub("member"), id));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ((*db)->identity(), id);
    ASSERT_TRUE(PutNodeMeta(**db, "k", "v", /*sync=*/true).ok());
  }
  auto db = Database::Open(OptionsFor(dir.Sub("member"), id));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(GetNodeMeta(**db, "k"), "v");
}

TEST(DatabaseTest, DirectoryOfAnotherMemberIsRefusedNamingBothOwners) {
  TempDir dir;
  { ASSERT_TRUE(Database::Open(OptionsFor(dir.Sub("m"), MemberIdentity{0xc1, 0xa1})).ok()); }
  auto db = Database::Open(OptionsFor(dir.Sub("m"), MemberIdentity{0xc1, 0xb2}));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("belongs to member a1 of cluster c1"), std::string::npos)
      << db.status().message();
  EXPECT_NE(db.status().message().find("not to member b2 of cluster c1"), std::string::npos);
}

TEST(DatabaseTest, DirectoryOfAnotherClusterIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(Database::Open(OptionsFor(dir.Sub("m"), MemberIdentity{0xc1, 0xa1})).ok()); }
  auto db = Database::Open(OptionsFor(dir.Sub("m"), MemberIdentity{0xc2, 0xa1}));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("cluster c2"), std::string::npos);
}

TEST(DatabaseTest, DirectoryHoldingForeignFilesIsRefusedAndLeftUntouched) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("m/member/snap"));  // an etcd data dir, say
  auto db = Database::Open(OptionsFor(dir.Sub("m"), MemberIdentity{1, 1}));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("'member'"), std::string::npos) << db.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("m/db")));
}

TEST(DatabaseTest, DatabaseWithoutItsManifestPointerIsCorruption) {
  TempDir dir;
  { ASSERT_TRUE(Database::Open(OptionsFor(dir.Sub("m"), MemberIdentity{1, 1})).ok()); }
  std::filesystem::remove(dir.Sub("m/db/CURRENT"));
  auto db = Database::Open(OptionsFor(dir.Sub("m"), MemberIdentity{1, 1}));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kCorruption);
}

// Flips bytes in the middle of every SST file, as a failing disk would.
void DamageSstFiles(const std::string& db_dir) {
  int damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(db_dir)) {
    if (entry.path().extension() != ".sst") continue;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    const auto size = std::filesystem::file_size(entry.path());
    for (uint64_t off = 16; off + 16 < size / 2; off += 97) {
      f.seekp(static_cast<std::streamoff>(off));
      f.put('\x5a');
    }
    ++damaged;
  }
  ASSERT_GT(damaged, 0) << "no SST file to damage in " << db_dir;
}

TEST(DatabaseTest, DamagedDataFileStopsStartupWithCorruption) {
  TempDir dir;
  {
    auto db = Database::Open(OptionsFor(dir.Sub("m"), MemberIdentity{1, 1}));
    ASSERT_TRUE(db.ok());
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(PutNodeMeta(**db, "key" + std::to_string(i), std::string(100, 'x'), false).ok());
    }
    ASSERT_TRUE((*db)->db()->Flush(rocksdb::FlushOptions(), (*db)->family(Family::kNodeMeta)).ok());
  }
  DamageSstFiles(dir.Sub("m/db"));
  auto db = Database::Open(OptionsFor(dir.Sub("m"), MemberIdentity{1, 1}));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kCorruption) << db.status().ToString();
}

TEST(DatabaseTest, FullDiskFailsWritesWithNoSpaceKeepsReadsAndRecoversWhenSpaceReturns) {
  TempDir dir;
  auto fs = std::make_shared<FaultFileSystem>(rocksdb::FileSystem::Default());
  DatabaseOptions options = OptionsFor(dir.Sub("m"), MemberIdentity{1, 1});
  options.file_system = fs;
  auto db = Database::Open(options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(PutNodeMeta(**db, "before", "1", true).ok());

  fs->SetDiskFull(true);
  Status full = PutNodeMeta(**db, "during", "2", true);
  EXPECT_EQ(full.code(), StatusCode::kNoSpace) << full.ToString();
  EXPECT_NE(full.message().find("disk is full"), std::string::npos) << full.message();
  // Still full: still a clear error, not a hang.
  EXPECT_FALSE(PutNodeMeta(**db, "during2", "3", true).ok());
  EXPECT_EQ(GetNodeMeta(**db, "before"), "1");  // reads keep working

  // Space returns: writes resume (RocksDB may still be finishing its own recovery, so wait
  // for the condition with a deadline rather than expecting the very next write to pass).
  fs->SetDiskFull(false);
  Status after = PutNodeMeta(**db, "after", "4", true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!after.ok() && std::chrono::steady_clock::now() < deadline) {
    EXPECT_EQ(after.code(), StatusCode::kNoSpace) << after.ToString();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    after = PutNodeMeta(**db, "after", "4", true);
  }
  ASSERT_TRUE(after.ok()) << after.ToString();
  EXPECT_EQ(GetNodeMeta(**db, "after"), "4");
  EXPECT_EQ(GetNodeMeta(**db, "before"), "1");
}

}  // namespace
}  // namespace raftkv::storage
