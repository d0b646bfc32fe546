#include "benchmarks/kvbench/latency_recorder.h"

#include <algorithm>
#include <cmath>

namespace raftkv::kvbench {

LatencySummary LatencyRecorder::Summarize(int buckets) {
  LatencySummary s;
  s.count = static_cast<int64_t>(samples_.size());
  if (samples_.empty()) return s;
  std::sort(samples_.begin(), samples_.end());
  double sum = 0;
  for (uint32_t v : samples_) sum += v;
  s.mean_us = sum / s.count;
  double squares = 0;
  for (uint32_t v : samples_) squares += (v - s.mean_us) * (v - s.mean_us);
  s.stddev_us = std::sqrt(squares / s.count);
  const auto at = [this](double q) {
    const size_t i = std::min(samples_.size() - 1, static_cast<size_t>(q * samples_.size()));
    return static_cast<int64_t>(samples_[i]);
  };
  s.min_us = samples_.front();
  s.p50_us = at(0.50);
  s.p90_us = at(0.90);
  s.p99_us = at(0.99);
  s.p999_us = at(0.999);
  s.max_us = samples_.back();

  const double low = std::max<double>(1, static_cast<double>(s.min_us));
  const double ratio = std::pow(std::max<double>(s.max_us, low + 1) / low, 1.0 / buckets);
  double bound = low;
  size_t i = 0;
  for (int b = 0; b < buckets; ++b) {
    bound = b + 1 == buckets ? static_cast<double>(s.max_us) : bound * ratio;
    const int64_t upper = static_cast<int64_t>(std::ceil(bound));
    int64_t count = 0;
    while (i < samples_.size() && samples_[i] <= upper) {
      ++count;
      ++i;
    }
    s.upper_us.push_back(upper);
    s.counts.push_back(count);
  }
  return s;
}

}  // namespace raftkv::kvbench
