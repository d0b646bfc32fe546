// MvccStore's physical compaction: after Compact(T) (logical, immediate), a background thread
// removes the versions no read at a revision >= T can see, in small batches.
//
// For each user key, with versions newest first: the versions above T stay; the newest version
// at or below T stays unless it is a tombstone (a read at >= T sees the key absent either way);
// every older version goes. All removed versions of one key go in one batch, so a concurrent
// reader never sees an older version come back. A pass walks the whole generation in key
// order; its cursor and target are written with each batch, so a restart resumes it.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/codec.h"
#include "storage/mvcc_store.h"

namespace raftkv::storage {
namespace {

// How long the thread waits after a failed step before it tries again.
constexpr auto kRetryDelay = std::chrono::milliseconds(200);

}  // namespace

void MvccStore::CompactorMain() {
  while (true) {
    uint64_t seen = 0;
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      if (stop_) return;
      seen = wake_seq_;
    }
    bool more = false;
    Status status;
    {
      std::lock_guard<std::mutex> lock(compact_mu_);
      status = CompactStep(&more);
    }
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      compaction_error_ = status;
    }
    if (status.ok() && more) continue;
    std::unique_lock<std::mutex> lock(wake_mu_);
    if (status.ok()) {
      wake_cv_.wait(lock, [&] { return stop_ || wake_seq_ != seen; });
    } else {
      wake_cv_.wait_for(lock, kRetryDelay, [&] { return stop_; });
    }
  }
}

Status MvccStore::CompactStep(bool* more) {
  *more = false;
  const State state = LoadState();
  const uint64_t gen = state.generation;
  if (!pass_.has_value()) {
    if (state.compacted <= state.physical) return Status::Ok();
    pass_ = CompactionPass{state.compacted, mvcc::GenerationPrefix(gen)};
  }
  const int64_t target = pass_->target;

  const std::string end = mvcc::GenerationEnd(gen);
  const rocksdb::Slice upper(end);
  rocksdb::ReadOptions read_options = TotalOrderReadOptions();
  read_options.iterate_upper_bound = &upper;
  rocksdb::ColumnFamilyHandle* kv_family = db_->family(Family::kMvccKv);
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(read_options, kv_family));

  rocksdb::WriteBatch batch;
  int keys = 0;
  int deletes = 0;
  std::string key_prefix;  // the user key being compacted
  bool kept_one = false;   // a version at or below target of the current key was seen
  it->Seek(pass_->cursor);
  for (; it->Valid(); it->Next()) {
    const std::string_view stored(it->key().data(), it->key().size());
    mvcc::ParsedVersionKey parsed;
    if (!mvcc::ParseVersionKey(stored, &parsed)) {
      return Status::Corruption("mvcc: damaged version key found by compaction");
    }
    if (parsed.key_prefix != key_prefix) {
      // A new user key: stop here if the batch is full (the key is left whole for the next).
      if (keys >= options_.compaction_keys_per_batch ||
          deletes >= options_.compaction_deletes_per_batch) {
        break;
      }
      key_prefix.assign(parsed.key_prefix);
      kept_one = false;
      ++keys;
    }
    if (parsed.revision > target) continue;
    bool remove = kept_one;
    if (!kept_one) {
      kept_one = true;
      mvcc::VersionRecord record;
      const std::string_view value(it->value().data(), it->value().size());
      if (!mvcc::DecodeRecord(value, &record)) {
        return Status::Corruption("mvcc: damaged record found by compaction");
      }
      remove = record.tombstone;
    }
    if (remove) {
      RAFTKV_RETURN_IF_ERROR(
          FromRocks(batch.Delete(kv_family, it->key()), "mvcc: compaction batch"));
      ++deletes;
    }
  }
  RAFTKV_RETURN_IF_ERROR(FromRocks(it->status(), "mvcc: compaction scan"));

  const bool finished = !it->Valid();
  rocksdb::ColumnFamilyHandle* meta = db_->family(Family::kMvccMeta);
  const std::string cursor_key = mvcc::MetaKey(gen, mvcc::kMetaCompactCursor);
  std::string next_cursor;
  if (finished) {
    RAFTKV_RETURN_IF_ERROR(FromRocks(batch.Delete(meta, cursor_key), "mvcc: compaction batch"));
    RAFTKV_RETURN_IF_ERROR(FromRocks(
        batch.Put(meta, mvcc::MetaKey(gen, mvcc::kMetaPhysical), mvcc::EncodeInt64(target)),
        "mvcc: compaction batch"));
  } else {
    mvcc::ParsedVersionKey parsed;
    const std::string_view stored(it->key().data(), it->key().size());
    if (!mvcc::ParseVersionKey(stored, &parsed)) {
      return Status::Corruption("mvcc: damaged version key found by compaction");
    }
    next_cursor.assign(parsed.key_prefix);
    std::string value = BigEndian64(static_cast<uint64_t>(target));
    value.append(next_cursor);
    RAFTKV_RETURN_IF_ERROR(FromRocks(batch.Put(meta, cursor_key, value), "mvcc: compaction batch"));
  }
  it.reset();
  // Losing these writes in a crash only repeats work: the cursor goes with the deletes.
  RAFTKV_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/false));

  if (finished) {
    pass_.reset();
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      // Invariant physical <= compacted holds: target was a compacted revision.
      if (target > state_.physical) state_.physical = target;
    }
    physical_cv_.notify_all();
    *more = LoadState().compacted > target;
  } else {
    pass_->cursor = std::move(next_cursor);
    *more = true;
  }
  return Status::Ok();
}

}  // namespace raftkv::storage
