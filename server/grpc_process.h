// Process-wide settings for the binaries that spend their time in gRPC (kvd, kvbench).
#pragma once

#include <absl/synchronization/mutex.h>

namespace raftkv::server {

// Turns off abseil's mutex deadlock detection. Debian builds abseil without NDEBUG, so by
// default every absl::Mutex acquisition (gRPC takes several per call) records the lock order
// in a process-wide graph behind one global lock. That bookkeeping cost kvd 14 % of its CPU
// per serializable range. Call it first in main, before any thread starts; tests keep the
// detection.
inline void DisableAbslDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace raftkv::server
