// raft_core_bench: throughput of the consensus core alone, without disk or network.
//
// A 3-member cluster runs in one thread over MemoryStorage (tests/raft/test_cluster.h), so the
// figures measure the core's own cost per entry -- Propose, Ready/Advance, append handling,
// commit and apply bookkeeping -- plus the harness's copying of messages and entries. They are an
// upper bound for a real server, which adds fsync and the network.
//
//   ./build/benchmarks/raft_core_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "raft/core.h"
#include "tests/raft/test_cluster.h"

namespace raftkv::raft {
namespace {

// Payload of each proposed entry: a small key-value command.
constexpr size_t kPayloadBytes = 64;
// Logs are compacted (outside the timed region) every this many entries to bound memory.
constexpr uint64_t kCompactEvery = 1 << 14;

// Propose-to-commit: a batch is state.range(0) Propose calls on the leader, then delivery until
// the leader has committed the whole batch. Reports committed entries per second.
void BM_ProposeToCommit(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  test::ClusterOptions options;
  options.record_messages = false;
  options.record_applied = false;
  options.check_safety = false;
  test::TestCluster cluster({1, 2, 3}, options);
  if (!cluster.Elect(1)) {
    state.SkipWithError("no leader was elected");
    return;
  }
  Core& leader = cluster.core(1);
  const std::string payload(kPayloadBytes, 'x');
  uint64_t entries = 0;
  uint64_t since_compaction = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) {
      Status s = leader.Propose(payload);
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        return;
      }
    }
    const uint64_t target = leader.log().LastIndex();
    if (!cluster.DeliverUntil([&] { return leader.log().committed() >= target; })) {
      state.SkipWithError("the batch was not committed");
      return;
    }
    entries += batch;
    since_compaction += batch;
    if (since_compaction >= kCompactEvery) {
      state.PauseTiming();
      cluster.Deliver();
      for (uint64_t id : cluster.ids()) {
        Status s = cluster.Compact(id);
        if (!s.ok()) {
          state.SkipWithError(s.ToString().c_str());
          return;
        }
      }
      since_compaction = 0;
      state.ResumeTiming();
    }
  }
  if (!cluster.errors().empty()) {
    state.SkipWithError(cluster.errors().front().c_str());
    return;
  }
  state.counters["entries/s"] =
      benchmark::Counter(static_cast<double>(entries), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ProposeToCommit)->ArgName("batch")->Arg(1)->Arg(16)->Arg(256);

}  // namespace
}  // namespace raftkv::raft
