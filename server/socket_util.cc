#include "server/socket_util.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace raftkv::server {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// Splits "host:port" or "[v6-host]:port".
bool SplitHostPort(const std::string& host_port, std::string* host, std::string* port) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || colon + 1 == host_port.size()) return false;
  *host = host_port.substr(0, colon);
  *port = host_port.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return true;
}

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

StatusOr<AddrInfoList> Resolve(const std::string& host_port, bool passive) {
  std::string host, port;
  if (!SplitHostPort(host_port, &host, &port)) {
    return Status::InvalidArgument("not a host:port address: " + host_port);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* result = nullptr;
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &result);
  if (rc != 0) {
    return Status::Unavailable("cannot resolve " + host_port + ": " + gai_strerror(rc));
  }
  return AddrInfoList(result);
}

// Best effort: a kernel without the option keeps its default. Returns whether it was set.
bool SetIntOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

}  // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

Status SetNonBlocking(int fd, bool non_blocking) {
  const int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0) return Status::IOError("fcntl(F_GETFL): " + ErrnoText(errno));
  const int wanted = non_blocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (fcntl(fd, F_SETFL, wanted) < 0) return Status::IOError("fcntl(F_SETFL): " + ErrnoText(errno));
  return Status::Ok();
}

StatusOr<std::vector<UniqueFd>> ListenTcp(const std::string& host_port, int* port) {
  auto list = Resolve(host_port, /*passive=*/true);
  if (!list.ok()) return list.status();
  std::vector<UniqueFd> fds;
  int bound_port = 0;
  std::string last_error = "no address";
  for (addrinfo* ai = list->get(); ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    // Non-blocking: a connection that vanishes between poll() and accept() must not block the
    // accepting thread.
    UniqueFd fd(
        socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd.valid()) {
      last_error = ErrnoText(errno);
      continue;
    }
    SetIntOption(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1);
    // Every address of the name listens on one port: the one the first was given (port 0).
    sockaddr_storage addr{};
    std::memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    if (bound_port != 0) {
      if (ai->ai_family == AF_INET6) {
        SetIntOption(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1);
        reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(bound_port);
      } else {
        reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(bound_port);
      }
    }
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), ai->ai_addrlen) != 0 ||
        listen(fd.get(), 128) != 0) {
      last_error = ErrnoText(errno);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof(bound);
    if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      last_error = ErrnoText(errno);
      continue;
    }
    bound_port = bound.ss_family == AF_INET6
                     ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                     : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    fds.push_back(std::move(fd));
  }
  if (fds.empty()) return Status::IOError("cannot listen on " + host_port + ": " + last_error);
  *port = bound_port;
  return fds;
}

StatusOr<UniqueFd> ConnectTcp(const std::string& host_port, std::chrono::milliseconds timeout,
                              int wake_fd) {
  auto list = Resolve(host_port, /*passive=*/false);
  if (!list.ok()) return list.status();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_error = "no address";
  for (addrinfo* ai = list->get(); ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(
        socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd.valid()) {
      last_error = ErrnoText(errno);
      continue;
    }
    if (connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
      last_error = ErrnoText(errno);
      continue;
    }
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        last_error = "timed out";
        break;
      }
      pollfd fds[2] = {{fd.get(), POLLOUT, 0}, {wake_fd, POLLIN, 0}};
      const int n = poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        last_error = ErrnoText(errno);
        break;
      }
      if (wake_fd >= 0 && (fds[1].revents & POLLIN)) {
        return Status::Unavailable("connecting to " + host_port + " was interrupted");
      }
      if (fds[0].revents == 0) continue;
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err == 0) return fd;
      last_error = ErrnoText(err);
      break;
    }
  }
  return Status::Unavailable("cannot connect to " + host_port + ": " + last_error);
}

void SetPeerSocketOptions(int fd) {
  bool all_set = SetIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  all_set &= SetIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
  all_set &= SetIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, 2);
  all_set &= SetIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1);
  all_set &= SetIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, 3);
  all_set &= SetIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
                          static_cast<int>(kPeerSocketUserTimeout.count()));
  static std::atomic<bool> warned{false};
  if (!all_set && !warned.exchange(true)) {
    spdlog::warn(
        "peer connections: a socket option was refused ({}); a partitioned peer may "
        "take longer to notice",
        ErrnoText(errno));
  }
}

WakeFd::WakeFd() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  // Without it a waiting thread still looks at its state every second (its poll timeout).
  if (!fd_.valid()) spdlog::error("cannot create an eventfd: {}", ErrnoText(errno));
}

void WakeFd::Signal() const {
  const uint64_t one = 1;
  (void)!write(fd_.get(), &one, sizeof(one));  // a full counter is still readable
}

void WakeFd::Drain() const {
  uint64_t value = 0;
  (void)!read(fd_.get(), &value, sizeof(value));
}

}  // namespace raftkv::server
