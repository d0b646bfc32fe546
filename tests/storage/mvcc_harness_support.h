// MvccHarness: an MvccStore on a Database in a temporary directory, with one-call helpers that
// run a request in its own write batch and commit it at the next raft index, as the apply
// thread does. Used by the tests of storage/mvcc_*.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "proto/etcd/rpc.pb.h"
#include "raft/status.h"
#include "storage/database.h"
#include "storage/mvcc_store.h"
#include "storage/mvcc_write_batch.h"
#include "tests/storage/temp_dir.h"

// Declares `lhs` as the StatusOr that `expr` yields and asserts that it holds a value.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  auto lhs = (expr);                    \
  ASSERT_TRUE(lhs.ok()) << lhs.status().ToString()

namespace raftkv::storage::testing {

// Request builders.
etcdserverpb::PutRequest PutReq(const std::string& key, const std::string& value,
                                int64_t lease = 0);
etcdserverpb::RangeRequest RangeReq(const std::string& key, const std::string& range_end = "",
                                    int64_t revision = 0);
etcdserverpb::DeleteRangeRequest DeleteReq(const std::string& key,
                                           const std::string& range_end = "");
// The range_end that makes [key, end) the keys starting with `prefix` (etcd's GetPrefixRangeEnd:
// the last byte below 0xff raised by one, trailing 0xff bytes dropped; "\0" if all are 0xff).
std::string PrefixEnd(const std::string& prefix);
// The keys of a range response, in order.
std::vector<std::string> Keys(const etcdserverpb::RangeResponse& response);

class MvccHarness {
 public:
  explicit MvccHarness(MvccOptions options = {});
  ~MvccHarness();

  MvccStore& store() { return *store_; }
  Database& db() { return *db_; }
  // The raft index for the next commit, for callers that commit batches themselves.
  uint64_t TakeIndex() { return next_index_++; }

  // Runs `fn` in a new batch and commits it at the next raft index (even when `fn` failed: a failed
  // request is still an applied entry). Returns the first error of fn or of the commit.
  Status Apply(const std::function<Status(MvccWriteBatch&)>& fn);

  StatusOr<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& request);
  StatusOr<etcdserverpb::PutResponse> Put(const std::string& key, const std::string& value);
  StatusOr<etcdserverpb::DeleteRangeResponse> Delete(
      const etcdserverpb::DeleteRangeRequest& request);
  StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  StatusOr<etcdserverpb::CompactionResponse> Compact(int64_t revision);
  // A read of the committed state (MvccStore::Range).
  StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);

  // Closes the store and the database and opens both again on the same directory (with
  // `options`, when given, from then on).
  Status Reopen(std::optional<MvccOptions> options = std::nullopt);

 private:
  Status Open();

  MvccOptions options_;
  TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<MvccStore> store_;
  uint64_t next_index_ = 1;
};

}  // namespace raftkv::storage::testing
