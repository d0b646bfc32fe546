// The raw TCP peer transport (server/tcp_peer_transport.h) and the peer port that serves it
// (server/peer_listener.h), on loopback: a TcpPeerTransport sending to a PeerListener that
// hands gRPC's connections to a PeerServiceImpl server, with handlers that record their calls.
// Hand-made raw connections check what the listener refuses. Every wait has a deadline.
#include <gtest/gtest.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "server/peer_listener.h"
#include "server/peer_wire.h"
#include "server/socket_util.h"
#include "server/tcp_peer_transport.h"
#include "storage/mvcc_generation.h"
#include "tests/server/peer_test_support.h"
#include "tests/storage/snapshot_support.h"
#include "tests/storage/temp_dir.h"

namespace raftkv::server {
namespace {

using namespace std::chrono_literals;
using peer_testing::BlackHole;
using peer_testing::FreePort;
using peer_testing::kCluster;
using peer_testing::kReceiver;
using peer_testing::kSender;
using peer_testing::Msg;
using peer_testing::PeerServer;
using peer_testing::Recorder;
using peer_testing::ResendUntilStepped;
using peer_testing::SendRawBatch;
using peer_testing::WaitUntil;

// A member's peer port as kvd sets it up: a PeerListener on 127.0.0.1 (port 0: a free one),
// handing gRPC's connections to a peer gRPC server with no port of its own.
class PeerPort {
 public:
  PeerPort(uint64_t cluster, uint64_t self, PeerHandlers handlers, int port = 0)
      : service_(cluster, self, handlers), listener_(cluster, self, handlers) {
    if (!listener_.Listen({"127.0.0.1:" + std::to_string(port)}).ok()) return;
    grpc::ServerBuilder builder;
    builder.SetMaxReceiveMessageSize(64 << 20);
    ConfigurePeerServerKeepalive(&builder);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr) return;
    listener_.Start(
        [server = server_.get()](int fd) { grpc::AddInsecureChannelFromFd(server, fd); });
  }
  ~PeerPort() {
    listener_.Stop();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + 100ms);
      server_->Wait();
    }
  }

  bool ok() const { return server_ != nullptr && listener_.port() != 0; }
  std::string address() const { return "127.0.0.1:" + std::to_string(listener_.port()); }
  PeerListener& listener() { return listener_; }
  PeerServiceImpl& service() { return service_; }

 private:
  PeerServiceImpl service_;
  PeerListener listener_;
  std::unique_ptr<grpc::Server> server_;
};

// A hand-made raw connection: blocking, so writes go out whole.
UniqueFd Dial(const std::string& address) {
  StatusOr<UniqueFd> fd = ConnectTcp(address, 5s, -1);
  if (!fd.ok()) return UniqueFd();
  if (!SetNonBlocking(fd->get(), false).ok()) return UniqueFd();
  return std::move(*fd);
}

bool WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Dials `address` and writes `bytes`; an invalid descriptor if either fails.
UniqueFd DialWith(const std::string& address, const std::string& bytes) {
  UniqueFd fd = Dial(address);
  if (!fd.valid() || !WriteAll(fd.get(), bytes)) return UniqueFd();
  return fd;
}

// Whether "localhost" resolves to an IPv6 address on this machine.
bool LocalhostHasIpv6() {
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo("localhost", "1", &hints, &result) != 0) return false;
  freeaddrinfo(result);
  return true;
}

// Whether the other side closed `fd` (end of stream or reset) within `timeout`.
bool ClosedByPeer(int fd, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char byte;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = recv(fd, &byte, 1, 0);
    if (n <= 0) return true;
  }
  return false;
}

std::string Frame(uint64_t cluster, std::vector<raftpb::Message> messages) {
  peerpb::MessageBatch batch;
  batch.set_cluster_id(cluster);
  for (raftpb::Message& m : messages) *batch.add_messages() = std::move(m);
  std::string out;
  AppendPeerFrame(batch, &out);
  return out;
}

TEST(TcpPeerTransportTest, MessagesArriveInOrder) {
  Recorder receiver;
  PeerPort port(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(port.ok());
  Recorder sender;
  TcpPeerTransport transport(kCluster, kSender, {{kReceiver, port.address()}}, sender.Handlers(),
                             /*snapshot_sender=*/nullptr);
  transport.Start();
  constexpr uint64_t kMessages = 2000;
  for (uint64_t i = 1; i <= kMessages; ++i) transport.Send({Msg(kSender, kReceiver, i, 100)});

  ASSERT_TRUE(WaitUntil([&] { return receiver.stepped_count() == kMessages; }))
      << receiver.stepped_count() << " of " << kMessages << " arrived";
  const std::vector<raftpb::Message> got = receiver.stepped();
  for (uint64_t i = 1; i <= kMessages; ++i) {
    ASSERT_EQ(got[i - 1].index(), i) << "out of order";
    EXPECT_EQ(got[i - 1].from(), kSender);
    ASSERT_EQ(got[i - 1].entries_size(), 1);
    EXPECT_EQ(got[i - 1].entries(0).data().size(), 100u);
  }
  EXPECT_EQ(port.listener().batches_received(), kMessages) << "one frame per Send";
  EXPECT_EQ(port.service().batches_received(), 0u) << "nothing went through gRPC";
  EXPECT_TRUE(transport.connected(kReceiver));
  EXPECT_EQ(transport.queued_bytes(kReceiver), 0u);
  EXPECT_EQ(sender.unreachable(kReceiver), 0);
  EXPECT_EQ(port.listener().raw_streams(), 1u);
}

// The messages of one Send travel in as few frames as kMaxBatchBytes allows.
TEST(TcpPeerTransportTest, OneSendIsOneFrameUpToTheBatchLimit) {
  Recorder receiver;
  PeerPort port(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(port.ok());
  Recorder sender;
  TcpPeerTransport transport(kCluster, kSender, {{kReceiver, port.address()}}, sender.Handlers(),
                             nullptr);
  transport.Start();
  std::vector<raftpb::Message> small;
  for (uint64_t i = 1; i <= 100; ++i) small.push_back(Msg(kSender, kReceiver, i, 100));
  transport.Send(std::move(small));
  ASSERT_TRUE(WaitUntil([&] { return receiver.stepped_count() == 100; }));
  EXPECT_EQ(port.listener().batches_received(), 1u);

  // Ten messages of 1,000,000 payload bytes: four fit under the 4 MiB limit, a fifth does not.
  std::vector<raftpb::Message> large;
  for (uint64_t i = 101; i <= 110; ++i) large.push_back(Msg(kSender, kReceiver, i, 1000000));
  transport.Send(std::move(large));
  ASSERT_TRUE(WaitUntil([&] { return receiver.stepped_count() == 110; }));
  EXPECT_EQ(port.listener().batches_received(), 1u + 3u);
  const std::vector<raftpb::Message> got = receiver.stepped();
  for (uint64_t i = 1; i <= 110; ++i) EXPECT_EQ(got[i - 1].index(), i);
}

// The peer port still serves gRPC: another member's gRPC stream, and snapshots, which the TCP
// transport hands to its gRPC snapshot sender.
TEST(TcpPeerTransportTest, PeerPortServesGrpcStreamsAndSnapshotsBesideRawStreams) {
  Recorder receiver;
  receiver.install = [](const ChunkReader& next) {
    while (true) {
      auto chunk = next();
      if (!chunk.ok()) return chunk.status();
      if (!chunk->has_value()) return Status::Ok();
    }
  };
  PeerPort port(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(port.ok());

  const grpc::Status status = SendRawBatch(port.address(), kCluster, {Msg(kSender, kReceiver, 1)});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(port.service().batches_received(), 1u);
  const grpc::Status refused = SendRawBatch(port.address(), 0xbad, {Msg(kSender, kReceiver, 2)});
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  storage::testing::TempDir dir;
  auto db = storage::testing::OpenTestDatabase(dir.Sub("sender"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(
      storage::testing::FillGeneration(db->get(), storage::kFirstMvccGeneration, 7, 50, 10).ok());
  Recorder sender;
  sender.open_source = [&] { return storage::SnapshotSource::Open(db->get()); };
  GrpcPeerTransport snapshots(kCluster, kSender, {{kReceiver, port.address()}}, sender.Handlers());
  TcpPeerTransport transport(kCluster, kSender, {{kReceiver, port.address()}}, sender.Handlers(),
                             &snapshots);
  transport.Start();
  transport.Send({Msg(kSender, kReceiver, 3), Msg(kSender, kReceiver, 4, 0, raftpb::MSG_SNAPSHOT),
                  Msg(kSender, kReceiver, 5)});
  ASSERT_TRUE(WaitUntil([&] { return sender.snapshot_reports().size() == 1; }));
  EXPECT_EQ(sender.snapshot_reports()[0], std::make_pair(kReceiver, true));
  ASSERT_TRUE(WaitUntil([&] { return receiver.stepped_count() == 4; }));
  std::vector<uint64_t> raw_indexes;
  bool snapshot_stepped = false;
  for (const raftpb::Message& m : receiver.stepped()) {
    if (m.type() == raftpb::MSG_SNAPSHOT) snapshot_stepped = true;
    if (m.type() == raftpb::MSG_APPEND && m.index() >= 3) raw_indexes.push_back(m.index());
  }
  EXPECT_TRUE(snapshot_stepped);
  EXPECT_EQ(raw_indexes, (std::vector<uint64_t>{3, 5}));
  transport.Stop();
  snapshots.Stop();
}

TEST(TcpPeerTransportTest, DownPeerIsReportedUnreachableAndTheStreamReopensWhenItComesUp) {
  const int free_port = FreePort();
  ASSERT_NE(free_port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(free_port);
  Recorder sender;
  TcpPeerTransport transport(kCluster, kSender, {{kReceiver, address}}, sender.Handlers(), nullptr);
  transport.Start();
  for (uint64_t i = 1; i <= 10; ++i) transport.Send({Msg(kSender, kReceiver, i, 1000)});
  ASSERT_TRUE(WaitUntil([&] { return sender.unreachable(kReceiver) > 0; }));
  // What waited for a connection that failed is dropped, not kept for ever.
  ASSERT_TRUE(WaitUntil([&] { return transport.queued_bytes(kReceiver) == 0; }));
  EXPECT_FALSE(transport.connected(kReceiver));

  Recorder receiver;
  PeerPort port(kCluster, kReceiver, receiver.Handlers(), free_port);
  ASSERT_TRUE(port.ok()) << "port " << free_port << " taken meanwhile";
  // Sent until it arrives: one queued for a connection attempt that fails is dropped.
  ASSERT_TRUE(ResendUntilStepped(&transport, receiver, /*index=*/1000));
  EXPECT_TRUE(transport.connected(kReceiver));
}

TEST(TcpPeerTransportTest, OtherClusterIsRefusedAndNothingIsStepped) {
  Recorder receiver;
  PeerPort port(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(port.ok());
  Recorder sender;
  TcpPeerTransport transport(0xbad, kSender, {{kReceiver, port.address()}}, sender.Handlers(),
                             nullptr);
  transport.Start();
  // The listener closes each connection after its hello; the sender keeps reporting the peer.
  ASSERT_TRUE(WaitUntil([&] {
    transport.Send({Msg(kSender, kReceiver, 2)});
    return sender.unreachable(kReceiver) >= 2;
  }));
  EXPECT_EQ(receiver.stepped_count(), 0u);
  EXPECT_EQ(port.listener().batches_received(), 0u);
}

TEST(TcpPeerTransportTest, MessageForAnotherMemberIsDropped) {
  Recorder receiver;
  PeerPort port(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(port.ok());
  UniqueFd fd = DialWith(port.address(), EncodePeerHello(PeerHello{kCluster, kSender}) +
                                             Frame(kCluster, {Msg(kSender, 3, 1),  // member 3's
                                                              Msg(kSender, kReceiver, 2),  // ours
                                                              Msg(kSender, 0, 3),       // nobody's
                                                              Msg(3, kReceiver, 4)}));  // not its
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(WaitUntil([&] { return port.listener().batches_received() == 1; }));
  const std::vector<raftpb::Message> got = receiver.stepped();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].index(), 2u);
  EXPECT_EQ(got[0].to(), kReceiver);
}

// What the listener closes a raw stream for; what came before the bad part was stepped.
TEST(TcpPeerTransportTest, MalformedRawStreamsAreClosed) {
  Recorder receiver;
  PeerPort port(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(port.ok());
  const std::string hello = EncodePeerHello(PeerHello{kCluster, kSender});
  std::string over_limit = Frame(kCluster, {Msg(kSender, kReceiver, 1)});
  for (int i = 0; i < 4; ++i) over_limit.push_back(static_cast<char>(0xff));
  const std::string garbage_frame("\x03\x00\x00\x00\xff\xff\xff", 7);
  const std::string other_cluster_batch = Frame(0xbad, {Msg(kSender, kReceiver, 9)});
  const std::string other_cluster_hello = EncodePeerHello(PeerHello{0xbad, kSender});
  const std::string own_hello = EncodePeerHello(PeerHello{kCluster, kReceiver});
  const std::string good_frame = Frame(kCluster, {Msg(kSender, kReceiver, 9)});

  for (const std::string& bytes :
       {hello + over_limit, hello + garbage_frame, hello + other_cluster_batch,
        other_cluster_hello + good_frame, own_hello + good_frame}) {
    UniqueFd fd = DialWith(port.address(), bytes);
    ASSERT_TRUE(fd.valid());
    EXPECT_TRUE(ClosedByPeer(fd.get())) << "a malformed stream stayed open";
  }
  // Only the good frame before the over-limit one was stepped: none after a refused hello.
  const std::vector<raftpb::Message> got = receiver.stepped();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].index(), 1u);
  EXPECT_EQ(port.listener().raw_streams(), 0u);
}

// Bytes that are neither a raw stream nor HTTP/2 go to gRPC, which closes the connection; the
// member keeps serving.
TEST(TcpPeerTransportTest, ConnectionThatIsNeitherGoesToGrpcWhichClosesIt) {
  Recorder receiver;
  PeerPort port(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(port.ok());
  UniqueFd fd = DialWith(port.address(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(fd.valid());
  EXPECT_TRUE(ClosedByPeer(fd.get()));
  EXPECT_TRUE(SendRawBatch(port.address(), kCluster, {Msg(kSender, kReceiver, 1)}).ok());
  EXPECT_EQ(receiver.stepped_count(), 1u);
}

// A sender that reconnected (after a partition the old connection never heard of) replaces its
// older stream, so no reader is left behind.
TEST(TcpPeerTransportTest, NewerStreamFromTheSameMemberReplacesTheOlder) {
  Recorder receiver;
  PeerPort port(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(port.ok());
  const std::string hello = EncodePeerHello(PeerHello{kCluster, kSender});
  UniqueFd older = DialWith(port.address(), hello + Frame(kCluster, {Msg(kSender, kReceiver, 1)}));
  ASSERT_TRUE(older.valid());
  ASSERT_TRUE(WaitUntil([&] { return receiver.stepped_count() == 1; }));
  UniqueFd newer = DialWith(port.address(), hello + Frame(kCluster, {Msg(kSender, kReceiver, 2)}));
  ASSERT_TRUE(newer.valid());
  EXPECT_TRUE(ClosedByPeer(older.get()));
  ASSERT_TRUE(WaitUntil([&] { return receiver.stepped_count() == 2; }));
  EXPECT_TRUE(WaitUntil([&] { return port.listener().raw_streams() == 1u; }));
  // Another member's stream is not touched.
  UniqueFd third = DialWith(port.address(), EncodePeerHello(PeerHello{kCluster, 3}));
  ASSERT_TRUE(third.valid());
  EXPECT_TRUE(WaitUntil([&] { return port.listener().raw_streams() == 2u; }));
  EXPECT_FALSE(ClosedByPeer(newer.get(), 200ms));
}

// A hung peer (TCP accepted, never read): Send never blocks, its buffer stays bounded and
// overflow is reported, the other peer still gets its messages, and Stop returns promptly.
TEST(TcpPeerTransportTest, HungPeerStallsNobodyAndItsBufferIsBounded) {
  BlackHole hung;
  ASSERT_TRUE(hung.ok());
  Recorder receiver;
  PeerPort port(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(port.ok());
  constexpr uint64_t kHung = 3;
  Recorder sender;
  auto transport = std::make_unique<TcpPeerTransport>(
      kCluster, kSender,
      std::map<uint64_t, std::string>{{kReceiver, port.address()}, {kHung, hung.address()}},
      sender.Handlers(), nullptr);
  transport->Start();
  ASSERT_TRUE(WaitUntil([&] { return transport->connected(kHung); }));

  // 1 MiB messages for a peer that reads nothing, until the socket's buffers and the
  // transport's are full and one is dropped (at most 1 GiB: far more than they hold).
  for (uint64_t i = 1; i <= 1024 && sender.unreachable(kHung) == 0; ++i) {
    transport->Send({Msg(kSender, kHung, i, 1 << 20)});
    EXPECT_LE(transport->queued_bytes(kHung), TcpPeerTransport::kMaxQueuedBytes);
  }
  EXPECT_GT(sender.unreachable(kHung), 0);
  EXPECT_GT(transport->queued_bytes(kHung), TcpPeerTransport::kMaxQueuedBytes / 2);
  for (uint64_t i = 1; i <= 100; ++i) transport->Send({Msg(kSender, kReceiver, i)});
  ASSERT_TRUE(WaitUntil([&] { return receiver.stepped_count() == 100; }));
  EXPECT_EQ(sender.unreachable(kReceiver), 0);

  transport->Stop();
  EXPECT_FALSE(transport->connected(kHung));
  EXPECT_EQ(transport->queued_bytes(kHung), 0u);
  // After Stop, Send still returns and drops.
  transport->Send({Msg(kSender, kReceiver, 1), Msg(kSender, kHung, 1)});
  EXPECT_EQ(transport->queued_bytes(kReceiver), 0u);
  transport.reset();
}

TEST(TcpPeerTransportTest, ListenerStopClosesItsStreams) {
  Recorder receiver;
  auto port = std::make_unique<PeerPort>(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(port->ok());
  UniqueFd fd = DialWith(port->address(), EncodePeerHello(PeerHello{kCluster, kSender}));
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(WaitUntil([&] { return port->listener().raw_streams() == 1u; }));
  port->listener().Stop();
  EXPECT_TRUE(ClosedByPeer(fd.get()));
  port.reset();
}

// "localhost" (kvd's default peer URL) listens on each of its addresses, on one port.
TEST(TcpPeerTransportTest, ListenerOnLocalhostListensOnEveryAddressOfTheName) {
  Recorder receiver;
  PeerListener listener(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(listener.Listen({"localhost:0"}).ok());
  ASSERT_NE(listener.port(), 0);
  listener.Start([](int fd) { close(fd); });
  const std::string port = std::to_string(listener.port());
  UniqueFd v4 = DialWith("127.0.0.1:" + port, EncodePeerHello(PeerHello{kCluster, kSender}) +
                                                  Frame(kCluster, {Msg(kSender, kReceiver, 1)}));
  ASSERT_TRUE(v4.valid());
  ASSERT_TRUE(WaitUntil([&] { return receiver.stepped_count() == 1; }));
  // Where the name also means ::1 (/etc/hosts says so or not) and the kernel has IPv6, that
  // address serves too.
  int v6_port = 0;
  if (LocalhostHasIpv6() && ListenTcp("[::1]:0", &v6_port).ok()) {
    UniqueFd v6 = DialWith("[::1]:" + port, EncodePeerHello(PeerHello{kCluster, 3}) +
                                                Frame(kCluster, {Msg(3, kReceiver, 2)}));
    ASSERT_TRUE(v6.valid());
    EXPECT_TRUE(WaitUntil([&] { return receiver.stepped_count() == 2; }));
  }
  listener.Stop();
}

}  // namespace
}  // namespace raftkv::server
