#include "storage/mvcc_prefix_extractor.h"

#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>

#include <string_view>

#include "storage/mvcc_keys.h"

namespace raftkv::storage {
namespace {

constexpr size_t kRevisionBytes = 8;

// Version key -> its KeyPrefix. Pure and stateless, as RocksDB requires.
class VersionKeyPrefixExtractor final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "raftkv.VersionKeyPrefix.1"; }

  // A version key loses its revision. RocksDB's table filters ask InDomain first, but its
  // iterator in prefix_same_as_start mode transforms the seek target and the keys it passes
  // without asking, so any other key maps to itself: never shorter than it is, never a prefix
  // shared with a version key.
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    if (!InDomain(key)) return key;
    return rocksdb::Slice(key.data(), key.size() - kRevisionBytes);
  }

  bool InDomain(const rocksdb::Slice& key) const override {
    return mvcc::IsVersionKey(std::string_view(key.data(), key.size()));
  }
};

}  // namespace

std::shared_ptr<const rocksdb::SliceTransform> NewVersionKeyPrefixExtractor() {
  return std::make_shared<VersionKeyPrefixExtractor>();
}

}  // namespace raftkv::storage
