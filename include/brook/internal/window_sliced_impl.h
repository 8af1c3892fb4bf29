// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Template definitions of the window operator's sliced path (window.h): sliding
// windows that share slices. Not API: include "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_SLICED_IMPL_H_
#define BROOK_INTERNAL_WINDOW_SLICED_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/numeric/int128.h"

#include "brook/internal/time_math.h"
#include "brook/window.h"

namespace brook {

// --- Sliced sliding windows -----------------------------------------------
//
// See `Sliced` in window.h: columns of per-slot accumulators, one per pane,
// and a two-stacks queue over the columns of the window being fired.

template <typename Key, typename In, typename Agg, typename Hash>
absl::int128 WindowOperator<Key, In, Agg, Hash>::FirstWindowHolding(
    EventTime ts) const {
  // The smallest start > ts - size on the slide grid; in int64 when it fits
  // (a 128-bit remainder is a slow library call).
  int64_t from, d;
  if (!__builtin_sub_overflow(ts, assigner_.size_ - 1, &from) &&
      !__builtin_sub_overflow(from, assigner_.offset_, &d)) {
    const int64_t slide = assigner_.slide_;
    int64_t r = d % slide;
    if (r < 0) r += slide;
    if (r == 0) return from;
    return absl::int128(from) - r + slide;
  }
  return internal::AlignUp128(absl::int128(ts) - assigner_.size_ + 1,
                              assigner_.offset_, assigner_.slide_);
}

template <typename Key, typename In, typename Agg, typename Hash>
TimeWindow WindowOperator<Key, In, Agg, Hash>::LastWindowHolding(
    EventTime ts) const {
  const TimeWindow w =
      WindowAssigner::AlignedWindow(ts, assigner_.offset_, assigner_.slide_);
  if (w.start_millis != kMinEventTime) {
    return TimeWindow{w.start_millis, internal::WindowMaxTimestamp(
                                          w.start_millis, assigner_.size_)};
  }
  return SlidingWindowAt(
      internal::AlignDown128(ts, assigner_.offset_, assigner_.slide_));
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::RefreshHot() {
  hot_count_ = 0;
  if (!sliced_) return;
  Sliced& sl = state_.sliced;
  const size_t n = sl.cols.size();
  for (size_t j = n; j-- > 0 && j + 2 >= n && j >= sl.b;) {
    Column& c = sl.cols[j];
    if (c.start == kMinEventTime) break;  // clamped: not a whole pane
    hot_[hot_count_++] =
        HotColumn{c.start, c.acc.data(), c.has.data(), c.acc.size()};
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::FitColumn(Column& c) {
  const size_t n = state_.keys.size();
  if (c.acc.size() >= n) return;
  c.acc.resize(n, agg_.CreateAccumulator());
  c.suffix.resize(n, agg_.CreateAccumulator());
  c.has.resize((n + 63) / 64, 0);
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ResetStacks() {
  Sliced& sl = state_.sliced;
  const absl::int128 from = sl.next_start;
  auto it = std::lower_bound(
      sl.cols.begin(), sl.cols.end(), from,
      [](const Column& c, absl::int128 t) { return c.start < t; });
  sl.a = sl.mid = sl.b = static_cast<size_t>(it - sl.cols.begin());
  std::fill(sl.back.begin(), sl.back.end(), agg_.CreateAccumulator());
  std::fill(sl.in_window.begin(), sl.in_window.end(), 0);
}

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::Accumulator
WindowOperator<Key, In, Agg, Hash>::MergeColumns(uint32_t slot,
                                                 const TimeWindow& w) const {
  const Sliced& sl = state_.sliced;
  Accumulator acc = agg_.CreateAccumulator();
  auto it = std::lower_bound(
      sl.cols.begin(), sl.cols.end(), w.start_millis,
      [](const Column& c, EventTime t) { return c.start < t; });
  for (; it != sl.cols.end() && it->start <= w.max_timestamp_millis; ++it) {
    if (slot < it->acc.size()) agg_.Merge(acc, it->acc[slot]);
  }
  return acc;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ProcessSliced(const Key& key,
                                                       const In& value,
                                                       EventTime ts,
                                                       Entry* entry) {
  const int64_t slide = assigner_.slide_;
  const EventTime wm = state_.watermark;
  // The last window holding ts; if it is late, all of them are. (When
  // ts > wm every window holding ts ends after wm: none is late.)
  TimeWindow last{0, 0};
  if (ts <= wm) {
    last = LastWindowHolding(ts);
    if (CleanupTime(last) <= wm) {
      Late(key, value, ts);
      return;
    }
  }
  // Nothing below inserts into or erases from the map: `e` stays valid.
  Entry& e = entry != nullptr ? *entry : EntryFor(key);
  const uint32_t slot = e.slot;
  Sliced& sl = state_.sliced;
  const EventTime ps =
      WindowAssigner::AlignedWindow(ts, assigner_.offset_, pane_).start_millis;
  // The pane's column: usually one of the last few.
  auto it = sl.cols.end();
  for (int step = 0; step < 4 && it != sl.cols.begin(); ++step) {
    if ((it - 1)->start < ps) break;
    --it;
  }
  if (it != sl.cols.begin() && (it - 1)->start >= ps) {
    it = std::lower_bound(
        sl.cols.begin(), it, ps,
        [](const Column& c, EventTime t) { return c.start < t; });
  }
  size_t idx = static_cast<size_t>(it - sl.cols.begin());
  if (it == sl.cols.end() || it->start != ps) {
    sl.cols.insert(it, Column{ps, {}, {}, {}});
    ++state_.live;
    if (idx < sl.a) {
      ++sl.a, ++sl.mid, ++sl.b;  // before the window: shift
    } else if (idx < sl.b) {
      ResetStacks();  // inside the window last fired: rebuild at next firing
    }
  }
  Column& c = sl.cols[idx];
  FitColumn(c);
  agg_.Add(c.acc[slot], value);
  const uint64_t bit = uint64_t{1} << (slot & 63);
  const bool first = !(c.has[slot >> 6] & bit);
  if (first) {
    c.has[slot >> 6] |= bit;
    ++sl.retained[slot];
  }
  if (sl.has_next && idx >= sl.a && idx < sl.b) {
    // A column folded into the stacks changed: fix this slot's aggregates.
    // (Without a pending window the stacks are stale: `ResetStacks()`
    // rebuilds them before the next firing, so they are left alone.)
    if (first) ++sl.in_window[slot];
    if (idx >= sl.mid) {
      Accumulator back = agg_.CreateAccumulator();
      for (size_t i = sl.mid; i < sl.b; ++i) {
        FitColumn(sl.cols[i]);
        agg_.Merge(back, sl.cols[i].acc[slot]);
      }
      sl.back[slot] = std::move(back);
    } else {
      for (size_t i = idx + 1; i-- > sl.a;) {
        Column& ci = sl.cols[i];
        FitColumn(ci);
        ci.suffix[slot] = ci.acc[slot];
        if (i + 1 < sl.mid) {
          FitColumn(sl.cols[i + 1]);
          agg_.Merge(ci.suffix[slot], sl.cols[i + 1].suffix[slot]);
        }
      }
    }
  }

  if (ts > wm) {
    // No window holding ts has fired. The first window holding it must be
    // no later than the next window to fire.
    absl::int128 first_window = FirstWindowHolding(ts);
    if (sl.has_fired)
      first_window = std::max(first_window, sl.fired_upto + slide);
    if (!sl.has_next || first_window < sl.next_start) {
      sl.next_start = first_window;
      sl.has_next = true;
      ResetStacks();
    }
    return;
  }
  // Late but within lateness: fire again at once the windows holding ts that
  // are complete and not late (EventTimeTrigger fires on a late element), for
  // this key, latest start first as Flink's sliding assigner lists them (and
  // as the unsliced path fires them); the first incomplete one is fired by
  // the watermark. First find the complete, not late ones: [lo, hi].
  absl::int128 lo = 0, hi = 0;
  bool any = false;
  for (absl::int128 s = FirstWindowHolding(ts); s <= last.start_millis;
       s += slide) {
    TimeWindow w = SlidingWindowAt(s);
    if (IsWindowLate(w)) continue;
    if (w.max_timestamp_millis <= wm) {
      if (!any) lo = s;
      hi = s;
      any = true;
      continue;
    }
    if (!sl.has_next || s < sl.next_start) {
      sl.next_start = s;
      sl.has_next = true;
      ResetStacks();
    }
    break;
  }
  for (absl::int128 s = hi; any && s >= lo; s -= slide) {
    const TimeWindow w = SlidingWindowAt(s);
    EmitWindow(key, w, MergeColumns(slot, w));
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::FireSlicedWindow(const TimeWindow& w) {
  Sliced& sl = state_.sliced;
  const absl::int128 s = sl.next_start;
  const size_t slots = state_.keys.size();
  auto& cols = sl.cols;
  // Push the columns that enter the window.
  while (sl.b < cols.size() && cols[sl.b].start <= w.max_timestamp_millis) {
    Column& c = cols[sl.b];
    FitColumn(c);
    for (size_t k = 0; k < slots; ++k) {
      agg_.Merge(sl.back[k], c.acc[k]);
      sl.in_window[k] += static_cast<int32_t>((c.has[k >> 6] >> (k & 63)) & 1);
    }
    ++sl.b;
  }
  // Pop the columns that leave it, flipping when the front stack is empty.
  while (sl.a < sl.b && cols[sl.a].start < s) {
    if (sl.a == sl.mid) {
      for (size_t i = sl.b; i-- > sl.a;) {
        Column& c = cols[i];
        FitColumn(c);
        for (size_t k = 0; k < slots; ++k) {
          c.suffix[k] = c.acc[k];
          if (i + 1 < sl.b) agg_.Merge(c.suffix[k], cols[i + 1].suffix[k]);
        }
      }
      sl.mid = sl.b;
      std::fill(sl.back.begin(), sl.back.end(), agg_.CreateAccumulator());
    }
    Column& c = cols[sl.a];
    FitColumn(c);
    for (size_t k = 0; k < slots; ++k) {
      sl.in_window[k] -= static_cast<int32_t>((c.has[k >> 6] >> (k & 63)) & 1);
    }
    ++sl.a;
  }
  // Emit for every key with data in the window, in slot order.
  if (sl.a < cols.size()) FitColumn(cols[sl.a]);  // slots may have grown
  for (size_t k = 0; k < slots; ++k) {
    if (sl.in_window[k] <= 0) continue;
    const Key& key = state_.keys[k].key;
    if (sl.a == sl.mid) {
      EmitWindow(key, w, sl.back[k]);
    } else {
      Accumulator acc = cols[sl.a].suffix[k];
      agg_.Merge(acc, sl.back[k]);
      EmitWindow(key, w, acc);
    }
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::AdvanceSliced() {
  Sliced& sl = state_.sliced;
  const EventTime wm = state_.watermark;
  while (sl.has_next) {
    const TimeWindow w = SlidingWindowAt(sl.next_start);
    if (w.max_timestamp_millis > wm) break;
    FireSlicedWindow(w);
    sl.fired_upto = sl.next_start;
    sl.has_fired = true;
    // The next window that holds a column.
    const absl::int128 next = sl.next_start + assigner_.slide_;
    size_t i = sl.a;
    while (i < sl.cols.size() && sl.cols[i].start < next) ++i;
    if (i == sl.cols.size() || next > internal::kTimeMax) {
      sl.has_next = false;
      break;
    }
    sl.next_start = std::max(next, FirstWindowHolding(sl.cols[i].start));
  }
  // Drop the columns that no window needs any more: those before the window
  // being fired (or all, when none is pending) whose last window is past
  // cleanup. Keys left without data give their slots back.
  std::vector<uint32_t> freed;
  size_t drop = 0;
  while (drop < sl.cols.size() && (drop < sl.a || !sl.has_next)) {
    const Column& c = sl.cols[drop];
    if (CleanupTime(LastWindowHolding(c.start)) > wm) break;
    for (size_t k = 0; k < c.acc.size(); ++k) {
      if (((c.has[k >> 6] >> (k & 63)) & 1) && --sl.retained[k] == 0) {
        freed.push_back(static_cast<uint32_t>(k));
      }
    }
    ++drop;
  }
  if (drop > 0) {
    // A handful of columns (one per slide fired), so erasing from the front
    // of a vector is cheap, and indexing stays a plain offset.
    sl.cols.erase(sl.cols.begin(), sl.cols.begin() + drop);
    state_.live -= static_cast<int64_t>(drop);
    sl.a = sl.a > drop ? sl.a - drop : 0;
    sl.mid = sl.mid > drop ? sl.mid - drop : 0;
    sl.b = sl.b > drop ? sl.b - drop : 0;
  }
  for (uint32_t k : freed) MaybeFreeSlot(k);
  RefreshHot();
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_SLICED_IMPL_H_
