// Port blocks for tests that start real servers on loopback. Every test process (C++ tests,
// fault_run, and the shell tests through tests/support/test_ports.sh) claims a block of
// kPortBlockSize consecutive ports by holding an exclusive flock on a lock file named after the
// block, so two tests running at once (ctest -j) never get the same ports. Blocks lie in
// [kFirstPort, kEndPort), below the kernel's ephemeral range (32768 and up), so an outgoing
// connection of another program cannot take a port a test is about to listen on.
#pragma once

namespace raftkv::testing {

inline constexpr int kFirstPort = 10000;
inline constexpr int kEndPort = 32700;
inline constexpr int kPortBlockSize = 100;

// Returns the first port of a block that no other live process holds, and keeps the block for
// the rest of this process's life (the lock is released by the kernel when the process exits;
// the lock file descriptor is close-on-exec, so children do not keep it). Calling it again in
// the same process returns the same block. Returns 0 when every block is taken.
int ClaimPortBlock();

}  // namespace raftkv::testing
