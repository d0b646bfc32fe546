// snapshot_restore: a helper program for the snapshot crash test. It streams the key space of
// the database in <source_dir> into the database in <target_dir> through SnapshotSource and
// SnapshotRestorer, printing (flushed) "chunk N" after each chunk is written, "finishing" just
// before the atomic switch and "finished" after it. The test kills it with SIGKILL at random
// points and checks the target holds the old key space or the new one, never a mix.
#include <cstdio>
#include <cstdlib>

#include "storage/snapshot_stream.h"
#include "tests/storage/snapshot_support.h"

using namespace raftkv::storage;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <source_dir> <target_dir> <chunk_bytes>\n", argv[0]);
    return 2;
  }
  auto source_db = testing::OpenTestDatabase(argv[1]);
  auto target_db = testing::OpenTestDatabase(argv[2]);
  if (!source_db.ok() || !target_db.ok()) {
    std::fprintf(stderr, "open failed: %s / %s\n", source_db.status().ToString().c_str(),
                 target_db.status().ToString().c_str());
    return 1;
  }
  auto source = SnapshotSource::Open(source_db->get(), std::strtoull(argv[3], nullptr, 10));
  auto restorer = SnapshotRestorer::Begin(target_db->get());
  if (!source.ok() || !restorer.ok()) {
    std::fprintf(stderr, "start failed\n");
    return 1;
  }
  while (!(*source)->done()) {
    auto chunk = (*source)->Next();
    if (!chunk.ok()) return 1;
    if (raftkv::Status s = (*restorer)->Add(*chunk); !s.ok()) {
      std::fprintf(stderr, "add failed: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("chunk %llu\n", static_cast<unsigned long long>(chunk->sequence()));
    std::fflush(stdout);
  }
  std::printf("finishing\n");
  std::fflush(stdout);
  if (raftkv::Status s = (*restorer)->Finish(); !s.ok()) {
    std::fprintf(stderr, "finish failed: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("finished\n");
  std::fflush(stdout);
  return 0;
}
