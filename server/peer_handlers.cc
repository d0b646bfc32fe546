#include "server/peer_handlers.h"

#include <spdlog/spdlog.h>

namespace raftkv::server {

void StepPeerBatch(uint64_t self, const PeerHandlers& handlers, peerpb::MessageBatch* batch,
                   bool* warned) {
  for (raftpb::Message& m : *batch->mutable_messages()) {
    if (m.to() != self) {
      if (!*warned) {
        spdlog::warn("member {:x} dropping a message from {:x} addressed to member {:x}", self,
                     m.from(), m.to());
        *warned = true;
      }
      continue;
    }
    handlers.step(std::move(m));
  }
}

}  // namespace raftkv::server
