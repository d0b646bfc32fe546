// SimTrace: the record of one run, used to replay and to compare runs.
//
// Every event is folded into a 64-bit hash (cheap, always on), so two runs of the same seed can be
// compared for determinism. Human-readable lines are formatted only when the trace is recording:
// printing everything (`raft_sim --seed S --verbose`) or keeping the last lines (the re-run made
// to show the tail of a failure). Formatting every line of every run would dominate the cost of a
// seed, and a deterministic run can always be replayed to get its lines.
#pragma once

#include <cstdint>
#include <deque>
#include <ostream>
#include <string>
#include <vector>

namespace raftkv::sim {

class SimTrace {
 public:
  enum class Mode {
    kHashOnly,  // No lines; only the hash.
    kTail,      // Keep the last `tail_lines` lines.
    kPrint,     // Print every line to `out` as it is made (and keep the tail too).
  };

  explicit SimTrace(Mode mode = Mode::kHashOnly, size_t tail_lines = 40,
                    std::ostream* out = nullptr);

  // Whether Line() should be called. Callers test this before formatting anything.
  bool recording() const { return mode_ != Mode::kHashOnly; }

  // Starts event number `event` at virtual time `time_us`; later lines are prefixed with both.
  void BeginEvent(uint64_t event, uint64_t time_us);
  // Folds a value into the run's hash.
  void Mix(uint64_t value) { hash_ = (hash_ ^ value) * 0x100000001b3ULL + (hash_ >> 29); }
  // Adds a line (prefixed with the current event and time). Precondition: recording().
  void Line(const std::string& text);

  uint64_t hash() const { return hash_; }
  // The last lines kept (oldest first).
  std::vector<std::string> Tail() const { return {tail_.begin(), tail_.end()}; }
  // Every line made so far, in kTail/kPrint mode, joined (for comparing two recorded runs).
  uint64_t lines_hash() const { return lines_hash_; }
  uint64_t line_count() const { return line_count_; }

 private:
  Mode mode_;
  size_t tail_lines_;
  std::ostream* out_;
  uint64_t event_ = 0;
  uint64_t time_us_ = 0;
  uint64_t hash_ = 0xcbf29ce484222325ULL;
  // Hash of every formatted line, so replay tests can compare the text of two runs cheaply.
  uint64_t lines_hash_ = 0xcbf29ce484222325ULL;
  uint64_t line_count_ = 0;
  std::deque<std::string> tail_;  // At most tail_lines_ entries.
};

// FNV-1a over bytes, for hashing entry data and state.
uint64_t HashBytes(const std::string& bytes, uint64_t seed = 0xcbf29ce484222325ULL);

}  // namespace raftkv::sim
