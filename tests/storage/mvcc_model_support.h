// MvccModel: a small in-memory reference of etcd 3.4's MVCC semantics (every version of every
// key in a std::map, nothing ever removed), written independently of storage/mvcc_* so that
// model-based tests can compare the RocksDB store with it request by request.
//
// Formulation (deliberately unlike the store's): a request works on the history; a transaction
// decides every branch (its own and nested ones) and runs its checks against a frozen copy of the
// history taken when it starts, and a failing request restores the copy.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proto/etcd/rpc.pb.h"
#include "raft/status.h"

namespace raftkv::storage::testing {

class MvccModel {
 public:
  StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request) const;
  StatusOr<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& request);
  StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& request);
  StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  StatusOr<etcdserverpb::CompactionResponse> Compact(
      const etcdserverpb::CompactionRequest& request);

  int64_t revision() const { return revision_; }
  int64_t compacted() const { return compacted_; }

 private:
  // One version; `deleted` marks a tombstone (kv then holds only the key).
  struct Version {
    int64_t revision = 0;
    bool deleted = false;
    mvccpb::KeyValue kv;
  };
  using History = std::map<std::string, std::vector<Version>>;  // versions oldest first

  // The key's state at `revision` in `history`, if it is live then.
  static std::optional<mvccpb::KeyValue> At(const History& history, const std::string& key,
                                            int64_t revision);
  static bool InRange(const std::string& key, const std::string& begin, const std::string& end);
  static std::vector<mvccpb::KeyValue> LiveIn(const History& history, const std::string& begin,
                                              const std::string& end, int64_t revision);
  static bool CompareHolds(const History& history, int64_t revision,
                           const etcdserverpb::Compare& compare);

  // Runs one write request: body(&response) at revision_ + 1, kept only if it succeeds.
  template <typename Response, typename Body>
  StatusOr<Response> Request(Body body);
  // The revision reads of the running request see.
  int64_t Now() const { return begin_ + (wrote_ ? 1 : 0); }
  void Record(const std::string& key, Version version);
  StatusOr<etcdserverpb::RangeResponse> RangeAt(const etcdserverpb::RangeRequest& request,
                                                int64_t current) const;
  Status DoPut(const etcdserverpb::PutRequest& request, etcdserverpb::PutResponse* response);
  Status DoDelete(const etcdserverpb::DeleteRangeRequest& request,
                  etcdserverpb::DeleteRangeResponse* response);
  // Walks the branches chosen against `frozen`; `phase` 0 checks puts, 1 checks ranges, 2 runs.
  Status Walk(const History& frozen, const etcdserverpb::TxnRequest& request, int phase,
              etcdserverpb::TxnResponse* response);

  History history_;
  int64_t revision_ = 1;
  int64_t compacted_ = -1;
  int64_t begin_ = 1;   // store revision when the running request began
  bool wrote_ = false;  // the running request wrote something
};

}  // namespace raftkv::storage::testing
