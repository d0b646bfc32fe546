#include "storage/database.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <system_error>
#include <vector>

#include "proto/storage.pb.h"
#include "storage/codec.h"
#include "storage/mvcc_prefix_extractor.h"

namespace raftkv::storage {
namespace {

constexpr std::string_view kIdentityKey = "identity";
constexpr const char* kFamilyNames[kFamilyCount] = {"default", "raft_log", "raft_meta", "mvcc_kv",
                                                    "mvcc_meta"};

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Describe(const MemberIdentity& id) {
  return "member " + Hex(id.member_id) + " of cluster " + Hex(id.cluster_id);
}

// Checks that data_dir is either absent, empty, or holds exactly a raftkv database ("db").
// Sets *fresh when there is no database yet.
Status CheckDirectoryContents(const std::string& data_dir, bool* fresh) {
  namespace fs = std::filesystem;
  std::error_code ec;
  *fresh = true;
  if (!fs::exists(data_dir, ec)) return Status::Ok();
  if (!fs::is_directory(data_dir, ec)) {
    return Status::FailedPrecondition("data dir " + data_dir + " exists and is not a directory");
  }
  for (const auto& entry : fs::directory_iterator(data_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name != "db") {
      return Status::FailedPrecondition("data dir " + data_dir +
                                        " holds files that are not raftkv's (found '" + name +
                                        "'); refusing to use it");
    }
    if (!fs::exists(entry.path() / "CURRENT", ec)) {
      return Status::Corruption("data dir " + data_dir +
                                ": db/ has no CURRENT file; the database is damaged or was not "
                                "created by raftkv");
    }
    *fresh = false;
  }
  if (ec) return Status::IOError("data dir " + data_dir + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

rocksdb::ReadOptions TotalOrderReadOptions() {
  rocksdb::ReadOptions options;
  options.total_order_seek = true;
  return options;
}

rocksdb::ReadOptions MvccReadOptions(bool one_user_key) {
  rocksdb::ReadOptions options = TotalOrderReadOptions();
  if (one_user_key) {
    options.total_order_seek = false;
    options.prefix_same_as_start = true;
  }
  return options;
}

Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string message = std::string(context) + ": " + s.ToString();
  if (s.IsNoSpace()) return Status::NoSpace(std::move(message));
  if (s.IsCorruption()) return Status::Corruption(std::move(message));
  return Status::IOError(std::move(message));
}

StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  bool fresh = false;
  RAFTKV_RETURN_IF_ERROR(CheckDirectoryContents(options.data_dir, &fresh));
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec)
    return Status::IOError("cannot create data dir " + options.data_dir + ": " + ec.message());

  rocksdb::Options db_options;
  db_options.create_if_missing = fresh;
  db_options.create_missing_column_families = fresh;
  db_options.error_if_exists = fresh;
  db_options.paranoid_checks = true;
  // A crash tears at most the tail of the WAL; replay stops there. Synced writes are complete.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 2;
  db_options.db_write_buffer_size = options.memtable_budget_bytes;
  // After a write error (a full disk) RocksDB stops writes; Database::Write resumes explicitly on
  // the next write instead of a background retry loop, so the caller sees every failure.
  db_options.max_bgerror_resume_count = 0;
  std::unique_ptr<rocksdb::Env> composite_env;
  if (options.file_system) {
    composite_env = rocksdb::NewCompositeEnv(options.file_system);
    db_options.env = composite_env.get();
  }

  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  // The MVCC key space also keeps a Bloom filter of each table file's user keys (10 bits per
  // distinct user key in the file), so that a single-key read reads one file instead of one per
  // L0 file and level (storage/mvcc_prefix_extractor.h). The filters live in the table readers'
  // memory, outside the block cache: about 1.3 MB per million keys.
  rocksdb::BlockBasedTableOptions kv_table_options = table_options;
  kv_table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  kv_table_options.whole_key_filtering = false;  // no point lookups of whole version keys
  rocksdb::ColumnFamilyOptions kv_cf_options = cf_options;
  kv_cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(kv_table_options));
  kv_cf_options.prefix_extractor = NewVersionKeyPrefixExtractor();
  // And each memtable a Bloom filter of its user keys (2 % of the memtable's size: about 1.3 MB
  // for 64 MiB, some 50 bits per key of 256-byte values), so that a single-key read of a key
  // the memtable does not hold skips its skiplist search: in a large store, most keys.
  kv_cf_options.memtable_prefix_bloom_size_ratio = 0.02;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kFamilyCount; ++i) {
    descriptors.emplace_back(
        kFamilyNames[i], static_cast<Family>(i) == Family::kMvccKv ? kv_cf_options : cf_options);
  }

  const std::string db_path = options.data_dir + "/db";
  rocksdb::DB* raw_db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, db_path, descriptors, &handles, &raw_db);
  if (!s.ok()) {
    if (s.IsCorruption()) {
      return Status::Corruption("data dir " + options.data_dir +
                                ": the database files are damaged: " + s.ToString());
    }
    if (s.IsInvalidArgument()) {
      return Status::Corruption(
          "data dir " + options.data_dir +
          ": not a raftkv database (column families differ): " + s.ToString());
    }
    return FromRocks(s, "data dir " + options.data_dir + ": cannot open the database");
  }

  std::unique_ptr<Database> database(new Database());
  database->data_dir_ = options.data_dir;
  database->db_.reset(raw_db);
  database->env_ = std::move(composite_env);
  database->resume_headroom_bytes_ = options.memtable_budget_bytes;
  for (int i = 0; i < kFamilyCount; ++i) database->families_[i] = handles[i];

  if (options.verify_checksums_on_open && !fresh) {
    rocksdb::Status verify = raw_db->VerifyChecksum();
    if (!verify.ok()) {
      return Status::Corruption("data dir " + options.data_dir +
                                ": a database file failed its checksum: " + verify.ToString());
    }
  }

  // The identity record: written once, checked ever after.
  std::string stored;
  s = raw_db->Get(rocksdb::ReadOptions(), database->family(Family::kNodeMeta), kIdentityKey,
                  &stored);
  if (s.ok()) {
    storagepb::DataDirIdentity record;
    RAFTKV_RETURN_IF_ERROR(ParseStored(stored, "data dir identity", &record));
    if (record.format_version() > kFormatVersion) {
      return Status::FailedPrecondition("data dir " + options.data_dir + " has on-disk format " +
                                        std::to_string(record.format_version()) +
                                        ", newer than this binary's " +
                                        std::to_string(kFormatVersion));
    }
    database->identity_ = MemberIdentity{record.cluster_id(), record.member_id()};
    if (options.expected_identity && *options.expected_identity != *database->identity_) {
      return Status::FailedPrecondition("data dir " + options.data_dir + " belongs to " +
                                        Describe(*database->identity_) + ", not to " +
                                        Describe(*options.expected_identity));
    }
  } else if (s.IsNotFound()) {
    // A new directory, or one created by a tool that did not know the identity yet.
    if (options.expected_identity) {
      RAFTKV_RETURN_IF_ERROR(database->SetIdentity(*options.expected_identity));
    }
  } else {
    return FromRocks(s, "data dir " + options.data_dir + ": cannot read its identity");
  }
  return database;
}

Database::~Database() {
  if (db_) {
    for (auto*& handle : families_) {
      if (handle) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
      handle = nullptr;
    }
    db_->Close().PermitUncheckedError();
    db_.reset();
  }
}

rocksdb::ColumnFamilyHandle* Database::family(Family f) const {
  return families_[static_cast<int>(f)];
}

Status Database::Write(rocksdb::WriteBatch* batch, bool sync) {
  if (needs_resume_.load()) {
    // An earlier write failed (a full disk) and RocksDB stopped accepting writes. Try to resume;
    // Busy means RocksDB's own recovery (which polls for free space) is already running.
    // Resuming flushes the memtables into a new WAL and SST files; tried while the disk is still
    // full, creating the WAL fails and RocksDB makes the error fatal (writes would stay stopped
    // until a restart), so resume only once there is room for the memtables.
    std::string not_resumed;
    uint64_t free_bytes = 0;
    if (db_->GetEnv()->GetFreeSpace(data_dir_ + "/db", &free_bytes).ok() &&
        free_bytes < resume_headroom_bytes_) {
      not_resumed = "the disk still has only " + std::to_string(free_bytes) + " bytes free";
    } else if (rocksdb::Status resumed = db_->Resume(); !resumed.ok()) {
      not_resumed = resumed.ToString();
    }
    if (!not_resumed.empty()) {
      std::lock_guard<std::mutex> lock(last_error_mu_);
      return Status(last_error_.code(), "writes are stopped after an earlier failure (" +
                                            last_error_.message() +
                                            ") and have not resumed yet: " + not_resumed);
    }
    needs_resume_.store(false);
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  rocksdb::Status s = db_->Write(write_options, batch);
  if (!s.ok()) {
    Status error = FromRocks(s, s.IsNoSpace() ? "write failed, the disk is full" : "write failed");
    std::lock_guard<std::mutex> lock(last_error_mu_);
    last_error_ = error;
    needs_resume_.store(true);
    return error;
  }
  return Status::Ok();
}

Status Database::SetIdentity(MemberIdentity identity) {
  if (identity_) {
    if (*identity_ == identity) return Status::Ok();
    return Status::FailedPrecondition("data dir " + data_dir_ + " belongs to " +
                                      Describe(*identity_) + ", not to " + Describe(identity));
  }
  storagepb::DataDirIdentity record;
  record.set_cluster_id(identity.cluster_id);
  record.set_member_id(identity.member_id);
  record.set_format_version(kFormatVersion);
  rocksdb::WriteBatch batch;
  rocksdb::Status s =
      batch.Put(family(Family::kNodeMeta), kIdentityKey, record.SerializeAsString());
  if (!s.ok()) return FromRocks(s, "identity");
  RAFTKV_RETURN_IF_ERROR(Write(&batch, /*sync=*/true));
  identity_ = identity;
  return Status::Ok();
}

uint64_t Database::ApproximateSizeBytes() const {
  uint64_t total = 0;
  for (auto* handle : families_) {
    uint64_t size = 0;
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kTotalSstFilesSize, &size)) {
      total += size;
    }
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kSizeAllMemTables, &size)) {
      total += size;
    }
  }
  return total;
}

}  // namespace raftkv::storage
