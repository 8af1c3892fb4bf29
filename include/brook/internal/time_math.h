// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Overflow-safe arithmetic on event times, for the templates in window.h. Not
// API: may change without notice.
//
// Thread safety: pure functions.

#ifndef BROOK_INTERNAL_TIME_MATH_H_
#define BROOK_INTERNAL_TIME_MATH_H_

#include <cstdint>
#include <limits>

#include "absl/numeric/int128.h"

namespace brook {
namespace internal {

inline constexpr int64_t kTimeMin = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kTimeMax = std::numeric_limits<int64_t>::max();

// a + b clamped to the int64 range.
inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kTimeMax : kTimeMin;
  return r;
}

// a - b clamped to the int64 range.
inline int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? kTimeMax : kTimeMin;
  return r;
}

// `t` clamped to the int64 range.
inline int64_t ClampTime(absl::int128 t) {
  if (t < kTimeMin) return kTimeMin;
  if (t > kTimeMax) return kTimeMax;
  return static_cast<int64_t>(t);
}

// The last millisecond of a window that starts at `start` and lasts `size`
// (> 0) ms: start + size - 1, clamped to kTimeMax.
inline int64_t WindowMaxTimestamp(int64_t start, int64_t size) {
  absl::int128 m = absl::int128(start) + size - 1;
  return m > kTimeMax ? kTimeMax : static_cast<int64_t>(m);
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_INTERNAL_TIME_MATH_H_
