// raft_sim: runs the deterministic cluster simulator over a range of seeds.
//
//   raft_sim --seeds N --start S     run seeds S .. S+N-1; print each failure (with its seed, the
//                                    rule it broke and a trace tail); last line "N passed, M
//                                    failed"
//   raft_sim --seed S --verbose      replay one seed, printing every event
//
// Options: --phases P and --chaos-ticks T override the drawn run length; --stats prints per-seed
// statistics. Exit status 0 iff every seed passed.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "tests/sim/sim_driver.h"

namespace {

void Usage() {
  std::cerr << "usage: raft_sim [--seeds N] [--start S] [--seed S] [--verbose] [--stats]\n"
               "                [--phases P] [--chaos-ticks T]\n";
}

bool ParseU64(const char* s, uint64_t* out) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (end == s || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seeds = 100;
  uint64_t start = 1;
  bool verbose = false;
  bool stats = false;
  raftkv::sim::RunOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](uint64_t* out) {
      if (i + 1 >= argc || !ParseU64(argv[i + 1], out)) {
        Usage();
        std::exit(2);
      }
      ++i;
    };
    uint64_t v = 0;
    if (arg == "--seeds") {
      value(&seeds);
    } else if (arg == "--start") {
      value(&start);
    } else if (arg == "--seed") {
      value(&start);
      seeds = 1;
    } else if (arg == "--verbose") {
      verbose = true;
    } else if (arg == "--stats") {
      stats = true;
    } else if (arg == "--phases") {
      value(&v);
      options.phases = static_cast<int>(v);
    } else if (arg == "--chaos-ticks") {
      value(&v);
      options.chaos_ticks = static_cast<int>(v);
    } else {
      Usage();
      return 2;
    }
  }
  if (verbose) {
    options.trace_mode = raftkv::sim::SimTrace::Mode::kPrint;
    options.out = &std::cout;
  }

  // Wall-clock time is measured only to report throughput; it never influences a run.
  const auto began = std::chrono::steady_clock::now();
  uint64_t passed = 0;
  uint64_t failed = 0;
  uint64_t events = 0;
  for (uint64_t seed = start; seed < start + seeds; ++seed) {
    raftkv::sim::RunResult r = raftkv::sim::RunSeedAndExplain(seed, options);
    events += r.events;
    if (stats || verbose) {
      std::printf(
          "seed %llu: %s events=%llu leaders=%llu committed=%llu acked_writes=%llu "
          "reads=%llu msgs=%llu hash=%016llx\n",
          static_cast<unsigned long long>(seed), r.passed ? "ok" : "FAILED",
          static_cast<unsigned long long>(r.events), static_cast<unsigned long long>(r.leaders),
          static_cast<unsigned long long>(r.committed),
          static_cast<unsigned long long>(r.writes_acked),
          static_cast<unsigned long long>(r.reads_checked),
          static_cast<unsigned long long>(r.messages), static_cast<unsigned long long>(r.run_hash));
    }
    if (r.passed) {
      ++passed;
    } else {
      ++failed;
      std::cout << raftkv::sim::FailureReport(r) << std::flush;
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::fprintf(stderr, "raft_sim: %llu seeds, %llu events in %.1fs (%.1f seeds/s)\n",
               static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(events),
               secs, secs > 0 ? static_cast<double>(seeds) / secs : 0.0);
  std::cout << passed << " passed, " << failed << " failed" << std::endl;
  return failed == 0 ? 0 : 1;
}
