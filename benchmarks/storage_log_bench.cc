// Durable raft log append throughput: RaftLogStore::Save of one Ready per iteration, synced, with
// batches of 1, 16 and 256 entries of 256 payload bytes each; and, for comparison in the same
// run, the raw rate of the disk's fdatasync: appending 64 bytes to a plain file, and
// overwriting them in a file written beforehand (no inode update), by one writer and by two or
// three writers at once (a cluster's three members on one disk).
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

// Writes 64-byte records to `fd` from `offset` on, one pwrite and one fdatasync per
// iteration, and reports the syncs per second (summed over threads) and each writer's
// microseconds per sync.
void SyncRecords(benchmark::State& state, int fd, off_t offset) {
  const std::string record(64, 'r');
  for (auto _ : state) {
    if (pwrite(fd, record.data(), record.size(), offset) != static_cast<ssize_t>(record.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
    offset += static_cast<off_t>(record.size());
  }
  state.counters["syncs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["us/sync"] = benchmark::Counter(
      static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert | benchmark::Counter::kAvgThreads);
}

// Runs `body` with a new, empty file in a fresh directory (closed and removed afterwards), or
// skips the benchmark if either cannot be created.
template <typename Body>
void WithRawFile(benchmark::State& state, Body body) {
  BenchDir dir;
  if (dir.path().empty()) return state.SkipWithError("cannot create a temp directory");
  const std::string file = dir.path() + "/raw";
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return state.SkipWithError("cannot create the file");
  body(fd);
  close(fd);
}

// Appends to a file that grows with every record, as RocksDB's WAL does: each fdatasync
// writes the data, the inode (its size changed) and flushes the cache. With 2 or 3 threads,
// that many writers (as a cluster's members) share the disk, each with its own file.
void BM_RawFdatasync(benchmark::State& state) {
  WithRawFile(state, [&](int fd) { SyncRecords(state, fd, 0); });
}
BENCHMARK(BM_RawFdatasync)->UseRealTime()->Threads(1)->Threads(2)->Threads(3);

// Overwrites a file written and synced beforehand, as a recycled WAL file would be: the size
// does not change, so an fdatasync has no inode to write (what RocksDB's recycle_log_file_num
// would save; it refuses recycling under point-in-time recovery).
void BM_RawFdatasyncOverwrite(benchmark::State& state) {
  WithRawFile(state, [&](int fd) {
    constexpr size_t kFileBytes = 64 << 20;  // room for a million 64-byte records
    const std::string zeros(1 << 20, '\0');
    for (size_t written = 0; written < kFileBytes; written += zeros.size()) {
      if (write(fd, zeros.data(), zeros.size()) != static_cast<ssize_t>(zeros.size())) {
        return state.SkipWithError("cannot fill the file");
      }
    }
    if (fsync(fd) != 0) return state.SkipWithError("cannot sync the filled file");
    SyncRecords(state, fd, 0);
  });
}
BENCHMARK(BM_RawFdatasyncOverwrite)->UseRealTime()->Threads(1)->Threads(2)->Threads(3);

}  // namespace
}  // namespace raftkv::storage
