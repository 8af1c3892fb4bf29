// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Window triggers (Flink's Trigger): when a window's contents are emitted.
// Built-ins: event time, processing time, count, continuous event time,
// never, and a purging wrapper; and custom triggers, written by implementing
// `CustomTrigger` (Flink's Trigger interface) against a `TriggerContext`.
// Part of window.h; include that.
//
// Thread safety: triggers are immutable values, safe to share; a
// `CustomTrigger` is shared by every key and window (its methods are const and
// keep their per-window state in the context), so it must be safe to call from
// the thread that drives each operator using it.

#ifndef BROOK_WINDOW_TRIGGER_H_
#define BROOK_WINDOW_TRIGGER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "brook/export.h"
#include "brook/watermark.h"

namespace brook {

template <typename Key, typename In, typename Agg, typename Hash>
class WindowOperator;
struct TimeWindow;

// What a trigger tells the operator to do with a window (Flink's
// TriggerResult). Purging clears the window's contents (its accumulator, or
// with an evictor its elements); the window itself, its trigger state and
// its timers stay until the window is cleaned up.
enum class TriggerResult {
  kContinue,      // nothing
  kFire,          // emit the window's result; keep the contents
  kPurge,         // clear the contents without emitting
  kFireAndPurge,  // emit, then clear
};

// What a custom trigger sees of the operator, for one key and one window
// (Flink's Trigger.TriggerContext). Valid only during the call it is passed
// to.
class BROOK_EXPORT TriggerContext {
 public:
  virtual ~TriggerContext() = default;

  // The operator's event time (the last watermark it advanced to;
  // kMinEventTime before the first).
  virtual EventTime current_watermark_millis() const = 0;
  // The clock of `WindowOptions::env`, in milliseconds since the epoch.
  virtual int64_t current_processing_time_millis() const = 0;

  // Timers of this key and window. An event-time timer calls `OnEventTime()`
  // once the watermark reaches `time_millis` (at once with the next advance
  // if it already has); a processing-time timer calls `OnProcessingTime()`
  // at the first `AdvanceProcessingTime()` at or after `time_millis` on the
  // clock. Registering a time already registered for the window keeps one
  // timer (Flink). Deleting a time not registered does nothing. When the
  // operator drops a window (cleanup at max_timestamp_millis + allowed
  // lateness, or merged into another session) it calls `Clear()` and then
  // drops every timer the window still has.
  virtual void RegisterEventTimeTimer(EventTime time_millis) = 0;
  virtual void RegisterProcessingTimeTimer(int64_t time_millis) = 0;
  virtual void DeleteEventTimeTimer(EventTime time_millis) = 0;
  virtual void DeleteProcessingTimeTimer(int64_t time_millis) = 0;

  // The trigger's per-window state: `CustomTrigger::state_size()` int64
  // values, zero in a new window, saved and restored with the operator's
  // state (`WindowOperator::SaveState()`). REQUIRES: 0 <= i < state_size().
  virtual int64_t state(int i) const = 0;
  virtual void set_state(int i, int64_t value) = 0;
};

// A trigger written by the user (Flink's Trigger). Built-in triggers are
// expressible this way too; the operator runs the built-ins on faster paths,
// with the same results.
//
// Differences from Flink, by design: callbacks get an element's timestamp,
// not the element (a trigger is not typed on the element); the per-window
// state is a fixed number of int64 values (a count, a time, a bit-cast
// double) so that it is saved with the operator's state without a codec;
// and a window's timers are dropped with the window (see `TriggerContext`).
class BROOK_EXPORT CustomTrigger {
 public:
  virtual ~CustomTrigger() = default;

  // Names the trigger and its parameters, e.g. "delta(threshold=5)". Saved
  // with the operator's state: state saved under one name restores only into
  // an operator whose trigger has the same name (kInvalidArgument otherwise).
  virtual std::string name() const = 0;
  // How many int64 values of state the trigger keeps per window, 0 to
  // `kMaxStateSize`.
  virtual int state_size() const { return 0; }
  static constexpr int kMaxStateSize = 16;

  // Called for every element added to `window`, after it is added; also for
  // a window already complete (max_timestamp_millis <= the watermark) but
  // not yet cleaned up: the trigger decides whether it fires again.
  virtual TriggerResult OnElement(EventTime timestamp_millis,
                                  const TimeWindow& window,
                                  TriggerContext& ctx) const = 0;
  // Called when an event-time timer of `window` is due, including the
  // operator's own cleanup timer (at max_timestamp_millis + allowed
  // lateness; after this call the window is dropped). Timers of one advance
  // are called in time order; windows due at the same time in any order.
  virtual TriggerResult OnEventTime(EventTime time_millis,
                                    const TimeWindow& window,
                                    TriggerContext& ctx) const = 0;
  // Called when a processing-time timer of `window` is due.
  virtual TriggerResult OnProcessingTime(int64_t time_millis,
                                         const TimeWindow& window,
                                         TriggerContext& ctx) const = 0;

  // Merging assigners (sessions) need triggers that can merge: a session
  // assigner with a trigger whose `CanMerge()` is false is refused by
  // `WindowOperator::Create()` with kInvalidArgument (Flink's rule).
  virtual bool CanMerge() const { return false; }
  // Called when sessions merge into `window`, before the merged-away windows
  // are cleared; `ctx` is the merged window's (a new window: its state
  // starts as zeros and it has no timers), and `merged_states` holds the
  // state of each window merged into it (all of them, in no set order).
  // Register the merged window's timers here (Flink's onMerge). Not called
  // when an element falls inside one session without extending it.
  virtual void OnMerge(
      const TimeWindow& window,
      absl::Span<const absl::Span<const int64_t>> merged_states,
      TriggerContext& ctx) const {
    (void)window;
    (void)merged_states;
    (void)ctx;
  }

  // Called when the operator drops `window`; delete timers and reset state
  // here (the operator drops what is left anyway).
  virtual void Clear(const TimeWindow& window, TriggerContext& ctx) const = 0;
};

enum class TriggerKind {
  kEventTime,            // fire when the watermark reaches the window's end
  kProcessingTime,       // fire when the clock reaches the window's end
  kCount,                // fire every `count` elements
  kContinuousEventTime,  // event time, plus early firings every `interval`
  kNever,                // never fire (the global window's default)
  kCustom,               // a `CustomTrigger`
};

// When a window's contents are emitted. A purging trigger clears the window's
// contents after each firing (its trigger state, such as a count, stays).
class BROOK_EXPORT Trigger {
 public:
  static Trigger EventTime() { return Trigger(TriggerKind::kEventTime, 0); }
  static Trigger ProcessingTime() {
    return Trigger(TriggerKind::kProcessingTime, 0);
  }
  static Trigger Never() { return Trigger(TriggerKind::kNever, 0); }
  // Returns kInvalidArgument unless count >= 1.
  static absl::StatusOr<Trigger> Count(int64_t count);
  // Fires at the window's end and every `interval` of event time before it
  // (at multiples of the interval; as Flink, the first one after an element
  // at `ts` is at `ts - ts % interval + interval`, with a remainder that
  // truncates toward zero). Early firings that fall due within one watermark
  // advance each fire, as in Flink, unless there would be more than
  // `kMaxEarlyFiringsPerAdvance` (1,000) of them: then they fire once (they
  // could not differ: no element arrives between them), so that a window as
  // wide as the global one ends at kMaxEventTime. A session merge keeps
  // the earliest pending early firing of the sessions it merges. Returns
  // kInvalidArgument, naming the value, unless `interval` is a positive whole
  // number of milliseconds.
  static absl::StatusOr<Trigger> ContinuousEventTime(absl::Duration interval);
  // The most early firings of one window a continuous trigger makes, each
  // in turn, in one watermark advance; more are coalesced into one.
  static constexpr int64_t kMaxEarlyFiringsPerAdvance = 1'000;
  // A user-written trigger. Returns kInvalidArgument if `trigger` is null,
  // its `name()` is empty, or its `state_size()` is outside
  // [0, CustomTrigger::kMaxStateSize].
  static absl::StatusOr<Trigger> Custom(
      std::shared_ptr<const CustomTrigger> trigger);
  // `inner`, purging the window's contents whenever it fires (a custom
  // trigger's kFire acts as kFireAndPurge).
  static Trigger Purging(Trigger inner) {
    inner.purging_ = true;
    return inner;
  }

  TriggerKind kind() const { return kind_; }
  int64_t count() const { return param_; }
  // The continuous trigger's interval.
  absl::Duration interval() const { return absl::Milliseconds(param_); }
  bool purging() const { return purging_; }
  // The custom trigger; null for the built-ins.
  const std::shared_ptr<const CustomTrigger>& custom() const { return custom_; }

 private:
  template <typename Key, typename In, typename Agg, typename Hash>
  friend class WindowOperator;
  Trigger(TriggerKind kind, int64_t param) : kind_(kind), param_(param) {}
  TriggerKind kind_;
  int64_t param_;
  bool purging_ = false;
  std::shared_ptr<const CustomTrigger> custom_;
};

// Flink's countWindow(n): a purging count trigger, for the global assigner.
// Returns kInvalidArgument unless count >= 1.
BROOK_EXPORT absl::StatusOr<Trigger> CountWindowTrigger(int64_t count);

}  // namespace brook

#endif  // BROOK_WINDOW_TRIGGER_H_
