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
// paths. Its saved state holds the elements, so it needs `Codec<In>`.
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
  // `max_count` remain. Before the result is computed, or after it if
  // `evict_after`. Returns kInvalidArgument unless max_count >= 1.
  static absl::StatusOr<Evictor> Count(int64_t max_count,
                                       bool evict_after = false);
  // Flink's TimeEvictor: when a window fires, removes every element whose
  // timestamp is at or before (newest timestamp in the window) -
  // `window_size`. Before the result is computed, or after it if
  // `evict_after`. Returns kInvalidArgument unless `window_size` is a
  // non-negative whole number of milliseconds.
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
