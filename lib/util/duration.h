// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Durations at the public API are `absl::Duration`; where brook stores them as
// milliseconds (options, STREAM metadata, the retention clock) they must be a
// whole number of milliseconds in a stated range. This is the one check.
//
// Thread safety: pure functions.

#ifndef BROOK_LIB_UTIL_DURATION_H_
#define BROOK_LIB_UTIL_DURATION_H_

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace brook {
namespace internal {

// Returns `d` in milliseconds, or kInvalidArgument naming `context` and
// `option` and the value when `d` is infinite, not a whole number of
// milliseconds, or below `min_millis`, e.g. "stream s: retention_period must
// be a whole number of milliseconds, got 1.5ms". Every whole number of
// milliseconds up to INT64_MAX is accepted above the minimum.
inline absl::StatusOr<int64_t> WholeMillis(absl::string_view context,
                                           absl::string_view option,
                                           absl::Duration d,
                                           int64_t min_millis) {
  const auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        context, option, " must be ", what, ", got ", absl::FormatDuration(d)));
  };
  if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) {
    return bad("finite");
  }
  if (d % absl::Milliseconds(1) != absl::ZeroDuration()) {
    return bad("a whole number of milliseconds");
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (d > absl::Milliseconds(kMax)) {
    return bad(absl::StrCat("at most ", kMax, "ms"));
  }
  const int64_t millis = absl::ToInt64Milliseconds(d);
  if (millis < min_millis) {
    return bad(absl::StrCat("at least ", min_millis, "ms"));
  }
  return millis;
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_DURATION_H_
