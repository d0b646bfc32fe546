// Tests of kvbench's measurements and reports: exact percentiles, a histogram that accounts for
// every sample, keys laid out as documented, and a JSON report that parses and carries the
// figures compare-etcd reads (throughput, latency, the client's own CPU per request).
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <numeric>
#include <string>

#include "benchmarks/kvbench/latency_recorder.h"
#include "benchmarks/kvbench/load.h"
#include "benchmarks/kvbench/report.h"

namespace raftkv::kvbench {
namespace {

// A recorder holding 1..n microseconds, added in an order that is not sorted.
LatencyRecorder RecorderOfOneTo(int n) {
  LatencyRecorder recorder;
  for (int i = n; i >= 1; --i) recorder.Add(i);
  return recorder;
}

google::protobuf::Struct ParseJson(const std::string& text) {
  google::protobuf::Struct parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(text, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << text;
  return parsed;
}

double NumberField(const google::protobuf::Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  EXPECT_NE(it, object.fields().end()) << "no field " << name;
  return it == object.fields().end() ? -1 : it->second.number_value();
}

TEST(LatencyRecorderTest, PercentilesAreExactSamplesOfTheSortedRun) {
  LatencySummary s = RecorderOfOneTo(1000).Summarize();
  EXPECT_EQ(s.count, 1000);
  EXPECT_EQ(s.min_us, 1);
  EXPECT_EQ(s.max_us, 1000);
  // The sample at rank floor(q * n) of the sorted run.
  EXPECT_EQ(s.p50_us, 501);
  EXPECT_EQ(s.p90_us, 901);
  EXPECT_EQ(s.p99_us, 991);
  EXPECT_EQ(s.p999_us, 1000);
  EXPECT_DOUBLE_EQ(s.mean_us, 500.5);
  EXPECT_NEAR(s.stddev_us, 288.67, 0.01);  // sqrt((n^2 - 1) / 12)
}

TEST(LatencyRecorderTest, HistogramCountsEverySampleOnceUpToTheMaximum) {
  LatencySummary s = RecorderOfOneTo(1000).Summarize(12);
  ASSERT_EQ(s.counts.size(), 12u);
  ASSERT_EQ(s.upper_us.size(), 12u);
  EXPECT_EQ(std::accumulate(s.counts.begin(), s.counts.end(), int64_t{0}), 1000);
  EXPECT_EQ(s.upper_us.back(), 1000);
  for (size_t i = 1; i < s.upper_us.size(); ++i) EXPECT_GT(s.upper_us[i], s.upper_us[i - 1]);
}

TEST(LatencyRecorderTest, MergedRecordersSummarizeAsOne) {
  LatencyRecorder low;
  LatencyRecorder high;
  for (int i = 1; i <= 500; ++i) low.Add(i);
  for (int i = 501; i <= 1000; ++i) high.Add(i);
  low.Merge(high);
  LatencySummary merged = low.Summarize();
  LatencySummary whole = RecorderOfOneTo(1000).Summarize();
  EXPECT_EQ(merged.count, whole.count);
  EXPECT_EQ(merged.p50_us, whole.p50_us);
  EXPECT_EQ(merged.p99_us, whole.p99_us);
  EXPECT_EQ(merged.counts, whole.counts);
}

TEST(LatencyRecorderTest, AnEmptyRunSummarizesToZeroSamples) {
  LatencyRecorder recorder;
  LatencySummary s = recorder.Summarize();
  EXPECT_EQ(s.count, 0);
  EXPECT_TRUE(s.counts.empty());
}

TEST(KeyOfTest, TheIndexIsBigEndianAtTheEndAfterZeros) {
  EXPECT_EQ(KeyOf(0x0102, 8), std::string("\0\0\0\0\0\0\x01\x02", 8));
  EXPECT_EQ(KeyOf(0x0102, 4), std::string("\0\0\x01\x02", 4));
  // A key shorter than the index keeps its low bytes, so keys stay distinct within 256^size.
  EXPECT_EQ(KeyOf(0x010203, 2), std::string("\x02\x03", 2));
  // Longer than eight bytes: zeros, then all eight bytes of the index.
  EXPECT_EQ(KeyOf(1, 10), std::string("\0\0\0\0\0\0\0\0\0\x01", 10));
  // Sequential indexes give keys in byte order, as --sequential-keys promises.
  EXPECT_LT(KeyOf(255, 8), KeyOf(256, 8));
}

TEST(ClientCpuTest, IsTheRunsCpuTimeOverEveryRequestAnsweredOrFailed) {
  LoadResult result;
  result.succeeded = 900;
  result.failed = 100;
  result.cpu_seconds = 0.05;
  EXPECT_DOUBLE_EQ(ClientCpuMicrosPerRequest(result), 50.0);
  EXPECT_DOUBLE_EQ(ClientCpuMicrosPerRequest(LoadResult{}), 0.0);  // no request, no division
}

TEST(JsonReportTest, ParsesAndCarriesThroughputLatencyCpuAndErrors) {
  LoadOptions options;
  options.clients = 256;
  options.conns = 16;
  options.total = 1000;
  LoadResult result;
  result.seconds = 2;
  result.succeeded = 998;
  result.failed = 2;
  result.cpu_seconds = 0.04;
  result.errors["etcdserver: \"quoted\" failure"] = 2;
  result.latency = RecorderOfOneTo(998).Summarize();

  google::protobuf::Struct report = ParseJson(JsonReport("put", options, result));
  EXPECT_EQ(report.fields().at("workload").string_value(), "put");
  EXPECT_EQ(NumberField(report, "clients"), 256);
  EXPECT_EQ(NumberField(report, "conns"), 16);
  EXPECT_EQ(NumberField(report, "succeeded"), 998);
  EXPECT_EQ(NumberField(report, "failed"), 2);
  EXPECT_DOUBLE_EQ(NumberField(report, "requests_per_sec"), 499);
  EXPECT_DOUBLE_EQ(NumberField(report, "client_cpu_us_per_request"), 40);
  const auto& latency = report.fields().at("latency_ms").struct_value();
  EXPECT_DOUBLE_EQ(NumberField(latency, "p50"), 0.5);
  EXPECT_DOUBLE_EQ(NumberField(latency, "max"), 0.998);
  EXPECT_EQ(report.fields().at("histogram").list_value().values_size(), 12);
  const auto& errors = report.fields().at("errors").struct_value();
  EXPECT_EQ(NumberField(errors, "etcdserver: \"quoted\" failure"), 2);
}

TEST(TextReportTest, ShowsThroughputPercentilesClientCpuAndErrors) {
  LoadOptions options;
  LoadResult result;
  result.seconds = 1;
  result.succeeded = 10;
  result.failed = 1;
  result.cpu_seconds = 0.0011;
  result.errors["deadline exceeded"] = 1;
  result.latency = RecorderOfOneTo(10).Summarize();
  const std::string text = TextReport("range-linearizable", options, result);
  EXPECT_NE(text.find("Summary (range-linearizable, 1 clients, 1 connections)"), std::string::npos);
  EXPECT_NE(text.find("Requests/sec:\t10.0"), std::string::npos) << text;
  EXPECT_NE(text.find("Client CPU:\t100.0 us/request."), std::string::npos) << text;
  EXPECT_NE(text.find("50% in 0.0060"), std::string::npos) << text;
  EXPECT_NE(text.find("[1] deadline exceeded"), std::string::npos) << text;
}

}  // namespace
}  // namespace raftkv::kvbench
