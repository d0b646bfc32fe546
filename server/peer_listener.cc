#include "server/peer_listener.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <utility>

#include "server/peer_wire.h"
#include "storage/thread_name.h"

namespace raftkv::server {
namespace {

// Bytes read from a raw stream at once.
constexpr size_t kReadBytes = 64 << 10;
// The accept thread looks at its state at least this often, even if nothing wakes it.
constexpr int kPollTimeoutMs = 1000;

// Waits until `fd` is readable (or closed) or `deadline` passes; false on timeout or error.
bool WaitReadable(int fd, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p = {fd, POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

PeerListener::PeerListener(uint64_t cluster_id, uint64_t self, PeerHandlers handlers)
    : cluster_id_(cluster_id), self_(self), handlers_(std::move(handlers)) {}

PeerListener::~PeerListener() { Stop(); }

Status PeerListener::Listen(const std::vector<std::string>& addresses) {
  for (const std::string& address : addresses) {
    int port = 0;
    StatusOr<std::vector<UniqueFd>> fds = ListenTcp(address, &port);
    if (!fds.ok()) return fds.status();
    if (listen_fds_.empty()) port_ = port;
    for (UniqueFd& fd : *fds) listen_fds_.push_back(std::move(fd));
  }
  return Status::Ok();
}

size_t PeerListener::raw_streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& c : connections_) n += c->raw && !c->finished ? 1 : 0;
  return n;
}

void PeerListener::Start(std::function<void(int fd)> to_grpc) {
  to_grpc_ = std::move(to_grpc);
  accept_thread_ = std::thread([this] {
    NameThisThread("kvd-peer-accept");
    AcceptLoop();
  });
}

void PeerListener::Stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.Signal();
    if (accept_thread_.joinable()) accept_thread_.join();
    listen_fds_.clear();
    std::list<std::unique_ptr<Connection>> connections;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // A blocked read or poll returns once its socket is shut down.
      for (auto& c : connections_) {
        if (c->fd.valid()) shutdown(c->fd.get(), SHUT_RDWR);
      }
      connections.swap(connections_);
    }
    for (auto& c : connections) c->thread.join();
  });
}

void PeerListener::AcceptLoop() {
  std::vector<pollfd> fds;
  for (const UniqueFd& fd : listen_fds_) fds.push_back({fd.get(), POLLIN, 0});
  fds.push_back({wake_.fd(), POLLIN, 0});
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    for (pollfd& p : fds) p.revents = 0;
    const int n = poll(fds.data(), fds.size(), kPollTimeoutMs);
    if (n < 0 && errno != EINTR) {
      spdlog::error("member {:x}: polling the peer listener failed: {}", self_,
                    std::strerror(errno));
      return;
    }
    Reap();
    if (n <= 0) continue;
    if (fds.back().revents & POLLIN) wake_.Drain();
    for (size_t i = 0; i + 1 < fds.size(); ++i) {
      if (fds[i].revents & POLLIN) AcceptOne(fds[i].fd);
    }
  }
}

void PeerListener::AcceptOne(int listen_fd) {
  UniqueFd fd(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!fd.valid()) {
    if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
      spdlog::warn("member {:x}: accepting a peer connection failed: {}", self_,
                   std::strerror(errno));
    }
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  if (connections_.size() >= kMaxConnections) {
    spdlog::warn("member {:x}: refusing a peer connection: {} are open already", self_,
                 connections_.size());
    return;
  }
  SetPeerSocketOptions(fd.get());
  auto c = std::make_unique<Connection>();
  c->fd = std::move(fd);
  Connection* raw = c.get();
  connections_.push_back(std::move(c));
  raw->thread = std::thread([this, raw] {
    NameThisThread("kvd-peer-in");
    Serve(raw);
    {
      std::lock_guard<std::mutex> lock(mu_);
      // The sender hears of the end now; the descriptor is closed when the accept thread reaps
      // this connection (woken here), so nobody else ever shuts down a reused descriptor.
      if (raw->fd.valid()) shutdown(raw->fd.get(), SHUT_RDWR);
      raw->finished = true;
    }
    wake_.Signal();
  });
}

void PeerListener::Reap() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->finished) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) c->thread.join();
}

void PeerListener::Serve(Connection* c) {
  int fd = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fd = c->fd.get();  // stays open until the Connection is destroyed (after this thread)
  }
  // Peek at the first byte, without taking it: gRPC must read its preface itself. A raw stream
  // starts with the magic's first byte, HTTP/2 never does; the rest of the magic is checked with
  // the hello.
  const auto deadline = std::chrono::steady_clock::now() + kIdentifyTimeout;
  char first = 0;
  while (true) {
    if (!WaitReadable(fd, deadline)) return;  // silent for too long, or shut down
    const ssize_t n = recv(fd, &first, 1, MSG_PEEK);
    if (n == 0) return;  // closed before it said anything
    if (n > 0) break;
    if (errno != EINTR) return;
  }
  if (!MayBePeerStream(std::string_view(&first, 1))) {
    // Not ours: gRPC's (or garbage, which gRPC refuses in its own way). Stop joins this thread
    // before the gRPC server it hands to can shut down, so the hand-off needs no lock.
    int grpc_fd = -1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      grpc_fd = c->fd.release();
    }
    if (Status s = SetNonBlocking(grpc_fd, true); !s.ok()) {
      spdlog::warn("member {:x}: peer connection dropped: {}", self_, s.ToString());
      close(grpc_fd);
      return;
    }
    to_grpc_(grpc_fd);
    return;
  }
  ServeRaw(c, fd);
}

void PeerListener::ServeRaw(Connection* c, int fd) {
  std::string buffer(kReadBytes, '\0');
  PeerFrameReader reader;
  // The hello: the magic (peeked above) and the sender's identity.
  std::string hello;
  const auto deadline = std::chrono::steady_clock::now() + kIdentifyTimeout;
  while (hello.size() < kPeerHelloBytes) {
    if (!WaitReadable(fd, deadline)) return;
    const ssize_t n = recv(fd, buffer.data(), kPeerHelloBytes - hello.size(), 0);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    hello.append(buffer.data(), static_cast<size_t>(n));
  }
  StatusOr<PeerHello> who = DecodePeerHello(hello);
  if (!who.ok()) return;  // not the magic after all
  if (who->from == 0 || who->from == self_) {
    spdlog::warn("member {:x}: refusing a peer stream that says it comes from member {:x}", self_,
                 who->from);
    return;
  }
  if (who->cluster_id != cluster_id_) {
    spdlog::warn(
        "member {:x}: refusing a peer stream from member {:x} of cluster {:x} (this is "
        "cluster {:x})",
        self_, who->from, who->cluster_id, cluster_id_);
    return;
  }
  {
    // A sender keeps one stream to this member: an older one from it is stale (it reconnected,
    // perhaps after a partition the older one never heard of).
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& other : connections_) {
      if (other.get() != c && other->raw && other->from == who->from && other->fd.valid()) {
        shutdown(other->fd.get(), SHUT_RDWR);
      }
    }
    c->raw = true;
    c->from = who->from;
  }
  bool warned = false;  // a misaddressed message of this stream was logged
  while (true) {
    const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n == 0) return;  // the sender closed the stream, or Stop shut it down
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::debug("member {:x}: peer stream from {:x} broke: {}", self_, who->from,
                    std::strerror(errno));
      return;
    }
    reader.Append(std::string_view(buffer.data(), static_cast<size_t>(n)));
    while (true) {
      StatusOr<std::optional<peerpb::MessageBatch>> batch = reader.Next();
      if (!batch.ok()) {
        spdlog::warn("member {:x}: closing the peer stream from {:x}: {}", self_, who->from,
                     batch.status().ToString());
        return;
      }
      if (!batch->has_value()) break;
      if ((*batch)->cluster_id() != cluster_id_) {
        spdlog::warn("member {:x}: closing the peer stream from {:x}: a batch of cluster {:x}",
                     self_, who->from, (*batch)->cluster_id());
        return;
      }
      StepPeerBatch(self_, who->from, handlers_, &**batch, &warned);
      batches_received_.fetch_add(1);
    }
  }
}

}  // namespace raftkv::server
