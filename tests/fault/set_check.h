// The set checker of the fault tests: client threads add unique elements to a set, and after
// the cluster healed one final read returns the whole set. The rules, from what each add's
// outcome proves (history.h, Outcome):
//   - every add that was acknowledged (ok) is in the final read; else it was "lost";
//   - every element in the final read was attempted by some add; else it is "unexpected";
//   - no add that failed (fail: it provably never took effect) is in the final read;
//   - an add of unknown outcome may or may not be there; those found are "recovered".
// Pure: no RPC, no clock; the set workload (harness/set_workload.h) feeds it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/fault/history.h"

namespace raftkv::fault {

// One attempt to add `element`. Elements are meant to be unique; when one is attempted more than
// once, it must be present if any attempt was ok, and absent if every attempt failed.
struct SetAdd {
  std::string element;
  Outcome outcome = Outcome::kOk;
  // For the history file only (the check ignores them): the client and the request's times.
  uint64_t process = 0;
  int64_t invoke_ns = 0;
  int64_t complete_ns = 0;
};

// What CheckSet found. Counts are of distinct elements, except the outcome counts (ok, fail,
// unknown), which are of attempts.
struct SetCheckResult {
  bool valid = true;
  int64_t attempted = 0;       // distinct elements some add tried
  int64_t ok = 0;              // attempts acknowledged
  int64_t fail = 0;            // attempts that provably did not take effect
  int64_t unknown = 0;         // attempts without an answer
  int64_t read = 0;            // distinct elements in the final read
  int64_t lost = 0;            // acknowledged, not read: invalid
  int64_t unexpected = 0;      // read, never attempted: invalid
  int64_t failed_present = 0;  // read, though every attempt failed: invalid
  int64_t recovered = 0;       // of unknown outcome only, and read: allowed
  // Up to kMaxExamples elements of each invalid kind, in sorted order.
  std::vector<std::string> lost_examples;
  std::vector<std::string> unexpected_examples;
  std::vector<std::string> failed_present_examples;
};

// How many example elements SetCheckResult keeps of each invalid kind.
inline constexpr size_t kMaxSetExamples = 20;

// Applies the rules above to the adds and the elements of the final read (in any order;
// duplicates in the read count once).
SetCheckResult CheckSet(const std::vector<SetAdd>& adds,
                        const std::vector<std::string>& final_read);

// The result as report lines: the counts, the examples, and a last line "verdict: valid" or
// "verdict: invalid (...)" naming the broken rules.
std::string FormatSetCheck(const SetCheckResult& result);

}  // namespace raftkv::fault
