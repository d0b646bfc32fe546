// Database: the one RocksDB instance of a member, with a column family per concern
// (DESIGN.md, storage layer), the data directory's identity check, and RocksDB errors mapped to
// raftkv Status values.
//
// Layout of a data directory:
//   <data_dir>/db/   the RocksDB instance (nothing else of raftkv's lives elsewhere)
// A data directory that holds anything else, belongs to another member or cluster, or whose
// files are damaged is refused at Open with an error naming the problem; nothing is repaired or
// overwritten.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "raft/status.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
class FileSystem;
struct ReadOptions;
class Status;
class WriteBatch;
}  // namespace rocksdb

namespace raftkv::storage {

// The column families. Each concern owns one; no key is shared between them.
enum class Family {
  kNodeMeta = 0,  // RocksDB's "default" family: the data directory identity.
  kRaftLog,       // index (8 bytes big-endian) -> raftpb::Entry
  kRaftMeta,      // hard state, conf state, snapshot metadata
  kMvccKv,        // the MVCC key space (storage/mvcc_*)
  kMvccMeta,      // MVCC bookkeeping: applied index, revisions, compaction progress
};
inline constexpr int kFamilyCount = 5;

// Who owns a data directory (see proto/storage.proto).
struct MemberIdentity {
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;
  bool operator==(const MemberIdentity&) const = default;
};

struct DatabaseOptions {
  // The member's data directory; created if it does not exist.
  std::string data_dir;
  // When set, the directory must belong to this member (or be new, in which case this identity
  // is written into it). When unset, any raftkv data directory is accepted (tools, tests).
  std::optional<MemberIdentity> expected_identity;
  // Read every block of every file at open and check its checksum, so that damaged files stop
  // startup instead of surfacing later as read errors.
  bool verify_checksums_on_open = true;
  // The file system RocksDB uses; null means the real one. Tests pass a FaultFileSystem
  // (storage/fault_file_system.h) to simulate a full disk.
  std::shared_ptr<rocksdb::FileSystem> file_system;
  // Shared block cache for all column families.
  size_t block_cache_bytes = 64 << 20;
  // Memory for memtables across all column families; RocksDB flushes when it is reached, so a
  // member's write memory stays bounded whatever it is asked to store (a snapshot restore, say).
  size_t memtable_budget_bytes = 64 << 20;
};

// Owns the RocksDB instance. Thread-safe: RocksDB's DB is, and Write only adds error mapping.
class Database {
 public:
  static constexpr uint32_t kFormatVersion = 1;

  // Opens (or creates) the database in options.data_dir, checking identity and integrity.
  static StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(Family f) const;

  // Applies `batch` atomically; with `sync`, it is on stable storage when this returns OK.
  // A full disk gives NoSpace, and so does every later Write until RocksDB resumes: each Write
  // tries DB::Resume first once the disk has room for the memtables, and RocksDB also retries by
  // itself, so writes work again soon after space is freed. Reads keep working throughout.
  [[nodiscard]] Status Write(rocksdb::WriteBatch* batch, bool sync);

  // The identity stored in the directory (absent only for a directory opened without one and
  // not yet given one with SetIdentity).
  std::optional<MemberIdentity> identity() const { return identity_; }
  // Records the identity of a directory that has none. FailedPrecondition if it has another.
  [[nodiscard]] Status SetIdentity(MemberIdentity identity);

  const std::string& data_dir() const { return data_dir_; }
  // Bytes of SST files plus memtables, for Maintenance.Status's dbSize.
  uint64_t ApproximateSizeBytes() const;

 private:
  Database() = default;

  std::string data_dir_;
  // The Env over options.file_system, when one was given; outlives db_.
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<rocksdb::DB> db_;
  // Indexed by Family; owned (destroyed before db_).
  rocksdb::ColumnFamilyHandle* families_[kFamilyCount] = {};
  std::optional<MemberIdentity> identity_;
  // Free bytes the disk must have before Write calls DB::Resume (room to flush the memtables).
  uint64_t resume_headroom_bytes_ = 0;
  // Set after a write failed because the disk was full; the next Write calls DB::Resume first.
  std::atomic<bool> needs_resume_{false};
  // The error of the write that stopped RocksDB, repeated (with its code) until writes resume.
  std::mutex last_error_mu_;
  Status last_error_;  // guarded by last_error_mu_
};

// ReadOptions for an iterator that sees every key in order, whatever it seeks. Every iterator
// over Family::kMvccKv must start from these, except a read of one user key's versions: the
// family has a prefix extractor, and without total_order_seek a seek could skip table files that
// hold other keys (storage/mvcc_prefix_extractor.h).
rocksdb::ReadOptions TotalOrderReadOptions();
// ReadOptions for an iterator over Family::kMvccKv that seeks only version keys of ONE user key
// and reads no further than that key's versions: RocksDB skips the table files whose prefix
// filter says they hold none of them, and the iterator ends where the key's versions end.
// `one_user_key` false gives TotalOrderReadOptions().
rocksdb::ReadOptions MvccReadOptions(bool one_user_key);

// Maps a RocksDB status to a raftkv Status, prefixing the message with `context`.
// NoSpace -> NoSpace, Corruption -> Corruption, everything else -> IOError.
Status FromRocks(const rocksdb::Status& s, std::string_view context);

}  // namespace raftkv::storage
