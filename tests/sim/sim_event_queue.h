// EventQueue: the simulator's virtual clock and its agenda of future events.
//
// Time is an integer count of virtual microseconds that only advances when the next event runs.
// Events scheduled for the same instant run in the order they were scheduled (a sequence number
// breaks ties), so the order of a run depends on nothing but the seed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace raftkv::sim {

class EventQueue {
 public:
  using Action = std::function<void()>;

  // The virtual time of the event running now (or of the last one run).
  uint64_t now() const { return now_; }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  // Time of the next event. Precondition: !empty().
  uint64_t next_time() const { return heap_.front().time; }

  // Schedules `action` at virtual time max(time, now()).
  void At(uint64_t time, Action action) {
    heap_.push_back(Item{std::max(time, now_), next_seq_++, std::move(action)});
    std::push_heap(heap_.begin(), heap_.end(), Later());
  }
  void After(uint64_t delay, Action action) { At(now_ + delay, std::move(action)); }

  // Advances the clock to the next event and runs it. Precondition: !empty().
  void RunNext() {
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    Item item = std::move(heap_.back());
    heap_.pop_back();
    now_ = item.time;
    item.action();
  }

 private:
  struct Item {
    uint64_t time;
    uint64_t seq;  // Scheduling order; unique, so the heap order is total.
    Action action;
  };
  // Heap comparator: the earliest (time, seq) is at the front.
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };

  std::vector<Item> heap_;
  uint64_t now_ = 0;
  uint64_t next_seq_ = 0;
};

}  // namespace raftkv::sim
