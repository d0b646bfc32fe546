#include "client/grpc_errors.h"

#include <string_view>

namespace raftkv::client::internal {
namespace {

constexpr std::string_view kNoLeader = "etcdserver: no leader";
constexpr std::string_view kLeaderChanged = "etcdserver: leader changed";

bool Contains(const grpc::Status& status, std::string_view text) {
  return status.error_message().find(text) != std::string::npos;
}

}  // namespace

bool IsNoLeader(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE &&
         status.error_message() == kNoLeader;
}

Status FromGrpcStatus(const grpc::Status& status) {
  const std::string& message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return Status();
    case grpc::StatusCode::INVALID_ARGUMENT:
      return Status(ErrorCode::kInvalidArgument, message);
    case grpc::StatusCode::OUT_OF_RANGE:
      if (Contains(status, "required revision has been compacted")) {
        return Status(ErrorCode::kCompacted, message);
      }
      if (Contains(status, "required revision is a future revision")) {
        return Status(ErrorCode::kFutureRevision, message);
      }
      return Status(ErrorCode::kInvalidArgument, message);  // e.g. "too large lease TTL"
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      if (Contains(status, "database space exceeded")) return Status(ErrorCode::kNoSpace, message);
      return Status(ErrorCode::kUnavailable, message);  // "too many requests", message too big
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status(ErrorCode::kUnimplemented,
                    message.empty() ? "the server does not implement this call" : message);
    case grpc::StatusCode::UNAVAILABLE:
      return Status(IsNoLeader(status) ? ErrorCode::kNoLeader : ErrorCode::kUnavailable, message);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status(ErrorCode::kDeadlineExceeded, message);
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return Status(ErrorCode::kInvalidArgument, message);
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    default:
      break;
  }
  return Status(ErrorCode::kInternal, message);
}

bool ReadMayRetry(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

bool ProvesNotApplied(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE &&
         (status.error_message() == kNoLeader || status.error_message() == kLeaderChanged);
}

bool IsDefiniteRefusal(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      // The server's quota and rate refusals; gRPC's own (an answer too large to receive) may
      // come after the write was applied.
      return status.error_message().starts_with("etcdserver: ");
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return true;
    default:
      return false;
  }
}

}  // namespace raftkv::client::internal
