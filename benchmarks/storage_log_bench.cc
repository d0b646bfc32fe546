// Durable raft log append throughput: RaftLogStore::Save of one Ready per iteration, synced, with
// batches of 1, 16 and 256 entries of 256 payload bytes each; and, for comparison in the same
// run, the raw rate of the disk's fdatasync (append 64 bytes to a plain file, fdatasync).
//
// Both work in a fresh directory under std::filesystem::temp_directory_path() (normally /tmp,
// or $TMPDIR), so they measure the same disk, and remove it afterwards. Rates are wall-clock
// (UseRealTime): the time is spent waiting for the disk, not on the CPU.
//
//   ./build/benchmarks/storage_log_bench
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "raft/ready.h"
#include "storage/database.h"
#include "storage/raft_log_store.h"

namespace raftkv::storage {
namespace {

constexpr size_t kPayloadBytes = 256;

// A fresh directory under the temp directory, removed with its contents on destruction.
class BenchDir {
 public:
  BenchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "raftkv-log-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~BenchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  // Empty if the directory could not be created.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void BM_LogAppendSynced(benchmark::State& state) {
  const uint64_t batch = static_cast<uint64_t>(state.range(0));
  BenchDir dir;
  if (dir.path().empty()) return state.SkipWithError("cannot create a temp directory");
  DatabaseOptions options;
  options.data_dir = dir.path() + "/data";
  StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
  if (!db.ok()) return state.SkipWithError(db.status().ToString().c_str());
  StatusOr<std::unique_ptr<RaftLogStore>> log = RaftLogStore::Open(db->get());
  if (!log.ok()) return state.SkipWithError(log.status().ToString().c_str());

  const std::string payload(kPayloadBytes, 'x');
  uint64_t next = 1;
  for (auto _ : state) {
    raft::Ready rd;
    rd.entries.reserve(batch);
    for (uint64_t i = 0; i < batch; ++i) {
      raftpb::Entry& e = rd.entries.emplace_back();
      e.set_term(1);
      e.set_index(next + i);
      e.set_data(payload);
    }
    raftpb::HardState hs;
    hs.set_term(1);
    hs.set_commit(next - 1);
    rd.hard_state = hs;
    rd.must_sync = true;
    Status s = (*log)->Save(rd);
    if (!s.ok()) return state.SkipWithError(s.ToString().c_str());
    next += batch;
  }
  const double entries = static_cast<double>(state.iterations()) * static_cast<double>(batch);
  state.counters["entries/s"] = benchmark::Counter(entries, benchmark::Counter::kIsRate);
  state.counters["syncs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(entries) * static_cast<int64_t>(kPayloadBytes));
  log->reset();
  db->reset();
}
BENCHMARK(BM_LogAppendSynced)->ArgName("batch")->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

void BM_RawFdatasync(benchmark::State& state) {
  BenchDir dir;
  if (dir.path().empty()) return state.SkipWithError("cannot create a temp directory");
  const std::string file = dir.path() + "/raw";
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return state.SkipWithError("cannot create the file");
  const std::string record(64, 'r');
  for (auto _ : state) {
    if (write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
  }
  close(fd);
  state.counters["syncs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawFdatasync)->UseRealTime();

}  // namespace
}  // namespace raftkv::storage
