// The consensus core (raft/) running on the durable log: members whose log is a RaftLogStore
// elect a leader, replicate and commit, survive a restart of every process with their log,
// and catch a member that was down up by a snapshot after the leader compacted its log.
//
// tests/raft/test_cluster.h holds its members' logs in MemoryStorage, so this file has its own
// small harness in the same style: a perfect synchronous network, each Ready persisted with
// RaftLogStore::Save before its messages leave (raft/ready.h).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "raft/config.h"
#include "raft/core.h"
#include "tests/storage/raft_log_support.h"
#include "tests/storage/temp_dir.h"

namespace raftkv::storage {
namespace {

using testing::OpenLog;
using testing::OpenLogAt;
using testing::TempDir;

// One member: its data directory, its open log, its core, and its "state machine" (the
// commands it applied, in order).
struct DurableMember {
  uint64_t id = 0;
  std::string data_dir;
  OpenLog open;                      // empty while the member is down
  std::unique_ptr<raft::Core> core;  // null while the member is down
  // The state machine. A restart keeps it, as a server's persisted state machine would.
  uint64_t applied = 0;
  std::vector<std::string> commands;
};

// Serializes a state machine for a snapshot, and back.
std::string EncodeCommands(const std::vector<std::string>& commands) {
  std::string out;
  for (const std::string& c : commands) out += c + "\n";
  return out;
}
std::vector<std::string> DecodeCommands(const std::string& data) {
  std::vector<std::string> out;
  std::istringstream in(data);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class DurableCluster {
 public:
  DurableCluster(const TempDir& dir, const std::vector<uint64_t>& ids) {
    for (uint64_t id : ids) {
      DurableMember& m = members_[id];
      m.id = id;
      m.data_dir = dir.Sub("member" + std::to_string(id));
      Start(id);
      Check(m.open.log->Bootstrap(ids), "bootstrap");
      StartCore(m);
    }
    Deliver();  // the bootstrap entries are committed: apply them
  }

  DurableMember& member(uint64_t id) { return members_.at(id); }
  raft::Core& core(uint64_t id) { return *members_.at(id).core; }
  RaftLogStore& log(uint64_t id) { return *members_.at(id).open.log; }

  // Crashes `id`: the core and the open database go away, the data directory stays.
  void Stop(uint64_t id) {
    DurableMember& m = member(id);
    m.core.reset();
    m.open.log.reset();
    m.open.db.reset();
  }
  // Reopens `id`'s log from its directory and builds a core on it.
  void Start(uint64_t id) {
    DurableMember& m = member(id);
    StatusOr<OpenLog> open = OpenLogAt(m.data_dir);
    if (!open.ok()) {
      ADD_FAILURE() << "member " << id << ": " << open.status().ToString();
      return;
    }
    m.open = std::move(open).value();
    if (m.open.log->LastIndex() > 0) StartCore(m);  // else Bootstrap comes first
  }
  void Restart(uint64_t id) {
    Stop(id);
    Start(id);
  }

  bool Elect(uint64_t id) {
    core(id).Campaign();
    Deliver();
    return core(id).is_leader();
  }
  void Propose(uint64_t id, const std::string& command) {
    Check(core(id).Propose(command), "propose");
    Deliver();
  }
  // Ticks `id` n times, delivering after each tick.
  void Tick(uint64_t id, int n) {
    for (int i = 0; i < n; ++i) {
      core(id).Tick();
      Deliver();
    }
  }
  // Snapshots `id`'s state machine at its applied index and compacts its log up to it.
  void SnapshotAndCompact(uint64_t id) {
    DurableMember& m = member(id);
    raftpb::ConfState cs = m.open.log->conf_state();
    Check(m.open.log->CreateSnapshot(m.applied, cs, EncodeCommands(m.commands)), "snapshot");
    Check(m.open.log->Compact(m.applied), "compact");
  }

  // Processes Readies and delivers messages between running members until nothing is left.
  void Deliver() {
    for (int round = 0; round < 1000; ++round) {
      std::vector<raftpb::Message> out;
      bool busy = false;
      for (auto& [id, m] : members_) {
        if (m.core && m.core->HasReady()) {
          ProcessReady(m, &out);
          busy = true;
        }
      }
      if (!busy && out.empty()) return;
      for (const raftpb::Message& msg : out) {
        auto it = members_.find(msg.to());
        if (it == members_.end() || !it->second.core) continue;  // down: lost
        Check(it->second.core->Step(msg), "step");
      }
    }
    ADD_FAILURE() << "the cluster did not quiesce";
  }

 private:
  void Check(const Status& s, const char* what) {
    if (!s.ok()) ADD_FAILURE() << what << ": " << s.ToString();
  }

  void StartCore(DurableMember& m) {
    raft::Config config;
    config.id = m.id;
    config.storage = m.open.log.get();
    config.applied = m.applied;
    config.seed = m.id;
    StatusOr<std::unique_ptr<raft::Core>> core = raft::Core::Create(config);
    if (!core.ok()) {
      ADD_FAILURE() << "member " << m.id << ": " << core.status().ToString();
      return;
    }
    m.core = std::move(core).value();
  }

  // The Ready contract of raft/ready.h: persist, send, apply, advance.
  void ProcessReady(DurableMember& m, std::vector<raftpb::Message>* out) {
    raft::Ready rd = m.core->GetReady();
    Check(m.open.log->Save(rd), "save");
    for (raftpb::Message& msg : rd.messages) out->push_back(std::move(msg));
    if (rd.snapshot) {
      m.applied = rd.snapshot->metadata().index();
      m.commands = DecodeCommands(rd.snapshot->data());
    }
    for (const raftpb::Entry& e : rd.committed_entries) {
      if (e.index() != m.applied + 1) {
        ADD_FAILURE() << "member " << m.id << " applies " << e.index() << " after " << m.applied;
      }
      m.applied = e.index();
      if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
        raftpb::ConfChange cc;
        if (!cc.ParseFromString(e.data())) ADD_FAILURE() << "bad conf change at " << e.index();
        Check(m.open.log->SetConfState(m.core->ApplyConfChange(cc)), "conf state");
      } else if (!e.data().empty()) {
        m.commands.push_back(e.data());
      }
    }
    m.core->Advance();
  }

  std::map<uint64_t, DurableMember> members_;
};

TEST(RaftLogCoreTest, SingleMemberCommitsAndKeepsItsLogAcrossARestart) {
  TempDir dir;
  DurableCluster cluster(dir, {1});
  ASSERT_TRUE(cluster.Elect(1));
  for (int i = 0; i < 20; ++i) cluster.Propose(1, "cmd" + std::to_string(i));
  EXPECT_EQ(cluster.member(1).commands.size(), 20u);
  const uint64_t last = cluster.log(1).LastIndex();
  const uint64_t term = cluster.core(1).term();

  cluster.Restart(1);
  EXPECT_EQ(cluster.log(1).LastIndex(), last);
  EXPECT_EQ(cluster.log(1).hard_state().term(), term);
  EXPECT_EQ(cluster.log(1).hard_state().commit(), last);
  ASSERT_TRUE(cluster.Elect(1));
  EXPECT_GT(cluster.core(1).term(), term);
  cluster.Propose(1, "after-restart");
  EXPECT_EQ(cluster.member(1).commands.back(), "after-restart");
  EXPECT_EQ(cluster.member(1).commands.size(), 21u);
}

TEST(RaftLogCoreTest, ThreeMembersSurviveARestartOfEveryProcess) {
  TempDir dir;
  DurableCluster cluster(dir, {1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  for (int i = 0; i < 10; ++i) cluster.Propose(1, "a" + std::to_string(i));
  const uint64_t last = cluster.log(1).LastIndex();
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(cluster.log(id).LastIndex(), last) << "member " << id;
    EXPECT_EQ(cluster.member(id).commands.size(), 10u) << "member " << id;
  }

  for (uint64_t id : {1, 2, 3}) cluster.Stop(id);
  for (uint64_t id : {1, 2, 3}) cluster.Start(id);
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(cluster.log(id).LastIndex(), last) << "member " << id;
    EXPECT_TRUE(cluster.log(id).GetInitialState()->conf_state.voters_size() == 3);
  }
  ASSERT_TRUE(cluster.Elect(2));
  for (int i = 0; i < 5; ++i) cluster.Propose(2, "b" + std::to_string(i));
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(cluster.member(id).commands.size(), 15u) << "member " << id;
    EXPECT_EQ(cluster.member(id).commands.back(), "b4") << "member " << id;
  }
}

TEST(RaftLogCoreTest, MemberDownWhileTheLeaderCompactsIsCaughtUpByASnapshot) {
  TempDir dir;
  DurableCluster cluster(dir, {1, 2, 3});
  ASSERT_TRUE(cluster.Elect(1));
  cluster.Propose(1, "before");
  cluster.Stop(3);
  for (int i = 0; i < 30; ++i) cluster.Propose(1, "while-down" + std::to_string(i));
  cluster.SnapshotAndCompact(1);
  ASSERT_GT(cluster.log(1).FirstIndex(), cluster.member(3).applied + 1);

  cluster.Start(3);
  cluster.Tick(1, 3);  // heartbeats find member 3 back
  cluster.Propose(1, "after");
  EXPECT_EQ(cluster.member(3).commands, cluster.member(1).commands);
  EXPECT_EQ(cluster.member(3).commands.back(), "after");
  // Member 3's log now starts at the snapshot, and says so after a restart.
  const uint64_t snap_index = cluster.log(3).GetSnapshot()->metadata().index();
  EXPECT_GT(snap_index, 2u);
  cluster.Restart(3);
  EXPECT_EQ(cluster.log(3).FirstIndex(), snap_index + 1);
  EXPECT_EQ(cluster.log(3).LastIndex(), cluster.log(1).LastIndex());
}

}  // namespace
}  // namespace raftkv::storage
