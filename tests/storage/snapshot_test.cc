// Tests of streamed snapshots (storage/snapshot_stream.h): a point-in-time image of the active
// MVCC generation, sent in bounded chunks, restored atomically on another member.
#include "storage/snapshot_stream.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <random>

#include "storage/codec.h"
#include "storage/mvcc_generation.h"
#include "tests/storage/child_process_support.h"
#include "tests/storage/snapshot_support.h"
#include "tests/storage/temp_dir.h"

namespace raftkv::storage {
namespace {

using testing::ChildProcess;
using testing::DigestActiveKeySpace;
using testing::FillGeneration;
using testing::KeySpaceDigest;
using testing::OpenTestDatabase;
using testing::TempDir;

std::unique_ptr<Database> MustOpen(const std::string& dir) {
  auto db = OpenTestDatabase(dir);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(*db) : nullptr;
}

std::vector<storagepb::SnapshotChunk> Drain(const Database& db, size_t chunk_bytes) {
  std::vector<storagepb::SnapshotChunk> chunks;
  auto source = SnapshotSource::Open(&db, chunk_bytes);
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  while (source.ok() && !(*source)->done()) {
    auto chunk = (*source)->Next();
    EXPECT_TRUE(chunk.ok()) << chunk.status().ToString();
    if (!chunk.ok()) break;
    chunks.push_back(std::move(*chunk));
  }
  return chunks;
}

// Counts keys of `generation` in a family, reading the raw column family.
size_t CountGenerationKeys(const Database& db, Family family, uint64_t generation) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(TotalOrderReadOptions(), db.family(family)));
  size_t n = 0;
  const std::string prefix = BigEndian64(generation);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
  return n;
}

TEST(SnapshotTest, RestoreMakesTheTargetKeySpaceEqualToTheSourceAndDropsTheOldOne) {
  TempDir dir;
  auto source = MustOpen(dir.Sub("source"));
  auto target = MustOpen(dir.Sub("target"));
  ASSERT_TRUE(FillGeneration(source.get(), kFirstMvccGeneration, 7, 500, 100).ok());
  ASSERT_TRUE(FillGeneration(target.get(), kFirstMvccGeneration, 8, 300, 50).ok());
  const auto source_digest = DigestActiveKeySpace(*source);
  ASSERT_TRUE(source_digest.ok());
  EXPECT_EQ(source_digest->records, 502u);

  auto restorer = SnapshotRestorer::Begin(target.get());
  ASSERT_TRUE(restorer.ok());
  for (const auto& chunk : Drain(*source, 4096)) ASSERT_TRUE((*restorer)->Add(chunk).ok());
  ASSERT_TRUE((*restorer)->Finish().ok());

  EXPECT_EQ(*ReadActiveGeneration(*target), kFirstMvccGeneration + 1);
  EXPECT_EQ(*DigestActiveKeySpace(*target), *source_digest);
  EXPECT_EQ(CountGenerationKeys(*target, Family::kMvccKv, kFirstMvccGeneration), 0u);
  EXPECT_EQ(CountGenerationKeys(*target, Family::kMvccKv, kFirstMvccGeneration + 1), 500u);
}

TEST(SnapshotTest, StreamCarriesOnlyTheActiveGeneration) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("db"));
  ASSERT_TRUE(FillGeneration(db.get(), 1, 1, 10, 10).ok());
  ASSERT_TRUE(FillGeneration(db.get(), 2, 2, 20, 10).ok());  // a leftover of a failed restore
  EXPECT_EQ(DigestActiveKeySpace(*db)->records, 12u);
}

TEST(SnapshotTest, ChunksStayWithinTheirByteBudget) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("db"));
  ASSERT_TRUE(FillGeneration(db.get(), 1, 3, 2000, 100).ok());
  const size_t budget = 8192;
  const auto chunks = Drain(*db, budget);
  ASSERT_GT(chunks.size(), 10u);
  for (size_t i = 0; i < chunks.size(); ++i) {
    size_t bytes = 0;
    for (const auto& r : chunks[i].records()) bytes += r.key().size() + 8 + r.value().size();
    EXPECT_LE(bytes, budget) << "chunk " << i;
    EXPECT_EQ(chunks[i].sequence(), i);
    EXPECT_EQ(chunks[i].last(), i + 1 == chunks.size());
  }
}

TEST(SnapshotTest, SourceIsAPointInTimeImage) {
  TempDir dir;
  auto db = MustOpen(dir.Sub("db"));
  ASSERT_TRUE(FillGeneration(db.get(), 1, 4, 100, 10).ok());
  auto source = SnapshotSource::Open(db.get(), 256);
  ASSERT_TRUE(source.ok());
  auto first = (*source)->Next();
  ASSERT_TRUE(first.ok());
  // Writes after the source opened, including a switch of generation, are not in the stream.
  ASSERT_TRUE(FillGeneration(db.get(), 1, 5, 100, 10).ok());
  rocksdb::WriteBatch flip;
  ASSERT_TRUE(PutActiveGeneration(*db, 9, &flip).ok());
  ASSERT_TRUE(db->Write(&flip, false).ok());
  uint64_t records = first->records_size();
  while (!(*source)->done()) {
    auto chunk = (*source)->Next();
    ASSERT_TRUE(chunk.ok());
    records += chunk->records_size();
  }
  EXPECT_EQ(records, 102u);
}

// Runs a restore of `chunks` into a fresh target with one chunk changed by `mutate`, and checks
// that it fails and leaves the target's key space as it was.
void ExpectBadStreamRejected(
    const std::vector<storagepb::SnapshotChunk>& chunks,
    const std::function<void(std::vector<storagepb::SnapshotChunk>*)>& mutate) {
  TempDir dir;
  auto target = MustOpen(dir.Sub("target"));
  ASSERT_TRUE(FillGeneration(target.get(), 1, 11, 50, 10).ok());
  const auto before = DigestActiveKeySpace(*target);
  std::vector<storagepb::SnapshotChunk> bad = chunks;
  mutate(&bad);
  {
    auto restorer = SnapshotRestorer::Begin(target.get());
    ASSERT_TRUE(restorer.ok());
    bool failed = false;
    for (const auto& chunk : bad) {
      if (!(*restorer)->Add(chunk).ok()) {
        failed = true;
        break;
      }
    }
    if (!failed) failed = !(*restorer)->Finish().ok();
    EXPECT_TRUE(failed) << "a damaged stream was accepted";
  }
  EXPECT_EQ(*ReadActiveGeneration(*target), 1u);
  EXPECT_EQ(*DigestActiveKeySpace(*target), *before);
  // The abandoned restore deleted what it staged.
  EXPECT_EQ(CountGenerationKeys(*target, Family::kMvccKv, 2), 0u);
}

TEST(SnapshotTest, DamagedStreamsAreRejectedAndLeaveTheOldKeySpace) {
  TempDir dir;
  auto source = MustOpen(dir.Sub("source"));
  ASSERT_TRUE(FillGeneration(source.get(), 1, 12, 200, 30).ok());
  const auto chunks = Drain(*source, 1024);
  ASSERT_GT(chunks.size(), 4u);
  using Chunks = std::vector<storagepb::SnapshotChunk>;
  ExpectBadStreamRejected(chunks, [](Chunks* c) { c->pop_back(); });                // truncated
  ExpectBadStreamRejected(chunks, [](Chunks* c) { c->erase(c->begin() + 1); });     // gap
  ExpectBadStreamRejected(chunks, [](Chunks* c) { std::swap((*c)[1], (*c)[2]); });  // reordered
  ExpectBadStreamRejected(chunks, [](Chunks* c) { c->insert(c->begin() + 2, (*c)[1]); });
  ExpectBadStreamRejected(chunks, [](Chunks* c) {  // a flipped byte in a value
    (*c)[2].mutable_records(0)->mutable_value()->at(3) ^= 1;
  });
  ExpectBadStreamRejected(chunks, [](Chunks* c) {  // a record lost inside a chunk
    (*c)[2].mutable_records()->RemoveLast();
  });
  ExpectBadStreamRejected(chunks, [](Chunks* c) {  // a record for a family it must not touch
    (*c)[1].mutable_records(0)->set_family(static_cast<uint32_t>(Family::kRaftLog));
  });
}

TEST(SnapshotTest, CrashDuringRestoreLeavesTheOldKeySpaceOrTheNewNeverAMix) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("replay with RAFTKV_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  TempDir dir;
  // Two sources with different key spaces; each round restores the one the target lacks.
  KeySpaceDigest digests[2];
  for (int i = 0; i < 2; ++i) {
    auto source = MustOpen(dir.Sub("source" + std::to_string(i)));
    ASSERT_TRUE(FillGeneration(source.get(), 1, 100 + i, 3000 + 500 * i, 200).ok());
    digests[i] = *DigestActiveKeySpace(*source);
  }
  {
    auto target = MustOpen(dir.Sub("target"));
    ASSERT_TRUE(FillGeneration(target.get(), 1, 100, 3000, 200).ok());  // equals source0
  }
  int holds = 0;  // which source's key space the target holds
  for (int round = 0; round < 12; ++round) {
    const int other = 1 - holds;
    ChildProcess child({std::string(RAFTKV_TEST_BIN_DIR) + "/snapshot_restore",
                        dir.Sub("source" + std::to_string(other)), dir.Sub("target"), "8192"});
    ASSERT_TRUE(child.running());
    // Three kinds of round: killed at a random chunk (well before the switch: a stream here is
    // over 70 chunks), killed the moment the switch starts, and killed after the switch returned.
    // The helper does not wait for the test, so on a loaded machine it may have got further than
    // the line the test read when the kill lands: each outcome is judged by the last line the
    // helper printed before it died, not by the mode.
    enum Mode { kMidStream, kDuringSwitch, kAfterSwitch } mode = Mode(round % 3);
    const int kill_after = static_cast<int>(rng() % 60);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    enum Reached { kStreaming, kSwitching, kSwitched } reached = kStreaming;
    auto note = [&reached](const std::string& line) {
      if (line == "finishing") reached = kSwitching;
      if (line == "finished") reached = kSwitched;
    };
    for (int lines = 0;; ++lines) {
      if (mode == kMidStream && lines == kill_after) break;
      auto line = child.ReadLine(deadline);
      ASSERT_TRUE(line.has_value()) << "the restore helper stopped or stalled in round " << round;
      note(*line);
      if (mode == kDuringSwitch && reached == kSwitching) break;
      if (reached == kSwitched) break;
    }
    child.Kill();
    // After the kill the pipe ends; what the helper printed before it died is still in it.
    const auto drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (auto line = child.ReadLine(drain_deadline)) note(*line);
    auto target = MustOpen(dir.Sub("target"));
    ASSERT_NE(target, nullptr);
    const auto now = DigestActiveKeySpace(*target);
    ASSERT_TRUE(now.ok()) << now.status().ToString();
    if (*now == digests[other]) {
      ASSERT_NE(reached, kStreaming) << "round " << round << ": an unfinished restore took effect";
      holds = other;
    } else {
      ASSERT_EQ(*now, digests[holds]) << "round " << round << ": the target holds a mix";
      ASSERT_NE(reached, kSwitched) << "round " << round << ": a finished restore was lost";
    }
  }
}

}  // namespace
}  // namespace raftkv::storage
