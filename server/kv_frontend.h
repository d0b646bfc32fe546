// KvFrontend: the etcd KV API of one member, without gRPC. It validates a request as etcd's
// gRPC layer does, then either proposes it through raft and waits until it is applied here
// (writes), or serves it from the local store -- after a ReadIndex round for linearizable reads,
// at once for serializable ones -- and fills the response header as etcd does (cluster id,
// member id, raft term; the store fills the revision). server/kv_service.cc adapts it to gRPC.
// Thread-safe: called from many request threads at once.
#pragma once

#include <chrono>
#include <cstdint>

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

  StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  StatusOr<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& request);
  StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& request);
  StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  StatusOr<etcdserverpb::CompactionResponse> Compact(
      const etcdserverpb::CompactionRequest& request);

  // Waits (until `deadline`) for a ReadIndex round and for this member to apply its index:
  // after it, local reads observe every write completed before the call. Unavailable with
  // etcd's messages when there is no leader or time runs out.
  [[nodiscard]] Status WaitLinearizable(std::chrono::steady_clock::time_point deadline);

  // Records this member's attributes in the replicated member table (through raft).
  [[nodiscard]] Status PublishMember(const cmdpb::MemberAttributes& attributes);

  // Fills cluster id, member id and raft term (the revision is the store's).
  void FillHeader(etcdserverpb::ResponseHeader* header) const;

 private:
  // Proposes `command` (its op set) and waits for its outcome.
  StatusOr<cmdpb::CommandResult> ProposeAndWait(cmdpb::Command command);

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
