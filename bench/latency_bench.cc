// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Latency from put to a waiting consumer's wake-up (issue 10), beside its
// baselines in the same binary (the follower's throughput is in
// follow_scan_bench.cc, the pieces of the spinning path in
// latency_pieces_bench.cc). See bench/README.md, section "Issue 10".
//
// Latency benchmarks ping-pong: each iteration puts one 100-byte record whose
// first 8 bytes are the CLOCK_MONOTONIC time (steady_clock) just before the
// put; the consumer, blocked in WaitForRecords (or spinning, where the build
// offers a spinning wait), reads it, takes the time and acknowledges; the
// producer waits for the acknowledgement before the next put, so every record
// finds the consumer waiting. Counters `p50`, `p99` and `p999` are the
// percentiles of the put-to-wake-up times in nanoseconds (the time the
// consumer's WaitForRecords returned, as the baselines' waits), and
// `read_p50`, `read_p99` and `read_p999` those of put to records in hand
// (after the GetRecords that follows the wake-up). CLOCK_MONOTONIC is
// system-wide, so the cross-process figures use the same clock.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "brook/consumer.h"
#include "brook/producer.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "bench_dir.h"
#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace {

constexpr size_t kRecordBytes = 100;
// How long a producer waits for the consumer to see a record before it
// gives up (a build whose read-only opens do not follow never shows it).
constexpr auto kAckTimeout = std::chrono::seconds(2);

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Sets the counters `<prefix>p50`, `<prefix>p99` and `<prefix>p999` from
// latency samples in nanoseconds (and `samples`).
void ReportPercentiles(benchmark::State& state, std::vector<int64_t> samples,
                       const std::string& prefix = "") {
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    const size_t i =
        std::min(samples.size() - 1, static_cast<size_t>(q * samples.size()));
    return static_cast<double>(samples[i]);
  };
  state.counters[prefix + "p50"] = at(0.5);
  state.counters[prefix + "p99"] = at(0.99);
  state.counters[prefix + "p999"] = at(0.999);
  state.counters["samples"] = static_cast<double>(samples.size());
}

// Spins (with a pause) until `ack` reaches `n`; false on timeout.
bool WaitForAck(const std::atomic<uint64_t>& ack, uint64_t n) {
  const auto deadline = std::chrono::steady_clock::now() + kAckTimeout;
  for (uint32_t spins = 0; ack.load(std::memory_order_acquire) < n; ++spins) {
    if ((spins & 1023) == 1023) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
  return true;
}

// After each acknowledgement the producer lets this much time pass before
// the next put, so that the consumer has gone back to waiting (asleep, for a
// blocking wait): otherwise a put can land while the consumer is still
// returning from the last one, and the figure measures no wake-up at all.
// The same gap in every benchmark.
constexpr int64_t kGapNanos = 50'000;

void Gap() {
  const int64_t until = NowNanos() + kGapNanos;
  while (NowNanos() < until) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
}

// The spinning wait of a follower (issue 10) is a stream option; this build
// may predate it, so it is set only where `StreamOptions` has it.
template <typename T, typename = void>
struct HasWaitSpin : std::false_type {};
template <typename T>
struct HasWaitSpin<T, std::void_t<decltype(std::declval<T&>().wait_spin)>>
    : std::true_type {};

template <typename T>
bool SetWaitSpin(T& options) {
  if constexpr (HasWaitSpin<T>::value) {
    options.wait_spin = absl::Milliseconds(10);
    return true;
  } else {
    return false;
  }
}

constexpr char kNoSpin[] =
    "this build has no spinning wait (StreamOptions::wait_spin, issue 10)";

std::string Stamped(int64_t nanos) {
  std::string data(kRecordBytes, 'd');
  std::memcpy(&data[0], &nanos, sizeof(nanos));
  return data;
}

int64_t StampOf(absl::string_view data) {
  int64_t nanos = 0;
  if (data.size() >= sizeof(nanos)) std::memcpy(&nanos, data.data(), 8);
  return nanos;
}

// The consumer side: waits on the shard from `it` on, and for each record
// read stores its put-to-wake-up latency in `woke[n]` and its put-to-read
// latency in `read[n]` (n < capacity) and raises `ack`, until `stop`.
void ConsumeLoop(const Consumer& consumer, ShardIterator it,
                 const std::atomic<bool>& stop, std::atomic<uint64_t>& ack,
                 int64_t* woke, int64_t* read, size_t capacity) {
  uint64_t n = ack.load();
  while (!stop.load(std::memory_order_relaxed)) {
    if (!consumer.WaitForRecords(it, absl::Milliseconds(50))) continue;
    const int64_t woke_at = NowNanos();
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(it);
    if (!r.ok()) return;
    const int64_t now = NowNanos();
    for (const Record& rec : r->records()) {
      if (n < capacity) {
        woke[n] = woke_at - StampOf(rec.data);
        read[n] = now - StampOf(rec.data);
      }
      ++n;
    }
    ack.store(n, std::memory_order_release);
    if (!r->next_shard_iterator().valid()) return;
    it = r->next_shard_iterator();
  }
}

// Puts a stamped record per iteration and waits for its acknowledgement.
// Reports `put_p50`, the median time PutRecord itself took (ns), which the
// put-to-read latency includes.
void ProduceLoop(benchmark::State& state, Producer& producer,
                 const std::atomic<uint64_t>& ack, uint64_t first) {
  uint64_t n = first;
  std::vector<int64_t> put_nanos;
  put_nanos.reserve(1 << 20);
  for (auto _ : state) {
    Gap();
    const int64_t start = NowNanos();
    const std::string data = Stamped(start);
    absl::StatusOr<PutRecordResult> put = producer.PutRecord("k", data);
    if (put_nanos.size() < put_nanos.capacity()) {
      put_nanos.push_back(NowNanos() - start);
    }
    if (!put.ok()) {
      state.SkipWithError("put failed");
      break;
    }
    if (!WaitForAck(ack, ++n)) {
      state.SkipWithError(
          "the consumer did not see the record within 2 s (a read-only open "
          "that does not follow the writer?)");
      break;
    }
  }
  if (!put_nanos.empty()) {
    std::nth_element(put_nanos.begin(),
                     put_nanos.begin() + put_nanos.size() / 2, put_nanos.end());
    state.counters["put_p50"] =
        static_cast<double>(put_nanos[put_nanos.size() / 2]);
  }
}

// Producer thread and consumer thread in this process, over one in-memory
// shard. Blocking (spin:0): the consumer sleeps on the shard's condition
// variable. Spinning (spin:1): `StreamOptions::wait_spin`, the consumer
// polls the shard's wake-up counter.
void BM_Latency_InProcess(benchmark::State& state) {
  const bool spin = state.range(0) == 1;
  StreamOptions options;
  if (spin && !SetWaitSpin(options)) {
    state.SkipWithError(kNoSpin);
    return;
  }
  std::unique_ptr<Stream> stream = *Stream::Create(options);
  Producer producer(stream.get());
  Consumer consumer(stream.get());
  const ShardIterator it = *consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  std::vector<int64_t> woke(1 << 22);
  std::vector<int64_t> read(woke.size());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ack{0};
  std::thread reader([&] {
    ConsumeLoop(consumer, it, stop, ack, woke.data(), read.data(), woke.size());
  });
  ProduceLoop(state, producer, ack, 0);
  stop.store(true);
  reader.join();
  woke.resize(std::min<size_t>(ack.load(), woke.size()));
  read.resize(woke.size());
  ReportPercentiles(state, std::move(woke));
  ReportPercentiles(state, std::move(read), "read_");
}
BENCHMARK(BM_Latency_InProcess)->Arg(0)->Arg(1)->ArgName("spin")->UseRealTime();

// Baseline: the same ping-pong through an eventfd the consumer blocks on.
void BM_Baseline_EventfdPingPong(benchmark::State& state) {
  const int efd = ::eventfd(0, 0);
  std::atomic<int64_t> stamp{0};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ack{0};
  std::vector<int64_t> latencies;
  latencies.reserve(1 << 22);
  std::thread reader([&] {
    uint64_t v;
    while (::read(efd, &v, sizeof(v)) == sizeof(v) && !stop.load()) {
      latencies.push_back(NowNanos() - stamp.load(std::memory_order_acquire));
      ack.fetch_add(1, std::memory_order_release);
    }
  });
  uint64_t n = 0;
  for (auto _ : state) {
    Gap();
    stamp.store(NowNanos(), std::memory_order_release);
    const uint64_t one = 1;
    if (::write(efd, &one, sizeof(one)) != sizeof(one)) break;
    WaitForAck(ack, ++n);
  }
  stop.store(true);
  const uint64_t one = 1;
  if (::write(efd, &one, sizeof(one)) != sizeof(one)) std::abort();
  reader.join();
  ::close(efd);
  ReportPercentiles(state, std::move(latencies));
}
BENCHMARK(BM_Baseline_EventfdPingPong)->UseRealTime();

// Baseline: the same ping-pong through a mutex and condition variable.
void BM_Baseline_CondVarPingPong(benchmark::State& state) {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t posted = 0;  // guarded by mu
  bool stop = false;    // guarded by mu
  int64_t stamp = 0;    // guarded by mu
  std::atomic<uint64_t> ack{0};
  std::vector<int64_t> latencies;
  latencies.reserve(1 << 22);
  std::thread reader([&] {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stop || posted != seen; });
      if (stop) return;
      seen = posted;
      latencies.push_back(NowNanos() - stamp);
      ack.store(seen, std::memory_order_release);
    }
  });
  uint64_t n = 0;
  for (auto _ : state) {
    Gap();
    {
      std::lock_guard<std::mutex> lock(mu);
      stamp = NowNanos();
      posted = ++n;
    }
    cv.notify_one();
    WaitForAck(ack, n);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_one();
  reader.join();
  ReportPercentiles(state, std::move(latencies));
}
BENCHMARK(BM_Baseline_CondVarPingPong)->UseRealTime();

// Spins (with a pause) until `word` differs from `seen`, or `stop` is set;
// returns the word.
template <typename Word, typename Stop>
Word SpinUntilChanged(const std::atomic<Word>& word, Word seen,
                      const std::atomic<Stop>& stop) {
  Word now;
  while ((now = word.load(std::memory_order_acquire)) == seen &&
         !stop.load(std::memory_order_relaxed)) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
  return now;
}

// Baseline for the spinning variants: the same ping-pong through an atomic
// the consumer spins on (no system call on either side), what the hardware
// gives for handing a cache line from one core to the other and back.
void BM_Baseline_SpinPingPong(benchmark::State& state) {
  std::atomic<uint64_t> posted{0};
  std::atomic<int64_t> stamp{0};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ack{0};
  std::vector<int64_t> latencies;
  latencies.reserve(1 << 22);
  std::thread reader([&] {
    uint64_t seen = 0;
    for (;;) {
      seen = SpinUntilChanged(posted, seen, stop);
      if (stop.load()) return;
      latencies.push_back(NowNanos() - stamp.load(std::memory_order_acquire));
      ack.store(seen, std::memory_order_release);
    }
  });
  uint64_t n = 0;
  for (auto _ : state) {
    Gap();
    stamp.store(NowNanos(), std::memory_order_release);
    posted.store(++n, std::memory_order_release);
    if (!WaitForAck(ack, n)) {
      state.SkipWithError("the spinning thread did not answer");
      break;
    }
  }
  stop.store(true);
  reader.join();
  ReportPercentiles(state, std::move(latencies));
}
BENCHMARK(BM_Baseline_SpinPingPong)->UseRealTime();

// What a forked consumer and its parent share (MAP_SHARED | MAP_ANONYMOUS).
struct CrossProcessShared {
  static constexpr size_t kCapacity = size_t{1} << 20;
  std::atomic<uint64_t> ack;
  std::atomic<uint32_t> ready;
  std::atomic<uint32_t> stop;
  std::atomic<uint32_t> futex_word;   // the futex baseline's sequence
  std::atomic<int64_t> stamp;         // the futex baseline's send time
  int64_t latencies[kCapacity];       // put to wake-up (or the baseline's)
  int64_t read_latencies[kCapacity];  // put to read (BM_Latency_* only)
};

class SharedMapping {
 public:
  SharedMapping() {
    void* p = ::mmap(nullptr, sizeof(CrossProcessShared),
                     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    shared_ = static_cast<CrossProcessShared*>(p);
  }
  ~SharedMapping() { ::munmap(shared_, sizeof(CrossProcessShared)); }
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;
  CrossProcessShared* get() const { return shared_; }

 private:
  CrossProcessShared* shared_;
};

long Futex(std::atomic<uint32_t>* word, int op, uint32_t value) {
  // Not FUTEX_PRIVATE_FLAG: the word is shared with another process.
  return ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value,
                   nullptr, nullptr, 0);
}

// Waits (spinning, then yielding) until the child says it is ready, or it
// died; false then.
bool WaitForReady(const CrossProcessShared& shared, pid_t child) {
  const auto deadline = std::chrono::steady_clock::now() + kAckTimeout * 5;
  while (shared.ready.load(std::memory_order_acquire) == 0) {
    int status;
    if (::waitpid(child, &status, WNOHANG) == child) return false;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

void StopChild(CrossProcessShared& shared, pid_t child) {
  shared.stop.store(1);
  shared.futex_word.fetch_add(1);
  Futex(&shared.futex_word, FUTEX_WAKE, 1);
  const auto deadline = std::chrono::steady_clock::now() + kAckTimeout * 5;
  int status;
  for (;;) {
    const pid_t reaped = ::waitpid(child, &status, WNOHANG);
    if (reaped == child || reaped < 0) return;  // < 0: reaped already
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return;
    }
    std::this_thread::yield();
  }
}

// Reports the percentiles of the latencies the child stored (with `read`,
// also those of `read_latencies`).
void ReportChildLatencies(benchmark::State& state,
                          const CrossProcessShared& shared, bool read = false) {
  const size_t n =
      std::min<uint64_t>(shared.ack.load(), CrossProcessShared::kCapacity);
  ReportPercentiles(
      state, std::vector<int64_t>(shared.latencies, shared.latencies + n));
  if (read) {
    ReportPercentiles(
        state,
        std::vector<int64_t>(shared.read_latencies, shared.read_latencies + n),
        "read_");
  }
}

// The producer writes a durable stream; the consumer is a forked process
// that opened it read-only (a follower) and blocks in WaitForRecords.
void BM_Latency_CrossProcess(benchmark::State& state) {
  const bool spin = state.range(0) == 1;
  StreamOptions options;
  if (spin && !SetWaitSpin(options)) {
    state.SkipWithError(kNoSpin);
    return;
  }
  BenchDir dir;
  const std::string path = dir.path() + "/s";
  std::unique_ptr<Stream> stream =
      *Stream::Open(path, options, OpenMode::kCreateOnly);
  SharedMapping mapping;
  CrossProcessShared& shared = *mapping.get();
  const pid_t child = ::fork();
  if (child == 0) {
    // The child's copy of the writer must not close it (that would sync and
    // mark the directory clean under the parent): leak it.
    static_cast<void>(stream.release());
    absl::StatusOr<std::unique_ptr<Stream>> follower =
        Stream::Open(path, options, OpenMode::kReadOnly);
    if (!follower.ok()) _exit(2);
    Consumer consumer(follower->get());
    absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
        "shardId-000000000000", StartingPosition::TrimHorizon());
    if (!it.ok()) _exit(3);
    std::atomic<bool> stop{false};
    std::thread watcher([&] {
      while (shared.stop.load() == 0) {
        Futex(&shared.futex_word, FUTEX_WAIT, shared.futex_word.load());
      }
      stop.store(true);
    });
    shared.ready.store(1, std::memory_order_release);
    ConsumeLoop(consumer, *it, stop, shared.ack, shared.latencies,
                shared.read_latencies, CrossProcessShared::kCapacity);
    watcher.join();
    _exit(0);
  }
  if (!WaitForReady(shared, child)) {
    state.SkipWithError("the follower process did not start");
    StopChild(shared, child);
    return;
  }
  Producer producer(stream.get());
  ProduceLoop(state, producer, shared.ack, 0);
  StopChild(shared, child);
  ReportChildLatencies(state, shared, /*read=*/true);
}
BENCHMARK(BM_Latency_CrossProcess)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("spin")
    ->UseRealTime();

// The cross-process baselines: a ping-pong with a forked process over a
// shared mapping, through the futex word, which the child waits on with
// futex(2) (`spin` false) or spins on (`spin` true).
void CrossProcessPingPong(benchmark::State& state, bool spin) {
  SharedMapping mapping;
  CrossProcessShared& shared = *mapping.get();
  const pid_t child = ::fork();
  if (child == 0) {
    uint32_t seen = 0;
    uint64_t n = 0;
    shared.ready.store(1, std::memory_order_release);
    while (shared.stop.load() == 0) {
      const uint32_t now =
          spin ? SpinUntilChanged(shared.futex_word, seen, shared.stop)
               : shared.futex_word.load(std::memory_order_acquire);
      if (now == seen) {
        if (!spin) Futex(&shared.futex_word, FUTEX_WAIT, seen);
        continue;
      }
      seen = now;
      if (shared.stop.load() != 0) break;
      if (n < CrossProcessShared::kCapacity) {
        shared.latencies[n] =
            NowNanos() - shared.stamp.load(std::memory_order_acquire);
      }
      shared.ack.store(++n, std::memory_order_release);
    }
    _exit(0);
  }
  if (!WaitForReady(shared, child)) {
    state.SkipWithError("the child process did not start");
    StopChild(shared, child);
    return;
  }
  uint64_t n = 0;
  for (auto _ : state) {
    Gap();
    shared.stamp.store(NowNanos(), std::memory_order_release);
    shared.futex_word.fetch_add(1, std::memory_order_release);
    if (!spin) Futex(&shared.futex_word, FUTEX_WAKE, 1);
    if (!WaitForAck(shared.ack, ++n)) {
      state.SkipWithError("the child did not answer");
      break;
    }
  }
  StopChild(shared, child);
  ReportChildLatencies(state, shared);
}

// Baseline: a futex ping-pong with a forked process over a shared mapping.
void BM_Baseline_CrossProcessFutex(benchmark::State& state) {
  CrossProcessPingPong(state, /*spin=*/false);
}
BENCHMARK(BM_Baseline_CrossProcessFutex)->UseRealTime();

// Baseline for the spinning cross-process variant: the same, spinning on
// the word instead of waiting on it (no system call on either side).
void BM_Baseline_CrossProcessSpinPingPong(benchmark::State& state) {
  CrossProcessPingPong(state, /*spin=*/true);
}
BENCHMARK(BM_Baseline_CrossProcessSpinPingPong)->UseRealTime();

}  // namespace
}  // namespace brook
