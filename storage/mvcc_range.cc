#include "storage/mvcc_range.h"

#include <rocksdb/iterator.h>
#include <rocksdb/slice.h>

#include <algorithm>
#include <vector>

#include "storage/database.h"
#include "storage/mvcc_errors.h"

namespace raftkv::storage::mvcc {
namespace {

using etcdserverpb::RangeRequest;

Status DamagedEntry(std::string_view what, std::string_view key) {
  return Status::Corruption("mvcc: damaged " + std::string(what) + " in the key space (" +
                            std::to_string(key.size()) + "-byte key)");
}

std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// Whether `kv` is dropped by the request's min/max revision filters (0 = no filter).
bool Filtered(const RangeRequest& r, const mvccpb::KeyValue& kv) {
  return (r.max_mod_revision() != 0 && kv.mod_revision() > r.max_mod_revision()) ||
         (r.min_mod_revision() != 0 && kv.mod_revision() < r.min_mod_revision()) ||
         (r.max_create_revision() != 0 && kv.create_revision() > r.max_create_revision()) ||
         (r.min_create_revision() != 0 && kv.create_revision() < r.min_create_revision());
}

// Sorts kvs (in key order on entry) by `target`; equal elements keep key order. Unknown
// targets leave the order as it is (etcd has no sorter for them).
void SortKvs(RangeRequest::SortTarget target, bool descend, std::vector<mvccpb::KeyValue>* kvs) {
  auto sort_by = [&](auto field) {
    if (descend) {
      std::stable_sort(kvs->begin(), kvs->end(),
                       [&](const auto& a, const auto& b) { return field(b) < field(a); });
    } else {
      std::stable_sort(kvs->begin(), kvs->end(),
                       [&](const auto& a, const auto& b) { return field(a) < field(b); });
    }
  };
  switch (target) {
    case RangeRequest::KEY:
      sort_by([](const mvccpb::KeyValue& kv) -> const std::string& { return kv.key(); });
      break;
    case RangeRequest::VERSION:
      sort_by([](const mvccpb::KeyValue& kv) { return kv.version(); });
      break;
    case RangeRequest::CREATE:
      sort_by([](const mvccpb::KeyValue& kv) { return kv.create_revision(); });
      break;
    case RangeRequest::MOD:
      sort_by([](const mvccpb::KeyValue& kv) { return kv.mod_revision(); });
      break;
    case RangeRequest::VALUE:
      sort_by([](const mvccpb::KeyValue& kv) -> const std::string& { return kv.value(); });
      break;
    default:
      break;
  }
}

}  // namespace

KeyRange MakeKeyRange(uint64_t generation, std::string_view key, std::string_view range_end) {
  KeyRange range;
  range.lower = KeyPrefix(generation, key);
  if (range_end.empty()) {
    range.upper = NextUserKey(range.lower);
    range.one_user_key = true;
  } else if (range_end == std::string_view("\0", 1)) {
    range.upper = GenerationEnd(generation);
  } else {
    range.upper = KeyPrefix(generation, range_end);
    range.empty = range_end <= key;
  }
  return range;
}

StatusOr<mvccpb::KeyValue> ToKeyValue(const LiveVersion& live) {
  mvccpb::KeyValue kv;
  if (!DecodeUserKey(live.key_prefix, kv.mutable_key())) {
    return DamagedEntry("key", live.key_prefix);
  }
  kv.set_create_revision(live.record.create_revision);
  kv.set_mod_revision(live.mod_revision);
  kv.set_version(live.record.version);
  kv.set_value(std::string(live.record.value));
  kv.set_lease(live.record.lease);
  return kv;
}

Status VisitLive(VersionSource& source, const KeyRange& range, int64_t revision,
                 const std::function<bool(const LiveVersion&)>& visit) {
  if (range.empty) return Status::Ok();
  const rocksdb::Slice upper(range.upper);
  std::unique_ptr<rocksdb::Iterator> it = source.NewIterator(&upper, range.one_user_key);
  // One user key: straight to its newest version at or below `revision` (a version key, which is
  // what a one-key iterator may be asked to seek).
  it->Seek(range.one_user_key ? VersionKeyFromPrefix(range.lower, revision) : range.lower);
  while (it->Valid()) {
    const std::string_view stored = View(it->key());
    if (stored >= std::string_view(range.upper)) break;
    ParsedVersionKey parsed;
    if (!ParseVersionKey(stored, &parsed)) return DamagedEntry("version key", stored);
    if (parsed.revision > revision) {
      // Newer than the read: jump to this key's newest version at or below `revision` (or, if
      // it has none, to the next user key).
      it->Seek(VersionKeyFromPrefix(parsed.key_prefix, revision));
      continue;
    }
    LiveVersion live;
    if (!DecodeRecord(View(it->value()), &live.record)) return DamagedEntry("record", stored);
    if (!live.record.tombstone) {
      live.key_prefix = parsed.key_prefix;
      live.mod_revision = parsed.revision;
      if (!visit(live)) return Status::Ok();
    }
    // Older versions of the same key are hidden behind this one: go to the next user key, the
    // first key after all of them (copied: Next() invalidates the view). When that is already
    // past the range -- always, for a single-key range -- the visit is over, with no Next()
    // and no second seek.
    const std::string next_user_key = NextUserKey(parsed.key_prefix);
    if (next_user_key >= range.upper) break;
    it->Next();
    if (it->Valid() && View(it->key()) < std::string_view(next_user_key)) {
      it->Seek(next_user_key);
    }
  }
  return FromRocks(it->status(), "mvcc: reading the key space");
}

Status CollectLive(VersionSource& source, const KeyRange& range, int64_t revision, int64_t max_kvs,
                   std::vector<mvccpb::KeyValue>* kvs, int64_t* count) {
  *count = 0;
  Status error;
  RAFTKV_RETURN_IF_ERROR(VisitLive(source, range, revision, [&](const LiveVersion& live) {
    ++*count;
    if (kvs != nullptr && (max_kvs <= 0 || static_cast<int64_t>(kvs->size()) < max_kvs)) {
      StatusOr<mvccpb::KeyValue> kv = ToKeyValue(live);
      if (!kv.ok()) {
        error = kv.status();
        return false;
      }
      kvs->push_back(std::move(kv).value());
    }
    return true;
  }));
  return error;
}

StatusOr<etcdserverpb::RangeResponse> ExecuteRange(VersionSource& source, const ReadView& view,
                                                   const RangeRequest& r) {
  int64_t revision = r.revision();
  if (revision > view.current) return FutureRevisionError();
  if (revision <= 0) revision = view.current;
  if (revision < view.compacted) return CompactedError();

  const bool filtered = r.min_mod_revision() != 0 || r.max_mod_revision() != 0 ||
                        r.min_create_revision() != 0 || r.max_create_revision() != 0;
  // Sorting and filtering need every key; otherwise one more than the limit tells `more`.
  int64_t fetch = r.limit();
  if (r.sort_order() != RangeRequest::NONE || filtered) fetch = 0;
  if (fetch > 0) ++fetch;

  std::vector<mvccpb::KeyValue> kvs;
  int64_t count = 0;
  RAFTKV_RETURN_IF_ERROR(CollectLive(source, MakeKeyRange(view.generation, r.key(), r.range_end()),
                                     revision, fetch, r.count_only() ? nullptr : &kvs, &count));
  if (filtered) {
    std::erase_if(kvs, [&](const mvccpb::KeyValue& kv) { return Filtered(r, kv); });
  }
  RangeRequest::SortOrder order = r.sort_order();
  if (r.sort_target() != RangeRequest::KEY && order == RangeRequest::NONE) {
    order = RangeRequest::ASCEND;
  }
  if (order == RangeRequest::ASCEND || order == RangeRequest::DESCEND) {
    SortKvs(r.sort_target(), order == RangeRequest::DESCEND, &kvs);
  }

  etcdserverpb::RangeResponse response;
  if (r.limit() > 0 && static_cast<int64_t>(kvs.size()) > r.limit()) {
    kvs.resize(static_cast<size_t>(r.limit()));
    response.set_more(true);
  }
  response.mutable_header()->set_revision(view.current);
  response.set_count(count);
  response.mutable_kvs()->Reserve(static_cast<int>(kvs.size()));
  for (mvccpb::KeyValue& kv : kvs) {
    if (r.keys_only()) kv.clear_value();
    *response.add_kvs() = std::move(kv);
  }
  return response;
}

}  // namespace raftkv::storage::mvcc
