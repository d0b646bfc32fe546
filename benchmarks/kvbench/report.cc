#include "benchmarks/kvbench/report.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace raftkv::kvbench {

namespace {

// printf into a std::string.
template <typename... Args>
std::string Format(const char* format, Args... args) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), format, args...);
  return buf;
}

double Ms(int64_t micros) { return micros / 1000.0; }

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string TextReport(const std::string& name, const LoadOptions& options,
                       const LoadResult& result) {
  const LatencySummary& l = result.latency;
  std::string out = "Summary (" + name + ", " + std::to_string(options.clients) + " clients, " +
                    std::to_string(options.conns) + " connections):\n";
  out += Format("  Total:\t%.4f secs.\n", result.seconds);
  out += Format("  Slowest:\t%.4f ms.\n", Ms(l.max_us));
  out += Format("  Fastest:\t%.4f ms.\n", Ms(l.min_us));
  out += Format("  Average:\t%.4f ms.\n", l.mean_us / 1000);
  out += Format("  Stddev:\t%.4f ms.\n", l.stddev_us / 1000);
  out += Format("  Requests/sec:\t%.1f\n", result.succeeded / result.seconds);
  out += Format("  Client CPU:\t%.1f us/request.\n", ClientCpuMicrosPerRequest(result));
  out += "\nResponse time histogram (ms):\n";
  const int64_t most = l.counts.empty() ? 1 : *std::max_element(l.counts.begin(), l.counts.end());
  for (size_t i = 0; i < l.counts.size(); ++i) {
    const int bar = most == 0 ? 0 : static_cast<int>(40 * l.counts[i] / most);
    out += Format("  %10.4f [%lld]\t|", Ms(l.upper_us[i]), static_cast<long long>(l.counts[i])) +
           std::string(static_cast<size_t>(bar), '*') + "\n";
  }
  out += "\nLatency distribution (ms):\n";
  out += Format("  50%% in %.4f\n  90%% in %.4f\n  99%% in %.4f\n  99.9%% in %.4f\n", Ms(l.p50_us),
                Ms(l.p90_us), Ms(l.p99_us), Ms(l.p999_us));
  if (result.failed > 0) {
    out += "\nErrors (" + std::to_string(result.failed) + "):\n";
    for (const auto& [message, count] : result.errors) {
      out += "  [" + std::to_string(count) + "] " + message + "\n";
    }
  }
  return out;
}

std::string JsonReport(const std::string& name, const LoadOptions& options,
                       const LoadResult& result) {
  const LatencySummary& l = result.latency;
  std::string out = "{\"workload\":\"" + Escape(name) + "\"";
  out += Format(",\"clients\":%d,\"conns\":%d,\"total\":%lld", options.clients, options.conns,
                static_cast<long long>(options.total));
  out += Format(",\"succeeded\":%lld,\"failed\":%lld,\"seconds\":%.4f,\"requests_per_sec\":%.1f",
                static_cast<long long>(result.succeeded), static_cast<long long>(result.failed),
                result.seconds, result.succeeded / result.seconds);
  out += Format(",\"client_cpu_us_per_request\":%.1f", ClientCpuMicrosPerRequest(result));
  out += Format(",\"latency_ms\":{\"min\":%.4f,\"mean\":%.4f,\"stddev\":%.4f", Ms(l.min_us),
                l.mean_us / 1000, l.stddev_us / 1000);
  out += Format(",\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"p999\":%.4f,\"max\":%.4f}", Ms(l.p50_us),
                Ms(l.p90_us), Ms(l.p99_us), Ms(l.p999_us), Ms(l.max_us));
  out += ",\"histogram\":[";
  for (size_t i = 0; i < l.counts.size(); ++i) {
    out += Format("%s{\"le_ms\":%.4f,\"count\":%lld}", i == 0 ? "" : ",", Ms(l.upper_us[i]),
                  static_cast<long long>(l.counts[i]));
  }
  out += "],\"errors\":{";
  bool first = true;
  for (const auto& [message, count] : result.errors) {
    out += (first ? "\"" : ",\"") + Escape(message) + "\":" + std::to_string(count);
    first = false;
  }
  return out + "}}\n";
}

}  // namespace raftkv::kvbench
