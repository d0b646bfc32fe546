// grpc_floor: an etcd KV server that stores nothing and answers every Range and Put at once,
// on the gRPC callback API and the allocator kvd's client port uses, with gRPC's default server
// settings (kvd only raises the receive limit). Load it with kvbench to see what the gRPC calls
// alone cost on this machine, the floor under any member's CPU per request:
//
//   ./build/benchmarks/grpc_floor --listen 127.0.0.1:23790 &
//   ./build/benchmarks/kvbench --endpoints 127.0.0.1:23790 --key-size 8 --val-size 256
//     --conns 16 --clients 256 --total 100000 range --consistency s   (one command)
//
// A Range is answered with one key of --val-size bytes (what a single-key read of kvd returns),
// a Put with only the header; both fill the header as kvd does. Other KV calls are
// UNIMPLEMENTED. On SIGINT or SIGTERM it stops and prints the requests it answered and its own
// CPU time per request.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "benchmarks/kvbench/load.h"
#include "proto/etcd/rpc.grpc.pb.h"

namespace {

using raftkv::kvbench::ProcessCpuSeconds;

// Answers every Range and Put on the callback thread that received it, with a fixed response,
// and counts them.
class FloorKv final : public etcdserverpb::KV::CallbackService {
 public:
  explicit FloorKv(size_t value_size) : value_(value_size, 'v') {}

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* context,
                                  const etcdserverpb::RangeRequest* request,
                                  etcdserverpb::RangeResponse* response) override {
    FillHeader(response->mutable_header());
    mvccpb::KeyValue* kv = response->add_kvs();
    kv->set_key(request->key());
    kv->set_value(value_);
    kv->set_create_revision(2);
    kv->set_mod_revision(2);
    kv->set_version(1);
    response->set_count(1);
    return Finish(context);
  }
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context,
                                const etcdserverpb::PutRequest*,
                                etcdserverpb::PutResponse* response) override {
    FillHeader(response->mutable_header());
    return Finish(context);
  }

  // Range and Put requests answered so far.
  int64_t answered() const { return answered_.load(); }

 private:
  static void FillHeader(etcdserverpb::ResponseHeader* header) {
    header->set_cluster_id(1);
    header->set_member_id(1);
    header->set_revision(2);
    header->set_raft_term(2);
  }
  grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context) {
    answered_.fetch_add(1, std::memory_order_relaxed);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  const std::string value_;           // every Range's value
  std::atomic<int64_t> answered_{0};  // incremented by the callback threads
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"grpc_floor: an etcd KV server that answers at once, to measure gRPC's own cost",
               "grpc_floor"};
  std::string listen = "127.0.0.1:23790";
  size_t value_size = 256;
  app.add_option("--listen", listen, "host:port (loopback; port 0 picks one)")
      ->capture_default_str();
  app.add_option("--val-size", value_size, "bytes of the value a Range returns")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  // SIGINT and SIGTERM are taken by sigwait below, on this thread only: blocked before gRPC
  // starts its threads, so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  FloorKv service(value_size);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "grpc_floor: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::fprintf(stderr, "grpc_floor: listening on port %d\n", port);
  const double cpu_at_start = ProcessCpuSeconds();
  int received = 0;
  sigwait(&signals, &received);
  const double cpu = ProcessCpuSeconds() - cpu_at_start;
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  const int64_t answered = service.answered();
  std::printf("answered %lld requests, %.1f us of CPU per request\n",
              static_cast<long long>(answered), answered > 0 ? cpu * 1e6 / answered : 0.0);
  return 0;
}
