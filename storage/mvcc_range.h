// Reading the MVCC key space at a revision: the part shared by readers on any thread
// (MvccStore::Range) and by the apply thread inside a write batch (MvccWriteBatch), which
// differ only in where their iterators come from (VersionSource).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "proto/etcd/rpc.pb.h"
#include "raft/status.h"
#include "storage/mvcc_keys.h"

namespace rocksdb {
class Iterator;
class Slice;
}  // namespace rocksdb

namespace raftkv::storage::mvcc {

// A point-in-time view of Family::kMvccKv to iterate over.
class VersionSource {
 public:
  virtual ~VersionSource() = default;
  // A new iterator over Family::kMvccKv. `upper_bound` (may be null) must outlive it; entries
  // at or above it may or may not be shown (callers check bounds themselves). With
  // `one_user_key`, the caller seeks only version keys of one user key and reads no further than
  // that key's versions, which lets the iterator skip table files that hold none of them
  // (storage/mvcc_prefix_extractor.h); otherwise it shows every key in order.
  virtual std::unique_ptr<rocksdb::Iterator> NewIterator(const rocksdb::Slice* upper_bound,
                                                         bool one_user_key) = 0;
};

// The encoded bounds of a user-key range, [lower, upper).
struct KeyRange {
  std::string lower;
  std::string upper;
  bool empty = false;         // nothing can be in it (range_end <= key)
  bool one_user_key = false;  // just the user key of `lower` (etcd's empty range_end)
};
// etcd's range conventions: range_end empty = just `key`; range_end "\0" = every key >= key;
// otherwise [key, range_end).
KeyRange MakeKeyRange(uint64_t generation, std::string_view key, std::string_view range_end);

// The version of a user key visible at some revision, as found on disk (views are valid only
// during the callback that receives it).
struct LiveVersion {
  std::string_view key_prefix;  // see mvcc_keys.h
  int64_t mod_revision = 0;
  VersionRecord record;  // never a tombstone
};
// The client's view of a live version.
StatusOr<mvccpb::KeyValue> ToKeyValue(const LiveVersion& live);

// Calls `visit` for every user key in `range` that is live (exists and is not deleted) at
// `revision`, in key order, until it returns false. Corruption on damaged entries.
Status VisitLive(VersionSource& source, const KeyRange& range, int64_t revision,
                 const std::function<bool(const LiveVersion&)>& visit);

// The keys live at `revision` in `range`: at most `max_kvs` of them (<= 0: all) into *kvs
// (may be null to only count), and how many there are in all into *count.
Status CollectLive(VersionSource& source, const KeyRange& range, int64_t revision, int64_t max_kvs,
                   std::vector<mvccpb::KeyValue>* kvs, int64_t* count);

// The revisions a read may see: `current` is the store revision the reader observes (its
// response header revision), `compacted` the compacted revision (-1 for never).
struct ReadView {
  uint64_t generation = kFirstGeneration;
  int64_t current = 1;
  int64_t compacted = -1;
};

// etcd 3.4's Range (etcdserver/apply.go and mvcc rangeKeys): revision checks (future /
// compacted), limit with `more` and `count`, min/max mod/create revision filters, sort
// (ASCEND by default when the target is not KEY; ties keep key order), keys_only, count_only.
// The header carries only the revision.
StatusOr<etcdserverpb::RangeResponse> ExecuteRange(VersionSource& source, const ReadView& view,
                                                   const etcdserverpb::RangeRequest& request);

}  // namespace raftkv::storage::mvcc
