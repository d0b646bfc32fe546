// The gRPC peer transport of kvd (proto/peer.proto): how raft messages and snapshots travel
// between members. It is the real counterpart of the in-process fake of
// tests/server/local_cluster.h, and knows nothing of RaftNode: it calls a PeerHandlers.
//
// Sending (GrpcPeerTransport): Send() never blocks the raft thread. Each peer has a bounded
// queue written into one long-lived client stream (Peer.Stream, gRPC's callback API): one batch
// is in flight at a time, and everything queued meanwhile goes out as the next MessageBatch (up
// to kMaxBatchBytes). The write of a batch starts on the thread that finds the stream idle --
// the raft thread in Send, or gRPC's thread when the previous write completes -- so a message
// to an idle peer leaves without a thread hand-off. A full queue drops the message and reports
// the peer unreachable (raft retransmits), so a slow or dead peer can never exhaust memory or
// stall the raft thread or the other peers. Each peer's own thread opens the stream when there
// is something to send, and reopens a broken one with exponential backoff. MSG_SNAPSHOT goes on a
// call of its own (Peer.Snapshot): the message, then the key space's chunks; the outcome is always
// reported (report_snapshot), success or failure.
//
// Receiving (PeerServiceImpl): Peer.Stream is read on gRPC's callback threads (stepping only
// queues); batches from another cluster are refused (FAILED_PRECONDITION);
// messages for another member are dropped; a snapshot's key space is installed before its
// message is stepped, and a snapshot that was not installed steps nothing.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
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
#include "server/peer_handlers.h"
#include "server/raft_node.h"

namespace raftkv::server {

// The sending side: one queue, one stream thread and at most one snapshot thread per peer.
// Thread-safe. The set of peers is fixed at construction.
class GrpcPeerTransport : public PeerSender {
 public:
  // Bounds of one peer's queue: a message that would exceed either is dropped (and the peer
  // reported unreachable). 4096 messages is far more than raft keeps in flight per follower
  // (its inflight window plus heartbeats); 64 MiB bounds what a dead peer can pin in memory.
  static constexpr size_t kMaxQueuedMessages = 4096;
  static constexpr size_t kMaxQueuedBytes = 64 << 20;
  // A batch takes queued messages until it holds at least this many bytes, so one MessageBatch
  // is at most kMaxBatchBytes plus one message (the peer server accepts 64 MiB messages).
  static constexpr size_t kMaxBatchBytes = 4 << 20;

  // `peers`: member id -> "host:port" of its peer listener (an entry for `self` is ignored).
  // Starts one stream thread per peer; nothing connects until there is something to send.
  GrpcPeerTransport(uint64_t cluster_id, uint64_t self, std::map<uint64_t, std::string> peers,
                    PeerHandlers handlers);
  ~GrpcPeerTransport() override;  // Stop()
  GrpcPeerTransport(const GrpcPeerTransport&) = delete;
  GrpcPeerTransport& operator=(const GrpcPeerTransport&) = delete;

  // Queues the messages (or starts a snapshot send for each MSG_SNAPSHOT) and returns at once.
  // Messages for unknown members are dropped. After Stop, messages are dropped and snapshots
  // reported failed.
  void Send(std::vector<raftpb::Message> messages) override;

  // Stops every thread promptly, cancelling the calls in flight; a snapshot in flight is
  // reported failed. Idempotent; Send may still be called concurrently and afterwards.
  void Stop();

  // What is queued for `peer` and not yet handed to its stream (0 for an unknown peer). For
  // tests and metrics.
  size_t queued_messages(uint64_t peer) const;
  size_t queued_bytes(uint64_t peer) const;

 private:
  class StreamCall;

  // One outgoing peer. Everything marked "guarded" is guarded by `mu`.
  struct Peer {
    uint64_t id = 0;
    std::string address;
    std::unique_ptr<peerpb::Peer::Stub> stub;  // over one channel, shared by both calls

    mutable std::mutex mu;
    // Signalled on new messages while no stream is open, on a broken or finished stream, and on
    // Stop.
    std::condition_variable cv;
    bool stopped = false;  // guarded; set once by Stop
    // Messages waiting for the stream, oldest first; invariant: queued_bytes is the sum of
    // their ByteSizeLong(), and both stay within kMaxQueuedMessages / kMaxQueuedBytes.
    std::deque<raftpb::Message> queue;  // guarded
    size_t queued_bytes = 0;            // guarded
    // The open stream that writers may start writes on (guarded; null while none is open or
    // while the stream thread retires a broken one). Owned by the stream thread.
    StreamCall* stream = nullptr;
    // The snapshot call in flight, so that Stop can cancel it (guarded; null when none).
    grpc::ClientContext* snapshot_call = nullptr;
    // The peer was logged unreachable and has not been reached since (guarded).
    bool down = false;
    // True from the moment a snapshot send is accepted until just before it is reported.
    bool snapshot_running = false;  // guarded
    std::thread stream_thread;
    // The latest snapshot thread; replaced (after a join) only under `mu` while not running.
    std::thread snapshot_thread;  // guarded
  };

  // The stream thread of `p`: open a stream when there is something to send, wait until it
  // breaks, then report unreachable and retry after a backoff. Returns when stopped.
  void StreamLoop(Peer* p);
  // Runs one stream from opening to its end (broken, or the peer stopped); deletes it. Returns
  // whether any batch was delivered on it.
  bool RunStream(Peer* p);
  // Starts the write of the next batch on p's stream if it is open and idle and messages are
  // queued. Must be called without p->mu held (gRPC may run the write's completion inline).
  void StartNextWrite(Peer* p);
  // The completion of a batch write on `call` (gRPC's thread).
  void WriteDone(Peer* p, StreamCall* call, bool ok);
  // Accepts (or refuses, reporting failure) a snapshot send to `p`.
  void StartSnapshot(Peer* p, raftpb::Message message);
  // The snapshot thread: sends the message and the key space, then reports the outcome.
  void SendSnapshot(Peer* p, raftpb::Message message);
  // Streams `message` and the key space on the call of `context`; true if the peer applied it.
  bool TrySendSnapshot(Peer* p, grpc::ClientContext* context, raftpb::Message message);

  const uint64_t cluster_id_;
  const uint64_t self_;
  const PeerHandlers handlers_;
  std::map<uint64_t, std::unique_ptr<Peer>> peers_;  // fixed after construction
  std::once_flag stop_once_;                         // Stop's work runs once
};

// Keepalive of the peer channels: a ping every kKeepaliveTimeMs, and a connection whose ping is
// not answered within kKeepaliveTimeoutMs is closed. A peer server must accept pings this often
// (ConfigurePeerServerKeepalive).
inline constexpr int kKeepaliveTimeMs = 2000;
inline constexpr int kKeepaliveTimeoutMs = 3000;

// Lets a peer gRPC server accept the transport's keepalive pings, even between calls.
void ConfigurePeerServerKeepalive(grpc::ServerBuilder* builder);

// The receiving side, registered on the member's peer gRPC server. Thread-safe (gRPC runs
// several calls at once); never crashes on malformed input, which gets an error status.
class PeerServiceImpl final
    : public peerpb::Peer::WithCallbackMethod_Stream<peerpb::Peer::Service> {
 public:
  PeerServiceImpl(uint64_t cluster_id, uint64_t self, PeerHandlers handlers)
      : cluster_id_(cluster_id), self_(self), handlers_(std::move(handlers)) {}

  // Steps every message of every batch addressed to this member, in order, until the sender
  // closes the stream (OK) or sends a batch of another cluster (FAILED_PRECONDITION, nothing of
  // that batch stepped). Runs on gRPC's callback threads.
  grpc::ServerReadReactor<peerpb::MessageBatch>* Stream(grpc::CallbackServerContext* context,
                                                        peerpb::StreamReply* reply) override;
  // Expects a MSG_SNAPSHOT for this member, then the chunks; installs them and only then steps
  // the message (applied = true). Any failure is an error status and steps nothing.
  grpc::Status Snapshot(grpc::ServerContext* context,
                        grpc::ServerReader<peerpb::SnapshotPart>* reader,
                        peerpb::SnapshotReply* reply) override;

  // MessageBatches accepted so far, over all streams (for tests and metrics).
  uint64_t batches_received() const { return batches_received_.load(); }

 private:
  class StreamReader;
  // FAILED_PRECONDITION naming both cluster ids.
  grpc::Status ClusterMismatch(uint64_t theirs) const;
  // Steps the messages of one accepted batch addressed to this member; the first misaddressed
  // one of a stream is logged (*warned).
  void StepBatch(peerpb::MessageBatch* batch, bool* warned);

  const uint64_t cluster_id_;
  const uint64_t self_;
  const PeerHandlers handlers_;
  std::atomic<uint64_t> batches_received_{0};
};

}  // namespace raftkv::server
