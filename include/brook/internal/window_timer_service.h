// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The timer service of the window operator's generic path (custom triggers
// and custom assigners; Flink's InternalTimerService): event- and
// processing-time timers per (key slot, window), registered and deleted by
// time, one per (window, domain, time) however often it is registered,
// dropped with their window, and popped in time order (ties: slot, then
// window). The built-in triggers keep their lazy single-timer-per-window
// heap beside it (window.h, `ScheduleWindow()`), which is what keeps them
// free of per-element heap traffic; this service is used only when a
// custom trigger or assigner runs. Not API: include "brook/window.h".
//
// Cost: Register/Delete O(timers of the window + log timers); PopDue
// O(log timers) amortised (deleted timers stay in the heap as stale entries
// until popped). Allocates per window (its timer list) and per registered
// timer (the heap).
//
// Thread safety: none; owned by one operator.

#ifndef BROOK_INTERNAL_WINDOW_TIMER_SERVICE_H_
#define BROOK_INTERNAL_WINDOW_TIMER_SERVICE_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"

#include "brook/internal/window_state.h"

namespace brook {
namespace internal {

class WindowTimerService {
 public:
  // A due timer: its time, its window (key slot and window id) and domain.
  struct Timer {
    int64_t time = 0;
    uint32_t slot = 0;
    uint64_t id = 0;
    TimerDomain domain = TimerDomain::kEventTime;
  };
  // A window's pending timer, as listed by `TimersOf()`.
  using WindowTimer = std::pair<TimerDomain, int64_t>;

  // Registers a timer of window `id` (of key slot `slot`) at `time`; a
  // timer already registered at that time and domain stays the only one.
  void Register(TimerDomain domain, int64_t time, uint32_t slot, uint64_t id) {
    auto& mine = windows_[id];
    const WindowTimer t{domain, time};
    if (std::find(mine.begin(), mine.end(), t) != mine.end()) return;
    mine.push_back(t);
    HeapOf(domain).push(Entry{time, slot, id});
  }
  // Deletes the timer of window `id` at `time`, if there is one.
  void Delete(TimerDomain domain, int64_t time, uint64_t id) {
    auto it = windows_.find(id);
    if (it == windows_.end()) return;
    auto& mine = it->second;
    auto t = std::find(mine.begin(), mine.end(), WindowTimer{domain, time});
    if (t == mine.end()) return;
    mine.erase(t);
    if (mine.empty()) windows_.erase(it);
  }
  // Drops every timer of window `id`.
  void DropWindow(uint64_t id) { windows_.erase(id); }

  // Pops the earliest live timer of `domain` due at or before `upto` into
  // `*out` (it is then no longer registered); false if there is none.
  bool PopDue(TimerDomain domain, int64_t upto, Timer* out) {
    Heap& heap = HeapOf(domain);
    while (!heap.empty() && heap.top().time <= upto) {
      const Entry e = heap.top();
      heap.pop();
      auto it = windows_.find(e.id);
      if (it == windows_.end()) continue;  // window dropped
      auto& mine = it->second;
      auto t = std::find(mine.begin(), mine.end(), WindowTimer{domain, e.time});
      if (t == mine.end()) continue;  // deleted (or a duplicate entry)
      mine.erase(t);
      if (mine.empty()) windows_.erase(it);
      *out = Timer{e.time, e.slot, e.id, domain};
      return true;
    }
    return false;
  }

  // The pending timers of window `id`, sorted by (domain, time).
  std::vector<WindowTimer> TimersOf(uint64_t id) const {
    std::vector<WindowTimer> out;
    auto it = windows_.find(id);
    if (it != windows_.end()) out.assign(it->second.begin(), it->second.end());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  struct Entry {
    int64_t time;
    uint32_t slot;
    uint64_t id;
    bool operator>(const Entry& o) const {
      if (time != o.time) return time > o.time;
      if (slot != o.slot) return slot > o.slot;
      return id > o.id;
    }
  };
  using Heap = std::priority_queue<Entry, std::vector<Entry>, std::greater<>>;
  Heap& HeapOf(TimerDomain d) {
    return d == TimerDomain::kEventTime ? event_ : processing_;
  }

  // Per window id: its live timers. A heap entry is live while its
  // (domain, time) is listed here.
  absl::flat_hash_map<uint64_t, absl::InlinedVector<WindowTimer, 2>> windows_;
  Heap event_;
  Heap processing_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_TIMER_SERVICE_H_
