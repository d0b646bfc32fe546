// The library's typed results turned back into the etcd v3 API's messages, so that kvctl's
// "-w json" output is protobuf's own JSON printing of the response etcd would have sent.
#pragma once

#include <raftkv/client.h>

#include "proto/etcd/rpc.pb.h"

namespace raftkv::kvctl {

etcdserverpb::ResponseHeader ToProto(const client::Header& header);
mvccpb::KeyValue ToProto(const client::KeyValue& kv);
etcdserverpb::RangeResponse ToProto(const client::GetResult& result);
etcdserverpb::PutResponse ToProto(const client::PutResult& result);
etcdserverpb::DeleteRangeResponse ToProto(const client::DeleteResult& result);
etcdserverpb::TxnResponse ToProto(const client::TxnResult& result);
etcdserverpb::CompactionResponse ToProto(const client::CompactResult& result);
etcdserverpb::MemberListResponse ToProto(const client::MemberListResult& result);
etcdserverpb::StatusResponse ToProto(const client::EndpointStatus& status);

}  // namespace raftkv::kvctl
