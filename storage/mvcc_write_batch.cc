#include "storage/mvcc_write_batch.h"

#include <cstdio>
#include <cstdlib>

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include "storage/codec.h"
#include "storage/database.h"
#include "storage/mvcc_errors.h"
#include "storage/mvcc_store.h"

namespace raftkv::storage {

using etcdserverpb::CompactionRequest;
using etcdserverpb::CompactionResponse;
using etcdserverpb::DeleteRangeRequest;
using etcdserverpb::DeleteRangeResponse;
using etcdserverpb::PutRequest;
using etcdserverpb::PutResponse;
using etcdserverpb::RangeRequest;
using etcdserverpb::RangeResponse;

// Iterators over the batch's own writes merged with the database (the batch wins).
class MvccWriteBatch::Source : public mvcc::VersionSource {
 public:
  Source(Database* db, rocksdb::WriteBatchWithIndex* batch) : db_(db), batch_(batch) {}

  // The database's iterator skips table files by prefix filter for a one-key read (the batch's
  // own index is small and read in full order).
  std::unique_ptr<rocksdb::Iterator> NewIterator(const rocksdb::Slice* upper_bound,
                                                 bool one_user_key) override {
    rocksdb::ReadOptions options = MvccReadOptions(one_user_key);
    options.iterate_upper_bound = upper_bound;
    rocksdb::ColumnFamilyHandle* family = db_->family(Family::kMvccKv);
    return std::unique_ptr<rocksdb::Iterator>(
        batch_->NewIteratorWithBase(family, db_->db()->NewIterator(options, family)));
  }

 private:
  Database* const db_;
  rocksdb::WriteBatchWithIndex* const batch_;
};

MvccWriteBatch::MvccWriteBatch(MvccStore* store, uint64_t generation, int64_t revision,
                               int64_t compacted)
    : store_(store),
      generation_(generation),
      // overwrite_key: a key written twice in the batch shows its last value only.
      batch_(std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0,
                                                            /*overwrite_key=*/true)),
      source_(std::make_unique<Source>(store->db_, batch_.get())),
      revision_(revision),
      compacted_(compacted) {}

MvccWriteBatch::~MvccWriteBatch() { store_->batch_open_ = false; }

void MvccWriteBatch::BeginRequest() {
  begin_revision_ = revision_;
  request_wrote_ = false;
  batch_->SetSavePoint();
}

Status MvccWriteBatch::EndRequest(Status status) {
  // A save point that cannot be popped or rolled back leaves the batch's writes out of step
  // with what it tells the LatestIndex: the batch is then refused by Commit as a whole.
  if (status.ok()) {
    rocksdb::Status s = batch_->PopSavePoint();
    if (!s.ok()) {
      broken_ = Status::Internal("mvcc: batch save point: " + s.ToString());
      return broken_;
    }
    if (request_wrote_) revision_ = begin_revision_ + 1;
    for (auto& [key, latest] : request_latest_) batch_latest_[key] = latest;
  } else {
    rocksdb::Status s = batch_->RollbackToSavePoint();
    if (!s.ok()) {
      broken_ = Status::Internal("mvcc: batch rollback: " + s.ToString());
      return broken_;
    }
  }
  request_wrote_ = false;
  request_latest_.clear();
  return status;
}

mvcc::ReadView MvccWriteBatch::View(int64_t current) const {
  return mvcc::ReadView{generation_, current, compacted_};
}

Status MvccWriteBatch::CheckLease(int64_t lease) const {
  if (lease != 0 && store_->options_.lease_exists && !store_->options_.lease_exists(lease)) {
    return mvcc::LeaseNotFoundError();
  }
  return Status::Ok();
}

Status MvccWriteBatch::GetLive(std::string_view key, std::optional<mvccpb::KeyValue>* kv) {
  kv->reset();
  std::vector<mvccpb::KeyValue> kvs;
  int64_t count = 0;
  RAFTKV_RETURN_IF_ERROR(mvcc::CollectLive(*source_, mvcc::MakeKeyRange(generation_, key, ""),
                                           ReadRevision(), 1, &kvs, &count));
  if (!kvs.empty()) *kv = std::move(kvs.front());
  return Status::Ok();
}

Status MvccWriteBatch::GetLatest(std::string_view key, mvcc::LatestVersion* latest) {
  const std::string owned(key);
  if (auto it = request_latest_.find(owned); it != request_latest_.end()) {
    *latest = it->second;
    return Status::Ok();
  }
  if (auto it = batch_latest_.find(owned); it != batch_latest_.end()) {
    *latest = it->second;
    return Status::Ok();
  }
  *latest = store_->latest_.Find(owned);
#ifdef RAFTKV_CHECK_INVARIANTS
  // Debug and sanitizer builds check the index's invariant (mvcc_latest_index.h) against the
  // key space on every lookup.
  std::optional<mvccpb::KeyValue> kv;
  RAFTKV_RETURN_IF_ERROR(GetLive(key, &kv));
  const bool agrees =
      kv.has_value() == latest->live &&
      (!kv.has_value() || (kv->create_revision() == latest->create_revision &&
                           kv->mod_revision() == latest->mod_revision &&
                           kv->version() == latest->version && kv->lease() == latest->lease));
  if (!agrees) {
    std::fprintf(stderr,
                 "mvcc: the latest-version index disagrees with the key space (%zu-byte key)\n",
                 key.size());
    std::abort();
  }
#endif
  return Status::Ok();
}

Status MvccWriteBatch::WriteVersion(std::string_view key, const mvcc::VersionRecord& record) {
  const int64_t revision = begin_revision_ + 1;
  rocksdb::Status s =
      batch_->Put(store_->db_->family(Family::kMvccKv),
                  mvcc::VersionKey(generation_, key, revision), mvcc::EncodeRecord(record));
  if (!s.ok()) return FromRocks(s, "mvcc: adding to the write batch");
  request_wrote_ = true;
  request_latest_[std::string(key)] =
      record.tombstone ? mvcc::LatestVersion{}
                       : mvcc::LatestVersion{true, record.create_revision, revision, record.version,
                                             record.lease};
  return Status::Ok();
}

Status MvccWriteBatch::ApplyPut(const PutRequest& request, PutResponse* response) {
  // The previous value is read only when the request needs it; otherwise the key's create
  // revision, version and lease come from the LatestIndex, without a seek.
  std::optional<mvccpb::KeyValue> previous;
  mvcc::LatestVersion latest;
  if (request.ignore_value() || request.prev_kv()) {
    RAFTKV_RETURN_IF_ERROR(GetLive(request.key(), &previous));
    if (previous.has_value()) {
      latest = mvcc::LatestVersion{true, previous->create_revision(), previous->mod_revision(),
                                   previous->version(), previous->lease()};
    }
  } else {
    RAFTKV_RETURN_IF_ERROR(GetLatest(request.key(), &latest));
  }
  if ((request.ignore_value() || request.ignore_lease()) && !latest.live) {
    return mvcc::KeyNotFoundError();
  }
  mvcc::VersionRecord record;
  record.value = request.ignore_value() ? previous->value() : request.value();
  record.lease = request.ignore_lease() ? latest.lease : request.lease();
  record.create_revision = latest.live ? latest.create_revision : begin_revision_ + 1;
  record.version = latest.live ? latest.version + 1 : 1;
  RAFTKV_RETURN_IF_ERROR(WriteVersion(request.key(), record));
  if (request.prev_kv() && previous.has_value()) *response->mutable_prev_kv() = *previous;
  response->mutable_header()->set_revision(begin_revision_ + 1);
  return Status::Ok();
}

Status MvccWriteBatch::ApplyDeleteRange(const DeleteRangeRequest& request,
                                        DeleteRangeResponse* response) {
  std::vector<mvccpb::KeyValue> live;
  int64_t count = 0;
  RAFTKV_RETURN_IF_ERROR(mvcc::CollectLive(
      *source_, mvcc::MakeKeyRange(generation_, request.key(), request.range_end()), ReadRevision(),
      0, &live, &count));
  mvcc::VersionRecord tombstone;
  tombstone.tombstone = true;
  for (const mvccpb::KeyValue& kv : live) {
    RAFTKV_RETURN_IF_ERROR(WriteVersion(kv.key(), tombstone));
  }
  response->set_deleted(static_cast<int64_t>(live.size()));
  if (request.prev_kv()) {
    for (mvccpb::KeyValue& kv : live) *response->add_prev_kvs() = std::move(kv);
  }
  response->mutable_header()->set_revision(ReadRevision());
  return Status::Ok();
}

Status MvccWriteBatch::ApplyRange(const RangeRequest& request, RangeResponse* response) {
  StatusOr<RangeResponse> result = mvcc::ExecuteRange(*source_, View(ReadRevision()), request);
  if (!result.ok()) return result.status();
  *response = std::move(result).value();
  return Status::Ok();
}

StatusOr<PutResponse> MvccWriteBatch::Put(const PutRequest& request) {
  PutResponse response;
  BeginRequest();
  Status status = CheckLease(request.lease());
  if (status.ok()) status = ApplyPut(request, &response);
  RAFTKV_RETURN_IF_ERROR(EndRequest(std::move(status)));
  return response;
}

StatusOr<DeleteRangeResponse> MvccWriteBatch::DeleteRange(const DeleteRangeRequest& request) {
  DeleteRangeResponse response;
  BeginRequest();
  RAFTKV_RETURN_IF_ERROR(EndRequest(ApplyDeleteRange(request, &response)));
  return response;
}

StatusOr<RangeResponse> MvccWriteBatch::Range(const RangeRequest& request) {
  RangeResponse response;
  BeginRequest();
  RAFTKV_RETURN_IF_ERROR(EndRequest(ApplyRange(request, &response)));
  return response;
}

Status MvccWriteBatch::PutMemberRecord(uint64_t member_id, const std::string& record) {
  std::string name(mvcc::kMetaMemberPrefix);
  AppendBigEndian64(&name, member_id);
  return FromRocks(
      batch_->Put(store_->db_->family(Family::kMvccMeta), mvcc::MetaKey(generation_, name), record),
      "mvcc: adding to the write batch");
}

StatusOr<CompactionResponse> MvccWriteBatch::Compact(const CompactionRequest& request) {
  // etcd: at or below the compacted revision is "compacted", above the current "future".
  if (request.revision() <= compacted_) return mvcc::CompactedError();
  if (request.revision() > revision_) return mvcc::FutureRevisionError();
  rocksdb::Status s = batch_->Put(store_->db_->family(Family::kMvccMeta),
                                  mvcc::MetaKey(generation_, mvcc::kMetaCompacted),
                                  mvcc::EncodeInt64(request.revision()));
  if (!s.ok()) return FromRocks(s, "mvcc: adding to the write batch");
  compacted_ = request.revision();
  compacted_changed_ = true;
  CompactionResponse response;
  response.mutable_header()->set_revision(revision_);
  return response;
}

}  // namespace raftkv::storage
