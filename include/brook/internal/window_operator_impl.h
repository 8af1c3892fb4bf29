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
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "brook/codec.h"
#include "brook/internal/time_math.h"
#include "brook/window.h"

namespace brook {
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
  if (options.evictor.has_value() && !internal::HasCodec<In>::value) {
    return absl::InvalidArgumentError(
        "window operator: an evictor needs Codec<In> for the element type "
        "(codec.h): saved state holds an evicting window's elements");
  }
  if (options.trigger.has_value() &&
      options.trigger->kind() == TriggerKind::kCustom &&
      options.assigner.is_merging() && !options.trigger->custom()->CanMerge()) {
    // Flink's rule: a merging assigner needs a trigger that can merge.
    return absl::InvalidArgumentError(absl::StrCat(
        "window operator: trigger custom(", options.trigger->custom()->name(),
        ") cannot merge (CanMerge() is false), but the session assigner "
        "merges windows"));
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
      lateness_(absl::ToInt64Milliseconds(options.allowed_lateness)),
      env_(options.env != nullptr ? options.env : Env::Default()),
      agg_(std::move(agg)),
      fn_(std::move(functions)),
      evictor_(options.evictor),
      slices_(&agg_, assigner_.size_, assigner_.slide_, assigner_.offset_,
              lateness_),
      cumulate_(&agg_, assigner_.size_, assigner_.slide_, assigner_.offset_,
                lateness_) {
  // An evictor needs every window's elements: no fast path keeps them.
  sliced_ = !evictor_.has_value() && options.use_slicing &&
            assigner_.kind() == WindowAssignerKind::kSliding &&
            assigner_.slide_ <= assigner_.size_ &&
            trigger_.kind() == TriggerKind::kEventTime && !trigger_.purging();
  cumulate_slicing_ = !evictor_.has_value() && options.use_slicing &&
                      assigner_.kind() == WindowAssignerKind::kCumulate &&
                      trigger_.kind() == TriggerKind::kEventTime &&
                      !trigger_.purging();
  cumulate_sliced_ = cumulate_slicing_;
  fast_tumbling_ = !evictor_.has_value() &&
                   assigner_.kind() == WindowAssignerKind::kTumbling &&
                   trigger_.kind() == TriggerKind::kEventTime;
  fast_session_ = !evictor_.has_value() &&
                  assigner_.kind() == WindowAssignerKind::kSession &&
                  trigger_.kind() == TriggerKind::kEventTime;
  if (options.assigner.kind() == WindowAssignerKind::kCustom &&
      !options.trigger.has_value() && !options.assigner.is_event_time()) {
    trigger_ = Trigger::ProcessingTime();
  }
  custom_ = trigger_.kind() == TriggerKind::kCustom ||
            assigner_.kind() == WindowAssignerKind::kCustom;
  if (custom_) {
    sliced_ = false;
    cumulate_slicing_ = cumulate_sliced_ = false;
    fast_tumbling_ = false;
    fast_session_ = false;
    custom_trigger_ = trigger_.kind() == TriggerKind::kCustom
                          ? trigger_.custom()
                          : std::make_shared<internal::BuiltinAsCustomTrigger>(
                                trigger_.kind(), trigger_.param_);
  }
  // (A restore may switch cumulate windows off the sliced path, never on
  // it unless `cumulate_slicing_`.)
  any_fast_ = fast_tumbling_ || sliced_ || cumulate_slicing_ || fast_session_;
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
  state_.keys[slot].Reset(key);
  if (sliced_) slices_.FitSlots(state_.keys.size());
  if (cumulate_sliced_) cumulate_.FitSlots(state_.keys.size());
  Entry e;
  e.slot = slot;
  e.delta = agg_.CreateAccumulator();
  return state_.slot_of.emplace(key, std::move(e)).first->second;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::Flush(Entry& e) {
  if (!e.hot()) return;
  if (sliced_) {
    slices_.MergeIntoPane(e.slot, e.hot_start, e.delta);
  } else {
    WinState* ws = state_.keys[e.slot].Find(TimeWindow{e.hot_start, e.hot_max});
    if (ws != nullptr) {
      agg_.Merge(ws->acc, e.delta);
      ws->has_data = true;
    }
  }
  e.hot_start = kMaxEventTime;  // not hot: an empty window
  e.hot_max = kMinEventTime;
  e.delta = agg_.CreateAccumulator();
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::FlushPanesUpTo(EventTime wm) {
  bool any = false;
  for (auto& kv : state_.slot_of) {
    Entry& e = kv.second;
    if (!e.hot()) continue;
    if (e.hot_start <= wm) {
      Flush(e);
    } else {
      any = true;  // no window holding it ends by wm
    }
  }
  state_.sliced_hot = any;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::FlushSlot(uint32_t slot) {
  if (!fast_tumbling_) return;
  auto it = state_.slot_of.find(state_.keys[slot].key);
  if (it != state_.slot_of.end()) Flush(it->second);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::SetHot(Entry& e, EventTime start,
                                                EventTime max) {
  if (e.hot_start != start || e.hot_max != max) Flush(e);
  e.hot_start = start;
  e.hot_max = max;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::MaybeFreeSlot(uint32_t slot) {
  KeyState& ks = state_.keys[slot];
  if (!ks.windows.empty()) return;
  if (sliced_ && slices_.Retains(slot)) return;
  if (cumulate_sliced_ && cumulate_.Retains(slot)) return;
  state_.slot_of.erase(ks.key);  // its entry is never hot here: flushed
  ++ks.gen;                      // invalidates the slot's pending timers
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
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::Status
WindowOperator<Key, In, Agg, Hash>::ProcessElement(const Key& key,
                                                   const In& value,
                                                   EventTime ts) {
  // The common cases, inlined into the caller: one hash lookup (shared by
  // the fast paths) and an add.
  Entry* entry = nullptr;
  if (any_fast_) {
    auto it = state_.slot_of.find(key);
    if (it != state_.slot_of.end()) {
      Entry& e = it->second;
      // Tumbling windows, sliced sliding windows: in the key's hot window or
      // pane, which is not late and does not start at kMinEventTime (see
      // `Entry`): no other test needed. Never hot on the other paths.
      if (ts >= e.hot_start && ts <= e.hot_max) {
        agg_.Add(e.delta, value);
        return absl::OkStatus();
      }
      if (!fast_tumbling_ && ts > state_.watermark) {
        // Sliced: in one of the two newest columns, neither folded into the
        // stacks, and before the hot pane (a later pane takes the slow path,
        // which makes it the hot one).
        if (sliced_ ? e.hot() && ts < e.hot_start &&
                          slices_.AddHot(e.slot, value, ts)
            : cumulate_sliced_
                ? cumulate_.AddHot(e.slot, value, ts)
                : fast_session_ && AddToSession(e.slot, value, ts)) {
          return absl::OkStatus();
        }
      }
      entry = &e;
    }
  }
  return ProcessElementSlow(key, value, ts, entry);
}

// What `ProcessMerging()` does when the new window touches the key's only
// session (nothing else can merge): it lies inside it, or the session grows
// to the union, gets its end timer again (still ahead: it ends at or after
// `ts`) and reschedules; then the element is added. The event-time trigger
// does not fire: the session ends after the watermark.
template <typename Key, typename In, typename Agg, typename Hash>
inline bool WindowOperator<Key, In, Agg, Hash>::AddToSession(uint32_t slot,
                                                             const In& value,
                                                             EventTime ts) {
  KeyState& ks = state_.keys[slot];
  if (ks.windows.size() != 1) return false;
  WinState& ws = ks.windows[0];
  const TimeWindow w{ts, internal::WindowMaxTimestamp(ts, assigner_.size_)};
  if (!internal::SessionsTouch(ws.window, w)) return false;
  if (w.start_millis < ws.window.start_millis ||
      w.max_timestamp_millis > ws.window.max_timestamp_millis) {
    ws.window.start_millis = std::min(ws.window.start_millis, w.start_millis);
    ws.window.max_timestamp_millis =
        std::max(ws.window.max_timestamp_millis, w.max_timestamp_millis);
    ws.end_pending = true;
    // The window's next due time is now its end (it grew: no earlier), so
    // a live timer at or before it stays (`ScheduleWindow()`'s own test).
    if (ws.has_fire || !ws.has_pending ||
        ws.pending > ws.window.max_timestamp_millis) {
      ScheduleWindow(slot, ws);
    }
  }
  agg_.Add(ws.acc, value);
  ws.has_data = true;
  return true;
}

template <typename Key, typename In, typename Agg, typename Hash>
ABSL_ATTRIBUTE_NOINLINE absl::Status
WindowOperator<Key, In, Agg, Hash>::ProcessElementSlow(const Key& key,
                                                       const In& value,
                                                       EventTime ts,
                                                       Entry* entry) {
  // (The fast paths above take only ts > watermark >= kMinEventTime.)
  if (ts == kMinEventTime) {
    // Flink's WindowOperator: Long.MIN_VALUE is the "no timestamp" marker.
    return absl::InvalidArgumentError(
        "window operator: element timestamp is kMinEventTime, the "
        "no-timestamp marker");
  }
  if (entry != nullptr) Flush(*entry);
  int64_t gap = 0;
  if (assigner_.kind() == WindowAssignerKind::kDynamicSession) {
    const absl::Duration d = fn_.session_gap(value);
    gap = absl::ToInt64Milliseconds(d);
    if (gap <= 0 || absl::Milliseconds(gap) != d) {
      return absl::InvalidArgumentError(
          absl::StrCat("dynamic session: gap must be a positive whole number "
                       "of milliseconds, got ",
                       absl::FormatDuration(d), " at ", ts));
    }
  }
  if (custom_) return ProcessCustom(key, value, ts, gap);
  if (sliced_) {
    // If its last window is late, all of them are: no slot for the key.
    if (slices_.AllLate(ts, state_.watermark)) {
      Late(key, value, ts);
      return absl::OkStatus();
    }
    const uint32_t slot = entry != nullptr ? entry->slot : SlotFor(key);
    slices_.Add(slot, value, ts, state_.watermark,
                [this](uint32_t s, const TimeWindow& w, const Accumulator& a) {
                  EmitWindow(state_.keys[s].key, w, a);
                });
    if (ts > state_.watermark) {
      // The key's next elements in this pane wait in its entry.
      if (const auto pane = slices_.HotPaneOf(ts)) {
        SetHot(entry != nullptr ? *entry : EntryFor(key), pane->start_millis,
               pane->max_timestamp_millis);
        state_.sliced_hot = true;
      }
    }
    return absl::OkStatus();
  }
  if (cumulate_sliced_) {
    if (cumulate_.AllLate(ts, state_.watermark)) {
      Late(key, value, ts);
      return absl::OkStatus();
    }
    const uint32_t slot = entry != nullptr ? entry->slot : SlotFor(key);
    cumulate_.Add(
        slot, value, ts, state_.watermark,
        [this](uint32_t s, const TimeWindow& w, const Accumulator& a) {
          EmitWindow(state_.keys[s].key, w, a);
        });
    return absl::OkStatus();
  }
  if (assigner_.is_merging()) {
    TimeWindow w{ts, internal::WindowMaxTimestamp(
                         ts, assigner_.kind() == WindowAssignerKind::kSession
                                 ? assigner_.size_
                                 : gap)};
    if (entry == nullptr && state_.slot_of.find(key) == state_.slot_of.end() &&
        IsWindowLate(w)) {
      Late(key, value, ts);  // no session to merge with: late by itself
      return absl::OkStatus();
    }
    const uint32_t slot = entry != nullptr ? entry->slot : SlotFor(key);
    ProcessMerging(slot, value, ts, w);
    MaybeFreeSlot(slot);
    return absl::OkStatus();
  }
  uint32_t slot = SlotFor(key);
  bool skipped = true;
  // Look beside the element's last window first (`KeyState::FindNear`).
  size_t hint = KeyState::kNoHint;
  assigner_.AssignWindows(ts, [&](const TimeWindow& w) {
    if (IsWindowLate(w)) return;
    skipped = false;
    KeyState& ks = state_.keys[slot];
    WinState* ws = ks.FindNear(w, &hint);
    if (ws == nullptr) {
      ws = &AddWindow(slot, w);
      hint = ks.windows.size() - 1;
    }
    OnElementInWindow(slot, *ws, value, ts);
    // (`Entry`: a hot window ends after the watermark, as it does here,
    // and does not start at kMinEventTime.)
    if (fast_tumbling_ && ts > state_.watermark &&
        w.start_millis != kMinEventTime) {
      SetHot(EntryFor(key), w.start_millis, w.max_timestamp_millis);
    }
  });
  if (skipped) LateIfPastLateness(key, value, ts);
  MaybeFreeSlot(slot);
  return absl::OkStatus();
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
    due = ws.window.max_timestamp_millis;
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
  state_.event_timers.push(Timer{due, slot, state_.keys[slot].gen, ws.id});
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::WinState&
WindowOperator<Key, In, Agg, Hash>::AddWindow(uint32_t slot,
                                              const TimeWindow& w) {
  KeyState& ks = state_.keys[slot];
  WinState& ws = ks.Add(WinState{w, agg_.CreateAccumulator()});
  ++state_.live;
  ws.id = state_.next_id++;
  // As Flink's event-time triggers: a window already complete fires on the
  // element instead of getting a timer.
  ws.end_pending = (trigger_.kind() == TriggerKind::kEventTime ||
                    trigger_.kind() == TriggerKind::kContinuousEventTime) &&
                   w.max_timestamp_millis > state_.watermark;
  ScheduleWindow(slot, ws);
  if (trigger_.kind() == TriggerKind::kProcessingTime) {
    state_.processing_timers.push(
        Timer{w.max_timestamp_millis, slot, ks.gen, ws.id});
  }
  return ws;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::OnElementInWindow(uint32_t slot,
                                                           WinState& ws,
                                                           const In& value,
                                                           EventTime ts) {
  AddToWindow(ws, value, ts);
  bool fire = false;
  switch (trigger_.kind()) {
    case TriggerKind::kEventTime:
      fire = ws.window.max_timestamp_millis <= state_.watermark;
      break;
    case TriggerKind::kContinuousEventTime:
      if (ws.window.max_timestamp_millis <= state_.watermark) {
        fire = true;
      } else if (!ws.has_fire) {
        // Flink's ContinuousEventTimeTrigger: `ts - ts % interval`, with a
        // remainder that truncates toward zero (as Java's and C++'s do), so
        // a negative time rounds up. Never overflows.
        const int64_t interval = trigger_.param_;
        const EventTime start = ts - ts % interval;
        ws.next_fire = std::min(internal::SaturatingAdd(start, interval),
                                ws.window.max_timestamp_millis);
        ws.has_fire = true;
        ScheduleWindow(slot, ws);
      }
      break;
    case TriggerKind::kCount:
      // `count + 1 >= trigger count`, without overflow for any restored
      // count.
      if (ws.count >= trigger_.count() - 1) {
        ws.count = 0;
        fire = true;
      } else {
        ++ws.count;
      }
      break;
    case TriggerKind::kProcessingTime:
    case TriggerKind::kNever:
    case TriggerKind::kCustom:  // refused by Create() for now
      break;
  }
  if (fire) Fire(state_.keys[slot], ws);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::Fire(KeyState& ks, WinState& ws) {
  if (!ws.has_data) return;  // purged and empty: nothing to emit (Flink)
  if (evictor_.has_value()) {
    FireEvicting(ks, ws);
    return;
  }
  EmitWindow(ks.key, ws.window, ws.acc);
  if (trigger_.purging()) {
    ws.acc = agg_.CreateAccumulator();
    ws.has_data = false;
  }
}

// The built-in triggers' session merge (`internal::MergingWindowSet`): the
// merged windows' contents, counts and earliest early fire time go to the
// first merged window, which keeps its id and so its pending timer.
template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ProcessMerging(uint32_t slot,
                                                        const In& value,
                                                        EventTime ts,
                                                        const TimeWindow& w) {
  KeyState& ks = state_.keys[slot];
  const auto added = ks.Sessions().AddWindow(
      w, [this](const TimeWindow&, WinState& t,
                absl::Span<WinState* const> merged_away) {
        for (WinState* o : merged_away) {
          MergeContents(t, *o);
          t.has_data = t.has_data || o->has_data;
          t.count = internal::SaturatingAdd(t.count, o->count);
          if (o->has_fire && (!t.has_fire || o->next_fire < t.next_fire)) {
            t.next_fire = o->next_fire;
            t.has_fire = true;
          }
          --state_.live;
        }
      });
  if (added.index == SessionSet::kNew) {
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
  WinState& t = ks.windows[added.index];
  if (added.merged) {
    // Flink's onMerge: the merged window's end timer only if still ahead.
    t.end_pending = (trigger_.kind() == TriggerKind::kEventTime ||
                     trigger_.kind() == TriggerKind::kContinuousEventTime) &&
                    t.window.max_timestamp_millis > state_.watermark;
    ScheduleWindow(slot, t);
  }
  OnElementInWindow(slot, t, value, ts);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::EraseWindow(uint32_t slot,
                                                     uint64_t id) {
  // (An evicting window's elements go with it.)
  if (state_.keys[slot].Erase(id)) --state_.live;
  MaybeFreeSlot(slot);
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_OPERATOR_IMPL_H_
