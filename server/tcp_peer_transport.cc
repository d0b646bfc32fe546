#include "server/tcp_peer_transport.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "server/peer_wire.h"
#include "storage/thread_name.h"

namespace raftkv::server {
namespace {

// Backoff between two connection attempts: doubles from the first to the last value while the
// peer stays unreachable, back to the first once a connection lasted kStableConnection.
constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
constexpr std::chrono::milliseconds kStableConnection{1000};
// How long one connection attempt may take (SYNs into a partition are never answered).
constexpr std::chrono::milliseconds kConnectTimeout{1000};
// Once this much of a buffer is sent, the sent part is dropped even if the rest is not.
constexpr size_t kCompactOutAfterBytes = 1 << 20;
// A peer thread looks at its state at least this often, even if nothing wakes it.
constexpr int kPollTimeoutMs = 1000;

std::string Hex(uint64_t v) { return fmt::format("{:x}", v); }

}  // namespace

TcpPeerTransport::TcpPeerTransport(uint64_t cluster_id, uint64_t self,
                                   std::map<uint64_t, std::string> peers, PeerHandlers handlers,
                                   PeerSender* snapshot_sender)
    : cluster_id_(cluster_id),
      self_(self),
      handlers_(std::move(handlers)),
      snapshot_sender_(snapshot_sender) {
  for (auto& [id, address] : peers) {
    if (id == self_) continue;
    auto peer = std::make_unique<Peer>();
    peer->id = id;
    peer->address = address;
    peers_.emplace(id, std::move(peer));
  }
}

void TcpPeerTransport::Start() {
  for (auto& [id, peer] : peers_) {
    Peer* p = peer.get();
    p->thread = std::thread([this, p] {
      NameThisThread("kvd-tcp-" + Hex(p->id).substr(0, 6));
      PeerLoop(p);
    });
  }
}

TcpPeerTransport::~TcpPeerTransport() { Stop(); }

void TcpPeerTransport::Stop() {
  std::call_once(stop_once_, [this] {
    for (auto& [id, p] : peers_) {
      std::lock_guard<std::mutex> lock(p->mu);
      p->stopped = true;
      p->wake.Signal();
    }
    for (auto& [id, p] : peers_) {
      if (p->thread.joinable()) p->thread.join();
      std::lock_guard<std::mutex> lock(p->mu);
      p->fd.reset();
      p->out.clear();
      p->written = 0;
    }
  });
}

bool TcpPeerTransport::connected(uint64_t peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return false;
  std::lock_guard<std::mutex> lock(it->second->mu);
  return it->second->fd.valid() && !it->second->broken;
}

size_t TcpPeerTransport::queued_bytes(uint64_t peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return 0;
  std::lock_guard<std::mutex> lock(it->second->mu);
  return it->second->out.size() - it->second->written;
}

void TcpPeerTransport::Send(std::vector<raftpb::Message> messages) {
  // Each peer's messages, in order, framed in batches of up to kMaxBatchBytes (at least one
  // message each); snapshots go to the snapshot sender.
  struct Outgoing {
    Peer* peer;
    peerpb::MessageBatch batch;  // being filled
    size_t batch_bytes = 0;      // the messages' sizes in `batch`
    std::string frames;          // batches already framed
  };
  std::vector<Outgoing> outgoing;
  std::vector<raftpb::Message> snapshots;
  for (raftpb::Message& m : messages) {
    auto it = peers_.find(m.to());
    if (it == peers_.end()) continue;  // not a peer this member knows
    if (m.type() == raftpb::MSG_SNAPSHOT) {
      snapshots.push_back(std::move(m));
      continue;
    }
    Peer* p = it->second.get();
    auto o = std::find_if(outgoing.begin(), outgoing.end(),
                          [p](const Outgoing& entry) { return entry.peer == p; });
    if (o == outgoing.end()) {
      outgoing.push_back(Outgoing{p, {}, 0, {}});
      o = std::prev(outgoing.end());
      o->batch.set_cluster_id(cluster_id_);
    }
    const size_t size = m.ByteSizeLong();
    if (o->batch.messages_size() > 0 && o->batch_bytes + size > kMaxBatchBytes) {
      AppendPeerFrame(o->batch, &o->frames);
      o->batch.clear_messages();
      o->batch_bytes = 0;
    }
    o->batch_bytes += size;
    *o->batch.add_messages() = std::move(m);
  }
  if (!snapshots.empty()) {
    if (snapshot_sender_ != nullptr) {
      snapshot_sender_->Send(std::move(snapshots));
    } else {
      for (const raftpb::Message& m : snapshots) handlers_.report_snapshot(m.to(), false);
    }
  }

  for (Outgoing& o : outgoing) {
    AppendPeerFrame(o.batch, &o.frames);
    Peer* p = o.peer;
    bool dropped = false;
    {
      std::lock_guard<std::mutex> lock(p->mu);
      if (p->stopped) continue;  // shutting down: nobody waits for these
      if (p->out.size() - p->written + o.frames.size() > kMaxQueuedBytes) {
        dropped = true;
      } else {
        p->out.append(o.frames);
        if (p->fd.valid() && !p->broken) FlushLocked(p);
      }
    }
    if (dropped) handlers_.report_unreachable(p->id);
  }
}

void TcpPeerTransport::FlushLocked(Peer* p) {
  while (p->written < p->out.size()) {
    const ssize_t n = send(p->fd.get(), p->out.data() + p->written, p->out.size() - p->written,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      p->written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The socket is full: the peer's thread writes the rest when it drains.
      // Dropping the sent part moves the rest: only when that is at most as much as was sent.
      if (p->written >= kCompactOutAfterBytes && 2 * p->written >= p->out.size()) {
        p->out.erase(0, p->written);
        p->written = 0;
      }
      p->wake.Signal();
      return;
    }
    spdlog::debug("peer {:x}: write failed: {}", p->id, std::strerror(errno));
    p->broken = true;
    p->wake.Signal();
    return;
  }
  p->out.clear();
  p->written = 0;
}

bool TcpPeerTransport::Backoff(Peer* p, std::chrono::milliseconds delay) {
  const auto deadline = std::chrono::steady_clock::now() + delay;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(p->mu);
      if (p->stopped) return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd wake = {p->wake.fd(), POLLIN, 0};
    if (poll(&wake, 1, static_cast<int>(left.count())) > 0) p->wake.Drain();
  }
}

void TcpPeerTransport::PeerLoop(Peer* p) {
  auto backoff = kFirstBackoff;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(p->mu);
      if (p->stopped) return;
    }
    StatusOr<UniqueFd> fd = ConnectTcp(p->address, kConnectTimeout, p->wake.fd());
    std::string why;
    if (fd.ok()) {
      SetPeerSocketOptions(fd->get());
      const auto opened = std::chrono::steady_clock::now();
      bool reachable_again = false;
      {
        std::lock_guard<std::mutex> lock(p->mu);
        // Nothing of `out` was written (it was empty or cleared when the last connection
        // ended), so the hello goes first and whole frames follow.
        p->out.insert(0, EncodePeerHello(PeerHello{cluster_id_, self_}));
        p->fd = std::move(*fd);
        p->broken = false;
        reachable_again = p->down;
        p->down = false;
        FlushLocked(p);
      }
      if (reachable_again) spdlog::info("peer {:x} at {} is reachable again", p->id, p->address);
      why = "the connection broke";
      ServeConnection(p);
      if (std::chrono::steady_clock::now() - opened >= kStableConnection) backoff = kFirstBackoff;
    } else {
      why = fd.status().message();
    }
    {
      std::lock_guard<std::mutex> lock(p->mu);
      // What was queued and not written is lost; raft resends once told.
      p->fd.reset();
      p->out.clear();
      p->written = 0;
      p->broken = false;
      if (p->stopped) return;
      if (!p->down) {
        spdlog::warn("peer {:x} at {} is unreachable ({}), retrying with backoff", p->id,
                     p->address, why);
        p->down = true;
      }
    }
    handlers_.report_unreachable(p->id);
    if (!Backoff(p, backoff)) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void TcpPeerTransport::ServeConnection(Peer* p) {
  while (true) {
    int fd = -1;
    short events = POLLIN | POLLRDHUP;
    {
      std::lock_guard<std::mutex> lock(p->mu);
      if (p->stopped || p->broken) return;
      fd = p->fd.get();  // only this thread replaces it
      if (p->written < p->out.size()) events |= POLLOUT;
    }
    pollfd fds[2] = {{fd, events, 0}, {p->wake.fd(), POLLIN, 0}};
    const int n = poll(fds, 2, kPollTimeoutMs);
    if (n < 0 && errno != EINTR) {
      spdlog::error("peer {:x}: poll failed: {}", p->id, std::strerror(errno));
      std::lock_guard<std::mutex> lock(p->mu);
      p->broken = true;
      return;
    }
    if (n <= 0) continue;
    if (fds[1].revents & POLLIN) p->wake.Drain();
    // The receiving side never writes: a readable socket was closed or reset by it.
    if (fds[0].revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) {
      std::lock_guard<std::mutex> lock(p->mu);
      p->broken = true;
      return;
    }
    if (fds[0].revents & POLLOUT) {
      std::lock_guard<std::mutex> lock(p->mu);
      if (!p->broken) FlushLocked(p);
    }
  }
}

}  // namespace raftkv::server
