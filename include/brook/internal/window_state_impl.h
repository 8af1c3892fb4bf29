// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Template definitions of the window operator's logical state seam
// (window_state.h): `Shape()`, `ExportState()` and `ImportState()`, and
// `WindowOperatorAccess`, through which the state codec (and tests) reach
// them. Not API: include "brook/window.h".
//
// The logical form, per key:
//   - windows by start, then max timestamp: unsliced, the key's windows (for
//     sessions the merged ones); sliced, the key's slices (panes of
//     gcd(size, slide)) that hold data, with the next window to fire and the
//     last one fired in `sliced_next_window_start`/`sliced_last_fired_start`;
//   - trigger state of a window, by trigger: count: {elements counted since
//     the last firing}; continuous event time: {} or {next early firing};
//     others: {}; a purging trigger appends 1 if the window holds contents
//     since its last purge, else 0;
//   - timers (deduplicated per domain, time and window, as Flink's timer
//     service): event time at the window's end (event-time and continuous
//     triggers, while the watermark is below it), at the next early firing
//     (continuous) and at cleanup (max timestamp + allowed lateness, unless
//     that saturates); processing time at the window's end (processing-time
//     trigger), until it fires.
// Import derives the end and cleanup timers from the windows and the
// watermark (they follow from them) and checks the listed ones against them.
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_STATE_IMPL_H_
#define BROOK_INTERNAL_WINDOW_STATE_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/internal/time_math.h"
#include "brook/internal/window_state.h"
#include "brook/window.h"

namespace brook {
namespace internal {

// How the state codec reaches an operator's private state seam.
struct WindowOperatorAccess {
  template <typename Op>
  static WindowStateShape Shape(const Op& op) {
    return op.Shape();
  }
  template <typename Op, typename Data>
  static void ExportState(const Op& op, Data* out) {
    op.ExportState(out);
  }
  template <typename Op, typename Data>
  static absl::Status ImportState(Op& op, Data data) {
    return op.ImportState(std::move(data));
  }
};

inline std::string DescribeAssigner(const WindowAssigner& a) {
  switch (a.kind()) {
    case WindowAssignerKind::kTumbling:
      return absl::StrCat("tumbling(size=", a.size(), "ms,offset=", a.offset(),
                          "ms)");
    case WindowAssignerKind::kSliding:
      return absl::StrCat("sliding(size=", a.size(), "ms,slide=", a.slide(),
                          "ms,offset=", a.offset(), "ms)");
    case WindowAssignerKind::kSession:
      return absl::StrCat("session(gap=", a.gap(), "ms)");
    case WindowAssignerKind::kDynamicSession:
      return "dynamic_session";
    case WindowAssignerKind::kCumulate:
      return absl::StrCat("cumulate(max_size=", a.size(), "ms,step=", a.slide(),
                          "ms,offset=", a.offset(), "ms)");
    case WindowAssignerKind::kGlobal:
      return "global";
  }
  return "unknown";
}

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
      inner = absl::StrCat("continuous_event_time(interval=", t.interval_ms(),
                           "ms)");
      break;
    case TriggerKind::kNever:
      inner = "never";
      break;
  }
  return t.purging() ? absl::StrCat("purging(", inner, ")") : inner;
}

// `start` lies on the grid offset + k*step. 128-bit: no overflow.
inline bool OnGrid(__int128 start, int64_t offset, int64_t step) {
  return AlignDown128(start, offset, step) == start;
}

// Start bound of a sliced window start: within 2^65 of 0 (window starts
// near the ends of the int64 range may lie outside it, never further).
inline bool SlicedStartInRange(absl::int128 s) {
  const absl::int128 bound = absl::int128(1) << 65;
  return s > -bound && s < bound;
}

inline __int128 ToInt128(absl::int128 v) {
  return (static_cast<__int128>(absl::Int128High64(v)) << 64) |
         static_cast<__int128>(absl::Int128Low64(v));
}
inline absl::int128 FromInt128(__int128 v) {
  return absl::MakeInt128(static_cast<int64_t>(v >> 64),
                          static_cast<uint64_t>(v));
}

}  // namespace internal

template <typename Key, typename In, typename Agg, typename Hash>
internal::WindowStateShape WindowOperator<Key, In, Agg, Hash>::Shape() const {
  internal::WindowStateShape shape;
  shape.options = {
      {"assigner", internal::DescribeAssigner(assigner_)},
      {"trigger", internal::DescribeTrigger(trigger_)},
      {"allowed_lateness", absl::StrCat(lateness_, "ms")},
      {"use_slicing", use_slicing_ ? "true" : "false"},
      {"evictor", "none"},
  };
  return shape;
}

template <typename Key, typename In, typename Agg, typename Hash>
bool WindowOperator<Key, In, Agg, Hash>::AssignerMakes(
    const TimeWindow& w) const {
  const __int128 start = w.start, max = w.max_timestamp;
  const int64_t off = assigner_.offset();
  switch (assigner_.kind()) {
    case WindowAssignerKind::kTumbling:
      return WindowAssigner::AlignedWindow(w.max_timestamp, off,
                                           assigner_.size()) == w;
    case WindowAssignerKind::kSliding: {
      const int64_t size = assigner_.size(), slide = assigner_.slide();
      // The unclamped start: from the end unless the end is clamped.
      __int128 s;
      if (w.max_timestamp != kMaxEventTime) {
        s = max - size + 1;
      } else if (w.start != kMinEventTime) {
        s = start;
      } else {
        s = internal::AlignDown128(kMinEventTime, off, slide);
      }
      return internal::OnGrid(s, off, slide) && SlidingWindowAt(s) == w;
    }
    case WindowAssignerKind::kCumulate: {
      // [epoch, epoch + j*step) for j = 1 .. size/step, clamped.
      const int64_t size = assigner_.size(), step = assigner_.slide();
      const __int128 epoch = internal::AlignDown128(w.start, off, size);
      if (w.start != kMinEventTime && epoch != start) return false;
      if (w.max_timestamp == kMaxEventTime) return epoch + size - 1 >= max;
      const __int128 span = max + 1 - epoch;
      return span % step == 0 && span >= step && span <= size;
    }
    case WindowAssignerKind::kSession:
    case WindowAssignerKind::kDynamicSession:
      return w.start <= w.max_timestamp;
    case WindowAssignerKind::kGlobal:
      return w == TimeWindow{kMinEventTime, kMaxEventTime};
  }
  return false;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ExportState(
    internal::WindowStateData<Key, StoredAccumulator>* out) const {
  using Data = internal::WindowStateData<Key, StoredAccumulator>;
  *out = Data();
  out->watermark_millis = state_.watermark;
  out->dropped_late_elements = state_.dropped_late;
  out->late_elements_emitted = state_.late_emitted;
  const bool continuous = trigger_.kind() == TriggerKind::kContinuousEventTime;
  const bool end_timer =
      trigger_.kind() == TriggerKind::kEventTime || continuous;
  // Processing timers that are live, by slot and window id.
  std::vector<std::vector<std::pair<uint64_t, EventTime>>> proc(
      state_.keys.size());
  for (TimerHeap heap = state_.processing_timers; !heap.empty(); heap.pop()) {
    const Timer& t = heap.top();
    if (t.slot < proc.size() && state_.keys[t.slot].gen == t.gen) {
      proc[t.slot].emplace_back(t.id, t.time);
    }
  }
  const Sliced& sl = state_.sliced;
  // Keys in slot order: an import gives them slots in this order, so keys
  // whose windows fire at the same time keep their relative order.
  std::vector<std::pair<uint32_t, const Key*>> by_slot;
  by_slot.reserve(state_.slot_of.size());
  for (const auto& [key, e] : state_.slot_of)
    by_slot.emplace_back(e.slot, &key);
  std::sort(by_slot.begin(), by_slot.end());
  for (const auto& [slot, key_ptr] : by_slot) {
    const Key& key = *key_ptr;
    const Entry& e = state_.slot_of.find(key)->second;
    typename Data::KeyState ks;
    ks.key = key;
    const KeyState& state = state_.keys[e.slot];
    if (sliced_) {
      for (const Column& c : sl.cols) {
        if (e.slot >= c.acc.size() ||
            !((c.has[e.slot >> 6] >> (e.slot & 63)) & 1)) {
          continue;
        }
        const TimeWindow pane =
            WindowAssigner::AlignedWindow(c.start, assigner_.offset(), pane_);
        typename Data::Window w;
        w.start_millis = pane.start;
        w.max_timestamp_millis = pane.max_timestamp;
        w.acc = c.acc[e.slot];
        ks.windows.push_back(std::move(w));
      }
    }
    for (const WinState& ws : state.windows) {
      typename Data::Window w;
      w.start_millis = ws.window.start;
      w.max_timestamp_millis = ws.window.max_timestamp;
      w.acc = ws.acc;
      bool has_data = ws.has_data;
      if (e.hot && ws.window == TimeWindow{e.hot_start, e.hot_max}) {
        agg_.Merge(w.acc, e.delta);  // not flushed yet
        has_data = true;
      }
      if (trigger_.kind() == TriggerKind::kCount) {
        w.trigger_state.push_back(ws.count);
      } else if (continuous && ws.has_fire) {
        w.trigger_state.push_back(ws.next_fire);
      }
      if (trigger_.purging()) w.trigger_state.push_back(has_data ? 1 : 0);
      using T = typename Data::Timer;
      auto add = [&](internal::TimerDomain d, EventTime at) {
        ks.timers.push_back(T{d, at, ws.window.start, ws.window.max_timestamp});
      };
      if (end_timer && ws.end_pending) {
        add(internal::TimerDomain::kEventTime, ws.window.max_timestamp);
      }
      if (continuous && ws.has_fire) {
        add(internal::TimerDomain::kEventTime, ws.next_fire);
      }
      const EventTime cleanup = CleanupTime(ws.window);
      if (assigner_.is_event_time() && cleanup != kMaxEventTime) {
        add(internal::TimerDomain::kEventTime, cleanup);
      }
      for (const auto& [id, time] : proc[e.slot]) {
        if (id == ws.id) add(internal::TimerDomain::kProcessingTime, time);
      }
      ks.windows.push_back(std::move(w));
    }
    auto by_window = [](const auto& a, const auto& b) {
      return std::tie(a.start_millis, a.max_timestamp_millis) <
             std::tie(b.start_millis, b.max_timestamp_millis);
    };
    std::sort(ks.windows.begin(), ks.windows.end(), by_window);
    auto timer_key = [](const typename Data::Timer& t) {
      return std::make_tuple(t.time_millis, t.window_start_millis,
                             t.window_max_timestamp_millis, t.domain);
    };
    std::sort(ks.timers.begin(), ks.timers.end(),
              [&](const auto& a, const auto& b) {
                return timer_key(a) < timer_key(b);
              });
    ks.timers.erase(std::unique(ks.timers.begin(), ks.timers.end(),
                                [&](const auto& a, const auto& b) {
                                  return timer_key(a) == timer_key(b);
                                }),
                    ks.timers.end());
    out->keys.push_back(std::move(ks));
  }
  if (sliced_) {
    if (sl.has_next)
      out->sliced_next_window_start = internal::FromInt128(sl.next_start);
    if (sl.has_fired)
      out->sliced_last_fired_start = internal::FromInt128(sl.fired_upto);
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::Status WindowOperator<Key, In, Agg, Hash>::ImportState(
    internal::WindowStateData<Key, StoredAccumulator> data) {
  using Data = internal::WindowStateData<Key, StoredAccumulator>;
  auto loss = [](auto&&... parts) {
    return absl::DataLossError(absl::StrCat(
        "window state: ", std::forward<decltype(parts)>(parts)...));
  };
  if (data.dropped_late_elements < 0 || data.late_elements_emitted < 0) {
    return loss("negative late element counter");
  }
  if (!sliced_ && (data.sliced_next_window_start.has_value() ||
                   data.sliced_last_fired_start.has_value())) {
    return loss("sliced fields on an operator without slicing");
  }
  const bool continuous = trigger_.kind() == TriggerKind::kContinuousEventTime;
  const bool end_timer =
      trigger_.kind() == TriggerKind::kEventTime || continuous;
  State st;
  st.watermark = data.watermark_millis;
  st.dropped_late = data.dropped_late_elements;
  st.late_emitted = data.late_elements_emitted;
  Sliced& sl = st.sliced;
  if (sliced_) {
    for (const auto& s :
         {data.sliced_next_window_start, data.sliced_last_fired_start}) {
      if (s.has_value() &&
          (!internal::SlicedStartInRange(*s) ||
           !internal::OnGrid(internal::ToInt128(*s), assigner_.offset(),
                             assigner_.slide()))) {
        return loss(s == data.sliced_next_window_start ? "next" : "last fired",
                    " sliced window start is not a window start in range");
      }
    }
    sl.has_next = data.sliced_next_window_start.has_value();
    if (sl.has_next)
      sl.next_start = internal::ToInt128(*data.sliced_next_window_start);
    sl.has_fired = data.sliced_last_fired_start.has_value();
    if (sl.has_fired)
      sl.fired_upto = internal::ToInt128(*data.sliced_last_fired_start);
  }
  const size_t trigger_words =
      (trigger_.kind() == TriggerKind::kCount ? 1 : 0) +
      (trigger_.purging() ? 1 : 0);
  for (typename Data::KeyState& in : data.keys) {
    if (st.slot_of.find(in.key) != st.slot_of.end()) {
      return loss("a key is listed twice");
    }
    if (in.windows.empty()) return loss("a key holds no windows");
    const uint32_t slot = static_cast<uint32_t>(st.keys.size());
    Entry entry;
    entry.slot = slot;
    entry.delta = agg_.CreateAccumulator();
    st.slot_of.emplace(in.key, std::move(entry));
    st.keys.emplace_back();
    KeyState& ks = st.keys.back();
    ks.key = in.key;
    const typename Data::Window* prev = nullptr;
    for (typename Data::Window& w : in.windows) {
      const TimeWindow tw{w.start_millis, w.max_timestamp_millis};
      const std::string where =
          absl::StrCat("window [", tw.start, ", ", tw.max_timestamp, "]");
      if (tw.start > tw.max_timestamp)
        return loss(where, " ends before it starts");
      if (prev != nullptr) {
        const TimeWindow p{prev->start_millis, prev->max_timestamp_millis};
        if (!(p < tw)) return loss(where, " out of order or listed twice");
        if (assigner_.is_merging() &&
            tw.start <= internal::SaturatingAdd(p.max_timestamp, 1)) {
          return loss(where, " overlaps or touches another session");
        }
      }
      prev = &w;
      if (sliced_) {
        if (!(WindowAssigner::AlignedWindow(tw.start, assigner_.offset(),
                                            pane_) == tw)) {
          return loss(where, " is not a slice of ", pane_, "ms");
        }
        if (!w.trigger_state.empty()) return loss(where, " has trigger state");
        auto it = std::lower_bound(
            sl.cols.begin(), sl.cols.end(), tw.start,
            [](const Column& c, EventTime t) { return c.start < t; });
        if (it == sl.cols.end() || it->start != tw.start) {
          it = sl.cols.insert(it, Column{tw.start, {}, {}, {}});
        }
        const size_t n = slot + 1;
        it->acc.resize(n, agg_.CreateAccumulator());
        it->suffix.resize(n, agg_.CreateAccumulator());
        it->has.resize((n + 63) / 64, 0);
        it->acc[slot] = std::move(w.acc);
        it->has[slot >> 6] |= uint64_t{1} << (slot & 63);
        continue;
      }
      if (!AssignerMakes(tw)) {
        return loss(where, " is not one the assigner makes");
      }
      const size_t words =
          trigger_words +
          (continuous && w.trigger_state.size() == trigger_words + 1 ? 1 : 0);
      if (w.trigger_state.size() != words) {
        return loss(where, " has ", w.trigger_state.size(),
                    " trigger state values, expected ", trigger_words);
      }
      WinState ws{tw, std::move(w.acc)};
      ws.id = st.next_id++;
      ws.has_data = true;
      size_t i = 0;
      if (trigger_.kind() == TriggerKind::kCount) {
        ws.count = w.trigger_state[i++];
        if (ws.count < 0) return loss(where, " has a negative count");
      }
      if (words > trigger_words) {
        ws.next_fire = w.trigger_state[i++];
        ws.has_fire = true;
        if (ws.next_fire > tw.max_timestamp) {
          return loss(where, " fires early after its end, at ", ws.next_fire);
        }
      }
      if (trigger_.purging()) {
        const int64_t flag = w.trigger_state[i++];
        if (flag != 0 && flag != 1) {
          return loss(where, " has contents flag ", flag);
        }
        ws.has_data = flag == 1;
      }
      ws.end_pending = end_timer && tw.max_timestamp > st.watermark;
      ks.windows.push_back(std::move(ws));
      ++st.live;
    }
    for (const typename Data::Timer& t : in.timers) {
      const TimeWindow tw{t.window_start_millis, t.window_max_timestamp_millis};
      WinState* ws = nullptr;
      for (WinState& x : ks.windows) {
        if (x.window == tw) ws = &x;
      }
      const std::string where =
          absl::StrCat("timer at ", t.time_millis, " for window [", tw.start,
                       ", ", tw.max_timestamp, "]");
      if (ws == nullptr) return loss(where, ": no such window");
      if (t.domain == internal::TimerDomain::kProcessingTime) {
        if (trigger_.kind() != TriggerKind::kProcessingTime ||
            t.time_millis > tw.max_timestamp) {
          return loss(where, ": not a processing-time firing of this trigger");
        }
        st.processing_timers.push(Timer{t.time_millis, slot, 0, ws->id});
        continue;
      }
      if (t.domain != internal::TimerDomain::kEventTime) {
        return loss(where, ": unknown time domain");
      }
      const bool due =
          (end_timer && t.time_millis == tw.max_timestamp) ||
          (ws->has_fire && t.time_millis == ws->next_fire) ||
          (assigner_.is_event_time() && t.time_millis == CleanupTime(tw));
      if (!due) return loss(where, ": not a due time of the window");
    }
  }
  if (sliced_) {
    // Slots and per-slot sizes, as `EntryFor()` and `FitColumn()` keep them.
    const size_t n = st.keys.size();
    sl.back.assign(n, agg_.CreateAccumulator());
    sl.in_window.assign(n, 0);
    sl.retained.assign(n, 0);
    for (Column& c : sl.cols) {
      c.acc.resize(n, agg_.CreateAccumulator());
      c.suffix.resize(n, agg_.CreateAccumulator());
      c.has.resize((n + 63) / 64, 0);
      for (size_t k = 0; k < n; ++k) {
        sl.retained[k] += static_cast<int32_t>((c.has[k >> 6] >> (k & 63)) & 1);
      }
    }
    st.live = static_cast<int64_t>(sl.cols.size());
  }
  // Success: nothing above changed the operator.
  state_ = std::move(st);
  if (sliced_) {
    ResetStacks();
  } else {
    for (uint32_t slot = 0; slot < state_.keys.size(); ++slot) {
      for (WinState& ws : state_.keys[slot].windows) ScheduleWindow(slot, ws);
    }
  }
  RefreshHot();
  return absl::OkStatus();
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_STATE_IMPL_H_
