// On-disk layout of the durable raft log (storage/raft_log_store.h), in two column families:
//
//   Family::kRaftLog:   BigEndian64(index)  -> raftpb::Entry (whose own index equals the key)
//   Family::kRaftMeta:  kHardStateKey       -> raftpb::HardState
//                       kConfStateKey       -> raftpb::ConfState
//                       kSnapshotKey        -> raftpb::Snapshot (metadata and its opaque data)
//                       kCompactedKey       -> raftpb::Entry with only index and term set: the
//                                              last entry removed from the front of the log
//                                              (FirstIndex() - 1), so Term() stays answerable
//                                              there after the entry itself is gone.
// A missing meta key means the default (empty) message: a new log has none of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/raft.pb.h"
#include "raft/status.h"
#include "storage/codec.h"

namespace raftkv::storage {

inline constexpr std::string_view kHardStateKey = "hard_state";
inline constexpr std::string_view kConfStateKey = "conf_state";
inline constexpr std::string_view kSnapshotKey = "snapshot";
inline constexpr std::string_view kCompactedKey = "compacted";

// Size in bytes of a key of Family::kRaftLog.
inline constexpr size_t kLogKeySize = 8;

// The kRaftLog key of the entry at `index`; keys sort in index order.
inline std::string LogKey(uint64_t index) { return BigEndian64(index); }

// The index a kRaftLog key stands for, or nothing if the key is not one this store writes.
inline std::optional<uint64_t> ParseLogKey(std::string_view key) {
  if (key.size() != kLogKeySize) return std::nullopt;
  return ReadBigEndian64(key);
}

// The entry stored under the key of `index`: Corruption if `value` does not parse or is another
// entry.
inline StatusOr<raftpb::Entry> DecodeEntry(uint64_t index, std::string_view value) {
  raftpb::Entry entry;
  Status parsed = ParseStored(value, "raft log entry " + std::to_string(index), &entry);
  if (!parsed.ok()) return parsed;
  if (entry.index() != index) {
    return Status::Corruption("raft log: the entry stored under index " + std::to_string(index) +
                              " says it is entry " + std::to_string(entry.index()));
  }
  return entry;
}

}  // namespace raftkv::storage
