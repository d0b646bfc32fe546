// What every workload of the fault harness needs to talk to kvd: a clock for the history, a gRPC
// channel that reconnects quickly to a restarted member, and the outcome that a failed write's
// error proves (workload.h explains the rule).
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "tests/fault/history.h"

namespace raftkv::fault::harness {

// Monotonic nanoseconds, the time base of Operation::invoke_ns and complete_ns.
int64_t NowNs();

// A channel that retries connecting to a restarted member quickly (gRPC's default backoff grows
// to two minutes, longer than a whole run).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

// The outcome of a failed write: kFail only when the error proves the request never took effect
// ("etcdserver: no leader", "etcdserver: leader changed", or never connected), else kUnknown.
Outcome WriteErrorOutcome(const grpc::Status& status);

}  // namespace raftkv::fault::harness
