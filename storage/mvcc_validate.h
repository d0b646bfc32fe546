// Checks of KV requests that etcd 3.4's gRPC layer makes before a request is proposed
// (etcdserver/api/v3rpc/key.go), with etcd's exact messages. Pure functions: they look only at
// the request, never at the store. A request that passes may still fail when applied (a future
// or compacted revision, a missing key for ignore_value); the store checks that itself, and it
// also copes with requests that skipped these checks.
#pragma once

#include <cstddef>

#include "proto/etcd/rpc.pb.h"
#include "raft/status.h"

namespace raftkv::storage::mvcc {

// etcd's --max-txn-ops default.
inline constexpr int kDefaultMaxTxnOps = 128;
// etcd's --max-request-bytes default (1.5 MiB).
inline constexpr size_t kDefaultMaxRequestBytes = 1536 * 1024;

// Empty key: "etcdserver: key is not provided". Sort order or sort target outside the enums:
// InvalidArgument "etcdserver: invalid sort option" (etcd itself has no check and no message
// for these: an unknown target makes its Range fail without an answer).
Status ValidateRange(const etcdserverpb::RangeRequest& request);
// Empty key; ignore_value with a value ("etcdserver: value is provided"); ignore_lease with a
// lease ("etcdserver: lease is provided").
Status ValidatePut(const etcdserverpb::PutRequest& request);
// Empty key.
Status ValidateDeleteRange(const etcdserverpb::DeleteRangeRequest& request);
// More compares or operations in one list than `max_txn_ops` ("etcdserver: too many
// operations in txn request"; a nested transaction is allowed what its parent leaves), empty
// keys in compares and operations, an empty operation ("etcdserver: key not found"), and a key
// put twice or put and deleted in one transaction, nested transactions included
// ("etcdserver: duplicate key given in txn request"). Operations in both branches of one
// transaction may touch the same key.
Status ValidateTxn(const etcdserverpb::TxnRequest& request, int max_txn_ops = kDefaultMaxTxnOps);
// etcd checks nothing in a compaction request before applying it.
Status ValidateCompaction(const etcdserverpb::CompactionRequest& request);
// A request of `bytes` serialized bytes larger than `max_request_bytes`:
// "etcdserver: request is too large".
Status ValidateRequestSize(size_t bytes, size_t max_request_bytes = kDefaultMaxRequestBytes);

}  // namespace raftkv::storage::mvcc
