#include "storage/mvcc_store.h"

#include "storage/mvcc_generation.h"

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

#include <limits>

#include "storage/codec.h"
#include "storage/mvcc_generation.h"
#include "storage/mvcc_write_batch.h"
#include "storage/thread_name.h"

namespace raftkv::storage {
namespace {

using mvcc::MetaKey;

// Reads of one RocksDB snapshot of Family::kMvccKv.
class SnapshotSource : public mvcc::VersionSource {
 public:
  SnapshotSource(Database* db, const rocksdb::Snapshot* snapshot) : db_(db), snapshot_(snapshot) {}

  std::unique_ptr<rocksdb::Iterator> NewIterator(const rocksdb::Slice* upper_bound,
                                                 bool one_user_key) override {
    rocksdb::ReadOptions options = MvccReadOptions(one_user_key);
    options.snapshot = snapshot_;
    options.iterate_upper_bound = upper_bound;
    return std::unique_ptr<rocksdb::Iterator>(
        db_->db()->NewIterator(options, db_->family(Family::kMvccKv)));
  }

 private:
  Database* const db_;
  const rocksdb::Snapshot* const snapshot_;
};

// Releases a RocksDB snapshot when it goes out of scope.
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~ScopedSnapshot() { db_->ReleaseSnapshot(snapshot_); }
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB* const db_;
  const rocksdb::Snapshot* const snapshot_;
};

// Reads the active generation from Family::kNodeMeta (under `snapshot`, when given).
Status ReadGeneration(Database* db, const rocksdb::Snapshot* snapshot, uint64_t* generation) {
  auto active = ReadActiveGeneration(*db, snapshot);
  if (!active.ok()) return active.status();
  *generation = *active;
  return Status::Ok();
}

// Reads an int64 meta value; *found tells whether it exists.
Status ReadMeta(Database* db, uint64_t generation, std::string_view name, int64_t* value,
                bool* found) {
  std::string stored;
  rocksdb::Status s = db->db()->Get(rocksdb::ReadOptions(), db->family(Family::kMvccMeta),
                                    MetaKey(generation, name), &stored);
  *found = !s.IsNotFound();
  if (!*found) return Status::Ok();
  RAFTKV_RETURN_IF_ERROR(FromRocks(s, "mvcc: reading " + std::string(name)));
  if (!mvcc::DecodeInt64(stored, value)) {
    return Status::Corruption("mvcc: stored " + std::string(name) + " is damaged");
  }
  return Status::Ok();
}

}  // namespace

MvccStore::MvccStore(Database* db, MvccOptions options) : db_(db), options_(std::move(options)) {}

StatusOr<std::unique_ptr<MvccStore>> MvccStore::Open(Database* db, MvccOptions options) {
  std::unique_ptr<MvccStore> store(new MvccStore(db, std::move(options)));
  State state;
  std::optional<CompactionPass> pass;
  RAFTKV_RETURN_IF_ERROR(store->LoadFromDisk(&state, &pass));
  RAFTKV_RETURN_IF_ERROR(store->RemoveOtherGenerations(state.generation));
  RAFTKV_RETURN_IF_ERROR(store->RebuildLatestIndex(state.generation));
  store->state_ = state;
  store->pass_ = std::move(pass);
  if (store->options_.background_compaction) {
    store->compactor_ = std::thread([s = store.get()] {
      NameThisThread("kvd-compact");
      s->CompactorMain();
    });
  }
  return store;
}

MvccStore::~MvccStore() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    stop_ = true;
  }
  wake_cv_.notify_all();
  if (compactor_.joinable()) compactor_.join();
}

Status MvccStore::LoadFromDisk(State* state, std::optional<CompactionPass>* pass) const {
  *state = State{};
  RAFTKV_RETURN_IF_ERROR(ReadGeneration(db_, nullptr, &state->generation));
  const uint64_t gen = state->generation;
  int64_t value = 0;
  bool found = false;
  RAFTKV_RETURN_IF_ERROR(ReadMeta(db_, gen, mvcc::kMetaAppliedIndex, &value, &found));
  if (found) state->applied_index = static_cast<uint64_t>(value);
  RAFTKV_RETURN_IF_ERROR(ReadMeta(db_, gen, mvcc::kMetaRevision, &value, &found));
  if (found) state->revision = value;
  RAFTKV_RETURN_IF_ERROR(ReadMeta(db_, gen, mvcc::kMetaCompacted, &value, &found));
  if (found) state->compacted = value;
  RAFTKV_RETURN_IF_ERROR(ReadMeta(db_, gen, mvcc::kMetaPhysical, &value, &found));
  if (found) state->physical = value;
  if (state->compacted > state->revision || state->physical > state->compacted) {
    return Status::Corruption("mvcc: stored revisions are inconsistent (revision " +
                              std::to_string(state->revision) + ", compacted " +
                              std::to_string(state->compacted) + ", physically compacted " +
                              std::to_string(state->physical) + ")");
  }

  pass->reset();
  std::string cursor;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), db_->family(Family::kMvccMeta),
                                     MetaKey(gen, mvcc::kMetaCompactCursor), &cursor);
  if (!s.IsNotFound()) {
    RAFTKV_RETURN_IF_ERROR(FromRocks(s, "mvcc: reading the compaction cursor"));
    if (cursor.size() < 16) return Status::Corruption("mvcc: the compaction cursor is damaged");
    *pass = CompactionPass{static_cast<int64_t>(ReadBigEndian64(cursor)), cursor.substr(8)};
  }
  return Status::Ok();
}

Status MvccStore::RemoveOtherGenerations(uint64_t generation) {
  // Write the range deletions only when a stale key exists, so that a normal open writes
  // nothing.
  const std::string begin = mvcc::GenerationPrefix(generation);
  const std::string end = mvcc::GenerationEnd(generation);
  bool stale = false;
  for (Family family : {Family::kMvccKv, Family::kMvccMeta}) {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(TotalOrderReadOptions(), db_->family(family)));
    it->SeekToFirst();
    if (it->Valid() && it->key().compare(begin) < 0) stale = true;
    it->Seek(end);
    if (it->Valid()) stale = true;
    RAFTKV_RETURN_IF_ERROR(FromRocks(it->status(), "mvcc: scanning generations"));
  }
  if (!stale) return Status::Ok();
  rocksdb::WriteBatch batch;
  RAFTKV_RETURN_IF_ERROR(DeleteGenerationsExcept(*db_, generation, &batch));
  return db_->Write(&batch, /*sync=*/true);
}

Status MvccStore::RebuildLatestIndex(uint64_t generation) {
  latest_.Clear();
  ScopedSnapshot snapshot(db_->db());
  SnapshotSource source(db_, snapshot.get());
  const mvcc::KeyRange everything = mvcc::MakeKeyRange(generation, "", std::string(1, '\0'));
  Status error;
  Status scanned = mvcc::VisitLive(
      source, everything, std::numeric_limits<int64_t>::max(), [&](const mvcc::LiveVersion& live) {
        std::string key;
        if (!mvcc::DecodeUserKey(live.key_prefix, &key)) {
          error = Status::Corruption("mvcc: a damaged key in the key space (" +
                                     std::to_string(live.key_prefix.size()) + "-byte prefix)");
          return false;
        }
        latest_.Add(std::move(key),
                    mvcc::LatestVersion{true, live.record.create_revision, live.mod_revision,
                                        live.record.version, live.record.lease});
        return true;
      });
  if (scanned.ok()) scanned = error;
  if (!scanned.ok()) latest_.Clear();
  index_error_ = scanned;
  return scanned;
}

MvccStore::State MvccStore::LoadState() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return state_;
}

int64_t MvccStore::revision() const { return LoadState().revision; }
int64_t MvccStore::compacted_revision() const { return LoadState().compacted; }
int64_t MvccStore::physically_compacted_revision() const { return LoadState().physical; }
uint64_t MvccStore::applied_index() const { return LoadState().applied_index; }
uint64_t MvccStore::generation() const { return LoadState().generation; }

StatusOr<etcdserverpb::RangeResponse> MvccStore::Range(
    const etcdserverpb::RangeRequest& request) const {
  // The snapshot is taken under state_mu_, so it holds every batch up to state.revision, and
  // no physical compaction above state.compacted can have started before it.
  State state;
  std::optional<ScopedSnapshot> snapshot;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    state = state_;
    snapshot.emplace(db_->db());
  }
  uint64_t on_disk = 0;
  RAFTKV_RETURN_IF_ERROR(ReadGeneration(db_, snapshot->get(), &on_disk));
  if (on_disk != state.generation) {
    return Status::Unavailable("mvcc: the key space is being replaced by a snapshot; retry");
  }
  SnapshotSource source(db_, snapshot->get());
  return mvcc::ExecuteRange(
      source, mvcc::ReadView{state.generation, state.revision, state.compacted}, request);
}

StatusOr<std::unique_ptr<MvccWriteBatch>> MvccStore::BeginBatch() {
  if (batch_open_) return Status::FailedPrecondition("mvcc: a write batch is already open");
  // Without a complete index a batch would compute wrong versions: no writes until a Reload
  // rebuilds it.
  if (!index_error_.ok()) return index_error_;
  const State state = LoadState();
  batch_open_ = true;
  return std::unique_ptr<MvccWriteBatch>(
      new MvccWriteBatch(this, state.generation, state.revision, state.compacted));
}

Status MvccStore::Commit(std::unique_ptr<MvccWriteBatch> batch, uint64_t applied_index, bool sync) {
  if (batch == nullptr || batch->store_ != this) {
    return Status::InvalidArgument("mvcc: Commit of a batch this store did not open");
  }
  if (!batch->broken_.ok()) return batch->broken_;
  const State before = LoadState();
  if (applied_index <= before.applied_index) {
    return Status::FailedPrecondition("mvcc: batch at raft index " + std::to_string(applied_index) +
                                      " is already applied (applied index " +
                                      std::to_string(before.applied_index) + ")");
  }
  if (batch->generation_ != before.generation) {
    return Status::FailedPrecondition("mvcc: the generation changed while a batch was open");
  }
  rocksdb::ColumnFamilyHandle* meta = db_->family(Family::kMvccMeta);
  rocksdb::WriteBatchWithIndex& wb = *batch->batch_;
  RAFTKV_RETURN_IF_ERROR(FromRocks(wb.Put(meta, MetaKey(before.generation, mvcc::kMetaAppliedIndex),
                                          mvcc::EncodeInt64(static_cast<int64_t>(applied_index))),
                                   "mvcc: adding to the write batch"));
  if (batch->revision_ != before.revision) {
    RAFTKV_RETURN_IF_ERROR(FromRocks(wb.Put(meta, MetaKey(before.generation, mvcc::kMetaRevision),
                                            mvcc::EncodeInt64(batch->revision_)),
                                     "mvcc: adding to the write batch"));
  }
  RAFTKV_RETURN_IF_ERROR(db_->Write(wb.GetWriteBatch(), sync));
  latest_.Merge(batch->batch_latest_);
  const bool compacted = batch->compacted_changed_;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    state_.revision = batch->revision_;
    state_.compacted = batch->compacted_;
    state_.applied_index = applied_index;
  }
  if (compacted) WakeCompactor();
  return Status::Ok();
}

StatusOr<std::vector<std::pair<uint64_t, std::string>>> MvccStore::MemberRecords() const {
  const uint64_t generation = LoadState().generation;
  const std::string prefix = MetaKey(generation, mvcc::kMetaMemberPrefix);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->family(Family::kMvccMeta)));
  std::vector<std::pair<uint64_t, std::string>> records;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 8) {
      return Status::Corruption("mvcc: a member record key has " +
                                std::to_string(it->key().size()) + " bytes");
    }
    records.emplace_back(ReadBigEndian64(std::string_view(it->key().data() + prefix.size(), 8)),
                         it->value().ToString());
  }
  RAFTKV_RETURN_IF_ERROR(FromRocks(it->status(), "mvcc: reading member records"));
  return records;
}

Status MvccStore::Reload() {
  if (batch_open_) return Status::FailedPrecondition("mvcc: Reload while a batch is open");
  // Holding compact_mu_ keeps the compaction thread out until the new state is in place.
  std::lock_guard<std::mutex> compact_lock(compact_mu_);
  State state;
  std::optional<CompactionPass> pass;
  RAFTKV_RETURN_IF_ERROR(LoadFromDisk(&state, &pass));
  RAFTKV_RETURN_IF_ERROR(RemoveOtherGenerations(state.generation));
  // The key space is another one now: index it anew.
  RAFTKV_RETURN_IF_ERROR(RebuildLatestIndex(state.generation));
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    state_ = state;
    compaction_error_ = Status::Ok();
  }
  physical_cv_.notify_all();
  pass_ = std::move(pass);
  WakeCompactor();
  return Status::Ok();
}

void MvccStore::WakeCompactor() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    ++wake_seq_;
  }
  wake_cv_.notify_all();
}

Status MvccStore::WaitForPhysicalCompaction(int64_t revision,
                                            std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock<std::mutex> lock(state_mu_);
  if (revision > state_.compacted) {
    return Status::FailedPrecondition("mvcc: revision " + std::to_string(revision) +
                                      " is above the compacted revision " +
                                      std::to_string(state_.compacted));
  }
  if (state_.physical >= revision) return Status::Ok();
  if (!options_.background_compaction) {
    return Status::FailedPrecondition("mvcc: physical compaction is not running");
  }
  if (physical_cv_.wait_until(lock, deadline, [&] { return state_.physical >= revision; })) {
    return Status::Ok();
  }
  std::string message = "mvcc: physical compaction to revision " + std::to_string(revision) +
                        " did not finish in time";
  if (!compaction_error_.ok()) message += " (last error: " + compaction_error_.ToString() + ")";
  return Status::Unavailable(std::move(message));
}

}  // namespace raftkv::storage
