// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The window operator's generic path (window.h), Flink's WindowOperator
// over a `CustomTrigger` and a `TriggerContext`: used when the trigger is a
// custom one, or the assigner is (a built-in trigger then runs as the
// `CustomTrigger` of `BuiltinAsCustomTrigger()`). Timers live in an
// `internal::WindowTimerService` (by window id), trigger state in each
// window's entry of its key's `KeyWindowState`; a session merge is the merge callback of the operator's one
// `internal::MergingWindowSet` (window_merging_set.h): OnMerge on the merged
// window, then Clear() and the timers dropped of every window merged into
// it. The built-in triggers with built-in assigners keep their
// own faster paths (window_operator_impl.h, window_sliced_impl.h). Not API:
// include "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_CUSTOM_IMPL_H_
#define BROOK_INTERNAL_WINDOW_CUSTOM_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

#include "brook/internal/time_math.h"
#include "brook/internal/window_state.h"
#include "brook/window.h"

namespace brook {
namespace internal {

// brook's built-in triggers as `CustomTrigger`s, for custom assigners, with
// the built-in paths' results (Flink's, except that the processing-time
// trigger sets its one timer when the window is made). State: count:
// {count}; continuous: {has fire time, fire time}; processing time: {timer
// set}.
class BuiltinAsCustomTrigger final : public CustomTrigger {
 public:
  BuiltinAsCustomTrigger(TriggerKind kind, int64_t param)
      : kind_(kind), param_(param) {}
  std::string name() const override { return "builtin"; }
  int state_size() const override {
    return kind_ == TriggerKind::kCount || kind_ == TriggerKind::kProcessingTime
               ? 1
           : kind_ == TriggerKind::kContinuousEventTime ? 2
                                                        : 0;
  }
  bool CanMerge() const override { return true; }

  TriggerResult OnElement(EventTime ts, const TimeWindow& w,
                          TriggerContext& ctx) const override {
    const EventTime max = w.max_timestamp_millis;
    switch (kind_) {
      case TriggerKind::kEventTime:
        if (max <= ctx.current_watermark_millis()) return TriggerResult::kFire;
        ctx.RegisterEventTimeTimer(max);
        return TriggerResult::kContinue;
      case TriggerKind::kProcessingTime:
        if (ctx.state(0) == 0) {
          ctx.set_state(0, 1);
          ctx.RegisterProcessingTimeTimer(max);
        }
        return TriggerResult::kContinue;
      case TriggerKind::kCount:
        if (ctx.state(0) >= param_ - 1) {
          ctx.set_state(0, 0);
          return TriggerResult::kFire;
        }
        ctx.set_state(0, ctx.state(0) + 1);
        return TriggerResult::kContinue;
      case TriggerKind::kContinuousEventTime: {
        if (max <= ctx.current_watermark_millis()) return TriggerResult::kFire;
        ctx.RegisterEventTimeTimer(max);
        if (ctx.state(0) == 0) {
          const EventTime next =
              std::min(SaturatingAdd(ts - ts % param_, param_), max);
          ctx.set_state(0, 1);
          ctx.set_state(1, next);
          ctx.RegisterEventTimeTimer(next);
        }
        return TriggerResult::kContinue;
      }
      case TriggerKind::kNever:
      case TriggerKind::kCustom:
        break;
    }
    return TriggerResult::kContinue;
  }
  TriggerResult OnEventTime(EventTime time, const TimeWindow& w,
                            TriggerContext& ctx) const override {
    if (kind_ == TriggerKind::kEventTime) {
      return time == w.max_timestamp_millis ? TriggerResult::kFire
                                            : TriggerResult::kContinue;
    }
    if (kind_ != TriggerKind::kContinuousEventTime) {
      return TriggerResult::kContinue;
    }
    bool fire = time == w.max_timestamp_millis;
    if (ctx.state(0) != 0 && ctx.state(1) == time) {
      fire = true;
      // As the built-in path (`Trigger::kMaxEarlyFiringsPerAdvance`): more
      // early firings than that due in this advance are coalesced.
      absl::int128 after = absl::int128(time) + param_;
      const EventTime wm = ctx.current_watermark_millis();
      const absl::int128 due_until = std::min(wm, w.max_timestamp_millis);
      if (after <= due_until && (due_until - after) / param_ >=
                                    Trigger::kMaxEarlyFiringsPerAdvance - 1) {
        after += (absl::int128(wm) - after) / param_ * param_ + param_;
      }
      const EventTime next = std::min(ClampTime(after), w.max_timestamp_millis);
      if (next > time) {
        ctx.set_state(1, next);
        ctx.RegisterEventTimeTimer(next);
      } else {
        ctx.set_state(0, 0);
      }
    }
    return fire ? TriggerResult::kFire : TriggerResult::kContinue;
  }
  TriggerResult OnProcessingTime(int64_t time, const TimeWindow& w,
                                 TriggerContext&) const override {
    return kind_ == TriggerKind::kProcessingTime &&
                   time == w.max_timestamp_millis
               ? TriggerResult::kFire
               : TriggerResult::kContinue;
  }
  void OnMerge(const TimeWindow& w,
               absl::Span<const absl::Span<const int64_t>> merged,
               TriggerContext& ctx) const override {
    const EventTime max = w.max_timestamp_millis;
    switch (kind_) {
      case TriggerKind::kEventTime:
        if (max > ctx.current_watermark_millis()) {
          ctx.RegisterEventTimeTimer(max);
        }
        break;
      case TriggerKind::kProcessingTime:
        if (max > ctx.current_processing_time_millis()) {
          ctx.RegisterProcessingTimeTimer(max);
        }
        break;
      case TriggerKind::kCount: {
        int64_t sum = 0;
        for (auto s : merged) sum = SaturatingAdd(sum, s[0]);
        ctx.set_state(0, sum);
        break;
      }
      case TriggerKind::kContinuousEventTime:
        if (max > ctx.current_watermark_millis()) {
          ctx.RegisterEventTimeTimer(max);
        }
        for (auto s : merged) {
          if (s[0] != 0 && (ctx.state(0) == 0 || s[1] < ctx.state(1))) {
            ctx.set_state(0, 1);
            ctx.set_state(1, s[1]);
          }
        }
        if (ctx.state(0) != 0) ctx.RegisterEventTimeTimer(ctx.state(1));
        break;
      case TriggerKind::kNever:
      case TriggerKind::kCustom:
        break;
    }
  }
  void Clear(const TimeWindow&, TriggerContext&) const override {
    // The operator drops the window's timers and state with it.
  }

 private:
  TriggerKind kind_;
  int64_t param_;
};

}  // namespace internal

// The context of one call into the trigger, for one window: the window
// with id `id` of key slot `slot`, whose trigger state is `*state` (sized
// `state_size()`).
template <typename Key, typename In, typename Agg, typename Hash>
class WindowOperator<Key, In, Agg, Hash>::CustomContext final
    : public TriggerContext {
 public:
  CustomContext(WindowOperator* op, uint32_t slot, uint64_t id,
                std::vector<int64_t>* state)
      : op_(op), slot_(slot), id_(id), state_(state->data()) {}
  CustomContext(WindowOperator* op, uint32_t slot, WinState& ws)
      : CustomContext(op, slot, ws.id, &ws.Extras().trigger_state) {}
  EventTime current_watermark_millis() const override {
    return op_->state_.watermark;
  }
  int64_t current_processing_time_millis() const override {
    return op_->env_->NowMillis();
  }
  void RegisterEventTimeTimer(EventTime t) override {
    op_->state_.custom_timers.Register(internal::TimerDomain::kEventTime, t,
                                       slot_, id_);
  }
  void RegisterProcessingTimeTimer(int64_t t) override {
    op_->state_.custom_timers.Register(internal::TimerDomain::kProcessingTime,
                                       t, slot_, id_);
  }
  void DeleteEventTimeTimer(EventTime t) override {
    op_->state_.custom_timers.Delete(internal::TimerDomain::kEventTime, t, id_);
  }
  void DeleteProcessingTimeTimer(int64_t t) override {
    op_->state_.custom_timers.Delete(internal::TimerDomain::kProcessingTime, t,
                                     id_);
  }
  int64_t state(int i) const override { return state_[i]; }
  void set_state(int i, int64_t value) override { state_[i] = value; }

 private:
  WindowOperator* op_;
  uint32_t slot_;
  uint64_t id_;
  int64_t* state_ = nullptr;
};

template <typename Key, typename In, typename Agg, typename Hash>
EventTime WindowOperator<Key, In, Agg, Hash>::CustomCleanupTime(
    const TimeWindow& w) const {
  if (!assigner_.is_event_time()) return w.max_timestamp_millis;
  return internal::SaturatingAdd(w.max_timestamp_millis, lateness_);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::RegisterCleanupTimer(
    uint32_t slot, const WinState& ws) {
  const EventTime cleanup = CustomCleanupTime(ws.window);
  if (cleanup == kMaxEventTime) return;  // never (Flink: Long.MAX_VALUE)
  state_.custom_timers.Register(assigner_.is_event_time()
                                    ? internal::TimerDomain::kEventTime
                                    : internal::TimerDomain::kProcessingTime,
                                cleanup, slot, ws.id);
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::WinState&
WindowOperator<Key, In, Agg, Hash>::AddCustomWindow(uint32_t slot,
                                                    const TimeWindow& w) {
  WinState& ws = state_.keys[slot].Add(WinState{w, agg_.CreateAccumulator()});
  ++state_.live;
  ws.id = state_.next_id++;
  ws.Extras().trigger_state.assign(custom_trigger_->state_size(), 0);
  return ws;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ApplyTriggerResult(uint32_t slot,
                                                            WinState& ws,
                                                            TriggerResult r) {
  if (r == TriggerResult::kFire && trigger_.purging()) {
    r = TriggerResult::kFireAndPurge;
  }
  if (r == TriggerResult::kFire || r == TriggerResult::kFireAndPurge) {
    // Purged and empty: nothing to emit (Flink).
    if (ws.has_data && evictor_.has_value()) {
      FireEvicting(state_.keys[slot], ws);
    } else if (ws.has_data) {
      EmitWindow(state_.keys[slot].key, ws.window, ws.acc);
    }
  }
  if (r == TriggerResult::kPurge || r == TriggerResult::kFireAndPurge) {
    if (ws.extras != nullptr) ClearElements(ws);
    ws.acc = agg_.CreateAccumulator();
    ws.has_data = false;
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::CustomElement(uint32_t slot,
                                                       WinState& ws,
                                                       const In& value,
                                                       EventTime ts) {
  AddToWindow(ws, value, ts);
  CustomContext ctx(this, slot, ws);
  const TriggerResult r = custom_trigger_->OnElement(ts, ws.window, ctx);
  ApplyTriggerResult(slot, ws, r);
  RegisterCleanupTimer(slot, ws);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::DropCustomWindow(uint32_t slot,
                                                          uint64_t id) {
  if (WinState* ws = state_.keys[slot].FindById(id)) {
    CustomContext ctx(this, slot, *ws);
    custom_trigger_->Clear(ws->window, ctx);
  }
  state_.custom_timers.DropWindow(id);
  EraseWindow(slot, id);
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::Status WindowOperator<Key, In, Agg, Hash>::ProcessCustom(const Key& key,
                                                               const In& value,
                                                               EventTime ts,
                                                               int64_t gap) {
  if (assigner_.is_merging()) {
    const TimeWindow w{ts,
                       internal::WindowMaxTimestamp(
                           ts, assigner_.kind() == WindowAssignerKind::kSession
                                   ? assigner_.size_
                                   : gap)};
    auto it = state_.slot_of.find(key);
    if (it == state_.slot_of.end() && IsWindowLate(w)) {
      Late(key, value, ts);  // no session to merge with: late by itself
      return absl::OkStatus();
    }
    const uint32_t slot =
        it != state_.slot_of.end() ? it->second.slot : SlotFor(key);
    ProcessCustomMerging(slot, value, ts, w);
    MaybeFreeSlot(slot);
    return absl::OkStatus();
  }
  assigned_.clear();
  if (assigner_.kind() == WindowAssignerKind::kCustom) {
    assigner_.custom()->AssignWindows(ts, env_->NowMillis(), &assigned_);
    for (const TimeWindow& w : assigned_) {
      if (w.start_millis > w.max_timestamp_millis) {
        return absl::InvalidArgumentError(absl::StrCat(
            "custom window assigner ", assigner_.custom()->name(), ": window [",
            w.start_millis, ", ", w.max_timestamp_millis,
            "] for the element at ", ts, " ends before it starts"));
      }
    }
  } else {
    assigner_.AssignWindows(
        ts, [this](const TimeWindow& w) { assigned_.push_back(w); });
  }
  if (assigned_.empty()) return absl::OkStatus();  // in no window: dropped
  const uint32_t slot = SlotFor(key);
  bool skipped = true;
  for (const TimeWindow& w : assigned_) {
    if (IsWindowLate(w)) continue;
    skipped = false;
    WinState* ws = state_.keys[slot].Find(w);
    if (ws == nullptr) ws = &AddCustomWindow(slot, w);
    CustomElement(slot, *ws, value, ts);
  }
  if (skipped) LateIfPastLateness(key, value, ts);
  MaybeFreeSlot(slot);
  return absl::OkStatus();
}

// Flink's merge function of its WindowOperator, over the operator's one
// merge mechanism (`internal::MergingWindowSet`): the merged window is a new
// window for the trigger (fresh id, so fresh trigger state and no timers)
// whose contents are those of the windows merged, kept in the first one's
// entry (its state window). The trigger's OnMerge sets the merged window up
// from the merged windows' states (in the key's list order), then each
// merged window is cleared and its timers and trigger state dropped. A new
// window inside one session leaves it as it is.
template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ProcessCustomMerging(
    uint32_t slot, const In& value, EventTime ts, const TimeWindow& w) {
  KeyState& ks = state_.keys[slot];
  const auto added =
      ks.Sessions().AddWindow(w, [&](const TimeWindow& merged, WinState& t,
                                     absl::Span<WinState* const> merged_away) {
        const uint64_t mid = state_.next_id++;
        std::vector<int64_t> merged_state(custom_trigger_->state_size(), 0);
        absl::InlinedVector<WinState*, 4> old;  // the windows merged
        old.push_back(&t);
        old.insert(old.end(), merged_away.begin(), merged_away.end());
        for (WinState* o : merged_away) {
          if (o->has_data) {
            MergeContents(t, *o);
            t.has_data = true;
          }
          --state_.live;
        }
        {
          absl::InlinedVector<absl::Span<const int64_t>, 4> states;
          for (WinState* o : old)
            states.emplace_back(o->Extras().trigger_state);
          CustomContext ctx(this, slot, mid, &merged_state);
          custom_trigger_->OnMerge(merged, states, ctx);
        }
        for (WinState* o : old) {
          {
            CustomContext ctx(this, slot, *o);
            custom_trigger_->Clear(o->window, ctx);
          }
          state_.custom_timers.DropWindow(o->id);
        }
        // The state window (its contents in place) is the merged window.
        t.id = mid;
        t.Extras().trigger_state = std::move(merged_state);
      });
  if (added.index == SessionSet::kNew) {
    if (IsWindowLate(w)) {
      if (internal::SaturatingAdd(ts, lateness_) <= state_.watermark) {
        Late(ks.key, value, ts);
      }
      return;
    }
    CustomElement(slot, AddCustomWindow(slot, w), value, ts);
    return;
  }
  // (Never late: it ends no earlier than a window that is not.)
  CustomElement(slot, ks.windows[added.index], value, ts);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::FireCustomTimers(
    internal::TimerDomain domain, int64_t upto) {
  internal::WindowTimerService::Timer t;
  while (state_.custom_timers.PopDue(domain, upto, &t)) {
    WinState* ws = state_.keys[t.slot].FindById(t.id);
    if (ws == nullptr) continue;
    CustomContext ctx(this, t.slot, *ws);
    const TriggerResult r =
        domain == internal::TimerDomain::kEventTime
            ? custom_trigger_->OnEventTime(t.time, ws->window, ctx)
            : custom_trigger_->OnProcessingTime(t.time, ws->window, ctx);
    ApplyTriggerResult(t.slot, *ws, r);
    const bool cleanup_domain = (domain == internal::TimerDomain::kEventTime) ==
                                assigner_.is_event_time();
    if (cleanup_domain && t.time == CustomCleanupTime(ws->window)) {
      DropCustomWindow(t.slot, t.id);
    }
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
template <typename DataWindow, typename DataTimer>
void WindowOperator<Key, In, Agg, Hash>::ExportCustomWindow(
    const WinState& ws, DataWindow* w, std::vector<DataTimer>* timers) const {
  if (ws.extras != nullptr) w->trigger_state = ws.extras->trigger_state;
  for (const auto& [domain, time] : state_.custom_timers.TimersOf(ws.id)) {
    timers->push_back(DataTimer{domain, time, ws.window.start_millis,
                                ws.window.max_timestamp_millis});
  }
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_CUSTOM_IMPL_H_
