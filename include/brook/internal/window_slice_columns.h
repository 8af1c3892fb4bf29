// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What the window operator's two sliced paths share (sliding windows,
// window_sliced_impl.h; cumulate windows, window_cumulate_impl.h): both keep
// one column per pane that holds data, shared by all keys, with one
// accumulator per key slot and a bit per slot saying whether the slot holds
// data there; both count per slot the columns it holds data in, to hand the
// slot back when the count drops to zero; and both add an element ahead of
// the watermark to one of the two newest columns through raw pointers. A
// column is any struct with `std::vector<Accumulator> acc` and
// `std::vector<uint64_t> has` (bit k of `has` for slot k, for the slots
// below `acc.size()`). Not API: include "brook/window.h".
//
// Thread safety: none; owned by one operator, used by one thread.

#ifndef BROOK_INTERNAL_WINDOW_SLICE_COLUMNS_H_
#define BROOK_INTERNAL_WINDOW_SLICE_COLUMNS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/watermark.h"

namespace brook {
namespace internal {

// "-9223372036854775808" style names of 128-bit window starts, for messages
// (defined with the state seam).
inline std::string Int128Name(absl::int128 v);

// kDataLoss "window state: <what...>", for saved state a sliced path refuses.
template <typename... What>
absl::Status SlicedStateError(const What&... what) {
  return absl::DataLossError(absl::StrCat("window state: ", what...));
}

// True if `column` holds data of slot `k`.
template <typename Column>
bool ColumnHolds(const Column& column, size_t k) {
  return k < column.acc.size() && ((column.has[k >> 6] >> (k & 63)) & 1) != 0;
}

// Per key slot, the number of columns holding its data.
class RetainedSlots {
 public:
  // True if `slot` holds data in some column.
  bool Retains(uint32_t slot) const {
    return slot < count_.size() && count_[slot] > 0;
  }
  // Makes room for `slots` slots (slots only grow).
  void Fit(size_t slots) {
    if (count_.size() < slots) count_.resize(slots, 0);
  }
  // `slots` slots holding nothing.
  void Reset(size_t slots) { count_.assign(slots, 0); }
  // Sets slot `slot`'s bit in a column's bits `has`; if it was clear, counts
  // the column for the slot and returns true.
  bool Mark(uint64_t* has, uint32_t slot) {
    uint64_t& word = has[slot >> 6];
    const uint64_t bit = uint64_t{1} << (slot & 63);
    if (word & bit) return false;
    word |= bit;
    ++count_[slot];
    return true;
  }
  // `column` is dropped: uncounts it for each slot it holds data of, and
  // appends the slots left holding nothing to `gone`, in slot order.
  template <typename Column>
  void Release(const Column& column, std::vector<uint32_t>* gone) {
    for (size_t k = 0; k < column.acc.size(); ++k) {
      if (ColumnHolds(column, k) && --count_[k] == 0) {
        gone->push_back(static_cast<uint32_t>(k));
      }
    }
  }
  // Replaces the columns with those holding `slices` (`slices[k]` are slot
  // k's (time, accumulator) pairs, one per pane): one column per distinct
  // `start_of(time)` (the pane's start), in start order, each made by
  // `make(start)` with room for every slot; the counts are reset to them.
  template <typename Column, typename Accumulator, typename StartOf,
            typename Make>
  void RestoreColumns(
      std::vector<std::vector<std::pair<EventTime, Accumulator>>> slices,
      StartOf start_of, Make make, std::vector<Column>* columns) {
    using Start = decltype(start_of(EventTime{}));
    std::vector<Start> starts;
    for (const auto& s : slices) {
      for (const auto& p : s) starts.push_back(start_of(p.first));
    }
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
    columns->clear();
    for (const Start& s : starts) columns->push_back(make(s));
    Reset(slices.size());
    for (size_t k = 0; k < slices.size(); ++k) {
      for (auto& p : slices[k]) {
        const size_t i = static_cast<size_t>(
            std::lower_bound(starts.begin(), starts.end(), start_of(p.first)) -
            starts.begin());
        Column& c = (*columns)[i];
        c.acc[k] = std::move(p.second);
        c.has[k >> 6] |= uint64_t{1} << (k & 63);
        ++count_[k];
      }
    }
  }

 private:
  std::vector<int32_t> count_;  // by slot
};

// The newest two whole columns not folded into anything, as raw pointers for
// the element path. Derived after anything that may move or fold columns;
// never saved.
template <typename Accumulator>
class HotColumns {
 public:
  void Clear() {
    cols_[0] = cols_[1] = Column{};
    count_ = 0;
  }
  bool full() const { return count_ == 2; }
  // REQUIRES: !full(). `acc` and `has` are the column's, `size` its slots;
  // the column holds [start, start + pane).
  void Push(EventTime start, Accumulator* acc, uint64_t* has, size_t size) {
    cols_[count_++] = Column{start, acc, has, size};
  }
  // The element fast path: adds `value` to `slot`'s accumulator if `ts`
  // falls in one of the columns, each `pane` ms long, and returns true (the
  // slot's bit set and counted in `retained`); else false, changing nothing.
  // Both entries are tested, unrolled: one not pushed has no slots.
  template <typename Agg, typename In>
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Add(const Agg& agg, uint32_t slot,
                                        const In& value, EventTime ts,
                                        int64_t pane,
                                        RetainedSlots* retained) const {
    const Column* h = &cols_[0];
    if (!h->Holds(slot, ts, pane)) {
      h = &cols_[1];
      if (!h->Holds(slot, ts, pane)) return false;
    }
    agg.Add(h->acc[slot], value);
    retained->Mark(h->has, slot);
    return true;
  }

 private:
  struct Column {
    EventTime start = 0;
    Accumulator* acc = nullptr;
    uint64_t* has = nullptr;
    size_t size = 0;  // none: matches no slot

    // `ts >= start` also where start + pane wraps past kMaxEventTime.
    bool Holds(uint32_t slot, EventTime ts, int64_t pane) const {
      return slot < size && ts >= start &&
             static_cast<uint64_t>(ts) - static_cast<uint64_t>(start) <
                 static_cast<uint64_t>(pane);
    }
  };
  Column cols_[2] = {};
  int count_ = 0;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_SLICE_COLUMNS_H_
