// MvccWriteBatch: the writes of one or more consecutive committed raft entries, executed on the
// apply thread against the MVCC store and committed in one RocksDB write (MvccStore::Commit).
//
// Each request (Put, DeleteRange, Txn, Compact, Range) behaves exactly like etcd 3.4's applier
// on a store whose state is the last committed one plus the earlier requests of this batch. A
// request that fails leaves no trace in the batch (it is rolled back to the state before it).
// Nothing of the batch is visible to MvccStore::Range until Commit has written it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/etcd/rpc.pb.h"
#include "raft/status.h"
#include "storage/mvcc_latest_index.h"
#include "storage/mvcc_range.h"

namespace rocksdb {
class WriteBatchBase;
class WriteBatchWithIndex;
}  // namespace rocksdb

namespace raftkv::storage {

class MvccStore;

class MvccWriteBatch {
 public:
  ~MvccWriteBatch();
  MvccWriteBatch(const MvccWriteBatch&) = delete;
  MvccWriteBatch& operator=(const MvccWriteBatch&) = delete;

  // etcd's Put: raises the revision by one. InvalidArgument "etcdserver: key not found" for
  // ignore_value/ignore_lease on a missing key; NotFound for an unknown lease.
  StatusOr<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& request);
  // etcd's DeleteRange: raises the revision by one if it deleted anything.
  StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& request);
  // etcd's Txn: compares, then the chosen branch, all at one revision; raises the revision by
  // one if any operation wrote. Reads inside see the transaction's own earlier writes. Errors
  // (revision checks, missing keys for ignore_*, unknown leases) fail the whole transaction.
  StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  // etcd's Compact: OutOfRange "...has been compacted" at or below the compacted revision,
  // "...is a future revision" above the current one. Logical at once (reads below it fail
  // after Commit); old versions are removed in the background after Commit.
  StatusOr<etcdserverpb::CompactionResponse> Compact(
      const etcdserverpb::CompactionRequest& request);
  // etcd's Range over the batch's state (the last committed state plus this batch's writes).
  StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  // Records (replaces) the member record of `member_id` (see mvcc_keys.h). Does not change the
  // revision: it is not part of the key space clients see.
  [[nodiscard]] Status PutMemberRecord(uint64_t member_id, const std::string& record);

  // The revision after the requests executed so far.
  int64_t revision() const { return revision_; }
  // The compacted revision after the requests executed so far.
  int64_t compacted_revision() const { return compacted_; }

 private:
  friend class MvccStore;
  class Source;
  // The chosen branch of a transaction and, in order, of each nested transaction in it.
  struct TxnPath {
    bool succeeded = false;
    std::vector<TxnPath> nested;
  };

  MvccWriteBatch(MvccStore* store, uint64_t generation, int64_t revision, int64_t compacted);

  // Request framing: every write of a request lands at begin_revision_ + 1.
  void BeginRequest();
  // Keeps (ok) or rolls back (error) the request's writes; returns `status`.
  Status EndRequest(Status status);
  // The revision reads inside the current request see: begin, or begin + 1 after a write.
  int64_t ReadRevision() const { return begin_revision_ + (request_wrote_ ? 1 : 0); }
  mvcc::ReadView View(int64_t current) const;

  // The operations, inside a request (mvcc_write_batch.cc).
  Status ApplyPut(const etcdserverpb::PutRequest& request, etcdserverpb::PutResponse* response);
  Status ApplyDeleteRange(const etcdserverpb::DeleteRangeRequest& request,
                          etcdserverpb::DeleteRangeResponse* response);
  Status ApplyRange(const etcdserverpb::RangeRequest& request,
                    etcdserverpb::RangeResponse* response);
  // The key's live version at ReadRevision() (none if absent or deleted).
  Status GetLive(std::string_view key, std::optional<mvccpb::KeyValue>* kv);
  // The same without the value and at the batch's newest state: from this request's or this
  // batch's own writes when they touched the key, else from the store's LatestIndex.
  Status GetLatest(std::string_view key, mvcc::LatestVersion* latest);
  Status WriteVersion(std::string_view key, const mvcc::VersionRecord& record);
  Status CheckLease(int64_t lease) const;

  // Transactions (mvcc_txn.cc).
  Status EvaluatePath(const etcdserverpb::TxnRequest& request, TxnPath* path);
  Status EvaluateCompare(const etcdserverpb::Compare& compare, bool* holds);
  // etcd's pre-apply checks over the chosen path: of the puts (`puts`: ignore_* on a missing
  // key, unknown leases) or of the ranges (future and compacted revisions).
  Status CheckOps(const etcdserverpb::TxnRequest& request, const TxnPath& path, bool puts);
  Status ApplyTxn(const etcdserverpb::TxnRequest& request, const TxnPath& path,
                  etcdserverpb::TxnResponse* response);

  MvccStore* const store_;
  const uint64_t generation_;
  std::unique_ptr<rocksdb::WriteBatchWithIndex> batch_;
  std::unique_ptr<mvcc::VersionSource> source_;  // a Source: the batch over the DB
  int64_t revision_;                             // the store revision after the requests so far
  int64_t compacted_;                            // the compacted revision after the requests so far
  bool compacted_changed_ = false;               // a Compact in this batch raised compacted_
  // Within a request: the store revision when it began, and whether it wrote anything yet.
  int64_t begin_revision_ = 0;
  bool request_wrote_ = false;
  // The newest version of each key this request (request_latest_) and the requests of the
  // batch before it (batch_latest_) wrote. A request's entries join the batch's when it
  // succeeds and are dropped when it is rolled back; the batch's join the store's LatestIndex
  // when it commits.
  mvcc::LatestVersions request_latest_;
  mvcc::LatestVersions batch_latest_;
  // Set when a request's save point could not be popped or rolled back: Commit refuses the
  // batch (its writes and its LatestIndex entries may disagree).
  Status broken_;
};

}  // namespace raftkv::storage
