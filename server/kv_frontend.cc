#include "server/kv_frontend.h"

#include <future>

#include "proto/command.pb.h"
#include "storage/mvcc_validate.h"

namespace raftkv::server {
namespace {

Status TimedOut() { return Status::Unavailable("etcdserver: request timed out"); }

}  // namespace

KvFrontend::KvFrontend(uint64_t cluster_id, uint64_t member_id, KvLimits limits, RaftNode* node,
                       Applier* applier, storage::MvccStore* store, ApplyWaiters* apply_waiters,
                       ReadIndexWaiters* read_waiters)
    : cluster_id_(cluster_id),
      member_id_(member_id),
      limits_(limits),
      node_(node),
      applier_(applier),
      store_(store),
      apply_waiters_(apply_waiters),
      read_waiters_(read_waiters) {}

void KvFrontend::FillHeader(etcdserverpb::ResponseHeader* header) const {
  header->set_cluster_id(cluster_id_);
  header->set_member_id(member_id_);
  header->set_raft_term(node_->term());
}

Status KvFrontend::WaitLinearizable(std::chrono::steady_clock::time_point deadline) {
  auto promise = std::make_shared<std::promise<ReadIndexOutcome>>();
  auto future = promise->get_future();
  const uint64_t id = read_waiters_->Register(
      [promise](ReadIndexOutcome outcome) { promise->set_value(std::move(outcome)); });
  node_->ReadIndex(id);
  if (future.wait_until(deadline) != std::future_status::ready) {
    read_waiters_->Cancel(id);
    return TimedOut();
  }
  ReadIndexOutcome outcome = future.get();
  if (!outcome.status.ok()) return outcome.status;
  if (!applier_->WaitApplied(outcome.index, deadline)) return TimedOut();
  return Status::Ok();
}

bool KvFrontend::RangeWaits(const etcdserverpb::RangeRequest& request) const {
  return !request.serializable() && !limits_.unsafe_stale_reads;
}

StatusOr<etcdserverpb::RangeResponse> KvFrontend::Range(const etcdserverpb::RangeRequest& request) {
  RAFTKV_RETURN_IF_ERROR(storage::mvcc::ValidateRange(request));
  if (RangeWaits(request)) RAFTKV_RETURN_IF_ERROR(WaitLinearizable(RequestDeadline()));
  return RangeLocal(request);
}

StatusOr<etcdserverpb::RangeResponse> KvFrontend::RangeLocal(
    const etcdserverpb::RangeRequest& request) {
  auto response = store_->Range(request);
  if (response.ok()) FillHeader(response->mutable_header());
  return response;
}

void KvFrontend::RangeAsync(const etcdserverpb::RangeRequest& request,
                            Done<etcdserverpb::RangeResponse> done,
                            const std::function<void(std::function<void()>)>& run_read) {
  if (Status valid = storage::mvcc::ValidateRange(request); !valid.ok()) return done(valid);
  if (!RangeWaits(request)) return done(RangeLocal(request));
  const auto deadline = RequestDeadline();
  // The request stays the caller's (gRPC keeps it until the call is finished, i.e. until done).
  auto read = [this, &request, done, deadline]() {
    // A read queued behind others for longer than the request timeout is not served late.
    if (std::chrono::steady_clock::now() >= deadline) return done(TimedOut());
    done(RangeLocal(request));
  };
  const uint64_t id = read_waiters_->Register(
      [this, deadline, done, read, run_read](ReadIndexOutcome outcome) {
        if (!outcome.status.ok()) return done(std::move(outcome.status));
        applier_->WhenApplied(outcome.index, deadline, [done, read, run_read](bool applied) {
          if (!applied) return done(TimedOut());
          run_read(read);
        });
      },
      deadline);
  node_->ReadIndex(id);
}

StatusOr<cmdpb::CommandResult> KvFrontend::ProposeAndWait(cmdpb::Command command) {
  auto promise = std::make_shared<std::promise<ApplyOutcome>>();
  auto future = promise->get_future();
  const uint64_t id = apply_waiters_->Register(
      [promise](ApplyOutcome outcome) { promise->set_value(std::move(outcome)); });
  command.set_request_id(id);
  command.set_origin_member(member_id_);
  node_->Propose(id, command.SerializeAsString());
  if (future.wait_for(limits_.request_timeout) != std::future_status::ready) {
    apply_waiters_->Cancel(id);
    return TimedOut();
  }
  ApplyOutcome outcome = future.get();
  if (!outcome.status.ok()) return outcome.status;
  return std::move(outcome.result);
}

Status KvFrontend::PublishMember(const cmdpb::MemberAttributes& attributes) {
  cmdpb::Command command;
  *command.mutable_member_attributes() = attributes;
  return ProposeAndWait(std::move(command)).status();
}

void KvFrontend::ProposeAsync(cmdpb::Command command, Done<cmdpb::CommandResult> done) {
  const uint64_t id = apply_waiters_->Register(
      [done = std::move(done)](ApplyOutcome outcome) {
        if (!outcome.status.ok()) return done(outcome.status);
        done(std::move(outcome.result));
      },
      std::chrono::steady_clock::now() + limits_.request_timeout);
  command.set_request_id(id);
  command.set_origin_member(member_id_);
  node_->Propose(id, command.SerializeAsString());
}

void KvFrontend::ExpireWaiters() {
  ApplyOutcome expired;
  expired.status = TimedOut();
  const auto now = std::chrono::steady_clock::now();
  apply_waiters_->ExpireUntil(now, expired);
  read_waiters_->ExpireUntil(now, ReadIndexOutcome{TimedOut(), 0});
  applier_->ExpireAppliedWaiters(now);
}

template <typename Response>
StatusOr<Response> KvFrontend::WaitFor(const std::function<void(Done<Response>)>& start) {
  auto promise = std::make_shared<std::promise<StatusOr<Response>>>();
  auto future = promise->get_future();
  start([promise](StatusOr<Response> result) { promise->set_value(std::move(result)); });
  while (future.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    ExpireWaiters();
  }
  return future.get();
}

template <typename Request, typename Response>
void KvFrontend::ProposeWrite(Status valid, const Request& request,
                              Request* (cmdpb::Command::*op)(),
                              Response* (cmdpb::CommandResult::*result_op)(), Done<Response> done) {
  if (!valid.ok()) return done(std::move(valid));
  cmdpb::Command command;
  *(command.*op)() = request;
  ProposeAsync(std::move(command),
               [this, result_op, done = std::move(done)](StatusOr<cmdpb::CommandResult> result) {
                 if (!result.ok()) return done(result.status());
                 Response response = std::move(*((*result).*result_op)());
                 FillHeader(response.mutable_header());
                 done(std::move(response));
               });
}

void KvFrontend::PutAsync(const etcdserverpb::PutRequest& request,
                          Done<etcdserverpb::PutResponse> done) {
  Status valid =
      storage::mvcc::ValidateRequestSize(request.ByteSizeLong(), limits_.max_request_bytes);
  if (valid.ok()) valid = storage::mvcc::ValidatePut(request);
  ProposeWrite(std::move(valid), request, &cmdpb::Command::mutable_put,
               &cmdpb::CommandResult::mutable_put, std::move(done));
}

void KvFrontend::DeleteRangeAsync(const etcdserverpb::DeleteRangeRequest& request,
                                  Done<etcdserverpb::DeleteRangeResponse> done) {
  Status valid =
      storage::mvcc::ValidateRequestSize(request.ByteSizeLong(), limits_.max_request_bytes);
  if (valid.ok()) valid = storage::mvcc::ValidateDeleteRange(request);
  ProposeWrite(std::move(valid), request, &cmdpb::Command::mutable_delete_range,
               &cmdpb::CommandResult::mutable_delete_range, std::move(done));
}

void KvFrontend::TxnAsync(const etcdserverpb::TxnRequest& request,
                          Done<etcdserverpb::TxnResponse> done) {
  Status valid =
      storage::mvcc::ValidateRequestSize(request.ByteSizeLong(), limits_.max_request_bytes);
  if (valid.ok()) valid = storage::mvcc::ValidateTxn(request, limits_.max_txn_ops);
  ProposeWrite(std::move(valid), request, &cmdpb::Command::mutable_txn,
               &cmdpb::CommandResult::mutable_txn, std::move(done));
}

StatusOr<etcdserverpb::PutResponse> KvFrontend::Put(const etcdserverpb::PutRequest& request) {
  return WaitFor<etcdserverpb::PutResponse>(
      [&](Done<etcdserverpb::PutResponse> done) { PutAsync(request, std::move(done)); });
}

StatusOr<etcdserverpb::DeleteRangeResponse> KvFrontend::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& request) {
  return WaitFor<etcdserverpb::DeleteRangeResponse>(
      [&](Done<etcdserverpb::DeleteRangeResponse> done) {
        DeleteRangeAsync(request, std::move(done));
      });
}

StatusOr<etcdserverpb::TxnResponse> KvFrontend::Txn(const etcdserverpb::TxnRequest& request) {
  return WaitFor<etcdserverpb::TxnResponse>(
      [&](Done<etcdserverpb::TxnResponse> done) { TxnAsync(request, std::move(done)); });
}

StatusOr<etcdserverpb::CompactionResponse> KvFrontend::Compact(
    const etcdserverpb::CompactionRequest& request) {
  RAFTKV_RETURN_IF_ERROR(
      storage::mvcc::ValidateRequestSize(request.ByteSizeLong(), limits_.max_request_bytes));
  RAFTKV_RETURN_IF_ERROR(storage::mvcc::ValidateCompaction(request));
  const auto deadline = std::chrono::steady_clock::now() + limits_.request_timeout;
  cmdpb::Command command;
  *command.mutable_compaction() = request;
  auto result = ProposeAndWait(std::move(command));
  if (!result.ok()) return result.status();
  if (request.physical()) {
    // etcd answers a physical compaction only once the old versions are gone.
    Status done = store_->WaitForPhysicalCompaction(request.revision(), deadline);
    if (!done.ok()) return TimedOut();
  }
  etcdserverpb::CompactionResponse response = std::move(*result->mutable_compaction());
  FillHeader(response.mutable_header());
  return response;
}

}  // namespace raftkv::server
