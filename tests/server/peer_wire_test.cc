// The raw peer stream's wire format (server/peer_wire.h): the hello, telling it from HTTP/2, and
// cutting a byte stream into batches whatever pieces it arrives in.
#include "server/peer_wire.h"

#include <gtest/gtest.h>

#include <string>

namespace raftkv::server {
namespace {

peerpb::MessageBatch Batch(uint64_t cluster, uint64_t first_index, int messages) {
  peerpb::MessageBatch batch;
  batch.set_cluster_id(cluster);
  for (int i = 0; i < messages; ++i) {
    raftpb::Message* m = batch.add_messages();
    m->set_type(raftpb::MSG_APPEND);
    m->set_to(2);
    m->set_index(first_index + i);
    m->add_entries()->set_data(std::string(100, 'v'));
  }
  return batch;
}

TEST(PeerWireTest, HelloRoundTripsAndStartsWithTheMagic) {
  const std::string bytes = EncodePeerHello(PeerHello{0x1234567890abcdefULL, 0xfeedULL});
  ASSERT_EQ(bytes.size(), kPeerHelloBytes);
  EXPECT_EQ(bytes.substr(0, 8), kPeerStreamMagic);
  StatusOr<PeerHello> hello = DecodePeerHello(bytes);
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  EXPECT_EQ(hello->cluster_id, 0x1234567890abcdefULL);
  EXPECT_EQ(hello->from, 0xfeedULL);
}

TEST(PeerWireTest, HelloOfAnotherMagicOrLengthIsRefused) {
  std::string bytes = EncodePeerHello(PeerHello{1, 2});
  EXPECT_FALSE(DecodePeerHello(bytes.substr(0, kPeerHelloBytes - 1)).ok());
  EXPECT_FALSE(DecodePeerHello(bytes + "x").ok());
  bytes[0] = 'X';
  StatusOr<PeerHello> hello = DecodePeerHello(bytes);
  ASSERT_FALSE(hello.ok());
  EXPECT_EQ(hello.status().code(), StatusCode::kInvalidArgument);
}

// The listener routes by these first bytes: HTTP/2's client preface must never look like ours.
TEST(PeerWireTest, RawStreamIsToldApartFromHttp2ByItsFirstBytes) {
  EXPECT_FALSE(MayBePeerStream("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
  EXPECT_FALSE(MayBePeerStream("P"));
  EXPECT_FALSE(MayBePeerStream("GET / HTTP/1.1"));
  EXPECT_TRUE(MayBePeerStream(""));
  EXPECT_TRUE(MayBePeerStream("RKV"));
  EXPECT_TRUE(MayBePeerStream(kPeerStreamMagic));
  EXPECT_TRUE(MayBePeerStream(EncodePeerHello(PeerHello{1, 2})));
  EXPECT_FALSE(MayBePeerStream("RKVRAFT2"));
}

TEST(PeerWireTest, BatchesComeOutWholeAndInOrderWhateverPiecesTheBytesArriveIn) {
  std::string stream;
  for (int b = 0; b < 3; ++b) AppendPeerFrame(Batch(7, 10 * b, b + 1), &stream);
  AppendPeerFrame(peerpb::MessageBatch(), &stream);  // an empty batch is a 4-byte frame

  PeerFrameReader reader;
  std::vector<peerpb::MessageBatch> got;
  for (char byte : stream) {  // one byte at a time: the worst split there is
    reader.Append(std::string_view(&byte, 1));
    while (true) {
      auto next = reader.Next();
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      if (!next->has_value()) break;
      got.push_back(std::move(**next));
    }
  }
  ASSERT_EQ(got.size(), 4u);
  for (int b = 0; b < 3; ++b) {
    EXPECT_EQ(got[b].cluster_id(), 7u);
    ASSERT_EQ(got[b].messages_size(), b + 1);
    EXPECT_EQ(got[b].messages(0).index(), 10u * b);
    EXPECT_EQ(got[b].messages(b).entries(0).data(), std::string(100, 'v'));
  }
  EXPECT_EQ(got[3].messages_size(), 0);
  EXPECT_EQ(reader.buffered(), 0u);

  // All of it at once gives the same batches.
  PeerFrameReader whole;
  whole.Append(stream);
  int batches = 0;
  while (true) {
    auto next = whole.Next();
    ASSERT_TRUE(next.ok());
    if (!next->has_value()) break;
    ++batches;
  }
  EXPECT_EQ(batches, 4);
}

TEST(PeerWireTest, FrameOverTheLimitIsRefusedBeforeItsBytesArrive) {
  const uint32_t length = kMaxPeerFrameBytes + 1;
  std::string header;
  for (int i = 0; i < 4; ++i) header.push_back(static_cast<char>(length >> (8 * i)));
  PeerFrameReader reader;
  reader.Append(header);
  auto next = reader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(next.status().message().find("over the limit"), std::string::npos);
}

TEST(PeerWireTest, FrameThatDoesNotParseIsRefused) {
  PeerFrameReader reader;
  reader.Append(std::string("\x03\x00\x00\x00\xff\xff\xff", 7));
  auto next = reader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace raftkv::server
