#include "client/endpoints.h"

#include <algorithm>
#include <cctype>

namespace raftkv::client::internal {
namespace {

// gRPC's reconnect backoff after a failed connect starts at 1 s and grows to 120 s; a member
// that restarts should be usable again within about a second.
constexpr int kInitialReconnectBackoffMs = 100;
constexpr int kMaxReconnectBackoffMs = 1000;
// How long WhyNotConnected waits for gRPC's account of a failed connect.
constexpr std::chrono::milliseconds kProbeTimeout{200};

Status Invalid(std::string_view endpoint, std::string_view why) {
  return Status(ErrorCode::kInvalidArgument,
                "invalid endpoint \"" + std::string(endpoint) + "\": " + std::string(why));
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kInitialReconnectBackoffMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  // As etcd's clientv3: answers may be as large as the server sends.
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

// The last part of a gRPC connect error ("...: Connection refused" -> "connection refused").
std::string ShortReason(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return "connect timed out";
  std::string message = status.error_message();
  const size_t colon = message.rfind(": ");
  if (colon != std::string::npos) message = message.substr(colon + 2);
  if (message.empty()) return "not connected";
  message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  return message;
}

}  // namespace

std::chrono::system_clock::time_point ToGrpcDeadline(Clock::time_point deadline) {
  const auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
}

Result<std::string> NormalizeEndpoint(std::string_view endpoint) {
  std::string_view rest = endpoint;
  if (rest.starts_with("https://")) {
    return Invalid(endpoint, "TLS is not supported (use http:// or host:port)");
  }
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.find("://") != std::string_view::npos) {
    return Invalid(endpoint, "only http:// endpoints are supported");
  }
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.empty()) return Invalid(endpoint, "empty");
  if (std::any_of(rest.begin(), rest.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)) || c == '/'; })) {
    return Invalid(endpoint, "expected host:port");
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return Invalid(endpoint, "missing :port");
  const std::string_view host = rest.substr(0, colon);
  const std::string_view port = rest.substr(colon + 1);
  if (host.empty() || host == "[]") return Invalid(endpoint, "missing host");
  if (host.front() == '[' ? host.back() != ']'
                          : host.find_first_of("[]:") != std::string_view::npos) {
    return Invalid(endpoint, "malformed host (write IPv6 addresses as [addr]:port)");
  }
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    return Invalid(endpoint, "the port must be a number");
  }
  const int number = std::stoi(std::string(port));
  if (number < 1 || number > 65535) return Invalid(endpoint, "the port must be in 1..65535");
  return std::string(rest);
}

Endpoint::Endpoint(std::string address)
    : address_(std::move(address)),
      channel_(NewChannel(address_)),
      kv_(etcdserverpb::KV::NewStub(channel_)),
      cluster_(etcdserverpb::Cluster::NewStub(channel_)),
      maintenance_(etcdserverpb::Maintenance::NewStub(channel_)) {}

std::optional<std::string> Endpoint::WaitConnected(Clock::time_point deadline) const {
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      return WhyNotConnected(deadline);
    }
    if (!channel_->WaitForStateChange(state, ToGrpcDeadline(deadline))) {
      return "not connected before the dial timeout";
    }
    state = channel_->GetState(/*try_to_connect=*/true);
  }
  return std::nullopt;
}

std::optional<std::string> Endpoint::WhyNotConnected(Clock::time_point deadline) const {
  grpc::ClientContext context;  // fail-fast: fails at once while the channel cannot connect
  context.set_deadline(ToGrpcDeadline(std::min(deadline, Clock::now() + kProbeTimeout)));
  etcdserverpb::StatusResponse ignored;
  const grpc::Status status = maintenance_->Status(&context, {}, &ignored);
  if (status.ok() || channel_->GetState(/*try_to_connect=*/false) == GRPC_CHANNEL_READY) {
    return std::nullopt;
  }
  return ShortReason(status);
}

}  // namespace raftkv::client::internal
