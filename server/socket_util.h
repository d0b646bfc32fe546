// Small POSIX socket helpers for the raw peer stream (server/peer_wire.h): an owning file
// descriptor, listening, connecting with a deadline, and the options every peer connection
// gets. Every failure is a Status naming the address and the errno text.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "raft/status.h"

namespace raftkv::server {

// Owns one file descriptor and closes it when destroyed or reset; -1 means none.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership: the caller closes the descriptor.
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// How long a peer connection may have data unacknowledged (or keepalive probes unanswered)
// before the kernel gives up on it: a partitioned peer is noticed within this, as the gRPC
// transport's keepalive did.
inline constexpr std::chrono::milliseconds kPeerSocketUserTimeout{5000};

// Listens on every address "host:port" resolves to ("localhost": 127.0.0.1 and ::1, as gRPC
// does), all on one port (port 0: the kernel picks it); *port gets it. Fails only if no address
// could be bound.
[[nodiscard]] StatusOr<std::vector<UniqueFd>> ListenTcp(const std::string& host_port, int* port);

// Connects to "host:port" within `timeout`; gives up early (Unavailable) when `wake_fd` (an
// eventfd, or -1) becomes readable. The socket returned is non-blocking.
[[nodiscard]] StatusOr<UniqueFd> ConnectTcp(const std::string& host_port,
                                            std::chrono::milliseconds timeout, int wake_fd);

// TCP_NODELAY, keepalive probes and kPeerSocketUserTimeout: raft messages leave at once, and a
// peer that vanished without a reset (a partition) is noticed within seconds.
void SetPeerSocketOptions(int fd);

[[nodiscard]] Status SetNonBlocking(int fd, bool non_blocking);

// An eventfd that wakes a thread blocked in poll(); Signal makes it readable, Drain clears it.
class WakeFd {
 public:
  WakeFd();
  int fd() const { return fd_.get(); }
  void Signal() const;
  void Drain() const;

 private:
  UniqueFd fd_;
};

}  // namespace raftkv::server
