// Helpers for snapshot tests: fill a generation of the MVCC families with recognisable data, and
// summarise a database's active key space as the (record count, checksum) a SnapshotSource
// reports, so two key spaces can be compared whatever their generation numbers.
#pragma once

#include <cstdint>
#include <string>

#include "raft/status.h"
#include "storage/database.h"

namespace raftkv::storage::testing {

// What a key space streams as: equal digests mean equal contents.
struct KeySpaceDigest {
  uint64_t records = 0;
  uint64_t checksum = 0;
  bool operator==(const KeySpaceDigest&) const = default;
};

// Writes `keys` keys with `value_bytes`-byte values into kMvccKv, and two bookkeeping keys into
// kMvccMeta, all under `generation`. Contents depend only on (seed, keys, value_bytes); values
// are pseudo-random so they do not compress. Not synced.
[[nodiscard]] Status FillGeneration(Database* db, uint64_t generation, uint64_t seed, uint64_t keys,
                                    size_t value_bytes);

// Streams the active generation of `db` through a SnapshotSource and returns its totals.
StatusOr<KeySpaceDigest> DigestActiveKeySpace(const Database& db);

// Opens a Database in `dir` without an identity (tests and helper programs).
StatusOr<std::unique_ptr<Database>> OpenTestDatabase(const std::string& dir);

}  // namespace raftkv::storage::testing
