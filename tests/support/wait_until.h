// Waiting on a condition with a deadline, the way every test that watches another thread waits
// (never a bare sleep that hopes the other thread got there).
#pragma once

#include <chrono>
#include <thread>

namespace raftkv::testing {

// Polls `condition` every `poll` until it holds or `timeout` passes; returns its last value, so
// a condition that comes true at the deadline still counts. `condition` may act as well as test
// (take a queued item, fire a timer): it runs once per poll.
template <typename Condition>
bool WaitUntil(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10),
               std::chrono::milliseconds poll = std::chrono::milliseconds(2)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace raftkv::testing
