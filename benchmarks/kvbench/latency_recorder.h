// Latencies of a kvbench run and what is reported from them: percentiles, mean, standard
// deviation and a histogram. Every sample is kept (4 bytes each), so percentiles are exact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace raftkv::kvbench {

// The distribution of one run's latencies, in microseconds.
struct LatencySummary {
  int64_t count = 0;
  double mean_us = 0;
  double stddev_us = 0;
  int64_t min_us = 0;
  int64_t p50_us = 0;
  int64_t p90_us = 0;
  int64_t p99_us = 0;
  int64_t p999_us = 0;
  int64_t max_us = 0;
  // Histogram over [min, max]: bucket i counts samples up to upper_us[i] (and above the
  // previous bound). Bounds grow geometrically, so both the fast mass and the tail show.
  std::vector<int64_t> upper_us;
  std::vector<int64_t> counts;
};

// Collects samples from one thread; several recorders are merged at the end.
class LatencyRecorder {
 public:
  void Add(int64_t micros) { samples_.push_back(static_cast<uint32_t>(micros)); }
  void Merge(const LatencyRecorder& other) {
    samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  }
  // Sorts the samples (so call once, at the end).
  LatencySummary Summarize(int buckets = 12);

 private:
  std::vector<uint32_t> samples_;  // microseconds
};

}  // namespace raftkv::kvbench
