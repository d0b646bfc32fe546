#include "tests/sim/sim_trace.h"

#include <cstdio>

namespace raftkv::sim {

SimTrace::SimTrace(Mode mode, size_t tail_lines, std::ostream* out)
    : mode_(mode), tail_lines_(tail_lines), out_(out) {}

void SimTrace::BeginEvent(uint64_t event, uint64_t time_us) {
  event_ = event;
  time_us_ = time_us;
  Mix(event);
  Mix(time_us);
}

void SimTrace::Line(const std::string& text) {
  char prefix[64];
  std::snprintf(prefix, sizeof(prefix), "[e%llu t%llu.%03llums] ",
                static_cast<unsigned long long>(event_),
                static_cast<unsigned long long>(time_us_ / 1000),
                static_cast<unsigned long long>(time_us_ % 1000));
  std::string line = prefix + text;
  lines_hash_ = HashBytes(line, lines_hash_);
  ++line_count_;
  if (mode_ == Mode::kPrint && out_ != nullptr) *out_ << line << '\n';
  if (tail_lines_ > 0) {
    if (tail_.size() == tail_lines_) tail_.pop_front();
    tail_.push_back(std::move(line));
  }
}

uint64_t HashBytes(const std::string& bytes, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace raftkv::sim
