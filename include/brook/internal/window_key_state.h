// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `KeyWindowState`: the state of one key's windows in the window operator
// (window.h), on its unsliced and generic paths: the key, its windows (each
// entry holds its window's contents, trigger state and timer bookkeeping),
// the generation that invalidates the timers of a freed key slot, and the
// lookups the paths make. Sessions are added through `Sessions()`, the
// operator's one merge mechanism (window_merging_set.h). The sliced path
// keeps its state in slice columns instead (window_sliced_impl.h). Not API:
// include "brook/window.h".
//
// Thread safety: none; owned by one operator, used by one thread.
// Cost: lookups are O(windows of the key), which is small (one for
// tumbling windows and sessions, size/slide for sliding ones); a key with
// one window holds it inline (no allocation).

#ifndef BROOK_INTERNAL_WINDOW_KEY_STATE_H_
#define BROOK_INTERNAL_WINDOW_KEY_STATE_H_

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/container/inlined_vector.h"

#include "brook/internal/window_merging_set.h"
#include "brook/window_assigner.h"

namespace brook {
namespace internal {

// `Window` is the operator's entry for one window: it has a `TimeWindow
// window` and a `uint64_t id` (unique in the operator; timers name windows
// by it). Invariants: the ids of a key's windows are distinct, and so are
// their windows; sessions neither overlap nor touch.
template <typename Key, typename Window>
struct KeyWindowState {
  using Windows = absl::InlinedVector<Window, 1>;
  using SessionSet = MergingWindowSet<Windows>;
  static constexpr size_t kNoHint = static_cast<size_t>(-1);

  Key key;
  // Bumped when the key's slot is freed; a timer set under another
  // generation is stale.
  uint32_t gen = 0;
  // In no particular order.
  Windows windows;

  // Makes the state that of a new key `k` (a reused slot keeps its
  // generation).
  void Reset(const Key& k) {
    key = k;
    windows.clear();
  }

  // The entry of window `w`, or null. Looks at the newest windows first.
  Window* Find(const TimeWindow& w) {
    for (size_t i = windows.size(); i-- > 0;) {
      if (windows[i].window == w) return &windows[i];
    }
    return nullptr;
  }
  // As `Find()`, looking first beside the entry at `*hint` (if not
  // `kNoHint`): an element's windows (sliding, cumulate) usually sit next to
  // each other in the list, in the order they are assigned or its reverse.
  // Sets `*hint` to the entry found.
  Window* FindNear(const TimeWindow& w, size_t* hint) {
    const size_t h = *hint;
    Window* found = nullptr;
    if (h != kNoHint && h > 0 && windows[h - 1].window == w) {
      found = &windows[h - 1];
    } else if (h != kNoHint && h + 1 < windows.size() &&
               windows[h + 1].window == w) {
      found = &windows[h + 1];
    } else {
      found = Find(w);
    }
    if (found != nullptr) *hint = static_cast<size_t>(found - windows.data());
    return found;
  }
  // The entry of the window with id `id`, or null.
  Window* FindById(uint64_t id) {
    for (Window& ws : windows) {
      if (ws.id == id) return &ws;
    }
    return nullptr;
  }
  // Adds an entry and returns it (valid until the next change of the list).
  // REQUIRES: its window and id are not the key's already.
  Window& Add(Window ws) {
    windows.push_back(std::move(ws));
    return windows.back();
  }
  // Removes the entry with id `id`; false if there is none. The last entry
  // moves into its place.
  bool Erase(uint64_t id) {
    for (size_t i = 0; i < windows.size(); ++i) {
      if (windows[i].id != id) continue;
      if (i + 1 != windows.size()) windows[i] = std::move(windows.back());
      windows.pop_back();
      return true;
    }
    return false;
  }
  // The key's windows as sessions, to add a session window by merging.
  SessionSet Sessions() { return SessionSet(&windows); }
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_KEY_STATE_H_
