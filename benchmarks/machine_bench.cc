// machine_bench: what this machine charges for the two steps a request repeats on its way
// through a cluster, so that a latency can be read as a sum of them:
//   - waking a sleeping thread (a hand-off through a mutex and a condition variable, as between
//     kvd's gRPC, raft, peer-reader and apply threads);
//   - a round trip of a small message over loopback TCP to a thread sleeping in recv(), as
//     between a client and a member or between two members.
// Both are wall-clock (UseRealTime): the time is waiting, not computing. On a paravirtualized VM
// each wake-up is a call into the host, which is what these measure.
//
//   ./build/benchmarks/machine_bench
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace {

// Two threads pass a token back and forth; each waits for it asleep on a condition variable.
// Reports the time of one hand-off (half a round trip).
void BM_ThreadHandOff(benchmark::State& state) {
  std::mutex mu;
  std::condition_variable cv;
  int64_t token = 0;  // guarded by mu: even, the benchmark thread's turn; odd, the echo's
  bool stop = false;  // guarded by mu
  std::thread echo([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      cv.wait(lock, [&] { return stop || token % 2 == 1; });
      if (stop) return;
      ++token;
      cv.notify_all();
    }
  });
  for (auto _ : state) {
    std::unique_lock<std::mutex> lock(mu);
    ++token;
    cv.notify_all();
    cv.wait(lock, [&] { return token % 2 == 0; });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_all();
  echo.join();
  state.counters["us/hand-off"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ThreadHandOff)->UseRealTime();

// A connected pair of loopback TCP sockets (client, server), or -1s if the machine refused.
struct SocketPair {
  int client = -1;
  int server = -1;
};

SocketPair ConnectLoopback() {
  SocketPair pair;
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return pair;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // any free port
  socklen_t length = sizeof(address);
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  if (bind(listener, generic, sizeof(address)) == 0 && listen(listener, 1) == 0 &&
      getsockname(listener, generic, &length) == 0) {
    pair.client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (pair.client >= 0 && connect(pair.client, generic, sizeof(address)) == 0) {
      pair.server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    }
  }
  close(listener);
  const int one = 1;
  for (int fd : {pair.client, pair.server}) {
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return pair;
}

// Reads exactly `size` bytes; false on end of stream or error.
bool ReadFully(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = recv(fd, data, size, 0);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Sends 64 bytes over loopback TCP to a thread asleep in recv(), which sends them back.
void BM_LoopbackRoundTrip(benchmark::State& state) {
  SocketPair pair = ConnectLoopback();
  if (pair.client < 0 || pair.server < 0) {
    if (pair.client >= 0) close(pair.client);
    if (pair.server >= 0) close(pair.server);
    return state.SkipWithError("cannot connect over loopback");
  }
  constexpr size_t kMessageBytes = 64;
  std::thread echo([fd = pair.server] {
    char message[kMessageBytes];
    while (ReadFully(fd, message, sizeof(message)) &&
           send(fd, message, sizeof(message), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(sizeof(message))) {
    }
  });
  char message[kMessageBytes] = {};
  for (auto _ : state) {
    if (send(pair.client, message, sizeof(message), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(sizeof(message)) ||
        !ReadFully(pair.client, message, sizeof(message))) {
      state.SkipWithError("the echo failed");
      break;
    }
  }
  shutdown(pair.client, SHUT_RDWR);  // ends the echo's recv()
  echo.join();
  close(pair.client);
  close(pair.server);
  state.counters["us/round-trip"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LoopbackRoundTrip)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
