// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The logical state of a window operator: what its saved state holds, in
// terms of keys, windows, accumulators, trigger state and timers, with
// nothing of how the operator lays that out in memory (no slot numbers,
// generations, ids or stack indices). An operator exports its state to this
// form and imports it back; the byte encoding of this form (versioned, with
// the operator's shape, validated field by field on decode) lives beside it.
// Because the form is logical, state saved by one implementation of the
// operator restores into another with the same options.
//
// Not API: include "brook/window.h".

#ifndef BROOK_INTERNAL_WINDOW_STATE_H_
#define BROOK_INTERNAL_WINDOW_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"

namespace brook {
namespace internal {

// Which clock a timer runs on.
enum class TimerDomain : uint8_t {
  kEventTime = 0,
  kProcessingTime = 1,
};

// The options that shape an operator's state, as (name, value) pairs in a
// fixed order, e.g. {"assigner", "sliding(size=60000ms,slide=1000ms,
// offset=0ms)"}, {"trigger", "event_time"}, {"allowed_lateness", "0ms"},
// {"use_slicing", "true"}, {"evictor", "none"}. Saved with the state; a
// restore compares them pair by pair and names the first option that
// differs (kInvalidArgument). Options that do not shape state (callbacks,
// the clock) are not part of it.
struct WindowStateShape {
  std::vector<std::pair<std::string, std::string>> options;
};

// One element of a window of an operator with an evictor.
template <typename In>
struct TimestampedElement {
  int64_t timestamp_millis = 0;
  In value{};
};

// The contents of a window of an operator with an evictor: its elements in
// the order the evictors see them (insertion order; a merged session's are
// its sessions' lists, oldest session first).
template <typename In>
struct WindowElements {
  std::vector<TimestampedElement<In>> elements;
};

// `Acc` is what the operator keeps per key and window: the aggregate's
// accumulator, or with an evictor the window's elements with their
// timestamps (`WindowElements`).
template <typename Key, typename Acc>
struct WindowStateData {
  // One window of one key (for a merging assigner, the merged window). On the
  // sliced path, one slice (pane) of one key.
  struct Window {
    int64_t start_millis = 0;
    int64_t max_timestamp_millis = 0;  // inclusive
    // False once a purging trigger cleared the window's contents (Flink's
    // cleared window state): `acc` is then unused, and a firing emits
    // nothing until an element arrives. A window kept only for its trigger
    // state or timers.
    bool has_contents = true;
    Acc acc;
    // The trigger's per-window state, as the trigger keeps it through its
    // context (e.g. a count trigger's count). Empty for stateless triggers.
    std::vector<int64_t> trigger_state;
  };
  // A pending timer of one key, for one of its windows.
  struct Timer {
    TimerDomain domain = TimerDomain::kEventTime;
    int64_t time_millis = 0;
    int64_t window_start_millis = 0;
    int64_t window_max_timestamp_millis = 0;
  };
  struct KeyState {
    Key key;
    std::vector<Window> windows;  // by start, then max timestamp
    std::vector<Timer> timers;    // by time, then window
  };

  int64_t watermark_millis = INT64_MIN;
  int64_t dropped_late_elements = 0;
  int64_t late_elements_emitted = 0;
  std::vector<KeyState> keys;  // keys holding state, in any order

  // Sliced path only (`windows` then hold slices): the start of the next
  // window to fire and of the last one fired, in 128 bits because near the
  // ends of the int64 range a sliding window may start outside it.
  std::optional<absl::int128> sliced_next_window_start;
  std::optional<absl::int128> sliced_last_fired_start;
  // Sliced cumulate windows only (format version 2): the next window to fire
  // is (`sliced_next_window_start`, the epoch's start; this, its unclamped
  // max timestamp), since all windows of an epoch share their start. Never
  // with `sliced_last_fired_start`.
  std::optional<absl::int128> sliced_next_window_max;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_STATE_H_
