#include "client/failover.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

#include "client/grpc_errors.h"

namespace raftkv::client::internal {
namespace {

// The pause after every endpoint failed once, doubling up to kMaxBackoff, so a cluster that is
// electing a leader is asked again soon but not in a busy loop.
constexpr std::chrono::milliseconds kInitialBackoff{25};
constexpr std::chrono::milliseconds kMaxBackoff{500};

// A gRPC status as text: its message, or its numeric code when it has none.
std::string Describe(const grpc::Status& status) {
  if (!status.error_message().empty()) return status.error_message();
  return "gRPC code " + std::to_string(static_cast<int>(status.error_code()));
}

// What each endpoint tried during one call last failed with, in the order first tried, for the
// message of a call that ran out of endpoints and time.
class AttemptLog {
 public:
  void Note(const std::string& endpoint, std::string error) {
    for (auto& [name, last] : entries_) {
      if (name == endpoint) {
        last = std::move(error);
        return;
      }
    }
    entries_.emplace_back(endpoint, std::move(error));
  }

  // "a:1: why; b:2: why", or "no endpoint was tried" when time ran out before the first.
  std::string ToString() const {
    if (entries_.empty()) return "no endpoint was tried";
    std::string text;
    for (const auto& [name, last] : entries_) {
      if (!text.empty()) text += "; ";
      text += name + ": " + last;
    }
    return text;
  }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;  // endpoint, its last error
};

// The error of a call whose deadline passed while every attempt failed in a retryable way.
Status Exhausted(CallKind kind, std::chrono::milliseconds timeout, const AttemptLog& log,
                 bool saw_no_leader, bool last_sent_timed_out) {
  const std::string within = "within " + std::to_string(timeout.count()) + " ms: ";
  const std::string not_applied = kind == CallKind::kWrite ? " (the write was not applied)" : "";
  if (saw_no_leader) {
    return Status(ErrorCode::kNoLeader,
                  "etcdserver: no leader; tried " + within + log.ToString() + not_applied);
  }
  if (last_sent_timed_out) {  // only reads get here: a timed-out write is an unknown outcome
    return Status(ErrorCode::kDeadlineExceeded,
                  "no endpoint answered in time; tried " + within + log.ToString());
  }
  return Status(ErrorCode::kUnavailable,
                "no endpoint answered " + within + log.ToString() + not_applied);
}

// The error of a write that was sent and then failed without proof that it was not applied.
Status UnknownOutcome(const Endpoint& endpoint, const grpc::Status& status, bool deadline_passed) {
  const std::string what =
      endpoint.address() + ": " + Describe(status) + "; the write may or may not have been applied";
  if (deadline_passed) return Status(ErrorCode::kDeadlineExceeded, "deadline exceeded; " + what);
  return Status(ErrorCode::kUnknownOutcome, what);
}

}  // namespace

Failover::Failover(std::vector<std::unique_ptr<Endpoint>> endpoints,
                   std::chrono::milliseconds dial_timeout)
    : endpoints_(std::move(endpoints)), dial_timeout_(dial_timeout) {}

const Endpoint* Failover::Find(const std::string& address) const {
  for (const auto& endpoint : endpoints_) {
    if (endpoint->address() == address) return endpoint.get();
  }
  return nullptr;
}

Clock::time_point Failover::AttemptDeadline(CallKind kind, Clock::time_point deadline) const {
  if (kind == CallKind::kWrite || endpoints_.size() == 1) return deadline;
  const auto now = Clock::now();
  const auto share = std::max<Clock::duration>(dial_timeout_, (deadline - now) / 2);
  return std::min(deadline, now + share);
}

Status Failover::Run(CallKind kind, std::chrono::milliseconds timeout, const Attempt& attempt) {
  const auto deadline = Clock::now() + timeout;
  const size_t count = endpoints_.size();
  const size_t first = preferred_.load(std::memory_order_relaxed);
  AttemptLog log;
  bool saw_no_leader = false;        // some endpoint answered "etcdserver: no leader"
  bool last_sent_timed_out = false;  // the last request sent ran out of its attempt's time
  auto backoff = kInitialBackoff;
  while (true) {
    for (size_t k = 0; k < count; ++k) {
      const auto now = Clock::now();
      if (now >= deadline) break;
      const size_t index = (first + k) % count;
      const Endpoint& endpoint = *endpoints_[index];
      if (auto why = endpoint.WaitConnected(std::min(deadline, now + dial_timeout_))) {
        log.Note(endpoint.address(), std::move(*why));
        continue;
      }
      const auto attempt_deadline = AttemptDeadline(kind, deadline);
      grpc::ClientContext context;
      context.set_deadline(ToGrpcDeadline(attempt_deadline));
      const grpc::Status status = attempt(endpoint, &context);
      if (status.ok() || IsDefiniteRefusal(status)) {
        preferred_.store(index, std::memory_order_relaxed);
        return FromGrpcStatus(status);
      }
      const bool retry = kind == CallKind::kRead ? ReadMayRetry(status) : ProvesNotApplied(status);
      if (!retry) {
        if (kind == CallKind::kRead) return FromGrpcStatus(status);
        const bool deadline_passed =
            Clock::now() >= deadline || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
        return UnknownOutcome(endpoint, status, deadline_passed);
      }
      log.Note(endpoint.address(), Describe(status));
      saw_no_leader = saw_no_leader || IsNoLeader(status);
      last_sent_timed_out = status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    }
    const auto now = Clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline - now));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  return Exhausted(kind, timeout, log, saw_no_leader, last_sent_timed_out);
}

Status Failover::RunOn(const Endpoint& endpoint, std::chrono::milliseconds timeout,
                       const Attempt& attempt) const {
  const auto deadline = Clock::now() + timeout;
  if (auto why = endpoint.WaitConnected(std::min(deadline, Clock::now() + dial_timeout_))) {
    return Status(ErrorCode::kUnavailable, endpoint.address() + ": " + *why);
  }
  grpc::ClientContext context;
  context.set_deadline(ToGrpcDeadline(deadline));
  const grpc::Status status = attempt(endpoint, &context);
  if (status.ok()) return Status();
  const Status error = FromGrpcStatus(status);
  return Status(error.code(), endpoint.address() + ": " + error.message());
}

}  // namespace raftkv::client::internal
