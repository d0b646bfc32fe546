#include "storage/snapshot_stream.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "storage/codec.h"
#include "storage/mvcc_generation.h"

namespace raftkv::storage {
namespace {

// The families a snapshot carries, in stream order.
constexpr Family kStreamedFamilies[] = {Family::kMvccKv, Family::kMvccMeta};
constexpr int kStreamedFamilyCount = 2;

bool IsStreamedFamily(uint32_t family) {
  for (Family f : kStreamedFamilies) {
    if (family == static_cast<uint32_t>(f)) return true;
  }
  return false;
}

}  // namespace

void SnapshotChecksum::AddBytes(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash_ ^= bytes[i];
    hash_ *= 1099511628211ull;  // the FNV-1a 64-bit prime
  }
}

void SnapshotChecksum::Add(const storagepb::SnapshotRecord& record) {
  const uint32_t family = record.family();
  const uint64_t key_size = record.key().size();
  const uint64_t value_size = record.value().size();
  AddBytes(&family, sizeof(family));
  AddBytes(&key_size, sizeof(key_size));
  AddBytes(record.key().data(), record.key().size());
  AddBytes(&value_size, sizeof(value_size));
  AddBytes(record.value().data(), record.value().size());
}

// ---- SnapshotSource ----------------------------------------------------------------------------

StatusOr<std::unique_ptr<SnapshotSource>> SnapshotSource::Open(const Database* db,
                                                               size_t chunk_bytes) {
  std::unique_ptr<SnapshotSource> source(new SnapshotSource());
  source->db_ = db;
  source->chunk_bytes_ = chunk_bytes == 0 ? kDefaultChunkBytes : chunk_bytes;
  source->snapshot_ = db->db()->GetSnapshot();
  auto generation = ReadActiveGeneration(*db, source->snapshot_);
  if (!generation.ok()) return generation.status();
  source->generation_ = *generation;
  bool started = false;
  RAFTKV_RETURN_IF_ERROR(source->StartFamily(&started));
  return source;
}

SnapshotSource::~SnapshotSource() {
  iterator_.reset();  // an iterator must not outlive the snapshot it reads
  if (snapshot_ != nullptr) db_->db()->ReleaseSnapshot(snapshot_);
}

Status SnapshotSource::StartFamily(bool* started) {
  iterator_.reset();
  *started = false;
  if (family_index_ + 1 >= kStreamedFamilyCount) return Status::Ok();
  ++family_index_;
  upper_bound_ = BigEndian64(generation_ + 1);
  rocksdb::ReadOptions read_options = TotalOrderReadOptions();
  read_options.snapshot = snapshot_;
  read_options.fill_cache = false;  // a one-time scan must not evict the hot set
  read_options.readahead_size = 2 << 20;
  // The bound must stay valid for the iterator's life: both are members, and neither changes
  // until this iterator is destroyed.
  upper_bound_slice_ = rocksdb::Slice(upper_bound_);
  read_options.iterate_upper_bound = &upper_bound_slice_;
  iterator_.reset(
      db_->db()->NewIterator(read_options, db_->family(kStreamedFamilies[family_index_])));
  iterator_->Seek(BigEndian64(generation_));
  *started = true;
  return FromRocks(iterator_->status(), "snapshot: reading the key space");
}

StatusOr<storagepb::SnapshotChunk> SnapshotSource::Next() {
  if (done_) return Status::FailedPrecondition("snapshot stream already ended");
  storagepb::SnapshotChunk chunk;
  chunk.set_sequence(next_sequence_++);
  size_t bytes = 0;
  while (iterator_ != nullptr) {
    if (!iterator_->Valid()) {
      RAFTKV_RETURN_IF_ERROR(FromRocks(iterator_->status(), "snapshot: reading the key space"));
      bool started = false;
      RAFTKV_RETURN_IF_ERROR(StartFamily(&started));
      if (!started) break;
      continue;
    }
    const rocksdb::Slice key = iterator_->key();
    const rocksdb::Slice value = iterator_->value();
    const size_t record_bytes = key.size() + value.size();
    if (chunk.records_size() > 0 && bytes + record_bytes > chunk_bytes_) return chunk;
    storagepb::SnapshotRecord* record = chunk.add_records();
    record->set_family(static_cast<uint32_t>(kStreamedFamilies[family_index_]));
    record->set_key(key.data() + 8, key.size() - 8);  // without the generation prefix
    record->set_value(value.data(), value.size());
    checksum_.Add(*record);
    ++total_records_;
    bytes += record_bytes;
    iterator_->Next();
  }
  chunk.set_last(true);
  chunk.set_total_records(total_records_);
  chunk.set_checksum(checksum_.value());
  done_ = true;
  return chunk;
}

// ---- SnapshotRestorer --------------------------------------------------------------------------

StatusOr<std::unique_ptr<SnapshotRestorer>> SnapshotRestorer::Begin(Database* db) {
  auto active = ReadActiveGeneration(*db);
  if (!active.ok()) return active.status();
  if (*active + 1 >= kMaxMvccGeneration) {
    return Status::Internal("no MVCC generation left to restore into");
  }
  std::unique_ptr<SnapshotRestorer> restorer(new SnapshotRestorer());
  restorer->db_ = db;
  restorer->old_generation_ = *active;
  restorer->target_generation_ = *active + 1;
  rocksdb::WriteBatch clear;
  RAFTKV_RETURN_IF_ERROR(DeleteGeneration(*db, restorer->target_generation_, &clear));
  RAFTKV_RETURN_IF_ERROR(db->Write(&clear, /*sync=*/false));
  return restorer;
}

SnapshotRestorer::~SnapshotRestorer() {
  if (finished_ || db_ == nullptr) return;
  rocksdb::WriteBatch clear;
  if (DeleteGeneration(*db_, target_generation_, &clear).ok()) {
    // Best effort: a leftover generation is harmless (never read) and deleted by the next
    // restore or the next MvccStore::Open.
    db_->Write(&clear, /*sync=*/false).IgnoreError();
  }
}

Status SnapshotRestorer::Add(const storagepb::SnapshotChunk& chunk) {
  if (failed_) return Status::FailedPrecondition("snapshot restore already failed");
  if (finished_ || saw_last_) {
    failed_ = true;
    return Status::InvalidArgument("snapshot chunk " + std::to_string(chunk.sequence()) +
                                   " arrived after the last chunk");
  }
  if (chunk.sequence() != next_sequence_) {
    failed_ = true;
    return Status::InvalidArgument("snapshot chunk " + std::to_string(chunk.sequence()) +
                                   " arrived, expected chunk " + std::to_string(next_sequence_));
  }
  rocksdb::WriteBatch batch;
  const std::string prefix = BigEndian64(target_generation_);
  std::string key;
  for (const storagepb::SnapshotRecord& record : chunk.records()) {
    if (!IsStreamedFamily(record.family())) {
      failed_ = true;
      return Status::InvalidArgument("snapshot chunk " + std::to_string(chunk.sequence()) +
                                     " holds a record of unknown family " +
                                     std::to_string(record.family()));
    }
    key.assign(prefix);
    key.append(record.key());
    Status s =
        FromRocks(batch.Put(db_->family(static_cast<Family>(record.family())), key, record.value()),
                  "snapshot restore");
    if (!s.ok()) {
      failed_ = true;
      return s;
    }
    checksum_.Add(record);
  }
  Status written = db_->Write(&batch, /*sync=*/false);
  if (!written.ok()) {
    failed_ = true;
    return written;
  }
  records_written_ += chunk.records_size();
  ++next_sequence_;
  if (chunk.last()) {
    saw_last_ = true;
    announced_records_ = chunk.total_records();
    announced_checksum_ = chunk.checksum();
  }
  return Status::Ok();
}

Status SnapshotRestorer::Finish() {
  if (failed_) return Status::FailedPrecondition("snapshot restore failed earlier");
  if (finished_) return Status::Ok();
  if (!saw_last_) {
    failed_ = true;
    return Status::InvalidArgument("snapshot stream ended after " + std::to_string(next_sequence_) +
                                   " chunks without its last chunk");
  }
  if (announced_records_ != records_written_ || announced_checksum_ != checksum_.value()) {
    failed_ = true;
    return Status::Corruption(
        "snapshot stream damaged: received " + std::to_string(records_written_) +
        " records, the sender sent " + std::to_string(announced_records_) +
        (announced_checksum_ != checksum_.value() ? ", checksums differ" : ""));
  }
  // One synced write: everything staged above is in the WAL before it, so once this is durable
  // the whole new generation is too.
  rocksdb::WriteBatch flip;
  RAFTKV_RETURN_IF_ERROR(PutActiveGeneration(*db_, target_generation_, &flip));
  RAFTKV_RETURN_IF_ERROR(DeleteGeneration(*db_, old_generation_, &flip));
  RAFTKV_RETURN_IF_ERROR(db_->Write(&flip, /*sync=*/true));
  finished_ = true;
  return Status::Ok();
}

}  // namespace raftkv::storage
