#include "tests/fault/search.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <limits>
#include <optional>
#include <tuple>
#include <unordered_set>
#include <utility>

namespace raftkv::fault {
namespace {

constexpr int kNone = -1;
constexpr int kHead = 0;  // the sentinel entry in front of the event list
// How often (in steps) the clock is read for the time budget.
constexpr uint64_t kClockPeriod = 1024;
// Bookkeeping of one cache entry beyond its bit words and state bytes (hash node, vector and
// string headers), for the memory budget.
constexpr size_t kCacheEntryOverhead = 96;

// One event of the history: the call or the return of an operation, linked in time order. An
// operation is linearized by unlinking both its events ("lifting" it, in Lowe's words), and
// unlinked again on backtracking, dancing-links style.
struct Entry {
  int op = kNone;     // index into the searched operations; kNone for the head
  int match = kNone;  // a call's return entry
  bool is_call = false;
  int prev = kNone;
  int next = kNone;  // kNone after the last event
};

// A set of operation indexes, as bit words (the words are the cache key's first half).
class OpSet {
 public:
  explicit OpSet(size_t size) : words_((size + 63) / 64, 0) {}
  void Set(int i) { words_[i / 64] |= uint64_t{1} << (i % 64); }
  void Reset(int i) { words_[i / 64] &= ~(uint64_t{1} << (i % 64)); }
  const std::vector<uint64_t>& words() const { return words_; }

 private:
  std::vector<uint64_t> words_;
};

// A configuration of the search: which operations are linearized, and the model's state after
// them. Reaching one twice means the second path cannot succeed where the first failed.
struct Configuration {
  std::vector<uint64_t> linearized;
  ModelState state;
  bool operator==(const Configuration& other) const = default;
};

struct ConfigurationHash {
  size_t operator()(const Configuration& c) const {
    size_t h = std::hash<ModelState>()(c.state);
    for (const uint64_t w : c.linearized) h = h * 0x9e3779b97f4a7c15ULL + std::hash<uint64_t>()(w);
    return h;
  }
};

// A linearized operation on the search stack: its call entry and the state before it.
struct Frame {
  int call;
  ModelState state_before;
};

// The event list of the operations: a head sentinel, then calls and returns by time. At equal
// times calls come first, so operations that touch in time count as concurrent.
std::vector<Entry> BuildEntries(const std::vector<const Operation*>& ops) {
  // (time, 0 for a call / 1 for a return, operation)
  std::vector<std::tuple<int64_t, int, int>> events;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Operation& op = *ops[i];
    // (A return before its call cannot be: CheckLinearizability rejects such a history, and
    // here it is clamped so that the list stays well formed.)
    const int64_t end = op.outcome == Outcome::kUnknown ? std::numeric_limits<int64_t>::max()
                                                        : std::max(op.complete_ns, op.invoke_ns);
    events.emplace_back(op.invoke_ns, 0, static_cast<int>(i));
    events.emplace_back(end, 1, static_cast<int>(i));
  }
  std::sort(events.begin(), events.end());
  std::vector<Entry> entries(events.size() + 1);
  std::vector<int> call_of(ops.size(), kNone);
  for (size_t e = 0; e < events.size(); ++e) {
    const int index = static_cast<int>(e) + 1;
    Entry& entry = entries[index];
    entry.op = std::get<2>(events[e]);
    entry.is_call = std::get<1>(events[e]) == 0;
    if (entry.is_call) {
      call_of[entry.op] = index;
    } else {
      entries[call_of[entry.op]].match = index;
    }
    entry.prev = index - 1;
    entry.next = e + 1 < events.size() ? index + 1 : kNone;
  }
  entries[kHead].next = events.empty() ? kNone : 1;
  return entries;
}

void Unlink(std::vector<Entry>& entries, int e) {
  entries[entries[e].prev].next = entries[e].next;
  if (entries[e].next != kNone) entries[entries[e].next].prev = entries[e].prev;
}

// Undoes Unlink(e); valid when every later Unlink has been undone already.
void Relink(std::vector<Entry>& entries, int e) {
  entries[entries[e].prev].next = e;
  if (entries[e].next != kNone) entries[entries[e].next].prev = e;
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

SearchResult SearchLinearization(const Model& model, const std::vector<Operation>& all_ops,
                                 const SearchBudget& budget) {
  std::vector<const Operation*> ops;
  for (const Operation& op : all_ops) {
    if (op.outcome != Outcome::kFail) ops.push_back(&op);
  }
  // Operations with a known outcome still to linearize. Once none is left, the unknown ones can
  // all go last (the Model contract: they succeed in every state), so the search is done.
  size_t known_left = std::count_if(
      ops.begin(), ops.end(), [](const Operation* op) { return op->outcome == Outcome::kOk; });

  std::vector<Entry> entries = BuildEntries(ops);
  const BudgetClock clock(budget);
  SearchResult result;
  size_t cache_bytes = 0;
  const size_t entry_bytes = (ops.size() + 63) / 64 * 8 + kCacheEntryOverhead;
  std::unordered_set<Configuration, ConfigurationHash> cache;
  std::vector<Frame> stack;
  OpSet linearized(ops.size());
  ModelState state = model.Init();
  int current = entries[kHead].next;

  while (known_left > 0) {
    if (!clock.Allows(++result.steps, cache_bytes)) {
      result.verdict = Verdict::kTimedOut;
      result.cache_entries = cache.size();
      return result;
    }
    // Every operation left has its return after its call, so a walk from the head meets a
    // return before the end of the list.
    assert(current != kNone);
    const Entry& entry = entries[current];
    if (entry.is_call) {
      const Operation& op = *ops[entry.op];
      std::optional<ModelState> next_state = model.Step(state, op);
      if (next_state) {
        linearized.Set(entry.op);
        const size_t state_bytes = next_state->size();
        if (cache.insert(Configuration{linearized.words(), *next_state}).second) {
          cache_bytes += entry_bytes + state_bytes;
          stack.push_back(Frame{current, std::move(state)});
          state = std::move(*next_state);
          Unlink(entries, current);
          Unlink(entries, entry.match);
          if (op.outcome == Outcome::kOk) --known_left;
          current = entries[kHead].next;
          continue;
        }
        linearized.Reset(entry.op);
      }
      current = entry.next;
      continue;
    }
    // A return: its operation must be linearized before anything later, and no choice made so
    // far allows it. Undo the last choice and try the next candidate after it.
    if (stack.empty()) {
      result.verdict = Verdict::kNotLinearizable;
      result.cache_entries = cache.size();
      return result;
    }
    Frame frame = std::move(stack.back());
    stack.pop_back();
    const Entry& call = entries[frame.call];
    linearized.Reset(call.op);
    state = std::move(frame.state_before);
    Relink(entries, call.match);
    Relink(entries, frame.call);
    if (ops[call.op]->outcome == Outcome::kOk) ++known_left;
    current = call.next;
  }
  result.verdict = Verdict::kLinearizable;
  result.cache_entries = cache.size();
  return result;
}

}  // namespace raftkv::fault
