// The raw peer stream: how kvd carries raft messages between members over plain TCP, on the
// member's peer port, beside gRPC (which keeps snapshots). A connection is one-way: the
// connecting member writes, the accepting member only reads.
//
//   hello:  kPeerStreamMagic (8 bytes), then the sender's cluster id and member id (8 bytes
//           each, little-endian) -- kPeerHelloBytes in all;
//   frames: a 4-byte little-endian length, then a serialized peerpb::MessageBatch of that many
//           bytes (at most kMaxPeerFrameBytes).
//
// The magic differs from HTTP/2's client preface ("PRI * HTTP/2.0..."), so the listener tells
// the two apart from the first bytes (server/peer_listener.h). These functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/peer.pb.h"
#include "raft/status.h"

namespace raftkv::server {

inline constexpr std::string_view kPeerStreamMagic = "RKVRAFT1";
inline constexpr size_t kPeerHelloBytes = 24;
// A frame's batch may not exceed this (a sender cuts batches well below it).
inline constexpr uint32_t kMaxPeerFrameBytes = 64u << 20;

// The identity a raw peer stream opens with.
struct PeerHello {
  uint64_t cluster_id = 0;
  uint64_t from = 0;
};

std::string EncodePeerHello(const PeerHello& hello);
// Decodes the kPeerHelloBytes a stream opened with; InvalidArgument if they are not a hello.
[[nodiscard]] StatusOr<PeerHello> DecodePeerHello(std::string_view bytes);

// Whether `prefix` (the first bytes of a connection, possibly fewer than the magic's 8) could
// still be the start of a raw peer stream.
bool MayBePeerStream(std::string_view prefix);

// Appends `batch` as one frame to `out`.
void AppendPeerFrame(const peerpb::MessageBatch& batch, std::string* out);

// Cuts a byte stream into batches. Bytes go in as they arrive, in any pieces; batches come out
// whole and in order. After an error the stream is unusable (the connection must be closed).
class PeerFrameReader {
 public:
  void Append(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole batch, or nullopt if its bytes have not all arrived. InvalidArgument for a
  // frame longer than kMaxPeerFrameBytes or a batch that does not parse.
  [[nodiscard]] StatusOr<std::optional<peerpb::MessageBatch>> Next();
  // Bytes received and not yet returned as a batch.
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  // Received bytes; the first `consumed_` of them are already returned. Invariant: consumed_ <=
  // buffer_.size(); the consumed prefix is dropped once it is most of the buffer.
  std::string buffer_;
  size_t consumed_ = 0;
};

}  // namespace raftkv::server
