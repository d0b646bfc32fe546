#include "tests/fault/harness/cluster.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "proto/etcd/rpc.grpc.pb.h"

namespace raftkv::fault::harness {

FaultCluster::FaultCluster(ClusterOptions options)
    : options_(std::move(options)), members_(static_cast<size_t>(options_.members)) {}

FaultCluster::~FaultCluster() {
  for (int i = 1; i <= options_.members; ++i) Kill(i);
}

std::string FaultCluster::ClientAddress(int i) const { return options_.network->ClientAddress(i); }

Status FaultCluster::Start(int i) {
  std::lock_guard<std::mutex> lock(mu_);
  Member& member = members_[i - 1];
  if (member.pid > 0) return Status::FailedPrecondition("member " + std::to_string(i) + " runs");
  std::string initial_cluster;
  for (int j = 1; j <= options_.members; ++j) {
    initial_cluster += (j == 1 ? "" : ",") + std::string("m") + std::to_string(j) + "=http://" +
                       options_.network->PeerAddress(j);
  }
  const std::string client = "http://" + ClientAddress(i);
  const std::string peer = "http://" + options_.network->PeerAddress(i);
  const int namespace_fd = options_.network->NamespaceFd(i);
  std::vector<std::string> argv = {
      options_.kvd_binary,
      "--name=m" + std::to_string(i),
      "--data-dir=" + options_.data_dir + "/member" + std::to_string(i),
      "--listen-client-urls=" + client,
      "--advertise-client-urls=" + client,
      "--listen-peer-urls=" + peer,
      "--initial-advertise-peer-urls=" + peer,
      "--initial-cluster=" + initial_cluster,
      "--initial-cluster-token=fault-run",
      "--log-level=warn"};
  argv.insert(argv.end(), options_.extra_flags.begin(), options_.extra_flags.end());
  const std::string log = options_.log_dir + "/member" + std::to_string(i) + ".log";
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError("cannot open " + log);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return Status::IOError("fork failed");
  }
  if (pid == 0) {
    // Dies with the thread that started it; and if that already happened, dies now.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    if (namespace_fd >= 0 && setns(namespace_fd, CLONE_NEWNET) != 0) _exit(125);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(log_fd);
  member.pid = pid;
  member.paused = false;
  return Status::Ok();
}

void FaultCluster::Kill(int i) {
  std::lock_guard<std::mutex> lock(mu_);
  Member& member = members_[i - 1];
  if (member.pid <= 0) return;
  kill(member.pid, SIGKILL);
  if (member.paused) kill(member.pid, SIGCONT);
  int status = 0;
  waitpid(member.pid, &status, 0);
  member.pid = -1;
  member.paused = false;
}

void FaultCluster::Pause(int i) {
  std::lock_guard<std::mutex> lock(mu_);
  Member& member = members_[i - 1];
  if (member.pid <= 0 || member.paused) return;
  kill(member.pid, SIGSTOP);
  member.paused = true;
}

void FaultCluster::Resume(int i) {
  std::lock_guard<std::mutex> lock(mu_);
  Member& member = members_[i - 1];
  if (member.pid <= 0 || !member.paused) return;
  kill(member.pid, SIGCONT);
  member.paused = false;
}

bool FaultCluster::running(int i) const {
  std::lock_guard<std::mutex> lock(mu_);
  return members_[i - 1].pid > 0;
}

bool FaultCluster::paused(int i) const {
  std::lock_guard<std::mutex> lock(mu_);
  return members_[i - 1].paused;
}

std::pair<uint64_t, uint64_t> FaultCluster::QueryStatus(int i) const {
  auto stub = etcdserverpb::Maintenance::NewStub(
      grpc::CreateChannel(ClientAddress(i), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  etcdserverpb::StatusResponse status;
  if (!stub->Status(&context, {}, &status).ok()) return {0, 0};
  return {status.header().member_id(), status.leader()};
}

Status FaultCluster::MoveLeader(int from, int to) const {
  const uint64_t target = QueryStatus(to).first;
  if (target == 0) return Status::Unavailable("member " + std::to_string(to) + " does not answer");
  auto stub = etcdserverpb::Maintenance::NewStub(
      grpc::CreateChannel(ClientAddress(from), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  etcdserverpb::MoveLeaderRequest request;
  request.set_targetid(target);
  etcdserverpb::MoveLeaderResponse response;
  const grpc::Status status = stub->MoveLeader(&context, request, &response);
  if (!status.ok()) return Status::Unavailable(status.error_message());
  return Status::Ok();
}

int FaultCluster::CurrentLeader() const {
  std::map<uint64_t, int> index_of;  // member id -> member index
  std::vector<uint64_t> leaders;
  for (int i = 1; i <= options_.members; ++i) {
    if (!running(i) || paused(i)) continue;
    auto [id, leader] = QueryStatus(i);
    if (id == 0) continue;
    index_of[id] = i;
    if (leader != 0) leaders.push_back(leader);
  }
  for (uint64_t leader : leaders) {
    if (index_of.count(leader)) return index_of[leader];
  }
  return 0;
}

int FaultCluster::WaitForLeader(std::chrono::steady_clock::time_point deadline) const {
  while (std::chrono::steady_clock::now() < deadline) {
    std::map<uint64_t, int> index_of;
    std::map<uint64_t, int> votes;  // leader id -> members reporting it
    int up = 0;
    for (int i = 1; i <= options_.members; ++i) {
      if (!running(i) || paused(i)) continue;
      ++up;
      auto [id, leader] = QueryStatus(i);
      if (id == 0) continue;
      index_of[id] = i;
      if (leader != 0) ++votes[leader];
    }
    for (const auto& [leader, count] : votes) {
      if (count == up && index_of.count(leader)) return index_of[leader];
    }
    // Polling with a deadline: the condition is re-checked, nothing is assumed after the wait.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

}  // namespace raftkv::fault::harness
