#include "server/peer_wire.h"

#include <algorithm>

namespace raftkv::server {
namespace {

void PutLittleEndian(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetLittleEndian(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    v |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  }
  return v;
}

}  // namespace

std::string EncodePeerHello(const PeerHello& hello) {
  std::string out(kPeerStreamMagic);
  PutLittleEndian(hello.cluster_id, 8, &out);
  PutLittleEndian(hello.from, 8, &out);
  return out;
}

StatusOr<PeerHello> DecodePeerHello(std::string_view bytes) {
  if (bytes.size() != kPeerHelloBytes ||
      bytes.substr(0, kPeerStreamMagic.size()) != kPeerStreamMagic) {
    return Status::InvalidArgument("not a raw peer stream hello");
  }
  PeerHello hello;
  hello.cluster_id = GetLittleEndian(bytes.substr(8, 8));
  hello.from = GetLittleEndian(bytes.substr(16, 8));
  return hello;
}

bool MayBePeerStream(std::string_view prefix) {
  const size_t n = std::min(prefix.size(), kPeerStreamMagic.size());
  return prefix.substr(0, n) == kPeerStreamMagic.substr(0, n);
}

void AppendPeerFrame(const peerpb::MessageBatch& batch, std::string* out) {
  const size_t size = batch.ByteSizeLong();
  PutLittleEndian(size, 4, out);
  const size_t start = out->size();
  out->resize(start + size);
  batch.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out->data() + start));
}

StatusOr<std::optional<peerpb::MessageBatch>> PeerFrameReader::Next() {
  const std::string_view rest = std::string_view(buffer_).substr(consumed_);
  if (rest.size() < 4) return std::optional<peerpb::MessageBatch>();
  const uint64_t length = GetLittleEndian(rest.substr(0, 4));
  if (length > kMaxPeerFrameBytes) {
    return Status::InvalidArgument("peer stream: a frame of " + std::to_string(length) +
                                   " bytes is over the limit of " +
                                   std::to_string(kMaxPeerFrameBytes));
  }
  if (rest.size() < 4 + length) return std::optional<peerpb::MessageBatch>();
  peerpb::MessageBatch batch;
  if (!batch.ParseFromArray(rest.data() + 4, static_cast<int>(length))) {
    return Status::InvalidArgument("peer stream: a frame does not parse as a message batch");
  }
  consumed_ += 4 + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return std::optional<peerpb::MessageBatch>(std::move(batch));
}

}  // namespace raftkv::server
