// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Shared by the pipeline state fuzz target and the seed generator: a
// two-shard memory stream (the first shard split, see `Standard()`), a
// pipeline over it (elements are the records'
// decimal data, which is also their event time; keys are the element modulo
// 3), and a fixed workload.
//
// Fuzz input of `pipeline_state`: one byte choosing the window
// configuration (window_fuzz.h), then `WindowPipeline::SaveState()` bytes
// WITHOUT their trailing 4-byte checksum; the target appends the right
// checksum (the window operator's state inside keeps its own).

#ifndef BROOK_TEST_FUZZ_PIPELINE_FUZZ_H_
#define BROOK_TEST_FUZZ_PIPELINE_FUZZ_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "brook/consumer.h"
#include "brook/partitioner.h"
#include "brook/pipeline.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "fuzz/window_fuzz.h"

namespace brook {
namespace fuzz {

using PipelineAgg = ReduceAggregate<int64_t, WrapAdd>;
using FuzzPipeline = WindowPipeline<int64_t, int64_t, PipelineAgg>;

struct PipelineFixture {
  ManualClockEnv env{1'000'000};
  std::unique_ptr<Stream> stream;
  std::unique_ptr<Producer> producer;
  std::unique_ptr<Consumer> consumer;

  PipelineFixture() {
    StreamOptions o;
    o.shard_count = 2;
    o.env = &env;
    auto s = Stream::Create(o);
    if (!s.ok()) Fail(s.status().ToString());
    stream = *std::move(s);
    producer = std::make_unique<Producer>(stream.get());
    consumer = std::make_unique<Consumer>(stream.get());
  }

  // Appends `n` records with times from `base`, alternating shards.
  void Put(int n, EventTime base) {
    for (int i = 0; i < n; ++i) {
      const EventTime t = base + (i * 13) % 37;
      absl::Status s =
          producer
              ->PutRecord(
                  absl::StrCat(i), absl::StrCat(t),
                  i % 2 == 0 ? "0" : "340282366920938463463374607431768211455")
              .status();
      if (!s.ok()) Fail(s.ToString());
    }
  }

  // Splits the first shard in two (its lineage then has a parent and two
  // children: states where children wait, start, and parents end).
  void Split() {
    const ShardDescription d = consumer->ListShards()[0];
    const HashKey lo = d.hash_key_range.starting_hash_key;
    const HashKey hi = d.hash_key_range.ending_hash_key;
    absl::Status s =
        stream->SplitShard(d.shard_id, HashKeyToString(lo + (hi - lo) / 2));
    if (!s.ok()) Fail(s.ToString());
  }

  // The stream of the target and the seeds: 20 records over two shards, the
  // first one split, 10 more records.
  void Standard() {
    Put(20, 100);
    Split();
    Put(10, 140);
  }

  // A pipeline of window configuration `config`. Errors as
  // `WindowPipeline::Create()`.
  absl::StatusOr<std::unique_ptr<FuzzPipeline>> Make(int config) {
    PipelineOptions po;
    po.env = &env;
    po.watermarks =
        *WatermarkStrategy::ForBoundedOutOfOrderness(absl::Milliseconds(5));
    po.watermarks
        .WithTimestampAssigner([](const Record& r) {
          int64_t t = 0;
          return absl::SimpleAtoi(r.data, &t) ? t : 0;
        })
        .WithPeriodicInterval(absl::Milliseconds(10));
    po.idle_timeout =
        config % 3 == 0 ? absl::Milliseconds(50) : absl::InfiniteDuration();
    FuzzPipeline::Functions fns;
    fns.parse = [](const Record& r) {
      int64_t v = 0;
      return absl::SimpleAtoi(r.data, &v) ? v : int64_t{0};
    };
    fns.key_selector = [](const int64_t& v) { return v % 3; };
    fns.sink = [](const WindowResult<int64_t, int64_t>&) {};
    fns.late_sink = [](const int64_t&, const int64_t&, EventTime) {};
    return FuzzPipeline::Create(consumer.get(), po, ConfigOptions(config, &env),
                                PipelineAgg{}, fns);
  }

  // A few rounds, `finish` to end every input.
  void Rounds(FuzzPipeline& p, int n) {
    for (int i = 0; i < n; ++i) {
      env.Advance(absl::Milliseconds(20));
      p.RunOnce().IgnoreError();  // the oracle is: no crash
    }
  }
};

}  // namespace fuzz
}  // namespace brook

#endif  // BROOK_TEST_FUZZ_PIPELINE_FUZZ_H_
