#include "server/peer_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "storage/thread_name.h"

namespace raftkv::server {
namespace {

// Backoff between two attempts to open a peer's stream: doubles from the first to the last
// value while the peer stays unreachable, back to the first once a batch goes through.
constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

std::string Hex(uint64_t v) { return fmt::format("{:x}", v); }

// The gRPC status a failed snapshot install is answered with.
grpc::Status InstallError(const Status& s) {
  grpc::StatusCode code = grpc::StatusCode::ABORTED;
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kCorruption:
      code = grpc::StatusCode::DATA_LOSS;
      break;
    case StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    default:
      break;
  }
  return grpc::Status(code, "snapshot not installed: " + s.ToString());
}

}  // namespace

// One open Peer.Stream call. A write is started by whoever takes the `writing` token under the
// peer's lock (StartNextWrite), and only after releasing it. The hold taken before StartCall
// keeps the call alive for writes started from outside gRPC's reactions; the stream thread
// removes it when it retires the call, and deletes the call once OnDone ran.
class GrpcPeerTransport::StreamCall : public grpc::ClientWriteReactor<peerpb::MessageBatch> {
 public:
  StreamCall(GrpcPeerTransport* transport, Peer* peer) : transport_(transport), peer_(peer) {}

  void OnWriteDone(bool ok) override { transport_->WriteDone(peer_, this, ok); }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(peer_->mu);
    done = true;
    final_status = status;
    peer_->cv.notify_all();
  }

  grpc::ClientContext context;
  peerpb::StreamReply reply;
  // The batch being written; touched only by the holder of the `writing` token.
  peerpb::MessageBatch batch;
  bool writing = false;        // guarded by peer's mu: a write is taken or in flight
  bool broken = false;         // guarded: a write failed; the stream takes no more
  bool delivered_any = false;  // guarded: some batch was written successfully
  bool done = false;           // guarded: OnDone ran, the call may be deleted
  grpc::Status final_status;   // guarded; set with `done`

 private:
  GrpcPeerTransport* const transport_;
  Peer* const peer_;
};

// ---- sending ------------------------------------------------------------------------------------

GrpcPeerTransport::GrpcPeerTransport(uint64_t cluster_id, uint64_t self,
                                     std::map<uint64_t, std::string> peers, PeerHandlers handlers)
    : cluster_id_(cluster_id), self_(self), handlers_(std::move(handlers)) {
  for (auto& [id, address] : peers) {
    if (id == self_) continue;
    auto peer = std::make_unique<Peer>();
    peer->id = id;
    peer->address = address;
    grpc::ChannelArguments args;
    // A batch may exceed kMaxBatchBytes by one message; snapshot chunks are about 1 MiB.
    args.SetMaxSendMessageSize(64 << 20);
    // Let the channel itself retry soon after a peer restarts; StreamLoop backs off on top.
    // (Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: that is the connect timeout, which keeps gRPC's
    // default of 20 s so that a slow handshake is not cut short.)
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Keepalive pings find a peer cut off without a TCP reset (a partition) within seconds, so
    // its stream and any snapshot send fail and raft hears about it, instead of waiting for TCP
    // to give up. The peer server permits these pings (ConfigurePeerServerKeepalive).
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    peer->stub = peerpb::Peer::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    peers_.emplace(id, std::move(peer));
  }
  for (auto& [id, peer] : peers_) {
    Peer* p = peer.get();
    p->stream_thread = std::thread([this, p] {
      NameThisThread("kvd-peer-" + Hex(p->id).substr(0, 6));
      StreamLoop(p);
    });
  }
}

GrpcPeerTransport::~GrpcPeerTransport() { Stop(); }

void GrpcPeerTransport::Stop() {
  std::call_once(stop_once_, [this] {
    for (auto& [id, p] : peers_) {
      std::lock_guard<std::mutex> lock(p->mu);
      p->stopped = true;
      if (p->stream != nullptr) p->stream->context.TryCancel();
      if (p->snapshot_call != nullptr) p->snapshot_call->TryCancel();
      p->cv.notify_all();
    }
    for (auto& [id, p] : peers_) {
      p->stream_thread.join();
      // No snapshot thread starts once `stopped` is set, so this one is the last.
      std::thread snapshot;
      {
        std::lock_guard<std::mutex> lock(p->mu);
        snapshot = std::move(p->snapshot_thread);
      }
      if (snapshot.joinable()) snapshot.join();
    }
  });
}

size_t GrpcPeerTransport::queued_messages(uint64_t peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return 0;
  std::lock_guard<std::mutex> lock(it->second->mu);
  return it->second->queue.size();
}

size_t GrpcPeerTransport::queued_bytes(uint64_t peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return 0;
  std::lock_guard<std::mutex> lock(it->second->mu);
  return it->second->queued_bytes;
}

void GrpcPeerTransport::Send(std::vector<raftpb::Message> messages) {
  // Peers that dropped a message in this call, each reported once, with no lock held; and the
  // peers that got messages, whose stream may need a write started.
  std::vector<uint64_t> dropped;
  std::vector<Peer*> touched;
  for (raftpb::Message& m : messages) {
    auto it = peers_.find(m.to());
    if (it == peers_.end()) continue;  // not a peer this member knows
    Peer* p = it->second.get();
    if (m.type() == raftpb::MSG_SNAPSHOT) {
      StartSnapshot(p, std::move(m));
      continue;
    }
    const size_t size = m.ByteSizeLong();
    std::lock_guard<std::mutex> lock(p->mu);
    if (p->stopped) continue;  // shutting down: nobody waits for these
    if (p->queue.size() >= kMaxQueuedMessages || p->queued_bytes + size > kMaxQueuedBytes) {
      if (std::find(dropped.begin(), dropped.end(), p->id) == dropped.end()) {
        dropped.push_back(p->id);
      }
      continue;
    }
    p->queued_bytes += size;
    p->queue.push_back(std::move(m));
    if (std::find(touched.begin(), touched.end(), p) == touched.end()) touched.push_back(p);
    if (p->stream == nullptr) p->cv.notify_one();  // the stream thread opens one
  }
  for (Peer* p : touched) StartNextWrite(p);
  for (uint64_t id : dropped) handlers_.report_unreachable(id);
}

void GrpcPeerTransport::StartNextWrite(Peer* p) {
  StreamCall* call = nullptr;
  {
    std::lock_guard<std::mutex> lock(p->mu);
    call = p->stream;
    if (call == nullptr || call->writing || call->broken || p->queue.empty()) return;
    call->writing = true;
    // Everything queued, up to kMaxBatchBytes (at least one message), in one batch.
    call->batch.Clear();
    call->batch.set_cluster_id(cluster_id_);
    size_t bytes = 0;
    while (!p->queue.empty() && (call->batch.messages_size() == 0 || bytes < kMaxBatchBytes)) {
      const size_t size = p->queue.front().ByteSizeLong();
      bytes += size;
      p->queued_bytes -= size;
      *call->batch.add_messages() = std::move(p->queue.front());
      p->queue.pop_front();
    }
  }
  // The hold keeps `call` alive until the stream thread sees this write complete.
  call->StartWrite(&call->batch);
}

void GrpcPeerTransport::WriteDone(Peer* p, StreamCall* call, bool ok) {
  bool reachable_again = false;
  {
    std::lock_guard<std::mutex> lock(p->mu);
    call->writing = false;
    if (ok) {
      call->delivered_any = true;
      reachable_again = p->down;
      p->down = false;
    } else {
      call->broken = true;  // this batch is lost; the stream thread reopens the stream
    }
    // The stream thread waits for a broken stream, or for the last write of a stream it retires
    // (p->stream no longer names it); waking it after every batch would cost two context
    // switches per batch for nothing.
    if (!ok || p->stream != call) p->cv.notify_all();
  }
  if (reachable_again) spdlog::info("peer {:x} at {} is reachable again", p->id, p->address);
  if (ok) StartNextWrite(p);
}

void GrpcPeerTransport::StreamLoop(Peer* p) {
  auto backoff = kFirstBackoff;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(p->mu);
      p->cv.wait(lock, [&] { return p->stopped || !p->queue.empty(); });
      if (p->stopped) return;
    }
    if (RunStream(p)) backoff = kFirstBackoff;
    {
      std::lock_guard<std::mutex> lock(p->mu);
      if (p->stopped) return;
    }
    // Raft retransmits what was lost once it knows the peer was unreachable.
    handlers_.report_unreachable(p->id);
    std::unique_lock<std::mutex> lock(p->mu);
    p->cv.wait_for(lock, backoff, [&] { return p->stopped; });
    if (p->stopped) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

bool GrpcPeerTransport::RunStream(Peer* p) {
  auto* call = new StreamCall(this, p);
  p->stub->async()->Stream(&call->context, &call->reply, call);
  call->AddHold();  // after the call is bound to the reactor, before it starts
  call->StartCall();
  {
    std::lock_guard<std::mutex> lock(p->mu);
    if (!p->stopped) p->stream = call;  // from here writers use it and Stop cancels it
  }
  StartNextWrite(p);
  bool delivered_any = false;
  grpc::Status status;
  {
    std::unique_lock<std::mutex> lock(p->mu);
    p->cv.wait(lock, [&] { return p->stopped || call->broken; });
    // Retire the call: no new write can start on it; the one taken, if any, completes (it
    // fails once the call is cancelled) before the hold goes.
    p->stream = nullptr;
    lock.unlock();
    call->context.TryCancel();
    lock.lock();
    p->cv.wait(lock, [&] { return !call->writing; });
    lock.unlock();
    call->RemoveHold();
    lock.lock();
    p->cv.wait(lock, [&] { return call->done; });
    delivered_any = call->delivered_any;
    status = call->final_status;
    if (!p->stopped && !p->down) {
      spdlog::warn("peer {:x} at {} is unreachable ({}), retrying with backoff", p->id, p->address,
                   status.error_message());
      p->down = true;
    }
  }
  delete call;
  return delivered_any;
}

void GrpcPeerTransport::StartSnapshot(Peer* p, raftpb::Message message) {
  bool stopped = false;
  {
    std::lock_guard<std::mutex> lock(p->mu);
    stopped = p->stopped;
    if (!stopped && !p->snapshot_running) {
      p->snapshot_running = true;
      // The previous snapshot thread cleared snapshot_running, its last step under `mu`: it
      // only has its report left, so this join is short and cannot deadlock.
      if (p->snapshot_thread.joinable()) p->snapshot_thread.join();
      p->snapshot_thread = std::thread(
          [this, p, m = std::move(message)]() mutable { SendSnapshot(p, std::move(m)); });
      return;
    }
  }
  if (!stopped) spdlog::info("snapshot for peer {:x} refused: one is already being sent", p->id);
  handlers_.report_snapshot(p->id, false);
}

void GrpcPeerTransport::SendSnapshot(Peer* p, raftpb::Message message) {
  grpc::ClientContext context;
  bool stopping = false;
  {
    std::lock_guard<std::mutex> lock(p->mu);
    stopping = p->stopped;
    if (!stopping) p->snapshot_call = &context;  // from here Stop cancels the call
  }
  const bool applied = !stopping && TrySendSnapshot(p, &context, std::move(message));
  {
    std::lock_guard<std::mutex> lock(p->mu);
    p->snapshot_call = nullptr;
    p->snapshot_running = false;
  }
  handlers_.report_snapshot(p->id, applied);
}

bool GrpcPeerTransport::TrySendSnapshot(Peer* p, grpc::ClientContext* context,
                                        raftpb::Message message) {
  auto source = handlers_.open_snapshot_source();
  if (!source.ok()) {
    spdlog::error("snapshot for peer {:x}: cannot read the key space: {}", p->id,
                  source.status().ToString());
    return false;
  }
  peerpb::SnapshotReply reply;
  std::unique_ptr<grpc::ClientWriter<peerpb::SnapshotPart>> writer =
      p->stub->Snapshot(context, &reply);
  peerpb::SnapshotPart first;
  first.set_cluster_id(cluster_id_);
  *first.mutable_message() = std::move(message);
  bool written = writer->Write(first);
  while (written && !(*source)->done()) {
    StatusOr<storagepb::SnapshotChunk> chunk = (*source)->Next();
    if (!chunk.ok()) {
      spdlog::error("snapshot for peer {:x}: reading the key space failed: {}", p->id,
                    chunk.status().ToString());
      context->TryCancel();  // the receiver must not install a partial key space
      written = false;
      break;
    }
    peerpb::SnapshotPart part;
    part.set_cluster_id(cluster_id_);
    *part.mutable_chunk() = std::move(*chunk);
    written = writer->Write(part);
  }
  if (written) written = writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok() || !written || !reply.applied()) {
    spdlog::warn("snapshot for peer {:x} at {} failed: {}", p->id, p->address,
                 status.ok() ? "not applied" : status.error_message());
    return false;
  }
  return true;
}

void ConfigurePeerServerKeepalive(grpc::ServerBuilder* builder) {
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                              kKeepaliveTimeMs / 2);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
}

// ---- receiving ----------------------------------------------------------------------------------

grpc::Status PeerServiceImpl::ClusterMismatch(uint64_t theirs) const {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      "cluster ID mismatch: member " + Hex(self_) + " belongs to cluster " +
                          Hex(cluster_id_) + ", the sender to cluster " + Hex(theirs));
}

void PeerServiceImpl::StepBatch(peerpb::MessageBatch* batch, bool* warned) {
  batches_received_.fetch_add(1);
  StepPeerBatch(self_, /*from=*/0, handlers_, batch, warned);
}

// Reads one Peer.Stream: each batch is stepped as it arrives, then the next read starts. Deletes
// itself when the call is over.
class PeerServiceImpl::StreamReader : public grpc::ServerReadReactor<peerpb::MessageBatch> {
 public:
  explicit StreamReader(PeerServiceImpl* service) : service_(service) { StartRead(&batch_); }

  void OnReadDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::OK);  // the sender closed the stream, or it broke
    if (batch_.cluster_id() != service_->cluster_id_) {
      spdlog::warn("refusing a peer stream from cluster {:x} (this is cluster {:x})",
                   batch_.cluster_id(), service_->cluster_id_);
      return Finish(service_->ClusterMismatch(batch_.cluster_id()));
    }
    service_->StepBatch(&batch_, &warned_);
    batch_.Clear();
    StartRead(&batch_);
  }
  void OnDone() override { delete this; }

 private:
  PeerServiceImpl* const service_;
  peerpb::MessageBatch batch_;  // the batch being read
  bool warned_ = false;         // a misaddressed message of this stream was logged
};

grpc::ServerReadReactor<peerpb::MessageBatch>* PeerServiceImpl::Stream(
    grpc::CallbackServerContext* /*context*/, peerpb::StreamReply* /*reply*/) {
  return new StreamReader(this);
}

grpc::Status PeerServiceImpl::Snapshot(grpc::ServerContext* /*context*/,
                                       grpc::ServerReader<peerpb::SnapshotPart>* reader,
                                       peerpb::SnapshotReply* reply) {
  peerpb::SnapshotPart part;
  if (!reader->Read(&part)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty snapshot stream");
  }
  if (part.cluster_id() != cluster_id_) return ClusterMismatch(part.cluster_id());
  if (!part.has_message() || part.message().type() != raftpb::MSG_SNAPSHOT ||
      part.message().to() != self_) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "a snapshot stream must start with a snapshot message for member " + Hex(self_));
  }
  raftpb::Message message = std::move(*part.mutable_message());
  // The rest of the stream, chunk by chunk; anything else is an error the restorer reports.
  ChunkReader next = [&]() -> StatusOr<std::optional<storagepb::SnapshotChunk>> {
    peerpb::SnapshotPart chunk_part;
    if (!reader->Read(&chunk_part)) return std::optional<storagepb::SnapshotChunk>();
    if (chunk_part.cluster_id() != cluster_id_) {
      return Status::InvalidArgument("snapshot stream: a part of cluster " +
                                     Hex(chunk_part.cluster_id()) + " in a stream of cluster " +
                                     Hex(cluster_id_));
    }
    if (!chunk_part.has_chunk()) {
      return Status::InvalidArgument("snapshot stream: a part after the first is not a chunk");
    }
    return std::optional<storagepb::SnapshotChunk>(std::move(*chunk_part.mutable_chunk()));
  };
  const Status installed = handlers_.install_snapshot(next);
  if (!installed.ok()) {
    spdlog::warn("snapshot from member {:x} not installed: {}", message.from(),
                 installed.ToString());
    return InstallError(installed);
  }
  handlers_.step(std::move(message));
  reply->set_applied(true);
  return grpc::Status::OK;
}

}  // namespace raftkv::server
