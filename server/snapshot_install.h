// Installing a snapshot received from the leader: the key space arrives as a stream of chunks
// (storage/snapshot_stream.h) and is written beside the live one while the member keeps
// applying; then, between two apply batches, the member switches to it atomically and reloads
// its MVCC store. Only after that may the transport step the MSG_SNAPSHOT message into the raft
// node, so that the core never records a snapshot whose key space the member does not hold
// (RaftNode checks this).
//
// Why this is safe even though the key space may be newer than the snapshot's raft index: the
// stream carries the leader's applied index, which is at least the snapshot index; entries
// between the two are skipped when they are committed again (Applier: exactly once).
#pragma once

#include <functional>
#include <optional>

#include "proto/storage.pb.h"
#include "raft/status.h"
#include "server/applier.h"
#include "storage/database.h"
#include "storage/mvcc_store.h"

namespace raftkv::server {

// Yields the next chunk of the stream, or nullopt when the stream ended (cleanly or not: the
// restorer checks the last chunk's totals).
using ChunkReader = std::function<StatusOr<std::optional<storagepb::SnapshotChunk>>()>;

// Restores the stream into `db` and switches `store` to it on the apply thread of `applier`.
// On any error the member keeps its old key space.
[[nodiscard]] Status InstallSnapshot(storage::Database* db, storage::MvccStore* store,
                                     Applier* applier, const ChunkReader& next_chunk);

}  // namespace raftkv::server
