// Generations of the MVCC key space: every key the MVCC store keeps in Family::kMvccKv and
// Family::kMvccMeta starts with BigEndian64(generation) (layout: mvcc_keys.h). The active
// generation is recorded in Family::kNodeMeta under mvcc::kGenerationPointerKey (absent =
// mvcc::kFirstGeneration). A snapshot restore
// writes a whole new generation beside the active one and then switches the pointer in one
// synced write, so a crash leaves either the old key space or the new one, never a mix.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "raft/status.h"
#include "storage/database.h"
#include "storage/mvcc_keys.h"

namespace rocksdb {
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace raftkv::storage {

inline constexpr uint64_t kFirstMvccGeneration = mvcc::kFirstGeneration;
// Generations stay below this (one per restore: unreachable in practice), so that the prefix of
// the next generation is always a valid exclusive bound.
inline constexpr uint64_t kMaxMvccGeneration = uint64_t{1} << 62;

// The active generation, read at `snapshot` (null = the latest state).
StatusOr<uint64_t> ReadActiveGeneration(const Database& db,
                                        const rocksdb::Snapshot* snapshot = nullptr);

// Adds to `batch` the switch of the active generation to `generation`.
[[nodiscard]] Status PutActiveGeneration(const Database& db, uint64_t generation,
                                         rocksdb::WriteBatch* batch);

// Adds to `batch` range deletions of every key of `generation` in both MVCC families.
[[nodiscard]] Status DeleteGeneration(const Database& db, uint64_t generation,
                                      rocksdb::WriteBatch* batch);

// Adds to `batch` range deletions of every generation but `keep` in both MVCC families
// (leftovers of an interrupted restore).
[[nodiscard]] Status DeleteGenerationsExcept(const Database& db, uint64_t keep,
                                             rocksdb::WriteBatch* batch);

}  // namespace raftkv::storage
