#include "server/etcd_services.h"

namespace raftkv::server {

grpc::Status ToGrpcStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return grpc::Status::OK;
    case StatusCode::kInvalidArgument:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, status.message());
    case StatusCode::kOutOfRange:
      return grpc::Status(grpc::StatusCode::OUT_OF_RANGE, status.message());
    case StatusCode::kNotFound:
      return grpc::Status(grpc::StatusCode::NOT_FOUND, status.message());
    case StatusCode::kUnavailable:
    case StatusCode::kProposalDropped:
    case StatusCode::kSnapshotTemporarilyUnavailable:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, status.message());
    case StatusCode::kFailedPrecondition:
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, status.message());
    case StatusCode::kNoSpace:
      // etcd's answer once its NOSPACE alarm is raised.
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "etcdserver: mvcc: database space exceeded");
    case StatusCode::kCompacted:
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal:
      return grpc::Status(grpc::StatusCode::INTERNAL, status.message());
  }
  return grpc::Status(grpc::StatusCode::UNKNOWN, status.message());
}

namespace {

// Copies a StatusOr's value into a gRPC response, or turns its error into etcd's.
template <typename Response>
grpc::Status Answer(StatusOr<Response> result, Response* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

// A Done for KvFrontend's asynchronous writes that finishes the gRPC call: the response is
// written into the call's own response message, which lives until Finish.
template <typename Response>
KvFrontend::Done<Response> FinishCall(grpc::ServerUnaryReactor* reactor, Response* response) {
  return [reactor, response](StatusOr<Response> result) {
    reactor->Finish(Answer(std::move(result), response));
  };
}

// etcd's answer to a request that ran out of time.
grpc::Status TimedOut() {
  return ToGrpcStatus(Status::Unavailable("etcdserver: request timed out"));
}

// Whether a call queued for the blocking pool should not run any more: its client went away or
// its request timeout passed while it waited for a thread.
bool GivenUp(grpc::CallbackServerContext* context, std::chrono::steady_clock::time_point deadline) {
  return context->IsCancelled() || std::chrono::steady_clock::now() >= deadline;
}

}  // namespace

grpc::ServerUnaryReactor* KvService::Range(grpc::CallbackServerContext* context,
                                           const etcdserverpb::RangeRequest* request,
                                           etcdserverpb::RangeResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // A serializable read is answered here; a linearizable one waits for its read index without
  // a thread, then runs on the read pool (one key) or the blocking pool (a range, which may be
  // a long scan: it must not hold up the single-key reads).
  BlockingPool* pool = request->range_end().empty() ? &reads_ : &blocking_;
  kv_->RangeAsync(*request, FinishCall(reactor, response),
                  [pool, context, reactor](std::function<void()> read) {
                    pool->Post([context, reactor, read = std::move(read)] {
                      // A client that went away is not read for.
                      if (context->IsCancelled()) return reactor->Finish(TimedOut());
                      read();
                    });
                  });
  return reactor;
}
grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* context,
                                         const etcdserverpb::PutRequest* request,
                                         etcdserverpb::PutResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  kv_->PutAsync(*request, FinishCall(reactor, response));
  return reactor;
}
grpc::ServerUnaryReactor* KvService::DeleteRange(grpc::CallbackServerContext* context,
                                                 const etcdserverpb::DeleteRangeRequest* request,
                                                 etcdserverpb::DeleteRangeResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  kv_->DeleteRangeAsync(*request, FinishCall(reactor, response));
  return reactor;
}
grpc::ServerUnaryReactor* KvService::Txn(grpc::CallbackServerContext* context,
                                         const etcdserverpb::TxnRequest* request,
                                         etcdserverpb::TxnResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  kv_->TxnAsync(*request, FinishCall(reactor, response));
  return reactor;
}
grpc::ServerUnaryReactor* KvService::Compact(grpc::CallbackServerContext* context,
                                             const etcdserverpb::CompactionRequest* request,
                                             etcdserverpb::CompactionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const auto deadline = kv_->RequestDeadline();
  blocking_.Post([this, context, reactor, request, response, deadline] {
    if (GivenUp(context, deadline)) return reactor->Finish(TimedOut());
    reactor->Finish(Answer(kv_->Compact(*request), response));
  });
  return reactor;
}

grpc::Status MaintenanceService::Alarm(grpc::ServerContext*, const etcdserverpb::AlarmRequest*,
                                       etcdserverpb::AlarmResponse* response) {
  // No alarm is ever raised yet: GET lists none, ACTIVATE/DEACTIVATE change nothing.
  kv_->FillHeader(response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status MaintenanceService::Status(grpc::ServerContext*, const etcdserverpb::StatusRequest*,
                                        etcdserverpb::StatusResponse* response) {
  const MemberStatus s = hooks_.status();
  kv_->FillHeader(response->mutable_header());
  response->mutable_header()->set_revision(s.revision);
  response->set_version(kServedVersion);
  response->set_dbsize(s.db_size);
  response->set_dbsizeinuse(s.db_size);
  response->set_leader(s.leader);
  response->set_raftindex(s.raft_index);
  response->set_raftterm(s.raft_term);
  response->set_raftappliedindex(s.raft_applied_index);
  response->set_islearner(s.is_learner);
  return grpc::Status::OK;
}

grpc::Status MaintenanceService::MoveLeader(grpc::ServerContext*,
                                            const etcdserverpb::MoveLeaderRequest* request,
                                            etcdserverpb::MoveLeaderResponse* response) {
  raftkv::Status s = hooks_.move_leader(request->targetid());
  if (!s.ok()) return ToGrpcStatus(s);
  kv_->FillHeader(response->mutable_header());
  return grpc::Status::OK;
}

grpc::Status ClusterService::MemberList(grpc::ServerContext*,
                                        const etcdserverpb::MemberListRequest*,
                                        etcdserverpb::MemberListResponse* response) {
  kv_->FillHeader(response->mutable_header());
  for (const MemberInfo& info : hooks_.members()) {
    etcdserverpb::Member* m = response->add_members();
    m->set_id(info.id);
    m->set_name(info.name);
    for (const auto& u : info.peer_urls) m->add_peerurls(u);
    for (const auto& u : info.client_urls) m->add_clienturls(u);
    m->set_islearner(info.is_learner);
  }
  return grpc::Status::OK;
}

}  // namespace raftkv::server
