// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// zstd-compressed batches (issue 12): what a compressing append costs per
// batch (`BatchWriter` encoding the records, compressing them, and the
// commit's CRC) against zstd's own speed on the same bytes
// (`ZSTD_compressCCtx`, or `ZSTD_compress_usingCDict` with the same
// dictionary), both in bytes of uncompressed frame per second. Arguments:
// level, dictionary (0/1), payload (0 JSON sensor events, 1 log lines).
// Batches of 500 records (~80 KiB), as a PutRecords call makes them.

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <zstd.h>

#include "payloads.h"
#include "store/batch_format.h"
#include "store/frame_codec.h"
#include <zdict.h>

namespace brook {
namespace {

using internal::BatchWriter;
using internal::FrameCompression;

constexpr int kRecords = 500;

struct Input {
  std::vector<std::string> keys, datas;
  std::vector<RoutedRecord> records;
  std::string raw;  // the frame's records, encoded, uncompressed
  size_t frame_bytes = 0;
  std::shared_ptr<const internal::CompressionDictionary> dictionary;
};

Input MakeInput(bool logs, int level, bool with_dictionary) {
  Input in;
  std::mt19937_64 rng(42);
  for (int i = 0; i < kRecords; ++i) {
    in.keys.push_back("dev-" + std::to_string(i % 97));
    in.datas.push_back(logs ? bench::LogLine(rng, i)
                            : bench::SensorEvent(rng, i));
  }
  for (int i = 0; i < kRecords; ++i) {
    RoutedRecord r;
    r.partition_key = in.keys[i];
    r.data = in.datas[i];
    in.records.push_back(r);
    in.frame_bytes += internal::EncodedRecordBytes(r);
  }
  in.raw.resize(in.frame_bytes);
  size_t off = 0;
  for (const RoutedRecord& r : in.records) {
    off += internal::EncodeRecord(&in.raw[off], r);
  }
  in.frame_bytes += internal::kBatchHeaderBytes;
  if (with_dictionary) {
    // Trained on other records of the same kind, as a stream's sample is.
    std::string samples;
    std::vector<size_t> sizes;
    std::mt19937_64 sample_rng(7);
    for (int i = 0; i < 20000; ++i) {
      std::string s = logs ? bench::LogLine(sample_rng, 100000 + i)
                           : bench::SensorEvent(sample_rng, 100000 + i);
      samples += s;
      sizes.push_back(s.size());
    }
    std::string dict(112 << 10, '\0');
    const size_t n = ZDICT_trainFromBuffer(&dict[0], dict.size(),
                                           samples.data(), sizes.data(),
                                           static_cast<unsigned>(sizes.size()));
    if (ZDICT_isError(n)) std::abort();
    dict.resize(n);
    auto d = internal::CompressionDictionary::Make(dict, level);
    if (!d.ok()) std::abort();
    in.dictionary = *d;
  }
  return in;
}

void SetLabel(benchmark::State& state) {
  state.SetLabel(std::string(state.range(2) ? "logs" : "json") +
                 (state.range(1) ? " dict" : ""));
}

void BM_Zstd_Batch(benchmark::State& state) {
  const int level = static_cast<int>(state.range(0));
  const Input in = MakeInput(state.range(2) != 0, level, state.range(1) != 0);
  FrameCompression compression;
  compression.level = level;
  compression.dictionary = in.dictionary;
  std::string segment(in.frame_bytes, '\0');
  size_t stored = 0;
  for (auto _ : state) {
    BatchWriter w(&segment[0], in.frame_bytes, 1, 0, compression);
    for (const RoutedRecord& r : in.records) w.Add(r);
    stored = w.Finish();
    benchmark::DoNotOptimize(internal::CommitFrame(&segment[0]));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(in.frame_bytes));
  state.counters["ratio"] =
      static_cast<double>(in.frame_bytes) / static_cast<double>(stored);
  SetLabel(state);
}

void BM_Baseline_ZstdCompress(benchmark::State& state) {
  const int level = static_cast<int>(state.range(0));
  const Input in = MakeInput(state.range(2) != 0, level, state.range(1) != 0);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::string out(ZSTD_compressBound(in.raw.size()), '\0');
  size_t z = 0;
  for (auto _ : state) {
    z = in.dictionary != nullptr
            ? ZSTD_compress_usingCDict(cctx, &out[0], out.size(), in.raw.data(),
                                       in.raw.size(), in.dictionary->cdict())
            : ZSTD_compressCCtx(cctx, &out[0], out.size(), in.raw.data(),
                                in.raw.size(), level);
    benchmark::DoNotOptimize(z);
    benchmark::ClobberMemory();
  }
  ZSTD_freeCCtx(cctx);
  // The same bytes count as for BM_Zstd_Batch (the frame's), so the two
  // rates compare directly.
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(in.frame_bytes));
  state.counters["ratio"] =
      static_cast<double>(in.frame_bytes) /
      static_cast<double>(z + internal::kBatchHeaderBytes);
  SetLabel(state);
}

void Args(benchmark::internal::Benchmark* b) {
  for (int payload : {0, 1}) {
    for (int dict : {0, 1}) {
      for (int level : {1, 3}) b->Args({level, dict, payload});
    }
  }
  b->ArgNames({"level", "dict", "payload"});
}

BENCHMARK(BM_Baseline_ZstdCompress)->Apply(Args);
BENCHMARK(BM_Zstd_Batch)->Apply(Args);

}  // namespace
}  // namespace brook
