#include "tests/storage/snapshot_support.h"

#include <rocksdb/write_batch.h>

#include <random>

#include "storage/codec.h"
#include "storage/snapshot_stream.h"

namespace raftkv::storage::testing {

Status FillGeneration(Database* db, uint64_t generation, uint64_t seed, uint64_t keys,
                      size_t value_bytes) {
  std::mt19937_64 rng(seed);
  const std::string prefix = BigEndian64(generation);
  rocksdb::WriteBatch batch;
  std::string value(value_bytes, '\0');
  for (uint64_t i = 0; i < keys; ++i) {
    for (size_t j = 0; j < value_bytes; j += 8) {
      const uint64_t word = rng();
      for (size_t b = 0; b < 8 && j + b < value_bytes; ++b) value[j + b] = char(word >> (8 * b));
    }
    const std::string key = prefix + "key/" + std::to_string(seed) + "/" + std::to_string(i);
    RAFTKV_RETURN_IF_ERROR(FromRocks(batch.Put(db->family(Family::kMvccKv), key, value), "fill"));
    if (batch.GetDataSize() > (4 << 20)) {
      RAFTKV_RETURN_IF_ERROR(db->Write(&batch, /*sync=*/false));
      batch.Clear();
    }
  }
  RAFTKV_RETURN_IF_ERROR(FromRocks(
      batch.Put(db->family(Family::kMvccMeta), prefix + "applied", std::to_string(seed)), "fill"));
  RAFTKV_RETURN_IF_ERROR(FromRocks(
      batch.Put(db->family(Family::kMvccMeta), prefix + "keys", std::to_string(keys)), "fill"));
  return db->Write(&batch, /*sync=*/false);
}

StatusOr<KeySpaceDigest> DigestActiveKeySpace(const Database& db) {
  auto source = SnapshotSource::Open(&db);
  if (!source.ok()) return source.status();
  while (true) {
    auto chunk = (*source)->Next();
    if (!chunk.ok()) return chunk.status();
    if (chunk->last()) return KeySpaceDigest{chunk->total_records(), chunk->checksum()};
  }
}

StatusOr<std::unique_ptr<Database>> OpenTestDatabase(const std::string& dir) {
  DatabaseOptions options;
  options.data_dir = dir;
  return Database::Open(options);
}

}  // namespace raftkv::storage::testing
