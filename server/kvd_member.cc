#include "server/kvd_member.h"

#include <grpcpp/server_posix.h>
#include <rocksdb/db.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "proto/command.pb.h"
#include "server/applier.h"
#include "server/etcd_services.h"
#include "server/kv_frontend.h"
#include "server/peer_listener.h"
#include "server/peer_transport.h"
#include "server/raft_node.h"
#include "server/snapshot_install.h"
#include "server/tcp_peer_transport.h"
#include "storage/database.h"
#include "storage/mvcc_store.h"
#include "storage/raft_log_store.h"
#include "storage/snapshot_stream.h"
#include "storage/thread_name.h"

namespace raftkv::server {
namespace {

// etcd adds this much to --max-request-bytes for gRPC framing before refusing a message.
constexpr int kGrpcOverheadBytes = 512 * 1024;

// Waits for `done` with a deadline, checking every few milliseconds.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

KvdMember::KvdMember(ServerConfig config) : config_(std::move(config)) {}

KvdMember::~KvdMember() { Shutdown(); }

StatusOr<std::unique_ptr<KvdMember>> KvdMember::Start(const ServerConfig& config) {
  std::unique_ptr<KvdMember> member(new KvdMember(config));
  Status s = member->Open();
  if (!s.ok()) {
    member->Shutdown();
    return s;
  }
  return member;
}

Status KvdMember::Open() {
  // Storage: the data directory must be this member's (or new).
  storage::DatabaseOptions db_options;
  db_options.data_dir = config_.data_dir;
  db_options.expected_identity = storage::MemberIdentity{config_.cluster_id, config_.member_id};
  auto db = storage::Database::Open(db_options);
  if (!db.ok()) return db.status();
  db_ = std::move(*db);
  auto log = storage::RaftLogStore::Open(db_.get());
  if (!log.ok()) return log.status();
  log_ = std::move(*log);
  if (log_->LastIndex() == 0) {
    if (config_.initial_cluster_state == ClusterState::kExisting) {
      return Status::FailedPrecondition(
          "--initial-cluster-state=existing with an empty data dir " + config_.data_dir +
          ": adding a member at runtime (member add) is not supported yet");
    }
    std::vector<uint64_t> voters;
    for (const InitialMember& m : config_.initial_cluster) voters.push_back(m.id);
    RAFTKV_RETURN_IF_ERROR(log_->Bootstrap(voters));
    spdlog::info("bootstrapped a new cluster of {} members in {}", voters.size(), config_.data_dir);
  } else {
    spdlog::info("restarting from {} (log {}..{}, commit {})", config_.data_dir, log_->FirstIndex(),
                 log_->LastIndex(), log_->hard_state().commit());
  }
  storage::MvccOptions mvcc_options;
  // There is no Lease service yet, so no lease exists: a put naming one fails as in etcd
  // ("etcdserver: requested lease not found").
  mvcc_options.lease_exists = [](int64_t) { return false; };
  auto store = storage::MvccStore::Open(db_.get(), mvcc_options);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);

  // The member's threads. Request ids start from the clock, so ids proposed before a restart
  // never match a waiter registered after it.
  const uint64_t first_id =
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  apply_waiters_ = std::make_unique<ApplyWaiters>(first_id);
  read_waiters_ = std::make_unique<ReadIndexWaiters>(first_id);
  applier_ = std::make_unique<Applier>(store_.get(), apply_waiters_.get(), config_.member_id);

  PeerHandlers handlers;
  handlers.step = [this](raftpb::Message m) { node_->Step(std::move(m)); };
  handlers.report_unreachable = [this](uint64_t peer) { node_->ReportUnreachable(peer); };
  handlers.report_snapshot = [this](uint64_t peer, bool ok) { node_->ReportSnapshot(peer, ok); };
  handlers.install_snapshot = [this](const ChunkReader& reader) {
    return InstallSnapshot(db_.get(), store_.get(), applier_.get(), reader);
  };
  handlers.open_snapshot_source = [this] { return storage::SnapshotSource::Open(db_.get()); };
  std::map<uint64_t, std::string> peers;
  for (const InitialMember& m : config_.initial_cluster) {
    if (m.id != config_.member_id) peers[m.id] = m.peer_urls.front().HostPort();
  }
  snapshot_transport_ =
      std::make_unique<GrpcPeerTransport>(config_.cluster_id, config_.member_id, peers, handlers);
  transport_ = std::make_unique<TcpPeerTransport>(config_.cluster_id, config_.member_id, peers,
                                                  handlers, snapshot_transport_.get());
  peer_listener_ = std::make_unique<PeerListener>(config_.cluster_id, config_.member_id, handlers);
  peer_service_ =
      std::make_unique<PeerServiceImpl>(config_.cluster_id, config_.member_id, handlers);

  RaftNodeOptions node_options;
  node_options.id = config_.member_id;
  node_options.tick_interval = std::chrono::milliseconds(config_.heartbeat_interval_ms);
  node_options.election_tick =
      static_cast<int>(config_.election_timeout_ms / config_.heartbeat_interval_ms);
  node_options.seed = config_.member_id ^ first_id;
  node_options.snapshot_every = config_.snapshot_count;
  // Keep etcd's 5000 entries for slow followers, but never more than one snapshot interval.
  node_options.keep_entries_after_snapshot = std::min<uint64_t>(5000, config_.snapshot_count);
  const auto request_timeout = std::chrono::milliseconds(5000 + 2 * config_.election_timeout_ms);
  node_options.read_round_lifetime = 2 * request_timeout;
  node_ = std::make_unique<RaftNode>(node_options, log_.get(), applier_.get(), transport_.get(),
                                     apply_waiters_.get(), read_waiters_.get());

  KvLimits limits;
  limits.max_request_bytes = config_.max_request_bytes;
  limits.max_txn_ops = static_cast<int>(config_.max_txn_ops);
  limits.request_timeout = request_timeout;
  limits.unsafe_stale_reads = config_.unsafe_stale_reads_for_tests;
  kv_ = std::make_unique<KvFrontend>(config_.cluster_id, config_.member_id, limits, node_.get(),
                                     applier_.get(), store_.get(), apply_waiters_.get(),
                                     read_waiters_.get());

  MaintenanceHooks hooks;
  hooks.status = [this] {
    const NodeState state = node_->state();
    MemberStatus s;
    s.revision = store_->revision();
    s.db_size = static_cast<int64_t>(db_->ApproximateSizeBytes());
    s.leader = state.leader;
    s.raft_index = state.last_index;
    s.raft_term = state.term;
    s.raft_applied_index = applier_->applied_index();
    return s;
  };
  hooks.members = [this] {
    // Client URLs come from the replicated member records each member published.
    std::map<uint64_t, cmdpb::MemberAttributes> published;
    auto records = store_->MemberRecords();
    if (records.ok()) {
      for (const auto& [id, bytes] : *records) published[id].ParseFromString(bytes);
    }
    std::vector<MemberInfo> members;
    for (const InitialMember& m : config_.initial_cluster) {
      MemberInfo info;
      info.id = m.id;
      info.name = m.name;
      for (const Url& u : m.peer_urls) info.peer_urls.push_back(u.ToString());
      auto it = published.find(m.id);
      if (it != published.end()) {
        info.client_urls.assign(it->second.client_urls().begin(), it->second.client_urls().end());
      }
      members.push_back(std::move(info));
    }
    return members;
  };
  hooks.move_leader = [this](uint64_t target) -> Status {
    if (!node_->state().is_leader) return Status::FailedPrecondition("etcdserver: not leader");
    node_->TransferLeadership(target);
    if (!WaitFor([&] { return node_->state().leader == target; },
                 std::chrono::milliseconds(2 * config_.election_timeout_ms))) {
      return Status::Unavailable("etcdserver: request timed out, leader transfer took too long");
    }
    return Status::Ok();
  };
  kv_service_ = std::make_unique<KvService>(kv_.get());
  maintenance_service_ = std::make_unique<MaintenanceService>(kv_.get(), hooks);
  cluster_service_ = std::make_unique<ClusterService>(kv_.get(), hooks);

  // Threads first, then the servers that feed them.
  expirer_ = std::thread([this] {
    NameThisThread("kvd-expiry");
    ExpiryLoop();
  });
  applier_->Start();
  RAFTKV_RETURN_IF_ERROR(node_->Start());
  transport_->Start();

  // The peer port is the listener's: it reads raw peer streams itself and hands gRPC's
  // connections (snapshots) to the peer server, which listens on no port of its own.
  std::vector<std::string> peer_addresses;
  for (const Url& u : config_.listen_peer_urls) peer_addresses.push_back(u.HostPort());
  if (Status s = peer_listener_->Listen(peer_addresses); !s.ok()) {
    return Status::IOError("cannot listen for peers on " +
                           config_.listen_peer_urls.front().ToString() + ": " + s.message());
  }
  peer_port_ = peer_listener_->port();
  grpc::ServerBuilder peer_builder;
  peer_builder.SetMaxReceiveMessageSize(64 << 20);
  ConfigurePeerServerKeepalive(&peer_builder);
  peer_builder.RegisterService(peer_service_.get());
  peer_server_ = peer_builder.BuildAndStart();
  if (!peer_server_) return Status::IOError("cannot start the peer gRPC server");
  peer_listener_->Start(
      [server = peer_server_.get()](int fd) { grpc::AddInsecureChannelFromFd(server, fd); });

  grpc::ServerBuilder client_builder;
  for (const Url& u : config_.listen_client_urls) {
    client_builder.AddListeningPort(u.HostPort(), grpc::InsecureServerCredentials(), &client_port_);
  }
  client_builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_request_bytes) +
                                          kGrpcOverheadBytes);
  client_builder.RegisterService(kv_service_.get());
  client_builder.RegisterService(maintenance_service_.get());
  client_builder.RegisterService(cluster_service_.get());
  client_server_ = client_builder.BuildAndStart();
  if (!client_server_ || client_port_ == 0) {
    return Status::IOError("cannot listen for clients on " +
                           config_.listen_client_urls.front().ToString() +
                           " (address in use or not local?)");
  }
  publisher_ = std::thread([this] {
    NameThisThread("kvd-publish");
    PublishLoop();
  });
  return Status::Ok();
}

void KvdMember::ExpiryLoop() {
  while (!stop_expirer_.load()) {
    // Polling with a fixed period: a timed-out write is answered at most 100 ms late.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kv_->ExpireWaiters();
  }
}

void KvdMember::PublishLoop() {
  cmdpb::MemberAttributes attributes;
  attributes.set_id(config_.member_id);
  attributes.set_name(config_.name);
  for (const Url& u : config_.advertise_client_urls) attributes.add_client_urls(u.ToString());
  while (!shut_down_.load()) {
    Status s = kv_->PublishMember(attributes);
    if (s.ok()) {
      spdlog::info("published member {} ({:x}) to the cluster", config_.name, config_.member_id);
      return;
    }
    std::unique_lock<std::mutex> lock(publish_mu_);
    publish_cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return shut_down_.load(); });
  }
}

void KvdMember::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(publish_mu_);
    if (shut_down_.exchange(true)) return;
  }
  publish_cv_.notify_all();
  // 1. Stop taking requests; those in flight get until the deadline to finish.
  if (client_server_) {
    client_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(3));
  }
  // 2. A leader hands over first, so the others need not wait out an election timeout: to a
  // voter it hears from (not to one that is down too, which would hold this stop for an
  // election timeout and leave the cluster to elect anyway).
  if (const NodeState state = node_ ? node_->state() : NodeState{};
      state.is_leader && state.conf_state.voters_size() > 1) {
    node_->HandOverLeadership();
    if (WaitFor([&] { return !node_->state().is_leader; },
                std::chrono::milliseconds(config_.election_timeout_ms))) {
      // Leader 0: the transferee's campaign is still on (or it is stopping too).
      if (const uint64_t leader = node_->state().leader; leader != 0) {
        spdlog::info("handed leadership to {:x}", leader);
      } else {
        spdlog::info("stepped down; a follower was asked to take over");
      }
    }
  }
  // 3. Stop the threads, then make everything applied durable.
  if (peer_listener_) peer_listener_->Stop();  // before the server it hands connections to
  if (peer_server_) {
    peer_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  if (transport_) transport_->Stop();
  if (snapshot_transport_) snapshot_transport_->Stop();
  if (node_) node_->Stop();
  if (applier_) applier_->Stop();
  if (apply_waiters_) {
    apply_waiters_->CompleteAll(
        ApplyOutcome{Status::Unavailable("etcdserver: server stopped"), {}, 0});
  }
  if (publisher_.joinable()) publisher_.join();
  stop_expirer_.store(true);
  if (expirer_.joinable()) expirer_.join();
  if (db_) {
    rocksdb::Status flushed = db_->db()->FlushWAL(/*sync=*/true);
    if (!flushed.ok()) spdlog::warn("final WAL sync failed: {}", flushed.ToString());
  }
  client_server_.reset();
  peer_server_.reset();
  kv_service_.reset();
  maintenance_service_.reset();
  cluster_service_.reset();
  kv_.reset();
  node_.reset();
  transport_.reset();
  snapshot_transport_.reset();
  peer_listener_.reset();
  peer_service_.reset();
  applier_.reset();
  store_.reset();
  log_.reset();
  db_.reset();
}

}  // namespace raftkv::server
