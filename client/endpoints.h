// Endpoints: parsing what users write ("host:port", "http://host:port") and one gRPC channel per
// endpoint, with the etcd service stubs on it and a way to wait until it is connected. Internal
// to libraftkv_client.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proto/etcd/rpc.grpc.pb.h"
#include "raftkv/client.h"

namespace raftkv::client::internal {

using Clock = std::chrono::steady_clock;

// gRPC takes deadlines on the system clock; calls keep theirs on the steady clock.
std::chrono::system_clock::time_point ToGrpcDeadline(Clock::time_point deadline);

// "host:port" for an endpoint written as "host:port" or "http://host:port" (a trailing "/" is
// allowed; "[v6addr]:port" too). InvalidArgument for "https://" (TLS is not supported), other
// schemes, an empty endpoint, a missing host, or a port that is not a number in 1..65535.
Result<std::string> NormalizeEndpoint(std::string_view endpoint);

// One endpoint: the channel to it and stubs of the etcd services on that channel. The channel
// is created here but connects on first use, and gRPC reconnects it after a failure. Immutable
// after construction, so one Endpoint serves many threads at once.
class Endpoint {
 public:
  // `address` must be normalized ("host:port").
  explicit Endpoint(std::string address);

  const std::string& address() const { return address_; }
  etcdserverpb::KV::Stub& kv() const { return *kv_; }
  etcdserverpb::Cluster::Stub& cluster() const { return *cluster_; }
  etcdserverpb::Maintenance::Stub& maintenance() const { return *maintenance_; }

  // Waits until the channel is connected (returns nullopt) or it fails to connect or `deadline`
  // passes (returns why, such as "connection refused"). Sends nothing of the caller's, so a write
  // that follows a failure here was certainly never sent.
  std::optional<std::string> WaitConnected(Clock::time_point deadline) const;

 private:
  // Why the channel is not connected, asked of gRPC with a harmless fail-fast Status call
  // (nullopt if that call went through after all: the channel is connected now).
  std::optional<std::string> WhyNotConnected(Clock::time_point deadline) const;

  const std::string address_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  const std::unique_ptr<etcdserverpb::Cluster::Stub> cluster_;
  const std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance_;
};

}  // namespace raftkv::client::internal
