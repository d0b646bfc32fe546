#include "storage/mvcc_validate.h"

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "storage/mvcc_errors.h"

namespace raftkv::storage::mvcc {
namespace {

using etcdserverpb::RequestOp;

Status Invalid(std::string_view message) { return Status::InvalidArgument(std::string(message)); }

// etcd's "affine" string order for interval ends: the empty string is above every other.
int AffineCompare(std::string_view a, std::string_view b) {
  if (a.empty()) return b.empty() ? 0 : 1;
  if (b.empty()) return -1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

// A deleted range [begin, end) in etcd's interval terms (a single key k is [k, k "\0")).
struct Interval {
  std::string begin;
  std::string end;
  bool Contains(std::string_view key) const {
    return AffineCompare(begin, key) <= 0 && AffineCompare(key, end) < 0;
  }
};

// What one list of operations writes: the keys it puts and the ranges it deletes.
struct Writes {
  std::set<std::string> puts;
  std::vector<Interval> deletes;
  bool Deletes(std::string_view key) const {
    for (const Interval& d : deletes) {
      if (d.Contains(key)) return true;
    }
    return false;
  }
};

// etcd's checkIntervals: fills *writes with the writes of `ops` (nested ones included) and
// fails on a key written twice where both writes could run.
Status CheckIntervals(const google::protobuf::RepeatedPtrField<RequestOp>& ops, Writes* writes) {
  for (const RequestOp& op : ops) {
    if (!op.has_request_delete_range()) continue;
    const auto& del = op.request_delete_range();
    if (del.range_end().empty()) {
      writes->deletes.push_back({del.key(), del.key() + std::string(1, '\0')});
    } else {
      writes->deletes.push_back({del.key(), del.range_end()});
    }
  }
  for (const RequestOp& op : ops) {
    if (!op.has_request_txn()) continue;
    Writes then_writes, else_writes;
    RAFTKV_RETURN_IF_ERROR(CheckIntervals(op.request_txn().success(), &then_writes));
    RAFTKV_RETURN_IF_ERROR(CheckIntervals(op.request_txn().failure(), &else_writes));
    for (const std::string& key : then_writes.puts) {
      if (writes->puts.contains(key) || writes->Deletes(key)) return Invalid(kErrDuplicateKey);
      writes->puts.insert(key);
    }
    for (const std::string& key : else_writes.puts) {
      // Only one branch runs: a key put by both is fine.
      if (writes->puts.contains(key) && !then_writes.puts.contains(key)) {
        return Invalid(kErrDuplicateKey);
      }
      if (writes->Deletes(key)) return Invalid(kErrDuplicateKey);
      writes->puts.insert(key);
    }
    // etcd carries up the nested deletes that meet ["\0", +inf): all but those ending in "\0".
    for (Writes* nested : {&then_writes, &else_writes}) {
      for (Interval& d : nested->deletes) {
        if (AffineCompare(std::string(1, '\0'), d.end) < 0) writes->deletes.push_back(d);
      }
    }
  }
  for (const RequestOp& op : ops) {
    if (!op.has_request_put()) continue;
    const std::string& key = op.request_put().key();
    if (writes->puts.contains(key) || writes->Deletes(key)) return Invalid(kErrDuplicateKey);
    writes->puts.insert(key);
  }
  return Status::Ok();
}

// etcd's checkTxnRequest (limits and keys, without the duplicate check).
Status CheckTxnShape(const etcdserverpb::TxnRequest& request, int max_txn_ops) {
  const int ops =
      std::max({request.compare_size(), request.success_size(), request.failure_size()});
  if (ops > max_txn_ops) return Invalid(kErrTooManyOps);
  for (const etcdserverpb::Compare& compare : request.compare()) {
    if (compare.key().empty()) return Invalid(kErrEmptyKey);
  }
  for (const auto* list : {&request.success(), &request.failure()}) {
    for (const RequestOp& op : *list) {
      switch (op.request_case()) {
        case RequestOp::kRequestRange:
          RAFTKV_RETURN_IF_ERROR(ValidateRange(op.request_range()));
          break;
        case RequestOp::kRequestPut:
          RAFTKV_RETURN_IF_ERROR(ValidatePut(op.request_put()));
          break;
        case RequestOp::kRequestDeleteRange:
          RAFTKV_RETURN_IF_ERROR(ValidateDeleteRange(op.request_delete_range()));
          break;
        case RequestOp::kRequestTxn:
          RAFTKV_RETURN_IF_ERROR(CheckTxnShape(op.request_txn(), max_txn_ops - ops));
          break;
        default:
          return Invalid(kErrKeyNotFound);  // etcd's answer to an empty operation
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateRange(const etcdserverpb::RangeRequest& request) {
  if (request.key().empty()) return Invalid(kErrEmptyKey);
  if (!etcdserverpb::RangeRequest::SortOrder_IsValid(request.sort_order()) ||
      !etcdserverpb::RangeRequest::SortTarget_IsValid(request.sort_target())) {
    return Invalid("etcdserver: invalid sort option");
  }
  return Status::Ok();
}

Status ValidatePut(const etcdserverpb::PutRequest& request) {
  if (request.key().empty()) return Invalid(kErrEmptyKey);
  if (request.ignore_value() && !request.value().empty()) return Invalid(kErrValueProvided);
  if (request.ignore_lease() && request.lease() != 0) return Invalid(kErrLeaseProvided);
  return Status::Ok();
}

Status ValidateDeleteRange(const etcdserverpb::DeleteRangeRequest& request) {
  if (request.key().empty()) return Invalid(kErrEmptyKey);
  return Status::Ok();
}

Status ValidateTxn(const etcdserverpb::TxnRequest& request, int max_txn_ops) {
  RAFTKV_RETURN_IF_ERROR(CheckTxnShape(request, max_txn_ops));
  Writes success, failure;
  RAFTKV_RETURN_IF_ERROR(CheckIntervals(request.success(), &success));
  return CheckIntervals(request.failure(), &failure);
}

Status ValidateCompaction(const etcdserverpb::CompactionRequest& /*request*/) {
  return Status::Ok();
}

Status ValidateRequestSize(size_t bytes, size_t max_request_bytes) {
  if (bytes > max_request_bytes) return Invalid("etcdserver: request is too large");
  return Status::Ok();
}

}  // namespace raftkv::storage::mvcc
