#include "raft/read_only.h"

#include <utility>

namespace raftkv::raft {

bool ReadOnlyQueue::Add(PendingRead read) {
  queued_.push_back(std::move(read));
  return round_id_ == 0;
}

uint64_t ReadOnlyQueue::StartRound(uint64_t self) {
  round_id_ = ++last_round_id_;
  in_round_ = std::move(queued_);
  queued_.clear();
  acks_.clear();
  acks_.insert(self);
  return round_id_;
}

const std::set<uint64_t>* ReadOnlyQueue::Ack(uint64_t round, uint64_t from) {
  if (round == 0 || round != round_id_) return nullptr;
  acks_.insert(from);
  return &acks_;
}

std::vector<PendingRead> ReadOnlyQueue::FinishRound() {
  std::vector<PendingRead> done = std::move(in_round_);
  in_round_.clear();
  round_id_ = 0;
  acks_.clear();
  return done;
}

void ReadOnlyQueue::Reset() {
  queued_.clear();
  in_round_.clear();
  round_id_ = 0;
  acks_.clear();
}

}  // namespace raftkv::raft
