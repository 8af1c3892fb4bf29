// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Window assigners (Flink's WindowAssigner): which windows of event time an
// element belongs to. Built-ins: tumbling, sliding, session (static or
// dynamic gap), cumulate and global; and custom non-merging assigners,
// written by implementing `CustomWindowAssigner`. Part of window.h; include
// that.
//
// Thread safety: assigners are immutable values, safe to share; a
// `CustomWindowAssigner` is shared by every copy and operator using it, so its
// const methods must be safe to call from each operator's thread.

#ifndef BROOK_WINDOW_ASSIGNER_H_
#define BROOK_WINDOW_ASSIGNER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "brook/export.h"
#include "brook/internal/time_math.h"
#include "brook/watermark.h"

namespace brook {

template <typename Key, typename In, typename Agg, typename Hash>
class WindowOperator;

// A window of event time: `start_millis` .. `max_timestamp_millis`, both
// inclusive, in milliseconds since the Unix epoch.
struct TimeWindow {
  EventTime start_millis = 0;
  EventTime max_timestamp_millis = 0;

  // One past `max_timestamp_millis` (Flink's exclusive end), saturating at
  // kMaxEventTime for a window that reaches the top of the range.
  EventTime end_millis() const {
    return internal::SaturatingAdd(max_timestamp_millis, 1);
  }
  bool Contains(EventTime timestamp_millis) const {
    return start_millis <= timestamp_millis &&
           timestamp_millis <= max_timestamp_millis;
  }

  friend bool operator==(const TimeWindow& a, const TimeWindow& b) {
    return a.start_millis == b.start_millis &&
           a.max_timestamp_millis == b.max_timestamp_millis;
  }
  friend bool operator!=(const TimeWindow& a, const TimeWindow& b) {
    return !(a == b);
  }
  friend bool operator<(const TimeWindow& a, const TimeWindow& b) {
    return a.start_millis != b.start_millis
               ? a.start_millis < b.start_millis
               : a.max_timestamp_millis < b.max_timestamp_millis;
  }
};

enum class WindowAssignerKind {
  kTumbling,
  kSliding,
  kSession,         // static gap
  kDynamicSession,  // gap per element, from `WindowFunctions::session_gap`
  kCumulate,
  kGlobal,
  kCustom,  // a `CustomWindowAssigner`
};

// A non-merging window assigner written by the user (Flink's WindowAssigner
// for windows that never merge).
class BROOK_EXPORT CustomWindowAssigner {
 public:
  virtual ~CustomWindowAssigner() = default;

  // Names the assigner and its parameters, e.g. "calendar_month(tz=UTC)".
  // Saved with the operator's state: state saved under one name restores
  // only into an operator whose assigner has the same name
  // (kInvalidArgument otherwise).
  virtual std::string name() const = 0;
  // Appends to `windows` every window an element belongs to: for an
  // event-time assigner the element's `timestamp_millis`, otherwise (see
  // `is_event_time()`) the processing time `now_millis` decides. Each window
  // needs start_millis <= max_timestamp_millis (else the element is refused
  // with kInvalidArgument); it need not hold the timestamp. No windows: the
  // element is dropped (not late). Called once per element: keep it cheap.
  virtual void AssignWindows(EventTime timestamp_millis, int64_t now_millis,
                             std::vector<TimeWindow>* windows) const = 0;
  // True (the default) if windows are in event time: they fire by the
  // watermark, are late by it, and are cleaned up at max_timestamp_millis +
  // allowed lateness; the default trigger is the event-time one. False for
  // processing-time windows: the default trigger is the processing-time one,
  // no element is late, and a window is dropped once the clock passes its
  // max_timestamp_millis.
  virtual bool is_event_time() const { return true; }
};

// Puts an element's timestamp into windows. Build one with a factory; invalid
// parameters are rejected there with kInvalidArgument. Every duration
// (size, slide, offset, gap, max_size, step) must be a whole number of
// milliseconds, else kInvalidArgument naming the parameter and the value.
class BROOK_EXPORT WindowAssigner {
 public:
  // Windows [offset + k*size, offset + (k+1)*size). Requires size > 0 and
  // |offset| < size.
  static absl::StatusOr<WindowAssigner> Tumbling(
      absl::Duration size, absl::Duration offset = absl::ZeroDuration());
  // Windows of `size` starting every `slide` (at offset + k*slide); an
  // element belongs to each window whose start is in (ts - size, ts]. A slide
  // larger than the size leaves gaps whose elements belong to no window.
  // Requires size > 0, slide > 0, |offset| < slide and, as Flink, at most
  // ten million windows per element (size / slide <= 10'000'000).
  static absl::StatusOr<WindowAssigner> Sliding(
      absl::Duration size, absl::Duration slide,
      absl::Duration offset = absl::ZeroDuration());
  // Each element opens [ts, ts + gap); windows that overlap or touch merge.
  // Requires gap > 0.
  static absl::StatusOr<WindowAssigner> Session(absl::Duration gap);
  // As `Session`, with the gap of each element given by the operator's
  // `session_gap` function.
  static WindowAssigner DynamicSession();
  // Flink SQL's CUMULATE: epochs [offset + k*max_size, ...) and, in each,
  // windows [epoch, epoch + j*step) for j = 1 .. max_size/step (near the
  // int64 maximum, up to the first one clamped to it). Requires
  // step > 0, max_size > 0, max_size a multiple of step and
  // |offset| < max_size.
  static absl::StatusOr<WindowAssigner> Cumulate(
      absl::Duration max_size, absl::Duration step,
      absl::Duration offset = absl::ZeroDuration());
  // One window per key holding all time. Its default trigger never fires:
  // pair it with a count trigger (see `CountWindowTrigger()`).
  static WindowAssigner Global();
  // A user-written non-merging assigner. Returns kInvalidArgument if
  // `assigner` is null or its `name()` is empty.
  static absl::StatusOr<WindowAssigner> Custom(
      std::shared_ptr<const CustomWindowAssigner> assigner);

  WindowAssignerKind kind() const { return kind_; }
  // tumbling, sliding; cumulate max_size
  absl::Duration size() const { return absl::Milliseconds(size_); }
  // sliding; cumulate step
  absl::Duration slide() const { return absl::Milliseconds(slide_); }
  // tumbling, sliding, cumulate
  absl::Duration offset() const { return absl::Milliseconds(offset_); }
  // session (static gap)
  absl::Duration gap() const { return absl::Milliseconds(size_); }
  bool is_merging() const {
    return kind_ == WindowAssignerKind::kSession ||
           kind_ == WindowAssignerKind::kDynamicSession;
  }
  // False for the global assigner, whose window never ends, and for a
  // custom assigner that says so.
  bool is_event_time() const {
    return kind_ == WindowAssignerKind::kCustom
               ? custom_->is_event_time()
               : kind_ != WindowAssignerKind::kGlobal;
  }
  // The custom assigner; null for the built-ins.
  const std::shared_ptr<const CustomWindowAssigner>& custom() const {
    return custom_;
  }

  // Calls `emit(TimeWindow)` for each window that holds `timestamp_millis`,
  // the earliest start first (sliding: latest start first). A session window
  // is [timestamp_millis, timestamp_millis + gap); `gap` (whole
  // milliseconds, > 0) is used only by dynamic sessions. Cost: O(windows
  // emitted).
  template <typename F>
  void AssignWindows(EventTime timestamp_millis, F&& emit,
                     absl::Duration gap = absl::ZeroDuration()) const;
  // The same, collected; for tests and tools.
  std::vector<TimeWindow> WindowsFor(
      EventTime timestamp_millis,
      absl::Duration gap = absl::ZeroDuration()) const {
    std::vector<TimeWindow> out;
    AssignWindows(
        timestamp_millis, [&out](const TimeWindow& w) { out.push_back(w); },
        gap);
    return out;
  }

  // The window of `size` whose start is `offset` plus a whole number of
  // sizes (Flink's TimeWindow.getWindowStartWithOffset) that holds
  // `timestamp_millis`, clamped to the int64 range. REQUIRES: `size` is a
  // positive whole number of milliseconds, `offset` a whole number of them
  // (a fraction is truncated toward zero). Cost: O(1).
  static TimeWindow AlignedWindow(EventTime timestamp_millis,
                                  absl::Duration offset, absl::Duration size);

 private:
  friend struct WindowOptions;
  template <typename Key, typename In, typename Agg, typename Hash>
  friend class WindowOperator;
  WindowAssigner(WindowAssignerKind kind, int64_t size, int64_t slide,
                 int64_t offset)
      : kind_(kind), size_(size), slide_(slide), offset_(offset) {}

  WindowAssignerKind kind_;
  int64_t size_;
  int64_t slide_;
  int64_t offset_;
  std::shared_ptr<const CustomWindowAssigner> custom_;
};

// --- Definitions of the templates above ---

namespace internal {

// True if two windows overlap or touch: sessions that do merge.
inline bool SessionsTouch(const TimeWindow& x, const TimeWindow& y) {
  return x.start_millis <= SaturatingAdd(y.max_timestamp_millis, 1) &&
         y.start_millis <= SaturatingAdd(x.max_timestamp_millis, 1);
}

// Largest start <= t with start == offset (mod size), unclamped.
inline absl::int128 AlignDown128(absl::int128 t, int64_t offset, int64_t size) {
  absl::int128 r = (t - offset) % size;
  return r < 0 ? t - (r + size) : t - r;
}

// Smallest start >= t with start == offset (mod size), unclamped.
inline absl::int128 AlignUp128(absl::int128 t, int64_t offset, int64_t size) {
  absl::int128 s = AlignDown128(t, offset, size);
  return s < t ? s + size : s;
}

// `WindowAssigner::AlignedWindow()` over milliseconds, for the operator's
// element path. REQUIRES: size_millis > 0.
inline TimeWindow AlignedWindowMillis(EventTime ts, int64_t offset_millis,
                                      int64_t size_millis) {
  const int64_t offset = offset_millis, size = size_millis;
  int64_t d, start, max_ts;
  // Fast path: everything fits in int64.
  if (!__builtin_sub_overflow(ts, offset, &d)) {
    int64_t r = d % size;
    if (!__builtin_sub_overflow(ts, r < 0 ? r + size : r, &start) &&
        !__builtin_add_overflow(start, size - 1, &max_ts)) {
      return TimeWindow{start, max_ts};
    }
  }
  absl::int128 s = AlignDown128(ts, offset, size);
  return TimeWindow{ClampTime(s), ClampTime(s + size - 1)};
}

}  // namespace internal

inline TimeWindow WindowAssigner::AlignedWindow(EventTime timestamp_millis,
                                                absl::Duration offset,
                                                absl::Duration size) {
  return internal::AlignedWindowMillis(timestamp_millis,
                                       absl::ToInt64Milliseconds(offset),
                                       absl::ToInt64Milliseconds(size));
}

template <typename F>
void WindowAssigner::AssignWindows(EventTime timestamp_millis, F&& emit,
                                   absl::Duration gap) const {
  const EventTime ts = timestamp_millis;
  switch (kind_) {
    case WindowAssignerKind::kTumbling:
      emit(internal::AlignedWindowMillis(ts, offset_, size_));
      return;
    case WindowAssignerKind::kSliding: {
      absl::int128 last = internal::AlignDown128(ts, offset_, slide_);
      for (absl::int128 s = last; s > absl::int128(ts) - size_; s -= slide_) {
        emit(TimeWindow{internal::ClampTime(s),
                        internal::ClampTime(s + size_ - 1)});
      }
      return;
    }
    case WindowAssignerKind::kCumulate: {
      absl::int128 epoch = internal::AlignDown128(ts, offset_, size_);
      int64_t steps = size_ / slide_;
      int64_t first = static_cast<int64_t>((ts - epoch) / slide_) + 1;
      for (int64_t j = first; j <= steps; ++j) {
        const absl::int128 max = epoch + absl::int128(j) * slide_ - 1;
        emit(TimeWindow{internal::ClampTime(epoch), internal::ClampTime(max)});
        // Past the int64 maximum every later window clamps to this one: it
        // is one window, and holds the element once.
        if (max >= internal::kTimeMax) break;
      }
      return;
    }
    case WindowAssignerKind::kSession:
      emit(TimeWindow{ts, internal::WindowMaxTimestamp(ts, size_)});
      return;
    case WindowAssignerKind::kDynamicSession:
      emit(TimeWindow{ts, internal::WindowMaxTimestamp(
                              ts, absl::ToInt64Milliseconds(gap))});
      return;
    case WindowAssignerKind::kGlobal:
      emit(TimeWindow{kMinEventTime, kMaxEventTime});
      return;
    case WindowAssignerKind::kCustom: {
      // For tools and tests; the operator calls the custom assigner itself,
      // with the processing time.
      std::vector<TimeWindow> windows;
      custom_->AssignWindows(ts, /*now_millis=*/0, &windows);
      for (const TimeWindow& w : windows) emit(w);
      return;
    }
  }
}

}  // namespace brook

#endif  // BROOK_WINDOW_ASSIGNER_H_
