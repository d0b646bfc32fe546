// PeerListener: a member's peer port. It accepts every connection and tells from its first
// byte what it carries: a raw peer stream (server/peer_wire.h) is read here, on a thread of its
// own, and every batch is stepped as it arrives; anything else -- gRPC's HTTP/2, which carries
// snapshots -- is handed to the peer gRPC server, which serves it as if it had accepted it
// itself. So one peer URL serves both, as etcd's peer port serves its streams and snapshots.
//
// What it refuses:
//   - a raw stream of another cluster, or one claiming to come from this member or from member
//     0: closed after its hello, nothing stepped;
//   - a message sent by another member than the stream's, or addressed to another member:
//     dropped (the first of a stream is logged);
//   - a frame over the limit, or one that does not parse: the stream is closed (the batches
//     before it were stepped);
//   - a connection that says nothing for kIdentifyTimeout, and connections beyond
//     kMaxConnections: closed.
// A newer raw stream from the same member replaces the older one, so a sender that reconnected
// after a partition never leaves a reader behind (messages the older reader still holds may
// then be stepped after newer ones: raft tolerates reordered messages).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "raft/status.h"
#include "server/peer_handlers.h"
#include "server/socket_util.h"

namespace raftkv::server {

class PeerListener {
 public:
  // At most this many connections are served at once (raw streams and connections not yet
  // identified); more are closed at once. gRPC's connections are not counted once handed over.
  // With frames of up to kMaxPeerFrameBytes, this bounds what a misbehaving client of the peer
  // port can make the listener buffer to 1 GiB; a cluster needs one stream per other member.
  static constexpr size_t kMaxConnections = 16;
  // How long a new connection may take to send the bytes that say what it is.
  static constexpr std::chrono::seconds kIdentifyTimeout{10};

  // Uses handlers.step only.
  PeerListener(uint64_t cluster_id, uint64_t self, PeerHandlers handlers);
  ~PeerListener();  // Stop()
  PeerListener(const PeerListener&) = delete;
  PeerListener& operator=(const PeerListener&) = delete;

  // Listens on every "host:port" (port 0: the kernel picks). Call once, before Start.
  [[nodiscard]] Status Listen(const std::vector<std::string>& addresses);
  // The port of the first address (the one picked, for port 0).
  int port() const { return port_; }

  // Starts accepting. `to_grpc` takes over (and owns) the descriptor of a connection that is not
  // a raw peer stream; it is never called once Stop began.
  void Start(std::function<void(int fd)> to_grpc);

  // Stops accepting, closes every raw stream and joins every thread. Idempotent.
  void Stop();

  // Raw-stream batches stepped so far (for tests and metrics).
  uint64_t batches_received() const { return batches_received_.load(); }
  // Raw streams open now (for tests).
  size_t raw_streams() const;

 private:
  // One accepted connection and the thread serving it.
  struct Connection {
    UniqueFd fd;  // guarded by mu_; closed only when the Connection is destroyed
    std::thread thread;
    bool finished = false;  // guarded by mu_: the thread is about to return
    bool raw = false;       // guarded by mu_: identified as a raw peer stream
    uint64_t from = 0;      // guarded by mu_: the sender's member id, once raw
  };

  void AcceptLoop();
  // Accepts one connection from `listen_fd`, if the limit allows.
  void AcceptOne(int listen_fd);
  // Joins and forgets the connections whose thread finished.
  void Reap();
  // The thread of one connection: identify it, then read it or hand it to gRPC.
  void Serve(Connection* c);
  // Reads a raw peer stream after its magic, until it ends or breaks.
  void ServeRaw(Connection* c, int fd);

  const uint64_t cluster_id_;
  const uint64_t self_;
  const PeerHandlers handlers_;
  std::vector<UniqueFd> listen_fds_;  // set by Listen; closed by Stop
  int port_ = 0;
  std::function<void(int)> to_grpc_;  // set by Start
  WakeFd wake_;                       // wakes the accept thread for Stop
  std::thread accept_thread_;
  std::atomic<uint64_t> batches_received_{0};

  mutable std::mutex mu_;
  bool stopping_ = false;                               // guarded
  std::list<std::unique_ptr<Connection>> connections_;  // guarded
  std::once_flag stop_once_;
};

}  // namespace raftkv::server
