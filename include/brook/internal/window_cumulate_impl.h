// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The window operator's sliced path for cumulate windows (window.h): panes of
// `step` shared by all keys, as an operator of its own behind
// `WindowOperator`, beside the sliced sliding path (window_sliced_impl.h).
// Not API: include "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_CUMULATE_IMPL_H_
#define BROOK_INTERNAL_WINDOW_CUMULATE_IMPL_H_

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

// Cumulate windows (Flink SQL's CUMULATE) under the non-purging event-time
// trigger, over panes: an epoch [E, E + max_size) has the windows
// [E, E + (k+1)*step) for k = 0 .. max_size/step - 1 (the last one that
// reaches past the int64 maximum is clamped to it, and ends the epoch), and
// window k is the epoch's first k+1 panes of `step`. One column per pane
// that holds data, shared by all keys, with one accumulator per key slot; an
// element is added once, to its pane's column.
//
// Windows fire for all keys at once, by end ascending (as the unsliced
// path's timers fire them: all windows of an epoch share a start, so the
// end orders them; epochs do not overlap). Firing keeps a running prefix per
// key of the epoch being fired, rather than merging panes at each firing:
// window k+1 is window k plus one pane, so a firing costs O(keys) (one merge
// and one emit per key) whatever max_size/step is, where merging panes would
// cost O(keys * k) and an epoch O(keys * (max_size/step)^2). The prefix is
// not saved: it is rebuilt from the panes after a restore or when the next
// window to fire jumps.
//
// Late elements (within the allowed lateness) land in their pane and, if
// that pane is already in the prefix, in the prefix; the windows holding
// them that are complete but not late fire again at once for that key, by
// end ascending (the order the cumulate assigner lists them in, as on the
// unsliced path), each over the key's panes.
//
// What it shares with its owner (`WindowOperator`) goes through arguments,
// as for `SlicedWindows`: key slots (`FitSlots()`, `Retains()`, `freed`),
// results (`emit(slot, window, accumulator)`), the watermark, and the
// allowed lateness (fixed at construction). Epoch and pane starts are kept
// in 128 bits: near the int64 minimum an epoch starts below it.
template <typename In, typename Agg>
class SlicedCumulateWindows {
 public:
  using Accumulator = typename Agg::Accumulator;

  // `agg` is not owned and must outlive this object. max_size a positive
  // multiple of step > 0, |offset| < max_size, lateness >= 0 (ms). For other
  // assigners the object is built but never used.
  SlicedCumulateWindows(const Agg* agg, int64_t max_size, int64_t step,
                        int64_t offset, int64_t lateness)
      : agg_(agg),
        max_size_(max_size),
        step_(step > 0 ? step : 1),
        offset_(offset),
        lateness_(lateness) {}
  SlicedCumulateWindows(const SlicedCumulateWindows&) = delete;
  SlicedCumulateWindows& operator=(const SlicedCumulateWindows&) = delete;

  // The operator's view, as `SlicedWindows`'s: the pane length (the step,
  // in ms); columns held; whether `slot` holds data in some column; room
  // for `slots` key slots (slots only grow; columns lazily).
  int64_t pane() const { return step_; }
  size_t column_count() const { return cols_.size(); }
  bool Retains(uint32_t slot) const { return retained_.Retains(slot); }
  void FitSlots(size_t slots) {
    if (prefix_.size() >= slots) return;
    prefix_.resize(slots, agg_->CreateAccumulator());
    prefix_has_.resize(slots, 0);
    retained_.Fit(slots);
  }

  // The element fast path, as `SlicedWindows::AddHot()`. (A pane holding a
  // time ahead of the watermark is never in the prefix: its first window has
  // not fired.)
  bool AddHot(uint32_t slot, const In& value, EventTime ts) {
    return hot_.Add(*agg_, slot, value, ts, step_, &retained_);
  }

  // True if every window holding `ts` is late at watermark `wm` (then so is
  // the epoch's last window).
  bool AllLate(EventTime ts, EventTime wm) const {
    return ts <= wm && CleanupTime(EpochLastMax(Epoch(ts))) <= wm;
  }
  // As `SlicedWindows::Add()` and `Advance()`, but windows fire (and late
  // elements fire again) by end ascending, and `Advance()` drops the
  // columns of epochs whose last window is past its cleanup time.
  template <typename Emit>
  void Add(uint32_t slot, const In& value, EventTime ts, EventTime wm,
           Emit&& emit);
  template <typename Emit, typename Freed>
  void Advance(EventTime wm, Emit&& emit, Freed&& freed);

  // --- State seam (window_state_{export,import}_impl.h) ---
  // As `SlicedWindows::ForEachSlice()` (panes clamped to the int64 range).
  template <typename F>
  void ForEachSlice(uint32_t slot, F&& f) const;
  // The next window to fire: its epoch start and its unclamped max
  // timestamp (both or neither).
  std::optional<absl::int128> next_epoch_start() const {
    if (!has_next_) return std::nullopt;
    return next_epoch_;
  }
  std::optional<absl::int128> next_window_max() const {
    if (!has_next_) return std::nullopt;
    return next_max_;
  }
  // True if `w` is a pane (clamped at the int64 ends).
  bool IsSlice(const TimeWindow& w) const {
    return AlignedWindowMillis(w.start_millis, offset_, step_) == w;
  }
  // kDataLoss ("window state: ...") if the saved next window cannot be this
  // operator's at watermark `wm` given the panes it holds (`pane_starts`,
  // the start of each pane some key holds, any order): the next window must
  // be a cumulate window (an epoch on the max_size grid within 2^65 of 0, a
  // whole number of steps up to max_size, not past the first window clamped
  // to the int64 maximum) ending after `wm`; every pane's epoch must not be
  // past cleanup, and the first window holding a pane that ends after `wm`
  // must not come before the next one (every window with data that has not
  // fired is the next one or later).
  absl::Status CheckNext(const std::optional<absl::int128>& epoch,
                         const std::optional<absl::int128>& max,
                         const std::vector<EventTime>& pane_starts,
                         EventTime wm) const;
  // Replaces the state: `slices[k]` are slot k's (start, accumulator) pairs,
  // all panes (checked by the caller: `IsSlice()`, `CheckNext()`).
  void Restore(
      std::vector<std::vector<std::pair<EventTime, Accumulator>>> slices,
      const std::optional<absl::int128>& epoch,
      const std::optional<absl::int128>& max);

 private:
  struct Column {
    absl::int128 start;            // unclamped pane start
    std::vector<Accumulator> acc;  // by slot
    std::vector<uint64_t> has;     // bit per slot: holds an element
  };

  EventTime CleanupTime(EventTime max) const {
    return SaturatingAdd(max, lateness_);
  }
  absl::int128 Epoch(absl::int128 t) const {
    return AlignDown128(t, offset_, max_size_);
  }
  // The clamped max timestamp of the epoch's last window.
  EventTime EpochLastMax(absl::int128 epoch) const {
    return ClampTime(epoch + max_size_ - 1);
  }
  TimeWindow WindowOf(absl::int128 epoch, absl::int128 max) const {
    return TimeWindow{ClampTime(epoch), ClampTime(max)};
  }
  // True if the window ending at `max` is its epoch's last (it reaches the
  // epoch's end, or the int64 maximum, past which later windows would be
  // the same clamped window).
  bool LastOfEpoch(absl::int128 epoch, absl::int128 max) const {
    return max >= epoch + max_size_ - 1 || max >= kTimeMax;
  }
  bool HasBit(const Column& c, size_t k) const { return ColumnHolds(c, k); }
  // First column with start >= t.
  size_t LowerBound(absl::int128 t) const {
    return static_cast<size_t>(
        std::lower_bound(
            cols_.begin(), cols_.end(), t,
            [](const Column& c, absl::int128 x) { return c.start < x; }) -
        cols_.begin());
  }
  void FitColumn(Column& c) {
    const size_t n = prefix_.size();
    if (c.acc.size() >= n) return;
    c.acc.resize(n, agg_->CreateAccumulator());
    c.has.resize((n + 63) / 64, 0);
  }
  // Sets the next window to fire; the prefix is rebuilt before it fires.
  void SetNext(absl::int128 epoch, absl::int128 max) {
    next_epoch_ = epoch;
    next_max_ = max;
    has_next_ = true;
    prefix_valid_ = false;
  }
  // Makes the prefix the merge, per slot, of the next epoch's panes before
  // the next window's last pane.
  void RebuildPrefix();
  template <typename Emit>
  void FireNext(Emit& emit);
  void RefreshHot();

  const Agg* agg_;
  int64_t max_size_, step_, offset_, lateness_;
  std::vector<Column> cols_;         // by start; gaps allowed
  HotColumns<Accumulator> hot_;      // the newest two whole columns
  std::vector<Accumulator> prefix_;  // by slot, if `prefix_valid_`
  std::vector<uint8_t> prefix_has_;  // by slot: the prefix holds data
  bool prefix_valid_ = false;
  RetainedSlots retained_;       // by slot: columns with data
  absl::int128 next_epoch_ = 0;  // the next window to fire, if `has_next_`
  absl::int128 next_max_ = 0;    // (unclamped)
  bool has_next_ = false;
};

template <typename In, typename Agg>
void SlicedCumulateWindows<In, Agg>::RefreshHot() {
  hot_.Clear();
  for (size_t j = cols_.size(); j-- > 0 && !hot_.full();) {
    Column& c = cols_[j];
    if (c.start < kTimeMin) break;  // straddles the minimum: not whole
    hot_.Push(static_cast<EventTime>(c.start), c.acc.data(), c.has.data(),
              c.acc.size());
  }
}

template <typename In, typename Agg>
void SlicedCumulateWindows<In, Agg>::RebuildPrefix() {
  std::fill(prefix_.begin(), prefix_.end(), agg_->CreateAccumulator());
  std::fill(prefix_has_.begin(), prefix_has_.end(), 0);
  const absl::int128 last_pane = next_max_ - step_ + 1;
  for (size_t i = LowerBound(next_epoch_);
       i < cols_.size() && cols_[i].start < last_pane; ++i) {
    Column& c = cols_[i];
    FitColumn(c);
    for (size_t k = 0; k < prefix_.size(); ++k) {
      if (!HasBit(c, k)) continue;
      agg_->Merge(prefix_[k], c.acc[k]);
      prefix_has_[k] = 1;
    }
  }
  prefix_valid_ = true;
}

template <typename In, typename Agg>
template <typename Emit>
void SlicedCumulateWindows<In, Agg>::Add(uint32_t slot, const In& value,
                                         EventTime ts, EventTime wm,
                                         Emit&& emit) {
  const absl::int128 pane = AlignDown128(ts, offset_, step_);
  const absl::int128 epoch = Epoch(ts);
  // The pane's column: usually the last one.
  size_t idx = cols_.size();
  if (idx > 0 && cols_[idx - 1].start == pane) {
    --idx;
  } else {
    idx = LowerBound(pane);
  }
  if (idx == cols_.size() || cols_[idx].start != pane) {
    cols_.insert(cols_.begin() + static_cast<ptrdiff_t>(idx),
                 Column{pane, {}, {}});
  }
  Column& c = cols_[idx];
  FitColumn(c);
  agg_->Add(c.acc[slot], value);
  retained_.Mark(c.has.data(), slot);
  // A pane already folded into the prefix (a late element): the prefix too.
  if (has_next_ && prefix_valid_ && epoch == next_epoch_ &&
      pane < next_max_ - step_ + 1) {
    agg_->Add(prefix_[slot], value);
    prefix_has_[slot] = 1;
  }
  const absl::int128 first_max = pane + step_ - 1;  // first window holding ts
  if (ts > wm) {
    // No window holding ts has fired; the first must fire no later than
    // the next window.
    if (!has_next_ || first_max < next_max_) SetNext(epoch, first_max);
    RefreshHot();
    return;
  }
  // Late but within lateness: the first window holding ts that is not
  // complete is fired by the watermark; the complete ones that are not late
  // fire again at once, end ascending, as the assigner lists them.
  absl::int128 lo = 0, hi = 0;
  bool any = false;
  for (absl::int128 m = first_max;; m += step_) {
    const TimeWindow w = WindowOf(epoch, m);
    if (CleanupTime(w.max_timestamp_millis) > wm) {
      if (w.max_timestamp_millis > wm) {
        if (!has_next_ || m < next_max_) SetNext(epoch, m);
        break;
      }
      if (!any) lo = m;
      hi = m;
      any = true;
    }
    if (LastOfEpoch(epoch, m)) break;
  }
  RefreshHot();
  if (!any) return;
  // The slot's panes up to each window, merged once.
  Accumulator acc = agg_->CreateAccumulator();
  size_t i = LowerBound(epoch);
  for (absl::int128 m = lo; m <= hi; m += step_) {
    for (; i < cols_.size() && cols_[i].start <= m; ++i) {
      if (HasBit(cols_[i], slot)) agg_->Merge(acc, cols_[i].acc[slot]);
    }
    emit(slot, WindowOf(epoch, m), acc);
  }
}

template <typename In, typename Agg>
template <typename Emit>
void SlicedCumulateWindows<In, Agg>::FireNext(Emit& emit) {
  if (!prefix_valid_) RebuildPrefix();
  const size_t slots = prefix_.size();
  const absl::int128 last_pane = next_max_ - step_ + 1;
  const size_t i = LowerBound(last_pane);
  if (i < cols_.size() && cols_[i].start == last_pane) {
    Column& c = cols_[i];
    FitColumn(c);
    for (size_t k = 0; k < slots; ++k) {
      if (!HasBit(c, k)) continue;
      agg_->Merge(prefix_[k], c.acc[k]);
      prefix_has_[k] = 1;
    }
  }
  const TimeWindow w = WindowOf(next_epoch_, next_max_);
  for (size_t k = 0; k < slots; ++k) {
    if (prefix_has_[k]) emit(static_cast<uint32_t>(k), w, prefix_[k]);
  }
}

template <typename In, typename Agg>
template <typename Emit, typename Freed>
void SlicedCumulateWindows<In, Agg>::Advance(EventTime wm, Emit&& emit,
                                             Freed&& freed) {
  while (has_next_ && ClampTime(next_max_) <= wm) {
    FireNext(emit);
    if (!LastOfEpoch(next_epoch_, next_max_)) {
      next_max_ += step_;  // the prefix stays valid: one pane more
      continue;
    }
    // The epoch is done: on to the first window of the next one with data.
    const size_t i = LowerBound(next_epoch_ + max_size_);
    if (i == cols_.size()) {
      has_next_ = false;
      break;
    }
    SetNext(Epoch(cols_[i].start), cols_[i].start + step_ - 1);
  }
  // Drop the columns of epochs whose last window is past cleanup (all their
  // windows have fired); slots left without data are handed back.
  std::vector<uint32_t> gone;
  size_t drop = 0;
  while (drop < cols_.size() &&
         CleanupTime(EpochLastMax(Epoch(cols_[drop].start))) <= wm) {
    retained_.Release(cols_[drop], &gone);
    ++drop;
  }
  if (drop > 0) {
    cols_.erase(cols_.begin(), cols_.begin() + static_cast<ptrdiff_t>(drop));
  }
  RefreshHot();
  for (uint32_t k : gone) freed(k);
}

template <typename In, typename Agg>
template <typename F>
void SlicedCumulateWindows<In, Agg>::ForEachSlice(uint32_t slot, F&& f) const {
  for (const Column& c : cols_) {
    if (!HasBit(c, slot)) continue;
    f(ClampTime(c.start), ClampTime(c.start + step_ - 1), c.acc[slot]);
  }
}

template <typename In, typename Agg>
absl::Status SlicedCumulateWindows<In, Agg>::CheckNext(
    const std::optional<absl::int128>& epoch,
    const std::optional<absl::int128>& max,
    const std::vector<EventTime>& pane_starts, EventTime wm) const {
  auto bad = [](const auto&... what) { return SlicedStateError(what...); };
  if (epoch.has_value() != max.has_value()) {
    return bad("sliced cumulate next window: epoch start and max timestamp ",
               "must come together");
  }
  if (epoch) {
    const absl::int128 bound = absl::int128(1) << 65;
    const absl::int128 e = *epoch, m = *max;
    if (e < -bound || e > bound || Epoch(e) != e) {
      return bad("sliced cumulate epoch start ", Int128Name(e),
                 " out of range or off the ", max_size_, "ms grid");
    }
    const absl::int128 len = m - e + 1;
    if (len < step_ || len > max_size_ || len % step_ != 0) {
      return bad("sliced cumulate next window ending at ", Int128Name(m),
                 " is not a whole number of ", step_,
                 "ms steps of the epoch at ", Int128Name(e), " up to ",
                 max_size_, "ms");
    }
    if (m > kTimeMax && m - step_ >= kTimeMax) {
      return bad("sliced cumulate next window ending at ", Int128Name(m),
                 " lies past a window already clamped to the int64 maximum");
    }
    if (ClampTime(m) <= wm) {
      return bad("sliced cumulate next window ending at ", Int128Name(m),
                 " ends at or before the watermark ", wm, " but has not fired");
    }
  }
  for (EventTime s : pane_starts) {
    // Panes are whole (checked by the caller) so `s` is on the grid unless
    // clamped at the minimum.
    const absl::int128 pane = AlignDown128(s, offset_, step_);
    const absl::int128 e = Epoch(pane);
    if (CleanupTime(EpochLastMax(e)) <= wm) {
      return bad("sliced cumulate pane at ", s,
                 " belongs to an epoch past its cleanup time (watermark ", wm,
                 ")");
    }
    // The first window holding the pane that ends after the watermark, if
    // any: it has not fired, so the next window to fire must not come after
    // it.
    if (EpochLastMax(e) <= wm) continue;
    const absl::int128 from = std::max(pane + step_, absl::int128(wm) + 2);
    const absl::int128 due = AlignUp128(from, offset_, step_) - 1;
    if (!max || *max > due) {
      return bad("sliced cumulate pane at ", s,
                 " lies in the window ending at ", Int128Name(due),
                 ", after the watermark ", wm,
                 ", which is before the next window to fire");
    }
  }
  return absl::OkStatus();
}

template <typename In, typename Agg>
void SlicedCumulateWindows<In, Agg>::Restore(
    std::vector<std::vector<std::pair<EventTime, Accumulator>>> slices,
    const std::optional<absl::int128>& epoch,
    const std::optional<absl::int128>& max) {
  const size_t slots = slices.size();
  prefix_.assign(slots, agg_->CreateAccumulator());
  prefix_has_.assign(slots, 0);
  retained_.RestoreColumns(
      std::move(slices),
      [this](EventTime t) { return AlignDown128(t, offset_, step_); },
      [this](absl::int128 start) {
        Column c{start, {}, {}};
        FitColumn(c);
        return c;
      },
      &cols_);
  has_next_ = false;
  if (epoch && max) SetNext(*epoch, *max);
  RefreshHot();
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_CUMULATE_IMPL_H_
