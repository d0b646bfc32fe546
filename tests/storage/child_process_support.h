// ChildProcess: runs a helper program with its stdout on a pipe, so a crash test can wait for
// the progress lines it prints (with a deadline, never a blind sleep) and kill it with SIGKILL
// at a chosen moment.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace raftkv::storage::testing {

class ChildProcess {
 public:
  // Starts argv[0] with the given arguments. Check running() for success.
  explicit ChildProcess(const std::vector<std::string>& argv);
  // Kills the child (SIGKILL) if it is still running, and reaps it.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() const { return pid_ > 0; }

  // The next line the child printed (without the newline), or nullopt if the child closed its
  // stdout (exited) or the deadline passed first.
  std::optional<std::string> ReadLine(std::chrono::steady_clock::time_point deadline);

  // SIGKILL and reap. Returns the wait status.
  int Kill();
  // Sends `signal` without waiting (follow with Wait).
  void Signal(int signal);
  // Waits for the child to exit by itself and returns its exit code (or -signal).
  int Wait();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;  // bytes read from the pipe but not yet returned as lines
};

// Seed for a randomized test: RAFTKV_TEST_SEED when set, otherwise from the clock. Tests print
// it on failure so the run replays with RAFTKV_TEST_SEED=<seed>.
uint64_t TestSeed();

}  // namespace raftkv::storage::testing
