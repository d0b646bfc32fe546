#include "tests/server/local_cluster.h"

#include <algorithm>

#include "proto/command.pb.h"
#include "server/snapshot_install.h"
#include "storage/snapshot_stream.h"

namespace raftkv::server::testing {
namespace {

// Delivers a member's messages through its cluster.
class LocalSender : public PeerSender {
 public:
  LocalSender(LocalCluster* cluster, uint64_t id) : cluster_(cluster), id_(id) {}
  void Send(std::vector<raftpb::Message> messages) override {
    cluster_->Deliver(id_, std::move(messages));
  }

 private:
  LocalCluster* cluster_;
  uint64_t id_;
};

}  // namespace

LocalCluster::LocalCluster(std::string dir, LocalClusterOptions options)
    : dir_(std::move(dir)), options_(options) {
  for (int i = 1; i <= options_.members; ++i) {
    auto m = std::make_unique<LocalMember>();
    m->id = static_cast<uint64_t>(i);
    m->data_dir = dir_ + "/member" + std::to_string(i);
    members_.push_back(std::move(m));
  }
  for (auto& m : members_) {
    Status s = Open(*m, /*bootstrap=*/true);
    if (!s.ok()) throw std::runtime_error("member start failed: " + s.ToString());
  }
}

LocalCluster::~LocalCluster() {
  for (auto& m : members_) Stop(m->id);
}

Status LocalCluster::Open(LocalMember& m, bool bootstrap) {
  storage::DatabaseOptions db_options;
  db_options.data_dir = m.data_dir;
  db_options.expected_identity = storage::MemberIdentity{0xc1, m.id};
  auto db = storage::Database::Open(db_options);
  if (!db.ok()) return db.status();
  m.db = std::move(*db);
  auto log = storage::RaftLogStore::Open(m.db.get());
  if (!log.ok()) return log.status();
  m.log = std::move(*log);
  if (bootstrap && m.log->LastIndex() == 0) {
    std::vector<uint64_t> voters;
    for (int i = 1; i <= options_.members; ++i) voters.push_back(static_cast<uint64_t>(i));
    RAFTKV_RETURN_IF_ERROR(m.log->Bootstrap(voters));
  }
  auto store = storage::MvccStore::Open(m.db.get());
  if (!store.ok()) return store.status();
  m.store = std::move(*store);
  // Request ids start from the clock so ids from before a restart are never reused.
  const uint64_t first_id =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  m.apply_waiters = std::make_unique<ApplyWaiters>(first_id);
  m.read_waiters = std::make_unique<ReadIndexWaiters>(first_id);
  m.applier = std::make_unique<Applier>(m.store.get(), m.apply_waiters.get(), m.id);
  m.sender = std::make_unique<LocalSender>(this, m.id);
  RaftNodeOptions node_options;
  node_options.id = m.id;
  node_options.tick_interval = options_.tick;
  node_options.election_tick = options_.election_tick;
  node_options.seed = m.id * 7919;
  node_options.snapshot_every = options_.snapshot_every;
  node_options.keep_entries_after_snapshot = options_.keep_entries_after_snapshot;
  auto node = std::make_unique<RaftNode>(node_options, m.log.get(), m.applier.get(), m.sender.get(),
                                         m.apply_waiters.get(), m.read_waiters.get());
  KvLimits limits;
  limits.request_timeout = std::chrono::seconds(3);
  m.kv = std::make_unique<KvFrontend>(0xc1, m.id, limits, node.get(), m.applier.get(),
                                      m.store.get(), m.apply_waiters.get(), m.read_waiters.get());
  m.applier->Start();
  RAFTKV_RETURN_IF_ERROR(node->Start());
  std::lock_guard<std::mutex> lock(mu_);
  m.node = std::move(node);
  return Status::Ok();
}

void LocalCluster::Stop(uint64_t id) {
  // Snapshot streams touch two members' storage: let them finish first.
  std::vector<std::thread> streams;
  {
    std::lock_guard<std::mutex> lock(mu_);
    streams.swap(snapshots_);
  }
  for (auto& t : streams) t.join();
  LocalMember& m = member(id);
  std::unique_ptr<RaftNode> node;
  {
    std::lock_guard<std::mutex> lock(mu_);
    node = std::move(m.node);
  }
  if (node == nullptr) return;
  node->Stop();
  m.applier->Stop();
  m.kv.reset();
  m.apply_waiters->CompleteAll(ApplyOutcome{Status::Unavailable("stopped"), {}, 0});
  node.reset();
  m.applier.reset();
  m.sender.reset();
  m.store.reset();
  m.log.reset();
  m.db.reset();
}

Status LocalCluster::Restart(uint64_t id) { return Open(member(id), /*bootstrap=*/false); }

void LocalCluster::Isolate(uint64_t id, bool isolated) {
  std::lock_guard<std::mutex> lock(mu_);
  if (isolated) {
    isolated_.insert(id);
  } else {
    isolated_.erase(id);
  }
}

void LocalCluster::Deliver(uint64_t from, std::vector<raftpb::Message> messages) {
  std::lock_guard<std::mutex> lock(mu_);
  for (raftpb::Message& m : messages) {
    ++sent_counts_[{from, m.type()}];
    const uint64_t to = m.to();
    if (to == 0 || to > members_.size()) continue;
    RaftNode* sender = member(from).node.get();
    RaftNode* target = member(to).node.get();
    const bool cut = isolated_.count(from) || isolated_.count(to) || target == nullptr;
    if (m.type() == raftpb::MSG_SNAPSHOT) {
      if (cut) {
        if (sender != nullptr) sender->ReportSnapshot(to, false);
        continue;
      }
      snapshots_.emplace_back(
          [this, from, msg = std::move(m)]() mutable { SendSnapshot(from, std::move(msg)); });
      continue;
    }
    if (cut) continue;
    target->Step(std::move(m));
  }
}

uint64_t LocalCluster::SentCount(uint64_t from, raftpb::MessageType type) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sent_counts_.find({from, type});
  return it == sent_counts_.end() ? 0 : it->second;
}

void LocalCluster::SendSnapshot(uint64_t from, raftpb::Message message) {
  const uint64_t to = message.to();
  LocalMember& source = member(from);
  LocalMember& target = member(to);
  auto stream = storage::SnapshotSource::Open(source.db.get(), 64 << 10);
  Status status = stream.status();
  if (stream.ok()) {
    status = InstallSnapshot(target.db.get(), target.store.get(), target.applier.get(),
                             [&]() -> StatusOr<std::optional<storagepb::SnapshotChunk>> {
                               if ((*stream)->done())
                                 return std::optional<storagepb::SnapshotChunk>();
                               auto chunk = (*stream)->Next();
                               if (!chunk.ok()) return chunk.status();
                               return std::optional<storagepb::SnapshotChunk>(std::move(*chunk));
                             });
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (status.ok() && target.node) target.node->Step(std::move(message));
  if (source.node) source.node->ReportSnapshot(to, status.ok());
}

uint64_t LocalCluster::WaitForLeader(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& m : members_) {
        if (!m->node || isolated_.count(m->id) || !m->node->state().is_leader) continue;
        // Every other reachable member must follow it too: a member that has not heard from
        // the new leader yet would drop what a test asks of it with "no leader".
        const bool followed = std::all_of(members_.begin(), members_.end(), [&](const auto& other) {
          return other == m || !other->node || isolated_.count(other->id) ||
                 other->node->state().leader == m->id;
        });
        if (followed) return m->id;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return 0;
}

namespace {

bool IsNoLeader(const Status& s) { return s.message() == "etcdserver: no leader"; }
// A read may also be retried after "leader changed": it changed nothing.
bool IsNoLeaderOrLeaderChanged(const Status& s) {
  return IsNoLeader(s) || s.message() == "etcdserver: leader changed";
}

// Runs `attempt` until it succeeds, fails with anything `retryable` does not accept (by default
// only "no leader", which proves the request was dropped, so retrying is safe), or the deadline
// passes -- as a client would.
template <typename Attempt>
auto RetryWhileNoLeader(std::chrono::steady_clock::time_point deadline, Attempt attempt,
                        bool (*retryable)(const Status&) = IsNoLeader) {
  while (true) {
    auto result = attempt();
    if (result.ok() || !retryable(result.status()) ||
        std::chrono::steady_clock::now() >= deadline) {
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

StatusOr<etcdserverpb::PutResponse> LocalCluster::Put(uint64_t via, const std::string& key,
                                                      const std::string& value,
                                                      std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  return RetryWhileNoLeader(deadline, [&] { return PutOnce(via, key, value); });
}

StatusOr<etcdserverpb::RangeResponse> LocalCluster::Get(uint64_t via, const std::string& key,
                                                        std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  return RetryWhileNoLeader(
      deadline, [&] { return GetOnce(via, key); }, IsNoLeaderOrLeaderChanged);
}

StatusOr<etcdserverpb::PutResponse> LocalCluster::PutOnce(uint64_t via, const std::string& key,
                                                          const std::string& value) {
  LocalMember& m = member(via);
  if (!m.node) return Status::Unavailable("member stopped");
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  return m.kv->Put(request);
}

StatusOr<etcdserverpb::RangeResponse> LocalCluster::GetOnce(uint64_t via, const std::string& key) {
  LocalMember& m = member(via);
  if (!m.node) return Status::Unavailable("member stopped");
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  return m.kv->Range(request);
}

}  // namespace raftkv::server::testing
