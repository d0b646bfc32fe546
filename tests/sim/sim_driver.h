// The simulator's entry points: run one seed, explain a failure, format results.
//
// A run (SimDriver in sim_driver.cc) is `phases` times:
//   chaos    random client writes and reads on random nodes, leadership transfers, campaigns,
//            membership changes (add learner, promote, remove -- on the leader or forwarded),
//            compactions, crash-restarts and partitions (symmetric, one-way, isolations), over a
//            network that drops, delays, reorders and duplicates;
//   liveness heal the network, restart every crashed member; then within liveness_timeouts
//            election timeouts a leader must exist and a fresh write must be applied by a
//            majority of the current voters.
// Every rule of SimChecker is checked along the way; the first violation ends the run.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tests/sim/sim_params.h"
#include "tests/sim/sim_trace.h"

namespace raftkv::sim {

struct RunOptions {
  SimTrace::Mode trace_mode = SimTrace::Mode::kHashOnly;
  size_t tail_lines = 40;
  // Where kPrint mode prints.
  std::ostream* out = nullptr;
  // Overrides of the drawn parameters (tests use them to make runs shorter or longer).
  std::optional<int> phases;
  std::optional<int> chaos_ticks;
};

struct RunResult {
  uint64_t seed = 0;
  bool passed = false;
  // When failed: the broken rule, its particulars, and where.
  std::string rule;
  std::string detail;
  uint64_t event = 0;
  uint64_t time_us = 0;
  // The cluster's state when the run ended (failure reports).
  std::string nodes;
  std::string params;
  // Digest of the whole run (trace and final state): same seed, same hash.
  uint64_t run_hash = 0;
  // When the trace was recording: a digest of every trace line, and how many there were.
  uint64_t trace_lines_hash = 0;
  uint64_t trace_lines = 0;
  uint64_t events = 0;
  // Statistics.
  uint64_t leaders = 0;
  uint64_t committed = 0;
  uint64_t writes_acked = 0;
  uint64_t reads_checked = 0;
  uint64_t messages = 0;
  // Filled by RunSeedAndExplain on failure: the last trace lines, and whether re-running the
  // seed reproduced exactly the same failure.
  std::vector<std::string> tail;
  bool replayed = false;
};

RunResult RunSeed(uint64_t seed, const RunOptions& options = {});

// Runs the seed; on failure runs it again recording the trace, to attach the tail and to check
// that the failure replays identically.
RunResult RunSeedAndExplain(uint64_t seed, const RunOptions& options = {});

// "seed <S>: <rule> at event <E>: <detail>".
std::string FailureLine(const RunResult& r);
// FailureLine plus parameters, node states, replay status and the trace tail.
std::string FailureReport(const RunResult& r);

}  // namespace raftkv::sim
