#include "storage/mvcc_generation.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/codec.h"

namespace raftkv::storage {

StatusOr<uint64_t> ReadActiveGeneration(const Database& db, const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  std::string value;
  rocksdb::Status s =
      db.db()->Get(read_options, db.family(Family::kNodeMeta), mvcc::kGenerationPointerKey, &value);
  if (s.IsNotFound()) return kFirstMvccGeneration;
  if (!s.ok()) return FromRocks(s, "reading the active MVCC generation");
  if (value.size() != 8) {
    return Status::Corruption("the active MVCC generation record has " +
                              std::to_string(value.size()) + " bytes, expected 8");
  }
  return ReadBigEndian64(value);
}

Status PutActiveGeneration(const Database& db, uint64_t generation, rocksdb::WriteBatch* batch) {
  return FromRocks(batch->Put(db.family(Family::kNodeMeta), mvcc::kGenerationPointerKey,
                              BigEndian64(generation)),
                   "switching the MVCC generation");
}

Status DeleteGeneration(const Database& db, uint64_t generation, rocksdb::WriteBatch* batch) {
  if (generation >= kMaxMvccGeneration) {
    return Status::Internal("MVCC generation " + std::to_string(generation) + " out of range");
  }
  const std::string begin = BigEndian64(generation);
  const std::string end = BigEndian64(generation + 1);
  for (Family f : {Family::kMvccKv, Family::kMvccMeta}) {
    RAFTKV_RETURN_IF_ERROR(
        FromRocks(batch->DeleteRange(db.family(f), begin, end), "deleting an MVCC generation"));
  }
  return Status::Ok();
}

Status DeleteGenerationsExcept(const Database& db, uint64_t keep, rocksdb::WriteBatch* batch) {
  if (keep >= kMaxMvccGeneration) {
    return Status::Internal("MVCC generation " + std::to_string(keep) + " out of range");
  }
  const std::string keep_begin = BigEndian64(keep);
  const std::string keep_end = BigEndian64(keep + 1);
  for (Family f : {Family::kMvccKv, Family::kMvccMeta}) {
    // Everything below the kept generation, and everything from the next one up to the largest
    // generation there can be.
    if (keep > 0) {
      RAFTKV_RETURN_IF_ERROR(FromRocks(batch->DeleteRange(db.family(f), std::string(), keep_begin),
                                       "deleting stale MVCC generations"));
    }
    RAFTKV_RETURN_IF_ERROR(
        FromRocks(batch->DeleteRange(db.family(f), keep_end, BigEndian64(kMaxMvccGeneration)),
                  "deleting stale MVCC generations"));
  }
  return Status::Ok();
}

}  // namespace raftkv::storage
