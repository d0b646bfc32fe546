// Helpers for unit tests that drive one consensus core by hand: message and entry builders, a
// core over its own MemoryStorage, and a server-like handling of its Ready.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proto/raft.pb.h"
#include "raft/config.h"
#include "raft/core.h"
#include "raft/memory_storage.h"
#include "raft/ready.h"
#include "raft/status.h"

namespace raftkv::raft::test {

// Builds a message.
raftpb::Message Msg(raftpb::MessageType type, uint64_t from, uint64_t to, uint64_t term);
// Builds an entry.
raftpb::Entry Ent(uint64_t index, uint64_t term, std::string data = "");
// Entries 1..n whose terms are `terms`.
std::vector<raftpb::Entry> EntsWithTerms(const std::vector<uint64_t>& terms);
// A ConfState with these voters and learners.
raftpb::ConfState MakeConfState(const std::vector<uint64_t>& voters,
                                const std::vector<uint64_t>& learners = {});
// Appends `ents` to an append message.
void AddEntries(raftpb::Message* m, const std::vector<raftpb::Entry>& ents);

// The messages of `type` in `msgs`.
std::vector<raftpb::Message> OfType(const std::vector<raftpb::Message>& msgs,
                                    raftpb::MessageType type);

// One core over its own storage, driven by hand.
struct LoneCore {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<Core> core;
  Config config;

  Core* operator->() { return core.get(); }
  // Handles the pending Ready like a server would (persist snapshot, entries, hard state; apply
  // conf changes; Advance) and returns it for inspection; an empty Ready if there is none.
  // Storage errors are reported as test failures.
  Ready Flush();
  // Steps `m` and expects success.
  void StepOk(const raftpb::Message& m);
  // Rebuilds the core from its storage (a restart) with the same config.
  void Restart();
};

// Parameters of MakeLoneCore.
struct LoneCoreSpec {
  uint64_t id = 1;
  std::vector<uint64_t> voters = {1, 2, 3};
  std::vector<uint64_t> learners = {};
  // Persisted log: entry i (1-based) has term log_terms[i-1].
  std::vector<uint64_t> log_terms = {};
  // Persisted hard state.
  uint64_t term = 0;
  uint64_t vote = 0;
  uint64_t commit = 0;
  uint64_t applied = 0;
  bool pre_vote = true;
  bool check_quorum = true;
  int election_tick = 10;
  int heartbeat_tick = 1;
  uint64_t seed = 7;
  std::function<void(Config&)> tweak = nullptr;
};

// Builds a core from persisted state; fails the test if Core::Create fails.
LoneCore MakeLoneCore(const LoneCoreSpec& spec);

// Makes a lone follower with voters {1,2,3} the leader of term+1 by feeding it the votes of the
// other voters, then flushes its Readies. Pre-vote is handled if enabled.
void MakeLeader(LoneCore& c);

// The text of a Status or of a StatusOr's status, for failure messages.
inline std::string StatusText(const Status& s) { return s.ToString(); }
template <typename T>
std::string StatusText(const StatusOr<T>& s) {
  return s.ok() ? std::string("OK") : s.status().ToString();
}

}  // namespace raftkv::raft::test

// Asserts that a Status (or StatusOr) expression is ok, printing the error otherwise.
#define RAFTKV_ASSERT_OK(expr)                                                  \
  do {                                                                          \
    const auto& raftkv_s_ = (expr);                                             \
    ASSERT_TRUE(raftkv_s_.ok()) << ::raftkv::raft::test::StatusText(raftkv_s_); \
  } while (0)
#define RAFTKV_EXPECT_OK(expr)                                                  \
  do {                                                                          \
    const auto& raftkv_s_ = (expr);                                             \
    EXPECT_TRUE(raftkv_s_.ok()) << ::raftkv::raft::test::StatusText(raftkv_s_); \
  } while (0)
