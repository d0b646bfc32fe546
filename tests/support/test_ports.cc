#include "tests/support/test_ports.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string>

namespace raftkv::testing {
namespace {

// The directory of the lock files: $TMPDIR/raftkv-test-ports (or /tmp/...). Shared with
// tests/support/test_ports.sh, which must name the files the same way.
std::string LockDirectory() {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  return dir + "/raftkv-test-ports";
}

// Tries to take block `block` (0-based); returns true and leaks the descriptor (the hold lasts
// until the process exits) when the lock was free.
bool TryLockBlock(const std::string& dir, int block) {
  const std::string path = dir + "/block-" + std::to_string(block) + ".lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return false;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return false;
  }
  return true;
}

int ClaimOnce() {
  const std::string dir = LockDirectory();
  mkdir(dir.c_str(), 01777);  // Fails harmlessly when it exists.
  chmod(dir.c_str(), 01777);  // Other users' tests may share /tmp.
  const int blocks = (kEndPort - kFirstPort) / kPortBlockSize;
  // Start at a pid-derived block so concurrent processes rarely contend for the same lock file.
  const int start = static_cast<int>(getpid() % blocks);
  for (int i = 0; i < blocks; ++i) {
    const int block = (start + i) % blocks;
    if (TryLockBlock(dir, block)) return kFirstPort + block * kPortBlockSize;
  }
  return 0;
}

}  // namespace

int ClaimPortBlock() {
  static std::once_flag once;
  static int base = 0;
  std::call_once(once, [] { base = ClaimOnce(); });
  return base;
}

}  // namespace raftkv::testing
