// The gRPC peer transport (server/peer_transport.h) on loopback: a GrpcPeerTransport sending to
// PeerServiceImpl servers whose handlers record what they are called with. Every server binds
// 127.0.0.1:0; every wait is on a condition with a deadline.
#include "server/peer_transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>

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
using peer_testing::RawStub;
using peer_testing::Recorder;
using peer_testing::ResendUntilStepped;
using peer_testing::SendRawBatch;
using peer_testing::WaitUntil;
using storage::testing::DigestActiveKeySpace;
using storage::testing::FillGeneration;
using storage::testing::OpenTestDatabase;
using storage::testing::TempDir;

TEST(PeerTransportTest, MessagesArriveInOrderManyPerBatch) {
  Recorder receiver;
  PeerServer server(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(server.ok());
  Recorder sender;
  GrpcPeerTransport transport(kCluster, kSender, {{kReceiver, server.address()}},
                              sender.Handlers());
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
  EXPECT_LT(server.service().batches_received(), kMessages);
  EXPECT_GE(server.service().batches_received(), 1u);
  EXPECT_EQ(transport.queued_messages(kReceiver), 0u);
  EXPECT_EQ(transport.queued_bytes(kReceiver), 0u);
  EXPECT_EQ(sender.unreachable(kReceiver), 0);
}

TEST(PeerTransportTest, DownPeerBoundsTheQueueAndReportsUnreachableThenReconnects) {
  const int port = FreePort();
  ASSERT_NE(port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  Recorder sender;
  GrpcPeerTransport transport(kCluster, kSender, {{kReceiver, address}}, sender.Handlers());

  // 100 MiB for a dead peer: Send returns at once and at most 64 MiB stays queued.
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 1; i <= 100; ++i) transport.Send({Msg(kSender, kReceiver, i, 1 << 20)});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << "Send blocked";
  EXPECT_LE(transport.queued_bytes(kReceiver), GrpcPeerTransport::kMaxQueuedBytes);
  EXPECT_LT(transport.queued_messages(kReceiver), 100u);
  ASSERT_TRUE(WaitUntil([&] { return sender.unreachable(kReceiver) > 0; }));

  // The peer comes up on the same port: the stream is reopened and messages flow again.
  Recorder receiver;
  PeerServer server(kCluster, kReceiver, receiver.Handlers(), port);
  ASSERT_TRUE(server.ok()) << "port " << port << " taken meanwhile";
  // Sent until it arrives: a marker queued while the old stream was breaking may be lost.
  ASSERT_TRUE(ResendUntilStepped(&transport, receiver, /*index=*/1000));
  // Whatever arrived (queued backlog, then markers) arrived in the order it was sent.
  const std::vector<raftpb::Message> got = receiver.stepped();
  for (size_t i = 1; i < got.size(); ++i) EXPECT_LE(got[i - 1].index(), got[i].index());
}

TEST(PeerTransportTest, OtherClusterIsRefusedWithFailedPreconditionAndNothingIsStepped) {
  Recorder receiver;
  PeerServer server(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(server.ok());

  // A raw stream shows the status the sender gets.
  const grpc::Status status = SendRawBatch(server.address(), 0xbad, {Msg(kSender, kReceiver, 1)});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("c1"), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find("bad"), std::string::npos) << status.error_message();

  // A transport of the other cluster gets nothing through and keeps reporting the peer.
  Recorder sender;
  GrpcPeerTransport transport(0xbad, kSender, {{kReceiver, server.address()}}, sender.Handlers());
  ASSERT_TRUE(WaitUntil([&] {
    transport.Send({Msg(kSender, kReceiver, 2)});
    return sender.unreachable(kReceiver) >= 2;
  }));
  EXPECT_EQ(receiver.stepped_count(), 0u);
  EXPECT_EQ(server.service().batches_received(), 0u);
}

TEST(PeerTransportTest, MessageForAnotherMemberIsDropped) {
  Recorder receiver;
  PeerServer server(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(server.ok());
  const grpc::Status status = SendRawBatch(server.address(), kCluster,
                                           {Msg(kSender, 3, 1),          // for member 3: dropped
                                            Msg(kSender, kReceiver, 2),  // for this member
                                            Msg(kSender, 0, 3)});        // for nobody: dropped
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::vector<raftpb::Message> got = receiver.stepped();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].index(), 2u);
  EXPECT_EQ(got[0].to(), kReceiver);
}

// A snapshot's parts that do not start with a MSG_SNAPSHOT for this member, or whose install
// fails, are refused with an error and step nothing.
TEST(PeerTransportTest, MalformedSnapshotStreamsAreRefusedAndStepNothing) {
  Recorder receiver;
  std::atomic<bool> install_called{false};
  receiver.install = [&](const ChunkReader& next) {
    install_called = true;
    while (true) {
      auto chunk = next();
      if (!chunk.ok()) return chunk.status();
      if (!chunk->has_value()) return Status::Corruption("stream ended early");
    }
  };
  PeerServer server(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(server.ok());
  auto stub = RawStub(server.address());
  const auto send = [&](std::vector<peerpb::SnapshotPart> parts) {
    grpc::ClientContext context;
    peerpb::SnapshotReply reply;
    auto writer = stub->Snapshot(&context, &reply);
    for (const auto& part : parts) {
      if (!writer->Write(part)) break;
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    EXPECT_FALSE(reply.applied());
    return status;
  };
  peerpb::SnapshotPart chunk;
  chunk.set_cluster_id(kCluster);
  chunk.mutable_chunk()->set_sequence(0);
  peerpb::SnapshotPart append;
  append.set_cluster_id(kCluster);
  *append.mutable_message() = Msg(kSender, kReceiver, 1);
  peerpb::SnapshotPart elsewhere;
  elsewhere.set_cluster_id(kCluster);
  *elsewhere.mutable_message() = Msg(kSender, 3, 1, 0, raftpb::MSG_SNAPSHOT);
  peerpb::SnapshotPart good;
  good.set_cluster_id(kCluster);
  *good.mutable_message() = Msg(kSender, kReceiver, 1, 0, raftpb::MSG_SNAPSHOT);
  peerpb::SnapshotPart other_cluster = good;
  other_cluster.set_cluster_id(0xbad);

  EXPECT_EQ(send({}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(send({chunk}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(send({append, chunk}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(send({elsewhere, chunk}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(send({other_cluster, chunk}).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_FALSE(install_called);
  // A second message where a chunk belongs: the install fails, nothing is stepped.
  EXPECT_EQ(send({good, chunk, good}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A stream that ends early: the install fails, nothing is stepped.
  EXPECT_EQ(send({good, chunk}).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_TRUE(install_called);
  EXPECT_EQ(receiver.stepped_count(), 0u);
}

TEST(PeerTransportTest, SnapshotStreamsTheKeySpaceInstallsItThenStepsAndReports) {
  TempDir dir;
  auto source_db = OpenTestDatabase(dir.Sub("sender"));
  auto target_db = OpenTestDatabase(dir.Sub("receiver"));
  ASSERT_TRUE(source_db.ok() && target_db.ok());
  // About 3 MiB: several chunks of the default 1 MiB.
  ASSERT_TRUE(FillGeneration(source_db->get(), storage::kFirstMvccGeneration, 7, 3000, 1000).ok());
  ASSERT_TRUE(FillGeneration(target_db->get(), storage::kFirstMvccGeneration, 8, 50, 10).ok());
  const auto source_digest = DigestActiveKeySpace(**source_db);
  ASSERT_TRUE(source_digest.ok());

  Recorder receiver;
  std::atomic<int> chunks_installed{0};
  receiver.install = [&](const ChunkReader& next) -> Status {
    auto restorer = storage::SnapshotRestorer::Begin(target_db->get());
    if (!restorer.ok()) return restorer.status();
    while (true) {
      auto chunk = next();
      if (!chunk.ok()) return chunk.status();
      if (!chunk->has_value()) break;
      RAFTKV_RETURN_IF_ERROR((*restorer)->Add(**chunk));
      ++chunks_installed;
    }
    return (*restorer)->Finish();
  };
  PeerServer server(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(server.ok());

  Recorder sender;
  sender.open_source = [&] { return storage::SnapshotSource::Open(source_db->get()); };
  GrpcPeerTransport transport(kCluster, kSender, {{kReceiver, server.address()}},
                              sender.Handlers());
  raftpb::Message snapshot = Msg(kSender, kReceiver, 0, 0, raftpb::MSG_SNAPSHOT);
  snapshot.mutable_snapshot()->mutable_metadata()->set_index(42);
  transport.Send({snapshot});

  ASSERT_TRUE(WaitUntil([&] { return !sender.snapshot_reports().empty(); }));
  const auto reports = sender.snapshot_reports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0], std::make_pair(kReceiver, true));
  EXPECT_GT(chunks_installed, 1);
  const auto target_digest = DigestActiveKeySpace(**target_db);
  ASSERT_TRUE(target_digest.ok());
  EXPECT_EQ(*target_digest, *source_digest);
  const std::vector<raftpb::Message> got = receiver.stepped();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type(), raftpb::MSG_SNAPSHOT);
  EXPECT_EQ(got[0].snapshot().metadata().index(), 42u);
}

TEST(PeerTransportTest, SnapshotToADeadPeerOrWithoutASourceReportsFailure) {
  TempDir dir;
  auto db = OpenTestDatabase(dir.Sub("sender"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(FillGeneration(db->get(), storage::kFirstMvccGeneration, 7, 100, 100).ok());
  const int port = FreePort();
  ASSERT_NE(port, 0);
  Recorder sender;
  sender.open_source = [&] { return storage::SnapshotSource::Open(db->get()); };
  GrpcPeerTransport transport(kCluster, kSender, {{kReceiver, "127.0.0.1:" + std::to_string(port)}},
                              sender.Handlers());
  transport.Send({Msg(kSender, kReceiver, 0, 0, raftpb::MSG_SNAPSHOT)});
  ASSERT_TRUE(WaitUntil([&] { return sender.snapshot_reports().size() == 1; }));
  EXPECT_EQ(sender.snapshot_reports()[0], std::make_pair(kReceiver, false));

  // The next one is accepted again (the previous send finished), and fails without a source.
  sender.open_source = []() -> StatusOr<std::unique_ptr<storage::SnapshotSource>> {
    return Status::IOError("disk gone");
  };
  transport.Send({Msg(kSender, kReceiver, 0, 0, raftpb::MSG_SNAPSHOT)});
  ASSERT_TRUE(WaitUntil([&] { return sender.snapshot_reports().size() == 2; }));
  EXPECT_EQ(sender.snapshot_reports()[1], std::make_pair(kReceiver, false));
}

// A hung peer (TCP accepted, never answered) with a full queue and a snapshot in flight: the
// others still get their messages, the queue stays bounded, and Stop returns promptly, reporting
// the snapshot failed.
TEST(PeerTransportTest, HungPeerStallsNobodyAndStopReturnsPromptly) {
  TempDir dir;
  auto db = OpenTestDatabase(dir.Sub("sender"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(FillGeneration(db->get(), storage::kFirstMvccGeneration, 7, 100, 100).ok());
  BlackHole hung;
  ASSERT_TRUE(hung.ok());
  Recorder receiver;
  PeerServer server(kCluster, kReceiver, receiver.Handlers());
  ASSERT_TRUE(server.ok());
  constexpr uint64_t kHung = 3;
  Recorder sender;
  sender.open_source = [&] { return storage::SnapshotSource::Open(db->get()); };
  auto transport = std::make_unique<GrpcPeerTransport>(
      kCluster, kSender,
      std::map<uint64_t, std::string>{{kReceiver, server.address()}, {kHung, hung.address()}},
      sender.Handlers());

  transport->Send({Msg(kSender, kHung, 0, 0, raftpb::MSG_SNAPSHOT)});
  // A second snapshot while the first is running is refused at once.
  transport->Send({Msg(kSender, kHung, 0, 0, raftpb::MSG_SNAPSHOT)});
  ASSERT_TRUE(WaitUntil([&] { return sender.snapshot_reports().size() == 1; }));
  EXPECT_EQ(sender.snapshot_reports()[0], std::make_pair(kHung, false));

  // One message goes into a batch whose write never completes; then more than the hung peer's
  // queue holds behind it, then a few for the live peer: those arrive.
  transport->Send({Msg(kSender, kHung, 1)});
  ASSERT_TRUE(WaitUntil([&] { return transport->queued_messages(kHung) == 0; }));
  const size_t kMessages = GrpcPeerTransport::kMaxQueuedMessages + 1000;
  for (uint64_t i = 2; i <= kMessages; ++i) transport->Send({Msg(kSender, kHung, i)});
  EXPECT_LE(transport->queued_messages(kHung), GrpcPeerTransport::kMaxQueuedMessages);
  EXPECT_GT(sender.unreachable(kHung), 0);
  for (uint64_t i = 1; i <= 100; ++i) transport->Send({Msg(kSender, kReceiver, i)});
  ASSERT_TRUE(WaitUntil([&] { return receiver.stepped_count() == 100; }));
  EXPECT_EQ(sender.unreachable(kReceiver), 0);

  EXPECT_EQ(sender.snapshot_reports().size(), 1u) << "the snapshot to the hung peer ended";
  const auto start = std::chrono::steady_clock::now();
  transport->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  const auto reports = sender.snapshot_reports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1], std::make_pair(kHung, false));

  // After Stop: Send still returns, a snapshot is still reported, and destruction is clean.
  transport->Send({Msg(kSender, kReceiver, 1), Msg(kSender, kHung, 0, 0, raftpb::MSG_SNAPSHOT)});
  EXPECT_EQ(sender.snapshot_reports().size(), 3u);
  transport.reset();
}

}  // namespace
}  // namespace raftkv::server
