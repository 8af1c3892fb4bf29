// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Event-time layer benchmarks. Single thread, 10,000 keys, timestamps nearly
// in order (bounded jitter), a bounded-out-of-orderness watermark advanced
// every 1,000 events. The event vector is built once, outside the timed loop;
// each pass shifts its timestamps forward so the operator runs continuously.
// See bench/README_window.md for figures.

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include <benchmark/benchmark.h>

#include "brook/watermark.h"
#include "brook/window.h"

namespace brook {
namespace {

constexpr int kKeys = 10'000;
constexpr int kEvents = 1 << 20;
constexpr int kWatermarkEvery = 1000;

struct Event {
  uint32_t key;
  EventTime ts;
};

struct Stream {
  std::vector<Event> events;
  EventTime span;  // event time one pass covers
  int64_t jitter;  // max out-of-orderness
};

// `per_ms` events per millisecond of event time, each up to `jitter` ms late.
Stream MakeStream(double per_ms, int64_t jitter) {
  std::mt19937_64 rng(42);
  Stream s;
  s.jitter = jitter;
  s.events.reserve(kEvents);
  for (int i = 0; i < kEvents; ++i) {
    EventTime clock = static_cast<EventTime>(i / per_ms);
    EventTime ts = clock - static_cast<EventTime>(rng() % (jitter + 1));
    s.events.push_back(Event{static_cast<uint32_t>(rng() % kKeys), ts});
  }
  s.span = static_cast<EventTime>(kEvents / per_ms) + 1;
  return s;
}

// Sessions: 1,000 keys of the 10,000 are active at a time and the active set
// moves on every 20 minutes, so each key sees bursts (an event every ~10 s)
// separated by silences far longer than the 30-minute gap.
Stream MakeSessionStream() {
  std::mt19937_64 rng(43);
  Stream s;
  s.jitter = 10'000;
  const double per_ms = 0.1;  // one event per 10 ms of event time
  const EventTime phase = 20 * 60 * 1000;
  for (int i = 0; i < kEvents; ++i) {
    EventTime clock = static_cast<EventTime>(i / per_ms);
    EventTime ts = clock - static_cast<EventTime>(rng() % (s.jitter + 1));
    uint32_t base = static_cast<uint32_t>((clock / phase) * 1000 % kKeys);
    s.events.push_back(
        Event{static_cast<uint32_t>((base + rng() % 1000) % kKeys), ts});
  }
  s.span = static_cast<EventTime>(kEvents / per_ms) + phase * 10;
  return s;
}

// Feeds the events once, shifted by `*shift`, then moves `*shift` on.
template <typename Op>
void Pass(const Stream& stream, Op& op, EventTime* shift, EventTime* max_ts) {
  int n = 0;
  for (const Event& e : stream.events) {
    const EventTime ts = e.ts + *shift;
    if (ts > *max_ts) *max_ts = ts;
    op.ProcessElement(e.key, 1, ts).IgnoreError();  // no dynamic gaps here
    if (++n == kWatermarkEvery) {
      n = 0;
      op.AdvanceWatermark(*max_ts - stream.jitter - 1);
    }
  }
  *shift += stream.span;
}

// Runs untimed passes over `warmup` of event time first, so that the timed
// passes see the operator in steady state (every window of its size full).
template <typename Op>
void RunOperator(benchmark::State& state, const Stream& stream, Op& op,
                 int64_t* results, EventTime warmup = 0) {
  EventTime shift = 0;
  EventTime max_ts = kMinEventTime;
  while (shift < warmup) Pass(stream, op, &shift, &max_ts);
  const int64_t warmup_results = *results;
  for (auto _ : state) Pass(stream, op, &shift, &max_ts);
  *results -= warmup_results;
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.counters["results_per_event"] =
      benchmark::Counter(static_cast<double>(*results) /
                         (static_cast<double>(state.iterations()) * kEvents));
  state.counters["live_state"] = static_cast<double>(op.live_state_count());
}

template <typename Agg>
auto MakeOp(const WindowOptions& options, Agg agg, int64_t* results) {
  using Op = WindowOperator<uint32_t, int64_t, Agg>;
  typename Op::Functions fns;
  fns.on_result = [results](const typename Op::Result& r) {
    benchmark::DoNotOptimize(r.value);
    ++*results;
  };
  return *Op::Create(options, std::move(agg), std::move(fns));
}

const Stream& DenseStream() {
  // 1,000 events per ms (1 M/s of event time), up to 100 ms out of order.
  static const Stream* s = new Stream(MakeStream(1000.0, 100));
  return *s;
}

void BM_Baseline_HashCount(benchmark::State& state) {
  const Stream& stream = DenseStream();
  absl::flat_hash_map<uint32_t, int64_t> counts;
  counts.reserve(kKeys);
  for (auto _ : state) {
    for (const Event& e : stream.events) ++counts[e.key];
    benchmark::DoNotOptimize(counts);
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_Baseline_HashCount);

void BM_Window_TumblingCount(benchmark::State& state) {
  const Stream& stream = DenseStream();
  WindowOptions o;
  o.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(60'000));
  int64_t results = 0;
  auto op = MakeOp(o, CountAggregate<int64_t>(), &results);
  RunOperator(state, stream, *op, &results);
}
BENCHMARK(BM_Window_TumblingCount);

using SumAgg = SumAggregate<int64_t>;

// Arg 0: size/slide; arg 1: 1 for slicing (the default), 0 for one
// accumulator per window. Slide 1 s: size 1 minute (as the tumbling windows)
// or 10 minutes, run to steady state before timing.
void BM_Window_SlidingSum(benchmark::State& state) {
  const Stream& stream = DenseStream();
  const int64_t slide = 1000;
  WindowOptions o;
  o.assigner = *WindowAssigner::Sliding(
      absl::Milliseconds(slide * state.range(0)), absl::Milliseconds(slide));
  o.use_slicing = state.range(1) != 0;
  int64_t results = 0;
  auto op = MakeOp(o, SumAgg(), &results);
  // Unsliced, each element updates size/slide windows from the first pass on;
  // its warm-up would take minutes, so it is measured from cold.
  RunOperator(state, stream, *op, &results,
              o.use_slicing ? slide * state.range(0) : 0);
}
BENCHMARK(BM_Window_SlidingSum)
    ->Args({60, 1})
    ->Args({600, 1})
    ->Args({60, 0})
    ->ArgNames({"size/slide", "sliced"});

// Cumulate windows (Flink SQL's CUMULATE): epochs of max_size = arg 0
// steps of 1 s, each step a window [epoch, epoch + k s). Sliced (the default)
// against its baseline, one accumulator per window and key (unsliced), on
// the same workload as the sliding windows: an element lands in up to arg 0
// windows. The sliced run reaches steady state first; the unsliced one, as
// for sliding windows, is measured from cold.
void RunCumulate(benchmark::State& state, bool sliced) {
  const Stream& stream = DenseStream();
  const int64_t step = 1000;
  WindowOptions o;
  o.assigner = *WindowAssigner::Cumulate(
      absl::Milliseconds(step * state.range(0)), absl::Milliseconds(step));
  o.use_slicing = sliced;
  int64_t results = 0;
  auto op = MakeOp(o, SumAgg(), &results);
  RunOperator(state, stream, *op, &results, sliced ? step * state.range(0) : 0);
}
void BM_Window_Cumulate_Sliced(benchmark::State& state) {
  RunCumulate(state, true);
}
void BM_Window_Cumulate_Unsliced(benchmark::State& state) {
  RunCumulate(state, false);
}
BENCHMARK(BM_Window_Cumulate_Sliced)->Arg(60)->Arg(600)->ArgNames({"steps"});
BENCHMARK(BM_Window_Cumulate_Unsliced)->Arg(60)->ArgNames({"steps"});

void BM_Window_Session(benchmark::State& state) {
  static const Stream* stream = new Stream(MakeSessionStream());
  WindowOptions o;
  o.assigner = *WindowAssigner::Session(absl::Milliseconds(30 * 60 * 1000));
  int64_t results = 0;
  auto op = MakeOp(o, CountAggregate<int64_t>(), &results);
  RunOperator(state, *stream, *op, &results);
}
BENCHMARK(BM_Window_Session);

// Cost of one combiner update over 1,000 inputs: each update raises one
// input's watermark a little, as shards report in turn.
void BM_Watermark_Combine(benchmark::State& state) {
  const int inputs = static_cast<int>(state.range(0));
  WatermarkCombinerOptions o;
  o.num_inputs = inputs;
  auto combiner = *WatermarkCombiner::Create(o);
  std::mt19937_64 rng(44);
  std::vector<int> order(1 << 16);
  for (int& i : order) i = static_cast<int>(rng() % inputs);
  std::vector<EventTime> wm(inputs, 0);
  size_t k = 0;
  int64_t advanced = 0;
  for (auto _ : state) {
    const int i = order[k++ & (order.size() - 1)];
    wm[i] += 1 + static_cast<EventTime>(k & 7);
    advanced += combiner->Update(i, wm[i]);
  }
  benchmark::DoNotOptimize(advanced);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Watermark_Combine)->Arg(1000)->ArgNames({"inputs"});

}  // namespace
}  // namespace brook
