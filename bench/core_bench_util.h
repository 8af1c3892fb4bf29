// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What the benchmarks of brook_core_bench share: the stream they write to,
// its warm-up, the partition keys, and the CPU-time counter.

#ifndef BROOK_BENCH_CORE_BENCH_UTIL_H_
#define BROOK_BENCH_CORE_BENCH_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include <benchmark/benchmark.h>

#include "brook/options.h"
#include "brook/record.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "store/batch_format.h"
#include <time.h>

namespace brook {
namespace core_bench {

constexpr int kBatch = 500;                 // records per append / PutRecords
constexpr size_t kRing = size_t{64} << 20;  // bytes kept, for both sides

// Bytes of a frame of kBatch copies of `record`, as a stream stores it.
inline size_t FrameBytesOf(const RoutedRecord& record) {
  return internal::kBatchHeaderBytes +
         kBatch * internal::EncodedRecordBytes(record);
}

// Writes `frames` frames of kBatch copies of `record` at `dst`, numbered from
// position 0, as a stream stores them (the scan floors' input).
inline void EncodeFrames(const RoutedRecord& record, size_t frames, char* dst) {
  const size_t frame_bytes = FrameBytesOf(record);
  for (size_t f = 0; f < frames; ++f) {
    char* frame = dst + f * frame_bytes;
    internal::BatchHeader h;
    h.frame_bytes = static_cast<uint32_t>(frame_bytes);
    h.first_position = f * kBatch;
    h.record_count = kBatch;
    internal::EncodeBatchHeader(frame, h);
    char* p = frame + internal::kBatchHeaderBytes;
    for (int i = 0; i < kBatch; ++i) p += internal::EncodeRecord(p, record);
  }
}

inline std::unique_ptr<Stream> BenchStream(
    int shards, StreamOptions options = StreamOptions()) {
  options.shard_count = shards;
  options.segment_bytes = 4 << 20;
  options.retention_bytes = kRing;
  options.on_full = RetentionFullPolicy::kDropOldest;
  return *Stream::Create(options);
}

// Fills each shard's ring once, so that the timed appends recycle dropped
// segments, as a stream at its retention bound does, instead of faulting in
// fresh pages (which a slow writer would pay for its whole run).
inline void WarmUp(Stream* stream, benchmark::State& state) {
  const std::string data(1000, 'w');
  std::vector<RoutedRecord> batch(kBatch, RoutedRecord{"k", data, 0, true});
  for (const ShardDescription& d : stream->ListShards()) {
    Shard* shard = *stream->GetShard(d.shard_id);
    for (RoutedRecord& r : batch)
      r.hash_key = d.hash_key_range.starting_hash_key;
    for (size_t bytes = 0; bytes < kRing + (kRing >> 2);
         bytes += kBatch * data.size()) {
      if (!shard->Append(batch).ok()) state.SkipWithError("warm-up failed");
    }
  }
}

// CPU seconds used by the whole process so far (every thread's).
inline double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

// Sets `items_per_cpu_second`: items over the CPU time of every thread of the
// process since `cpu_start`, the like-for-like rate of work done on several
// threads (the producer's putters and its sending thread) and on one. Call
// from one thread only (counters are summed over threads).
inline void SetItemsPerCpuSecond(benchmark::State& state, int64_t items,
                                 double cpu_start) {
  const double cpu = ProcessCpuSeconds() - cpu_start;
  state.counters["items_per_cpu_second"] =
      cpu > 0 ? static_cast<double>(items) / cpu : 0.0;
}

// Partition keys of 16 to 36 bytes, as the design's MD5 figure assumes.
inline std::vector<std::string> Keys(size_t n) {
  std::mt19937 rng(42);
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i) {
    std::string k = "user-" + std::to_string(rng());
    k.resize(16 + rng() % 21, 'k');
    keys.push_back(k);
  }
  return keys;
}

// The keys of BM_PutRecords_Routed: 4096 of them, cycled.
inline const std::vector<std::string>& RoutedKeys() {
  static const std::vector<std::string> keys = Keys(4096);
  return keys;
}

// The keys of BM_PutRecords_RepeatedKeys: 10,000 (device ids), drawn at
// random.
inline const std::vector<std::string>& RepeatedKeys() {
  static const std::vector<std::string> keys = Keys(10000);
  return keys;
}

// The keys of the put benchmarks' batches of kBatch records: `keys` in
// order, 8 batches (`repeat` false), or drawn at random, enough batches to
// draw each key about twice (`repeat` true). Views into `keys`.
inline std::vector<std::vector<absl::string_view>> KeyBatches(
    const std::vector<std::string>& keys, bool repeat) {
  const size_t count = repeat ? 2 * (keys.size() + kBatch - 1) / kBatch : 8;
  std::vector<std::vector<absl::string_view>> batches(count);
  std::mt19937 rng(7);
  for (size_t b = 0; b < batches.size(); ++b) {
    for (int i = 0; i < kBatch; ++i) {
      const size_t k =
          repeat ? rng() % keys.size() : (b * kBatch + i) % keys.size();
      batches[b].push_back(keys[k]);
    }
  }
  return batches;
}

}  // namespace core_bench
}  // namespace brook

#endif  // BROOK_BENCH_CORE_BENCH_UTIL_H_
