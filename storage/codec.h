// Byte encodings shared by the storage layer: fixed-width big-endian integers (so that RocksDB's
// bytewise key order is numeric order) and protobuf values with a clear error when they do not
// parse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "raft/status.h"

namespace raftkv::storage {

// Appends `v` as 8 big-endian bytes; keys built this way sort in numeric order.
inline void AppendBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

inline std::string BigEndian64(uint64_t v) {
  std::string out;
  AppendBigEndian64(&out, v);
  return out;
}

// Reads 8 big-endian bytes at the start of `in`. Precondition: in.size() >= 8.
inline uint64_t ReadBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

// Parses a protobuf message stored under `what` (a key name used in the error message).
// A value that does not parse is Corruption: nothing on disk is ever silently replaced.
template <typename Message>
Status ParseStored(std::string_view bytes, std::string_view what, Message* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("stored " + std::string(what) + " does not parse (" +
                              std::to_string(bytes.size()) + " bytes)");
  }
  return Status::Ok();
}

}  // namespace raftkv::storage
