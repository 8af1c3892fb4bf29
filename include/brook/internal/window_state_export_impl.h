// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The window operator's side of its saved state (window.h): `Shape()` and
// `ExportState()`, which translate the operator's physical state (slots,
// generations, window ids, lazy timer heaps, slice columns) into the logical
// form of internal/window_state.h; `ImportState()`, the way back, is in
// internal/window_state_import_impl.h. Not API: include "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_STATE_EXPORT_IMPL_H_
#define BROOK_INTERNAL_WINDOW_STATE_EXPORT_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "brook/internal/time_math.h"
#include "brook/internal/window_state.h"
#include "brook/window.h"

namespace brook {
namespace internal {

// The assigner as the shape names it, e.g. "tumbling(size=60000ms,
// offset=0ms)". Persisted: never change an existing spelling.
inline std::string DescribeWindowAssigner(const WindowAssigner& a) {
  switch (a.kind()) {
    case WindowAssignerKind::kTumbling:
      return absl::StrCat("tumbling(size=", absl::ToInt64Milliseconds(a.size()),
                          "ms,offset=", absl::ToInt64Milliseconds(a.offset()),
                          "ms)");
    case WindowAssignerKind::kSliding:
      return absl::StrCat("sliding(size=", absl::ToInt64Milliseconds(a.size()),
                          "ms,slide=", absl::ToInt64Milliseconds(a.slide()),
                          "ms,offset=", absl::ToInt64Milliseconds(a.offset()),
                          "ms)");
    case WindowAssignerKind::kSession:
      return absl::StrCat("session(gap=", absl::ToInt64Milliseconds(a.gap()),
                          "ms)");
    case WindowAssignerKind::kDynamicSession:
      return "dynamic_session";
    case WindowAssignerKind::kCumulate:
      return absl::StrCat(
          "cumulate(max_size=", absl::ToInt64Milliseconds(a.size()),
          "ms,step=", absl::ToInt64Milliseconds(a.slide()),
          "ms,offset=", absl::ToInt64Milliseconds(a.offset()), "ms)");
    case WindowAssignerKind::kGlobal:
      return "global";
    case WindowAssignerKind::kCustom:
      return absl::StrCat("custom(", a.custom()->name(), ")");
  }
  return "unknown";
}

// The trigger as the shape names it, e.g. "purging(count(3))".
// Persisted: never change an existing spelling.
inline std::string DescribeTrigger(const Trigger& t) {
  std::string inner;
  switch (t.kind()) {
    case TriggerKind::kEventTime:
      inner = "event_time";
      break;
    case TriggerKind::kProcessingTime:
      inner = "processing_time";
      break;
    case TriggerKind::kCount:
      inner = absl::StrCat("count(", t.count(), ")");
      break;
    case TriggerKind::kContinuousEventTime:
      inner = absl::StrCat("continuous_event_time(interval=",
                           absl::ToInt64Milliseconds(t.interval()), "ms)");
      break;
    case TriggerKind::kNever:
      inner = "never";
      break;
    case TriggerKind::kCustom:
      inner = absl::StrCat("custom(", t.custom()->name(), ")");
      break;
  }
  return t.purging() ? absl::StrCat("purging(", inner, ")") : inner;
}

// A heap's items, in pop order.
template <typename Heap>
std::vector<typename Heap::value_type> HeapItemsOf(Heap heap) {
  std::vector<typename Heap::value_type> out;
  for (; !heap.empty(); heap.pop()) out.push_back(heap.top());
  return out;
}

// Timers in the logical form's order: by time, then window, then domain.
template <typename Timer>
void SortWindowStateTimers(std::vector<Timer>* timers) {
  std::sort(timers->begin(), timers->end(), [](const Timer& a, const Timer& b) {
    return std::make_tuple(a.time_millis, a.window_start_millis,
                           a.window_max_timestamp_millis, a.domain) <
           std::make_tuple(b.time_millis, b.window_start_millis,
                           b.window_max_timestamp_millis, b.domain);
  });
}

inline std::string Int128Name(absl::int128 v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// "[start, max]" for messages.
inline std::string WindowName(int64_t start, int64_t max) {
  return absl::StrCat("[", start, ", ", max, "]");
}

}  // namespace internal

template <typename Key, typename In, typename Agg, typename Hash>
internal::WindowStateShape WindowOperator<Key, In, Agg, Hash>::Shape() const {
  internal::WindowStateShape shape;
  auto& o = shape.options;
  o.emplace_back("assigner", internal::DescribeWindowAssigner(assigner_));
  o.emplace_back("trigger", internal::DescribeTrigger(trigger_));
  o.emplace_back("allowed_lateness", absl::StrCat(lateness_, "ms"));
  // Whether the sliced path runs, not the option alone: slicing that does
  // not apply (e.g. tumbling windows) does not shape state.
  o.emplace_back("use_slicing", sliced_ || cumulate_sliced_ ? "true" : "false");
  o.emplace_back("evictor", internal::DescribeEvictor(evictor_));
  return shape;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ExportState(
    internal::WindowStateData<Key, StoredAccumulator>* out) const {
  using Data = internal::WindowStateData<Key, StoredAccumulator>;
  *out = Data();
  out->watermark_millis = state_.watermark;
  out->dropped_late_elements = state_.dropped_late;
  out->late_elements_emitted = state_.late_emitted;
  if (sliced_) {
    out->sliced_next_window_start = slices_.next_window_start();
    out->sliced_last_fired_start = slices_.last_fired_start();
  }
  if (cumulate_sliced_) {
    out->sliced_next_window_start = cumulate_.next_epoch_start();
    out->sliced_next_window_max = cumulate_.next_window_max();
  }
  // Keys in slot order, so that equal histories give equal bytes.
  std::vector<const std::pair<const Key, Entry>*> entries;
  entries.reserve(state_.slot_of.size());
  for (const auto& kv : state_.slot_of) entries.push_back(&kv);
  std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) {
    return a->second.slot < b->second.slot;
  });
  // Live processing-time timers, by slot and window id.
  absl::flat_hash_map<uint64_t, int64_t> processing;  // id -> time
  for (const Timer& t : internal::HeapItemsOf(state_.processing_timers)) {
    if (t.slot < state_.keys.size() && state_.keys[t.slot].gen == t.gen) {
      processing.emplace(t.id, t.time);
    }
  }
  const bool event_trigger =
      trigger_.kind() == TriggerKind::kEventTime ||
      trigger_.kind() == TriggerKind::kContinuousEventTime;
  for (const auto* kv : entries) {
    const Entry& e = kv->second;
    typename Data::KeyState ks;
    ks.key = kv->first;
    if (sliced_ || cumulate_sliced_) {
      auto slice = [&](EventTime start, EventTime max, const Accumulator& acc) {
        typename Data::Window w;
        w.start_millis = start;
        w.max_timestamp_millis = max;
        w.acc = acc;
        // (The key's hot pane, sliced sliding windows: with its entry's.)
        if (e.hot() && start == e.hot_start) agg_.Merge(w.acc, e.delta);
        ks.windows.push_back(std::move(w));
      };
      if (sliced_) {
        slices_.ForEachSlice(e.slot, slice);
      } else {
        cumulate_.ForEachSlice(e.slot, slice);
      }
      out->keys.push_back(std::move(ks));
      continue;
    }
    for (const WinState& ws : state_.keys[e.slot].windows) {
      typename Data::Window w;
      w.start_millis = ws.window.start_millis;
      w.max_timestamp_millis = ws.window.max_timestamp_millis;
      const bool hot = e.hot() && e.hot_start == ws.window.start_millis &&
                       e.hot_max == ws.window.max_timestamp_millis;
      w.has_contents = ws.has_data || hot;
      w.acc = ws.has_data ? ws.acc : agg_.CreateAccumulator();
      if (hot) agg_.Merge(w.acc, e.delta);
      if (custom_) {
        // Generic path: the trigger's own state and timers, as registered.
        ExportCustomWindow(ws, &w, &ks.timers);
        ks.windows.push_back(std::move(w));
        continue;
      }
      if (trigger_.kind() == TriggerKind::kCount) {
        w.trigger_state.push_back(ws.count);
      } else if (trigger_.kind() == TriggerKind::kContinuousEventTime &&
                 ws.has_fire) {
        w.trigger_state.push_back(ws.next_fire);
      }
      // The event timers the window's trigger and cleanup stand for (the
      // operator keeps only the earliest in its heap).
      std::vector<int64_t> event;
      if (event_trigger && ws.window.max_timestamp_millis > state_.watermark) {
        event.push_back(ws.window.max_timestamp_millis);
      }
      if (trigger_.kind() == TriggerKind::kContinuousEventTime && ws.has_fire) {
        event.push_back(ws.next_fire);
      }
      const EventTime cleanup = CleanupTime(ws.window);
      if (assigner_.is_event_time() && cleanup != kMaxEventTime) {
        event.push_back(cleanup);
      }
      std::sort(event.begin(), event.end());
      event.erase(std::unique(event.begin(), event.end()), event.end());
      for (int64_t time : event) {
        ks.timers.push_back(typename Data::Timer{
            internal::TimerDomain::kEventTime, time, ws.window.start_millis,
            ws.window.max_timestamp_millis});
      }
      if (auto it = processing.find(ws.id); it != processing.end()) {
        // A session that grew since the timer was set waits for its new end
        // (`OnProcessingTimer()`): the timer stands for one at that end.
        ks.timers.push_back(typename Data::Timer{
            internal::TimerDomain::kProcessingTime,
            ws.window.max_timestamp_millis, ws.window.start_millis,
            ws.window.max_timestamp_millis});
      }
      ks.windows.push_back(std::move(w));
    }
    std::sort(ks.windows.begin(), ks.windows.end(),
              [](const auto& a, const auto& b) {
                return std::tie(a.start_millis, a.max_timestamp_millis) <
                       std::tie(b.start_millis, b.max_timestamp_millis);
              });
    internal::SortWindowStateTimers(&ks.timers);
    out->keys.push_back(std::move(ks));
  }
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_STATE_EXPORT_IMPL_H_
