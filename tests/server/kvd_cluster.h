// KvdCluster: real kvd processes on loopback, for integration tests (DESIGN.md: tests/server/
// uses real processes and real gRPC). Members are numbered 1..n; member i listens for clients
// on base_port + 10*i and for peers on base_port + 10*i + 1, and keeps its data in dir/member<i>.
// Clients are plain gRPC stubs of the etcd API.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "proto/etcd/rpc.grpc.pb.h"
#include "tests/storage/child_process_support.h"

namespace raftkv::server::testing {

class KvdCluster {
 public:
  KvdCluster(std::string dir, int members, int base_port, std::vector<std::string> extra_flags);
  ~KvdCluster();  // SIGKILLs whatever still runs

  void Start(int i);
  void Kill(int i);      // SIGKILL
  int Terminate(int i);  // SIGTERM, then wait; returns the exit code
  bool running(int i) const { return processes_[i - 1] != nullptr; }

  std::unique_ptr<etcdserverpb::KV::Stub> Kv(int i) const;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> Maintenance(int i) const;

  // The member index (1..n) that running members agree leads, or 0 when the deadline passes.
  int WaitForLeader(std::chrono::steady_clock::time_point deadline) const;
  // The member id (as in response headers) of member i, learned from its Status (0 if down).
  uint64_t MemberId(int i) const;

  std::string ClientAddress(int i) const;

 private:
  const std::string dir_;
  const int members_;
  const int base_port_;
  const std::vector<std::string> extra_flags_;
  std::vector<std::unique_ptr<storage::testing::ChildProcess>> processes_;
};

// A context with a deadline `timeout` from now.
std::unique_ptr<grpc::ClientContext> ContextWithTimeout(std::chrono::milliseconds timeout);

}  // namespace raftkv::server::testing
