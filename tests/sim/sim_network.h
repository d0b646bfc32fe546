// SimNetwork: the simulated network between members.
//
// Messages are delivered through the EventQueue after a random delay, which reorders them; each
// may be dropped or duplicated (NetworkFaults). Partitions are a set of blocked directed links, so
// a symmetric partition blocks both directions and a one-way partition only one. A message is
// lost if its link is blocked when it is sent or when it would arrive. The network never alters a
// message, never delivers one to a node other than its `to`, and never invents one.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>

#include "proto/raft.pb.h"
#include "tests/sim/sim_event_queue.h"
#include "tests/sim/sim_params.h"
#include "tests/sim/sim_random.h"

namespace raftkv::sim {

// A message in flight, with what the transport knows about it.
struct Envelope {
  raftpb::Message msg;
  // Incarnation of the sender when it sent the message: transport-level reports (snapshot done,
  // unreachable) go back only to that incarnation, as a real connection would.
  uint64_t from_incarnation = 0;
  // True for the extra copy made by duplication (reports are made for the original only).
  bool duplicate = false;
};

class SimNetwork {
 public:
  // Why a message was lost, for the drop callback and statistics.
  enum class DropReason { kRandom, kPartition, kDown };
  using DeliverFn = std::function<void(const Envelope&)>;
  using DropFn = std::function<void(const Envelope&, DropReason)>;

  SimNetwork(EventQueue* queue, SimRandom* rng) : queue_(queue), rng_(rng) {}

  // `deliver` is called (as its own event) when a message arrives; `drop` when one is lost.
  void SetCallbacks(DeliverFn deliver, DropFn drop) {
    deliver_ = std::move(deliver);
    drop_ = std::move(drop);
  }
  void set_faults(const NetworkFaults& faults) { faults_ = faults; }
  const NetworkFaults& faults() const { return faults_; }

  // Sends `msg` from a sender in incarnation `from_incarnation`.
  void Send(raftpb::Message msg, uint64_t from_incarnation);

  // Partitions.
  void Block(uint64_t from, uint64_t to) { blocked_.insert({from, to}); }
  void BlockBoth(uint64_t a, uint64_t b) {
    Block(a, b);
    Block(b, a);
  }
  void HealPartitions() { blocked_.clear(); }
  bool Blocked(uint64_t from, uint64_t to) const { return blocked_.count({from, to}) > 0; }
  size_t blocked_links() const { return blocked_.size(); }
  std::string DescribePartitions() const;

  // Statistics.
  uint64_t sent() const { return sent_; }
  uint64_t delivered() const { return delivered_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t duplicated() const { return duplicated_; }
  // Called by the cluster when it could not hand a delivered message to a node (down).
  void CountDroppedAtNode() { ++dropped_; }

 private:
  void Schedule(Envelope env);

  EventQueue* queue_;
  SimRandom* rng_;
  DeliverFn deliver_;
  DropFn drop_;
  NetworkFaults faults_;
  // Blocked directed links (from, to). Ordered, so iteration is deterministic.
  std::set<std::pair<uint64_t, uint64_t>> blocked_;
  uint64_t sent_ = 0, delivered_ = 0, dropped_ = 0, duplicated_ = 0;
};

// "MSG_APPEND 1->2 t3 i10 lt3 n2 c9" and similar: a message in one line, for traces.
std::string DescribeMessage(const raftpb::Message& m);
const char* MessageTypeName(raftpb::MessageType t);

}  // namespace raftkv::sim
