// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Template definitions of the window operator's snapshots (window.h):
// `TakeSnapshot()`, `Restore()`, and the byte form of `Snapshot` with its
// validation. Not API: include "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_SNAPSHOT_IMPL_H_
#define BROOK_INTERNAL_WINDOW_SNAPSHOT_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/codec.h"
#include "brook/internal/time_math.h"
#include "brook/window.h"

namespace brook {

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowOperator<Key, In, Agg, Hash>::Snapshot
WindowOperator<Key, In, Agg, Hash>::TakeSnapshot() const {
  Snapshot s;
  s.state_ = std::make_shared<const State>(state_);
  return s;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::Restore(const Snapshot& snapshot) {
  if (snapshot.state_ == nullptr) {
    state_ = State();
    RefreshHot();
    return;
  }
  state_ = *snapshot.state_;
  if (sliced_ && state_.sliced.back.size() < state_.keys.size()) {
    // A snapshot of an operator without slicing (`Check()` allows these
    // vectors to be empty, never shorter otherwise): give every slot its
    // per-slot state, as `EntryFor()` does for a new slot.
    Sliced& sl = state_.sliced;
    sl.back.resize(state_.keys.size(), agg_.CreateAccumulator());
    sl.in_window.resize(state_.keys.size(), 0);
    sl.retained.resize(state_.keys.size(), 0);
  }
  RefreshHot();
}

namespace internal {

// How a snapshot encodes an aggregate's accumulator: the aggregate's own
// EncodeAccumulator/DecodeAccumulator if it has them, else Codec<Accumulator>.
template <typename Agg, typename = void>
struct AccumulatorCodec {
  using A = typename Agg::Accumulator;
  static void Encode(const A& a, std::string* out) { Codec<A>::Encode(a, out); }
  static bool Decode(absl::string_view* in, A* a) {
    return Codec<A>::Decode(in, a);
  }
};
template <typename Agg>
struct AccumulatorCodec<Agg, std::void_t<decltype(&Agg::EncodeAccumulator)>> {
  using A = typename Agg::Accumulator;
  static void Encode(const A& a, std::string* out) {
    Agg::EncodeAccumulator(a, out);
  }
  static bool Decode(absl::string_view* in, A* a) {
    return Agg::DecodeAccumulator(in, a);
  }
};

// "BWOS": brook window operator snapshot, then a format version; a 64-bit
// FNV-1a checksum of everything before it ends the bytes.
inline constexpr uint32_t kSnapshotMagic = 0x534f5742;
inline constexpr uint32_t kSnapshotVersion = 1;

inline uint64_t SnapshotChecksum(absl::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (char c : bytes) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return h;
}

// A heap's items, in pop order.
template <typename Heap>
std::vector<typename Heap::value_type> HeapItems(Heap heap) {
  std::vector<typename Heap::value_type> out;
  for (; !heap.empty(); heap.pop()) out.push_back(heap.top());
  return out;
}

}  // namespace internal

// The invariants of a decoded state, checked field by field so that a
// restored operator never follows an index out of range, never miscounts,
// and never overflows a counter (bytes with a valid checksum may still be
// inconsistent: written by a buggy or foreign encoder, or crafted):
//   1. `slot_of` and `free_slots` partition the slots: each key's entry
//      names a distinct slot holding that key; free slots are distinct, hold
//      no windows and no sliced data.
//   2. Windows: start <= max_timestamp, ids in [1, next_id) and distinct per
//      key, next_id in [1, 2^63], trigger counts >= 0. Timers name existing
//      slots.
//   3. Sliced state is either absent (all empty: an operator without slicing)
//      or has one `back`, `in_window` and `retained` entry per slot.
//      Columns are in strictly increasing start order, have at most one
//      accumulator per slot, as many suffixes, one `has` bit per accumulator
//      and none beyond; `retained` counts each slot's columns with data
//      exactly; a <= mid <= b <= columns; while a window is pending
//      (`has_next`) `in_window` counts each slot's columns in [a, b) exactly
//      (otherwise it is stale, reset before use, and only >= 0); window
//      starts lie within 2^65 of 0.
//   4. `live` is the number of windows plus columns; the late counters are
//      in [0, the int64 maximum).
// Returns what is wrong, or an empty string.
template <typename Key, typename In, typename Agg, typename Hash>
std::string WindowOperator<Key, In, Agg, Hash>::Snapshot::Check(
    const State& st) {
  const size_t slots = st.keys.size();
  if (slots > std::numeric_limits<uint32_t>::max())
    return absl::StrCat(slots, " key slots");
  // 0: not seen, 1: a key's slot, 2: free.
  std::vector<uint8_t> use(slots, 0);
  for (const auto& [key, e] : st.slot_of) {
    if (e.slot >= slots) {
      return absl::StrCat("key slot ", e.slot, " out of range (", slots,
                          " slots)");
    }
    if (use[e.slot] != 0) return absl::StrCat("two keys share slot ", e.slot);
    if (!(st.keys[e.slot].key == key)) {
      return absl::StrCat("slot ", e.slot, " holds another key");
    }
    use[e.slot] = 1;
  }
  for (uint32_t slot : st.free_slots) {
    if (slot >= slots) {
      return absl::StrCat("free slot ", slot, " out of range (", slots,
                          " slots)");
    }
    if (use[slot] != 0) {
      return absl::StrCat("free slot ", slot, " is in use or listed twice");
    }
    if (!st.keys[slot].windows.empty()) {
      return absl::StrCat("free slot ", slot, " holds windows");
    }
    use[slot] = 2;
  }
  if (st.slot_of.size() + st.free_slots.size() != slots) {
    return absl::StrCat(slots, " slots, but ", st.slot_of.size(), " keys and ",
                        st.free_slots.size(), " free slots");
  }
  // Window ids come from `next_id++`: 0 is never one, and 2^63 are never
  // used up, so a restored counter must leave room to count on.
  if (st.next_id == 0 || st.next_id > (uint64_t{1} << 63)) {
    return absl::StrCat("next window id ", st.next_id, " out of range");
  }
  uint64_t windows = 0;
  std::vector<uint64_t> ids;
  for (size_t k = 0; k < slots; ++k) {
    ids.clear();
    for (const WinState& w : st.keys[k].windows) {
      if (w.window.start > w.window.max_timestamp) {
        return absl::StrCat("slot ", k, ": window [", w.window.start, ", ",
                            w.window.max_timestamp, "] ends before it starts");
      }
      if (w.id == 0 || w.id >= st.next_id) {
        return absl::StrCat("slot ", k, ": window id ", w.id,
                            " out of range (next id ", st.next_id, ")");
      }
      if (w.count < 0) {
        return absl::StrCat("slot ", k, ": negative trigger count ", w.count);
      }
      ids.push_back(w.id);
    }
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
      return absl::StrCat("slot ", k, ": two windows share an id");
    }
    windows += st.keys[k].windows.size();
  }
  for (const TimerHeap* heap : {&st.event_timers, &st.processing_timers}) {
    for (const Timer& t : internal::HeapItems(*heap)) {
      if (t.slot >= slots) {
        return absl::StrCat("timer slot ", t.slot, " out of range (", slots,
                            " slots)");
      }
    }
  }

  const Sliced& sl = st.sliced;
  const bool has_sliced = !sl.cols.empty() || !sl.back.empty() ||
                          !sl.in_window.empty() || !sl.retained.empty();
  if (has_sliced && (sl.back.size() != slots || sl.in_window.size() != slots ||
                     sl.retained.size() != slots)) {
    return absl::StrCat("sliced state has ", sl.back.size(), ", ",
                        sl.in_window.size(), " and ", sl.retained.size(),
                        " per-slot entries for ", slots, " slots");
  }
  if (!(sl.a <= sl.mid && sl.mid <= sl.b && sl.b <= sl.cols.size())) {
    return absl::StrCat("slice bounds ", sl.a, " <= ", sl.mid, " <= ", sl.b,
                        " <= ", sl.cols.size(), " do not hold");
  }
  std::vector<int64_t> retained(slots, 0), in_window(slots, 0);
  for (size_t i = 0; i < sl.cols.size(); ++i) {
    const Column& c = sl.cols[i];
    if (i > 0 && sl.cols[i - 1].start >= c.start) {
      return absl::StrCat("slice column ", i, " out of order");
    }
    const size_t n = c.acc.size();
    if (n > slots || c.suffix.size() != n || c.has.size() != (n + 63) / 64 ||
        (n % 64 != 0 && (c.has.back() >> (n % 64)) != 0)) {
      return absl::StrCat("slice column ", i, " has ", n, " accumulators, ",
                          c.suffix.size(), " suffixes and ", c.has.size(),
                          " bit words for ", slots, " slots");
    }
    for (size_t k = 0; k < n; ++k) {
      if (((c.has[k >> 6] >> (k & 63)) & 1) == 0) continue;
      ++retained[k];
      if (i >= sl.a && i < sl.b) ++in_window[k];
    }
  }
  for (size_t k = 0; k < sl.retained.size(); ++k) {
    if (sl.retained[k] != retained[k]) {
      return absl::StrCat("slot ", k, " retains ", sl.retained[k],
                          " columns, but has data in ", retained[k]);
    }
    if (retained[k] != 0 && use[k] == 2) {
      return absl::StrCat("free slot ", k, " has data in slice columns");
    }
    if (sl.has_next ? sl.in_window[k] != in_window[k] : sl.in_window[k] < 0) {
      return absl::StrCat("slot ", k, " counts ", sl.in_window[k],
                          " columns in the window, but has data in ",
                          in_window[k]);
    }
  }
  const __int128 bound = static_cast<__int128>(1) << 65;
  if (sl.next_start < -bound || sl.next_start > bound ||
      sl.fired_upto < -bound || sl.fired_upto > bound) {
    return "sliced window start out of range";
  }

  if (st.live < 0 ||
      static_cast<uint64_t>(st.live) != windows + sl.cols.size()) {
    return absl::StrCat("live count ", st.live, ", but ", windows,
                        " windows and ", sl.cols.size(), " slice columns");
  }
  if (st.dropped_late < 0 ||
      st.dropped_late == std::numeric_limits<int64_t>::max() ||
      st.late_emitted < 0 ||
      st.late_emitted == std::numeric_limits<int64_t>::max()) {
    return absl::StrCat("late counters ", st.dropped_late, " and ",
                        st.late_emitted, " out of range");
  }
  return std::string();
}

template <typename Key, typename In, typename Agg, typename Hash>
std::string WindowOperator<Key, In, Agg, Hash>::Snapshot::Serialize() const {
  using AccCodec = internal::AccumulatorCodec<Agg>;
  const State empty;
  const State& st = state_ != nullptr ? *state_ : empty;
  std::string out;
  auto put = [&out](const auto& v) {
    Codec<std::decay_t<decltype(v)>>::Encode(v, &out);
  };
  auto put_accs = [&](const std::vector<Accumulator>& accs) {
    put(static_cast<uint64_t>(accs.size()));
    for (const Accumulator& a : accs) AccCodec::Encode(a, &out);
  };
  auto put_timers = [&](const TimerHeap& heap) {
    put(static_cast<uint64_t>(heap.size()));
    for (const Timer& t : internal::HeapItems(heap)) {
      put(t.time);
      put(t.slot);
      put(t.gen);
      put(t.id);
    }
  };
  put(internal::kSnapshotMagic);
  put(internal::kSnapshotVersion);
  put(static_cast<uint64_t>(st.slot_of.size()));
  for (const auto& [key, e] : st.slot_of) {
    put(key);
    put(e.slot);
    put(e.hot);
    put(e.hot_start);
    put(e.hot_max);
    AccCodec::Encode(e.delta, &out);
  }
  put(static_cast<uint64_t>(st.keys.size()));
  for (const KeyState& ks : st.keys) {
    put(ks.key);
    put(ks.gen);
    put(static_cast<uint64_t>(ks.windows.size()));
    for (const WinState& w : ks.windows) {
      put(w.window.start);
      put(w.window.max_timestamp);
      AccCodec::Encode(w.acc, &out);
      put(w.id);
      put(w.count);
      put(w.next_fire);
      put(w.pending);
      put(w.has_fire);
      put(w.has_pending);
      put(w.end_pending);
      put(w.has_data);
    }
  }
  const Sliced& sl = st.sliced;
  put(static_cast<uint64_t>(sl.cols.size()));
  for (const Column& c : sl.cols) {
    put(c.start);
    put_accs(c.acc);
    put_accs(c.suffix);
    put(c.has);
  }
  put(static_cast<uint64_t>(sl.a));
  put(static_cast<uint64_t>(sl.mid));
  put(static_cast<uint64_t>(sl.b));
  put_accs(sl.back);
  put(sl.in_window);
  put(sl.retained);
  put(sl.next_start);
  put(sl.has_next);
  put(sl.fired_upto);
  put(sl.has_fired);
  put(st.free_slots);
  put(st.next_id);
  put_timers(st.event_timers);
  put_timers(st.processing_timers);
  put(st.watermark);
  put(st.dropped_late);
  put(st.late_emitted);
  put(st.live);
  put(internal::SnapshotChecksum(out));
  return out;
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::StatusOr<typename WindowOperator<Key, In, Agg, Hash>::Snapshot>
WindowOperator<Key, In, Agg, Hash>::Snapshot::Deserialize(
    absl::string_view bytes) {
  using AccCodec = internal::AccumulatorCodec<Agg>;
  if (bytes.size() < sizeof(uint64_t)) {
    return absl::DataLossError("window operator snapshot: too short");
  }
  absl::string_view checksummed = bytes.substr(0, bytes.size() - 8);
  absl::string_view stored = bytes.substr(bytes.size() - 8);
  uint64_t checksum = 0;
  Codec<uint64_t>::Decode(&stored, &checksum);
  if (checksum != internal::SnapshotChecksum(checksummed)) {
    return absl::DataLossError("window operator snapshot: checksum mismatch");
  }
  bytes = checksummed;
  absl::string_view in = bytes;
  bool ok = true;
  auto get = [&in, &ok](auto* v) {
    ok = ok && Codec<std::decay_t<decltype(*v)>>::Decode(&in, v);
  };
  // A count that cannot fit in what is left is corrupt (every item takes at
  // least one byte), so corrupt input never makes a huge allocation.
  auto get_count = [&](uint64_t* n) {
    get(n);
    ok = ok && *n <= in.size();
  };
  auto get_accs = [&](std::vector<Accumulator>* accs) {
    uint64_t n = 0;
    get_count(&n);
    accs->clear();
    for (uint64_t i = 0; ok && i < n; ++i) {
      Accumulator a{};
      ok = AccCodec::Decode(&in, &a);
      accs->push_back(std::move(a));
    }
  };
  auto get_timers = [&](TimerHeap* heap) {
    uint64_t n = 0;
    get_count(&n);
    for (uint64_t i = 0; ok && i < n; ++i) {
      Timer t{};
      get(&t.time);
      get(&t.slot);
      get(&t.gen);
      get(&t.id);
      heap->push(t);
    }
  };
  auto corrupt = [&bytes, &in](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("window operator snapshot: ", what, " at byte ",
                     bytes.size() - in.size(), " of ", bytes.size()));
  };
  uint32_t magic = 0, version = 0;
  get(&magic);
  get(&version);
  if (!ok || magic != internal::kSnapshotMagic)
    return corrupt("not a snapshot");
  if (version != internal::kSnapshotVersion) {
    return corrupt(absl::StrCat("unknown format version ", version));
  }
  auto st = std::make_shared<State>();
  uint64_t n = 0;
  get_count(&n);
  for (uint64_t i = 0; ok && i < n; ++i) {
    Key key{};
    Entry e;
    get(&key);
    get(&e.slot);
    get(&e.hot);
    get(&e.hot_start);
    get(&e.hot_max);
    ok = ok && AccCodec::Decode(&in, &e.delta);
    if (ok && !st->slot_of.emplace(std::move(key), std::move(e)).second) {
      return corrupt(absl::StrCat("key ", i, " appears twice"));
    }
  }
  get_count(&n);
  for (uint64_t i = 0; ok && i < n; ++i) {
    KeyState ks;
    get(&ks.key);
    get(&ks.gen);
    uint64_t windows = 0;
    get_count(&windows);
    for (uint64_t j = 0; ok && j < windows; ++j) {
      WinState w;
      get(&w.window.start);
      get(&w.window.max_timestamp);
      ok = ok && AccCodec::Decode(&in, &w.acc);
      get(&w.id);
      get(&w.count);
      get(&w.next_fire);
      get(&w.pending);
      get(&w.has_fire);
      get(&w.has_pending);
      get(&w.end_pending);
      get(&w.has_data);
      ks.windows.push_back(std::move(w));
    }
    st->keys.push_back(std::move(ks));
  }
  Sliced& sl = st->sliced;
  get_count(&n);
  for (uint64_t i = 0; ok && i < n; ++i) {
    Column c;
    get(&c.start);
    get_accs(&c.acc);
    get_accs(&c.suffix);
    get(&c.has);
    sl.cols.push_back(std::move(c));
  }
  uint64_t a = 0, mid = 0, b = 0;
  get(&a);
  get(&mid);
  get(&b);
  sl.a = static_cast<size_t>(a);
  sl.mid = static_cast<size_t>(mid);
  sl.b = static_cast<size_t>(b);
  get_accs(&sl.back);
  get(&sl.in_window);
  get(&sl.retained);
  get(&sl.next_start);
  get(&sl.has_next);
  get(&sl.fired_upto);
  get(&sl.has_fired);
  get(&st->free_slots);
  get(&st->next_id);
  get_timers(&st->event_timers);
  get_timers(&st->processing_timers);
  get(&st->watermark);
  get(&st->dropped_late);
  get(&st->late_emitted);
  get(&st->live);
  if (!ok) return corrupt("truncated or corrupt");
  if (!in.empty()) return corrupt("trailing bytes");
  const std::string problem = Check(*st);
  if (!problem.empty()) {
    return absl::DataLossError(
        absl::StrCat("window operator snapshot: ", problem));
  }
  Snapshot s;
  s.state_ = std::move(st);
  return s;
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_SNAPSHOT_IMPL_H_
