// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Template definitions of the window operator's saved state (window.h):
// `SaveState()` and `RestoreState()`, over the logical form
// (internal/window_state.h, `ExportState()`/`ImportState()`) and its byte
// encoding (internal/window_state_codec.h); and `WindowOperatorAccess`,
// through which code outside the operator (tests, fuzzers) reaches that
// private seam. Not API: include "brook/window.h".
//
// Thread safety: see window.h.

#ifndef BROOK_INTERNAL_WINDOW_STATE_IMPL_H_
#define BROOK_INTERNAL_WINDOW_STATE_IMPL_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "brook/internal/window_state.h"
#include "brook/internal/window_state_codec.h"
#include "brook/window.h"

namespace brook {
namespace internal {

// How code outside the operator reaches its private state seam (`Shape()`,
// `ExportState()`, `ImportState()`; internal/window_state_export_impl.h).
// The one friend of `WindowOperator` for its state.
struct WindowOperatorAccess {
  template <typename Op>
  static WindowStateShape Shape(const Op& op) {
    return op.Shape();
  }
  template <typename Op, typename Data>
  static void ExportState(const Op& op, Data* out) {
    op.ExportState(out);
  }
  template <typename Op, typename Data>
  static absl::Status ImportState(Op& op, Data data) {
    return op.ImportState(std::move(data));
  }
};

}  // namespace internal

template <typename Key, typename In, typename Agg, typename Hash>
std::string WindowOperator<Key, In, Agg, Hash>::SaveState() const {
  // With an evictor, the windows' elements (Create() refuses an evictor
  // when `In` has no codec, so this compiles for every other `In`).
  if constexpr (internal::HasCodec<In>::value) {
    if (evictor_.has_value()) {
      internal::WindowStateData<Key, StoredElements> data;
      ExportState(&data);
      return internal::EncodeWindowState<Key, StoredElements,
                                         internal::WindowElementsCodec<In>>(
          Shape(), data);
    }
  }
  internal::WindowStateData<Key, StoredAccumulator> data;
  ExportState(&data);
  return internal::EncodeWindowState<
      Key, StoredAccumulator,
      internal::StoredAccumulatorCodec<Agg, StoredAccumulator>>(Shape(), data);
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::Status WindowOperator<Key, In, Agg, Hash>::RestoreState(
    absl::string_view state) {
  const internal::WindowStateShape mine = Shape();
  internal::WindowStateShape saved;
  if constexpr (internal::HasCodec<In>::value) {
    if (evictor_.has_value()) {
      internal::WindowStateData<Key, StoredElements> data;
      absl::Status s =
          internal::DecodeWindowState<Key, StoredElements,
                                      internal::WindowElementsCodec<In>>(
              state, &saved, &data, &mine);
      if (!s.ok()) return s;
      return ImportState(std::move(data));
    }
  }
  internal::WindowStateData<Key, StoredAccumulator> data;
  auto decode = [&](const internal::WindowStateShape& shape) {
    return internal::DecodeWindowState<
        Key, StoredAccumulator,
        internal::StoredAccumulatorCodec<Agg, StoredAccumulator>>(
        state, &saved, &data, &shape);
  };
  absl::Status s = decode(mine);
  const bool path = cumulate_sliced_;
  if (absl::IsInvalidArgument(s) && cumulate_slicing_) {
    // Cumulate windows that would slice run the saved state's path
    // (WINDOW_STATE_FORMAT.md): try the shape of the other one.
    cumulate_sliced_ = !path;
    const internal::WindowStateShape other = Shape();
    cumulate_sliced_ = path;
    absl::Status t = decode(other);
    if (!absl::IsInvalidArgument(t)) {
      // (Else the shape differs in more than the path: the first error.)
      s = t;
      if (s.ok()) cumulate_sliced_ = !path;
    }
  }
  if (!s.ok()) return s;
  s = ImportState(std::move(data));
  if (!s.ok()) cumulate_sliced_ = path;  // unchanged on error
  return s;
}

}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_STATE_IMPL_H_
