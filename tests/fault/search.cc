#include "tests/fault/search.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "tests/fault/configuration_cache.h"

namespace raftkv::fault {
namespace {

constexpr int kNone = -1;
constexpr int kHead = 0;  // the sentinel in front of each list
// How often (in steps) the clock is read for the time budget.
constexpr uint64_t kClockPeriod = 1024;

// An element of a doubly linked list kept in a vector, index 0 being the head sentinel. An
// operation is linearized by unlinking its elements ("lifting" it, in Lowe's words) and put back
// on backtracking, dancing-links style.
struct Link {
  int prev = kNone;
  int next = kNone;  // kNone after the last element
};

// An event of an operation of known outcome: its call or its return. The list of these events,
// by time, is Lowe's list; its first return bounds which operations may be linearized next.
struct Event : Link {
  int op = kNone;     // index into the known operations; kNone for the head
  int match = kNone;  // a call's return
  bool is_call = false;
  int64_t time = 0;
};

// The call of an operation of unknown outcome. It never returns, so these live in their own
// list, by invoke time, and never bound anything.
//
// Unknown operations with the same input ("twins", e.g. two timed-out writes of one value) are
// interchangeable once both are invoked, so the search only ever linearizes the first twin not
// yet linearized, in invoke order: the linearized twins of a class are always its first ones,
// and the search does not try each of n twins where one stands for all.
struct Pending : Link {
  int op = kNone;  // index into the unknown operations; kNone for the head
  int64_t time = 0;
  int twins = kNone;  // the class of its twins
  int rank = 0;       // its place among its twins, by invoke time
};

template <typename T>
void Unlink(std::vector<T>& list, int e) {
  list[list[e].prev].next = list[e].next;
  if (list[e].next != kNone) list[list[e].next].prev = list[e].prev;
}

// Undoes Unlink(list, e); valid when every later Unlink of the list has been undone already.
template <typename T>
void Relink(std::vector<T>& list, int e) {
  list[list[e].prev].next = e;
  if (list[e].next != kNone) list[list[e].next].prev = e;
}

template <typename T>
void LinkInOrder(std::vector<T>& list) {
  for (size_t i = 0; i < list.size(); ++i) {
    list[i].prev = static_cast<int>(i) - 1;
    list[i].next = i + 1 < list.size() ? static_cast<int>(i) + 1 : kNone;
  }
}

// Lowe's list for the known operations: calls and returns by time; at equal times calls first,
// so that operations touching in time count as concurrent.
std::vector<Event> BuildEvents(const std::vector<const Operation*>& known) {
  // (time, 0 for a call / 1 for a return, operation)
  std::vector<std::tuple<int64_t, int, int>> order;
  for (size_t i = 0; i < known.size(); ++i) {
    // (A return before its call cannot be: CheckLinearizability rejects such a history, and
    // here it is clamped so that the list stays well formed.)
    const int64_t end = std::max(known[i]->complete_ns, known[i]->invoke_ns);
    order.emplace_back(known[i]->invoke_ns, 0, static_cast<int>(i));
    order.emplace_back(end, 1, static_cast<int>(i));
  }
  std::sort(order.begin(), order.end());
  std::vector<Event> events(order.size() + 1);
  std::vector<int> call_of(known.size(), kNone);
  for (size_t e = 0; e < order.size(); ++e) {
    Event& event = events[e + 1];
    std::tie(event.time, std::ignore, event.op) = order[e];
    event.is_call = std::get<1>(order[e]) == 0;
    if (event.is_call) {
      call_of[event.op] = static_cast<int>(e) + 1;
    } else {
      events[call_of[event.op]].match = static_cast<int>(e) + 1;
    }
  }
  LinkInOrder(events);
  return events;
}

std::vector<Pending> BuildPending(const std::vector<const Operation*>& unknown) {
  std::vector<Pending> pending(unknown.size() + 1);
  for (size_t i = 0; i < unknown.size(); ++i) {
    pending[i + 1].op = static_cast<int>(i);
    pending[i + 1].time = unknown[i]->invoke_ns;
  }
  std::stable_sort(pending.begin() + 1, pending.end(),
                   [](const Pending& a, const Pending& b) { return a.time < b.time; });
  LinkInOrder(pending);
  std::map<std::tuple<OpKind, std::string, Value, Value>, int> classes;
  std::vector<int> class_sizes;
  for (size_t i = 1; i < pending.size(); ++i) {
    const Operation& op = *unknown[pending[i].op];
    const auto [it, inserted] = classes.try_emplace(
        std::make_tuple(op.kind, op.key, op.value, op.expected), static_cast<int>(classes.size()));
    if (inserted) class_sizes.push_back(0);
    pending[i].twins = it->second;
    pending[i].rank = class_sizes[it->second]++;
  }
  return pending;
}

// Tracks the budget of one search.
class BudgetClock {
 public:
  explicit BudgetClock(const SearchBudget& budget)
      : budget_(budget), start_(std::chrono::steady_clock::now()) {}

  // Whether the search may take one more step, given what it did so far.
  bool Allows(uint64_t steps, size_t cache_bytes) const {
    if (budget_.max_steps != 0 && steps > budget_.max_steps) return false;
    if (budget_.max_cache_bytes != 0 && cache_bytes > budget_.max_cache_bytes) return false;
    if (budget_.time.count() > 0 && steps % kClockPeriod == 0) {
      return std::chrono::steady_clock::now() - start_ < budget_.time;
    }
    return true;
  }

 private:
  const SearchBudget& budget_;
  const std::chrono::steady_clock::time_point start_;
};

// One search. The walk visits, at each configuration, first the calls of known operations
// before the first return (Lowe's candidates), then the unknown operations invoked by that
// return; a return reached in the first pass ends it, the end of the second pass backtracks.
// Trying known operations first means configurations with fewer unknown operations linearized
// are visited first, which is what lets the cache's dominance rule prune the others.
class Search {
 public:
  Search(const Model& model, std::vector<Operation> ops, const SearchBudget& budget)
      : model_(model), clock_(budget), ops_(std::move(ops)), known_set_(0), unknown_set_(0) {
    model_.Canonicalize(ops_);
    for (const Operation& op : ops_) {
      if (op.outcome == Outcome::kOk) known_.push_back(&op);
      if (op.outcome == Outcome::kUnknown) unknown_.push_back(&op);
    }
    events_ = BuildEvents(known_);
    pending_ = BuildPending(unknown_);
    for (size_t i = 1; i < pending_.size(); ++i) {
      linearized_twins_.resize(std::max<size_t>(linearized_twins_.size(), pending_[i].twins + 1));
    }
    known_set_ = OpSet(known_.size());
    unknown_set_ = OpSet(unknown_.size());
    state_ = model_.Init();
  }

  SearchResult Run();

 private:
  // A linearized operation on the search stack: where it was in its list, and what to restore.
  struct Frame {
    bool unknown;   // which list `entry` is in
    int entry;      // its call event (known) or pending call (unknown)
    int64_t limit;  // for unknown: the time bound of the second pass it was chosen in
    ModelState state_before;
  };

  // Applies `op` (index `index` in its kind's set) to the current state, unless the model
  // refuses it or the configuration it leads to is already covered. On success pushes a frame
  // and returns true.
  bool TryLinearize(const Operation& op, size_t index, Frame frame);

  // Whether `op`, of unknown outcome, would erase the effect of the unknown operation just
  // linearized: the state after both is the state after `op` alone. Then linearizing `op` here
  // is dominated by linearizing it instead of the previous one, a choice the search makes at
  // the previous configuration (same candidates: unknown operations do not move the first
  // return). Without this rule the second pass tries every subset of the unknown operations
  // pending at each dead end, as the cache sees the subsets before the sets they dominate.
  bool ErasesPrevious(const Operation& op) const;

  const Model& model_;
  const BudgetClock clock_;
  std::vector<Operation> ops_;             // the partition, canonicalized by the model
  std::vector<const Operation*> known_;    // outcome kOk
  std::vector<const Operation*> unknown_;  // outcome kUnknown
  std::vector<Event> events_;
  std::vector<Pending> pending_;
  // By twin class: how many of its operations are linearized on the current path (always its
  // first ones by rank).
  std::vector<int> linearized_twins_;
  OpSet known_set_;    // the known operations linearized on the current path
  OpSet unknown_set_;  // the unknown operations linearized on the current path
  ModelState state_;   // the model's state after the current path
  ConfigurationCache cache_;
  std::vector<Frame> stack_;  // the current path
};

bool Search::TryLinearize(const Operation& op, size_t index, Frame frame) {
  std::optional<ModelState> next = model_.Step(state_, op);
  if (!next) return false;
  OpSet& set = frame.unknown ? unknown_set_ : known_set_;
  set.Set(index);
  if (!cache_.Visit(known_set_, *next, unknown_set_)) {
    set.Reset(index);
    return false;
  }
  frame.state_before = std::move(state_);
  state_ = std::move(*next);
  stack_.push_back(std::move(frame));
  return true;
}

bool Search::ErasesPrevious(const Operation& op) const {
  if (stack_.empty() || !stack_.back().unknown) return false;
  const std::optional<ModelState> after_both = model_.Step(state_, op);
  return after_both && after_both == model_.Step(stack_.back().state_before, op);
}

SearchResult Search::Run() {
  SearchResult result;
  // Once no known operation is left, the unknown ones can all go last (the Model contract: they
  // succeed in every state), so the search is done.
  size_t known_left = known_.size();
  bool second_pass = false;
  int64_t limit = 0;  // second pass: unknown operations invoked by this time are candidates
  int current = events_[kHead].next;
  while (known_left > 0) {
    if (!clock_.Allows(++result.steps, cache_.bytes())) {
      result.verdict = Verdict::kTimedOut;
      result.cache_entries = cache_.size();
      return result;
    }
    if (!second_pass) {
      // Every known operation left has its return after its call, so the walk meets a return
      // before the end of the list.
      assert(current != kNone);
      const Event& event = events_[current];
      if (!event.is_call) {
        second_pass = true;
        limit = event.time;
        current = pending_[kHead].next;
      } else if (TryLinearize(*known_[event.op], event.op, Frame{false, current, 0, {}})) {
        Unlink(events_, current);
        Unlink(events_, event.match);
        --known_left;
        current = events_[kHead].next;
      } else {
        current = event.next;
      }
      continue;
    }
    if (current != kNone && pending_[current].time <= limit) {
      const Pending& call = pending_[current];
      if (call.rank == linearized_twins_[call.twins] && !ErasesPrevious(*unknown_[call.op]) &&
          TryLinearize(*unknown_[call.op], call.op, Frame{true, current, limit, {}})) {
        Unlink(pending_, current);
        ++linearized_twins_[call.twins];
        second_pass = false;
        current = events_[kHead].next;
      } else {
        current = call.next;
      }
      continue;
    }
    // No candidate left here: undo the last choice and try the next one after it.
    if (stack_.empty()) {
      result.verdict = Verdict::kNotLinearizable;
      result.cache_entries = cache_.size();
      return result;
    }
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    state_ = std::move(frame.state_before);
    second_pass = frame.unknown;
    if (frame.unknown) {
      unknown_set_.Reset(pending_[frame.entry].op);
      --linearized_twins_[pending_[frame.entry].twins];
      Relink(pending_, frame.entry);
      limit = frame.limit;
      current = pending_[frame.entry].next;
    } else {
      known_set_.Reset(events_[frame.entry].op);
      Relink(events_, events_[frame.entry].match);
      Relink(events_, frame.entry);
      ++known_left;
      current = events_[frame.entry].next;
    }
  }
  result.verdict = Verdict::kLinearizable;
  result.cache_entries = cache_.size();
  return result;
}

}  // namespace

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kNotLinearizable:
      return "not linearizable";
    case Verdict::kTimedOut:
      return "timed out";
  }
  return "?";
}

SearchResult SearchLinearization(const Model& model, const std::vector<Operation>& ops,
                                 const SearchBudget& budget) {
  return Search(model, ops, budget).Run();
}

}  // namespace raftkv::fault
