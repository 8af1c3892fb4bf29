// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// KPL aggregation (issue 12): encoding user records into an aggregated record
// and decoding them back, in user records per second, each beside baselines
// on the same bytes in the same run: memcpy of the aggregate's bytes, and
// protobuf's generated SerializeToString / ParseFromString of the same
// message (which do no MD5, no key dedup and no hash keys). See
// bench/README.md.

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <benchmark/benchmark.h>

#include "brook/aggregation.h"

#include "kpl/aggregate_internal.h"
#include "proto/kpl_aggregate.pb.h"
#include "util/md5.h"

namespace brook {
namespace {

constexpr int kDataBytes = 100;
constexpr int kDistinctKeys = 10;

struct Input {
  std::vector<std::string> keys;  // one per user record
  std::string data = std::string(kDataBytes, 'x');
};

Input MakeInput(int records) {
  Input in;
  for (int i = 0; i < records; ++i) {
    in.keys.push_back(absl::StrCat("user-", 1000003 * (i % kDistinctKeys)));
  }
  return in;
}

std::string Encode(const Input& in) {
  AggregateBuilder builder;
  for (const std::string& k : in.keys) {
    if (!builder.Add(k, "", in.data).ok()) std::abort();
  }
  return builder.Finish()->data;
}

void SetCounters(benchmark::State& state, int records, size_t bytes) {
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

void BM_Aggregate_Encode(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  const Input in = MakeInput(records);
  AggregateBuilder builder;
  size_t bytes = 0;
  for (auto _ : state) {
    for (const std::string& k : in.keys) {
      benchmark::DoNotOptimize(builder.Add(k, "", in.data));
    }
    absl::StatusOr<AggregateBuilder::Aggregate> a = builder.Finish();
    bytes = a->data.size();
    benchmark::DoNotOptimize(a->data.data());
  }
  SetCounters(state, records, bytes);
}
BENCHMARK(BM_Aggregate_Encode)->Arg(100)->ArgName("records");

// MD5 alone over one aggregate's worth of bytes (KPL's default max, 51200):
// every aggregate carries the MD5 of its protobuf, so MD5's speed bounds the
// user records per CPU second that aggregation can reach.
void BM_Baseline_Md5(benchmark::State& state) {
  const std::string bytes(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    benchmark::DoNotOptimize(internal::Md5(bytes));
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_Baseline_Md5)->Arg(51200)->ArgName("bytes");

// MD5 of `messages` aggregate-sized messages (51200 bytes less a little per
// message, so that lanes end at different blocks) at once, by each
// Md5ManyLong() implementation (0 portable, 1 AVX2, 2 AVX-512): the speed-up
// over BM_Baseline_Md5 (one message after another) in the same run.
void BM_Md5ManyLong(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int64_t impl = state.range(1);
  if ((impl == 1 && !internal::Md5Avx2Available()) ||
      (impl == 2 && !internal::Md5Avx512Available())) {
    state.SkipWithError("not available on this CPU");
    return;
  }
  std::vector<std::string> owned;
  std::vector<absl::string_view> messages;
  size_t bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    owned.push_back(std::string(51200 - 97 * i, static_cast<char>('a' + i)));
    bytes += owned.back().size();
  }
  for (const std::string& m : owned) messages.push_back(m);
  std::vector<std::array<uint8_t, 16>> digests(n);
  for (auto _ : state) {
    if (impl == 2) {
      internal::Md5ManyLongAvx512(messages.data(), n, digests.data());
    } else if (impl == 1) {
      internal::Md5ManyLongAvx2(messages.data(), n, digests.data());
    } else {
      internal::Md5ManyLongPortable(messages.data(), n, digests.data());
    }
    benchmark::DoNotOptimize(digests.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Md5ManyLong)
    ->ArgsProduct({{4, 8, 16, 32}, {0, 1, 2}})
    ->ArgNames({"messages", "impl"});

// Sixteen full aggregates (KPL's 51200-byte limit, about 440 user records of
// 100 B each, into kept aggregates as the async producer does), their MD5
// trailers computed one after another (signed:0) or all at once in SIMD
// lanes (SignAggregates(), as the async producer does with a batch's
// aggregates, signed:1).
void BM_Aggregate_Encode16(benchmark::State& state) {
  const bool together = state.range(0) != 0;
  const Input in = MakeInput(1000);
  AggregateBuilder builder(51200);
  std::vector<AggregateBuilder::Aggregate> aggregates(16);
  int64_t records = 0;
  for (auto _ : state) {
    size_t count = 0;
    size_t k = 0;
    while (count < aggregates.size()) {
      const std::string& key = in.keys[k++ % in.keys.size()];
      absl::StatusOr<bool> added = builder.Add(key, "", in.data);
      if (added.ok() && *added) {
        ++records;
        continue;
      }
      if (!internal::AggregateBuilderAccess::FinishWithoutDigest(
               builder, &aggregates[count++])
               .ok()) {
        std::abort();
      }
    }
    builder.Clear();
    if (together) {
      internal::SignAggregates(aggregates.data(), aggregates.size());
    } else {
      for (auto& a : aggregates) internal::SignAggregates(&a, 1);
    }
    benchmark::DoNotOptimize(aggregates.data());
  }
  state.SetItemsProcessed(records);
}
BENCHMARK(BM_Aggregate_Encode16)->Arg(0)->Arg(1)->ArgName("signed");

void BM_Aggregate_Decode(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  const std::string blob = Encode(MakeInput(records));
  Record record;
  record.data = blob;
  std::vector<Record> out;
  out.reserve(static_cast<size_t>(records));
  for (auto _ : state) {
    out.clear();
    if (!Deaggregate(record, &out).ok()) std::abort();
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, records, blob.size());
}
BENCHMARK(BM_Aggregate_Decode)->Arg(100)->ArgName("records");

void BM_Baseline_Aggregate_Memcpy(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  const std::string blob = Encode(MakeInput(records));
  std::string copy(blob.size(), '\0');
  for (auto _ : state) {
    std::memcpy(&copy[0], blob.data(), blob.size());
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, records, blob.size());
}
BENCHMARK(BM_Baseline_Aggregate_Memcpy)->Arg(100)->ArgName("records");

internal::proto::AggregatedRecord Message(const std::string& blob) {
  internal::proto::AggregatedRecord m;
  if (!m.ParseFromArray(blob.data() + 4, static_cast<int>(blob.size() - 20))) {
    std::abort();
  }
  return m;
}

// The message already built: serialization alone.
void BM_Baseline_Aggregate_ProtobufSerialize(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  const std::string blob = Encode(MakeInput(records));
  const internal::proto::AggregatedRecord m = Message(blob);
  std::string out;
  for (auto _ : state) {
    m.SerializeToString(&out);
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, records, blob.size());
}
BENCHMARK(BM_Baseline_Aggregate_ProtobufSerialize)
    ->Arg(100)
    ->ArgName("records");

// Parsing into the generated message (copies every string).
void BM_Baseline_Aggregate_ProtobufParse(benchmark::State& state) {
  const int records = static_cast<int>(state.range(0));
  const std::string blob = Encode(MakeInput(records));
  internal::proto::AggregatedRecord m;
  for (auto _ : state) {
    if (!m.ParseFromArray(blob.data() + 4,
                          static_cast<int>(blob.size() - 20))) {
      std::abort();
    }
    benchmark::DoNotOptimize(&m);
  }
  SetCounters(state, records, blob.size());
}
BENCHMARK(BM_Baseline_Aggregate_ProtobufParse)->Arg(100)->ArgName("records");

}  // namespace
}  // namespace brook
