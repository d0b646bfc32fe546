#include "tests/fault/linearizability.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>
#include <utility>

namespace raftkv::fault {
namespace {

// Whether the checker searches `op`: failed operations never happened, and a read of unknown
// outcome changes nothing and constrains nothing.
bool Searched(const Operation& op) {
  if (op.outcome == Outcome::kFail) return false;
  return !(op.outcome == Outcome::kUnknown && op.kind == OpKind::kRead);
}

Status Validate(const History& history) {
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& op = history[i];
    if (op.outcome != Outcome::kUnknown && op.complete_ns < op.invoke_ns) {
      return Status::InvalidArgument("operation " + std::to_string(i) +
                                     " completes before it is invoked: " + FormatOperation(op));
    }
  }
  return Status::Ok();
}

// The operations of one key that complete with a known outcome, in completion order (ties by
// invoke time, then by position in the key's history, so the order is deterministic).
std::vector<size_t> CompletionOrder(const std::vector<Operation>& ops) {
  std::vector<size_t> order;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].outcome == Outcome::kOk) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&ops](size_t a, size_t b) {
    return std::tie(ops[a].complete_ns, ops[a].invoke_ns, a) <
           std::tie(ops[b].complete_ns, ops[b].invoke_ns, b);
  });
  return order;
}

// The prefix of a key's history that ends with the completion of its `count`-th operation (in
// `order`): those `count` operations, and every other write or cas invoked by then, pending.
struct Prefix {
  std::vector<size_t> members;  // indexes into the key's operations, in the key's order
  std::vector<bool> completed;  // by index into the key's operations: completed in the prefix
};

Prefix PrefixOf(const std::vector<Operation>& ops, const std::vector<size_t>& order, size_t count) {
  Prefix prefix;
  prefix.completed.assign(ops.size(), false);
  for (size_t i = 0; i < count; ++i) prefix.completed[order[i]] = true;
  const int64_t end = ops[order[count - 1]].complete_ns;
  for (size_t i = 0; i < ops.size(); ++i) {
    const bool pending = !prefix.completed[i] && ops[i].invoke_ns <= end;
    if (prefix.completed[i] || (pending && ops[i].kind != OpKind::kRead)) {
      prefix.members.push_back(i);
    }
  }
  return prefix;
}

// The operations the search sees for a prefix: the pending ones have an unknown outcome.
std::vector<Operation> SearchedOps(const std::vector<Operation>& ops, const Prefix& prefix) {
  std::vector<Operation> searched;
  for (const size_t i : prefix.members) {
    searched.push_back(ops[i]);
    if (!prefix.completed[i]) searched.back().outcome = Outcome::kUnknown;
  }
  return searched;
}

// Bisection for the smallest failing prefix of a key whose whole history is not linearizable.
FailingWindow FindFailingWindow(const Model& model, const std::string& key,
                                const std::vector<Operation>& ops, const SearchBudget& budget) {
  const std::vector<size_t> order = CompletionOrder(ops);
  FailingWindow window;
  window.key = key;
  // Invariant: the prefix of `bad` operations fails, the prefix of `good` ones passes (the empty
  // prefix, of unknown operations only, always passes under the Model contract).
  size_t good = 0;
  size_t bad = order.size();
  // The bisection as a whole has one search's budget: each search gets what is left of it.
  const auto start = std::chrono::steady_clock::now();
  uint64_t steps_used = 0;
  while (bad - good > 1) {
    SearchBudget left = budget;
    if (budget.time.count() > 0) {
      left.time = budget.time - std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start);
    }
    if (budget.max_steps != 0) left.max_steps = budget.max_steps - steps_used;
    if ((budget.time.count() > 0 && left.time.count() <= 0) ||
        (budget.max_steps != 0 && left.max_steps == 0)) {
      window.minimal = false;
      break;
    }
    const size_t middle = good + (bad - good) / 2;
    const SearchResult search =
        SearchLinearization(model, SearchedOps(ops, PrefixOf(ops, order, middle)), left);
    steps_used = std::min(budget.max_steps, steps_used + search.steps);
    const Verdict verdict = search.verdict;
    if (verdict == Verdict::kTimedOut) {
      window.minimal = false;
      break;
    }
    (verdict == Verdict::kLinearizable ? good : bad) = middle;
  }
  if (bad == 0) return window;  // cannot happen with a failing history; nothing to show
  const Prefix prefix = PrefixOf(ops, order, bad);
  std::vector<size_t> members = prefix.members;
  std::stable_sort(members.begin(), members.end(),
                   [&ops](size_t a, size_t b) { return ops[a].invoke_ns < ops[b].invoke_ns; });
  for (const size_t i : members) {
    if (i == order[bad - 1]) window.last = window.operations.size();
    window.operations.push_back(ops[i]);
    window.pending.push_back(!prefix.completed[i]);
  }
  window.end_ns = ops[order[bad - 1]].complete_ns;
  return window;
}

}  // namespace

StatusOr<CheckResult> CheckLinearizability(const History& history, const Model& model,
                                           const CheckOptions& options) {
  RAFTKV_RETURN_IF_ERROR(Validate(history));
  std::map<std::string, std::vector<Operation>> by_key;
  for (const Operation& op : history) {
    if (Searched(op)) by_key[op.key].push_back(op);
  }

  CheckResult result;
  bool timed_out = false;
  for (const auto& [key, ops] : by_key) {
    const SearchResult search = SearchLinearization(model, ops, options.budget_per_key);
    result.keys.push_back(KeyVerdict{key, search.verdict, ops.size(), search.steps});
    if (search.verdict == Verdict::kTimedOut) timed_out = true;
    if (search.verdict != Verdict::kNotLinearizable) continue;
    result.verdict = Verdict::kNotLinearizable;
    if (options.find_failing_window && !result.failure) {
      result.failure = FindFailingWindow(model, key, ops, options.budget_per_key);
    }
  }
  if (timed_out && result.verdict != Verdict::kNotLinearizable) {
    result.verdict = Verdict::kTimedOut;
  }
  return result;
}

StatusOr<CheckResult> CheckLinearizability(const History& history, const CheckOptions& options) {
  return CheckLinearizability(history, RegisterModel(), options);
}

}  // namespace raftkv::fault
