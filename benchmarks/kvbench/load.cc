#include "benchmarks/kvbench/load.h"

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "proto/etcd/rpc.grpc.pb.h"

namespace raftkv::kvbench {

std::string KeyOf(int64_t index, int key_size) {
  std::string key(static_cast<size_t>(key_size), '\0');
  for (int i = key_size - 1, shift = 0; i >= 0 && shift < 64; --i, shift += 8) {
    key[static_cast<size_t>(i)] = static_cast<char>((static_cast<uint64_t>(index) >> shift) & 0xff);
  }
  return key;
}

double ProcessCpuSeconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) {
    std::fprintf(stderr, "cannot read the CPU time used: %s\n", std::strerror(errno));
    return 0;
  }
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

namespace {

using Clock = std::chrono::steady_clock;

// One client: one request in flight at a time, on its connection's stub and its thread's
// completion queue. It is its own completion tag.
struct Client {
  enum class State { kWaitingForRate, kInFlight };

  etcdserverpb::KV::Stub* stub = nullptr;
  grpc::CompletionQueue* cq = nullptr;
  std::mt19937_64 rng;
  State state = State::kInFlight;
  int64_t index = 0;  // of the request being waited for or in flight
  bool is_read = false;
  Clock::time_point started;
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::Alarm> alarm;
  grpc::Status status;
  etcdserverpb::PutResponse put_response;
  etcdserverpb::RangeResponse range_response;
  etcdserverpb::TxnResponse txn_response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> put_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::RangeResponse>> range_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::TxnResponse>> txn_reader;
};

// The shared state of a run. Invariant: every issued request is eventually completed or failed,
// so finished_ reaches options_.total and the run ends.
class Run {
 public:
  explicit Run(const LoadOptions& options) : options_(options), value_(options.val_size, 'v') {
    std::mt19937_64 fill(options.seed);
    for (char& c : value_) c = static_cast<char>('a' + fill() % 26);
  }

  LoadResult Execute();

 private:
  void Issue(Client* c);  // the client's next request, or nothing once all are issued
  void Send(Client* c);
  void Complete(Client* c, LatencyRecorder* latencies);
  void Poll(grpc::CompletionQueue* cq, LatencyRecorder* latencies);

  const LoadOptions& options_;
  std::string value_;
  Clock::time_point start_;
  std::atomic<int64_t> issued_{0};
  std::atomic<int64_t> finished_{0};
  std::atomic<int64_t> failed_{0};
  std::mutex errors_mu_;
  std::map<std::string, int64_t> errors_;  // guarded by errors_mu_
};

void Run::Issue(Client* c) {
  c->index = issued_.fetch_add(1);
  if (c->index >= options_.total) return;
  if (options_.rate > 0) {
    const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(c->index / options_.rate));
    const auto now = Clock::now();
    if (due > now) {
      c->state = Client::State::kWaitingForRate;
      c->alarm = std::make_unique<grpc::Alarm>();
      c->alarm->Set(c->cq, std::chrono::system_clock::now() + (due - now), c);
      return;
    }
  }
  Send(c);
}

void Run::Send(Client* c) {
  c->state = Client::State::kInFlight;
  const int64_t key_index = options_.sequential_keys
                                ? c->index % options_.key_space_size
                                : static_cast<int64_t>(c->rng() % options_.key_space_size);
  const std::string key = KeyOf(key_index, options_.key_size);
  bool read = options_.workload == Workload::kRange;
  if (options_.workload == Workload::kMixed) {
    read = std::uniform_real_distribution<double>(0, 1)(c->rng) < options_.read_fraction;
  }
  c->is_read = read;
  c->context = std::make_unique<grpc::ClientContext>();
  c->started = Clock::now();
  if (read) {
    etcdserverpb::RangeRequest request;
    request.set_key(key);
    request.set_serializable(options_.serializable);
    c->range_reader = c->stub->PrepareAsyncRange(c->context.get(), request, c->cq);
    c->range_reader->StartCall();
    c->range_reader->Finish(&c->range_response, &c->status, c);
  } else if (options_.workload == Workload::kTxnPut) {
    etcdserverpb::TxnRequest request;
    etcdserverpb::PutRequest* put = request.add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(value_);
    c->txn_reader = c->stub->PrepareAsyncTxn(c->context.get(), request, c->cq);
    c->txn_reader->StartCall();
    c->txn_reader->Finish(&c->txn_response, &c->status, c);
  } else {
    etcdserverpb::PutRequest request;
    request.set_key(key);
    request.set_value(value_);
    c->put_reader = c->stub->PrepareAsyncPut(c->context.get(), request, c->cq);
    c->put_reader->StartCall();
    c->put_reader->Finish(&c->put_response, &c->status, c);
  }
}

void Run::Complete(Client* c, LatencyRecorder* latencies) {
  if (c->status.ok()) {
    latencies->Add(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c->started).count());
  } else {
    failed_.fetch_add(1);
    std::lock_guard lock(errors_mu_);
    ++errors_[c->status.error_message()];
  }
  finished_.fetch_add(1);
}

void Run::Poll(grpc::CompletionQueue* cq, LatencyRecorder* latencies) {
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
    auto* c = static_cast<Client*>(tag);
    if (c->state == Client::State::kWaitingForRate) {
      Send(c);
      continue;
    }
    Complete(c, latencies);
    Issue(c);
  }
}

LoadResult Run::Execute() {
  const int conns = std::max(1, options_.conns);
  const int threads =
      std::max(1, std::min(conns, static_cast<int>(std::thread::hardware_concurrency())));
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs;
  for (int i = 0; i < conns; ++i) {
    grpc::ChannelArguments args;
    // Without a local pool, channels to one address share one TCP connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("kvbench.connection", i);  // distinct arguments: distinct channels
    const std::string& endpoint =
        options_.endpoints[static_cast<size_t>(i) % options_.endpoints.size()];
    stubs.push_back(etcdserverpb::KV::NewStub(
        grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args)));
  }
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues;
  for (int i = 0; i < threads; ++i) queues.push_back(std::make_unique<grpc::CompletionQueue>());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < std::max(1, options_.clients); ++i) {
    auto c = std::make_unique<Client>();
    c->stub = stubs[static_cast<size_t>(i % conns)].get();
    c->cq = queues[static_cast<size_t>(i % threads)].get();
    c->rng.seed(options_.seed * 1000003 + static_cast<uint64_t>(i));
    clients.push_back(std::move(c));
  }

  std::vector<LatencyRecorder> latencies(static_cast<size_t>(threads));
  const double cpu_at_start = ProcessCpuSeconds();
  start_ = Clock::now();
  for (auto& c : clients) Issue(c.get());
  std::vector<std::thread> pollers;
  for (int i = 0; i < threads; ++i) {
    pollers.emplace_back([this, &queues, &latencies, i] {
      Poll(queues[static_cast<size_t>(i)].get(), &latencies[static_cast<size_t>(i)]);
    });
  }
  auto last_report = start_;
  int64_t last_finished = 0;
  while (finished_.load() < options_.total) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now = Clock::now();
    if (options_.progress && now - last_report >= std::chrono::seconds(1)) {
      const int64_t done = finished_.load();
      const double rate =
          (done - last_finished) / std::chrono::duration<double>(now - last_report).count();
      std::fprintf(stderr, "\r  %lld/%lld requests, %.0f/s   ", static_cast<long long>(done),
                   static_cast<long long>(options_.total), rate);
      last_report = now;
      last_finished = done;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  const double cpu_seconds = ProcessCpuSeconds() - cpu_at_start;
  if (options_.progress) std::fprintf(stderr, "\r%60s\r", "");
  for (auto& q : queues) q->Shutdown();
  for (auto& t : pollers) t.join();

  LoadResult result;
  result.seconds = seconds;
  result.cpu_seconds = cpu_seconds;
  result.failed = failed_.load();
  result.succeeded = options_.total - result.failed;
  result.errors = errors_;
  for (size_t i = 1; i < latencies.size(); ++i) latencies[0].Merge(latencies[i]);
  result.latency = latencies[0].Summarize();
  return result;
}

}  // namespace

double ClientCpuMicrosPerRequest(const LoadResult& result) {
  const int64_t requests = result.succeeded + result.failed;
  return requests > 0 ? result.cpu_seconds * 1e6 / static_cast<double>(requests) : 0;
}

LoadResult RunLoad(const LoadOptions& options) {
  Run run(options);
  return run.Execute();
}

}  // namespace raftkv::kvbench
