#include "client/kvctl/to_proto.h"

namespace raftkv::kvctl {

etcdserverpb::ResponseHeader ToProto(const client::Header& header) {
  etcdserverpb::ResponseHeader out;
  out.set_cluster_id(header.cluster_id);
  out.set_member_id(header.member_id);
  out.set_revision(header.revision);
  out.set_raft_term(header.raft_term);
  return out;
}

mvccpb::KeyValue ToProto(const client::KeyValue& kv) {
  mvccpb::KeyValue out;
  out.set_key(kv.key);
  out.set_create_revision(kv.create_revision);
  out.set_mod_revision(kv.mod_revision);
  out.set_version(kv.version);
  out.set_value(kv.value);
  out.set_lease(kv.lease);
  return out;
}

etcdserverpb::RangeResponse ToProto(const client::GetResult& result) {
  etcdserverpb::RangeResponse out;
  *out.mutable_header() = ToProto(result.header);
  for (const client::KeyValue& kv : result.kvs) *out.add_kvs() = ToProto(kv);
  out.set_more(result.more);
  out.set_count(result.count);
  return out;
}

etcdserverpb::PutResponse ToProto(const client::PutResult& result) {
  etcdserverpb::PutResponse out;
  *out.mutable_header() = ToProto(result.header);
  if (result.prev_kv) *out.mutable_prev_kv() = ToProto(*result.prev_kv);
  return out;
}

etcdserverpb::DeleteRangeResponse ToProto(const client::DeleteResult& result) {
  etcdserverpb::DeleteRangeResponse out;
  *out.mutable_header() = ToProto(result.header);
  out.set_deleted(result.deleted);
  for (const client::KeyValue& kv : result.prev_kvs) *out.add_prev_kvs() = ToProto(kv);
  return out;
}

namespace {

// One answer of a transaction as the API's ResponseOp.
struct ResponseOpBuilder {
  etcdserverpb::ResponseOp* out;
  void operator()(const client::GetResult& r) { *out->mutable_response_range() = ToProto(r); }
  void operator()(const client::PutResult& r) { *out->mutable_response_put() = ToProto(r); }
  void operator()(const client::DeleteResult& r) {
    *out->mutable_response_delete_range() = ToProto(r);
  }
  void operator()(const std::shared_ptr<client::TxnResult>& r) {
    if (r) *out->mutable_response_txn() = ToProto(*r);
  }
};

}  // namespace

etcdserverpb::TxnResponse ToProto(const client::TxnResult& result) {
  etcdserverpb::TxnResponse out;
  *out.mutable_header() = ToProto(result.header);
  out.set_succeeded(result.succeeded);
  for (const client::OpResult& op : result.results) {
    std::visit(ResponseOpBuilder{out.add_responses()}, op);
  }
  return out;
}

etcdserverpb::CompactionResponse ToProto(const client::CompactResult& result) {
  etcdserverpb::CompactionResponse out;
  *out.mutable_header() = ToProto(result.header);
  return out;
}

etcdserverpb::MemberListResponse ToProto(const client::MemberListResult& result) {
  etcdserverpb::MemberListResponse out;
  *out.mutable_header() = ToProto(result.header);
  for (const client::Member& m : result.members) {
    etcdserverpb::Member* member = out.add_members();
    member->set_id(m.id);
    member->set_name(m.name);
    for (const std::string& url : m.peer_urls) member->add_peerurls(url);
    for (const std::string& url : m.client_urls) member->add_clienturls(url);
    member->set_islearner(m.is_learner);
  }
  return out;
}

etcdserverpb::StatusResponse ToProto(const client::EndpointStatus& status) {
  etcdserverpb::StatusResponse out;
  *out.mutable_header() = ToProto(status.header);
  out.set_version(status.version);
  out.set_dbsize(status.db_size);
  out.set_leader(status.leader);
  out.set_raftindex(status.raft_index);
  out.set_raftterm(status.raft_term);
  out.set_raftappliedindex(status.raft_applied_index);
  for (const std::string& e : status.errors) out.add_errors(e);
  out.set_dbsizeinuse(status.db_size_in_use);
  out.set_islearner(status.is_learner);
  return out;
}

}  // namespace raftkv::kvctl
