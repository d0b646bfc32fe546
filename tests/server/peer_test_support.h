// What the peer transport tests share: loopback servers and peers, handlers that record their
// calls, and waits on a condition with a deadline.
#pragma once

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server/peer_transport.h"
#include "tests/support/wait_until.h"

namespace raftkv::server::peer_testing {

inline constexpr uint64_t kCluster = 0xc1;
inline constexpr uint64_t kSender = 1;
inline constexpr uint64_t kReceiver = 2;

using raftkv::testing::WaitUntil;

// A raft message from `from` to `to` carrying `index` and, if asked, one entry of that many
// payload bytes.
inline raftpb::Message Msg(uint64_t from, uint64_t to, uint64_t index, size_t payload_bytes = 0,
                           raftpb::MessageType type = raftpb::MSG_APPEND) {
  raftpb::Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(to);
  m.set_term(1);
  m.set_index(index);
  if (payload_bytes > 0) m.add_entries()->set_data(std::string(payload_bytes, 'x'));
  return m;
}

// Records every call of the handlers it hands out (thread-safe). Must outlive the transports
// and services using its handlers. Install and snapshot source fail unless replaced.
class Recorder {
 public:
  std::function<Status(const ChunkReader&)> install = [](const ChunkReader&) {
    return Status::Internal("no install in this test");
  };
  std::function<StatusOr<std::unique_ptr<storage::SnapshotSource>>()> open_source =
      []() -> StatusOr<std::unique_ptr<storage::SnapshotSource>> {
    return Status::Internal("no snapshot source in this test");
  };

  PeerHandlers Handlers() {
    PeerHandlers h;
    h.step = [this](raftpb::Message m) {
      std::lock_guard<std::mutex> lock(mu_);
      stepped_.push_back(std::move(m));
    };
    h.report_unreachable = [this](uint64_t peer) {
      std::lock_guard<std::mutex> lock(mu_);
      ++unreachable_[peer];
    };
    h.report_snapshot = [this](uint64_t peer, bool ok) {
      std::lock_guard<std::mutex> lock(mu_);
      snapshot_reports_.emplace_back(peer, ok);
    };
    h.install_snapshot = [this](const ChunkReader& next) { return install(next); };
    h.open_snapshot_source = [this] { return open_source(); };
    return h;
  }

  std::vector<raftpb::Message> stepped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stepped_;
  }
  size_t stepped_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stepped_.size();
  }
  int unreachable(uint64_t peer) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = unreachable_.find(peer);
    return it == unreachable_.end() ? 0 : it->second;
  }
  std::vector<std::pair<uint64_t, bool>> snapshot_reports() const {
    std::lock_guard<std::mutex> lock(mu_);
    return snapshot_reports_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<raftpb::Message> stepped_;
  std::map<uint64_t, int> unreachable_;
  std::vector<std::pair<uint64_t, bool>> snapshot_reports_;
};

// A peer gRPC server for member `self` on 127.0.0.1 (port 0: a free one, read back).
class PeerServer {
 public:
  PeerServer(uint64_t cluster, uint64_t self, PeerHandlers handlers, int port = 0)
      : service_(cluster, self, std::move(handlers)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.SetMaxReceiveMessageSize(64 << 20);
    ConfigurePeerServerKeepalive(&builder);  // as kvd does
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~PeerServer() { Shutdown(); }

  // Cancels the calls in flight (the long-lived streams) and stops listening.
  void Shutdown() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
    server_->Wait();
    server_.reset();
  }

  bool ok() const { return server_ != nullptr && port_ != 0; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  PeerServiceImpl& service() { return service_; }

 private:
  PeerServiceImpl service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// A loopback port that accepts TCP connections (into the backlog) but never answers: a peer
// that hangs. Closed on destruction.
class BlackHole {
 public:
  BlackHole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd_, 16) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~BlackHole() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return port_ != 0; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A free loopback port: bound by a server that is then shut down.
inline int FreePort() {
  Recorder unused;
  PeerServer server(kCluster, kReceiver, unused.Handlers());
  return server.ok() ? server.port() : 0;
}

// Sends a message with `index` from kSender to kReceiver through `transport` every 200 ms until
// `receiver` has stepped it (a message sent while a connection is being reopened may be lost);
// false if it never arrives within 10 s.
inline bool ResendUntilStepped(PeerSender* transport, const Recorder& receiver, uint64_t index) {
  const auto stepped = [&] {
    for (const raftpb::Message& m : receiver.stepped()) {
      if (m.index() == index) return true;
    }
    return false;
  };
  return WaitUntil([&] {
    transport->Send({Msg(kSender, kReceiver, index)});
    return WaitUntil(stepped, std::chrono::milliseconds(200));
  });
}

inline std::unique_ptr<peerpb::Peer::Stub> RawStub(const std::string& address) {
  return peerpb::Peer::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

// Sends one batch of `cluster` with `messages` on a stream of its own and returns the status the
// receiver closed it with.
inline grpc::Status SendRawBatch(const std::string& address, uint64_t cluster,
                                 std::vector<raftpb::Message> messages) {
  auto stub = RawStub(address);
  grpc::ClientContext context;
  peerpb::StreamReply reply;
  auto writer = stub->Stream(&context, &reply);
  peerpb::MessageBatch batch;
  batch.set_cluster_id(cluster);
  for (raftpb::Message& m : messages) *batch.add_messages() = std::move(m);
  // Either may fail once the receiver has answered: Finish says why.
  if (writer->Write(batch)) writer->WritesDone();
  return writer->Finish();
}

}  // namespace raftkv::server::peer_testing
