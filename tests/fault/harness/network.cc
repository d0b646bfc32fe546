#include "tests/fault/harness/network.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace raftkv::fault::harness {
namespace {

constexpr int kClientPort = 2379;
constexpr int kPeerPort = 2380;
constexpr int kBridgeHost = 254;  // the harness's address on the bridge: 10.77.<block>.254

// What a finished command did.
struct CommandResult {
  int exit_code = -1;  // -1 when it could not be run or died by a signal
  std::string output;  // stdout and stderr together
};

// Runs argv (no shell) with `input` on its stdin, and waits for it. Used only by the harness's
// main thread, so the fork is safe.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input = "") {
  CommandResult result;
  int in_pipe[2];
  int out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return result;
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return result;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(out_pipe[1], STDERR_FILENO);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (pid > 0 && !input.empty()) {
    // Inputs are a few kilobytes of rules at most: they fit in the pipe's buffer.
    const ssize_t written = write(in_pipe[1], input.data(), input.size());
    (void)written;
  }
  close(in_pipe[1]);
  char buffer[4096];
  for (ssize_t n; (n = read(out_pipe[0], buffer, sizeof buffer)) > 0;) {
    result.output.append(buffer, static_cast<size_t>(n));
  }
  close(out_pipe[0]);
  if (pid < 0) return result;
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// Runs argv and turns a non-zero exit into an error that quotes the command and its output.
Status Run(const std::vector<std::string>& argv, const std::string& input = "") {
  const CommandResult result = RunCommand(argv, input);
  if (result.exit_code == 0) return Status::Ok();
  std::string command;
  for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
  std::string output = result.output;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return Status::IOError("'" + command + "' failed (exit " + std::to_string(result.exit_code) +
                         "): " + output);
}

}  // namespace

LoopbackNetwork::LoopbackNetwork(int base_port, std::string why)
    : base_port_(base_port), why_(std::move(why)) {}

std::string LoopbackNetwork::ClientAddress(int member) const {
  return "127.0.0.1:" + std::to_string(base_port_ + 10 * member);
}

std::string LoopbackNetwork::PeerAddress(int member) const {
  return "127.0.0.1:" + std::to_string(base_port_ + 10 * member + 1);
}

Status LoopbackNetwork::SetLinks(const LinkFaults& faults) {
  if (faults.empty()) return Status::Ok();
  return Status::FailedPrecondition("link faults need network namespaces: " + why_);
}

std::string LoopbackNetwork::Describe() const {
  return "loopback (127.0.0.1), no partitions or lossy links: " + why_;
}

NamespaceNetwork::NamespaceNetwork(int members, int block)
    : members_(members), block_(block), namespace_fds_(static_cast<size_t>(members), -1) {}

StatusOr<std::unique_ptr<NamespaceNetwork>> NamespaceNetwork::Create(int members, int block) {
  if (block < 0 || block > 255 || members < 1 || members >= kBridgeHost) {
    return Status::InvalidArgument("no subnet for block " + std::to_string(block));
  }
  std::unique_ptr<NamespaceNetwork> network(new NamespaceNetwork(members, block));
  network->TearDown();  // leftovers of a killed run on the same block
  Status built = network->Build();
  if (!built.ok()) return built;  // the destructor removes what was made
  return network;
}

NamespaceNetwork::~NamespaceNetwork() { TearDown(); }

std::string NamespaceNetwork::NamespaceName(int member) const {
  return "rkv" + std::to_string(block_) + "m" + std::to_string(member);
}

std::string NamespaceNetwork::MemberIp(int member) const {
  return "10.77." + std::to_string(block_) + "." + std::to_string(member);
}

std::string NamespaceNetwork::ClientAddress(int member) const {
  return MemberIp(member) + ":" + std::to_string(kClientPort);
}

std::string NamespaceNetwork::PeerAddress(int member) const {
  return MemberIp(member) + ":" + std::to_string(kPeerPort);
}

int NamespaceNetwork::NamespaceFd(int member) const { return namespace_fds_[member - 1]; }

Status NamespaceNetwork::Build() {
  const std::string bridge = "rkv" + std::to_string(block_) + "br";
  const std::string subnet = "10.77." + std::to_string(block_) + ".";
  RAFTKV_RETURN_IF_ERROR(Run({"ip", "link", "add", bridge, "type", "bridge"}));
  RAFTKV_RETURN_IF_ERROR(
      Run({"ip", "addr", "add", subnet + std::to_string(kBridgeHost) + "/24", "dev", bridge}));
  RAFTKV_RETURN_IF_ERROR(Run({"ip", "link", "set", bridge, "up"}));
  for (int i = 1; i <= members_; ++i) {
    const std::string ns = NamespaceName(i);
    const std::string veth = "rkv" + std::to_string(block_) + "v" + std::to_string(i);
    RAFTKV_RETURN_IF_ERROR(Run({"ip", "netns", "add", ns}));
    RAFTKV_RETURN_IF_ERROR(
        Run({"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns}));
    RAFTKV_RETURN_IF_ERROR(Run({"ip", "link", "set", veth, "master", bridge, "up"}));
    RAFTKV_RETURN_IF_ERROR(
        Run({"ip", "-n", ns, "addr", "add", MemberIp(i) + "/24", "dev", "eth0"}));
    RAFTKV_RETURN_IF_ERROR(Run({"ip", "-n", ns, "link", "set", "eth0", "up"}));
    RAFTKV_RETURN_IF_ERROR(Run({"ip", "-n", ns, "link", "set", "lo", "up"}));
    // The filter chain that link faults fill; empty (accept everything) until then.
    RAFTKV_RETURN_IF_ERROR(Run({"ip", "netns", "exec", ns, "nft", "-f", "-"},
                               "add table inet raftkv_fault\n"
                               "add chain inet raftkv_fault input "
                               "{ type filter hook input priority 0; policy accept; }\n"));
    const std::string path = "/run/netns/" + ns;
    namespace_fds_[i - 1] = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (namespace_fds_[i - 1] < 0) {
      return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

void NamespaceNetwork::TearDown() {
  for (int& fd : namespace_fds_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  for (int i = 1; i <= members_; ++i) {
    // Deleting the namespace deletes its end of the veth pair, and with it the other end.
    (void)RunCommand({"ip", "netns", "delete", NamespaceName(i)});
    (void)RunCommand(
        {"ip", "link", "delete", "rkv" + std::to_string(block_) + "v" + std::to_string(i)});
  }
  (void)RunCommand({"ip", "link", "delete", "rkv" + std::to_string(block_) + "br"});
  rules_.clear();
}

Status NamespaceNetwork::LoadRules(int member, const std::string& rules) {
  auto loaded = rules_.find(member);
  if (loaded != rules_.end() && loaded->second == rules) return Status::Ok();
  RAFTKV_RETURN_IF_ERROR(Run({"ip", "netns", "exec", NamespaceName(member), "nft", "-f", "-"},
                             "flush chain inet raftkv_fault input\n" + rules));
  rules_[member] = rules;
  return Status::Ok();
}

Status NamespaceNetwork::SetLinks(const LinkFaults& faults) {
  for (int to = 1; to <= members_; ++to) {
    std::string rules;
    for (int from = 1; from <= members_; ++from) {
      if (faults.cut.count({from, to})) {
        rules += "add rule inet raftkv_fault input ip saddr " + MemberIp(from) + " drop\n";
        continue;
      }
      auto loss = faults.loss.find({from, to});
      if (loss != faults.loss.end()) {
        rules += "add rule inet raftkv_fault input ip saddr " + MemberIp(from) +
                 " numgen random mod 100 < " + std::to_string(loss->second) + " drop\n";
      }
    }
    RAFTKV_RETURN_IF_ERROR(LoadRules(to, rules));
  }
  return Status::Ok();
}

std::string NamespaceNetwork::Describe() const {
  return "network namespaces rkv" + std::to_string(block_) + "m1..m" + std::to_string(members_) +
         " on bridge rkv" + std::to_string(block_) + "br (10.77." + std::to_string(block_) +
         ".0/24), link faults by nftables";
}

}  // namespace raftkv::fault::harness
