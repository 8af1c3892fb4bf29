// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `MergingWindowSet`: Flink's MergingWindowSet for one key's session
// windows, the one merge mechanism of the window operator (window.h). Both
// the built-in session path (window_operator_impl.h) and the generic path
// of custom triggers (window_custom_impl.h) add session windows through it;
// they differ only in their merge callbacks. Not API: include
// "brook/window.h".
//
// Flink maps each window to a "state window", the namespace its contents
// live under, so that a merge needs no state copy: the merged window takes
// the state window of one of the windows it merged and the other state
// windows are merged into that one. In brook a window's contents live in its
// entry in the key's list, so the entry is the state window: a merge keeps
// the entry of the first merged window (in list order), merges the others'
// contents into it (the callback's part), removes them from the list and
// gives the entry the merged window.
//
// Thread safety: none; a view of the caller's list, used by one thread.
// Cost: `AddWindow()` is O(windows of the key) and does not allocate for up
// to four windows merged at once.

#ifndef BROOK_INTERNAL_WINDOW_MERGING_SET_H_
#define BROOK_INTERNAL_WINDOW_MERGING_SET_H_

#include <algorithm>
#include <cstddef>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"

#include "brook/window_assigner.h"

namespace brook {
namespace internal {

// A view of one key's session windows: `Windows` is a vector-like list of
// entries with a `TimeWindow window` member. Invariant (kept by adding every
// window through `AddWindow()`): no two windows of the list overlap or touch.
template <typename Windows>
class MergingWindowSet {
 public:
  using Entry = typename Windows::value_type;
  // The index `AddWindow()` returns for a window that touches no other.
  static constexpr size_t kNew = static_cast<size_t>(-1);

  struct Added {
    // The entry (its index in the list) now holding the added window, or
    // `kNew`: the window touches none and the caller adds it itself (or
    // routes its element as late).
    size_t index = kNew;
    // True if windows were merged or the entry's window grew: the entry's
    // window is then the merged one and its timers need a look.
    bool merged = false;
  };

  explicit MergingWindowSet(Windows* windows) : windows_(*windows) {}

  // Adds the session window `w` of a new element. Every window of the list
  // that overlaps or touches `w` merges with it into one window: their
  // union with `w` (the windows of a key never touch each other, so none of
  // them touches anything else). If `w` lies inside one window, nothing
  // changes and that window is returned. Else, before the list changes,
  // calls
  //   merge(const TimeWindow& merged, Entry& state_window,
  //         absl::Span<Entry* const> merged_away)
  // where `state_window` is the first merged window's entry (still with its
  // old window) and `merged_away` the others' entries, in list order (empty
  // if `w` only extends `state_window`). The callback merges their contents
  // into `state_window`; it must not add or remove entries. Then the
  // entries of `merged_away` are removed (the last entry moves into a freed
  // place) and `state_window` gets the merged window.
  template <typename MergeFn>
  Added AddWindow(const TimeWindow& w, MergeFn&& merge) {
    size_t first = kNew;
    for (size_t i = 0; i < windows_.size(); ++i) {
      if (SessionsTouch(windows_[i].window, w)) {
        first = i;
        break;
      }
    }
    if (first == kNew) return Added{};
    // The common case, checked before anything is built: `w` lies inside
    // the first window it touches. No other window can touch `w` then (it
    // would touch that window too), so nothing merges.
    const TimeWindow& x = windows_[first].window;
    if (x.start_millis <= w.start_millis &&
        w.max_timestamp_millis <= x.max_timestamp_millis) {
      return Added{first, false};
    }
    TimeWindow result = w;
    result.start_millis = std::min(result.start_millis, x.start_millis);
    result.max_timestamp_millis =
        std::max(result.max_timestamp_millis, x.max_timestamp_millis);
    absl::InlinedVector<Entry*, 4> away;
    for (size_t i = first + 1; i < windows_.size(); ++i) {
      const TimeWindow& y = windows_[i].window;
      if (!SessionsTouch(y, w)) continue;
      result.start_millis = std::min(result.start_millis, y.start_millis);
      result.max_timestamp_millis =
          std::max(result.max_timestamp_millis, y.max_timestamp_millis);
      away.push_back(&windows_[i]);
    }
    Entry& state_window = windows_[first];
    if (away.empty() && state_window.window == result) {
      return Added{first, false};
    }
    merge(static_cast<const TimeWindow&>(result), state_window,
          absl::Span<Entry* const>(away));
    // Remove from the back, so that no entry still to remove moves (and the
    // state window, before all of them, never does).
    for (size_t k = away.size(); k-- > 0;) {
      const size_t i = static_cast<size_t>(away[k] - windows_.data());
      if (i + 1 != windows_.size()) windows_[i] = std::move(windows_.back());
      windows_.pop_back();
    }
    windows_[first].window = result;
    return Added{first, true};
  }

 private:
  Windows& windows_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_MERGING_SET_H_
