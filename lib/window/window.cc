// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/window.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace brook {
namespace {

// |v| < bound, without overflow for v == INT64_MIN. REQUIRES: bound > 0.
bool AbsBelow(int64_t v, int64_t bound) { return v > -bound && v < bound; }

}  // namespace

absl::StatusOr<WindowAssigner> WindowAssigner::Tumbling(int64_t size_ms,
                                                        int64_t offset_ms) {
  if (size_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tumbling window: size must be positive, got ", size_ms));
  }
  if (!AbsBelow(offset_ms, size_ms)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tumbling window: |offset| must be less than size ",
                     size_ms, ", got ", offset_ms));
  }
  return WindowAssigner(WindowAssignerKind::kTumbling, size_ms, size_ms,
                        offset_ms);
}

absl::StatusOr<WindowAssigner> WindowAssigner::Sliding(int64_t size_ms,
                                                       int64_t slide_ms,
                                                       int64_t offset_ms) {
  if (size_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sliding window: size must be positive, got ", size_ms));
  }
  if (slide_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sliding window: slide must be positive, got ", slide_ms));
  }
  if (!AbsBelow(offset_ms, slide_ms)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sliding window: |offset| must be less than slide ",
                     slide_ms, ", got ", offset_ms));
  }
  // Flink's limit: an element in more than ten million windows is refused
  // (size / slide, exactly: size > limit * slide).
  constexpr int64_t kMaxWindowsPerElement = 10'000'000;
  if (size_ms / slide_ms > kMaxWindowsPerElement ||
      (size_ms / slide_ms == kMaxWindowsPerElement &&
       size_ms % slide_ms != 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sliding window: size / slide must be at most ", kMaxWindowsPerElement,
        " windows per element, got size ", size_ms, " and slide ", slide_ms));
  }
  return WindowAssigner(WindowAssignerKind::kSliding, size_ms, slide_ms,
                        offset_ms);
}

absl::StatusOr<WindowAssigner> WindowAssigner::Session(int64_t gap_ms) {
  if (gap_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("session window: gap must be positive, got ", gap_ms));
  }
  return WindowAssigner(WindowAssignerKind::kSession, gap_ms, 0, 0);
}

WindowAssigner WindowAssigner::DynamicSession() {
  return WindowAssigner(WindowAssignerKind::kDynamicSession, 0, 0, 0);
}

absl::StatusOr<WindowAssigner> WindowAssigner::Cumulate(int64_t max_size_ms,
                                                        int64_t step_ms,
                                                        int64_t offset_ms) {
  if (step_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cumulate window: step must be positive, got ", step_ms));
  }
  if (max_size_ms <= 0 || max_size_ms % step_ms != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cumulate window: max size must be a positive multiple of step ",
        step_ms, ", got ", max_size_ms));
  }
  if (!AbsBelow(offset_ms, max_size_ms)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cumulate window: |offset| must be less than max size ",
                     max_size_ms, ", got ", offset_ms));
  }
  return WindowAssigner(WindowAssignerKind::kCumulate, max_size_ms, step_ms,
                        offset_ms);
}

WindowAssigner WindowAssigner::Global() {
  return WindowAssigner(WindowAssignerKind::kGlobal, 0, 0, 0);
}

absl::StatusOr<Trigger> Trigger::Count(int64_t count) {
  if (count < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("count trigger: count must be at least 1, got ", count));
  }
  return Trigger(TriggerKind::kCount, count);
}

absl::StatusOr<Trigger> Trigger::ContinuousEventTime(int64_t interval_ms) {
  if (interval_ms < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "continuous event-time trigger: interval must be at least 1 ms, got ",
        interval_ms));
  }
  return Trigger(TriggerKind::kContinuousEventTime, interval_ms);
}

absl::StatusOr<Trigger> CountWindowTrigger(int64_t count) {
  absl::StatusOr<Trigger> t = Trigger::Count(count);
  if (!t.ok()) return t.status();
  return Trigger::Purging(*t);
}

WindowAssigner WindowOptions::DefaultAssigner() {
  return WindowAssigner(WindowAssignerKind::kTumbling, 60'000, 60'000, 0);
}

absl::Status ValidateWindowOptions(const WindowOptions& options) {
  if (options.allowed_lateness_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("window operator: allowed lateness must not be negative, "
                     "got ",
                     options.allowed_lateness_ms));
  }
  return absl::OkStatus();
}

}  // namespace brook
