// MvccWriteBatch::Txn: etcd 3.4's transaction (etcdserver/apply.go Txn, applyCompare,
// checkRequests, applyTxn), executed inside a write batch.
#include <string>

#include "storage/mvcc_errors.h"
#include "storage/mvcc_write_batch.h"

namespace raftkv::storage {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;
using etcdserverpb::TxnResponse;

template <typename T>
int ThreeWay(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// etcd's compareKV: the operand is the target_union member matching the target (zero or empty
// when another member is set); an unknown target compares as equal, an unknown result holds.
bool CompareKv(const Compare& c, const mvccpb::KeyValue& kv) {
  int result = 0;
  switch (c.target()) {
    case Compare::VALUE:
      result = ThreeWay<std::string>(kv.value(), c.has_value() ? c.value() : std::string());
      break;
    case Compare::CREATE:
      result = ThreeWay<int64_t>(kv.create_revision(),
                                 c.has_create_revision() ? c.create_revision() : 0);
      break;
    case Compare::MOD:
      result = ThreeWay<int64_t>(kv.mod_revision(), c.has_mod_revision() ? c.mod_revision() : 0);
      break;
    case Compare::VERSION:
      result = ThreeWay<int64_t>(kv.version(), c.has_version() ? c.version() : 0);
      break;
    case Compare::LEASE:
      result = ThreeWay<int64_t>(kv.lease(), c.has_lease() ? c.lease() : 0);
      break;
    default:
      break;
  }
  switch (c.result()) {
    case Compare::EQUAL:
      return result == 0;
    case Compare::NOT_EQUAL:
      return result != 0;
    case Compare::GREATER:
      return result > 0;
    case Compare::LESS:
      return result < 0;
    default:
      return true;
  }
}

// The branch of `request` that `succeeded` selects.
const google::protobuf::RepeatedPtrField<RequestOp>& Branch(const TxnRequest& request,
                                                            bool succeeded) {
  return succeeded ? request.success() : request.failure();
}

}  // namespace

Status MvccWriteBatch::EvaluateCompare(const Compare& compare, bool* holds) {
  if (compare.range_end().empty() && compare.target() != Compare::VALUE) {
    // One key, no value needed: the LatestIndex answers without a seek. A missing key compares
    // as a key whose version, revisions and lease are 0, as below.
    mvcc::LatestVersion latest;
    RAFTKV_RETURN_IF_ERROR(GetLatest(compare.key(), &latest));
    mvccpb::KeyValue kv;
    if (latest.live) {
      kv.set_create_revision(latest.create_revision);
      kv.set_mod_revision(latest.mod_revision);
      kv.set_version(latest.version);
      kv.set_lease(latest.lease);
    }
    *holds = CompareKv(compare, kv);
    return Status::Ok();
  }
  std::vector<mvccpb::KeyValue> kvs;
  int64_t count = 0;
  RAFTKV_RETURN_IF_ERROR(mvcc::CollectLive(
      *source_, mvcc::MakeKeyRange(generation_, compare.key(), compare.range_end()), ReadRevision(),
      0, &kvs, &count));
  if (kvs.empty()) {
    // A missing key has no value to compare (etcd: always false); otherwise it compares as a
    // key whose version, revisions and lease are 0.
    *holds = compare.target() != Compare::VALUE && CompareKv(compare, mvccpb::KeyValue());
    return Status::Ok();
  }
  *holds = true;
  for (const mvccpb::KeyValue& kv : kvs) {
    if (!CompareKv(compare, kv)) {
      *holds = false;
      break;
    }
  }
  return Status::Ok();
}

Status MvccWriteBatch::EvaluatePath(const TxnRequest& request, TxnPath* path) {
  path->succeeded = true;
  for (const Compare& compare : request.compare()) {
    RAFTKV_RETURN_IF_ERROR(EvaluateCompare(compare, &path->succeeded));
    if (!path->succeeded) break;
  }
  for (const RequestOp& op : Branch(request, path->succeeded)) {
    if (!op.has_request_txn()) continue;
    path->nested.emplace_back();
    RAFTKV_RETURN_IF_ERROR(EvaluatePath(op.request_txn(), &path->nested.back()));
  }
  return Status::Ok();
}

Status MvccWriteBatch::CheckOps(const TxnRequest& request, const TxnPath& path, bool puts) {
  size_t nested = 0;
  for (const RequestOp& op : Branch(request, path.succeeded)) {
    if (op.has_request_txn()) {
      RAFTKV_RETURN_IF_ERROR(CheckOps(op.request_txn(), path.nested[nested++], puts));
    } else if (puts && op.has_request_put()) {
      const etcdserverpb::PutRequest& put = op.request_put();
      if (put.ignore_value() || put.ignore_lease()) {
        std::optional<mvccpb::KeyValue> previous;
        RAFTKV_RETURN_IF_ERROR(GetLive(put.key(), &previous));
        if (!previous.has_value()) return mvcc::KeyNotFoundError();
      }
      RAFTKV_RETURN_IF_ERROR(CheckLease(put.lease()));
    } else if (!puts && op.has_request_range()) {
      // etcd's checkRequestRange: note that, unlike a plain Range, a negative revision is
      // compared with the compacted revision as it is.
      const int64_t revision = op.request_range().revision();
      if (revision == 0) continue;
      if (revision > begin_revision_) return mvcc::FutureRevisionError();
      if (revision < compacted_) return mvcc::CompactedError();
    }
  }
  return Status::Ok();
}

Status MvccWriteBatch::ApplyTxn(const TxnRequest& request, const TxnPath& path,
                                TxnResponse* response) {
  response->set_succeeded(path.succeeded);
  response->mutable_header();  // nested responses carry an empty header, as etcd's do
  size_t nested = 0;
  for (const RequestOp& op : Branch(request, path.succeeded)) {
    etcdserverpb::ResponseOp* out = response->add_responses();
    switch (op.request_case()) {
      case RequestOp::kRequestRange:
        RAFTKV_RETURN_IF_ERROR(ApplyRange(op.request_range(), out->mutable_response_range()));
        break;
      case RequestOp::kRequestPut:
        RAFTKV_RETURN_IF_ERROR(ApplyPut(op.request_put(), out->mutable_response_put()));
        break;
      case RequestOp::kRequestDeleteRange:
        RAFTKV_RETURN_IF_ERROR(
            ApplyDeleteRange(op.request_delete_range(), out->mutable_response_delete_range()));
        break;
      case RequestOp::kRequestTxn:
        RAFTKV_RETURN_IF_ERROR(
            ApplyTxn(op.request_txn(), path.nested[nested++], out->mutable_response_txn()));
        break;
      default:
        break;  // an empty operation has an empty response
    }
  }
  return Status::Ok();
}

StatusOr<TxnResponse> MvccWriteBatch::Txn(const TxnRequest& request) {
  TxnResponse response;
  BeginRequest();
  TxnPath path;
  Status status = EvaluatePath(request, &path);
  if (status.ok()) status = CheckOps(request, path, /*puts=*/true);
  if (status.ok()) status = CheckOps(request, path, /*puts=*/false);
  // Operations that fail after the checks (possible only for requests that skipped
  // validation, e.g. a put with ignore_value after a delete of its key) fail the whole
  // transaction where etcd would stop the member.
  if (status.ok()) status = ApplyTxn(request, path, &response);
  if (status.ok()) response.mutable_header()->set_revision(ReadRevision());
  RAFTKV_RETURN_IF_ERROR(EndRequest(std::move(status)));
  return response;
}

}  // namespace raftkv::storage
