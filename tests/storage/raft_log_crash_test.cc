// Crash test of the durable raft log: a child process (raft_log_writer_main.cc) appends synced
// batches, truncates, installs snapshots and compacts, reporting each synced Save on stdout; the
// test kills it with SIGKILL at a random point, reopens the log and checks that everything the
// child reported as synced is there (or was legitimately overwritten or compacted later), and
// that the log is whole: Open succeeds, entries are contiguous and verify, no entry is torn.
// Several kill rounds run on the same directory.
//
// The kill point comes from a seed, printed with any failure; RAFTKV_TEST_SEED=<n> replays it
// (as far as a kill can be replayed: the child's own progress depends on the disk's speed).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/storage/raft_log_support.h"
#include "tests/storage/temp_dir.h"

extern char** environ;

namespace raftkv::storage {
namespace {

using Clock = std::chrono::steady_clock;
using testing::OpenLog;
using testing::OpenLogAt;
using testing::TempDir;

uint64_t TestSeed() {
  if (const char* env = std::getenv("RAFTKV_TEST_SEED")) return std::strtoull(env, nullptr, 10);
  return std::random_device()();
}

// A child process whose stdout the test reads line by line. Killed and reaped on destruction
// if still running, so a failing test leaves no process behind.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { Kill(); }

  // Starts `argv[0]` with `argv`; false (and a message in *error) on failure.
  bool Start(const std::vector<std::string>& argv, std::string* error) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      *error = "pipe failed";
      return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    fd_ = fds[0];
    if (rc != 0) {
      *error = "posix_spawn " + argv[0] + ": " + std::to_string(rc);
      pid_ = -1;
      return false;
    }
    return true;
  }

  // The next complete line, waiting until `deadline`. Nothing on timeout or end of output.
  std::optional<std::string> ReadLine(Clock::time_point deadline) {
    for (;;) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      if (eof_) return std::nullopt;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      const int ready = poll(&p, 1, static_cast<int>(left));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = read(fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
      } else {
        buffer_.append(chunk, static_cast<size_t>(n));
      }
    }
  }

  bool eof() const { return eof_; }

  // SIGKILL, then reap. Returns the wait status (or -1 if not running).
  int Kill() {
    int status = -1;
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
    return status;
  }

  // Closes the pipe; call after Kill() once the remaining output was drained.
  void ClosePipe() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;  // bytes read and not yet returned as a line
  bool eof_ = false;
};

// What the writer reported, i.e. what must have survived.
struct Reported {
  uint64_t last = 0;    // last index after the latest synced Save
  uint64_t term = 0;    // its term, and the hard state's term then
  uint64_t commit = 0;  // the hard state's commit then
  // The highest index compacted (reported) before the latest synced Save: the compaction is not
  // synced itself, but the WAL makes every write before a synced one durable with it.
  uint64_t compacted = 0;
  uint64_t compacted_unsynced = 0;  // reported after the latest synced Save
  uint64_t saves = 0;               // synced Saves reported, all rounds
};

// Applies one line of the writer's output. False if the line is not one it writes.
bool Consume(const std::string& line, Reported* r) {
  std::istringstream in(line);
  std::string kind;
  in >> kind;
  if (kind == "S") {
    in >> r->last >> r->term >> r->commit;
    r->compacted = std::max(r->compacted, r->compacted_unsynced);
    ++r->saves;
  } else if (kind == "C") {
    uint64_t c = 0;
    in >> c;
    r->compacted_unsynced = std::max(r->compacted_unsynced, c);
  } else {
    return false;
  }
  return !in.fail();
}

// Reopens the log in `dir` and checks it against what was reported.
void VerifyLog(const std::string& dir, const Reported& r) {
  StatusOr<OpenLog> open = OpenLogAt(dir);
  ASSERT_TRUE(open.ok()) << "reopen after the kill: " << open.status().ToString();
  const RaftLogStore& log = *open->log;
  const uint64_t first = log.FirstIndex();
  const uint64_t last = log.LastIndex();
  const raftpb::HardState& hs = log.hard_state();

  // Nothing synced is lost: the hard state and the committed prefix only move forward.
  EXPECT_GE(hs.term(), r.term);
  EXPECT_GE(hs.commit(), r.commit);
  EXPECT_GE(first - 1, r.compacted) << "a compaction followed by a synced Save was lost";
  if (hs.term() == r.term) {
    // No later truncation took effect (each one raises the term), so the reported last entry
    // is still there -- unless a later snapshot install (which lands above it) replaced it.
    StatusOr<uint64_t> t = log.Term(r.last);
    if (t.ok()) {
      EXPECT_EQ(*t, r.term) << "entry " << r.last;
    } else {
      EXPECT_EQ(t.status().code(), StatusCode::kCompacted) << t.status().ToString();
      EXPECT_GE(first - 1, r.last);
    }
    EXPECT_GE(last, r.last);
  }

  // The whole log is whole: contiguous, each entry intact, terms never going back.
  StatusOr<uint64_t> prev_term = log.Term(first - 1);
  ASSERT_TRUE(prev_term.ok()) << prev_term.status().ToString();
  uint64_t term = *prev_term;
  uint64_t next = first;
  while (next <= last) {
    auto entries = log.Entries(next, last + 1, 4 << 20);
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    for (const raftpb::Entry& e : *entries) {
      ASSERT_EQ(e.index(), next);
      Status verified = testing::VerifyEntry(e);
      ASSERT_TRUE(verified.ok()) << verified.ToString();
      ASSERT_GE(e.term(), term) << "entry " << e.index() << " goes back in term";
      term = e.term();
      ++next;
    }
  }
  EXPECT_LE(term, hs.term());
  EXPECT_LE(hs.commit(), last);
  StatusOr<raftpb::Snapshot> snap = log.GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_GE(snap->metadata().index(), first - 1);
}

TEST(RaftLogCrashTest, SyncedEntriesSurviveSigkillAtRandomPoints) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (RAFTKV_TEST_SEED=" + std::to_string(seed) +
               " replays it)");
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  TempDir dir;
  const std::string data_dir = dir.Sub("data");
  const std::string writer = std::string(RAFTKV_TEST_BIN_DIR) + "/raft_log_writer";
  constexpr int kRounds = 8;
  const Clock::time_point test_deadline = Clock::now() + std::chrono::seconds(40);

  Reported reported;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Child child;
    std::string error;
    ASSERT_TRUE(child.Start({writer, data_dir, std::to_string(rng())}, &error)) << error;

    // The kill point: after a random number of further synced Saves, or a random short time
    // after the first one -- either way only once this round made progress.
    const bool by_count = rng() % 2 == 0;
    const uint64_t kill_after_saves = 1 + rng() % 40;
    const auto kill_after_time = std::chrono::microseconds(rng() % 30000);
    const uint64_t saves_before = reported.saves;
    std::optional<Clock::time_point> kill_at;
    for (;;) {
      const uint64_t saves = reported.saves - saves_before;
      if (by_count && saves >= kill_after_saves) break;
      if (kill_at && Clock::now() >= *kill_at) break;
      std::optional<std::string> line = child.ReadLine(kill_at.value_or(test_deadline));
      if (!line) {
        ASSERT_FALSE(child.eof()) << "the writer exited by itself (see its stderr above)";
        ASSERT_TRUE(kill_at) << "no progress from the writer before the test's deadline";
        break;  // the random delay is over
      }
      ASSERT_TRUE(Consume(*line, &reported)) << "unexpected output: " << *line;
      if (!kill_at && reported.saves > saves_before && !by_count) {
        kill_at = Clock::now() + kill_after_time;
      }
    }
    const int status = child.Kill();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer was not running when killed (status " << status << ")";
    // Lines already written before the kill count too: each was printed after a synced Save.
    while (std::optional<std::string> line =
               child.ReadLine(Clock::now() + std::chrono::seconds(5))) {
      ASSERT_TRUE(Consume(*line, &reported)) << "unexpected output: " << *line;
    }
    child.ClosePipe();
    ASSERT_GT(reported.saves, saves_before) << "the writer reported no synced Save this round";

    ASSERT_NO_FATAL_FAILURE(VerifyLog(data_dir, reported));
  }
  EXPECT_GE(reported.saves, static_cast<uint64_t>(kRounds));
  RecordProperty("synced_saves", std::to_string(reported.saves));
  std::printf("%d kill rounds, %llu synced saves reported, last reported index %llu (term %llu)\n",
              kRounds, static_cast<unsigned long long>(reported.saves),
              static_cast<unsigned long long>(reported.last),
              static_cast<unsigned long long>(reported.term));
}

}  // namespace
}  // namespace raftkv::storage
