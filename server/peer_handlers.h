// What a peer transport calls into, and the one way every receiving path (the gRPC Peer.Stream
// and the raw TCP peer stream) steps a batch of raft messages. Free of gRPC, so the raw stream's
// code does not pull gRPC's headers in.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "proto/peer.pb.h"
#include "raft/status.h"
#include "server/snapshot_install.h"
#include "storage/snapshot_stream.h"

namespace raftkv::server {

// What the transport calls into. kvd plugs the RaftNode, InstallSnapshot and
// SnapshotSource::Open of its database; tests plug fakes. Every handler must be set. Handlers
// are called from the transport's threads and from gRPC's (never with a transport lock held),
// so they must be thread-safe; they should return quickly (RaftNode's only enqueue).
struct PeerHandlers {
  // A message received for this member.
  std::function<void(raftpb::Message)> step;
  // Messages for `peer` were dropped (full queue, broken stream): raft should probe it again.
  std::function<void(uint64_t peer)> report_unreachable;
  // The outcome of a snapshot sent to `peer`; called exactly once per MSG_SNAPSHOT handed to
  // Send, whatever happens.
  std::function<void(uint64_t peer, bool ok)> report_snapshot;
  // Restores a received key space from its chunks; ok means it is now this member's key space.
  std::function<Status(const ChunkReader&)> install_snapshot;
  // Opens a point-in-time image of this member's key space to send to a peer.
  std::function<StatusOr<std::unique_ptr<storage::SnapshotSource>>()> open_snapshot_source;
};

// Steps, in order, every message of `batch` addressed to member `self` (moving it out of the
// batch) and, unless `from` is 0, sent by member `from` (the stream's sender); any other
// message is dropped, and the first such drop of a stream is logged (`*warned` remembers it).
// The caller has checked the batch's cluster id.
void StepPeerBatch(uint64_t self, uint64_t from, const PeerHandlers& handlers,
                   peerpb::MessageBatch* batch, bool* warned);

}  // namespace raftkv::server
