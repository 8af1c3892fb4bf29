// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Per-append latency under a steady load (issue 13, "Latency under load"):
// single 100-byte records appended to one shard at a fixed rate of 1 M
// records a second (one every 1,000 ns, on a busy-waited schedule), each
// append timed alone. See bench/README.md, "Issue 13".
//
// Counters, in nanoseconds: `p50`, `p99`, `p999`, `p9999` and `max` of the
// append's own time; `p999_sched`, the 99.9th percentile measured from the
// append's scheduled start (so an append delayed by the one before counts
// the delay: no coordinated omission). `faults_per_M`, `waits_per_M` and
// `preempted_per_M` are the calling thread's page faults, voluntary and
// involuntary context switches per million appends (getrusage(RUSAGE_THREAD));
// `late_pct` is the share of appends that started more than 1 us after their
// slot. The same paced loop
// around a 100-byte memcpy into a prefaulted ring (BM_Baseline_PacedMemcpy)
// shows the tail the machine adds to any work of that size: interrupts, VM
// exits, the other engineers' processes.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <benchmark/benchmark.h>

#include "brook/shard.h"
#include "brook/stream.h"

#include "bench_dir.h"
#include <sys/resource.h>

namespace brook {
namespace {

constexpr int64_t kPeriodNanos = 1000;  // 1 M appends a second
constexpr size_t kMaxSamples = size_t{4} << 20;
constexpr int64_t kRetention = int64_t{64} << 20;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Usage {
  int64_t faults = 0;
  int64_t waits = 0;        // voluntary context switches (blocked)
  int64_t preemptions = 0;  // involuntary ones
};

Usage ThreadUsage() {
  rusage u{};
  ::getrusage(RUSAGE_THREAD, &u);
  return Usage{u.ru_minflt + u.ru_majflt, u.ru_nvcsw, u.ru_nivcsw};
}

double Percentile(const std::vector<int64_t>& sorted, double q) {
  const size_t i =
      std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()));
  return static_cast<double>(sorted[i]);
}

// Runs `op` once per benchmark iteration on the 1 us schedule and sets the
// counters. With `attribute`, also reads the thread's usage before and after
// each op (outside its timing; the schedule then falls behind, so only the
// op's own percentiles mean anything) and reports, of the ops at or above the
// p99.9 time, the share that took a page fault (`tail_faulted_pct`), blocked
// (`tail_waited_pct`) or was preempted (`tail_preempted_pct`).
template <typename Op>
void Paced(benchmark::State& state, bool attribute, Op op) {
  // Written through now, so that recording a sample faults in no page.
  std::vector<int64_t> took(kMaxSamples, 1);
  std::vector<int64_t> from_slot(kMaxSamples, 1);
  std::vector<uint8_t> why(attribute ? kMaxSamples : 0, 0);
  size_t samples = 0;
  int64_t late = 0;
  const Usage before = ThreadUsage();
  int64_t slot = NowNanos() + kPeriodNanos;
  for (auto _ : state) {
    int64_t start = NowNanos();
    while (start < slot) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
      start = NowNanos();
    }
    Usage u0;
    if (attribute) {
      u0 = ThreadUsage();
      start = NowNanos();
    }
    if (!op()) {
      state.SkipWithError("append failed");
      return;
    }
    const int64_t end = NowNanos();
    if (attribute && samples < kMaxSamples) {
      const Usage u1 = ThreadUsage();
      why[samples] = (u1.faults > u0.faults ? 1 : 0) |
                     (u1.waits > u0.waits ? 2 : 0) |
                     (u1.preemptions > u0.preemptions ? 4 : 0);
    }
    if (start - slot > 1000) ++late;
    if (samples < kMaxSamples) {
      took[samples] = end - start;
      from_slot[samples] = end - slot;
      ++samples;
    }
    slot += kPeriodNanos;
  }
  const Usage after = ThreadUsage();
  if (samples == 0) return;
  took.resize(samples);
  from_slot.resize(samples);
  if (attribute) {
    std::vector<int64_t> sorted = took;
    std::sort(sorted.begin(), sorted.end());
    const int64_t tail = static_cast<int64_t>(Percentile(sorted, 0.999));
    double in_tail = 0, faulted = 0, waited = 0, preempted = 0;
    for (size_t i = 0; i < samples; ++i) {
      if (took[i] < tail) continue;
      ++in_tail;
      faulted += (why[i] & 1) != 0;
      waited += (why[i] & 2) != 0;
      preempted += (why[i] & 4) != 0;
    }
    state.counters["tail_faulted_pct"] = 100 * faulted / in_tail;
    state.counters["tail_waited_pct"] = 100 * waited / in_tail;
    state.counters["tail_preempted_pct"] = 100 * preempted / in_tail;
  }
  std::sort(took.begin(), took.end());
  std::sort(from_slot.begin(), from_slot.end());
  const double n = static_cast<double>(state.iterations());
  state.counters["p50"] = Percentile(took, 0.5);
  state.counters["p99"] = Percentile(took, 0.99);
  state.counters["p999"] = Percentile(took, 0.999);
  state.counters["p9999"] = Percentile(took, 0.9999);
  state.counters["max"] = static_cast<double>(took.back());
  state.counters["p999_sched"] = Percentile(from_slot, 0.999);
  state.counters["faults_per_M"] =
      1e6 * static_cast<double>(after.faults - before.faults) / n;
  state.counters["waits_per_M"] =
      1e6 * static_cast<double>(after.waits - before.waits) / n;
  state.counters["preempted_per_M"] =
      1e6 * static_cast<double>(after.preemptions - before.preemptions) / n;
  state.counters["late_pct"] = 100.0 * static_cast<double>(late) / n;
  state.counters["samples"] = static_cast<double>(samples);
  state.SetItemsProcessed(state.iterations());
}

// state.range(0): 0 memory stream, 1 durable stream (mmap, `kNone`).
// state.range(1): 1 warm (the stream at its 64 MiB retention bound, its
// dropped segments reused: the steady state); 0 fresh (a new stream whose
// appends touch new pages, to show what a page fault costs in the tail).
// state.range(2): 1 attributes the tail (see `Paced()`).
void BM_Append_Latency(benchmark::State& state) {
  const bool durable = state.range(0) == 1;
  const bool warm = state.range(1) == 1;
  const bool attribute = state.range(2) == 1;
  BenchDir dir;
  StreamOptions options;
  options.retention_bytes = kRetention;
  options.on_full = RetentionFullPolicy::kDropOldest;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      durable ? Stream::Open(dir.path(), options, OpenMode::kCreateIfMissing)
              : Stream::Create(options);
  if (!stream.ok()) {
    state.SkipWithError("open failed");
    return;
  }
  Shard* shard = *(*stream)->GetShard("shardId-000000000000");
  const std::string data(100, 'd');
  const std::vector<RoutedRecord> one = {RoutedRecord{"k", data, 1, true}};
  if (warm) {
    // Single appends, as timed: each segment then holds as many frames as
    // the timed appends make (one index entry each), so a segment that
    // retention drops leaves an index of the size the next one needs.
    for (int64_t bytes = 0; bytes < 2 * kRetention; bytes += 126) {
      if (!shard->Append(one).ok()) {
        state.SkipWithError("warm-up failed");
        return;
      }
    }
  }
  Paced(state, attribute, [&] { return shard->Append(one).ok(); });
  state.SetLabel(
      absl::StrCat(durable ? "mmap" : "memory", warm ? " warm" : " fresh"));
}
BENCHMARK(BM_Append_Latency)
    ->ArgsProduct({{0, 1}, {1, 0}, {0}})
    ->Args({0, 1, 1})
    ->Args({1, 1, 1})
    ->ArgNames({"durable", "warm", "attribute"})
    ->UseRealTime();

// The baseline: the same schedule around a memcpy of the same 100 bytes into
// a prefaulted 64 MiB ring.
void BM_Baseline_PacedMemcpy(benchmark::State& state) {
  std::vector<char> ring(static_cast<size_t>(kRetention), 1);
  const std::string data(100, 'd');
  size_t at = 0;
  Paced(state, false, [&] {
    if (at + data.size() > ring.size()) at = 0;
    std::memcpy(ring.data() + at, data.data(), data.size());
    benchmark::DoNotOptimize(ring.data() + at);
    at += data.size();
    return true;
  });
}
BENCHMARK(BM_Baseline_PacedMemcpy)->UseRealTime();

}  // namespace
}  // namespace brook
