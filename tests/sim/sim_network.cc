#include "tests/sim/sim_network.h"

namespace raftkv::sim {

void SimNetwork::Send(raftpb::Message msg, uint64_t from_incarnation) {
  ++sent_;
  Envelope env{std::move(msg), from_incarnation, false};
  if (Blocked(env.msg.from(), env.msg.to())) {
    ++dropped_;
    drop_(env, DropReason::kPartition);
    return;
  }
  if (rng_->Chance(faults_.drop)) {
    ++dropped_;
    drop_(env, DropReason::kRandom);
    return;
  }
  if (rng_->Chance(faults_.duplicate)) {
    ++duplicated_;
    Envelope copy = env;
    copy.duplicate = true;
    Schedule(std::move(copy));
  }
  Schedule(std::move(env));
}

void SimNetwork::Schedule(Envelope env) {
  uint64_t delay = rng_->Uniform(faults_.min_delay_us, faults_.max_delay_us);
  queue_->After(delay, [this, env = std::move(env)]() {
    if (Blocked(env.msg.from(), env.msg.to())) {
      ++dropped_;
      drop_(env, DropReason::kPartition);
      return;
    }
    ++delivered_;
    deliver_(env);
  });
}

std::string SimNetwork::DescribePartitions() const {
  if (blocked_.empty()) return "none";
  std::string out;
  for (const auto& [from, to] : blocked_) {
    if (!out.empty()) out += ' ';
    out += std::to_string(from) + "-x>" + std::to_string(to);
  }
  return out;
}

const char* MessageTypeName(raftpb::MessageType t) {
  switch (t) {
    case raftpb::MSG_UNKNOWN:
      return "UNKNOWN";
    case raftpb::MSG_PROPOSE:
      return "PROPOSE";
    case raftpb::MSG_APPEND:
      return "APPEND";
    case raftpb::MSG_APPEND_RESPONSE:
      return "APPEND_RESP";
    case raftpb::MSG_VOTE:
      return "VOTE";
    case raftpb::MSG_VOTE_RESPONSE:
      return "VOTE_RESP";
    case raftpb::MSG_PRE_VOTE:
      return "PRE_VOTE";
    case raftpb::MSG_PRE_VOTE_RESPONSE:
      return "PRE_VOTE_RESP";
    case raftpb::MSG_SNAPSHOT:
      return "SNAPSHOT";
    case raftpb::MSG_HEARTBEAT:
      return "HEARTBEAT";
    case raftpb::MSG_HEARTBEAT_RESPONSE:
      return "HEARTBEAT_RESP";
    case raftpb::MSG_READ_INDEX:
      return "READ_INDEX";
    case raftpb::MSG_READ_INDEX_RESPONSE:
      return "READ_INDEX_RESP";
    case raftpb::MSG_TRANSFER_LEADER:
      return "TRANSFER_LEADER";
    case raftpb::MSG_TIMEOUT_NOW:
      return "TIMEOUT_NOW";
    default:
      return "?";
  }
}

std::string DescribeMessage(const raftpb::Message& m) {
  std::string s = MessageTypeName(m.type());
  s += ' ' + std::to_string(m.from()) + "->" + std::to_string(m.to()) + " t" +
       std::to_string(m.term());
  switch (m.type()) {
    case raftpb::MSG_APPEND:
      s += " prev=(" + std::to_string(m.index()) + "," + std::to_string(m.log_term()) + ")";
      if (m.entries_size() > 0) {
        s += " ents=[" + std::to_string(m.entries(0).index()) + ".." +
             std::to_string(m.entries(m.entries_size() - 1).index()) + "]";
      }
      s += " c" + std::to_string(m.commit());
      break;
    case raftpb::MSG_APPEND_RESPONSE:
      s += " i" + std::to_string(m.index());
      if (m.reject()) s += " REJECT hint=" + std::to_string(m.reject_hint());
      break;
    case raftpb::MSG_VOTE:
    case raftpb::MSG_PRE_VOTE:
      s += " last=(" + std::to_string(m.index()) + "," + std::to_string(m.log_term()) + ")";
      if (m.leader_transfer()) s += " transfer";
      break;
    case raftpb::MSG_VOTE_RESPONSE:
    case raftpb::MSG_PRE_VOTE_RESPONSE:
      s += m.reject() ? " REJECT" : " GRANT";
      break;
    case raftpb::MSG_SNAPSHOT:
      s += " snap=(" + std::to_string(m.snapshot().metadata().index()) + "," +
           std::to_string(m.snapshot().metadata().term()) + ")";
      break;
    case raftpb::MSG_HEARTBEAT:
    case raftpb::MSG_HEARTBEAT_RESPONSE:
      s += " c" + std::to_string(m.commit());
      if (m.read_round() != 0) s += " round" + std::to_string(m.read_round());
      break;
    case raftpb::MSG_PROPOSE:
      s += " n" + std::to_string(m.entries_size());
      break;
    case raftpb::MSG_READ_INDEX:
    case raftpb::MSG_READ_INDEX_RESPONSE:
      s += " i" + std::to_string(m.index()) + " ctx=" + m.context();
      break;
    case raftpb::MSG_TRANSFER_LEADER:
      s += " to=" + std::to_string(m.transferee());
      break;
    default:
      break;
  }
  return s;
}

}  // namespace raftkv::sim
