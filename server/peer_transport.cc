#include "server/peer_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace raftkv::server {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

// ---- sending ------------------------------------------------------------------------------------

GrpcPeerTransport::GrpcPeerTransport(uint64_t cluster_id, uint64_t self,
                                     std::map<uint64_t, std::string> peers, PeerHandlers handlers)
    : cluster_id_(cluster_id), self_(self), handlers_(std::move(handlers)) {
  for (auto& [id, address] : peers) {
    auto peer = std::make_unique<Peer>();
    peer->id = id;
    peer->address = address;
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    // Reconnect quickly after a peer restarts.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    peer->channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    peer->stub = peerpb::Peer::NewStub(peer->channel);
    peers_.emplace(id, std::move(peer));
  }
  for (auto& [id, peer] : peers_) {
    Peer* p = peer.get();
    p->stream_thread = std::thread([this, p] { StreamLoop(p); });
  }
}

GrpcPeerTransport::~GrpcPeerTransport() { Stop(); }

void GrpcPeerTransport::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [id, peer] : peers_) {
      if (peer->active_call) peer->active_call->TryCancel();
      if (peer->active_snapshot) peer->active_snapshot->TryCancel();
    }
  }
  cv_.notify_all();
  for (auto& [id, peer] : peers_) {
    if (peer->stream_thread.joinable()) peer->stream_thread.join();
    if (peer->snapshot_thread.joinable()) peer->snapshot_thread.join();
  }
}

size_t GrpcPeerTransport::queued_messages(uint64_t peer) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second->queue.size();
}

void GrpcPeerTransport::Send(std::vector<raftpb::Message> messages) {
  std::vector<uint64_t> dropped;
  for (raftpb::Message& m : messages) {
    auto it = peers_.find(m.to());
    if (it == peers_.end()) continue;  // not a peer this member knows
    Peer* p = it->second.get();
    if (m.type() == raftpb::MSG_SNAPSHOT) {
      bool busy = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        busy = stopped_ || p->snapshot_running;
        if (!busy) p->snapshot_running = true;
      }
      if (busy) {
        handlers_.report_snapshot(p->id, false);
        continue;
      }
      // The previous snapshot thread has finished (snapshot_running was false).
      if (p->snapshot_thread.joinable()) p->snapshot_thread.join();
      p->snapshot_thread =
          std::thread([this, p, msg = std::move(m)]() mutable { SendSnapshot(p, std::move(msg)); });
      continue;
    }
    const size_t size = m.ByteSizeLong();
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    if (p->queue.size() >= kMaxQueuedMessages || p->queued_bytes + size > kMaxQueuedBytes) {
      dropped.push_back(p->id);
      continue;
    }
    p->queued_bytes += size;
    p->queue.push_back(std::move(m));
  }
  cv_.notify_all();
  std::sort(dropped.begin(), dropped.end());
  dropped.erase(std::unique(dropped.begin(), dropped.end()), dropped.end());
  for (uint64_t id : dropped) handlers_.report_unreachable(id);
}

void GrpcPeerTransport::StreamLoop(Peer* p) {
  auto backoff = kFirstBackoff;
  bool logged_down = false;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopped_ || !p->queue.empty(); });
      if (stopped_) return;
    }
    grpc::ClientContext context;
    peerpb::StreamReply reply;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      p->active_call = &context;
    }
    std::unique_ptr<grpc::ClientWriter<peerpb::MessageBatch>> writer =
        p->stub->Stream(&context, &reply);
    bool broken = false;
    while (true) {
      peerpb::MessageBatch batch;
      batch.set_cluster_id(cluster_id_);
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stopped_ || !p->queue.empty(); });
        if (stopped_) break;
        size_t bytes = 0;
        while (!p->queue.empty() && (batch.messages_size() == 0 || bytes < kMaxBatchBytes)) {
          const size_t size = p->queue.front().ByteSizeLong();
          bytes += size;
          p->queued_bytes -= size;
          *batch.add_messages() = std::move(p->queue.front());
          p->queue.pop_front();
        }
      }
      if (!writer->Write(batch)) {
        broken = true;
        break;
      }
      if (logged_down) spdlog::info("peer {:x} at {} is reachable again", p->id, p->address);
      logged_down = false;
      backoff = kFirstBackoff;
    }
    if (!broken) writer->WritesDone();
    const grpc::Status status = writer->Finish();
    {
      std::lock_guard<std::mutex> lock(mu_);
      p->active_call = nullptr;
      if (stopped_) return;
    }
    // The batch in flight is lost: raft retransmits after we report the peer unreachable.
    handlers_.report_unreachable(p->id);
    if (!logged_down) {
      spdlog::warn("peer {:x} at {} is unreachable: {}", p->id, p->address, status.error_message());
      logged_down = true;
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, backoff, [&] { return stopped_; });
    if (stopped_) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void GrpcPeerTransport::SendSnapshot(Peer* p, raftpb::Message message) {
  grpc::ClientContext context;
  peerpb::SnapshotReply reply;
  bool ok = false;
  bool stopping = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping = stopped_;
    if (!stopping) p->active_snapshot = &context;
  }
  if (!stopping) {
    auto source = handlers_.open_snapshot_source();
    if (source.ok()) {
      auto writer = p->stub->Snapshot(&context, &reply);
      peerpb::SnapshotPart first;
      first.set_cluster_id(cluster_id_);
      *first.mutable_message() = std::move(message);
      bool written = writer->Write(first);
      while (written && !(*source)->done()) {
        auto chunk = (*source)->Next();
        if (!chunk.ok()) {
          spdlog::error("snapshot for {:x}: {}", p->id, chunk.status().ToString());
          context.TryCancel();
          written = false;
          break;
        }
        peerpb::SnapshotPart part;
        part.set_cluster_id(cluster_id_);
        *part.mutable_chunk() = std::move(*chunk);
        written = writer->Write(part);
      }
      if (written) writer->WritesDone();
      const grpc::Status status = writer->Finish();
      ok = written && status.ok() && reply.applied();
      if (!ok) {
        spdlog::warn("snapshot for peer {:x} failed: {}", p->id,
                     status.ok() ? "not applied" : status.error_message());
      }
    } else {
      spdlog::error("snapshot for {:x}: {}", p->id, source.status().ToString());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    p->active_snapshot = nullptr;
    p->snapshot_running = false;
  }
  handlers_.report_snapshot(p->id, ok);
}

// ---- receiving ----------------------------------------------------------------------------------

grpc::Status PeerServiceImpl::ClusterMismatch(uint64_t theirs) const {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      "cluster ID mismatch: this member belongs to cluster " + Hex(cluster_id_) +
                          ", the sender to cluster " + Hex(theirs));
}

grpc::Status PeerServiceImpl::Stream(grpc::ServerContext*,
                                     grpc::ServerReader<peerpb::MessageBatch>* reader,
                                     peerpb::StreamReply*) {
  peerpb::MessageBatch batch;
  bool warned = false;
  while (reader->Read(&batch)) {
    if (batch.cluster_id() != cluster_id_) return ClusterMismatch(batch.cluster_id());
    for (raftpb::Message& m : *batch.mutable_messages()) {
      if (m.to() != self_) {
        if (!warned) {
          spdlog::warn("dropping a message for member {:x} received by member {:x}", m.to(), self_);
          warned = true;
        }
        continue;
      }
      handlers_.step(std::move(m));
    }
  }
  return grpc::Status::OK;
}

grpc::Status PeerServiceImpl::Snapshot(grpc::ServerContext*,
                                       grpc::ServerReader<peerpb::SnapshotPart>* reader,
                                       peerpb::SnapshotReply* reply) {
  peerpb::SnapshotPart part;
  if (!reader->Read(&part)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty snapshot stream");
  }
  if (part.cluster_id() != cluster_id_) return ClusterMismatch(part.cluster_id());
  if (!part.has_message() || part.message().type() != raftpb::MSG_SNAPSHOT ||
      part.message().to() != self_) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a snapshot stream must start with a snapshot message for this member");
  }
  raftpb::Message message = part.message();
  ChunkReader next = [&]() -> StatusOr<std::optional<storagepb::SnapshotChunk>> {
    peerpb::SnapshotPart chunk_part;
    if (!reader->Read(&chunk_part)) return std::optional<storagepb::SnapshotChunk>();
    if (chunk_part.cluster_id() != cluster_id_ || !chunk_part.has_chunk()) {
      return Status::InvalidArgument("snapshot stream: expected a chunk of this cluster");
    }
    return std::optional<storagepb::SnapshotChunk>(std::move(*chunk_part.mutable_chunk()));
  };
  Status installed = handlers_.install_snapshot(next);
  if (!installed.ok()) {
    spdlog::warn("snapshot from {:x} refused: {}", message.from(), installed.ToString());
    return grpc::Status(grpc::StatusCode::ABORTED, installed.ToString());
  }
  handlers_.step(std::move(message));
  reply->set_applied(true);
  return grpc::Status::OK;
}

}  // namespace raftkv::server
