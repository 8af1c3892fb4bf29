// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The window operator's sliced path (window.h): sliding windows that share
// slices, as an operator of its own behind `WindowOperator`. Not API: include
// "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_SLICED_IMPL_H_
#define BROOK_INTERNAL_WINDOW_SLICED_IMPL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/internal/time_math.h"
#include "brook/internal/window_slice_columns.h"
#include "brook/watermark.h"
#include "brook/window_assigner.h"

namespace brook {
namespace internal {

// Sliding windows (slide <= size) under the non-purging event-time trigger,
// over slices: one column per pane (a slice of gcd(size, slide)) that holds
// data, shared by all keys, with one accumulator per key slot. Windows fire
// for all keys at once, in start order; the columns of the window being fired
// are [a, b), kept as a two-stacks queue over whole columns: [a, mid) carry
// suffix aggregates, [mid, b) are folded into `back`. Each column is pushed,
// flipped and popped once, so a firing costs O(keys) amortised, whatever
// size/slide is, and an element costs one hash lookup (the owner's) and an
// add.
//
// What it shares with its owner (`WindowOperator`) goes through arguments:
// key slots (the owner maps keys to dense slots and tells this class how many
// there are, `FitSlots()`; this class says which slots still hold data,
// `Retains()`, and hands back slots it stops holding); results (an `emit`
// callable taking (slot, window, accumulator)); the watermark (an argument);
// and the allowed lateness (fixed at construction). Window starts are kept in
// 128 bits: near the ends of the int64 range a window may start below
// kMinEventTime or end above kMaxEventTime, and is clamped only when shown.
template <typename In, typename Agg>
class SlicedWindows {
 public:
  using Accumulator = typename Agg::Accumulator;

  // `agg` is not owned and must outlive this object. size > 0, 0 < slide,
  // lateness >= 0 (ms). For assigners other than sliding ones the object is
  // built but never used.
  SlicedWindows(const Agg* agg, int64_t size, int64_t slide, int64_t offset,
                int64_t lateness)
      : agg_(agg),
        size_(size),
        slide_(slide),
        offset_(offset),
        lateness_(lateness) {
    int64_t a = size, b = slide;
    while (b > 0) {
      int64_t t = a % b;
      a = b;
      b = t;
    }
    pane_ = a > 0 ? a : 1;
  }
  SlicedWindows(const SlicedWindows&) = delete;
  SlicedWindows& operator=(const SlicedWindows&) = delete;

  // The slice length, gcd(size, slide), in ms.
  int64_t pane() const { return pane_; }
  // Columns held (one per pane with data).
  size_t column_count() const { return cols_.size(); }
  // True if `slot` holds data in some column.
  bool Retains(uint32_t slot) const { return retained_.Retains(slot); }
  // Makes room for `slots` key slots (slots only grow; columns grow lazily).
  void FitSlots(size_t slots) {
    if (back_.size() >= slots) return;
    back_.resize(slots, agg_->CreateAccumulator());
    in_window_.resize(slots, 0);
    retained_.Fit(slots);
  }

  // The element fast path, for `ts` ahead of the watermark: adds `value` to
  // `slot`'s accumulator if `ts` falls in one of the two newest columns not
  // folded into the stacks, and returns true; else false, changing nothing.
  bool AddHot(uint32_t slot, const In& value, EventTime ts) {
    return hot_.Add(*agg_, slot, value, ts, pane_, &retained_);
  }
  // The owner's own fast path: a key's additions to one pane kept aside in
  // the owner's hash entry, merged later (`MergeIntoPane()`), so that an
  // element costs the one lookup. Right after `Add()` of an element ahead
  // of the watermark: the element's pane if its column is one of the two
  // newest not folded into the stacks (as for `AddHot()`), so that the key
  // may keep its next elements in that pane aside; else nullopt. Such a
  // column holds the key's data (its bit is set), and stays unfolded until
  // an `Advance()` for which `AdvanceChanges()` is true.
  std::optional<TimeWindow> HotPaneOf(EventTime ts) const {
    const TimeWindow p = AlignedWindowMillis(ts, offset_, pane_);
    if (p.start_millis == kMinEventTime) return std::nullopt;  // clamped
    for (size_t j = cols_.size();
         j-- > 0 && j + 2 >= cols_.size() && j >= b_;) {
      if (cols_[j].start == p.start_millis) return p;
    }
    return std::nullopt;
  }
  // Merges `delta` into `slot`'s accumulator of the pane that starts at
  // `start`. REQUIRES: `HotPaneOf()` gave that pane for `slot`'s element,
  // and no `Advance()` with `AdvanceChanges()` ran since.
  void MergeIntoPane(uint32_t slot, EventTime start, const Accumulator& delta) {
    for (size_t j = cols_.size(); j-- > 0;) {  // one of the last few
      if (cols_[j].start == start) {
        agg_->Merge(cols_[j].acc[slot], delta);
        return;
      }
    }
  }
  // True if `Advance(wm)` may fire a window or drop a column: before it, the
  // owner merges what it kept aside.
  bool AdvanceChanges(EventTime wm) const {
    if (cols_.empty()) return false;
    return !has_next_ ||
           SlidingWindowAt(next_start_).max_timestamp_millis <= wm;
  }

  // True if every window holding `ts` is late at watermark `wm` (the element
  // then belongs to the owner's late output, and gets no slot).
  bool AllLate(EventTime ts, EventTime wm) const {
    return ts <= wm && CleanupTime(LastWindowHolding(ts)) <= wm;
  }
  // Adds an element of `slot` that is not `AllLate()`. If it lands in
  // windows already complete but not late, fires them again at once for this
  // slot (EventTimeTrigger fires on a late element), latest start first as
  // Flink's sliding assigner lists them: `emit(slot, window, acc)`.
  template <typename Emit>
  void Add(uint32_t slot, const In& value, EventTime ts, EventTime wm,
           Emit&& emit);
  // Fires every window that ends at or before the watermark `wm`, for every
  // slot with data in it, in slot order: `emit(slot, window, acc)`; then
  // drops the columns no window needs and calls `freed(slot)` for each slot
  // left without data.
  template <typename Emit, typename Freed>
  void Advance(EventTime wm, Emit&& emit, Freed&& freed);

  // --- State seam (window_state_{export,import}_impl.h) ---
  // Calls `f(start, max, acc)` for each slice (pane) that `slot` holds, in
  // start order.
  template <typename F>
  void ForEachSlice(uint32_t slot, F&& f) const;
  std::optional<absl::int128> next_window_start() const {
    if (!has_next_) return std::nullopt;
    return next_start_;
  }
  std::optional<absl::int128> last_fired_start() const {
    if (!has_fired_) return std::nullopt;
    return fired_upto_;
  }
  // True if `w` is a pane.
  bool IsSlice(const TimeWindow& w) const {
    return AlignedWindowMillis(w.start_millis, offset_, pane_) == w;
  }
  // kDataLoss ("window state: ...") if the saved window starts cannot be
  // those of this operator at watermark `wm`.
  absl::Status CheckStarts(const std::optional<absl::int128>& next,
                           const std::optional<absl::int128>& last_fired,
                           EventTime wm) const;
  // Replaces the state: `slices[k]` are slot k's (start, accumulator) pairs,
  // all panes (checked by the caller: `IsSlice()`, `CheckStarts()`).
  void Restore(
      std::vector<std::vector<std::pair<EventTime, Accumulator>>> slices,
      const std::optional<absl::int128>& next,
      const std::optional<absl::int128>& last_fired);

 private:
  struct Column {
    EventTime start;
    std::vector<Accumulator> acc;     // by slot
    std::vector<Accumulator> suffix;  // by slot; valid for [a, mid)
    std::vector<uint64_t> has;        // bit per slot: holds an element
  };

  EventTime CleanupTime(const TimeWindow& w) const {
    return SaturatingAdd(w.max_timestamp_millis, lateness_);
  }
  bool IsWindowLate(const TimeWindow& w, EventTime wm) const {
    return CleanupTime(w) <= wm;
  }
  TimeWindow SlidingWindowAt(absl::int128 start) const {
    return TimeWindow{ClampTime(start), ClampTime(start + size_ - 1)};
  }
  absl::int128 FirstWindowHolding(EventTime ts) const;
  TimeWindow LastWindowHolding(EventTime ts) const;
  template <typename Emit>
  void FireWindow(const TimeWindow& w, Emit& emit);
  // Sizes a column's per-slot vectors to the slot count; true if they grew
  // (pointers into them moved).
  bool FitColumn(Column& c);
  // Empties the two stacks; the next firing rebuilds them from `next_start_`.
  void ResetStacks();
  // The accumulator of one slot over the columns of `w`.
  Accumulator MergeColumns(uint32_t slot, const TimeWindow& w) const;
  void RefreshHot();

  const Agg* agg_;
  int64_t size_, slide_, offset_, lateness_;
  int64_t pane_ = 1;
  // The newest two columns not folded into the stacks (`RefreshHot()`).
  HotColumns<Accumulator> hot_;
  std::vector<Column> cols_;  // by start; gaps allowed
  size_t a_ = 0, mid_ = 0, b_ = 0;
  std::vector<Accumulator> back_;   // by slot
  std::vector<int32_t> in_window_;  // by slot: columns in [a, b) with data
  RetainedSlots retained_;          // by slot: columns with data
  absl::int128 next_start_ = 0;     // the next window to fire, if `has_next_`
  bool has_next_ = false;
  absl::int128 fired_upto_ = 0;  // start of the last window fired, if
  bool has_fired_ = false;       // `has_fired_`
};

template <typename In, typename Agg>
absl::int128 SlicedWindows<In, Agg>::FirstWindowHolding(EventTime ts) const {
  // The smallest start > ts - size on the slide grid; in int64 when it fits
  // (a 128-bit remainder is a slow library call).
  int64_t from, d;
  if (!__builtin_sub_overflow(ts, size_ - 1, &from) &&
      !__builtin_sub_overflow(from, offset_, &d)) {
    const int64_t slide = slide_;
    int64_t r = d % slide;
    if (r < 0) r += slide;
    if (r == 0) return from;
    return absl::int128(from) - r + slide;
  }
  return AlignUp128(absl::int128(ts) - size_ + 1, offset_, slide_);
}

template <typename In, typename Agg>
TimeWindow SlicedWindows<In, Agg>::LastWindowHolding(EventTime ts) const {
  const TimeWindow w = AlignedWindowMillis(ts, offset_, slide_);
  if (w.start_millis != kMinEventTime) {
    return TimeWindow{w.start_millis,
                      WindowMaxTimestamp(w.start_millis, size_)};
  }
  return SlidingWindowAt(AlignDown128(ts, offset_, slide_));
}

template <typename In, typename Agg>
void SlicedWindows<In, Agg>::RefreshHot() {
  hot_.Clear();
  const size_t n = cols_.size();
  for (size_t j = n; j-- > 0 && j + 2 >= n && j >= b_;) {
    Column& c = cols_[j];
    if (c.start == kMinEventTime) break;  // clamped: not a whole pane
    hot_.Push(c.start, c.acc.data(), c.has.data(), c.acc.size());
  }
}

template <typename In, typename Agg>
bool SlicedWindows<In, Agg>::FitColumn(Column& c) {
  const size_t n = back_.size();
  if (c.acc.size() >= n) return false;
  c.acc.resize(n, agg_->CreateAccumulator());
  c.suffix.resize(n, agg_->CreateAccumulator());
  c.has.resize((n + 63) / 64, 0);
  return true;
}

template <typename In, typename Agg>
void SlicedWindows<In, Agg>::ResetStacks() {
  const absl::int128 from = next_start_;
  auto it = std::lower_bound(
      cols_.begin(), cols_.end(), from,
      [](const Column& c, absl::int128 t) { return c.start < t; });
  a_ = mid_ = b_ = static_cast<size_t>(it - cols_.begin());
  std::fill(back_.begin(), back_.end(), agg_->CreateAccumulator());
  std::fill(in_window_.begin(), in_window_.end(), 0);
}

template <typename In, typename Agg>
typename SlicedWindows<In, Agg>::Accumulator
SlicedWindows<In, Agg>::MergeColumns(uint32_t slot, const TimeWindow& w) const {
  Accumulator acc = agg_->CreateAccumulator();
  auto it = std::lower_bound(
      cols_.begin(), cols_.end(), w.start_millis,
      [](const Column& c, EventTime t) { return c.start < t; });
  for (; it != cols_.end() && it->start <= w.max_timestamp_millis; ++it) {
    if (slot < it->acc.size()) agg_->Merge(acc, it->acc[slot]);
  }
  return acc;
}

template <typename In, typename Agg>
template <typename Emit>
void SlicedWindows<In, Agg>::Add(uint32_t slot, const In& value, EventTime ts,
                                 EventTime wm, Emit&& emit) {
  const int64_t slide = slide_;
  // The last window holding ts (not late: see `AllLate()`). (When ts > wm
  // every window holding ts ends after wm: none is late.)
  TimeWindow last{0, 0};
  if (ts <= wm) last = LastWindowHolding(ts);
  const EventTime ps = AlignedWindowMillis(ts, offset_, pane_).start_millis;
  // The pane's column: usually one of the last few.
  auto it = cols_.end();
  for (int step = 0; step < 4 && it != cols_.begin(); ++step) {
    if ((it - 1)->start < ps) break;
    --it;
  }
  if (it != cols_.begin() && (it - 1)->start >= ps) {
    it = std::lower_bound(
        cols_.begin(), it, ps,
        [](const Column& c, EventTime t) { return c.start < t; });
  }
  size_t idx = static_cast<size_t>(it - cols_.begin());
  // Whether the hot columns (`hot_`) must be derived again: a column was
  // inserted or grew, or the stacks were reset.
  bool moved = false;
  if (it == cols_.end() || it->start != ps) {
    moved = true;
    cols_.insert(it, Column{ps, {}, {}, {}});
    if (idx < a_) {
      ++a_, ++mid_, ++b_;  // before the window: shift
    } else if (idx < b_) {
      ResetStacks();  // inside the window last fired: rebuild at next firing
    }
  }
  Column& c = cols_[idx];
  moved |= FitColumn(c);
  agg_->Add(c.acc[slot], value);
  const bool first = retained_.Mark(c.has.data(), slot);
  if (has_next_ && idx >= a_ && idx < b_) {
    // A column folded into the stacks changed: fix this slot's aggregates.
    // (Without a pending window the stacks are stale: `ResetStacks()`
    // rebuilds them before the next firing, so they are left alone.)
    if (first) ++in_window_[slot];
    if (idx >= mid_) {
      Accumulator back = agg_->CreateAccumulator();
      for (size_t i = mid_; i < b_; ++i) {
        FitColumn(cols_[i]);
        agg_->Merge(back, cols_[i].acc[slot]);
      }
      back_[slot] = std::move(back);
    } else {
      for (size_t i = idx + 1; i-- > a_;) {
        Column& ci = cols_[i];
        FitColumn(ci);
        ci.suffix[slot] = ci.acc[slot];
        if (i + 1 < mid_) {
          FitColumn(cols_[i + 1]);
          agg_->Merge(ci.suffix[slot], cols_[i + 1].suffix[slot]);
        }
      }
    }
  }

  if (ts > wm) {
    // No window holding ts has fired. The first window holding it must be
    // no later than the next window to fire.
    absl::int128 first_window = FirstWindowHolding(ts);
    if (has_fired_) first_window = std::max(first_window, fired_upto_ + slide);
    if (!has_next_ || first_window < next_start_) {
      next_start_ = first_window;
      has_next_ = true;
      ResetStacks();
      moved = true;
    }
    // (Columns folded into the stacks are not hot: their growing above
    // moves nothing hot.)
    if (moved) RefreshHot();
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
    if (IsWindowLate(w, wm)) continue;
    if (w.max_timestamp_millis <= wm) {
      if (!any) lo = s;
      hi = s;
      any = true;
      continue;
    }
    if (!has_next_ || s < next_start_) {
      next_start_ = s;
      has_next_ = true;
      ResetStacks();
    }
    break;
  }
  RefreshHot();
  for (absl::int128 s = hi; any && s >= lo; s -= slide) {
    const TimeWindow w = SlidingWindowAt(s);
    emit(slot, w, MergeColumns(slot, w));
  }
}

template <typename In, typename Agg>
template <typename Emit>
void SlicedWindows<In, Agg>::FireWindow(const TimeWindow& w, Emit& emit) {
  const absl::int128 s = next_start_;
  const size_t slots = back_.size();
  auto& cols = cols_;
  // Push the columns that enter the window.
  while (b_ < cols.size() && cols[b_].start <= w.max_timestamp_millis) {
    Column& c = cols[b_];
    FitColumn(c);
    for (size_t k = 0; k < slots; ++k) {
      agg_->Merge(back_[k], c.acc[k]);
      in_window_[k] += static_cast<int32_t>((c.has[k >> 6] >> (k & 63)) & 1);
    }
    ++b_;
  }
  // Pop the columns that leave it, flipping when the front stack is empty.
  while (a_ < b_ && cols[a_].start < s) {
    if (a_ == mid_) {
      for (size_t i = b_; i-- > a_;) {
        Column& c = cols[i];
        FitColumn(c);
        for (size_t k = 0; k < slots; ++k) {
          c.suffix[k] = c.acc[k];
          if (i + 1 < b_) agg_->Merge(c.suffix[k], cols[i + 1].suffix[k]);
        }
      }
      mid_ = b_;
      std::fill(back_.begin(), back_.end(), agg_->CreateAccumulator());
    }
    Column& c = cols[a_];
    FitColumn(c);
    for (size_t k = 0; k < slots; ++k) {
      in_window_[k] -= static_cast<int32_t>((c.has[k >> 6] >> (k & 63)) & 1);
    }
    ++a_;
  }
  // Emit for every slot with data in the window, in slot order.
  if (a_ < cols.size()) FitColumn(cols[a_]);  // slots may have grown
  for (size_t k = 0; k < slots; ++k) {
    if (in_window_[k] <= 0) continue;
    const uint32_t slot = static_cast<uint32_t>(k);
    if (a_ == mid_) {
      emit(slot, w, back_[k]);
    } else {
      Accumulator acc = cols[a_].suffix[k];
      agg_->Merge(acc, back_[k]);
      emit(slot, w, acc);
    }
  }
}

template <typename In, typename Agg>
template <typename Emit, typename Freed>
void SlicedWindows<In, Agg>::Advance(EventTime wm, Emit&& emit, Freed&& freed) {
  while (has_next_) {
    const TimeWindow w = SlidingWindowAt(next_start_);
    if (w.max_timestamp_millis > wm) break;
    FireWindow(w, emit);
    fired_upto_ = next_start_;
    has_fired_ = true;
    // The next window that holds a column.
    const absl::int128 next = next_start_ + slide_;
    size_t i = a_;
    while (i < cols_.size() && cols_[i].start < next) ++i;
    if (i == cols_.size() || next > kTimeMax) {
      has_next_ = false;
      break;
    }
    next_start_ = std::max(next, FirstWindowHolding(cols_[i].start));
  }
  // Drop the columns that no window needs any more: those before the window
  // being fired (or all, when none is pending) whose last window is past
  // cleanup. Slots left without data are handed back.
  std::vector<uint32_t> gone;
  size_t drop = 0;
  while (drop < cols_.size() && (drop < a_ || !has_next_)) {
    const Column& c = cols_[drop];
    if (CleanupTime(LastWindowHolding(c.start)) > wm) break;
    retained_.Release(c, &gone);
    ++drop;
  }
  if (drop > 0) {
    // A handful of columns (one per slide fired), so erasing from the front
    // of a vector is cheap, and indexing stays a plain offset.
    cols_.erase(cols_.begin(), cols_.begin() + drop);
    a_ = a_ > drop ? a_ - drop : 0;
    mid_ = mid_ > drop ? mid_ - drop : 0;
    b_ = b_ > drop ? b_ - drop : 0;
  }
  RefreshHot();
  for (uint32_t k : gone) freed(k);
}

template <typename In, typename Agg>
template <typename F>
void SlicedWindows<In, Agg>::ForEachSlice(uint32_t slot, F&& f) const {
  for (const Column& c : cols_) {
    if (!ColumnHolds(c, slot)) continue;
    const TimeWindow pane = AlignedWindowMillis(c.start, offset_, pane_);
    f(c.start, pane.max_timestamp_millis, c.acc[slot]);
  }
}

template <typename In, typename Agg>
absl::Status SlicedWindows<In, Agg>::CheckStarts(
    const std::optional<absl::int128>& next,
    const std::optional<absl::int128>& last_fired, EventTime wm) const {
  auto bad = [](const auto&... what) { return SlicedStateError(what...); };
  const absl::int128 bound = absl::int128(1) << 65;
  for (const auto* v : {&next, &last_fired}) {
    if (!v->has_value()) continue;
    const absl::int128 s = **v;
    if (s < -bound || s > bound || AlignDown128(s, offset_, slide_) != s) {
      return bad("sliced window start ", Int128Name(s),
                 " out of range or off the ", slide_, "ms slide grid");
    }
  }
  if (next && last_fired && *last_fired >= *next) {
    return bad("sliced last fired start ", Int128Name(*last_fired),
               " not before the next window start ", Int128Name(*next));
  }
  // Windows fire when the watermark passes their end, so the last one
  // fired is complete and the next one to fire is not.
  if (last_fired && SlidingWindowAt(*last_fired).max_timestamp_millis > wm) {
    return bad("sliced last fired window at ", Int128Name(*last_fired),
               " ends after the watermark ", wm);
  }
  if (next && SlidingWindowAt(*next).max_timestamp_millis <= wm) {
    return bad("sliced next window at ", Int128Name(*next),
               " ends at or before the watermark ", wm, " but has not fired");
  }
  return absl::OkStatus();
}

template <typename In, typename Agg>
void SlicedWindows<In, Agg>::Restore(
    std::vector<std::vector<std::pair<EventTime, Accumulator>>> slices,
    const std::optional<absl::int128>& next,
    const std::optional<absl::int128>& last_fired) {
  const size_t slots = slices.size();
  a_ = mid_ = b_ = 0;
  back_.assign(slots, agg_->CreateAccumulator());
  in_window_.assign(slots, 0);
  retained_.RestoreColumns(
      std::move(slices), [](EventTime t) { return t; },
      [this](EventTime start) {
        Column c{start, {}, {}, {}};
        FitColumn(c);
        return c;
      },
      &cols_);
  has_fired_ = last_fired.has_value();
  fired_upto_ = last_fired.value_or(0);
  has_next_ = next.has_value();
  next_start_ = next.value_or(0);
  if (has_next_) ResetStacks();  // the next firing folds the columns in
  RefreshHot();
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_SLICED_IMPL_H_
