// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Template definitions for window.h. Not API: include "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_OPERATOR_IMPL_H_
#define BROOK_INTERNAL_WINDOW_OPERATOR_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "brook/internal/time_math.h"
#include "brook/window.h"

namespace brook {
namespace internal {

// Largest start <= t with start == offset (mod size), unclamped.
inline __int128 AlignDown128(__int128 t, int64_t offset, int64_t size) {
  __int128 r = (t - offset) % size;
  return r < 0 ? t - (r + size) : t - r;
}

// Smallest start >= t with start == offset (mod size), unclamped.
inline __int128 AlignUp128(__int128 t, int64_t offset, int64_t size) {
  __int128 s = AlignDown128(t, offset, size);
  return s < t ? s + size : s;
}

}  // namespace internal

inline TimeWindow WindowAssigner::AlignedWindow(EventTime ts, int64_t offset,
                                                int64_t size) {
  int64_t d, start, max_ts;
  // Fast path: everything fits in int64.
  if (!__builtin_sub_overflow(ts, offset, &d)) {
    int64_t r = d % size;
    if (!__builtin_sub_overflow(ts, r < 0 ? r + size : r, &start) &&
        !__builtin_add_overflow(start, size - 1, &max_ts)) {
      return TimeWindow{start, max_ts};
    }
  }
  __int128 s = internal::AlignDown128(ts, offset, size);
  return TimeWindow{internal::ClampTime(s), internal::ClampTime(s + size - 1)};
}

template <typename F>
void WindowAssigner::AssignWindows(EventTime ts, F&& emit,
                                   int64_t gap_ms) const {
  switch (kind_) {
    case WindowAssignerKind::kTumbling:
      emit(AlignedWindow(ts, offset_, size_));
      return;
    case WindowAssignerKind::kSliding: {
      __int128 last = internal::AlignDown128(ts, offset_, slide_);
      for (__int128 s = last; s > static_cast<__int128>(ts) - size_;
           s -= slide_) {
        emit(TimeWindow{internal::ClampTime(s),
                        internal::ClampTime(s + size_ - 1)});
      }
      return;
    }
    case WindowAssignerKind::kCumulate: {
      __int128 epoch = internal::AlignDown128(ts, offset_, size_);
      int64_t steps = size_ / slide_;
      int64_t first = static_cast<int64_t>((ts - epoch) / slide_) + 1;
      for (int64_t j = first; j <= steps; ++j) {
        emit(TimeWindow{internal::ClampTime(epoch),
                        internal::ClampTime(epoch + static_cast<__int128>(j) *
                                                        slide_ -
                                            1)});
      }
      return;
    }
    case WindowAssignerKind::kSession:
      emit(TimeWindow{ts, internal::WindowMaxTimestamp(ts, size_)});
      return;
    case WindowAssignerKind::kDynamicSession:
      emit(TimeWindow{ts, internal::WindowMaxTimestamp(ts, gap_ms)});
      return;
    case WindowAssignerKind::kGlobal:
      emit(TimeWindow{kMinEventTime, kMaxEventTime});
      return;
  }
}

// --- WindowOperator -------------------------------------------------------

template <typename Key, typename In, typename Agg, typename Hash>
absl::StatusOr<std::unique_ptr<WindowOperator<Key, In, Agg, Hash>>>
WindowOperator<Key, In, Agg, Hash>::Create(const WindowOptions& options,
                                           Agg agg, Functions functions) {
  absl::Status s = ValidateWindowOptions(options);
  if (!s.ok()) return s;
  if (!functions.on_result) {
    return absl::InvalidArgumentError("window operator: on_result is required");
  }
  if (options.assigner.kind() == WindowAssignerKind::kDynamicSession &&
      !functions.session_gap) {
    return absl::InvalidArgumentError(
        "window operator: a dynamic session assigner needs session_gap");
  }
  return std::unique_ptr<WindowOperator>(
      new WindowOperator(options, std::move(agg), std::move(functions)));
}

template <typename Key, typename In, typename Agg, typename Hash>
WindowOperator<Key, In, Agg, Hash>::WindowOperator(const WindowOptions& options,
                                                   Agg agg, Functions functions)
    : assigner_(options.assigner),
      trigger_(options.trigger.has_value()
                   ? *options.trigger
                   : (options.assigner.is_event_time() ? Trigger::EventTime()
                                                       : Trigger::Never())),
      lateness_(options.allowed_lateness_ms),
      env_(options.env != nullptr ? options.env : Env::Default()),
      agg_(std::move(agg)),
      fn_(std::move(functions)) {
  sliced_ = options.use_slicing &&
            assigner_.kind() == WindowAssignerKind::kSliding &&
            assigner_.slide() <= assigner_.size() &&
            trigger_.kind() == TriggerKind::kEventTime && !trigger_.purging();
  fast_tumbling_ = assigner_.kind() == WindowAssignerKind::kTumbling &&
                   trigger_.kind() == TriggerKind::kEventTime;
  if (sliced_) {
    int64_t a = assigner_.size(), b = assigner_.slide();
    while (b != 0) {
      int64_t t = a % b;
      a = b;
      b = t;
    }
    pane_ = a;
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::Entry&
WindowOperator<Key, In, Agg, Hash>::EntryFor(const Key& key) {
  auto found = state_.slot_of.find(key);
  if (found != state_.slot_of.end()) return found->second;
  uint32_t slot;
  if (!state_.free_slots.empty()) {
    slot = state_.free_slots.back();
    state_.free_slots.pop_back();
  } else {
    slot = static_cast<uint32_t>(state_.keys.size());
    state_.keys.emplace_back();
  }
  KeyState& ks = state_.keys[slot];
  ks.key = key;
  ks.windows.clear();
  if (sliced_) {
    if (state_.slice_keys.size() <= slot) state_.slice_keys.resize(slot + 1);
    SliceState& ss = state_.slice_keys[slot];
    ss.slices.clear();
    ss.a = ss.mid = ss.b = 0;
    ss.back = agg_.CreateAccumulator();
    ss.has_next = false;
    ss.hot_from = kMaxEventTime;
  }
  Entry e;
  e.slot = slot;
  e.delta = agg_.CreateAccumulator();
  e.delta_prev = agg_.CreateAccumulator();
  return state_.slot_of.emplace(key, std::move(e)).first->second;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::Flush(Entry& e) {
  if (!e.hot) return;
  e.hot = false;
  if (sliced_) {
    // Hot slices are the newest one or two and never folded into the two
    // stacks (index >= b).
    SliceState& ss = state_.slice_keys[e.slot];
    ss.hot_from = kMaxEventTime;
    for (size_t i = ss.slices.size(); i-- > 0;) {
      if (ss.slices[i].start == e.split) {
        agg_.Merge(ss.slices[i].acc, e.delta);
        if (e.hot_start != e.split && i > 0) {
          agg_.Merge(ss.slices[i - 1].acc, e.delta_prev);
          e.delta_prev = agg_.CreateAccumulator();
        }
        break;
      }
    }
  } else {
    WinState* ws = FindWindow(state_.keys[e.slot],
                              TimeWindow{e.hot_start, e.hot_max});
    if (ws != nullptr) {
      agg_.Merge(ws->acc, e.delta);
      ws->has_data = true;
    }
  }
  e.delta = agg_.CreateAccumulator();
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::FlushSlot(uint32_t slot) {
  if (!fast_tumbling_ && !sliced_) return;
  auto it = state_.slot_of.find(state_.keys[slot].key);
  if (it != state_.slot_of.end()) Flush(it->second);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::SetHot(Entry& e, EventTime start,
                                                EventTime split,
                                                EventTime max) {
  if (e.hot &&
      (e.hot_start != start || e.split != split || e.hot_max != max)) {
    Flush(e);
  }
  e.hot = true;
  e.hot_start = start;
  e.split = split;
  e.hot_max = max;
  if (sliced_) state_.slice_keys[e.slot].hot_from = start;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::MaybeFreeSlot(uint32_t slot) {
  KeyState& ks = state_.keys[slot];
  if (!ks.windows.empty()) return;
  if (sliced_) {
    const SliceState& ss = state_.slice_keys[slot];
    if (!ss.slices.empty() || ss.has_next) return;
  }
  state_.slot_of.erase(ks.key);  // its entry is never hot here: flushed
  ++ks.gen;  // invalidates the slot's pending timers
  state_.free_slots.push_back(slot);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::Late(const Key& key, const In& value,
                                              EventTime ts) {
  if (fn_.on_late) {
    ++state_.late_emitted;
    fn_.on_late(key, value, ts);
  } else {
    ++state_.dropped_late;
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::EmitWindow(const Key& key,
                                                    const TimeWindow& w,
                                                    const Accumulator& acc) {
  fn_.on_result(Result{key, w, agg_.GetResult(key, w, acc)});
}

template <typename Key, typename In, typename Agg, typename Hash>
inline absl::Status WindowOperator<Key, In, Agg, Hash>::ProcessElement(
    const Key& key, const In& value, EventTime ts) {
  Entry* entry = nullptr;
  if (fast_tumbling_ || sliced_) {
    // The common case, kept small enough to inline: one hash lookup and an
    // add.
    auto it = state_.slot_of.find(key);
    if (it != state_.slot_of.end()) {
      Entry& e = it->second;
      if (e.hot && ts > state_.watermark && ts >= e.hot_start &&
          ts <= e.hot_max) {
        agg_.Add(ts >= e.split ? e.delta : e.delta_prev, value);
        return absl::OkStatus();
      }
      entry = &e;
    }
  }
  return ProcessElementSlow(key, value, ts, entry);
}

template <typename Key, typename In, typename Agg, typename Hash>
ABSL_ATTRIBUTE_NOINLINE absl::Status
WindowOperator<Key, In, Agg, Hash>::ProcessElementSlow(const Key& key,
                                                       const In& value,
                                                       EventTime ts,
                                                       Entry* entry) {
  // The sliced path reads no accumulator for an element ahead of the
  // watermark, so the newest slices can stay hot across it.
  if (entry != nullptr && (!sliced_ || ts <= state_.watermark)) Flush(*entry);
  int64_t gap = 0;
  if (assigner_.kind() == WindowAssignerKind::kDynamicSession) {
    gap = fn_.session_gap(value);
    if (gap <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dynamic session: gap must be positive, got ", gap, " at ", ts));
    }
  }
  if (sliced_) {
    ProcessSliced(key, value, ts, entry);
    return absl::OkStatus();
  }
  if (assigner_.is_merging()) {
    TimeWindow w{ts, internal::WindowMaxTimestamp(
                         ts, assigner_.kind() == WindowAssignerKind::kSession
                                 ? assigner_.gap()
                                 : gap)};
    auto it = state_.slot_of.find(key);
    if (it == state_.slot_of.end() && IsWindowLate(w)) {
      Late(key, value, ts);  // no session to merge with: late by itself
      return absl::OkStatus();
    }
    uint32_t slot = it != state_.slot_of.end() ? it->second.slot : SlotFor(key);
    ProcessMerging(slot, value, ts, w);
    MaybeFreeSlot(slot);
    return absl::OkStatus();
  }
  uint32_t slot = SlotFor(key);
  bool skipped = true;
  // An element's windows (sliding, cumulate) usually sit next to each other
  // in the key's list, in the order they are assigned or its reverse: look
  // beside the last one found before scanning.
  size_t hint = 0;
  bool has_hint = false;
  assigner_.AssignWindows(ts, [&](const TimeWindow& w) {
    if (IsWindowLate(w)) return;
    skipped = false;
    KeyState& ks = state_.keys[slot];
    WinState* ws = nullptr;
    if (has_hint && hint > 0 && ks.windows[hint - 1].window == w) {
      ws = &ks.windows[--hint];
    } else if (has_hint && hint + 1 < ks.windows.size() &&
               ks.windows[hint + 1].window == w) {
      ws = &ks.windows[++hint];
    } else {
      ws = FindWindow(ks, w);
    }
    if (ws == nullptr) ws = &AddWindow(slot, w);
    hint = static_cast<size_t>(ws - ks.windows.data());
    has_hint = true;
    OnElementInWindow(slot, *ws, value, ts);
    if (fast_tumbling_ && ts > state_.watermark) {
      SetHot(EntryFor(key), w.start, w.start, w.max_timestamp);
    }
  });
  if (skipped && assigner_.is_event_time() &&
      internal::SaturatingAdd(ts, lateness_) <= state_.watermark) {
    Late(key, value, ts);
  }
  MaybeFreeSlot(slot);
  return absl::OkStatus();
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::WinState*
WindowOperator<Key, In, Agg, Hash>::FindWindow(KeyState& ks,
                                               const TimeWindow& w) {
  for (size_t i = ks.windows.size(); i-- > 0;) {
    if (ks.windows[i].window == w) return &ks.windows[i];
  }
  return nullptr;
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::WinState*
WindowOperator<Key, In, Agg, Hash>::FindWindowById(KeyState& ks, uint64_t id) {
  for (WinState& ws : ks.windows) {
    if (ws.id == id) return &ws;
  }
  return nullptr;
}

// Event timers of the unsliced path are lazy: a window has at most one live
// heap entry, at the earliest of its due times (its end, its next continuous
// firing, its cleanup). When a window grows (sessions) its entry may come due
// early; it then just reschedules. So a session extended by every element
// costs no heap traffic.
template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ScheduleWindow(uint32_t slot,
                                                        WinState& ws) {
  EventTime due = kMaxEventTime;
  bool any = false;
  if (ws.end_pending) {
    due = ws.window.max_timestamp;
    any = true;
  }
  if (ws.has_fire && (!any || ws.next_fire < due)) {
    due = ws.next_fire;
    any = true;
  }
  const EventTime cleanup = CleanupTime(ws.window);
  if (assigner_.is_event_time() && cleanup != kMaxEventTime &&
      (!any || cleanup < due)) {
    due = cleanup;
    any = true;
  }
  if (!any || (ws.has_pending && ws.pending <= due)) return;
  ws.pending = due;
  ws.has_pending = true;
  state_.event_timers.push(
      Timer{due, slot, state_.keys[slot].gen, ws.id});
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::WinState&
WindowOperator<Key, In, Agg, Hash>::AddWindow(uint32_t slot,
                                              const TimeWindow& w) {
  KeyState& ks = state_.keys[slot];
  ks.windows.push_back(WinState{w, agg_.CreateAccumulator()});
  ++state_.live;
  WinState& ws = ks.windows.back();
  ws.id = state_.next_id++;
  // As Flink's event-time triggers: a window already complete fires on the
  // element instead of getting a timer.
  ws.end_pending = (trigger_.kind() == TriggerKind::kEventTime ||
                    trigger_.kind() == TriggerKind::kContinuousEventTime) &&
                   w.max_timestamp > state_.watermark;
  ScheduleWindow(slot, ws);
  if (trigger_.kind() == TriggerKind::kProcessingTime) {
    state_.processing_timers.push(
        Timer{w.max_timestamp, slot, ks.gen, ws.id});
  }
  return ws;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::OnElementInWindow(uint32_t slot,
                                                           WinState& ws,
                                                           const In& value,
                                                           EventTime ts) {
  agg_.Add(ws.acc, value);
  ws.has_data = true;
  bool fire = false;
  switch (trigger_.kind()) {
    case TriggerKind::kEventTime:
      fire = ws.window.max_timestamp <= state_.watermark;
      break;
    case TriggerKind::kContinuousEventTime:
      if (ws.window.max_timestamp <= state_.watermark) {
        fire = true;
      } else if (!ws.has_fire) {
        const int64_t interval = trigger_.interval_ms();
        EventTime start = WindowAssigner::AlignedWindow(ts, 0, interval).start;
        ws.next_fire = std::min(internal::SaturatingAdd(start, interval),
                                ws.window.max_timestamp);
        ws.has_fire = true;
        ScheduleWindow(slot, ws);
      }
      break;
    case TriggerKind::kCount:
      if (++ws.count >= trigger_.count()) {
        ws.count = 0;
        fire = true;
      }
      break;
    case TriggerKind::kProcessingTime:
    case TriggerKind::kNever:
      break;
  }
  if (fire) Fire(state_.keys[slot], ws);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::Fire(KeyState& ks, WinState& ws) {
  if (!ws.has_data) return;  // purged and empty: nothing to emit (Flink)
  EmitWindow(ks.key, ws.window, ws.acc);
  if (trigger_.purging()) {
    ws.acc = agg_.CreateAccumulator();
    ws.has_data = false;
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ProcessMerging(uint32_t slot,
                                                        const In& value,
                                                        EventTime ts,
                                                        const TimeWindow& w) {
  KeyState& ks = state_.keys[slot];
  // Sessions of a key never overlap or touch, so everything that merges with
  // the new window touches the new window itself.
  auto touches = [](const TimeWindow& x, const TimeWindow& y) {
    return x.start <= internal::SaturatingAdd(y.max_timestamp, 1) &&
           y.start <= internal::SaturatingAdd(x.max_timestamp, 1);
  };
  size_t target = ks.windows.size();
  TimeWindow merged = w;
  for (size_t i = 0; i < ks.windows.size();) {
    if (!touches(ks.windows[i].window, w)) {
      ++i;
      continue;
    }
    const TimeWindow& x = ks.windows[i].window;
    merged.start = std::min(merged.start, x.start);
    merged.max_timestamp = std::max(merged.max_timestamp, x.max_timestamp);
    if (target == ks.windows.size()) {
      target = i++;
      continue;
    }
    WinState& t = ks.windows[target];
    WinState& o = ks.windows[i];
    agg_.Merge(t.acc, o.acc);
    t.has_data = t.has_data || o.has_data;
    t.count += o.count;
    if (o.has_fire && (!t.has_fire || o.next_fire < t.next_fire)) {
      t.next_fire = o.next_fire;
      t.has_fire = true;
    }
    if (i + 1 != ks.windows.size()) ks.windows[i] = std::move(ks.windows.back());
    ks.windows.pop_back();
    --state_.live;
  }
  if (target == ks.windows.size()) {
    if (IsWindowLate(w)) {
      if (internal::SaturatingAdd(ts, lateness_) <= state_.watermark) {
        Late(ks.key, value, ts);
      }
      return;
    }
    WinState& ws = AddWindow(slot, w);
    OnElementInWindow(slot, ws, value, ts);
    return;
  }
  WinState& t = ks.windows[target];
  if (t.window != merged) {
    t.window = merged;
    // Flink's onMerge: the merged window's end timer only if still ahead.
    t.end_pending = (trigger_.kind() == TriggerKind::kEventTime ||
                     trigger_.kind() == TriggerKind::kContinuousEventTime) &&
                    merged.max_timestamp > state_.watermark;
    ScheduleWindow(slot, t);
  }
  OnElementInWindow(slot, t, value, ts);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::EraseWindow(uint32_t slot,
                                                     uint64_t id) {
  KeyState& ks = state_.keys[slot];
  for (size_t i = 0; i < ks.windows.size(); ++i) {
    if (ks.windows[i].id != id) continue;
    if (i + 1 != ks.windows.size()) ks.windows[i] = std::move(ks.windows.back());
    ks.windows.pop_back();
    --state_.live;
    break;
  }
  MaybeFreeSlot(slot);
}

template <typename Key, typename In, typename Agg, typename Hash>
bool WindowOperator<Key, In, Agg, Hash>::TimerLive(const Timer& t) {
  if (state_.keys[t.slot].gen != t.gen) return false;  // key freed since
  FlushSlot(t.slot);
  return true;
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::WinState*
WindowOperator<Key, In, Agg, Hash>::TimerWindow(const Timer& t) {
  return TimerLive(t) ? FindWindowById(state_.keys[t.slot], t.id) : nullptr;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::OnEventTimer(const Timer& t) {
  KeyState& ks = state_.keys[t.slot];
  WinState* ws = TimerWindow(t);
  // Stale: merged away, cleaned up, or superseded by an earlier entry.
  if (ws == nullptr || !ws->has_pending || ws->pending != t.time) return;
  ws->has_pending = false;
  bool fire = false;
  if (ws->end_pending && ws->window.max_timestamp == t.time) {
    ws->end_pending = false;
    fire = true;
  }
  if (ws->has_fire && ws->next_fire == t.time) {
    // Continuous trigger: fire, and schedule the next early firing.
    fire = true;
    ws->has_fire = false;
    EventTime next =
        std::min(internal::SaturatingAdd(t.time, trigger_.interval_ms()),
                 ws->window.max_timestamp);
    if (next > t.time) {
      ws->next_fire = next;
      ws->has_fire = true;
    }
  }
  if (fire) Fire(ks, *ws);
  if (assigner_.is_event_time() && t.time == CleanupTime(ws->window)) {
    EraseWindow(t.slot, t.id);
    return;
  }
  ScheduleWindow(t.slot, *ws);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::OnProcessingTimer(const Timer& t) {
  KeyState& ks = state_.keys[t.slot];
  WinState* ws = TimerWindow(t);
  if (ws == nullptr) return;
  if (t.time == ws->window.max_timestamp) {
    Fire(ks, *ws);
  } else if (t.time < ws->window.max_timestamp) {
    // The window grew (sessions): wait for its new end.
    state_.processing_timers.push(
        Timer{ws->window.max_timestamp, t.slot, ks.gen, t.id});
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::AdvanceWatermark(EventTime watermark) {
  if (watermark <= state_.watermark) return;
  state_.watermark = watermark;
  while (!state_.event_timers.empty() &&
         state_.event_timers.top().time <= watermark) {
    Timer t = state_.event_timers.top();
    state_.event_timers.pop();
    if (sliced_) {
      OnSlicedTimer(t);
    } else {
      OnEventTimer(t);
    }
  }
  if (fn_.on_watermark) fn_.on_watermark(watermark);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::AdvanceProcessingTime() {
  int64_t now = env_->NowMillis();
  while (!state_.processing_timers.empty() &&
         state_.processing_timers.top().time <= now) {
    Timer t = state_.processing_timers.top();
    state_.processing_timers.pop();
    OnProcessingTimer(t);
  }
}

// --- Sliced sliding windows -----------------------------------------------
//
// Each key keeps the non-empty slices (panes of gcd(size, slide)) in start
// order. Windows of a key fire in start order; the slices of the window being
// fired are [a, b), kept as a two-stacks queue: [a, mid) carry suffix
// aggregates, [mid, b) are folded into `back`. Moving the window forward
// pushes slices at b and pops them at a, each O(1) amortised, so a firing
// costs O(1) whatever size/slide is. Late elements that touch folded slices
// rebuild the stacks (O(slices), off the common path).

template <typename Key, typename In, typename Agg, typename Hash>
__int128 WindowOperator<Key, In, Agg, Hash>::FirstWindowHolding(
    EventTime ts) const {
  // The smallest start > ts - size on the slide grid; in int64 when it fits
  // (a 128-bit remainder is a slow library call).
  int64_t from, d;
  if (!__builtin_sub_overflow(ts, assigner_.size() - 1, &from) &&
      !__builtin_sub_overflow(from, assigner_.offset(), &d)) {
    const int64_t slide = assigner_.slide();
    int64_t r = d % slide;
    if (r < 0) r += slide;
    if (r == 0) return from;
    return static_cast<__int128>(from) - r + slide;
  }
  return internal::AlignUp128(static_cast<__int128>(ts) - assigner_.size() + 1,
                              assigner_.offset(), assigner_.slide());
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ResetStacks(SliceState& ks) {
  const __int128 from = ks.next_start;
  auto it = std::lower_bound(
      ks.slices.begin(), ks.slices.end(), from,
      [](const Slice& s, __int128 t) { return s.start < t; });
  ks.a = ks.mid = ks.b = static_cast<size_t>(it - ks.slices.begin());
  ks.back = agg_.CreateAccumulator();
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::Schedule(uint32_t slot,
                                                  EventTime time,
                                                  uint64_t what) {
  state_.event_timers.push(Timer{time, slot, state_.keys[slot].gen, what});
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::SetNext(uint32_t slot,
                                                 __int128 start) {
  SliceState& ks = state_.slice_keys[slot];
  ks.next_start = start;
  ks.has_next = true;
  Schedule(slot, SlidingWindowAt(start).max_timestamp, kSlicedFire);
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::Accumulator
WindowOperator<Key, In, Agg, Hash>::MergeRange(const SliceState& ks,
                                               const TimeWindow& w) const {
  Accumulator acc = agg_.CreateAccumulator();
  auto it = std::lower_bound(
      ks.slices.begin(), ks.slices.end(), w.start,
      [](const Slice& s, EventTime t) { return s.start < t; });
  for (; it != ks.slices.end() && it->start <= w.max_timestamp; ++it) {
    agg_.Merge(acc, it->acc);
  }
  return acc;
}

template <typename Key, typename In, typename Agg, typename Hash>
TimeWindow WindowOperator<Key, In, Agg, Hash>::LastWindowHolding(
    EventTime ts) const {
  const TimeWindow w =
      WindowAssigner::AlignedWindow(ts, assigner_.offset(), assigner_.slide());
  if (w.start != kMinEventTime) {
    return TimeWindow{w.start,
                      internal::WindowMaxTimestamp(w.start, assigner_.size())};
  }
  return SlidingWindowAt(
      internal::AlignDown128(ts, assigner_.offset(), assigner_.slide()));
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ProcessSliced(const Key& key,
                                                       const In& value,
                                                       EventTime ts,
                                                       Entry* entry) {
  const int64_t size = assigner_.size();
  const int64_t slide = assigner_.slide();
  const EventTime wm = state_.watermark;
  // The last window holding ts; if it is late, all of them are. (When
  // ts > wm every window holding ts ends after wm: none is late.)
  TimeWindow last{0, 0};
  if (ts <= wm) {
    last = LastWindowHolding(ts);
    if (CleanupTime(last) <= wm) {
      Late(key, value, ts);
      return;
    }
  }
  // Nothing below inserts into or erases from the map: `e` stays valid.
  Entry& e = entry != nullptr ? *entry : EntryFor(key);
  const uint32_t slot = e.slot;
  SliceState& ks = state_.slice_keys[slot];
  size_t idx;
  bool reset = false;
  if (!ks.slices.empty() && ks.slices.back().start <= ts &&
      ks.slices.back().start != kMinEventTime &&
      static_cast<uint64_t>(ts) - static_cast<uint64_t>(ks.slices.back().start) <
          static_cast<uint64_t>(pane_)) {
    // The common case: the key's newest slice; no division needed.
    idx = ks.slices.size() - 1;
    if (idx < ks.b) reset = true;  // a folded slice changes
  } else {
    const EventTime ps =
        WindowAssigner::AlignedWindow(ts, assigner_.offset(), pane_).start;
    if (ks.slices.empty() || ks.slices.back().start < ps) {
      ks.slices.push_back(
          Slice{ps, agg_.CreateAccumulator(), agg_.CreateAccumulator()});
      ++state_.live;
      idx = ks.slices.size() - 1;
    } else {
      // Usually one of the last few slices: look there before searching.
      auto it = ks.slices.end();
      for (int step = 0; step < 4 && it != ks.slices.begin(); ++step) {
        if ((it - 1)->start < ps) break;
        --it;
      }
      if (it != ks.slices.begin() && it != ks.slices.end() &&
          (it - 1)->start >= ps) {
        it = std::lower_bound(
            ks.slices.begin(), it, ps,
            [](const Slice& x, EventTime t) { return x.start < t; });
      }
      idx = static_cast<size_t>(it - ks.slices.begin());
      if (it == ks.slices.end() || it->start != ps) {
        ks.slices.insert(it, Slice{ps, agg_.CreateAccumulator(),
                                   agg_.CreateAccumulator()});
        ++state_.live;
        if (idx < ks.b) reset = true;  // indices from idx on shifted
      } else if (idx < ks.b) {
        reset = true;  // a folded slice changes
      }
    }
  }
  agg_.Add(ks.slices[idx].acc, value);

  if (ts > wm) {
    // No window holding ts has fired. Make sure the key's next window is no
    // later than the first window holding ts. Windows that start before
    // next_start hold ts only if ts < next_start - slide + size.
    if (!ks.has_next ||
        static_cast<__int128>(ts) + slide < ks.next_start + size) {
      __int128 first = FirstWindowHolding(ts);
      if (!ks.has_next || first < ks.next_start) {
        SetNext(slot, first);
        reset = true;
      }
    }
  } else {
    // Some windows holding ts may have fired: fire those that are not late
    // again now (EventTimeTrigger fires on a late element), and make the first
    // unfired one the key's next window.
    for (__int128 s = FirstWindowHolding(ts); s <= last.start; s += slide) {
      TimeWindow w = SlidingWindowAt(s);
      if (IsWindowLate(w)) continue;
      if (w.max_timestamp <= wm) {
        EmitWindow(key, w, MergeRange(ks, w));
        continue;
      }
      if (!ks.has_next || s < ks.next_start) {
        SetNext(slot, s);
        reset = true;
      }
      break;
    }
    if (!ks.has_next) {
      // Every window holding ts has fired: keep the slice until its last
      // window is cleaned up.
      Schedule(slot, CleanupTime(last), kSlicedCleanup);
    }
  }
  if (reset) ResetStacks(ks);
  // Later elements of this slice, ahead of the watermark, take the fast path
  // while the slice is not folded into the stacks.
  // The newest slice, and the one before when adjacent and unfolded, so that
  // slightly out-of-order elements also take the fast path.
  const size_t n = ks.slices.size();
  if (ts > wm && n > ks.b && ks.slices[n - 1].start != kMinEventTime) {
    const EventTime newest = ks.slices[n - 1].start;
    EventTime from = newest;
    if (n >= 2 && n - 2 >= ks.b &&
        ks.slices[n - 2].start == internal::SaturatingSub(newest, pane_)) {
      from = ks.slices[n - 2].start;
    }
    SetHot(e, from, newest, internal::SaturatingAdd(newest, pane_ - 1));
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::OnSlicedTimer(const Timer& t) {
  if (state_.keys[t.slot].gen != t.gen) return;  // key freed since
  SliceState& ks = state_.slice_keys[t.slot];
  // Flush only if the hot slices could be read: the window to fire (or the
  // cleanup) reaches them. Usually they lie ahead of the watermark.
  if (ks.hot_from <= t.time) FlushSlot(t.slot);
  // A window that ends at the top of the range is clamped, so several may
  // "end" at kMaxEventTime; they all fire at the final watermark, in order.
  const bool is_fire = t.id == kSlicedFire;
  if (is_fire && ks.has_next &&
      SlidingWindowAt(ks.next_start).max_timestamp == t.time) {
    FireSliced(t.slot);
  }
  // Drop slices whose every window is past cleanup: those before the pending
  // window, or all of them once no window is pending.
  while (!ks.slices.empty() && (ks.a > 0 || !ks.has_next)) {
    if (CleanupTime(LastWindowHolding(ks.slices.front().start)) >
        state_.watermark) {
      break;
    }
    ks.slices.pop_front();
    --state_.live;
    if (ks.a > 0) --ks.a;
    if (ks.mid > 0) --ks.mid;
    if (ks.b > 0) --ks.b;
  }
  if (!ks.has_next && !ks.slices.empty() && is_fire) {
    Schedule(t.slot, CleanupTime(LastWindowHolding(ks.slices.back().start)),
             kSlicedCleanup);
  }
  MaybeFreeSlot(t.slot);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::FireSliced(uint32_t slot) {
  SliceState& ks = state_.slice_keys[slot];
  const Key& key = state_.keys[slot].key;
  const __int128 s = ks.next_start;
  const TimeWindow w = SlidingWindowAt(s);
  auto& slices = ks.slices;
  const size_t n = slices.size();
  while (ks.b < n && slices[ks.b].start <= w.max_timestamp) {
    agg_.Merge(ks.back, slices[ks.b].acc);
    ++ks.b;
  }
  while (ks.a < ks.b && slices[ks.a].start < s) {
    if (ks.a == ks.mid) {
      // Flip: fold [a, b) into suffix aggregates, right to left.
      for (size_t i = ks.b; i-- > ks.a;) {
        slices[i].suffix = slices[i].acc;
        if (i + 1 < ks.b) agg_.Merge(slices[i].suffix, slices[i + 1].suffix);
      }
      ks.mid = ks.b;
      ks.back = agg_.CreateAccumulator();
    }
    ++ks.a;
  }
  if (ks.a < ks.b) {
    if (ks.a == ks.mid) {
      EmitWindow(key, w, ks.back);
    } else {
      Accumulator acc = slices[ks.a].suffix;
      agg_.Merge(acc, ks.back);
      EmitWindow(key, w, acc);
    }
  }
  // The next window that holds a slice.
  ks.has_next = false;
  const __int128 next = s + assigner_.slide();
  size_t i = ks.a;
  while (i < n && slices[i].start < next) ++i;
  if (i < n) SetNext(slot, std::max(next, FirstWindowHolding(slices[i].start)));
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::Snapshot
WindowOperator<Key, In, Agg, Hash>::TakeSnapshot() const {
  Snapshot s;
  s.state_ = std::make_shared<const State>(state_);
  return s;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::Restore(const Snapshot& snapshot) {
  if (snapshot.state_ == nullptr) {
    state_ = State();
    return;
  }
  state_ = *snapshot.state_;
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_OPERATOR_IMPL_H_
