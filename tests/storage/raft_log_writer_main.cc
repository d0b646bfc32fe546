// raft_log_writer: the victim of the raft log crash test (raft_log_crash_test.cc).
//
//   raft_log_writer <data_dir> <seed>
//
// Opens the RaftLogStore in <data_dir> (continuing whatever log is there) and, until it is
// killed, saves synced batches of a random number of entries whose payload is a function of
// their index and term (raft_log_support.h). Now and then it overwrites a suffix of the log
// above the commit index with a higher term (as a new leader's entries do), installs a snapshot
// ahead of its log (as a lagging follower does), or snapshots and compacts a prefix.
//
// After every Save that returned OK it prints, and flushes, one line
//   S <last index> <last term> <commit index>
// and after every Compact that returned OK
//   C <compacted index>
// so the test knows what must have survived. Any error ends the program with status 1 and the
// error on stderr.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "tests/storage/raft_log_support.h"

namespace raftkv::storage::testing {
namespace {

[[noreturn]] void Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "raft_log_writer: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

uint64_t TermAt(const RaftLogStore& log, uint64_t index) {
  StatusOr<uint64_t> term = log.Term(index);
  if (!term.ok()) Fail("term of " + std::to_string(index), term.status());
  return *term;
}

uint64_t SnapshotIndex(const RaftLogStore& log) {
  StatusOr<raftpb::Snapshot> snap = log.GetSnapshot();
  if (!snap.ok()) Fail("snapshot", snap.status());
  return snap->metadata().index();
}

[[noreturn]] void Run(const std::string& data_dir, uint64_t seed) {
  StatusOr<OpenLog> open = OpenLogAt(data_dir);
  if (!open.ok()) Fail("open", open.status());
  RaftLogStore& log = *open->log;
  std::mt19937_64 rng(seed);
  auto chance = [&rng](int one_in) { return rng() % one_in == 0; };

  uint64_t term = std::max<uint64_t>({log.hard_state().term(), TermAt(log, log.LastIndex()), 1});
  uint64_t commit = log.hard_state().commit();
  for (;;) {
    const uint64_t last = log.LastIndex();
    raft::Ready rd;
    rd.must_sync = true;
    uint64_t start = last + 1;
    uint64_t count = chance(4) ? 1 + rng() % 64 : 1 + rng() % 8;
    const uint64_t lowest_overwritable = std::max(commit + 1, log.FirstIndex());
    if (chance(8) && last >= lowest_overwritable) {
      // A new leader's entries replace the uncommitted suffix from `start` on; often fewer than
      // they replace, so the removed tail would show if it were not removed.
      start = lowest_overwritable + rng() % (last - lowest_overwritable + 1);
      count = 1 + rng() % 4;
      ++term;
    } else if (chance(64)) {
      // A snapshot from a leader that is ahead replaces the whole log.
      const uint64_t index = last + 1 + rng() % 8;
      raftpb::Snapshot snap;
      snap.mutable_metadata()->set_index(index);
      snap.mutable_metadata()->set_term(term);
      snap.mutable_metadata()->mutable_conf_state()->add_voters(1);
      snap.set_data("snapshot@" + std::to_string(index));
      rd.snapshot = std::move(snap);
      start = index + 1;
      commit = index;
    }
    for (uint64_t i = start; i < start + count; ++i) rd.entries.push_back(VerifiableEntry(i, term));
    // Entries below the batch are committed, some of them lagging behind (the uncommitted
    // suffix is what a truncation may replace).
    const uint64_t below = start - 1;
    commit = std::max(commit, below - std::min<uint64_t>(below, rng() % 64));
    raftpb::HardState hs;
    hs.set_term(term);
    hs.set_commit(commit);
    rd.hard_state = hs;
    Status saved = log.Save(rd);
    if (!saved.ok()) Fail("save", saved);
    std::printf("S %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", log.LastIndex(),
                TermAt(log, log.LastIndex()), commit);
    std::fflush(stdout);

    if (chance(24) && commit > SnapshotIndex(log)) {
      Status s = log.CreateSnapshot(commit, log.conf_state(), "");
      if (!s.ok()) Fail("create snapshot", s);
      const uint64_t target = commit - std::min<uint64_t>(commit, rng() % 4);
      if (target >= log.FirstIndex()) {
        s = log.Compact(target);
        if (!s.ok()) Fail("compact", s);
        std::printf("C %" PRIu64 "\n", target);
        std::fflush(stdout);
      }
    }
  }
}

}  // namespace
}  // namespace raftkv::storage::testing

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: raft_log_writer <data_dir> <seed>\n");
    return 2;
  }
  raftkv::storage::testing::Run(argv[1], std::strtoull(argv[2], nullptr, 10));
}
