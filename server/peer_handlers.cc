#include "server/peer_handlers.h"

#include <spdlog/spdlog.h>

namespace raftkv::server {

void StepPeerBatch(uint64_t self, uint64_t from, const PeerHandlers& handlers,
                   peerpb::MessageBatch* batch, bool* warned) {
  for (raftpb::Message& m : *batch->mutable_messages()) {
    if (m.to() != self || (from != 0 && m.from() != from)) {
      if (!*warned) {
        spdlog::warn("member {:x} dropping a message from {:x} addressed to member {:x}{}", self,
                     m.from(), m.to(),
                     m.to() == self ? fmt::format(" on a stream from {:x}", from) : "");
        *warned = true;
      }
      continue;
    }
    handlers.step(std::move(m));
  }
}

}  // namespace raftkv::server
