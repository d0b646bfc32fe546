#include "tests/storage/mvcc_harness_support.h"

#include <stdexcept>

namespace raftkv::storage::testing {

etcdserverpb::PutRequest PutReq(const std::string& key, const std::string& value, int64_t lease) {
  etcdserverpb::PutRequest r;
  r.set_key(key);
  r.set_value(value);
  r.set_lease(lease);
  return r;
}

etcdserverpb::RangeRequest RangeReq(const std::string& key, const std::string& range_end,
                                    int64_t revision) {
  etcdserverpb::RangeRequest r;
  r.set_key(key);
  r.set_range_end(range_end);
  r.set_revision(revision);
  return r;
}

etcdserverpb::DeleteRangeRequest DeleteReq(const std::string& key, const std::string& range_end) {
  etcdserverpb::DeleteRangeRequest r;
  r.set_key(key);
  r.set_range_end(range_end);
  return r;
}

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

std::vector<std::string> Keys(const etcdserverpb::RangeResponse& response) {
  std::vector<std::string> keys;
  for (const auto& kv : response.kvs()) keys.push_back(kv.key());
  return keys;
}

MvccHarness::MvccHarness(MvccOptions options) : options_(std::move(options)) {
  Status s = Open();
  if (!s.ok()) throw std::runtime_error("MvccHarness: " + s.ToString());
}

MvccHarness::~MvccHarness() {
  store_.reset();
  db_.reset();
}

Status MvccHarness::Open() {
  DatabaseOptions db_options;
  db_options.data_dir = dir_.Sub("member");
  db_options.block_cache_bytes = 8 << 20;
  auto db = Database::Open(db_options);
  if (!db.ok()) return db.status();
  db_ = std::move(db).value();
  auto store = MvccStore::Open(db_.get(), options_);
  if (!store.ok()) return store.status();
  store_ = std::move(store).value();
  next_index_ = store_->applied_index() + 1;
  return Status::Ok();
}

Status MvccHarness::Reopen(std::optional<MvccOptions> options) {
  store_.reset();
  db_.reset();
  if (options.has_value()) options_ = std::move(*options);
  return Open();
}

Status MvccHarness::Apply(const std::function<Status(MvccWriteBatch&)>& fn) {
  auto batch = store_->BeginBatch();
  if (!batch.ok()) return batch.status();
  Status result = fn(**batch);
  Status commit = store_->Commit(std::move(batch).value(), next_index_++, /*sync=*/false);
  return result.ok() ? commit : result;
}

namespace {

// Runs one request through Apply and returns its response.
template <typename Response, typename Call>
StatusOr<Response> ApplyOne(MvccHarness& h, Call call) {
  std::optional<StatusOr<Response>> out;
  Status s = h.Apply([&](MvccWriteBatch& batch) {
    out.emplace(call(batch));
    return out->status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

}  // namespace

StatusOr<etcdserverpb::PutResponse> MvccHarness::Put(const etcdserverpb::PutRequest& request) {
  return ApplyOne<etcdserverpb::PutResponse>(*this,
                                             [&](MvccWriteBatch& b) { return b.Put(request); });
}

StatusOr<etcdserverpb::PutResponse> MvccHarness::Put(const std::string& key,
                                                     const std::string& value) {
  return Put(PutReq(key, value));
}

StatusOr<etcdserverpb::DeleteRangeResponse> MvccHarness::Delete(
    const etcdserverpb::DeleteRangeRequest& request) {
  return ApplyOne<etcdserverpb::DeleteRangeResponse>(
      *this, [&](MvccWriteBatch& b) { return b.DeleteRange(request); });
}

StatusOr<etcdserverpb::TxnResponse> MvccHarness::Txn(const etcdserverpb::TxnRequest& request) {
  return ApplyOne<etcdserverpb::TxnResponse>(*this,
                                             [&](MvccWriteBatch& b) { return b.Txn(request); });
}

StatusOr<etcdserverpb::CompactionResponse> MvccHarness::Compact(int64_t revision) {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  return ApplyOne<etcdserverpb::CompactionResponse>(
      *this, [&](MvccWriteBatch& b) { return b.Compact(request); });
}

StatusOr<etcdserverpb::RangeResponse> MvccHarness::Range(
    const etcdserverpb::RangeRequest& request) {
  return store_->Range(request);
}

}  // namespace raftkv::storage::testing
