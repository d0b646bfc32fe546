// KvdMember: one running kvd member, put together from its configuration (server/config.h):
// the data directory (identity-checked), the raft log and the MVCC store on it, the apply and
// raft threads, the peer transport, and the gRPC servers for clients (the etcd v3 API) and for
// peers. kvd's main() builds one, waits for a signal, and shuts it down.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "raft/status.h"
#include "server/config.h"

namespace raftkv::storage {
class Database;
class MvccStore;
class RaftLogStore;
}  // namespace raftkv::storage

namespace raftkv::server {

class Applier;
class ClusterService;
class GrpcPeerTransport;
class KvFrontend;
class KvService;
class MaintenanceService;
class PeerListener;
class PeerServiceImpl;
class RaftNode;
class TcpPeerTransport;
template <typename Result>
class WaitRegistry;
struct ApplyOutcome;
struct ReadIndexOutcome;

class KvdMember {
 public:
  // Opens the data directory and starts everything. A new member of a new cluster bootstraps
  // its log with the founding members of --initial-cluster; a restarted member resumes from
  // its data directory. Errors name the problem (a data directory of another member, a port in
  // use, ...).
  static StatusOr<std::unique_ptr<KvdMember>> Start(const ServerConfig& config);
  ~KvdMember();

  // Clean shutdown (SIGTERM): stops taking requests and finishes those in flight, hands
  // leadership to another member if this one leads, stops the threads and closes the database.
  void Shutdown();

  // The ports actually bound (for tests that listen on port 0).
  int client_port() const { return client_port_; }
  int peer_port() const { return peer_port_; }

 private:
  explicit KvdMember(ServerConfig config);
  [[nodiscard]] Status Open();
  // Publishes this member's name and client URLs through raft (retrying until it is applied or
  // the member stops), as etcd does once a member runs.
  void PublishLoop();
  // Answers the asynchronous writes whose request timeout passed (KvFrontend::ExpireWaiters),
  // ten times a second, until Shutdown has no client request left to answer.
  void ExpiryLoop();

  const ServerConfig config_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::RaftLogStore> log_;
  std::unique_ptr<storage::MvccStore> store_;
  std::unique_ptr<WaitRegistry<ApplyOutcome>> apply_waiters_;
  std::unique_ptr<WaitRegistry<ReadIndexOutcome>> read_waiters_;
  std::unique_ptr<Applier> applier_;
  // Raft messages go over the raw TCP transport; snapshots over gRPC.
  std::unique_ptr<GrpcPeerTransport> snapshot_transport_;
  std::unique_ptr<TcpPeerTransport> transport_;
  std::unique_ptr<RaftNode> node_;
  std::unique_ptr<KvFrontend> kv_;
  std::unique_ptr<KvService> kv_service_;
  std::unique_ptr<MaintenanceService> maintenance_service_;
  std::unique_ptr<ClusterService> cluster_service_;
  std::unique_ptr<PeerServiceImpl> peer_service_;
  std::unique_ptr<grpc::Server> client_server_;
  std::unique_ptr<grpc::Server> peer_server_;  // has no port: peer_listener_ feeds it
  std::unique_ptr<PeerListener> peer_listener_;
  int client_port_ = 0;
  int peer_port_ = 0;
  std::atomic<bool> shut_down_{false};
  std::thread publisher_;
  std::mutex publish_mu_;
  std::condition_variable publish_cv_;     // wakes the publisher when shutting down
  std::thread expirer_;                    // runs ExpiryLoop
  std::atomic<bool> stop_expirer_{false};  // set once the client server is down
};

}  // namespace raftkv::server
