// Tests of the simulator itself: fixed seeds pass on the real core, runs replay exactly, and the
// pieces (event queue, network, state machine) behave as the checker assumes.
#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/sim/sim_driver.h"
#include "tests/sim/sim_event_queue.h"
#include "tests/sim/sim_network.h"
#include "tests/sim/sim_random.h"
#include "tests/sim/sim_state_machine.h"

namespace raftkv::sim {
namespace {

TEST(SimRunTest, FixedSeedsPass) {
  for (uint64_t seed : {1, 2, 3, 42, 1000, 123456789}) {
    RunResult r = RunSeedAndExplain(seed);
    EXPECT_TRUE(r.passed) << FailureReport(r);
    // A run that elects nobody and commits nothing would pass vacuously.
    EXPECT_GT(r.leaders, 0u) << "seed " << seed;
    EXPECT_GT(r.committed, 10u) << "seed " << seed;
    EXPECT_GT(r.writes_acked, 0u) << "seed " << seed;
  }
}

TEST(SimRunTest, LongRunsPass) {
  // Six chaos/liveness phases instead of two (seeds whose workload includes reads).
  RunOptions o;
  o.phases = 6;
  for (uint64_t seed : {72, 74}) {
    RunResult r = RunSeedAndExplain(seed, o);
    EXPECT_TRUE(r.passed) << FailureReport(r);
    EXPECT_GT(r.leaders, 5u) << "seed " << seed;
    EXPECT_GT(r.reads_checked, 0u) << "seed " << seed;
  }
}

TEST(SimReplayTest, SameSeedSameRun) {
  RunOptions o;
  o.trace_mode = SimTrace::Mode::kTail;
  RunResult a = RunSeed(9, o);
  RunResult b = RunSeed(9, o);
  EXPECT_EQ(a.run_hash, b.run_hash);
  EXPECT_EQ(a.trace_lines_hash, b.trace_lines_hash);
  EXPECT_EQ(a.trace_lines, b.trace_lines);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.tail, b.tail);
  EXPECT_GT(a.trace_lines, 1000u);
}

TEST(SimReplayTest, RecordingDoesNotChangeTheRun) {
  // Failures are explained by re-running with the trace on: that run must be the same run.
  RunOptions quiet;
  RunOptions loud;
  std::ostringstream sink;
  loud.trace_mode = SimTrace::Mode::kPrint;
  loud.out = &sink;
  RunResult a = RunSeed(11, quiet);
  RunResult b = RunSeed(11, loud);
  EXPECT_EQ(a.run_hash, b.run_hash);
  EXPECT_EQ(a.events, b.events);
  EXPECT_FALSE(sink.str().empty());
}

TEST(SimReplayTest, DifferentSeedsDiffer) {
  // Guards the two tests above: a hash that ignores the run would make them pass vacuously.
  std::set<uint64_t> hashes;
  for (uint64_t seed = 1; seed <= 5; ++seed) hashes.insert(RunSeed(seed).run_hash);
  EXPECT_EQ(hashes.size(), 5u);
}

TEST(SimEventQueueTest, RunsInTimeThenSchedulingOrder) {
  EventQueue q;
  std::string order;
  q.At(20, [&] { order += 'c'; });
  q.At(10, [&] { order += 'a'; });
  q.At(10, [&] { order += 'b'; });
  q.At(5, [&] {
    order += 'x';
    q.After(0, [&] { order += 'y'; });  // same instant, after those already scheduled for it
  });
  while (!q.empty()) q.RunNext();
  EXPECT_EQ(order, "xyabc");
  EXPECT_EQ(q.now(), 20u);
}

TEST(SimRandomTest, UniformStaysInRangeAndCoversIt) {
  SimRandom rng(5);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    uint64_t v = rng.Uniform(3, 7);
    ASSERT_GE(v, 3u);
    ASSERT_LE(v, 7u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_FALSE(rng.Chance(0));
  EXPECT_TRUE(rng.Chance(1));
}

class SimNetworkTest : public ::testing::Test {
 protected:
  SimNetworkTest() : rng_(1), net_(&queue_, &rng_) {
    net_.SetCallbacks(
        [this](const Envelope& e) { delivered_.push_back(e.msg.to()); },
        [this](const Envelope& e, SimNetwork::DropReason) { dropped_.push_back(e.msg.to()); });
  }
  void Send(uint64_t from, uint64_t to) {
    raftpb::Message m;
    m.set_type(raftpb::MSG_HEARTBEAT);
    m.set_from(from);
    m.set_to(to);
    net_.Send(m, 1);
  }
  void Drain() {
    while (!queue_.empty()) queue_.RunNext();
  }

  EventQueue queue_;
  SimRandom rng_;
  SimNetwork net_;
  std::vector<uint64_t> delivered_;
  std::vector<uint64_t> dropped_;
};

TEST_F(SimNetworkTest, OneWayPartitionBlocksOneDirectionOnly) {
  net_.Block(1, 2);
  Send(1, 2);
  Send(2, 1);
  Drain();
  EXPECT_EQ(delivered_, std::vector<uint64_t>{1});
  EXPECT_EQ(dropped_, std::vector<uint64_t>{2});
}

TEST_F(SimNetworkTest, PartitionAppliedWhileInFlightDrops) {
  Send(1, 2);
  net_.BlockBoth(1, 2);
  Drain();
  EXPECT_TRUE(delivered_.empty());
  net_.HealPartitions();
  Send(1, 2);
  Drain();
  EXPECT_EQ(delivered_, std::vector<uint64_t>{2});
}

TEST_F(SimNetworkTest, DropsDuplicatesAndReorders) {
  NetworkFaults f;
  f.drop = 0.2;
  f.duplicate = 0.2;
  f.min_delay_us = 1;
  f.max_delay_us = 1000;
  net_.set_faults(f);
  std::vector<uint64_t> sent;
  for (uint64_t i = 0; i < 500; ++i) Send(1, 100 + i);
  Drain();
  EXPECT_GT(dropped_.size(), 50u);
  EXPECT_GT(net_.duplicated(), 50u);
  std::set<uint64_t> unique(delivered_.begin(), delivered_.end());
  EXPECT_LT(unique.size(), delivered_.size());                         // duplicates arrived
  EXPECT_FALSE(std::is_sorted(delivered_.begin(), delivered_.end()));  // reordered
}

TEST(KvStateMachineTest, SnapshotRoundTrip) {
  KvStateMachine sm;
  Command a{"k1", "v1", "w1"};
  Command b{"k2", "v2", "w2"};
  Command c{"k1", "v3", "w3"};
  sm.Apply(1, &a);
  sm.Apply(2, nullptr);
  sm.Apply(3, &b);
  sm.Apply(4, &c);
  std::optional<KvStateMachine> copy = KvStateMachine::Parse(sm.Serialize());
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->applied(), 4u);
  EXPECT_EQ(copy->Get("k1"), "v3");
  EXPECT_EQ(copy->Get("k2"), "v2");
  EXPECT_EQ(copy->Hash(), sm.Hash());
  KvStateMachine other;
  other.Apply(1, &a);
  EXPECT_NE(other.Hash(), sm.Hash());
  EXPECT_FALSE(KvStateMachine::Parse("x\n").has_value());
  EXPECT_FALSE(KvStateMachine::Parse("3\nbroken\n").has_value());
}

TEST(KvStateMachineTest, CommandEncoding) {
  std::optional<Command> c = ParseCommand(EncodeCommand(Command{"k", "v", "id"}));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->key, "k");
  EXPECT_EQ(c->value, "v");
  EXPECT_EQ(c->id, "id");
  EXPECT_FALSE(ParseCommand("").has_value());
  EXPECT_FALSE(ParseCommand("put k v").has_value());
  EXPECT_FALSE(ParseCommand("get k v id").has_value());
}

}  // namespace
}  // namespace raftkv::sim
