// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Evictors in the window operator (window.h, window_evictor.h), as Flink's
// EvictingWindowOperator runs them: an evicting window keeps its elements
// with their timestamps, and a firing evicts before, aggregates the rest with
// the operator's aggregate, emits, evicts after and keeps what remains. Also
// the encoding of an evicting window's elements in saved state
// (lib/window/WINDOW_STATE_FORMAT.md) and `HasCodec`, which decides whether
// an operator may have an evictor. Not API: include "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_EVICTOR_IMPL_H_
#define BROOK_INTERNAL_WINDOW_EVICTOR_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/codec.h"
#include "brook/internal/window_state.h"
#include "brook/window.h"

namespace brook {
namespace internal {

// True if `Codec<T>` is defined (for vectors, pairs and optionals: if their
// parts' codecs are), so that an operator can refuse an evictor at Create()
// instead of failing to compile `SaveState()` for users who never evict.
template <typename T, typename = void>
struct CodecDefined : std::false_type {};
template <typename T>
struct CodecDefined<
    T, std::void_t<decltype(&Codec<T>::Encode), decltype(&Codec<T>::Decode)>>
    : std::true_type {};
template <typename T>
struct HasCodec : CodecDefined<T> {};
template <typename T, typename A>
struct HasCodec<std::vector<T, A>> : HasCodec<T> {};
template <typename T>
struct HasCodec<std::optional<T>> : HasCodec<T> {};
template <typename A, typename B>
struct HasCodec<std::pair<A, B>>
    : std::integral_constant<bool, HasCodec<A>::value && HasCodec<B>::value> {};

// The evictor as the shape names it: "none", "count(max=3,after=false)",
// "time(size=5ms,after=true)". Persisted: never change an existing spelling.
inline std::string DescribeEvictor(const std::optional<Evictor>& e) {
  if (!e.has_value()) return "none";
  const char* after = e->evict_after() ? "true" : "false";
  switch (e->kind()) {
    case EvictorKind::kCount:
      return absl::StrCat("count(max=", e->max_count(), ",after=", after, ")");
    case EvictorKind::kTime:
      return absl::StrCat(
          "time(size=", absl::ToInt64Milliseconds(e->window_size()),
          "ms,after=", after, ")");
  }
  return "unknown";
}

// Removes from `elements` what the evictor removes (window_evictor.h),
// keeping the order of the rest.
template <typename In>
void Evict(const Evictor& e, std::vector<TimestampedElement<In>>* elements) {
  if (e.kind() == EvictorKind::kCount) {
    // Flink's CountEvictor: drop the first size - max_count.
    const uint64_t max = static_cast<uint64_t>(e.max_count());
    if (elements->size() <= max) return;
    elements->erase(elements->begin(),
                    elements->end() - static_cast<ptrdiff_t>(max));
    return;
  }
  // Flink's TimeEvictor: drop every element at or before the newest
  // timestamp - size (none if that is below the int64 range, where Java's
  // subtraction would wrap).
  if (elements->empty()) return;
  int64_t newest = elements->front().timestamp_millis;
  for (const auto& x : *elements) newest = std::max(newest, x.timestamp_millis);
  const int64_t size = absl::ToInt64Milliseconds(e.window_size());
  if (newest < INT64_MIN + size) return;
  const int64_t cutoff = newest - size;
  elements->erase(std::remove_if(elements->begin(), elements->end(),
                                 [cutoff](const TimestampedElement<In>& x) {
                                   return x.timestamp_millis <= cutoff;
                                 }),
                  elements->end());
}

// The encoding of an evicting window's contents: u64 element count, then per
// element i64 timestamp and `Codec<In>`. Decoding checks the count against
// the bytes left (an element takes at least its 8-byte timestamp) before
// allocating.
template <typename In>
struct WindowElementsCodec {
  static void Encode(const WindowElements<In>& w, std::string* out) {
    Codec<uint64_t>::Encode(w.elements.size(), out);
    for (const auto& x : w.elements) {
      Codec<int64_t>::Encode(x.timestamp_millis, out);
      Codec<In>::Encode(x.value, out);
    }
  }
  static bool Decode(absl::string_view* in, WindowElements<In>* w) {
    uint64_t n = 0;
    if (!Codec<uint64_t>::Decode(in, &n) || n > in->size() / 8) return false;
    w->elements.clear();
    w->elements.reserve(static_cast<size_t>(n));
    for (uint64_t i = 0; i < n; ++i) {
      TimestampedElement<In> x;
      if (!Codec<int64_t>::Decode(in, &x.timestamp_millis) ||
          !Codec<In>::Decode(in, &x.value)) {
        return false;
      }
      w->elements.push_back(std::move(x));
    }
    return true;
  }
};

// Copies a logical state into one with another contents type: everything
// but the windows' contents (`has_contents` false, `acc` default).
template <typename Key, typename From, typename To>
void CopyWindowStateExceptContents(const WindowStateData<Key, From>& from,
                                   WindowStateData<Key, To>* to) {
  to->watermark_millis = from.watermark_millis;
  to->dropped_late_elements = from.dropped_late_elements;
  to->late_elements_emitted = from.late_elements_emitted;
  to->sliced_next_window_start = from.sliced_next_window_start;
  to->sliced_last_fired_start = from.sliced_last_fired_start;
  to->keys.clear();
  to->keys.reserve(from.keys.size());
  for (const auto& fk : from.keys) {
    typename WindowStateData<Key, To>::KeyState tk;
    tk.key = fk.key;
    for (const auto& fw : fk.windows) {
      typename WindowStateData<Key, To>::Window tw;
      tw.start_millis = fw.start_millis;
      tw.max_timestamp_millis = fw.max_timestamp_millis;
      tw.has_contents = false;
      tw.trigger_state = fw.trigger_state;
      tk.windows.push_back(std::move(tw));
    }
    for (const auto& ft : fk.timers) {
      tk.timers.push_back(typename WindowStateData<Key, To>::Timer{
          ft.domain, ft.time_millis, ft.window_start_millis,
          ft.window_max_timestamp_millis});
    }
    to->keys.push_back(std::move(tk));
  }
}

}  // namespace internal

template <typename Key, typename In, typename Agg, typename Hash>
inline void WindowOperator<Key, In, Agg, Hash>::AddToWindow(WinState& ws,
                                                            const In& value,
                                                            EventTime ts) {
  if (evictor_.has_value()) {
    ws.Extras().elements.push_back(internal::TimestampedElement<In>{ts, value});
  } else {
    agg_.Add(ws.acc, value);
  }
  ws.has_data = true;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ClearElements(WinState& ws) {
  if (ws.extras == nullptr) return;
  std::vector<internal::TimestampedElement<In>>().swap(ws.extras->elements);
}

// Flink's EvictingWindowOperator.emitWindowContents. A window whose elements
// are all evicted before the aggregate runs emits the result of an empty
// accumulator (Flink's window function sees an empty iterable); one whose
// list is empty (purged, or emptied by an earlier firing) emits nothing
// (Flink: no list state), as `Fire()` checks.
template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::FireEvicting(KeyState& ks,
                                                      WinState& ws) {
  if (ws.extras == nullptr || ws.extras->elements.empty()) {
    ws.has_data = false;
    return;
  }
  std::vector<internal::TimestampedElement<In>>& list = ws.extras->elements;
  if (!evictor_->evict_after()) internal::Evict(*evictor_, &list);
  Accumulator acc = agg_.CreateAccumulator();
  for (const auto& x : list) agg_.Add(acc, x.value);
  // (Callbacks do not reenter the operator: `list` stays valid.)
  EmitWindow(ks.key, ws.window, acc);
  if (evictor_->evict_after()) internal::Evict(*evictor_, &list);
  if (trigger_.purging() || list.empty()) {
    ClearElements(ws);
    ws.has_data = false;
  }
}

// Flink merges the merged windows' lists into the state window's, in an
// order its hash set decides; brook keeps the sessions' lists in start order
// (the oldest session's first), whatever order the key's windows are in.
// Sessions never overlap and every element lies in its session, so the
// elements of sessions after `other` are exactly those after its end.
template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::MergeContents(WinState& target,
                                                       WinState& other) {
  if (!evictor_.has_value()) {
    agg_.Merge(target.acc, other.acc);
    return;
  }
  if (other.extras == nullptr || other.extras->elements.empty()) return;
  std::vector<internal::TimestampedElement<In>> moved =
      std::move(other.extras->elements);
  ClearElements(other);
  std::vector<internal::TimestampedElement<In>>& into =
      target.Extras().elements;
  const EventTime end = other.window.max_timestamp_millis;
  auto at = std::find_if(into.begin(), into.end(), [end](const auto& x) {
    return x.timestamp_millis > end;
  });
  into.insert(at, std::make_move_iterator(moved.begin()),
              std::make_move_iterator(moved.end()));
}

// The logical state with elements: the accumulator form's windows, trigger
// state and timers (`ExportState()` above), each window's contents taken
// from its element list. A non-evicting operator exports no contents.
template <typename Key, typename In, typename Agg, typename Hash>
void WindowOperator<Key, In, Agg, Hash>::ExportState(
    internal::WindowStateData<Key, StoredElements>* out) const {
  using Data = internal::WindowStateData<Key, StoredElements>;
  internal::WindowStateData<Key, StoredAccumulator> base;
  ExportState(&base);
  *out = Data();
  internal::CopyWindowStateExceptContents(base, out);
  for (size_t k = 0; k < base.keys.size(); ++k) {
    auto found = state_.slot_of.find(base.keys[k].key);
    if (!evictor_.has_value() || found == state_.slot_of.end()) continue;
    const KeyState& ks = state_.keys[found->second.slot];
    for (auto& w : out->keys[k].windows) {
      for (const WinState& ws : ks.windows) {
        if (ws.window != TimeWindow{w.start_millis, w.max_timestamp_millis}) {
          continue;
        }
        if (ws.has_data && ws.extras != nullptr &&
            !ws.extras->elements.empty()) {
          w.has_contents = true;
          w.acc.elements = ws.extras->elements;
        }
        break;
      }
    }
  }
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::Status WindowOperator<Key, In, Agg, Hash>::ImportState(
    internal::WindowStateData<Key, StoredElements> data) {
  if (!evictor_.has_value()) {
    return absl::InvalidArgumentError(
        "window state: elements given to an operator without an evictor");
  }
  auto bad = [](auto&&... what) {
    return absl::DataLossError(absl::StrCat("window state: ", what...));
  };
  for (size_t k = 0; k < data.keys.size(); ++k) {
    for (const auto& w : data.keys[k].windows) {
      const std::string where =
          absl::StrCat("key ", k, ": window [", w.start_millis, ", ",
                       w.max_timestamp_millis, "]");
      if (!w.has_contents && !w.acc.elements.empty()) {
        return bad(where, ": elements without contents");
      }
      if (w.has_contents && w.acc.elements.empty()) {
        return bad(where, ": contents without elements (an empty window is ",
                   "saved without contents)");
      }
      for (const auto& x : w.acc.elements) {
        // Every element lies in its window (a custom assigner's windows
        // need not hold their elements' times).
        if (x.timestamp_millis == kMinEventTime ||
            (assigner_.kind() != WindowAssignerKind::kCustom &&
             (x.timestamp_millis < w.start_millis ||
              x.timestamp_millis > w.max_timestamp_millis))) {
          return bad(where, ": an element at ", x.timestamp_millis,
                     " outside the window");
        }
      }
    }
  }
  // The rest is the accumulator form's to check; its windows carry no
  // contents, which an evicting operator accepts.
  internal::WindowStateData<Key, StoredAccumulator> base;
  internal::CopyWindowStateExceptContents(data, &base);
  absl::Status s = ImportState(std::move(base));
  if (!s.ok()) return s;
  // Valid: attach the elements. Nothing below fails.
  for (auto& kd : data.keys) {
    KeyState& ks = state_.keys[state_.slot_of.find(kd.key)->second.slot];
    for (auto& w : kd.windows) {
      if (!w.has_contents) continue;
      WinState* ws =
          ks.Find(TimeWindow{w.start_millis, w.max_timestamp_millis});
      ws->has_data = true;
      ws->Extras().elements = std::move(w.acc.elements);
    }
  }
  return absl::OkStatus();
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_EVICTOR_IMPL_H_
