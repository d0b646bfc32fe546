// Failover: runs one call of the client against its endpoints until one answers or the call's
// deadline passes, keeping the contract of client.h: reads move on to the next endpoint after
// any failure that another endpoint might not have; writes only after a failure that proves the
// write was not applied. Internal to libraftkv_client.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "client/endpoints.h"
#include "raftkv/client.h"

namespace raftkv::client::internal {

// What a call may do to the store, which decides when it may be retried.
enum class CallKind {
  kRead,   // retried on any endpoint while the deadline allows
  kWrite,  // retried only when it was certainly not applied
};

// One attempt of a call on one connected endpoint: sends the request with `context` (whose
// deadline is set), keeps the response, and returns gRPC's status.
using Attempt = std::function<grpc::Status(const Endpoint& endpoint, grpc::ClientContext* context)>;

// The endpoints of one Client and the one that answered last. Thread-safe: the endpoints are
// fixed at construction and the preferred one is an atomic index.
class Failover {
 public:
  // `endpoints` is not empty.
  Failover(std::vector<std::unique_ptr<Endpoint>> endpoints,
           std::chrono::milliseconds dial_timeout);

  // Runs `attempt` starting at the preferred endpoint, moving on as `kind` allows, until it
  // succeeds, fails for good, or `timeout` has passed; see client.h for the outcomes.
  Status Run(CallKind kind, std::chrono::milliseconds timeout, const Attempt& attempt);

  // Runs `attempt` once on `endpoint` (no failover), after waiting up to the dial timeout for it
  // to connect. Errors name the endpoint.
  Status RunOn(const Endpoint& endpoint, std::chrono::milliseconds timeout,
               const Attempt& attempt) const;

  // The endpoint with this normalized address, or null.
  const Endpoint* Find(const std::string& address) const;

 private:
  // The deadline of one attempt. A read may use half of the time left (never less than the
  // dial timeout) when other endpoints could be asked, so that one hung member (partitioned,
  // paused, waiting for a leader it cannot reach) leaves time to try another; a write uses all
  // of it, since giving up on a sent write only makes its outcome unknown.
  Clock::time_point AttemptDeadline(CallKind kind, Clock::time_point deadline) const;

  const std::vector<std::unique_ptr<Endpoint>> endpoints_;
  const std::chrono::milliseconds dial_timeout_;
  // Index into endpoints_ of the last endpoint that answered: calls start there.
  std::atomic<size_t> preferred_{0};
};

}  // namespace raftkv::client::internal
