// The gRPC peer transport of kvd (proto/peer.proto): how raft messages and snapshots travel
// between members.
//
// Sending (GrpcPeerTransport): Send() never blocks the raft thread. Each peer has a bounded
// queue (kMaxQueuedMessages messages and kMaxQueuedBytes bytes) drained by its own thread into
// one long-lived client stream (Peer.Stream), many messages per write. A full queue drops the
// message and reports the peer unreachable (raft retransmits), so a slow or dead peer can never
// exhaust memory or stall the others. A broken stream is reopened with exponential backoff.
// MSG_SNAPSHOT goes on a stream of its own (Peer.Snapshot): the message, then the key space's
// chunks; the outcome is always reported (report_snapshot), success or failure.
//
// Receiving (PeerServiceImpl): batches from another cluster are refused; messages for another
// member are dropped; a snapshot's key space is installed before its message is stepped.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proto/peer.grpc.pb.h"
#include "raft/status.h"
#include "server/raft_node.h"
#include "server/snapshot_install.h"
#include "storage/snapshot_stream.h"

namespace raftkv::server {

// What the transport calls into: the raft node, snapshot install and the snapshot source.
struct PeerHandlers {
  std::function<void(raftpb::Message)> step;
  std::function<void(uint64_t peer)> report_unreachable;
  std::function<void(uint64_t peer, bool ok)> report_snapshot;
  std::function<Status(const ChunkReader&)> install_snapshot;
  std::function<StatusOr<std::unique_ptr<storage::SnapshotSource>>()> open_snapshot_source;
};

class GrpcPeerTransport : public PeerSender {
 public:
  static constexpr size_t kMaxQueuedMessages = 4096;
  static constexpr size_t kMaxQueuedBytes = 64 << 20;
  // Upper bound on the entry bytes written in one MessageBatch.
  static constexpr size_t kMaxBatchBytes = 4 << 20;

  // `peers`: member id -> "host:port" of its peer listener. Starts one thread per peer.
  GrpcPeerTransport(uint64_t cluster_id, uint64_t self, std::map<uint64_t, std::string> peers,
                    PeerHandlers handlers);
  ~GrpcPeerTransport() override;  // Stop()

  void Send(std::vector<raftpb::Message> messages) override;
  // Stops every thread promptly, cancelling calls in flight. Idempotent.
  void Stop();

  // Messages queued for `peer` and not yet written (for tests).
  size_t queued_messages(uint64_t peer) const;

 private:
  // One outgoing peer: its queue, its stream thread and its snapshot thread.
  struct Peer {
    uint64_t id = 0;
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<peerpb::Peer::Stub> stub;
    std::deque<raftpb::Message> queue;  // guarded by mu_
    size_t queued_bytes = 0;            // guarded by mu_
    // The call being written, for cancellation on Stop (guarded by mu_).
    grpc::ClientContext* active_call = nullptr;
    grpc::ClientContext* active_snapshot = nullptr;
    bool snapshot_running = false;  // guarded by mu_
    std::thread stream_thread;
    std::thread snapshot_thread;
  };

  void StreamLoop(Peer* peer);
  void SendSnapshot(Peer* peer, raftpb::Message message);

  const uint64_t cluster_id_;
  const uint64_t self_;
  const PeerHandlers handlers_;
  std::map<uint64_t, std::unique_ptr<Peer>> peers_;  // fixed after construction

  mutable std::mutex mu_;
  std::condition_variable cv_;  // new messages, or stopping
  bool stopped_ = false;        // guarded by mu_
};

// The receiving side, registered on the member's peer gRPC server.
class PeerServiceImpl final : public peerpb::Peer::Service {
 public:
  PeerServiceImpl(uint64_t cluster_id, uint64_t self, PeerHandlers handlers)
      : cluster_id_(cluster_id), self_(self), handlers_(std::move(handlers)) {}

  grpc::Status Stream(grpc::ServerContext* context,
                      grpc::ServerReader<peerpb::MessageBatch>* reader,
                      peerpb::StreamReply* reply) override;
  grpc::Status Snapshot(grpc::ServerContext* context,
                        grpc::ServerReader<peerpb::SnapshotPart>* reader,
                        peerpb::SnapshotReply* reply) override;

 private:
  grpc::Status ClusterMismatch(uint64_t theirs) const;

  const uint64_t cluster_id_;
  const uint64_t self_;
  const PeerHandlers handlers_;
};

}  // namespace raftkv::server
