#include "tests/server/kvd_cluster.h"

#include <signal.h>

#include <map>
#include <thread>

namespace raftkv::server::testing {

std::unique_ptr<grpc::ClientContext> ContextWithTimeout(std::chrono::milliseconds timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

KvdCluster::KvdCluster(std::string dir, int members, int base_port,
                       std::vector<std::string> extra_flags)
    : dir_(std::move(dir)),
      members_(members),
      base_port_(base_port),
      extra_flags_(std::move(extra_flags)),
      processes_(members) {
  for (int i = 1; i <= members_; ++i) Start(i);
}

KvdCluster::~KvdCluster() {
  for (int i = 1; i <= members_; ++i) {
    if (running(i)) Kill(i);
  }
}

std::string KvdCluster::ClientAddress(int i) const {
  return "127.0.0.1:" + std::to_string(base_port_ + 10 * i);
}

void KvdCluster::Start(int i) {
  std::string initial_cluster;
  for (int j = 1; j <= members_; ++j) {
    initial_cluster += (j == 1 ? "" : ",") + std::string("m") + std::to_string(j) +
                       "=http://127.0.0.1:" + std::to_string(base_port_ + 10 * j + 1);
  }
  const std::string client = "http://" + ClientAddress(i);
  const std::string peer = "http://127.0.0.1:" + std::to_string(base_port_ + 10 * i + 1);
  std::vector<std::string> argv = {std::string(RAFTKV_KVD_BINARY),
                                   "--name=m" + std::to_string(i),
                                   "--data-dir=" + dir_ + "/member" + std::to_string(i),
                                   "--listen-client-urls=" + client,
                                   "--advertise-client-urls=" + client,
                                   "--listen-peer-urls=" + peer,
                                   "--initial-advertise-peer-urls=" + peer,
                                   "--initial-cluster=" + initial_cluster,
                                   "--initial-cluster-token=kvd-test",
                                   "--log-level=warn"};
  argv.insert(argv.end(), extra_flags_.begin(), extra_flags_.end());
  processes_[i - 1] = std::make_unique<storage::testing::ChildProcess>(argv);
}

void KvdCluster::Kill(int i) {
  if (processes_[i - 1]) processes_[i - 1]->Kill();
  processes_[i - 1].reset();
}

int KvdCluster::Terminate(int i) {
  auto& p = processes_[i - 1];
  if (!p) return -1;
  p->Signal(SIGTERM);
  const int code = p->Wait();
  p.reset();
  return code;
}

std::unique_ptr<etcdserverpb::KV::Stub> KvdCluster::Kv(int i) const {
  return etcdserverpb::KV::NewStub(
      grpc::CreateChannel(ClientAddress(i), grpc::InsecureChannelCredentials()));
}

std::unique_ptr<etcdserverpb::Maintenance::Stub> KvdCluster::Maintenance(int i) const {
  return etcdserverpb::Maintenance::NewStub(
      grpc::CreateChannel(ClientAddress(i), grpc::InsecureChannelCredentials()));
}

uint64_t KvdCluster::MemberId(int i) const {
  if (!running(i)) return 0;
  etcdserverpb::StatusResponse status;
  auto context = ContextWithTimeout(std::chrono::milliseconds(500));
  if (!Maintenance(i)->Status(context.get(), {}, &status).ok()) return 0;
  return status.header().member_id();
}

int KvdCluster::WaitForLeader(std::chrono::steady_clock::time_point deadline) const {
  while (std::chrono::steady_clock::now() < deadline) {
    std::map<uint64_t, int> votes;  // leader id -> running members that report it
    std::map<uint64_t, int> index_of;
    int up = 0;
    for (int i = 1; i <= members_; ++i) {
      if (!running(i)) continue;
      ++up;
      etcdserverpb::StatusResponse status;
      auto context = ContextWithTimeout(std::chrono::milliseconds(300));
      if (!Maintenance(i)->Status(context.get(), {}, &status).ok()) continue;
      index_of[status.header().member_id()] = i;
      if (status.leader() != 0) ++votes[status.leader()];
    }
    for (const auto& [leader, count] : votes) {
      if (count == up && index_of.count(leader)) return index_of[leader];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

}  // namespace raftkv::server::testing
