// The search for a linearization of one partition of a history (the operations of one object,
// e.g. one key), after Wing and Gong as improved by Lowe ("Testing for linearizability", 2017):
// a depth-first search over the history's events with backtracking and a cache of visited
// (set of linearized operations, model state) configurations, which prunes every path that
// reaches a configuration already explored. Operations of unknown outcome are handled apart
// (they never return, so they never bound the search) and the cache also prunes configurations
// that differ from a visited one only by more of them linearized (configuration_cache.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tests/fault/history.h"
#include "tests/fault/model.h"

namespace raftkv::fault {

// The answer of a check.
enum class Verdict {
  kLinearizable,     // an order exists in which every operation succeeds in the model
  kNotLinearizable,  // no such order exists
  kTimedOut,         // the budget ran out first: no answer
};

// "linearizable", "not linearizable", "timed out".
std::string_view VerdictName(Verdict verdict);

// Limits of one search, so that a check never hangs on a history whose search space explodes.
// The search stops with kTimedOut at the first limit it reaches.
struct SearchBudget {
  // Wall-clock time; zero or negative means no limit.
  std::chrono::milliseconds time{10'000};
  // Steps of the search (one per event visited); 0 means no limit. Deterministic, unlike time.
  uint64_t max_steps = 0;
  // Approximate memory of the cache of visited configurations; 0 means no limit.
  size_t max_cache_bytes = size_t{1} << 30;
};

// What one search found, and how much work it took.
struct SearchResult {
  Verdict verdict = Verdict::kTimedOut;
  uint64_t steps = 0;        // events visited
  size_t cache_entries = 0;  // configurations remembered
};

// Searches for a linearization of `ops` against `model`. `ops` are the operations of one
// partition in any order; kFail operations are ignored, kUnknown ones complete at +infinity.
// Operations overlapping in time (including one completing at the instant another is invoked)
// may be ordered either way.
SearchResult SearchLinearization(const Model& model, const std::vector<Operation>& ops,
                                 const SearchBudget& budget);

}  // namespace raftkv::fault
