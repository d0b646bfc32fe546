#include "tests/storage/mvcc_model_support.h"

#include <algorithm>

#include "storage/mvcc_errors.h"

namespace raftkv::storage::testing {

using etcdserverpb::Compare;
using etcdserverpb::RangeRequest;

std::optional<mvccpb::KeyValue> MvccModel::At(const History& history, const std::string& key,
                                              int64_t revision) {
  auto it = history.find(key);
  if (it == history.end()) return std::nullopt;
  const Version* found = nullptr;
  for (const Version& v : it->second) {
    if (v.revision <= revision) found = &v;
  }
  if (found == nullptr || found->deleted) return std::nullopt;
  return found->kv;
}

bool MvccModel::InRange(const std::string& key, const std::string& begin, const std::string& end) {
  if (end.empty()) return key == begin;
  if (end == std::string(1, '\0')) return key >= begin;
  return key >= begin && key < end;
}

std::vector<mvccpb::KeyValue> MvccModel::LiveIn(const History& history, const std::string& begin,
                                                const std::string& end, int64_t revision) {
  std::vector<mvccpb::KeyValue> out;
  for (const auto& [key, versions] : history) {
    if (!InRange(key, begin, end)) continue;
    if (auto kv = At(history, key, revision)) out.push_back(*kv);
  }
  return out;
}

bool MvccModel::CompareHolds(const History& history, int64_t revision, const Compare& c) {
  std::vector<mvccpb::KeyValue> kvs = LiveIn(history, c.key(), c.range_end(), revision);
  if (kvs.empty()) {
    if (c.target() == Compare::VALUE) return false;
    kvs.emplace_back();
  }
  for (const mvccpb::KeyValue& kv : kvs) {
    int order = 0;  // <0, 0, >0 as kv's field compares with the operand
    auto cmp = [](auto a, auto b) { return a < b ? -1 : (a > b ? 1 : 0); };
    if (c.target() == Compare::VALUE) {
      order = kv.value().compare(c.target_union_case() == Compare::kValue ? c.value() : "");
      order = order < 0 ? -1 : (order > 0 ? 1 : 0);
    } else if (c.target() == Compare::VERSION) {
      order = cmp(kv.version(), c.target_union_case() == Compare::kVersion ? c.version() : 0);
    } else if (c.target() == Compare::CREATE) {
      order = cmp(kv.create_revision(),
                  c.target_union_case() == Compare::kCreateRevision ? c.create_revision() : 0);
    } else if (c.target() == Compare::MOD) {
      order = cmp(kv.mod_revision(),
                  c.target_union_case() == Compare::kModRevision ? c.mod_revision() : 0);
    } else if (c.target() == Compare::LEASE) {
      order = cmp(kv.lease(), c.target_union_case() == Compare::kLease ? c.lease() : 0);
    }
    const bool ok = c.result() == Compare::EQUAL       ? order == 0
                    : c.result() == Compare::NOT_EQUAL ? order != 0
                    : c.result() == Compare::GREATER   ? order > 0
                    : c.result() == Compare::LESS      ? order < 0
                                                       : true;
    if (!ok) return false;
  }
  return true;
}

void MvccModel::Record(const std::string& key, Version version) {
  std::vector<Version>& versions = history_[key];
  if (!versions.empty() && versions.back().revision == version.revision) versions.pop_back();
  versions.push_back(std::move(version));
  wrote_ = true;
}

StatusOr<etcdserverpb::RangeResponse> MvccModel::RangeAt(const RangeRequest& r,
                                                         int64_t current) const {
  if (r.revision() > current) return mvcc::FutureRevisionError();
  const int64_t at = r.revision() > 0 ? r.revision() : current;
  if (at < compacted_) return mvcc::CompactedError();
  std::vector<mvccpb::KeyValue> kvs = LiveIn(history_, r.key(), r.range_end(), at);
  etcdserverpb::RangeResponse out;
  out.mutable_header()->set_revision(current);
  out.set_count(static_cast<int64_t>(kvs.size()));
  if (r.count_only()) return out;
  const bool sorted_or_filtered = r.sort_order() != RangeRequest::NONE || r.min_mod_revision() ||
                                  r.max_mod_revision() || r.min_create_revision() ||
                                  r.max_create_revision();
  if (!sorted_or_filtered && r.limit() > 0 && static_cast<int64_t>(kvs.size()) > r.limit() + 1) {
    kvs.resize(static_cast<size_t>(r.limit() + 1));
  }
  std::vector<mvccpb::KeyValue> kept;
  for (const mvccpb::KeyValue& kv : kvs) {
    if (r.min_mod_revision() && kv.mod_revision() < r.min_mod_revision()) continue;
    if (r.max_mod_revision() && kv.mod_revision() > r.max_mod_revision()) continue;
    if (r.min_create_revision() && kv.create_revision() < r.min_create_revision()) continue;
    if (r.max_create_revision() && kv.create_revision() > r.max_create_revision()) continue;
    kept.push_back(kv);
  }
  int direction = r.sort_order() == RangeRequest::ASCEND    ? 1
                  : r.sort_order() == RangeRequest::DESCEND ? -1
                                                            : 0;
  if (direction == 0 && r.sort_target() != RangeRequest::KEY &&
      r.sort_order() == RangeRequest::NONE) {
    direction = 1;
  }
  if (direction != 0) {
    auto key_of = [&](const mvccpb::KeyValue& kv) -> std::pair<int64_t, std::string> {
      switch (r.sort_target()) {
        case RangeRequest::KEY:
          return {0, kv.key()};
        case RangeRequest::VERSION:
          return {kv.version(), ""};
        case RangeRequest::CREATE:
          return {kv.create_revision(), ""};
        case RangeRequest::MOD:
          return {kv.mod_revision(), ""};
        case RangeRequest::VALUE:
          return {0, kv.value()};
        default:
          return {0, ""};
      }
    };
    std::stable_sort(kept.begin(), kept.end(), [&](const auto& a, const auto& b) {
      return direction > 0 ? key_of(a) < key_of(b) : key_of(b) < key_of(a);
    });
  }
  if (r.limit() > 0 && static_cast<int64_t>(kept.size()) > r.limit()) {
    kept.resize(static_cast<size_t>(r.limit()));
    out.set_more(true);
  }
  for (mvccpb::KeyValue& kv : kept) {
    if (r.keys_only()) kv.set_value("");
    *out.add_kvs() = kv;
  }
  return out;
}

StatusOr<etcdserverpb::RangeResponse> MvccModel::Range(const RangeRequest& request) const {
  return RangeAt(request, revision_);
}

Status MvccModel::DoPut(const etcdserverpb::PutRequest& p, etcdserverpb::PutResponse* response) {
  const std::optional<mvccpb::KeyValue> prev = At(history_, p.key(), Now());
  if ((p.ignore_value() || p.ignore_lease()) && !prev) return mvcc::KeyNotFoundError();
  Version v;
  v.revision = begin_ + 1;
  v.kv.set_key(p.key());
  v.kv.set_value(p.ignore_value() ? prev->value() : p.value());
  v.kv.set_lease(p.ignore_lease() ? prev->lease() : p.lease());
  v.kv.set_create_revision(prev ? prev->create_revision() : v.revision);
  v.kv.set_mod_revision(v.revision);
  v.kv.set_version(prev ? prev->version() + 1 : 1);
  if (p.prev_kv() && prev) *response->mutable_prev_kv() = *prev;
  response->mutable_header()->set_revision(v.revision);
  Record(p.key(), std::move(v));
  return Status::Ok();
}

Status MvccModel::DoDelete(const etcdserverpb::DeleteRangeRequest& d,
                           etcdserverpb::DeleteRangeResponse* response) {
  const std::vector<mvccpb::KeyValue> live = LiveIn(history_, d.key(), d.range_end(), Now());
  for (const mvccpb::KeyValue& kv : live) {
    Version tomb;
    tomb.revision = begin_ + 1;
    tomb.deleted = true;
    tomb.kv.set_key(kv.key());
    Record(kv.key(), std::move(tomb));
    if (d.prev_kv()) *response->add_prev_kvs() = kv;
  }
  response->set_deleted(static_cast<int64_t>(live.size()));
  response->mutable_header()->set_revision(Now());
  return Status::Ok();
}

Status MvccModel::Walk(const History& frozen, const etcdserverpb::TxnRequest& t, int phase,
                       etcdserverpb::TxnResponse* response) {
  bool succeeded = true;
  for (const Compare& c : t.compare()) succeeded = succeeded && CompareHolds(frozen, begin_, c);
  if (phase == 2) {
    response->set_succeeded(succeeded);
    response->mutable_header();
  }
  for (const etcdserverpb::RequestOp& op : succeeded ? t.success() : t.failure()) {
    etcdserverpb::ResponseOp* out = phase == 2 ? response->add_responses() : nullptr;
    if (op.has_request_txn()) {
      RAFTKV_RETURN_IF_ERROR(
          Walk(frozen, op.request_txn(), phase, out ? out->mutable_response_txn() : nullptr));
    } else if (op.has_request_put()) {
      const etcdserverpb::PutRequest& p = op.request_put();
      if (phase == 0 && (p.ignore_value() || p.ignore_lease()) && !At(frozen, p.key(), begin_)) {
        return mvcc::KeyNotFoundError();
      }
      if (phase == 2) RAFTKV_RETURN_IF_ERROR(DoPut(p, out->mutable_response_put()));
    } else if (op.has_request_delete_range()) {
      if (phase == 2) {
        RAFTKV_RETURN_IF_ERROR(
            DoDelete(op.request_delete_range(), out->mutable_response_delete_range()));
      }
    } else if (op.has_request_range()) {
      const int64_t rev = op.request_range().revision();
      if (phase == 1 && rev != 0 && rev > begin_) return mvcc::FutureRevisionError();
      if (phase == 1 && rev != 0 && rev < compacted_) return mvcc::CompactedError();
      if (phase == 2) {
        auto r = RangeAt(op.request_range(), Now());
        if (!r.ok()) return r.status();
        *out->mutable_response_range() = *r;
      }
    }
  }
  return Status::Ok();
}

template <typename Response, typename Body>
StatusOr<Response> MvccModel::Request(Body body) {
  const History saved = history_;
  begin_ = revision_;
  wrote_ = false;
  Response response;
  Status status = body(&response);
  if (!status.ok()) {
    history_ = saved;
    return status;
  }
  if (wrote_) revision_ = begin_ + 1;
  return response;
}

StatusOr<etcdserverpb::PutResponse> MvccModel::Put(const etcdserverpb::PutRequest& request) {
  return Request<etcdserverpb::PutResponse>(
      [&](etcdserverpb::PutResponse* response) { return DoPut(request, response); });
}

StatusOr<etcdserverpb::DeleteRangeResponse> MvccModel::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& request) {
  return Request<etcdserverpb::DeleteRangeResponse>(
      [&](etcdserverpb::DeleteRangeResponse* response) { return DoDelete(request, response); });
}

StatusOr<etcdserverpb::TxnResponse> MvccModel::Txn(const etcdserverpb::TxnRequest& request) {
  auto run = [&](etcdserverpb::TxnResponse* response) -> Status {
    const History frozen = history_;
    RAFTKV_RETURN_IF_ERROR(Walk(frozen, request, 0, nullptr));
    RAFTKV_RETURN_IF_ERROR(Walk(frozen, request, 1, nullptr));
    RAFTKV_RETURN_IF_ERROR(Walk(frozen, request, 2, response));
    response->mutable_header()->set_revision(Now());
    return Status::Ok();
  };
  return Request<etcdserverpb::TxnResponse>(run);
}

StatusOr<etcdserverpb::CompactionResponse> MvccModel::Compact(
    const etcdserverpb::CompactionRequest& request) {
  if (request.revision() <= compacted_) return mvcc::CompactedError();
  if (request.revision() > revision_) return mvcc::FutureRevisionError();
  compacted_ = request.revision();
  etcdserverpb::CompactionResponse response;
  response.mutable_header()->set_revision(revision_);
  return response;
}

}  // namespace raftkv::storage::testing
