// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Window triggers (Flink's Trigger): when a window's contents are emitted.
// Built-ins: event time, processing time, count, continuous event time,
// never, and a purging wrapper. Part of window.h; include that.
//
// Thread safety: triggers are immutable values, safe to share.

#ifndef BROOK_WINDOW_TRIGGER_H_
#define BROOK_WINDOW_TRIGGER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "brook/export.h"

namespace brook {

template <typename Key, typename In, typename Agg, typename Hash>
class WindowOperator;

enum class TriggerKind {
  kEventTime,            // fire when the watermark reaches the window's end
  kProcessingTime,       // fire when the clock reaches the window's end
  kCount,                // fire every `count` elements
  kContinuousEventTime,  // event time, plus early firings every `interval`
  kNever,                // never fire (the global window's default)
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
  // `inner`, purging the window's contents whenever it fires.
  static Trigger Purging(Trigger inner) {
    inner.purging_ = true;
    return inner;
  }

  TriggerKind kind() const { return kind_; }
  int64_t count() const { return param_; }
  // The continuous trigger's interval.
  absl::Duration interval() const { return absl::Milliseconds(param_); }
  bool purging() const { return purging_; }

 private:
  template <typename Key, typename In, typename Agg, typename Hash>
  friend class WindowOperator;
  Trigger(TriggerKind kind, int64_t param) : kind_(kind), param_(param) {}
  TriggerKind kind_;
  int64_t param_;
  bool purging_ = false;
};

// Flink's countWindow(n): a purging count trigger, for the global assigner.
// Returns kInvalidArgument unless count >= 1.
BROOK_EXPORT absl::StatusOr<Trigger> CountWindowTrigger(int64_t count);

}  // namespace brook

#endif  // BROOK_WINDOW_TRIGGER_H_
