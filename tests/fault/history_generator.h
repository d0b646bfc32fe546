// Histories of a real execution, for testing the checker: operations take effect one at a time on
// a map of registers, each at a point inside the interval its client recorded, so the history is
// linearizable by construction. Clients run one operation at a time, as real ones do.
#pragma once

#include <cstdint>
#include <random>

#include "tests/fault/history.h"

namespace raftkv::fault::testing {

// Shape of a generated history.
struct GeneratorParams {
  int operations = 150;
  int processes = 5;  // clients, each running one operation at a time
  int keys = 3;
  // Values written: "v0" ... up to values - 1 (and now and then a delete); 0 means a fresh
  // value for every write.
  int values = 4;
  // Latency of an operation: 1 to this many ns; a client waits up to a quarter of it between two.
  int64_t max_latency_ns = 100;
  // Percentage of operations recorded as unknown: they take effect at some time after their
  // invoke (up to ten latencies, so often after the client gave up) or, half of them, never.
  int unknown_percent = 5;
  // Percentage of operations recorded as failed: they never take effect.
  int fail_percent = 3;
};

// A linearizable history of random reads, writes and cas on random keys.
History GenerateLinearizable(std::mt19937_64& rng, const GeneratorParams& params);

}  // namespace raftkv::fault::testing
