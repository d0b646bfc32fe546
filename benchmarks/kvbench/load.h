// The load kvbench puts on a cluster: many clients, each with one request in flight, over a set
// of gRPC connections to the etcd v3 API (so it measures kvd and a real etcd alike). Modelled on
// etcd's own benchmark tool: the same workloads and the same notions of connections, clients,
// key space and rate.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "benchmarks/kvbench/latency_recorder.h"

namespace raftkv::kvbench {

enum class Workload {
  kPut,     // Put of a key from the key space
  kRange,   // single-key Range of a key from the key space (linearizable or serializable)
  kTxnPut,  // a Txn holding one Put, no compares
  kMixed,   // Range with probability read_fraction, else Put
};

struct LoadOptions {
  Workload workload = Workload::kPut;
  std::vector<std::string> endpoints;  // host:port; connections are spread over them in turn
  int conns = 1;                       // gRPC connections (each its own TCP connection)
  int clients = 1;                     // concurrent requests in flight, spread over connections
  int64_t total = 10000;               // requests in all
  int key_size = 8;
  int val_size = 8;
  int64_t key_space_size = 1;    // keys are drawn from this many distinct keys
  bool sequential_keys = false;  // key i of the run is i mod key_space_size, else random
  double rate = 0;               // requests per second in all, 0 for as fast as possible
  bool serializable = false;     // ranges answered locally by the endpoint
  double read_fraction = 0.5;    // kMixed only
  uint64_t seed = 1;
  bool progress = true;  // a line on stderr every second
};

struct LoadResult {
  double seconds = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  std::map<std::string, int64_t> errors;  // message -> count
  LatencySummary latency;                 // of the requests that succeeded
  // User + system CPU time kvbench itself used while the load ran (all its threads, gRPC's
  // included). On a machine that also runs the servers, it is CPU the servers could not use.
  double cpu_seconds = 0;
};

// kvbench's CPU time per request of `result`, in microseconds (0 for an empty run).
double ClientCpuMicrosPerRequest(const LoadResult& result);

// Runs the load to completion (every request answered or failed).
LoadResult RunLoad(const LoadOptions& options);

// The user + system CPU time this process has used so far, over all its threads (0, with a
// warning on stderr, if the system cannot say). grpc_floor reads its own with it too.
double ProcessCpuSeconds();

// The key of index i: key_size bytes, the index in big-endian at the end, zeros before it.
std::string KeyOf(int64_t index, int key_size);

}  // namespace raftkv::kvbench
