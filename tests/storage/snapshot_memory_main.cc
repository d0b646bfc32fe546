// snapshot_memory: measures the memory a snapshot stream and restore take, to show that a key
// space of any size moves with bounded memory. It builds a source database holding <mib> MiB of
// incompressible values, then (in the same process, after resetting the peak-RSS counter)
// streams it through SnapshotSource into a SnapshotRestorer on a second database, and prints
//   data_mib=<n> peak_rss_growth_mib=<n> seconds=<n> records=<n>
// Usage: snapshot_memory <dir> <mib>. Used by snapshot_memory_test.cc; run by hand for 1 GiB.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "storage/mvcc_generation.h"
#include "storage/snapshot_stream.h"
#include "tests/storage/snapshot_support.h"

using namespace raftkv::storage;

namespace {

// A field of /proc/self/status in KiB ("VmHWM", "VmRSS"), or -1.
long ProcStatusKib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return -1;
}

int Fail(const char* what, const raftkv::Status& s) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <dir> <mib>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const uint64_t mib = std::strtoull(argv[2], nullptr, 10);
  constexpr size_t kValueBytes = 4096;
  {
    auto source = testing::OpenTestDatabase(dir + "/source");
    if (!source.ok()) return Fail("open source", source.status());
    raftkv::Status filled = testing::FillGeneration(source->get(), kFirstMvccGeneration, 1,
                                                    mib * (1 << 20) / kValueBytes, kValueBytes);
    if (!filled.ok()) return Fail("fill", filled);
  }  // closed: its memtables are gone before the measurement starts
  auto source = testing::OpenTestDatabase(dir + "/source");
  auto target = testing::OpenTestDatabase(dir + "/target");
  if (!source.ok() || !target.ok()) return Fail("reopen", source.status());

  std::ofstream("/proc/self/clear_refs") << "5";  // reset VmHWM to the current RSS
  const long base_kib = ProcStatusKib("VmRSS");
  const auto start = std::chrono::steady_clock::now();
  auto stream = SnapshotSource::Open(source->get());
  auto restorer = SnapshotRestorer::Begin(target->get());
  if (!stream.ok() || !restorer.ok()) return Fail("start", stream.status());
  uint64_t records = 0;
  while (!(*stream)->done()) {
    auto chunk = (*stream)->Next();
    if (!chunk.ok()) return Fail("next", chunk.status());
    records += chunk->records_size();
    if (raftkv::Status s = (*restorer)->Add(*chunk); !s.ok()) return Fail("add", s);
  }
  if (raftkv::Status s = (*restorer)->Finish(); !s.ok()) return Fail("finish", s);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long peak_kib = ProcStatusKib("VmHWM");
  std::printf("data_mib=%llu peak_rss_growth_mib=%ld seconds=%.1f records=%llu\n",
              static_cast<unsigned long long>(mib), (peak_kib - base_kib) / 1024, seconds,
              static_cast<unsigned long long>(records));
  return 0;
}
