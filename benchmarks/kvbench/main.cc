// kvbench: a load generator over the etcd v3 API, for kvd and a real etcd alike.
//
//   kvbench put   --endpoints 127.0.0.1:2379 --conns 16 --clients 256 --total 100000
//   kvbench range --consistency s --clients 256 --key-space-size 1000
//   kvbench txn-put --clients 64
//   kvbench mixed --read-fraction 0.9
#include <absl/synchronization/mutex.h>

#include <CLI/CLI.hpp>

#include <iostream>

#include "benchmarks/kvbench/load.h"
#include "benchmarks/kvbench/report.h"

int main(int argc, char** argv) {
  // Debian's Abseil is built with its mutex deadlock detection on, and gRPC's client takes an
  // absl::Mutex several times per call: the detector's bookkeeping took some 2.5 % of kvbench's
  // CPU (perf, 256 clients), CPU it took from the servers it measures on the same cores.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  using raftkv::kvbench::LoadOptions;
  using raftkv::kvbench::Workload;
  CLI::App app{"kvbench: load over the etcd v3 API; reports throughput and latency", "kvbench"};
  app.require_subcommand(1);
  LoadOptions options;
  std::string endpoints = "127.0.0.1:2379";
  std::string consistency = "l";
  bool json = false;
  bool quiet = false;
  app.add_option("--endpoints", endpoints, "comma-separated host:port")->capture_default_str();
  app.add_option("--conns", options.conns, "gRPC connections")->capture_default_str();
  app.add_option("--clients", options.clients, "concurrent requests")->capture_default_str();
  app.add_option("--total", options.total, "requests in all")->capture_default_str();
  app.add_option("--key-size", options.key_size, "bytes per key")->capture_default_str();
  app.add_option("--val-size", options.val_size, "bytes per value")->capture_default_str();
  app.add_option("--key-space-size", options.key_space_size, "distinct keys")
      ->capture_default_str();
  app.add_flag("--sequential-keys", options.sequential_keys, "keys in order, not random");
  app.add_option("--rate", options.rate, "requests/s in all (0: as fast as possible)")
      ->capture_default_str();
  app.add_option("--seed", options.seed, "random seed")->capture_default_str();
  app.add_flag("--json", json, "print one JSON object instead of the text report");
  app.add_flag("--quiet", quiet, "no progress line on stderr");
  CLI::App* put = app.add_subcommand("put", "Put requests");
  CLI::App* range = app.add_subcommand("range", "single-key Range requests");
  range->add_option("--consistency", consistency, "l (linearizable) or s (serializable)")
      ->check(CLI::IsMember({"l", "s"}));
  CLI::App* txn_put = app.add_subcommand("txn-put", "Txn requests holding one Put");
  CLI::App* mixed = app.add_subcommand("mixed", "Range with --read-fraction, else Put");
  mixed->add_option("--read-fraction", options.read_fraction, "share of reads")
      ->check(CLI::Range(0.0, 1.0));
  mixed->add_option("--consistency", consistency, "l (linearizable) or s (serializable)")
      ->check(CLI::IsMember({"l", "s"}));
  for (CLI::App* sub : {put, range, txn_put, mixed}) sub->fallthrough();
  CLI11_PARSE(app, argc, argv);

  std::string name;
  if (put->parsed()) {
    options.workload = Workload::kPut;
    name = "put";
  } else if (range->parsed()) {
    options.workload = Workload::kRange;
    name = consistency == "s" ? "range-serializable" : "range-linearizable";
  } else if (txn_put->parsed()) {
    options.workload = Workload::kTxnPut;
    name = "txn-put";
  } else {
    options.workload = Workload::kMixed;
    name = "mixed";
  }
  options.serializable = consistency == "s";
  options.progress = !quiet && !json;
  for (size_t start = 0; start <= endpoints.size();) {
    size_t comma = endpoints.find(',', start);
    if (comma == std::string::npos) comma = endpoints.size();
    std::string endpoint = endpoints.substr(start, comma - start);
    if (endpoint.rfind("http://", 0) == 0) endpoint = endpoint.substr(7);
    if (!endpoint.empty()) options.endpoints.push_back(endpoint);
    start = comma + 1;
  }
  if (options.endpoints.empty() || options.total <= 0 || options.key_space_size <= 0 ||
      options.key_size <= 0 || options.val_size < 0) {
    std::cerr << "kvbench: need endpoints, and positive --total, --key-size, --key-space-size\n";
    return 2;
  }
  const auto result = raftkv::kvbench::RunLoad(options);
  std::cout << (json ? raftkv::kvbench::JsonReport(name, options, result)
                     : raftkv::kvbench::TextReport(name, options, result));
  return result.failed == 0 ? 0 : 1;
}
