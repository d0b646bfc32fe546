// SimRandom: the simulator's only source of randomness, seeded by the run's seed.
//
// Built on std::mt19937_64, whose output sequence the C++ standard fixes, with our own integer
// arithmetic instead of std::*_distribution (whose algorithms are implementation-defined), so a
// seed names the same run on any standard library. Nothing else in tests/sim/ may draw random
// numbers, read a clock or iterate a container in an order that depends on addresses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>

namespace raftkv::sim {

class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : gen_(seed) {}

  uint64_t Next() { return gen_(); }

  // Uniform in [lo, hi] (inclusive), without modulo bias. Precondition: lo <= hi.
  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    const uint64_t span = hi - lo + 1;  // 0 means the whole 64-bit range
    if (span == 0) return Next();
    const uint64_t kMax = std::numeric_limits<uint64_t>::max();
    const uint64_t reject_from = kMax - (kMax % span + 1) % span;  // accept x <= reject_from
    uint64_t x = Next();
    while (x > reject_from) x = Next();
    return lo + x % span;
  }

  // True with probability p (p <= 0: never, p >= 1: always).
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }

  // A uniformly chosen index into a container of n > 0 elements.
  size_t Index(size_t n) { return static_cast<size_t>(Uniform(0, n - 1)); }

  // A uniformly chosen element of a non-empty vector-like container.
  template <typename Container>
  const auto& Pick(const Container& c) {
    return c[Index(c.size())];
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace raftkv::sim
