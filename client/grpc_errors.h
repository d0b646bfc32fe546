// How the client reads a failed gRPC call: the public ErrorCode it means, and what it proves
// about a request's fate (whether a read may be retried elsewhere, whether a write certainly
// was not applied). Internal to libraftkv_client. Messages are matched by text, as etcd's own
// clients do, against etcd 3.4's texts (rpctypes/error.go), which kvd sends unchanged.
#pragma once

#include <grpcpp/support/status.h>

#include "raftkv/client.h"

namespace raftkv::client::internal {

// The public form of a server's answer, keeping its message: INVALID_ARGUMENT -> kInvalidArgument;
// OUT_OF_RANGE -> kCompacted or kFutureRevision by message; RESOURCE_EXHAUSTED "database space
// exceeded" -> kNoSpace; UNIMPLEMENTED -> kUnimplemented; UNAVAILABLE "etcdserver: no leader" ->
// kNoLeader, other UNAVAILABLE -> kUnavailable; DEADLINE_EXCEEDED -> kDeadlineExceeded; refusals
// of a well-formed request (NOT_FOUND, FAILED_PRECONDITION, PERMISSION_DENIED, ...) ->
// kInvalidArgument; the rest -> kInternal.
Status FromGrpcStatus(const grpc::Status& status);

// Whether a read that failed so may be retried on another endpoint: any UNAVAILABLE (no leader,
// leader changed, request timed out, connection lost) and a DEADLINE_EXCEEDED of one attempt.
bool ReadMayRetry(const grpc::Status& status);

// Whether a failed write is proven not applied: UNAVAILABLE "etcdserver: no leader" or
// "etcdserver: leader changed", which the server answers only when raft refused the proposal.
bool ProvesNotApplied(const grpc::Status& status);

// Whether the server answered the request itself with a definite refusal (the request was
// checked and rejected, so nothing was applied): the codes of etcd's application errors.
bool IsDefiniteRefusal(const grpc::Status& status);

// Whether the answer is "etcdserver: no leader".
bool IsNoLeader(const grpc::Status& status);

}  // namespace raftkv::client::internal
