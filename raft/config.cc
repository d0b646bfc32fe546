#include "raft/config.h"

namespace raftkv::raft {

Status Config::Validate() const {
  if (id == 0) return Status::InvalidArgument("raft config: id must be non-zero");
  if (heartbeat_tick <= 0)
    return Status::InvalidArgument("raft config: heartbeat_tick must be > 0");
  if (election_tick <= heartbeat_tick) {
    return Status::InvalidArgument(
        "raft config: election_tick must be greater than heartbeat_tick");
  }
  if (storage == nullptr) return Status::InvalidArgument("raft config: storage is required");
  if (max_inflight_msgs <= 0) {
    return Status::InvalidArgument("raft config: max_inflight_msgs must be > 0");
  }
  if (max_size_per_msg == 0 || max_committed_size_per_ready == 0) {
    return Status::InvalidArgument("raft config: size limits must be > 0");
  }
  return Status::Ok();
}

}  // namespace raftkv::raft
