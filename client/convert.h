// Typed requests and results of the public API <-> the etcd v3 protobuf messages. Internal to
// libraftkv_client. Requests follow etcd clientv3's conventions (prefix and from-key ranges,
// sort order), so a Client sends what etcdctl would send for the same options.
#pragma once

#include <string>
#include <string_view>

#include "proto/etcd/kv.pb.h"
#include "proto/etcd/rpc.pb.h"
#include "raftkv/client.h"

namespace raftkv::client::internal {

// The interval [key, range_end) that a request reads or deletes, as sent on the wire.
struct KeyRange {
  std::string key;
  std::string range_end;  // empty: the single key
};

// etcd's range end of "every key starting with `prefix`": the prefix with its last byte below
// 0xff incremented and the 0xff bytes after it dropped; "\0" (every key) when the prefix is empty
// or all 0xff bytes.
std::string PrefixEnd(std::string_view prefix);

// The wire interval for a key and at most one of an explicit range end, prefix or from-key.
// As in clientv3, prefix or from-key with an empty key means every key (key "\0", range end
// "\0"), and from-key's range end is "\0". InvalidArgument when more than one is set.
Result<KeyRange> ResolveRange(std::string_view key, const std::string& range_end, bool prefix,
                              bool from_key);

// Requests. Each checks only what the wire format cannot express (conflicting range options);
// everything else, e.g. an empty key, is left to the server so its error is etcd's own.
Result<etcdserverpb::RangeRequest> ToRangeRequest(std::string_view key, const GetOptions& options);
etcdserverpb::PutRequest ToPutRequest(std::string_view key, std::string_view value,
                                      const PutOptions& options);
Result<etcdserverpb::DeleteRangeRequest> ToDeleteRequest(std::string_view key,
                                                         const DeleteOptions& options);
// Nested transactions become RequestOp.request_txn, recursively.
Result<etcdserverpb::TxnRequest> ToTxnRequest(const Txn& txn);

// Whether a transaction only reads (every operation of both branches, nested ones included, is
// a Get): such a transaction is retried like a read.
bool IsReadOnly(const Txn& txn);

// Results.
Header FromHeader(const etcdserverpb::ResponseHeader& header);
KeyValue FromKeyValue(const mvccpb::KeyValue& kv);
GetResult FromRangeResponse(const etcdserverpb::RangeResponse& response);
PutResult FromPutResponse(const etcdserverpb::PutResponse& response);
DeleteResult FromDeleteResponse(const etcdserverpb::DeleteRangeResponse& response);
TxnResult FromTxnResponse(const etcdserverpb::TxnResponse& response);
MemberListResult FromMemberListResponse(const etcdserverpb::MemberListResponse& response);
EndpointStatus FromStatusResponse(const etcdserverpb::StatusResponse& response);

}  // namespace raftkv::client::internal
