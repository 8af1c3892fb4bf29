// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Window functions that aggregate a window's elements incrementally (Flink's
// AggregateFunction, ReduceFunction) or keep them all (ProcessWindowFunction).
// Part of window.h; include that.
//
// Thread safety: aggregates are values; the operator calls them from its
// thread only.

#ifndef BROOK_WINDOW_AGGREGATE_H_
#define BROOK_WINDOW_AGGREGATE_H_

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "brook/codec.h"
#include "brook/window_assigner.h"

namespace brook {

// --- Aggregates ---------------------------------------------------------
//
// A window operator is parameterised by an aggregate type `Agg` with:
//   using Accumulator = ...; using Output = ...;
//   Accumulator CreateAccumulator() const;
//   void Add(Accumulator& acc, const In& value) const;
//   void Merge(Accumulator& into, const Accumulator& from) const;
//   template <class Key> Output GetResult(const Key&, const TimeWindow&,
//                                         const Accumulator&) const;
// `Merge` must be associative, with `CreateAccumulator()` as its identity.
// Use the helpers below rather than writing one by hand.

// Counts elements.
template <typename In>
struct CountAggregate {
  using Accumulator = int64_t;
  using Output = int64_t;
  Accumulator CreateAccumulator() const { return 0; }
  // In unsigned arithmetic: a count restored from crafted saved state wraps
  // instead of overflowing (undefined behaviour).
  void Add(Accumulator& acc, const In&) const {
    acc = static_cast<int64_t>(static_cast<uint64_t>(acc) + 1);
  }
  void Merge(Accumulator& into, const Accumulator& from) const {
    into = static_cast<int64_t>(static_cast<uint64_t>(into) +
                                static_cast<uint64_t>(from));
  }
  template <typename Key>
  Output GetResult(const Key&, const TimeWindow&,
                   const Accumulator& acc) const {
    return acc;
  }
};

// Sums elements (`In` must support `+=` into an int64-like `Out`).
template <typename In, typename Out = int64_t>
struct SumAggregate {
  using Accumulator = Out;
  using Output = Out;
  Accumulator CreateAccumulator() const { return Out(); }
  void Add(Accumulator& acc, const In& value) const { acc += value; }
  void Merge(Accumulator& into, const Accumulator& from) const { into += from; }
  template <typename Key>
  Output GetResult(const Key&, const TimeWindow&,
                   const Accumulator& acc) const {
    return acc;
  }
};

// Incremental aggregation from four functions (Flink's AggregateFunction):
// create() -> Acc, add(Acc&, const In&), merge(Acc&, const Acc&),
// result(const Acc&) -> Out.
template <typename In, typename Acc, typename Create, typename AddFn,
          typename MergeFn, typename ResultFn>
struct FunctionAggregate {
  using Accumulator = Acc;
  using Output = std::decay_t<std::invoke_result_t<ResultFn, const Acc&>>;
  Create create;
  AddFn add;
  MergeFn merge;
  ResultFn result;
  Accumulator CreateAccumulator() const { return create(); }
  void Add(Accumulator& acc, const In& value) const { add(acc, value); }
  void Merge(Accumulator& into, const Accumulator& from) const {
    merge(into, from);
  }
  template <typename Key>
  Output GetResult(const Key&, const TimeWindow&,
                   const Accumulator& acc) const {
    return result(acc);
  }
};

template <typename In, typename Create, typename AddFn, typename MergeFn,
          typename ResultFn>
auto MakeAggregate(Create create, AddFn add, MergeFn merge, ResultFn result) {
  using Acc = std::decay_t<std::invoke_result_t<Create>>;
  return FunctionAggregate<In, Acc, Create, AddFn, MergeFn, ResultFn>{
      std::move(create), std::move(add), std::move(merge), std::move(result)};
}

// Reduce (Flink's ReduceFunction): `reduce(const In&, const In&) -> In`, which
// must be associative. The result is the reduced element.
template <typename In, typename ReduceFn>
struct ReduceAggregate {
  struct Accumulator {
    In value{};
    bool has_value = false;
  };
  using Output = In;
  ReduceFn reduce;
  // For saved state (codec.h): needs `Codec<In>`.
  static void EncodeAccumulator(const Accumulator& acc, std::string* out) {
    Codec<bool>::Encode(acc.has_value, out);
    if (acc.has_value) Codec<In>::Encode(acc.value, out);
  }
  static bool DecodeAccumulator(absl::string_view* in, Accumulator* acc) {
    if (!Codec<bool>::Decode(in, &acc->has_value)) return false;
    return !acc->has_value || Codec<In>::Decode(in, &acc->value);
  }
  Accumulator CreateAccumulator() const { return Accumulator(); }
  void Add(Accumulator& acc, const In& value) const {
    if (acc.has_value) {
      acc.value = reduce(acc.value, value);
    } else {
      acc.value = value;
      acc.has_value = true;
    }
  }
  void Merge(Accumulator& into, const Accumulator& from) const {
    if (from.has_value) Add(into, from.value);
  }
  template <typename Key>
  Output GetResult(const Key&, const TimeWindow&,
                   const Accumulator& acc) const {
    return acc.value;
  }
};

template <typename In, typename ReduceFn>
ReduceAggregate<In, ReduceFn> MakeReduce(ReduceFn reduce) {
  return ReduceAggregate<In, ReduceFn>{std::move(reduce)};
}

// Full-window function (Flink's ProcessWindowFunction): keeps every element
// and calls `fn(const Key&, const TimeWindow&, absl::Span<const In>) -> Out`
// at each firing, elements in arrival order (merged sessions: by session).
template <typename In, typename Fn>
struct FullWindowAggregate {
  using Accumulator = std::vector<In>;
  Fn fn;
  Accumulator CreateAccumulator() const { return {}; }
  void Add(Accumulator& acc, const In& value) const { acc.push_back(value); }
  void Merge(Accumulator& into, const Accumulator& from) const {
    into.insert(into.end(), from.begin(), from.end());
  }
  template <typename Key>
  auto GetResult(const Key& key, const TimeWindow& window,
                 const Accumulator& acc) const {
    return fn(key, window, absl::Span<const In>(acc));
  }
};

template <typename In, typename Fn>
FullWindowAggregate<In, Fn> MakeFullWindow(Fn fn) {
  return FullWindowAggregate<In, Fn>{std::move(fn)};
}

namespace internal {
template <typename Agg, typename Key>
using AggOutput = std::decay_t<decltype(std::declval<const Agg&>().GetResult(
    std::declval<const Key&>(), std::declval<const TimeWindow&>(),
    std::declval<const typename Agg::Accumulator&>()))>;
}  // namespace internal

}  // namespace brook

#endif  // BROOK_WINDOW_AGGREGATE_H_
