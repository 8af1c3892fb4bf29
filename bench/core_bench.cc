// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Core data path benchmarks, each beside its baseline in the same binary so
// that ratios hold on a noisy machine. See bench/README.md.

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "brook/async_producer.h"
#include "brook/consumer.h"
#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "core_bench_util.h"
#include "store/batch_format.h"
#include "util/md5.h"

namespace brook {
namespace {

using core_bench::BenchStream;
using core_bench::kBatch;
using core_bench::KeyBatches;
using core_bench::Keys;
using core_bench::kRing;
using core_bench::ProcessCpuSeconds;
using core_bench::RepeatedKeys;
using core_bench::RoutedKeys;
using core_bench::SetItemsPerCpuSecond;
using core_bench::WarmUp;

// memcpy of the same record bytes into a preallocated (prefaulted) ring of the
// size the stream keeps.
void BM_Baseline_Memcpy(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<char> ring(kRing, 1);
  const std::string data(size, 'd');
  size_t offset = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      if (offset + size > ring.size()) offset = 0;
      std::memcpy(ring.data() + offset, data.data(), size);
      offset += size;
    }
    benchmark::DoNotOptimize(ring.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch *
                          static_cast<int64_t>(size));
}
BENCHMARK(BM_Baseline_Memcpy)->Arg(100)->Arg(1024)->ArgName("record_bytes");

// The floor under BM_Append_Memory: the same batch of records encoded as
// brook stores them (a 24-byte header and the key before each record's data,
// a frame header per batch) by a plain loop into a ring of the same size,
// with no checks, lock, index or publication. Its ratio to
// BM_Baseline_Memcpy is what the stored format alone allows; the append's
// ratio to it is what the append adds.
void BM_Baseline_AppendFloor(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<char> ring(kRing, 1);
  const std::string data(size, 'd');
  const std::vector<RoutedRecord> batch(kBatch,
                                        RoutedRecord{"k", data, 12345, true});
  const size_t frame_bytes = core_bench::FrameBytesOf(batch[0]);
  size_t offset = 0;
  uint64_t position = 0;
  for (auto _ : state) {
    if (offset + frame_bytes > ring.size()) offset = 0;
    char* frame = ring.data() + offset;
    char* p = frame + internal::kBatchHeaderBytes;
    for (const RoutedRecord& r : batch) p += internal::EncodeRecord(p, r);
    internal::BatchHeader h;
    h.first_position = position;
    h.record_count = kBatch;
    h.frame_bytes = static_cast<uint32_t>(p - frame);
    internal::EncodeBatchHeader(frame, h);
    offset += h.frame_bytes;
    position += kBatch;
    benchmark::DoNotOptimize(ring.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch *
                          static_cast<int64_t>(size));
}
BENCHMARK(BM_Baseline_AppendFloor)
    ->Arg(100)
    ->Arg(1024)
    ->ArgName("record_bytes");

// Pre-routed batches (explicit hash keys) appended to one in-memory shard. The
// stream keeps 64 MiB and recycles dropped segments, as a stream at its
// retention bound does.
void BM_Append_Memory(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::unique_ptr<Stream> stream = BenchStream(1);
  Shard* shard = *stream->GetShard("shardId-000000000000");
  const std::string data(size, 'd');
  std::vector<RoutedRecord> batch(kBatch, RoutedRecord{"k", data, 12345, true});
  // Warm up: fill the ring once so segments are recycled, not faulted in.
  for (size_t bytes = 0; bytes < 2 * kRing; bytes += kBatch * (size + 25)) {
    if (!shard->Append(batch).ok()) state.SkipWithError("append failed");
  }
  for (auto _ : state) {
    absl::StatusOr<SequenceNumber> n = shard->Append(batch);
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch *
                          static_cast<int64_t>(size));
}
BENCHMARK(BM_Append_Memory)->Arg(100)->Arg(1024)->ArgName("record_bytes");

// Puts batches of kBatch records of `size` bytes through `stream`'s routing,
// after filling its shards once. Keys are `keys` in order (`repeat` false) or
// drawn at random from `keys` (`repeat` true).
void PutRoutedBatches(benchmark::State& state, Stream* stream, size_t size,
                      const std::vector<std::string>& keys, bool repeat) {
  WarmUp(stream, state);
  Producer producer(stream);
  const std::string data(size, 'd');
  std::vector<std::vector<PutRecordsEntry>> batches;
  for (const std::vector<absl::string_view>& keys_of :
       KeyBatches(keys, repeat)) {
    std::vector<PutRecordsEntry>& batch = batches.emplace_back();
    for (absl::string_view key : keys_of) batch.push_back({key, data});
  }
  size_t b = 0;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    absl::StatusOr<PutRecordsResult> r = producer.PutRecords(batches[b]);
    if (!r.ok() || r->failed_record_count != 0) state.SkipWithError("failed");
    b = (b + 1) % batches.size();
  }
  SetItemsPerCpuSecond(state, state.iterations() * kBatch, cpu_start);
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch *
                          static_cast<int64_t>(size));
}

// PutRecords of records whose 16-36 byte partition keys must be MD5-hashed and
// routed over 4 shards.
void BM_PutRecords_Routed(benchmark::State& state) {
  std::unique_ptr<Stream> stream = BenchStream(4);
  PutRoutedBatches(state, stream.get(), static_cast<size_t>(state.range(0)),
                   RoutedKeys(), false);
}
BENCHMARK(BM_PutRecords_Routed)->Arg(100)->Arg(1024)->ArgName("record_bytes");

// BM_PutRecords_Routed with keys drawn at random from 10,000 (device ids, in
// the same 16-36 byte range), as a stream keyed by device repeats them.
void BM_PutRecords_RepeatedKeys(benchmark::State& state) {
  std::unique_ptr<Stream> stream = BenchStream(4);
  PutRoutedBatches(state, stream.get(), static_cast<size_t>(state.range(0)),
                   RepeatedKeys(), true);
}
BENCHMARK(BM_PutRecords_RepeatedKeys)->Arg(100)->ArgName("record_bytes");

// The floor under BM_PutRecords_Routed (repeat:0) and
// BM_PutRecords_RepeatedKeys (repeat:1): a plain loop that does the bytes any
// put must, and nothing else. The same batches of the same keys (4,096
// cycled, or 10,000 drawn at random), each block of 64 keys hashed by
// Md5Many() (brook's fastest MD5), each record routed by its hash's top two
// bits to one of 4 rings that together keep kRing bytes, encoded there as
// brook stores it (one frame header per ring per batch), and given a result
// entry. No checks, no status, no grouping pass, no lock, no index.
void BM_Baseline_PutFloor(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const bool repeat = state.range(1) != 0;
  const std::vector<std::vector<absl::string_view>> batches =
      KeyBatches(repeat ? RepeatedKeys() : RoutedKeys(), repeat);
  const std::string data(size, 'd');
  constexpr int kShards = 4;
  constexpr size_t kShardRing = kRing / kShards;
  std::vector<char> rings(kRing, 1);
  size_t offsets[kShards] = {};
  uint64_t positions[kShards] = {};
  const absl::string_view shard_ids[kShards] = {"0", "1", "2", "3"};
  std::vector<PutRecordsResultEntry> results(kBatch);
  constexpr size_t kBlock = 64;
  std::array<uint8_t, 16> digests[kBlock];
  const size_t most = internal::kBatchHeaderBytes +
                      kBatch * (internal::kRecordHeaderBytes + 36 + size);
  size_t b = 0;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    const std::vector<absl::string_view>& batch = batches[b];
    b = (b + 1) % batches.size();
    char* frame[kShards];
    char* p[kShards];
    for (int s = 0; s < kShards; ++s) {
      if (offsets[s] + most > kShardRing) offsets[s] = 0;
      frame[s] = rings.data() + s * kShardRing + offsets[s];
      p[s] = frame[s] + internal::kBatchHeaderBytes;
    }
    uint32_t counts[kShards] = {};
    for (size_t block = 0; block < batch.size(); block += kBlock) {
      const size_t m = std::min(kBlock, batch.size() - block);
      internal::Md5Many(batch.data() + block, m, digests);
      for (size_t k = 0; k < m; ++k) {
        RoutedRecord r{batch[block + k], data,
                       internal::DigestToUint128(digests[k]), false};
        const int s = static_cast<int>(absl::Uint128High64(r.hash_key) >> 62);
        p[s] += internal::EncodeRecord(p[s], r);
        PutRecordsResultEntry& out = results[block + k];
        out.shard_id = shard_ids[s];
        out.sequence_number =
            SequenceNumber::FromValue(positions[s] + counts[s]++);
      }
    }
    for (int s = 0; s < kShards; ++s) {
      if (counts[s] == 0) continue;
      internal::BatchHeader h;
      h.first_position = positions[s];
      h.record_count = counts[s];
      h.frame_bytes = static_cast<uint32_t>(p[s] - frame[s]);
      internal::EncodeBatchHeader(frame[s], h);
      offsets[s] += h.frame_bytes;
      positions[s] += counts[s];
    }
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  SetItemsPerCpuSecond(state, state.iterations() * kBatch, cpu_start);
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch *
                          static_cast<int64_t>(size));
}
BENCHMARK(BM_Baseline_PutFloor)
    ->ArgsProduct({{100}, {0, 1}})
    ->ArgNames({"record_bytes", "repeat"});

// BM_PutRecords_Routed with the metrics (include/brook/metrics.h) off (0),
// counters and latency only (1), and as by default, with the hot-key summary
// sampling every 64th record (2): what the metrics cost, in one run.
void BM_PutRecords_Metrics(benchmark::State& state) {
  StreamOptions options;
  options.metrics = state.range(1) > 0;
  if (state.range(1) == 1) options.hot_key_count = 0;
  std::unique_ptr<Stream> stream = BenchStream(4, options);
  PutRoutedBatches(state, stream.get(), static_cast<size_t>(state.range(0)),
                   RoutedKeys(), false);
}
BENCHMARK(BM_PutRecords_Metrics)
    ->ArgsProduct({{100}, {0, 1, 2}})
    ->ArgNames({"record_bytes", "metrics"});

// The same records put one at a time into an AsyncProducer (fire and forget)
// over the same 4-shard stream, from 1 or 2 threads, with linger 0 or 5 ms,
// with KPL aggregation off or on (aggregate:1; items are user records);
// compare items/s with BM_PutRecords_Routed. Real time: the appends run on
// the producer's sending thread. `items_per_cpu_second` divides by the CPU
// time of all the process's threads instead (putters and sending thread), the
// figure to compare with BM_PutRecords_Routed's on a loaded machine, where
// real time also counts the time the threads wait for a core. The buffer
// holds at most 20,000 records and a full buffer blocks Put(), so the rate is
// what the producer sustains; the records still buffered when the run ends
// (20,000 at most) are not timed.
void BM_Producer_Async(benchmark::State& state) {
  static std::unique_ptr<Stream> stream;
  static std::unique_ptr<AsyncProducer> producer;
  const size_t size = static_cast<size_t>(state.range(0));
  if (state.thread_index() == 0) {
    stream = BenchStream(4);
    WarmUp(stream.get(), state);
    AsyncProducerOptions options;
    options.linger = absl::Milliseconds(state.range(1));
    options.max_buffered_records = 20000;
    options.put_timeout = absl::InfiniteDuration();
    options.aggregation_enabled = state.range(2) != 0;
    producer = *AsyncProducer::Create(stream.get(), options);
  }
  const std::vector<std::string> keys = Keys(4096);
  const std::string data(size, 'd');
  size_t k = static_cast<size_t>(state.thread_index()) * 1024;
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      if (!producer->Put(keys[k], data).ok()) state.SkipWithError("failed");
      k = (k + 1) & 4095;
    }
  }
  if (state.thread_index() == 0) {
    // Every putting thread ran as many iterations as this one.
    SetItemsPerCpuSecond(state, state.iterations() * kBatch * state.threads(),
                         cpu_start);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch *
                          static_cast<int64_t>(size));
  if (state.thread_index() == 0) {
    if (!producer->Close().ok()) state.SkipWithError("close failed");
    producer.reset();
    stream.reset();
  }
}
BENCHMARK(BM_Producer_Async)
    ->ArgsProduct({{100}, {0, 5}, {0, 1}})
    ->ArgNames({"record_bytes", "linger_ms", "aggregate"})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// A memory stream with one shard holding kRing bytes of `size`-byte records.
std::unique_ptr<Stream> FilledShard(size_t size, benchmark::State& state) {
  StreamOptions options;
  options.segment_bytes = 4 << 20;
  std::unique_ptr<Stream> stream = *Stream::Create(options);
  Shard* shard = *stream->GetShard("shardId-000000000000");
  const std::string data(size, 'd');
  std::vector<RoutedRecord> batch(kBatch, RoutedRecord{"k", data, 1, true});
  for (size_t bytes = 0; bytes < kRing; bytes += kBatch * (size + 25)) {
    if (!shard->Append(batch).ok()) state.SkipWithError("append failed");
  }
  return stream;
}

// A consumer reading a filled shard from TRIM_HORIZON, 10000 records a call:
//   visit:0  GetRecords (the records collected in a result);
//   visit:1  ScanRecords (each handed to a visitor that sums key and data
//            lengths).
void BM_Scan_Memory(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const bool visit = state.range(1) != 0;
  std::unique_ptr<Stream> stream = FilledShard(size, state);
  Consumer consumer(stream.get());
  const ShardIterator horizon = *consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  ShardIterator it = horizon;
  int64_t records = 0;
  uint64_t sum = 0;
  const auto add = [&sum](const Record& r) {
    sum += r.partition_key.size() + r.data.size();
  };
  for (auto _ : state) {
    int64_t n = 0;
    ShardIterator next;
    if (visit) {
      absl::StatusOr<ScanRecordsResult> r =
          consumer.ScanRecords(it, GetRecordsOptions(), add);
      if (!r.ok()) state.SkipWithError("read failed");
      n = r->records;
      next = r->next_shard_iterator;
    } else {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(it);
      if (!r.ok()) state.SkipWithError("read failed");
      n = static_cast<int64_t>(r->records().size());
      if (n > 0) benchmark::DoNotOptimize(r->records().back().data.data());
      next = r->next_shard_iterator();
    }
    if (n == 0) {
      it = horizon;
      continue;
    }
    records += n;
    it = next;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(records * static_cast<int64_t>(size));
}
BENCHMARK(BM_Scan_Memory)
    ->ArgsProduct({{100, 1024}, {0, 1}})
    ->ArgNames({"record_bytes", "visit"});

// The floor for BM_Scan_Memory: a plain loop over the same stored bytes
// (frames of kBatch records, 64 MiB, encoded as the stream stores them)
// reading each frame header and each record's key and data lengths and
// summing them, 10,000 records an iteration as the scan reads per call.
// prefetch:1 asks for the bytes ahead as the reader does
// (ScanPrefetchDistance()); prefetch:0 is the plain loop.
void BM_Baseline_FrameWalk(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const bool prefetch = state.range(1) != 0;
  const std::string data(size, 'd');
  const RoutedRecord record{"k", data, 1, true};
  const size_t frame_bytes = core_bench::FrameBytesOf(record);
  const size_t frames = kRing / frame_bytes;
  std::vector<char> bytes(frames * frame_bytes);
  core_bench::EncodeFrames(record, frames, bytes.data());
  size_t off = 0;
  int64_t records = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    for (int walked = 0; walked < 10000;) {
      if (off >= bytes.size()) off = 0;
      const char* frame = bytes.data() + off;
      const internal::BatchHeader h = internal::DecodeBatchHeader(frame);
      const char* p = frame + internal::kBatchHeaderBytes;
      const size_t ahead =
          prefetch
              ? internal::ScanPrefetchDistance(
                    h.frame_bytes - internal::kBatchHeaderBytes, h.record_count)
              : 0;
      for (uint32_t i = 0; i < h.record_count; ++i) {
        if (prefetch) __builtin_prefetch(p + ahead);
        uint32_t data_bytes;
        uint16_t key_bytes;
        std::memcpy(&data_bytes, p, 4);
        std::memcpy(&key_bytes, p + 4, 2);
        sum += data_bytes + key_bytes;
        p += internal::kRecordHeaderBytes + key_bytes + data_bytes;
      }
      walked += static_cast<int>(h.record_count);
      off += h.frame_bytes;
    }
    records += 10000;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(records * static_cast<int64_t>(size));
}
BENCHMARK(BM_Baseline_FrameWalk)
    ->ArgsProduct({{100, 1024}, {0, 1}})
    ->ArgNames({"record_bytes", "prefetch"});

// MD5 of 16-36 byte keys in batches of kBatch, by each Md5Many()
// implementation: 0 portable (four lanes interleaved), 1 AVX2 (sixteen
// lanes), 2 AVX-512 (thirty-two lanes); skipped where the CPU lacks it.
void BM_Md5Many(benchmark::State& state) {
  const int64_t impl = state.range(0);
  if ((impl == 1 && !internal::Md5Avx2Available()) ||
      (impl == 2 && !internal::Md5Avx512Available())) {
    state.SkipWithError("not supported by this CPU");
    return;
  }
  const std::vector<std::string> owned = Keys(kBatch);
  const std::vector<absl::string_view> keys(owned.begin(), owned.end());
  std::vector<std::array<uint8_t, 16>> digests(kBatch);
  for (auto _ : state) {
    if (impl == 2) {
      internal::Md5ManyAvx512(keys.data(), keys.size(), digests.data());
    } else if (impl == 1) {
      internal::Md5ManyAvx2(keys.data(), keys.size(), digests.data());
    } else {
      internal::Md5ManyPortable(keys.data(), keys.size(), digests.data());
    }
    benchmark::DoNotOptimize(digests.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_Md5Many)->Arg(0)->Arg(1)->Arg(2)->ArgName("impl");

// Routing one key: validate, MD5, read the digest as a hash key.
void BM_Route_Md5(benchmark::State& state) {
  const std::vector<std::string> keys = Keys(1024);
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<RoutedRecord> r = RouteRecord(keys[i], "", "");
    benchmark::DoNotOptimize(r);
    i = (i + 1) & 1023;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Route_Md5);

}  // namespace
}  // namespace brook
