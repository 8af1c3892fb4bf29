// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The window operator's `ImportState()` (window.h): checks a logical state
// (internal/window_state.h) against the operator and rebuilds the physical
// state from it; `WindowFromAssigner()`, which the checks use. The other
// direction is internal/window_state_export_impl.h. What a logical state must
// satisfy is listed below and in lib/window/WINDOW_STATE_FORMAT.md. Not API:
// include "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_STATE_IMPORT_IMPL_H_
#define BROOK_INTERNAL_WINDOW_STATE_IMPORT_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/internal/time_math.h"
#include "brook/internal/window_state.h"
#include "brook/internal/window_state_export_impl.h"
#include "brook/window.h"

namespace brook {

// The invariants of a logical state, all checked, each violation kDataLoss
// naming the key and what is wrong:
//   1. Counters in [0, the int64 maximum); at most 2^32 - 1 keys, each
//      distinct and holding at least one window.
//   2. Windows: start <= max, strictly increasing by (start, max), and ones
//      the assigner produces (tumbling and sliding: aligned, of the size;
//      cumulate: an epoch and a whole number of steps; sessions: at least
//      the gap long and neither overlapping nor touching; global: all time).
//      Unsliced windows are not past their cleanup time. Contents cleared
//      only under a purging trigger or with an evictor; with an evictor
//      never an accumulator (its elements: window_evictor_impl.h).
//   3. Trigger state: one count >= 0 for a count trigger; none or one early
//      fire time, not after the window's end, for a continuous trigger; none
//      else.
//   4. Timers name a window of their key. Event timers are exactly those
//      the windows stand for (`ExportState()`); processing timers only under
//      a processing-time trigger, one per window, not after its end.
//   5. Sliced operator: windows are panes of gcd(size, slide), with no
//      trigger state or timers; the next and last-fired window starts lie
//      on the slide grid within 2^65 of 0, last before next; the last fired
//      window ends at or before the watermark, the next after it. An
//      unsliced operator has neither.
//   6. Sliced cumulate windows: windows are panes of the step, with no
//      trigger state or timers; no last-fired start; the next window to fire
//      (epoch start and max timestamp, both or neither) a cumulate window
//      ending after the watermark; no pane of an epoch past cleanup, and no
//      pane in a window that has not fired but comes before the next one
//      (`SlicedCumulateWindows::CheckNext()`). Only these have the next
//      window's max timestamp.
template <typename Key, typename In, typename Agg, typename Hash>
absl::Status WindowOperator<Key, In, Agg, Hash>::ImportState(
    internal::WindowStateData<Key, StoredAccumulator> data) {
  using Data = internal::WindowStateData<Key, StoredAccumulator>;
  auto bad = [](auto&&... what) {
    return absl::DataLossError(absl::StrCat("window state: ", what...));
  };
  const EventTime wm = data.watermark_millis;
  constexpr int64_t kCounterMax = std::numeric_limits<int64_t>::max();
  if (data.dropped_late_elements < 0 ||
      data.dropped_late_elements == kCounterMax ||
      data.late_elements_emitted < 0 ||
      data.late_elements_emitted == kCounterMax) {
    return bad("late counters ", data.dropped_late_elements, " and ",
               data.late_elements_emitted, " out of range");
  }
  if (data.keys.size() >= std::numeric_limits<uint32_t>::max()) {
    return bad(data.keys.size(), " keys");
  }
  if (!sliced_ && !cumulate_sliced_ &&
      (data.sliced_next_window_start.has_value() ||
       data.sliced_last_fired_start.has_value())) {
    return bad("sliced window starts given to an operator without slicing");
  }
  if (!cumulate_sliced_ && data.sliced_next_window_max.has_value()) {
    return bad("a sliced cumulate next window given to an operator without ",
               "sliced cumulate windows");
  }
  if (cumulate_sliced_ && data.sliced_last_fired_start.has_value()) {
    return bad("a sliced last fired start given to sliced cumulate windows");
  }
  std::vector<EventTime> pane_starts;  // sliced cumulate windows
  if (sliced_) {
    absl::Status st = slices_.CheckStarts(data.sliced_next_window_start,
                                          data.sliced_last_fired_start, wm);
    if (!st.ok()) return st;
  }
  const bool event_trigger =
      trigger_.kind() == TriggerKind::kEventTime ||
      trigger_.kind() == TriggerKind::kContinuousEventTime;
  absl::flat_hash_map<Key, uint32_t, Hash> seen;
  std::vector<typename Data::Timer> expected;
  for (size_t k = 0; k < data.keys.size(); ++k) {
    const typename Data::KeyState& ks = data.keys[k];
    if (!seen.emplace(ks.key, static_cast<uint32_t>(k)).second) {
      return bad("key ", k, " appears twice");
    }
    if (ks.windows.empty()) return bad("key ", k, " holds no windows");
    expected.clear();
    for (size_t i = 0; i < ks.windows.size(); ++i) {
      const typename Data::Window& w = ks.windows[i];
      const TimeWindow tw{w.start_millis, w.max_timestamp_millis};
      const std::string where = absl::StrCat(
          "key ", k, ": window ",
          internal::WindowName(w.start_millis, w.max_timestamp_millis));
      if (tw.start_millis > tw.max_timestamp_millis)
        return bad(where, " ends before it starts");
      if (i > 0) {
        const auto& p = ks.windows[i - 1];
        if (std::tie(p.start_millis, p.max_timestamp_millis) >=
            std::tie(w.start_millis, w.max_timestamp_millis)) {
          return bad(where, " out of order or repeated");
        }
        if (assigner_.is_merging() &&
            internal::SaturatingAdd(p.max_timestamp_millis, 1) >=
                w.start_millis) {
          return bad(where, " overlaps or touches the session before it");
        }
      }
      if (sliced_ || cumulate_sliced_) {
        if (sliced_ ? !slices_.IsSlice(tw) : !cumulate_.IsSlice(tw)) {
          return bad(where, " is not a slice of ",
                     sliced_ ? slices_.pane() : cumulate_.pane(), "ms");
        }
        if (cumulate_sliced_) pane_starts.push_back(tw.start_millis);
        if (!w.has_contents || !w.trigger_state.empty()) {
          return bad(where, ": a slice with trigger state or without contents");
        }
        continue;
      }
      if (!WindowFromAssigner(tw)) {
        return bad(where, " is not a window of ",
                   internal::DescribeWindowAssigner(assigner_));
      }
      const EventTime cleanup = CleanupTime(tw);
      if (assigner_.is_event_time() && cleanup != kMaxEventTime &&
          cleanup <= wm) {
        return bad(where, " is past its cleanup time ", cleanup, " (watermark ",
                   wm, ")");
      }
      if (custom_) {
        // Generic path: state of the trigger's size; its timers are checked
        // below only for naming a window of the key.
        if (w.trigger_state.size() !=
            static_cast<size_t>(custom_trigger_->state_size())) {
          return bad(where, ": ", w.trigger_state.size(),
                     " trigger state values, but trigger ",
                     internal::DescribeTrigger(trigger_), " keeps ",
                     custom_trigger_->state_size());
        }
        continue;
      }
      if (!w.has_contents && !trigger_.purging() && !evictor_.has_value()) {
        return bad(where,
                   " has its contents cleared without a purging trigger");
      }
      // An evicting window's contents are its elements (the other
      // `ImportState()` overload), never an accumulator.
      if (w.has_contents && evictor_.has_value()) {
        return bad(where, ": an accumulator for an operator with an evictor");
      }
      const size_t n = w.trigger_state.size();
      if (trigger_.kind() == TriggerKind::kCount) {
        if (n != 1 || w.trigger_state[0] < 0) {
          return bad(where, ": a count trigger needs one count >= 0, got ", n,
                     " values");
        }
      } else if (trigger_.kind() == TriggerKind::kContinuousEventTime) {
        // A fire time at or before the watermark is due at the next one.
        if (n > 1) {
          return bad(where, ": a continuous trigger needs at most one fire ",
                     "time, got ", n);
        }
        // The operator clamps an early fire time to the window's end.
        if (n == 1 && w.trigger_state[0] > tw.max_timestamp_millis) {
          return bad(where, ": an early fire time ", w.trigger_state[0],
                     " after the window's end");
        }
      } else if (n != 0) {
        return bad(where, ": ", n, " trigger state values for trigger ",
                   internal::DescribeTrigger(trigger_));
      }
      // The event timers this window stands for.
      std::vector<int64_t> event;
      if (event_trigger && tw.max_timestamp_millis > wm)
        event.push_back(tw.max_timestamp_millis);
      if (trigger_.kind() == TriggerKind::kContinuousEventTime && n == 1) {
        event.push_back(w.trigger_state[0]);
      }
      if (assigner_.is_event_time() && cleanup != kMaxEventTime) {
        event.push_back(cleanup);
      }
      std::sort(event.begin(), event.end());
      event.erase(std::unique(event.begin(), event.end()), event.end());
      for (int64_t time : event) {
        expected.push_back(
            typename Data::Timer{internal::TimerDomain::kEventTime, time,
                                 tw.start_millis, tw.max_timestamp_millis});
      }
    }
    // Timers.
    if ((sliced_ || cumulate_sliced_) && !ks.timers.empty()) {
      return bad("key ", k, ": timers on the sliced path");
    }
    std::vector<typename Data::Timer> event_timers;
    std::vector<std::pair<int64_t, int64_t>> processing_windows;
    for (const auto& t : ks.timers) {
      const std::string where =
          absl::StrCat("key ", k, ": timer at ", t.time_millis, " for window ",
                       internal::WindowName(t.window_start_millis,
                                            t.window_max_timestamp_millis));
      auto it = std::lower_bound(
          ks.windows.begin(), ks.windows.end(),
          std::make_pair(t.window_start_millis, t.window_max_timestamp_millis),
          [](const auto& w, const std::pair<int64_t, int64_t>& x) {
            return std::make_pair(w.start_millis, w.max_timestamp_millis) < x;
          });
      if (it == ks.windows.end() || it->start_millis != t.window_start_millis ||
          it->max_timestamp_millis != t.window_max_timestamp_millis) {
        return bad(where, ": no such window");
      }
      if (custom_) continue;
      if (t.domain == internal::TimerDomain::kEventTime) {
        event_timers.push_back(t);
        continue;
      }
      if (trigger_.kind() != TriggerKind::kProcessingTime) {
        return bad(where, ": a processing-time timer with trigger ",
                   internal::DescribeTrigger(trigger_));
      }
      if (t.time_millis > t.window_max_timestamp_millis) {
        return bad(where, ": a processing-time timer after its window's end");
      }
      processing_windows.emplace_back(t.window_start_millis,
                                      t.window_max_timestamp_millis);
    }
    std::sort(processing_windows.begin(), processing_windows.end());
    if (std::adjacent_find(processing_windows.begin(),
                           processing_windows.end()) !=
        processing_windows.end()) {
      return bad("key ", k, ": two processing-time timers for one window");
    }
    if (custom_) continue;
    internal::SortWindowStateTimers(&event_timers);
    internal::SortWindowStateTimers(&expected);
    if (event_timers.size() != expected.size() ||
        !std::equal(event_timers.begin(), event_timers.end(), expected.begin(),
                    [](const auto& a, const auto& b) {
                      return a.time_millis == b.time_millis &&
                             a.window_start_millis == b.window_start_millis &&
                             a.window_max_timestamp_millis ==
                                 b.window_max_timestamp_millis;
                    })) {
      return bad("key ", k, ": ", event_timers.size(),
                 " event timers, but its windows and triggers stand for ",
                 expected.size(), " (one at each window's end, early fire ",
                 "time and cleanup time)");
    }
  }

  if (cumulate_sliced_) {
    absl::Status st =
        cumulate_.CheckNext(data.sliced_next_window_start,
                            data.sliced_next_window_max, pane_starts, wm);
    if (!st.ok()) return st;
  }

  // Valid: rebuild the physical state. Nothing below fails.
  state_ = State();
  state_.watermark = wm;
  state_.dropped_late = data.dropped_late_elements;
  state_.late_emitted = data.late_elements_emitted;
  const size_t slots = data.keys.size();
  state_.keys.resize(slots);
  for (size_t k = 0; k < slots; ++k) {
    Entry e;
    e.slot = static_cast<uint32_t>(k);
    e.delta = agg_.CreateAccumulator();
    state_.keys[k].key = data.keys[k].key;
    state_.slot_of.emplace(data.keys[k].key, std::move(e));
  }
  if (sliced_) {
    std::vector<std::vector<std::pair<EventTime, Accumulator>>> slices(slots);
    for (size_t k = 0; k < slots; ++k) {
      for (auto& w : data.keys[k].windows) {
        slices[k].emplace_back(w.start_millis, std::move(w.acc));
      }
    }
    slices_.Restore(std::move(slices), data.sliced_next_window_start,
                    data.sliced_last_fired_start);
    return absl::OkStatus();
  }
  if (cumulate_slicing_) {
    // Either path may run (the saved one): the other holds nothing.
    std::vector<std::vector<std::pair<EventTime, Accumulator>>> slices(
        cumulate_sliced_ ? slots : 0);
    for (size_t k = 0; cumulate_sliced_ && k < slots; ++k) {
      for (auto& w : data.keys[k].windows) {
        slices[k].emplace_back(w.start_millis, std::move(w.acc));
      }
    }
    cumulate_.Restore(std::move(slices), data.sliced_next_window_start,
                      data.sliced_next_window_max);
    if (cumulate_sliced_) return absl::OkStatus();
  }
  for (size_t k = 0; custom_ && k < slots; ++k) {
    // Generic path: windows with their trigger state and timers, and the
    // cleanup timer each window has (registering it again changes nothing).
    const uint32_t slot = static_cast<uint32_t>(k);
    for (auto& w : data.keys[k].windows) {
      WinState& ws = AddCustomWindow(
          slot, TimeWindow{w.start_millis, w.max_timestamp_millis});
      ws.has_data = w.has_contents;
      if (w.has_contents) ws.acc = std::move(w.acc);
      ws.Extras().trigger_state = std::move(w.trigger_state);
      RegisterCleanupTimer(slot, ws);
    }
    for (const auto& t : data.keys[k].timers) {
      for (const WinState& ws : state_.keys[k].windows) {
        if (ws.window.start_millis == t.window_start_millis &&
            ws.window.max_timestamp_millis == t.window_max_timestamp_millis) {
          state_.custom_timers.Register(t.domain, t.time_millis, slot, ws.id);
        }
      }
    }
  }
  for (size_t k = 0; !custom_ && k < slots; ++k) {
    const uint32_t slot = static_cast<uint32_t>(k);
    for (auto& w : data.keys[k].windows) {
      const TimeWindow tw{w.start_millis, w.max_timestamp_millis};
      WinState& ws = state_.keys[k].Add(WinState{tw, agg_.CreateAccumulator()});
      ++state_.live;
      ws.id = state_.next_id++;
      ws.has_data = w.has_contents;
      if (w.has_contents) ws.acc = std::move(w.acc);
      if (trigger_.kind() == TriggerKind::kCount) ws.count = w.trigger_state[0];
      if (trigger_.kind() == TriggerKind::kContinuousEventTime &&
          !w.trigger_state.empty()) {
        ws.next_fire = w.trigger_state[0];
        ws.has_fire = true;
      }
      ws.end_pending = event_trigger && tw.max_timestamp_millis > wm;
      ScheduleWindow(slot, ws);
    }
    for (const auto& t : data.keys[k].timers) {
      if (t.domain != internal::TimerDomain::kProcessingTime) continue;
      const KeyState& ks = state_.keys[k];
      for (const WinState& ws : ks.windows) {
        if (ws.window.start_millis == t.window_start_millis &&
            ws.window.max_timestamp_millis == t.window_max_timestamp_millis) {
          state_.processing_timers.push(Timer{t.time_millis, slot, 0, ws.id});
        }
      }
    }
  }
  return absl::OkStatus();
}

// True if the assigner can produce `w` (clamped to the int64 range).
template <typename Key, typename In, typename Agg, typename Hash>
bool WindowOperator<Key, In, Agg, Hash>::WindowFromAssigner(
    const TimeWindow& w) const {
  using internal::AlignDown128;
  using internal::ClampTime;
  const absl::int128 start = w.start_millis, max = w.max_timestamp_millis;
  switch (assigner_.kind()) {
    case WindowAssignerKind::kTumbling:
    case WindowAssignerKind::kSliding: {
      const int64_t size = assigner_.size_;
      const int64_t slide = assigner_.kind() == WindowAssignerKind::kSliding
                                ? assigner_.slide_
                                : size;
      // The unclamped start: from the end unless the end was clamped.
      const absl::int128 s = max < internal::kTimeMax ? max - size + 1 : start;
      return AlignDown128(s, assigner_.offset_, slide) == s &&
             ClampTime(s) == w.start_millis &&
             ClampTime(s + size - 1) == w.max_timestamp_millis;
    }
    case WindowAssignerKind::kCumulate: {
      const int64_t size = assigner_.size_, step = assigner_.slide_;
      const absl::int128 epoch =
          w.start_millis == internal::kTimeMin
              ? AlignDown128(internal::kTimeMin, assigner_.offset_, size)
              : start;
      if (AlignDown128(epoch, assigner_.offset_, size) != epoch) return false;
      const absl::int128 steps = size / step;
      if (max == internal::kTimeMax) {
        return epoch + steps * step - 1 >= max;
      }
      const absl::int128 len = max - epoch + 1;
      return len % step == 0 && len / step >= 1 && len / step <= steps;
    }
    case WindowAssignerKind::kSession:
      return max == internal::kTimeMax || max - start + 1 >= assigner_.size_;
    case WindowAssignerKind::kDynamicSession:
    case WindowAssignerKind::kCustom:  // any well-formed window
      return true;
    case WindowAssignerKind::kGlobal:
      return w.start_millis == kMinEventTime &&
             w.max_timestamp_millis == kMaxEventTime;
  }
  return false;
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_STATE_IMPORT_IMPL_H_
