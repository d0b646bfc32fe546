// LocalCluster: kvd members (raft thread, apply thread, RocksDB storage) in one process, joined
// by an in-process transport instead of gRPC -- the fake beside the peer transport seam. Used
// to test the node loop (server/raft_node.h, server/applier.h) with real storage and real
// threads, and member restarts on their data directories.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "proto/etcd/rpc.pb.h"
#include "server/applier.h"
#include "server/kv_frontend.h"
#include "server/raft_node.h"
#include "storage/database.h"
#include "storage/mvcc_store.h"
#include "storage/raft_log_store.h"

namespace raftkv::server::testing {

class LocalCluster;

// One member and everything it owns. Members are numbered from 1 (their raft ids).
struct LocalMember {
  uint64_t id = 0;
  std::string data_dir;
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<storage::RaftLogStore> log;
  std::unique_ptr<storage::MvccStore> store;
  std::unique_ptr<ApplyWaiters> apply_waiters;
  std::unique_ptr<ReadIndexWaiters> read_waiters;
  std::unique_ptr<Applier> applier;
  std::unique_ptr<PeerSender> sender;
  std::unique_ptr<RaftNode> node;
  std::unique_ptr<KvFrontend> kv;  // the etcd KV API of this member, without gRPC
  bool running() const { return node != nullptr; }
};

struct LocalClusterOptions {
  int members = 3;
  std::chrono::milliseconds tick{10};
  int election_tick = 10;
  uint64_t snapshot_every = 10000;
  uint64_t keep_entries_after_snapshot = 5000;
};

class LocalCluster {
 public:
  // Creates (bootstraps) the members in subdirectories of `dir` and starts them.
  LocalCluster(std::string dir, LocalClusterOptions options);
  ~LocalCluster();

  LocalMember& member(uint64_t id) { return *members_[id - 1]; }

  // Waits until one running member leads and every other running, reachable member follows it,
  // and returns its id (0 on timeout).
  uint64_t WaitForLeader(std::chrono::seconds timeout = std::chrono::seconds(10));

  // Stops a member (threads and storage closed) / starts it again on its data directory.
  void Stop(uint64_t id);
  [[nodiscard]] Status Restart(uint64_t id);
  // Drops every message to and from `id` while isolated.
  void Isolate(uint64_t id, bool isolated);

  // A write through member `via`, waiting for it to be applied there. Retried while the member
  // knows no leader (the proposal was dropped, so nothing was applied), like a client would.
  StatusOr<etcdserverpb::PutResponse> Put(uint64_t via, const std::string& key,
                                          const std::string& value,
                                          std::chrono::seconds timeout = std::chrono::seconds(10));
  // A linearizable read through `via`: ReadIndex, wait for the index to be applied, read.
  // Retried while the member knows no leader.
  StatusOr<etcdserverpb::RangeResponse> Get(
      uint64_t via, const std::string& key,
      std::chrono::seconds timeout = std::chrono::seconds(10));

  // Called by the members' senders (any thread).
  void Deliver(uint64_t from, std::vector<raftpb::Message> messages);
  // How many messages of `type` member `from` has sent so far (delivered or cut).
  uint64_t SentCount(uint64_t from, raftpb::MessageType type);

 private:
  [[nodiscard]] Status Open(LocalMember& m, bool bootstrap);
  StatusOr<etcdserverpb::PutResponse> PutOnce(uint64_t via, const std::string& key,
                                              const std::string& value);
  StatusOr<etcdserverpb::RangeResponse> GetOnce(uint64_t via, const std::string& key);
  // Streams the key space of `from` into `to` and then steps the snapshot message (runs on a
  // thread of its own, like a transport's snapshot stream).
  void SendSnapshot(uint64_t from, raftpb::Message message);

  const std::string dir_;
  const LocalClusterOptions options_;
  std::vector<std::unique_ptr<LocalMember>> members_;
  // Guards membership of the members_ pointers' running state against Deliver.
  std::mutex mu_;
  std::set<uint64_t> isolated_;  // guarded by mu_
  // Messages sent, by (sender, type); guarded by mu_.
  std::map<std::pair<uint64_t, int>, uint64_t> sent_counts_;
  std::vector<std::thread> snapshots_;  // guarded by mu_; joined on destruction
  uint64_t next_request_id_ = 1;        // guarded by mu_
};

}  // namespace raftkv::server::testing
