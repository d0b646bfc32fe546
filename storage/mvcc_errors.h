// The errors of the MVCC key space, with etcd 3.4's exact message texts (clients match errors
// by text). Codes: OutOfRange for revisions outside the kept history (gRPC OUT_OF_RANGE),
// InvalidArgument for malformed requests, NotFound for a missing lease, as etcd answers them.
#pragma once

#include <string_view>

#include "raft/status.h"

namespace raftkv::storage::mvcc {

inline constexpr std::string_view kErrFutureRevision =
    "etcdserver: mvcc: required revision is a future revision";
inline constexpr std::string_view kErrCompacted =
    "etcdserver: mvcc: required revision has been compacted";
inline constexpr std::string_view kErrKeyNotFound = "etcdserver: key not found";
inline constexpr std::string_view kErrLeaseNotFound = "etcdserver: requested lease not found";
inline constexpr std::string_view kErrEmptyKey = "etcdserver: key is not provided";
inline constexpr std::string_view kErrValueProvided = "etcdserver: value is provided";
inline constexpr std::string_view kErrLeaseProvided = "etcdserver: lease is provided";
inline constexpr std::string_view kErrTooManyOps = "etcdserver: too many operations in txn request";
inline constexpr std::string_view kErrDuplicateKey =
    "etcdserver: duplicate key given in txn request";

inline Status FutureRevisionError() { return Status::OutOfRange(std::string(kErrFutureRevision)); }
inline Status CompactedError() { return Status::OutOfRange(std::string(kErrCompacted)); }
inline Status KeyNotFoundError() { return Status::InvalidArgument(std::string(kErrKeyNotFound)); }
inline Status LeaseNotFoundError() { return Status::NotFound(std::string(kErrLeaseNotFound)); }

}  // namespace raftkv::storage::mvcc
