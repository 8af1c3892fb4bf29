// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/window.h"

#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace brook {
namespace {

// |v| < bound, without overflow for v == INT64_MIN. REQUIRES: bound > 0.
bool AbsBelow(int64_t v, int64_t bound) { return v > -bound && v < bound; }

// Sets `*out` to `d` in milliseconds, or returns kInvalidArgument naming
// `what` and `name` if `d` is not a whole number of milliseconds.
absl::Status WholeMillis(absl::Duration d, absl::string_view what,
                         absl::string_view name, int64_t* out) {
  *out = absl::ToInt64Milliseconds(d);
  if (absl::Milliseconds(*out) != d) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", name,
                                                   " must be a whole number of "
                                                   "milliseconds, got ",
                                                   absl::FormatDuration(d)));
  }
  return absl::OkStatus();
}

#define BROOK_RETURN_IF_ERROR_(expr)   \
  do {                                 \
    absl::Status status_ = (expr);     \
    if (!status_.ok()) return status_; \
  } while (false)

}  // namespace

absl::StatusOr<WindowAssigner> WindowAssigner::Tumbling(absl::Duration size,
                                                        absl::Duration offset) {
  int64_t size_ms, offset_ms;
  BROOK_RETURN_IF_ERROR_(
      WholeMillis(size, "tumbling window", "size", &size_ms));
  BROOK_RETURN_IF_ERROR_(
      WholeMillis(offset, "tumbling window", "offset", &offset_ms));
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

absl::StatusOr<WindowAssigner> WindowAssigner::Sliding(absl::Duration size,
                                                       absl::Duration slide,
                                                       absl::Duration offset) {
  int64_t size_ms, slide_ms, offset_ms;
  BROOK_RETURN_IF_ERROR_(WholeMillis(size, "sliding window", "size", &size_ms));
  BROOK_RETURN_IF_ERROR_(
      WholeMillis(slide, "sliding window", "slide", &slide_ms));
  BROOK_RETURN_IF_ERROR_(
      WholeMillis(offset, "sliding window", "offset", &offset_ms));
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

absl::StatusOr<WindowAssigner> WindowAssigner::Session(absl::Duration gap) {
  int64_t gap_ms;
  BROOK_RETURN_IF_ERROR_(WholeMillis(gap, "session window", "gap", &gap_ms));
  if (gap_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("session window: gap must be positive, got ", gap_ms));
  }
  return WindowAssigner(WindowAssignerKind::kSession, gap_ms, 0, 0);
}

WindowAssigner WindowAssigner::DynamicSession() {
  return WindowAssigner(WindowAssignerKind::kDynamicSession, 0, 0, 0);
}

absl::StatusOr<WindowAssigner> WindowAssigner::Cumulate(absl::Duration max_size,
                                                        absl::Duration step,
                                                        absl::Duration offset) {
  int64_t max_size_ms, step_ms, offset_ms;
  BROOK_RETURN_IF_ERROR_(
      WholeMillis(max_size, "cumulate window", "max_size", &max_size_ms));
  BROOK_RETURN_IF_ERROR_(
      WholeMillis(step, "cumulate window", "step", &step_ms));
  BROOK_RETURN_IF_ERROR_(
      WholeMillis(offset, "cumulate window", "offset", &offset_ms));
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

absl::StatusOr<WindowAssigner> WindowAssigner::Custom(
    std::shared_ptr<const CustomWindowAssigner> assigner) {
  if (assigner == nullptr) {
    return absl::InvalidArgumentError("custom window assigner: null");
  }
  if (assigner->name().empty()) {
    return absl::InvalidArgumentError(
        "custom window assigner: name() must not be empty");
  }
  WindowAssigner a(WindowAssignerKind::kCustom, 0, 0, 0);
  a.custom_ = std::move(assigner);
  return a;
}

absl::StatusOr<Trigger> Trigger::Custom(
    std::shared_ptr<const CustomTrigger> trigger) {
  if (trigger == nullptr) {
    return absl::InvalidArgumentError("custom trigger: null");
  }
  if (trigger->name().empty()) {
    return absl::InvalidArgumentError(
        "custom trigger: name() must not be empty");
  }
  const int size = trigger->state_size();
  if (size < 0 || size > CustomTrigger::kMaxStateSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "custom trigger ", trigger->name(), ": state_size() must be 0 to ",
        CustomTrigger::kMaxStateSize, ", got ", size));
  }
  Trigger t(TriggerKind::kCustom, 0);
  t.custom_ = std::move(trigger);
  return t;
}

absl::StatusOr<Evictor> Evictor::Count(int64_t max_count, bool evict_after) {
  if (max_count < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "count evictor: max_count must be at least 1, got ", max_count));
  }
  return Evictor(EvictorKind::kCount, max_count, evict_after);
}

absl::StatusOr<Evictor> Evictor::Time(absl::Duration window_size,
                                      bool evict_after) {
  int64_t size_ms;
  BROOK_RETURN_IF_ERROR_(
      WholeMillis(window_size, "time evictor", "window_size", &size_ms));
  if (size_ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time evictor: window_size must not be negative, got ", size_ms));
  }
  return Evictor(EvictorKind::kTime, size_ms, evict_after);
}

absl::StatusOr<Trigger> Trigger::Count(int64_t count) {
  if (count < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("count trigger: count must be at least 1, got ", count));
  }
  return Trigger(TriggerKind::kCount, count);
}

absl::StatusOr<Trigger> Trigger::ContinuousEventTime(absl::Duration interval) {
  int64_t interval_ms;
  BROOK_RETURN_IF_ERROR_(WholeMillis(interval, "continuous event-time trigger",
                                     "interval", &interval_ms));
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
  int64_t lateness_ms;
  BROOK_RETURN_IF_ERROR_(WholeMillis(options.allowed_lateness,
                                     "window operator", "allowed_lateness",
                                     &lateness_ms));
  if (lateness_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("window operator: allowed_lateness must not be negative, "
                     "got ",
                     absl::FormatDuration(options.allowed_lateness)));
  }
  return absl::OkStatus();
}

}  // namespace brook
