// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The window operator's timers (window.h): firing event- and processing-time
// timers, and the watermark and clock advances that drive them. Not API:
// include "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_TIMERS_IMPL_H_
#define BROOK_INTERNAL_WINDOW_TIMERS_IMPL_H_

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

#include "brook/codec.h"
#include "brook/internal/time_math.h"
#include "brook/internal/window_operator_impl.h"
#include "brook/window.h"

namespace brook {

template <typename Key, typename In, typename Agg, typename Hash>
bool WindowOperator<Key, In, Agg, Hash>::TimerLive(const Timer& t) {
  if (state_.keys[t.slot].gen != t.gen) return false;  // key freed since
  FlushSlot(t.slot);
  return true;
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::WinState*
WindowOperator<Key, In, Agg, Hash>::TimerWindow(const Timer& t) {
  return TimerLive(t) ? state_.keys[t.slot].FindById(t.id) : nullptr;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::OnEventTimer(const Timer& t) {
  KeyState& ks = state_.keys[t.slot];
  WinState* ws = TimerWindow(t);
  // Stale: merged away, cleaned up, or superseded by an earlier entry.
  if (ws == nullptr || !ws->has_pending || ws->pending != t.time) return;
  ws->has_pending = false;
  bool fire = false;
  if (ws->end_pending && ws->window.max_timestamp_millis == t.time) {
    ws->end_pending = false;
    fire = true;
  }
  if (ws->has_fire && ws->next_fire == t.time &&
      trigger_.kind() != TriggerKind::kContinuousEventTime) {
    // Only from a snapshot of other options: no early firings here.
    ws->has_fire = false;
  } else if (ws->has_fire && ws->next_fire == t.time) {
    // Continuous trigger: fire, and schedule the next early firing one
    // interval on (Flink), also when it falls due in this same watermark
    // advance. Only when more than `kMaxEarlyFiringsPerAdvance` would fall
    // due in it (at most up to the window's end, where the early firings
    // stop) are they coalesced into this one: no element can
    // arrive between them, so they would emit the same contents again (or,
    // purging, nothing), and a wide window (the global one) would otherwise
    // loop once per interval up to kMaxEventTime at the end of input.
    fire = true;
    ws->has_fire = false;
    const int64_t interval = trigger_.param_;
    absl::int128 after = absl::int128(t.time) + interval;
    const absl::int128 due_until =
        std::min(state_.watermark, ws->window.max_timestamp_millis);
    if (after <= due_until && (due_until - after) / interval >=
                                  Trigger::kMaxEarlyFiringsPerAdvance - 1) {
      after += (absl::int128(state_.watermark) - after) / interval * interval +
               interval;  // the first grid point past the watermark
    }
    EventTime next =
        std::min(internal::ClampTime(after), ws->window.max_timestamp_millis);
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
  if (t.time == ws->window.max_timestamp_millis) {
    Fire(ks, *ws);
  } else if (t.time < ws->window.max_timestamp_millis) {
    // The window grew (sessions): wait for its new end.
    state_.processing_timers.push(
        Timer{ws->window.max_timestamp_millis, t.slot, ks.gen, t.id});
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::AdvanceWatermark(EventTime watermark) {
  if (watermark < state_.watermark) return;
  if (watermark == state_.watermark) {
    // Nothing more is due, but Flink forwards every watermark it processes.
    if (fn_.on_watermark) fn_.on_watermark(watermark);
    return;
  }
  state_.watermark = watermark;
  if (sliced_) {
    // Panes kept aside in the entries are merged before any firing reads
    // them (once per firing: O(keys), as the firing).
    if (state_.sliced_hot && slices_.AdvanceChanges(watermark)) {
      FlushPanesUpTo(watermark);
    }
    slices_.Advance(
        watermark,
        [this](uint32_t s, const TimeWindow& w, const Accumulator& a) {
          EmitWindow(state_.keys[s].key, w, a);
        },
        [this](uint32_t s) { MaybeFreeSlot(s); });
  }
  if (cumulate_sliced_) {
    cumulate_.Advance(
        watermark,
        [this](uint32_t s, const TimeWindow& w, const Accumulator& a) {
          EmitWindow(state_.keys[s].key, w, a);
        },
        [this](uint32_t s) { MaybeFreeSlot(s); });
  }
  while (!state_.event_timers.empty() &&
         state_.event_timers.top().time <= watermark) {
    Timer t = state_.event_timers.top();
    state_.event_timers.pop();
    OnEventTimer(t);
  }
  if (custom_) FireCustomTimers(internal::TimerDomain::kEventTime, watermark);
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
  if (custom_) FireCustomTimers(internal::TimerDomain::kProcessingTime, now);
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_TIMERS_IMPL_H_
