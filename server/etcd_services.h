// The etcd v3 gRPC services kvd serves (ETCD_API.md): KV over KvFrontend, Maintenance.Status /
// Alarm / MoveLeader, and Cluster.MemberList. Thin adapters: each turns a raftkv Status into the
// gRPC code and message etcd uses, so clients that match errors by text work unchanged.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <vector>

#include "proto/etcd/rpc.grpc.pb.h"
#include "raft/status.h"
#include "server/blocking_pool.h"
#include "server/kv_frontend.h"

namespace raftkv::server {

// The gRPC status etcd returns for `status` (same code, same message).
grpc::Status ToGrpcStatus(const Status& status);

// The KV service, on gRPC's callback API. Writes (Put, DeleteRange, Txn) propose and return; the
// apply thread finishes the call when the entry is applied, so no thread waits per write in
// flight. A serializable Range is answered on the callback thread at once; a linearizable one
// waits for its read index without a thread and then runs on one of the service's pools, as
// does Compact -- never on gRPC's threads.
class KvService final : public etcdserverpb::KV::CallbackService {
 public:
  explicit KvService(KvFrontend* kv)
      : kv_(kv), blocking_(kBlockingThreads, "kvd-blocking"), reads_(kReadThreads, "kvd-reads") {}
  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* context,
                                  const etcdserverpb::RangeRequest* request,
                                  etcdserverpb::RangeResponse* response) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context,
                                const etcdserverpb::PutRequest* request,
                                etcdserverpb::PutResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* context,
                                        const etcdserverpb::DeleteRangeRequest* request,
                                        etcdserverpb::DeleteRangeResponse* response) override;
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* context,
                                const etcdserverpb::TxnRequest* request,
                                etcdserverpb::TxnResponse* response) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* context,
                                    const etcdserverpb::CompactionRequest* request,
                                    etcdserverpb::CompactionResponse* response) override;

 private:
  // Threads for the calls that block or may take long: compactions (which may wait for a
  // physical compaction) and linearizable reads of a range (a scan): as many at once, the rest
  // queue. A queued call whose client went away or whose
  // request timeout passed in the queue is answered "request timed out" without running, so
  // the queue drains within one request timeout of the last arrival (which bounds a
  // shutdown's wait for calls in flight).
  static constexpr int kBlockingThreads = 16;
  // Threads that run linearizable single-key reads once their read index is applied
  // (KvFrontend::RangeAsync). Such a read is short and never waits there, so a few threads keep
  // both cores busy; a read queued for longer than the request timeout is answered "request
  // timed out" without running.
  static constexpr int kReadThreads = 4;

  KvFrontend* const kv_;   // not owned
  BlockingPool blocking_;  // destroyed (drained, joined) after the server stops calling in
  BlockingPool reads_;     // the same
};

// What Maintenance.Status and Cluster.MemberList report, gathered by the member.
struct MemberInfo {
  uint64_t id = 0;
  std::string name;
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
  bool is_learner = false;
};
struct MemberStatus {
  int64_t revision = 0;  // the store revision, for the response header
  int64_t db_size = 0;
  uint64_t leader = 0;
  uint64_t raft_index = 0;
  uint64_t raft_term = 0;
  uint64_t raft_applied_index = 0;
  bool is_learner = false;
};

// Callbacks into the member, so these services need no knowledge of its parts.
struct MaintenanceHooks {
  std::function<MemberStatus()> status;
  std::function<std::vector<MemberInfo>()> members;
  // Asks for leadership to move to `target`; FailedPrecondition if this member does not lead.
  std::function<Status(uint64_t target)> move_leader;
};

class MaintenanceService final : public etcdserverpb::Maintenance::Service {
 public:
  MaintenanceService(KvFrontend* kv, MaintenanceHooks hooks) : kv_(kv), hooks_(std::move(hooks)) {}
  grpc::Status Alarm(grpc::ServerContext*, const etcdserverpb::AlarmRequest* request,
                     etcdserverpb::AlarmResponse* response) override;
  grpc::Status Status(grpc::ServerContext*, const etcdserverpb::StatusRequest* request,
                      etcdserverpb::StatusResponse* response) override;
  grpc::Status MoveLeader(grpc::ServerContext*, const etcdserverpb::MoveLeaderRequest* request,
                          etcdserverpb::MoveLeaderResponse* response) override;

 private:
  KvFrontend* const kv_;  // not owned; fills headers
  const MaintenanceHooks hooks_;
};

class ClusterService final : public etcdserverpb::Cluster::Service {
 public:
  ClusterService(KvFrontend* kv, MaintenanceHooks hooks) : kv_(kv), hooks_(std::move(hooks)) {}
  grpc::Status MemberList(grpc::ServerContext*, const etcdserverpb::MemberListRequest* request,
                          etcdserverpb::MemberListResponse* response) override;

 private:
  KvFrontend* const kv_;
  const MaintenanceHooks hooks_;
};

// The version Maintenance.Status reports: the etcd API version served, with raftkv's version as
// semver build metadata (so version checks in clients see 3.4).
inline constexpr const char* kServedVersion = "3.4.0+raftkv.0.1.0";

}  // namespace raftkv::server
