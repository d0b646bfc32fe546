// The linearizability checker of the fault tests: is there an order of a history's operations,
// consistent with real time, in which each key behaves as a register (model.h)?
//
// Linearizability is compositional (Herlihy and Wing): a history is linearizable exactly when
// the sub-history of each object is. So the history is split per key, each key starting absent,
// and each key is searched on its own (search.h) within its own budget. Operations that failed
// (kFail) are dropped; reads of unknown outcome are dropped too (they change nothing and their
// output is unknown); other unknown operations may take effect at any time after their invoke,
// or never.
//
// For a key that is not linearizable, the checker also finds a failing window: the smallest
// prefix of that key's history, cut at the completion of one of its operations, that is already
// not linearizable. Cutting at time T keeps the operations completed by T, and turns those
// invoked by T but not yet completed into unknown ones (they may have taken effect already);
// everything invoked later is left out. A prefix that fails makes every longer one fail, so the
// smallest is found by bisection over the completions.
//
// Cost: the search is exponential in the worst case (the problem is NP-complete), and a history
// that is not linearizable is the expensive kind, since every configuration before the failure
// must be ruled out. What keeps it cheap: few operations per key (spread the workload over many
// keys), few clients per key, a fresh value for every write (then each read names its write),
// and few unknown outcomes. As a guide, on one core, for a history of one key with 5% unknown
// outcomes that is not linearizable half-way (verdict and failing window together): 1,000
// operations from 5 clients writing fresh values take under 0.1 s, from 10 clients about 1 s;
// with only 3 distinct values, 1,000 operations from 5 clients take 1-5 s, and 300 from 10
// clients up to 8 s.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "raft/status.h"
#include "tests/fault/history.h"
#include "tests/fault/model.h"
#include "tests/fault/search.h"

namespace raftkv::fault {

// How to check.
struct CheckOptions {
  // Limits of the search of one key. The bisection for the failing window, when there is one,
  // has the same budget again for all its searches, so one key takes at most twice this.
  SearchBudget budget_per_key;
  // Whether to look for the failing window of the first non-linearizable key.
  bool find_failing_window = true;
};

// The answer for one key.
struct KeyVerdict {
  std::string key;
  Verdict verdict = Verdict::kTimedOut;
  size_t operations = 0;  // operations searched (kOk and kUnknown, without unknown reads)
  uint64_t steps = 0;     // search steps it took
};

// The smallest failing prefix found for a non-linearizable key.
struct FailingWindow {
  std::string key;
  // The operations of the prefix as recorded, by invoke time: those completed in it, and the
  // writes and cas pending at its end (reads still pending are left out), which the check of the
  // prefix treated as of unknown outcome.
  std::vector<Operation> operations;
  std::vector<bool> pending;  // parallel to operations: pending at the end of the prefix
  // Index in `operations` of the operation whose completion ends the prefix: with it the key's
  // history is not linearizable; cut just before it, it was (when `minimal`).
  size_t last = 0;
  int64_t end_ns = 0;  // operations[last].complete_ns
  // False when a search of the bisection ran out of budget: the window then fails but may not
  // be the smallest.
  bool minimal = true;
};

// The answer for a whole history.
struct CheckResult {
  // kNotLinearizable if any key is; otherwise kTimedOut if any key ran out of budget; otherwise
  // kLinearizable.
  Verdict verdict = Verdict::kLinearizable;
  std::vector<KeyVerdict> keys;  // one per key with operations to search, by key
  // For the first non-linearizable key (by key), when options asked for it.
  std::optional<FailingWindow> failure;
};

// Checks `history` with each key modelled by `model`. Fails (InvalidArgument) on a malformed
// history: an operation of outcome kOk or kFail that completes before it is invoked.
StatusOr<CheckResult> CheckLinearizability(const History& history, const Model& model,
                                           const CheckOptions& options = {});
// The same with RegisterModel, the model of the key-value store.
StatusOr<CheckResult> CheckLinearizability(const History& history,
                                           const CheckOptions& options = {});

}  // namespace raftkv::fault
