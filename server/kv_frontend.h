// KvFrontend: the etcd KV API of one member, without gRPC. It validates a request as etcd's
// gRPC layer does, then either proposes it through raft and waits until it is applied here
// (writes), or serves it from the local store -- after a ReadIndex round for linearizable reads,
// at once for serializable ones -- and fills the response header as etcd does (cluster id,
// member id, raft term; the store fills the revision). server/kv_service.cc adapts it to gRPC.
// Thread-safe: called from many request threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "proto/command.pb.h"
#include "proto/etcd/rpc.pb.h"
#include "raft/status.h"
#include "server/applier.h"
#include "server/raft_node.h"
#include "storage/mvcc_store.h"

namespace raftkv::server {

struct KvLimits {
  size_t max_request_bytes = 1536 * 1024;  // --max-request-bytes
  int max_txn_ops = 128;                   // --max-txn-ops
  // How long a request may wait for raft before "etcdserver: request timed out" (etcd: 5 s
  // plus twice the election timeout).
  std::chrono::milliseconds request_timeout{7000};
  // --unsafe-stale-reads-for-tests: Range skips the ReadIndex round even when linearizable, so
  // a member that is behind answers with old data. Only for proving the fault checker.
  bool unsafe_stale_reads = false;
};

class KvFrontend {
 public:
  // Nothing is owned; everything must outlive the frontend.
  KvFrontend(uint64_t cluster_id, uint64_t member_id, KvLimits limits, RaftNode* node,
             Applier* applier, storage::MvccStore* store, ApplyWaiters* apply_waiters,
             ReadIndexWaiters* read_waiters);

  // Range, waiting on the calling thread (a linearizable read that cannot finish within the
  // request timeout answers "etcdserver: request timed out"). kvd's gRPC service uses
  // RangeAsync.
  StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  // The deadline of a request that arrives now (the request timeout from now).
  std::chrono::steady_clock::time_point RequestDeadline() const {
    return std::chrono::steady_clock::now() + limits_.request_timeout;
  }
  // Whether Range(request) waits for a ReadIndex round (a linearizable read, unless stale reads
  // are switched on for tests); otherwise it answers from local state at once.
  bool RangeWaits(const etcdserverpb::RangeRequest& request) const;
  StatusOr<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& request);
  StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& request);
  StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  StatusOr<etcdserverpb::CompactionResponse> Compact(
      const etcdserverpb::CompactionRequest& request);

  // The asynchronous writes: validate, propose, and return at once; `done` runs exactly once,
  // on the apply thread when the write is applied, on the calling thread when the request is
  // invalid, or on the thread that calls ExpireWaiters when the request timeout passes first
  // ("etcdserver: request timed out"). `done` must not block.
  template <typename Response>
  using Done = std::function<void(StatusOr<Response>)>;
  void PutAsync(const etcdserverpb::PutRequest& request, Done<etcdserverpb::PutResponse> done);
  void DeleteRangeAsync(const etcdserverpb::DeleteRangeRequest& request,
                        Done<etcdserverpb::DeleteRangeResponse> done);
  void TxnAsync(const etcdserverpb::TxnRequest& request, Done<etcdserverpb::TxnResponse> done);
  // The asynchronous Range: an invalid request, and a read that does not wait (RangeWaits),
  // are answered at once on the calling thread. A linearizable read asks for a read index and
  // returns; once this member has applied up to that index, the read itself is handed to
  // `run_read` (which must queue it for another thread: it is called on the raft or apply
  // thread), and `done` gets its result there. Errors of the wait (no leader, request timed out)
  // reach `done` on the raft, apply or timer thread. `done` runs exactly once and must not
  // block.
  void RangeAsync(const etcdserverpb::RangeRequest& request, Done<etcdserverpb::RangeResponse> done,
                  const std::function<void(std::function<void()>)>& run_read);
  // Answers the asynchronous calls whose request timeout has passed. kvd's member calls it
  // from a timer thread a few times a second.
  void ExpireWaiters();

  // Waits (until `deadline`) for a ReadIndex round and for this member to apply its index:
  // after it, local reads observe every write completed before the call. Unavailable with
  // etcd's messages when there is no leader or time runs out.
  [[nodiscard]] Status WaitLinearizable(std::chrono::steady_clock::time_point deadline);

  // Records this member's attributes in the replicated member table (through raft).
  [[nodiscard]] Status PublishMember(const cmdpb::MemberAttributes& attributes);

  // Fills cluster id, member id and raft term (the revision is the store's).
  void FillHeader(etcdserverpb::ResponseHeader* header) const;

 private:
  // Serves a valid Range from the local store, now, and fills its header.
  StatusOr<etcdserverpb::RangeResponse> RangeLocal(const etcdserverpb::RangeRequest& request);
  // Proposes `command` (its op set) and waits for its outcome.
  StatusOr<cmdpb::CommandResult> ProposeAndWait(cmdpb::Command command);
  // Proposes `command` and returns; `done` gets the outcome (see PutAsync).
  void ProposeAsync(cmdpb::Command command, Done<cmdpb::CommandResult> done);
  // One asynchronous write: answers `done` with `valid` if it is an error; else copies `request`
  // into the command's op (`op`: &cmdpb::Command::mutable_put, ...), proposes it, and hands
  // `done` the result's op (`result_op`) with the response header filled.
  template <typename Request, typename Response>
  void ProposeWrite(Status valid, const Request& request, Request* (cmdpb::Command::*op)(),
                    Response* (cmdpb::CommandResult::*result_op)(), Done<Response> done);
  // Runs an asynchronous call (`start` gets its Done) and waits for its answer, expiring
  // waiters itself while it waits, so it returns by the request timeout even where no timer
  // calls ExpireWaiters (tests that build a frontend without a member).
  template <typename Response>
  StatusOr<Response> WaitFor(const std::function<void(Done<Response>)>& start);

  const uint64_t cluster_id_;
  const uint64_t member_id_;
  const KvLimits limits_;
  RaftNode* const node_;
  Applier* const applier_;
  storage::MvccStore* const store_;
  ApplyWaiters* const apply_waiters_;
  ReadIndexWaiters* const read_waiters_;
};

}  // namespace raftkv::server
