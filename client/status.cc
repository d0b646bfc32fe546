// Names of error codes and the printable form of a Status (client/include/raftkv/client.h).
#include "raftkv/client.h"

namespace raftkv::client {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kInvalidArgument:
      return "InvalidArgument";
    case ErrorCode::kCompacted:
      return "Compacted";
    case ErrorCode::kFutureRevision:
      return "FutureRevision";
    case ErrorCode::kNoLeader:
      return "NoLeader";
    case ErrorCode::kUnavailable:
      return "Unavailable";
    case ErrorCode::kDeadlineExceeded:
      return "DeadlineExceeded";
    case ErrorCode::kUnknownOutcome:
      return "UnknownOutcome";
    case ErrorCode::kNoSpace:
      return "NoSpace";
    case ErrorCode::kUnimplemented:
      return "Unimplemented";
    case ErrorCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string text(ErrorCodeName(code_));
  text += ": ";
  text += message_;
  return text;
}

}  // namespace raftkv::client
