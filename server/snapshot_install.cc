#include "server/snapshot_install.h"

#include "storage/snapshot_stream.h"

namespace raftkv::server {

Status InstallSnapshot(storage::Database* db, storage::MvccStore* store, Applier* applier,
                       const ChunkReader& next_chunk) {
  auto restorer = storage::SnapshotRestorer::Begin(db);
  if (!restorer.ok()) return restorer.status();
  while (true) {
    auto chunk = next_chunk();
    if (!chunk.ok()) return chunk.status();
    if (!chunk->has_value()) break;
    RAFTKV_RETURN_IF_ERROR((*restorer)->Add(**chunk));
  }
  return applier->RunExclusive([&]() -> Status {
    RAFTKV_RETURN_IF_ERROR((*restorer)->Finish());
    return store->Reload();
  });
}

}  // namespace raftkv::server
