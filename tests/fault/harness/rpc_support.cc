#include "tests/fault/harness/rpc_support.h"

#include <chrono>

namespace raftkv::fault::harness {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

Outcome WriteErrorOutcome(const grpc::Status& status) {
  const std::string& message = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      (message == "etcdserver: no leader" || message == "etcdserver: leader changed" ||
       message.find("failed to connect") != std::string::npos)) {
    return Outcome::kFail;
  }
  return Outcome::kUnknown;
}

}  // namespace raftkv::fault::harness
