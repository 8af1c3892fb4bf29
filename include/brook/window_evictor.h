// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Window evictors (Flink's Evictor): remove elements from a window's contents
// when it fires, before or after the result is computed. Built-ins: count and
// time, with Flink's CountEvictor and TimeEvictor semantics. Part of window.h;
// include that.
//
// An operator with an evictor keeps each window's elements (with their
// timestamps) instead of an accumulator, and aggregates them at each firing,
// as Flink's EvictingWindowOperator does: memory O(elements), a firing
// O(elements in the window). It never uses the sliced or hot-window fast
// paths. A firing:
//   1. evicts (unless `evict_after`) from the window's elements, in the
//      order they were added;
//   2. aggregates the rest with the operator's aggregate (CreateAccumulator,
//      Add each, GetResult) and emits the result. If every element was
//      evicted, that is the result of an empty accumulator (Flink's window
//      function sees an empty iterable), e.g. 0 for a count;
//   3. evicts (if `evict_after`), and keeps what remains for the next
//      firing (a late one too: window.h rule 3); a purging trigger then
//      drops all of it.
// A window with no elements left (purged, or emptied by an earlier firing)
// emits nothing when it fires, until an element arrives (Flink: no list
// state). Merged sessions concatenate their lists, the oldest session's
// first (Flink appends the merged windows' lists in an order its hash set
// decides), then the new element. Allowed lateness, late elements and
// cleanup are as without an evictor.
//
// Saved state (`WindowOperator::SaveState()`) holds the elements, so an
// operator with an evictor needs `Codec<In>` (codec.h): `Create()` returns
// kInvalidArgument for an evictor when `In` has none (an operator without
// an evictor never needs it).
//
// Example (Flink's countWindow(100, 10): every 10 elements of a key, the
// last 100):
//   options.assigner = brook::WindowAssigner::Global();
//   options.trigger = *brook::Trigger::Count(10);
//   options.evictor = *brook::Evictor::Count(100);
//
// Thread safety: evictors are immutable values, safe to share.

#ifndef BROOK_WINDOW_EVICTOR_H_
#define BROOK_WINDOW_EVICTOR_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "brook/export.h"

namespace brook {

enum class EvictorKind {
  kCount,  // keep the last `max_count` elements
  kTime,   // keep elements within `window_size` of the newest one
};

class BROOK_EXPORT Evictor {
 public:
  // Flink's CountEvictor: when a window fires, if it holds more than
  // `max_count` elements, removes the oldest (first added) ones until
  // `max_count` remain. Flink's sliding count window, countWindow(size,
  // slide), is the global assigner with `Trigger::Count(slide)` and
  // `Evictor::Count(size)`. Before the result is computed, or after it if
  // `evict_after`. Returns kInvalidArgument unless max_count >= 1.
  static absl::StatusOr<Evictor> Count(int64_t max_count,
                                       bool evict_after = false);
  // Flink's TimeEvictor: when a window fires, removes every element whose
  // timestamp is at or before (newest timestamp in the window) -
  // `window_size`, whatever order they arrived in. Before the result is
  // computed, or after it if `evict_after`. Zero removes every element. No
  // element is removed when the cutoff would be below the int64 range (where
  // Flink's subtraction wraps). Returns kInvalidArgument unless
  // `window_size` is a non-negative whole number of milliseconds.
  static absl::StatusOr<Evictor> Time(absl::Duration window_size,
                                      bool evict_after = false);

  EvictorKind kind() const { return kind_; }
  // kCount
  int64_t max_count() const { return param_; }
  // kTime
  absl::Duration window_size() const { return absl::Milliseconds(param_); }
  bool evict_after() const { return evict_after_; }

 private:
  Evictor(EvictorKind kind, int64_t param, bool evict_after)
      : kind_(kind), param_(param), evict_after_(evict_after) {}
  EvictorKind kind_;
  int64_t param_;
  bool evict_after_;
};

}  // namespace brook

#endif  // BROOK_WINDOW_EVICTOR_H_
