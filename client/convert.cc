#include "client/convert.h"

#include <type_traits>

namespace raftkv::client::internal {
namespace {

etcdserverpb::RangeRequest::SortOrder ToProto(SortOrder order) {
  switch (order) {
    case SortOrder::kNone:
      return etcdserverpb::RangeRequest::NONE;
    case SortOrder::kAscend:
      return etcdserverpb::RangeRequest::ASCEND;
    case SortOrder::kDescend:
      return etcdserverpb::RangeRequest::DESCEND;
  }
  return etcdserverpb::RangeRequest::NONE;
}

etcdserverpb::RangeRequest::SortTarget ToProto(SortTarget target) {
  switch (target) {
    case SortTarget::kKey:
      return etcdserverpb::RangeRequest::KEY;
    case SortTarget::kVersion:
      return etcdserverpb::RangeRequest::VERSION;
    case SortTarget::kCreate:
      return etcdserverpb::RangeRequest::CREATE;
    case SortTarget::kMod:
      return etcdserverpb::RangeRequest::MOD;
    case SortTarget::kValue:
      return etcdserverpb::RangeRequest::VALUE;
  }
  return etcdserverpb::RangeRequest::KEY;
}

etcdserverpb::Compare::CompareResult ToProto(CompareOp op) {
  switch (op) {
    case CompareOp::kEqual:
      return etcdserverpb::Compare::EQUAL;
    case CompareOp::kNotEqual:
      return etcdserverpb::Compare::NOT_EQUAL;
    case CompareOp::kLess:
      return etcdserverpb::Compare::LESS;
    case CompareOp::kGreater:
      return etcdserverpb::Compare::GREATER;
  }
  return etcdserverpb::Compare::EQUAL;
}

etcdserverpb::Compare ToProto(const Compare& compare) {
  etcdserverpb::Compare out;
  out.set_result(ToProto(compare.op()));
  out.set_key(compare.key());
  out.set_range_end(compare.range_end());
  switch (compare.target()) {
    case Compare::Target::kVersion:
      out.set_target(etcdserverpb::Compare::VERSION);
      out.set_version(compare.number());
      break;
    case Compare::Target::kCreate:
      out.set_target(etcdserverpb::Compare::CREATE);
      out.set_create_revision(compare.number());
      break;
    case Compare::Target::kMod:
      out.set_target(etcdserverpb::Compare::MOD);
      out.set_mod_revision(compare.number());
      break;
    case Compare::Target::kValue:
      out.set_target(etcdserverpb::Compare::VALUE);
      out.set_value(compare.value());
      break;
    case Compare::Target::kLease:
      out.set_target(etcdserverpb::Compare::LEASE);
      out.set_lease(compare.number());
      break;
  }
  return out;
}

// Fills `out` with `op`; InvalidArgument from the options of a Get or Delete inside it.
Status ToRequestOp(const Op& op, etcdserverpb::RequestOp* out) {
  return std::visit(
      [out](const auto& o) -> Status {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Op::GetOp>) {
          auto request = ToRangeRequest(o.key, o.options);
          if (!request.ok()) return request.status();
          *out->mutable_request_range() = std::move(*request);
        } else if constexpr (std::is_same_v<T, Op::PutOp>) {
          *out->mutable_request_put() = ToPutRequest(o.key, o.value, o.options);
        } else if constexpr (std::is_same_v<T, Op::DeleteOp>) {
          auto request = ToDeleteRequest(o.key, o.options);
          if (!request.ok()) return request.status();
          *out->mutable_request_delete_range() = std::move(*request);
        } else {
          auto request = ToTxnRequest(*o);
          if (!request.ok()) return request.status();
          *out->mutable_request_txn() = std::move(*request);
        }
        return Status();
      },
      op.op());
}

// Converts one branch of a transaction into `out`.
Status ToRequestOps(const std::vector<Op>& ops,
                    google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* out) {
  for (const Op& op : ops) {
    Status s = ToRequestOp(op, out->Add());
    if (!s.ok()) return s;
  }
  return Status();
}

bool OpsAreReadOnly(const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    const Op::Variant& v = op.op();
    if (std::holds_alternative<Op::GetOp>(v)) continue;
    if (const auto* nested = std::get_if<std::shared_ptr<const Txn>>(&v)) {
      if (IsReadOnly(**nested)) continue;
    }
    return false;
  }
  return true;
}

OpResult FromResponseOp(const etcdserverpb::ResponseOp& op) {
  switch (op.response_case()) {
    case etcdserverpb::ResponseOp::kResponsePut:
      return FromPutResponse(op.response_put());
    case etcdserverpb::ResponseOp::kResponseDeleteRange:
      return FromDeleteResponse(op.response_delete_range());
    case etcdserverpb::ResponseOp::kResponseTxn:
      return std::make_shared<TxnResult>(FromTxnResponse(op.response_txn()));
    case etcdserverpb::ResponseOp::kResponseRange:
    case etcdserverpb::ResponseOp::RESPONSE_NOT_SET:
      break;
  }
  return FromRangeResponse(op.response_range());
}

}  // namespace

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    const auto last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

Result<KeyRange> ResolveRange(std::string_view key, const std::string& range_end, bool prefix,
                              bool from_key) {
  if (static_cast<int>(!range_end.empty()) + static_cast<int>(prefix) + static_cast<int>(from_key) >
      1) {
    return Status(ErrorCode::kInvalidArgument,
                  "at most one of range_end, prefix and from_key may be set");
  }
  KeyRange range{std::string(key), range_end};
  if (prefix || from_key) {
    if (range.key.empty()) {
      range.key = std::string(1, '\0');
      range.range_end = std::string(1, '\0');
    } else {
      range.range_end = prefix ? PrefixEnd(range.key) : std::string(1, '\0');
    }
  }
  return range;
}

Result<etcdserverpb::RangeRequest> ToRangeRequest(std::string_view key, const GetOptions& options) {
  auto range = ResolveRange(key, options.range_end, options.prefix, options.from_key);
  if (!range.ok()) return range.status();
  etcdserverpb::RangeRequest request;
  request.set_key(std::move(range->key));
  request.set_range_end(std::move(range->range_end));
  request.set_limit(options.limit);
  request.set_revision(options.revision);
  // As clientv3's WithSort: ascending by key is the server's own order, and asking for it would
  // make the server sort the whole range before applying the limit.
  SortOrder order = options.sort_order;
  if (order == SortOrder::kAscend && options.sort_target == SortTarget::kKey) {
    order = SortOrder::kNone;
  }
  request.set_sort_order(ToProto(order));
  request.set_sort_target(ToProto(options.sort_target));
  request.set_serializable(options.serializable);
  request.set_keys_only(options.keys_only);
  request.set_count_only(options.count_only);
  request.set_min_mod_revision(options.min_mod_revision);
  request.set_max_mod_revision(options.max_mod_revision);
  request.set_min_create_revision(options.min_create_revision);
  request.set_max_create_revision(options.max_create_revision);
  return request;
}

etcdserverpb::PutRequest ToPutRequest(std::string_view key, std::string_view value,
                                      const PutOptions& options) {
  etcdserverpb::PutRequest request;
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  request.set_lease(options.lease);
  request.set_prev_kv(options.prev_kv);
  request.set_ignore_value(options.ignore_value);
  request.set_ignore_lease(options.ignore_lease);
  return request;
}

Result<etcdserverpb::DeleteRangeRequest> ToDeleteRequest(std::string_view key,
                                                         const DeleteOptions& options) {
  auto range = ResolveRange(key, options.range_end, options.prefix, options.from_key);
  if (!range.ok()) return range.status();
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(std::move(range->key));
  request.set_range_end(std::move(range->range_end));
  request.set_prev_kv(options.prev_kv);
  return request;
}

Result<etcdserverpb::TxnRequest> ToTxnRequest(const Txn& txn) {
  etcdserverpb::TxnRequest request;
  for (const Compare& compare : txn.compares()) *request.add_compare() = ToProto(compare);
  Status s = ToRequestOps(txn.then_ops(), request.mutable_success());
  if (s.ok()) s = ToRequestOps(txn.else_ops(), request.mutable_failure());
  if (!s.ok()) return s;
  return request;
}

bool IsReadOnly(const Txn& txn) {
  return OpsAreReadOnly(txn.then_ops()) && OpsAreReadOnly(txn.else_ops());
}

Header FromHeader(const etcdserverpb::ResponseHeader& header) {
  return Header{header.cluster_id(), header.member_id(), header.revision(), header.raft_term()};
}

KeyValue FromKeyValue(const mvccpb::KeyValue& kv) {
  return KeyValue{kv.key(),          kv.value(),   kv.create_revision(),
                  kv.mod_revision(), kv.version(), kv.lease()};
}

GetResult FromRangeResponse(const etcdserverpb::RangeResponse& response) {
  GetResult result;
  result.header = FromHeader(response.header());
  result.kvs.reserve(response.kvs_size());
  for (const auto& kv : response.kvs()) result.kvs.push_back(FromKeyValue(kv));
  result.more = response.more();
  result.count = response.count();
  return result;
}

PutResult FromPutResponse(const etcdserverpb::PutResponse& response) {
  PutResult result;
  result.header = FromHeader(response.header());
  if (response.has_prev_kv()) result.prev_kv = FromKeyValue(response.prev_kv());
  return result;
}

DeleteResult FromDeleteResponse(const etcdserverpb::DeleteRangeResponse& response) {
  DeleteResult result;
  result.header = FromHeader(response.header());
  result.deleted = response.deleted();
  result.prev_kvs.reserve(response.prev_kvs_size());
  for (const auto& kv : response.prev_kvs()) result.prev_kvs.push_back(FromKeyValue(kv));
  return result;
}

TxnResult FromTxnResponse(const etcdserverpb::TxnResponse& response) {
  TxnResult result;
  result.header = FromHeader(response.header());
  result.succeeded = response.succeeded();
  result.results.reserve(response.responses_size());
  for (const auto& op : response.responses()) result.results.push_back(FromResponseOp(op));
  return result;
}

MemberListResult FromMemberListResponse(const etcdserverpb::MemberListResponse& response) {
  MemberListResult result;
  result.header = FromHeader(response.header());
  for (const auto& m : response.members()) {
    Member member;
    member.id = m.id();
    member.name = m.name();
    member.peer_urls.assign(m.peerurls().begin(), m.peerurls().end());
    member.client_urls.assign(m.clienturls().begin(), m.clienturls().end());
    member.is_learner = m.islearner();
    result.members.push_back(std::move(member));
  }
  return result;
}

EndpointStatus FromStatusResponse(const etcdserverpb::StatusResponse& response) {
  EndpointStatus status;
  status.header = FromHeader(response.header());
  status.version = response.version();
  status.db_size = response.dbsize();
  status.db_size_in_use = response.dbsizeinuse();
  status.leader = response.leader();
  status.raft_index = response.raftindex();
  status.raft_term = response.raftterm();
  status.raft_applied_index = response.raftappliedindex();
  status.is_learner = response.islearner();
  status.errors.assign(response.errors().begin(), response.errors().end());
  return status;
}

}  // namespace raftkv::client::internal
