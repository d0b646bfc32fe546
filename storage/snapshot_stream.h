// Streaming snapshots of the MVCC key space (issue 3, "Snapshots").
//
// SnapshotSource reads a consistent point-in-time image of the active MVCC generation (both
// MVCC column families) and hands it out as a sequence of bounded chunks that a transport can
// send one by one. SnapshotRestorer writes such a stream into a new generation of another
// member's database and switches to it atomically in Finish(). Neither holds more than one
// chunk in memory, so a key space of any size moves with bounded memory.
//
// Atomicity: until Finish() succeeds the receiving member's active key space is untouched; a
// crash at any moment leaves either the old key space (the new generation is a leftover that
// the next restore or MvccStore::Open deletes) or the new one. After Finish() the caller must
// reload the MVCC store (MvccStore::Reload) before serving from it.
#pragma once

#include <cstdint>
#include <memory>

#include <rocksdb/slice.h>

#include <string>

#include "proto/storage.pb.h"
#include "raft/status.h"
#include "storage/database.h"

namespace rocksdb {
class Iterator;
class Snapshot;
}  // namespace rocksdb

namespace raftkv::storage {

// A running checksum over the records of a stream (64-bit FNV-1a over family, key length, key,
// value length and value), so that a reordered, truncated or damaged stream is detected.
class SnapshotChecksum {
 public:
  void Add(const storagepb::SnapshotRecord& record);
  uint64_t value() const { return hash_; }

 private:
  void AddBytes(const void* data, size_t size);
  uint64_t hash_ = 14695981039346656037ull;  // the FNV-1a offset basis
};

// Produces the chunks of one snapshot. Not thread-safe; use from one thread at a time.
class SnapshotSource {
 public:
  static constexpr size_t kDefaultChunkBytes = 1 << 20;

  // Pins the current state of `db` (a RocksDB snapshot) and starts streaming the active
  // generation. `db` must outlive the source. Each chunk holds records whose keys and values
  // add up to at most chunk_bytes, or a single record if that one alone is larger.
  static StatusOr<std::unique_ptr<SnapshotSource>> Open(const Database* db,
                                                        size_t chunk_bytes = kDefaultChunkBytes);
  ~SnapshotSource();
  SnapshotSource(const SnapshotSource&) = delete;
  SnapshotSource& operator=(const SnapshotSource&) = delete;

  // The next chunk. After the chunk with last = true, done() is true and Next fails.
  StatusOr<storagepb::SnapshotChunk> Next();
  bool done() const { return done_; }
  // The generation being streamed (of the source member).
  uint64_t generation() const { return generation_; }

 private:
  SnapshotSource() = default;
  // Moves `iterator_` to the start of the next family to stream; false when none is left.
  [[nodiscard]] Status StartFamily(bool* started);

  const Database* db_ = nullptr;
  const rocksdb::Snapshot* snapshot_ = nullptr;  // released in the destructor
  uint64_t generation_ = 0;
  size_t chunk_bytes_ = kDefaultChunkBytes;
  // Index into the families streamed, in order (kMvccKv, then kMvccMeta).
  int family_index_ = -1;
  std::unique_ptr<rocksdb::Iterator> iterator_;  // over family_index_'s generation range
  std::string upper_bound_;                      // the iterator's exclusive upper bound
  rocksdb::Slice upper_bound_slice_;             // points into upper_bound_, read by iterator_
  uint64_t next_sequence_ = 0;
  uint64_t total_records_ = 0;
  SnapshotChecksum checksum_;
  bool done_ = false;
};

// Writes a stream from a SnapshotSource into a new generation and switches to it. Not
// thread-safe. Destroying a restorer that did not finish deletes what it staged (best effort;
// a crash leaves the staged generation to be deleted later, see the file comment).
class SnapshotRestorer {
 public:
  // Starts a restore into the generation after the active one, first deleting anything a
  // previous interrupted restore left there. `db` must outlive the restorer.
  static StatusOr<std::unique_ptr<SnapshotRestorer>> Begin(Database* db);
  ~SnapshotRestorer();
  SnapshotRestorer(const SnapshotRestorer&) = delete;
  SnapshotRestorer& operator=(const SnapshotRestorer&) = delete;

  // Writes one chunk (not synced). Chunks must come in order, starting at 0, with records in
  // the two MVCC families only. Any error leaves the restore unusable (Finish fails) and the
  // active key space untouched.
  [[nodiscard]] Status Add(const storagepb::SnapshotChunk& chunk);

  // Checks that the whole stream arrived (the last chunk's totals match what was written),
  // then in one synced write makes the new generation active and deletes the old one.
  [[nodiscard]] Status Finish();

  uint64_t target_generation() const { return target_generation_; }

 private:
  SnapshotRestorer() = default;

  Database* db_ = nullptr;
  uint64_t old_generation_ = 0;
  uint64_t target_generation_ = 0;  // invariant: old_generation_ + 1
  uint64_t next_sequence_ = 0;
  uint64_t records_written_ = 0;
  SnapshotChecksum checksum_;
  bool saw_last_ = false;
  // The totals announced by the last chunk; checked in Finish.
  uint64_t announced_records_ = 0;
  uint64_t announced_checksum_ = 0;
  bool failed_ = false;    // an Add failed: the stream cannot be finished
  bool finished_ = false;  // Finish succeeded: the target generation is active
};

}  // namespace raftkv::storage
