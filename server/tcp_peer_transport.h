// The raw TCP peer transport of kvd (server/peer_wire.h): how raft messages travel to peers
// without gRPC. It costs a message one send() on the raft thread -- no HTTP/2 framing, no flow
// control frames, no hand-off to another thread -- where gRPC's stream cost several thread
// wake-ups on each side. Snapshots still go over gRPC (Peer.Snapshot): Send hands every
// MSG_SNAPSHOT to the `snapshot_sender` given at construction.
//
// Each peer has one connection, opened by its own thread as soon as the transport starts and
// reopened with exponential backoff when it breaks. Send() frames each peer's messages in
// batches (of up to kMaxBatchBytes), appends them to the peer's output buffer and writes what the
// socket takes at once, without blocking; the peer's thread writes the rest when the socket drains.
// Messages queued while a connection is being opened go out on it; when the attempt fails they are
// dropped and the peer is reported unreachable (raft probes it again), as they are when a
// connection breaks or a peer's buffer would exceed kMaxQueuedBytes -- so a slow or dead peer can
// never exhaust memory or stall the raft thread or the other peers. A partitioned peer is noticed
// within kPeerSocketUserTimeout (keepalive and TCP_USER_TIMEOUT).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/peer_handlers.h"
#include "server/raft_node.h"
#include "server/socket_util.h"

namespace raftkv::server {

class TcpPeerTransport : public PeerSender {
 public:
  // What one peer's output buffer may hold (bytes not yet taken by its socket).
  static constexpr size_t kMaxQueuedBytes = 64 << 20;
  // A frame holds messages until it reaches this many bytes (at least one message), so a frame
  // stays far below the receiver's kMaxPeerFrameBytes unless one message is that large.
  static constexpr size_t kMaxBatchBytes = 4 << 20;

  // `peers`: member id -> "host:port" of its peer listener (an entry for `self` is ignored).
  // Uses handlers.report_unreachable; `snapshot_sender` (not owned; it must outlive this) gets
  // every MSG_SNAPSHOT (without one, each is reported failed at once). Nothing connects before
  // Start.
  TcpPeerTransport(uint64_t cluster_id, uint64_t self, std::map<uint64_t, std::string> peers,
                   PeerHandlers handlers, PeerSender* snapshot_sender);
  ~TcpPeerTransport() override;  // Stop()
  TcpPeerTransport(const TcpPeerTransport&) = delete;
  TcpPeerTransport& operator=(const TcpPeerTransport&) = delete;

  // Starts one thread per peer, which connects at once (and may call report_unreachable from
  // then on). Call once.
  void Start();

  // Queues the messages and writes what each socket takes now; returns at once. Messages for
  // unknown members are dropped. After Stop, messages are dropped.
  void Send(std::vector<raftpb::Message> messages) override;

  // Stops every thread promptly and closes the connections. Idempotent; Send may still be
  // called concurrently and afterwards. Does not stop the snapshot sender.
  void Stop();

  // Whether `peer`'s connection is open, and what its buffer holds (for tests and metrics).
  bool connected(uint64_t peer) const;
  size_t queued_bytes(uint64_t peer) const;

 private:
  // One outgoing peer. Everything marked "guarded" is guarded by `mu`; writes to the socket
  // happen only under `mu`, so frames never interleave.
  struct Peer {
    uint64_t id = 0;
    std::string address;
    WakeFd wake;  // wakes the peer's thread: Stop, a broken write, bytes left for POLLOUT

    mutable std::mutex mu;
    bool stopped = false;  // guarded; set once by Stop
    UniqueFd fd;           // guarded; the open connection, or none
    // Whole frames not yet taken by the socket; the first `written` bytes of `out` are sent.
    // Invariant: written <= out.size(); out holds whole frames from the start of a connection.
    std::string out;      // guarded
    size_t written = 0;   // guarded
    bool broken = false;  // guarded: a write failed; the thread closes the connection
    bool down = false;    // guarded: logged unreachable and not reached since
    std::thread thread;
  };

  // The thread of `p`: connect, serve the connection until it breaks, report unreachable, back
  // off, repeat; returns when stopped.
  void PeerLoop(Peer* p);
  // Serves one open connection until it breaks or the transport stops.
  void ServeConnection(Peer* p);
  // Writes what the socket takes of p->out without blocking; marks the connection broken on an
  // error. Requires p->mu held and an open connection.
  void FlushLocked(Peer* p);
  // Waits `delay` or until stopped; returns whether still running.
  bool Backoff(Peer* p, std::chrono::milliseconds delay);

  const uint64_t cluster_id_;
  const uint64_t self_;
  const PeerHandlers handlers_;
  PeerSender* const snapshot_sender_;
  std::map<uint64_t, std::unique_ptr<Peer>> peers_;  // fixed after construction
  std::once_flag stop_once_;                         // Stop's work runs once
};

}  // namespace raftkv::server
