// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/pipeline.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

// A click: "page,event_time".
struct Click {
  std::string page;
  EventTime time = 0;
};

Click ParseClick(const Record& r) {
  std::vector<absl::string_view> parts = absl::StrSplit(r.data, ',');
  Click c;
  c.page = std::string(parts[0]);
  if (parts.size() > 1 && !absl::SimpleAtoi(parts[1], &c.time)) c.time = -1;
  return c;
}

EventTime ClickTime(const Record& r) { return ParseClick(r).time; }

// Hash keys that route to the first and the last of two shards.
constexpr const char* kShard0 = "0";
constexpr const char* kShard1 = "340282366920938463463374607431768211455";

struct Fixture {
  ManualClockEnv env{1'000'000};
  std::unique_ptr<Stream> stream;
  std::unique_ptr<Producer> producer;
  std::unique_ptr<Consumer> consumer;

  explicit Fixture(int shards = 2) {
    StreamOptions o;
    o.shard_count = shards;
    o.env = &env;
    auto s = Stream::Create(o);
    REQUIRE(s.ok());
    stream = *std::move(s);
    producer = std::make_unique<Producer>(stream.get());
    consumer = std::make_unique<Consumer>(stream.get());
  }
  void Put(const char* shard, const std::string& page, EventTime t) {
    BROOK_REQUIRE_OK(
        producer->PutRecord(page, absl::StrCat(page, ",", t), shard));
  }
};

using Count = CountAggregate<Click>;
using Pipeline = WindowPipeline<std::string, Click, Count>;
using Out = std::tuple<std::string, EventTime, EventTime, int64_t>;

struct Run {
  std::vector<Out> results;
  std::vector<std::tuple<std::string, EventTime>> late;
  std::unique_ptr<Pipeline> pipeline;

  Run(Fixture& f, PipelineOptions po, WindowOptions wo,
      const Pipeline::Checkpoint* from = nullptr, bool side = true) {
    po.env = &f.env;
    Pipeline::Functions fns;
    fns.parse = &ParseClick;
    fns.key_selector = [](const Click& c) { return c.page; };
    fns.sink = [this](const WindowResult<std::string, int64_t>& r) {
      results.emplace_back(r.key, r.window.start, r.window.max_timestamp,
                           r.value);
    };
    if (side) {
      fns.late_sink = [this](const std::string& k, const Click&, EventTime t) {
        late.emplace_back(k, t);
      };
    }
    auto p = Pipeline::Create(f.consumer.get(), po, wo, Count(), fns, from);
    REQUIRE(p.ok());
    pipeline = *std::move(p);
  }
  int64_t Round(Fixture& f) {
    f.env.Advance(absl::Milliseconds(200));
    auto n = pipeline->RunOnce();
    REQUIRE(n.ok());
    return *n;
  }
};

PipelineOptions ClickOptions(int64_t bound) {
  PipelineOptions po;
  auto s = WatermarkStrategy::ForBoundedOutOfOrderness(bound);
  REQUIRE(s.ok());
  po.watermarks = *s;
  po.watermarks.WithTimestampAssigner(&ClickTime).WithPeriodicInterval(200);
  return po;
}

WindowOptions Tumbling(int64_t size, int64_t lateness = 0) {
  WindowOptions wo;
  wo.assigner = *WindowAssigner::Tumbling(size);
  wo.allowed_lateness_ms = lateness;
  return wo;
}

TEST_CASE("WindowPipeline: counts per key and window across shards",
          "[window][pipeline]") {
  Fixture f;
  Run run(f, ClickOptions(10), Tumbling(100));
  // Shard 0 and 1 both carry pages a and b, slightly out of order.
  f.Put(kShard0, "a", 5);
  f.Put(kShard0, "a", 3);
  f.Put(kShard1, "a", 50);
  f.Put(kShard1, "b", 99);
  f.Put(kShard0, "b", 120);
  f.Put(kShard1, "b", 130);
  CHECK(run.Round(f) == 6);
  // Watermarks: shard 0 at 109, shard 1 at 119: windows [0,99] fire.
  CHECK(run.pipeline->current_watermark() == 109);
  std::sort(run.results.begin(), run.results.end());
  CHECK(run.results == std::vector<Out>{{"a", 0, 99, 3}, {"b", 0, 99, 1}});
  run.results.clear();
  CHECK(run.Round(f) == 0);
  run.pipeline->FinishAll();
  CHECK(run.pipeline->finished());
  CHECK(run.results == std::vector<Out>{{"b", 100, 199, 2}});
}

TEST_CASE("WindowPipeline: late records go to the side output",
          "[window][pipeline][late]") {
  Fixture f(1);
  for (bool side : {true, false}) {
    CAPTURE(side);
    Fixture g(1);
    PipelineOptions po = ClickOptions(0);
    Run run(g, po, Tumbling(100, /*lateness=*/50), nullptr, side);
    g.Put(kShard0, "a", 10);
    g.Put(kShard0, "a", 260);
    run.Round(g);  // watermark 259
    CHECK(run.results == std::vector<Out>{{"a", 0, 99, 1}});
    g.Put(kShard0, "a", 20);   // 99 + 50 <= 259: too late
    g.Put(kShard0, "a", 210);  // [200,299] not fired yet
    run.Round(g);
    if (side) {
      CHECK(run.late ==
            std::vector<std::tuple<std::string, EventTime>>{{"a", 20}});
    } else {
      CHECK(run.late.empty());
      CHECK(run.pipeline->window_operator().dropped_late_elements() == 1);
    }
    run.pipeline->FinishAll();
    CHECK(run.results == std::vector<Out>{{"a", 0, 99, 1}, {"a", 200, 299, 2}});
  }
}

TEST_CASE("WindowPipeline: an idle shard stops holding the watermark back",
          "[window][pipeline][idle]") {
  for (int64_t idle : {int64_t{0}, int64_t{500}}) {
    CAPTURE(idle);
    Fixture f;
    PipelineOptions po = ClickOptions(0);
    po.idle_timeout_ms = idle;
    Run run(f, po, Tumbling(100));
    f.Put(kShard0, "a", 10);
    f.Put(kShard0, "a", 150);
    for (int i = 0; i < 6; ++i) run.Round(f);  // 1.2 s of clock
    if (idle == 0) {
      CHECK(run.results.empty());  // shard 1 holds the watermark at -inf
      CHECK(run.pipeline->current_watermark() == kMinEventTime);
    } else {
      CHECK(run.pipeline->combiner().IsIdle(1));
      CHECK(run.results == std::vector<Out>{{"a", 0, 99, 1}});
    }
  }
}

TEST_CASE("WindowPipeline: alignment stops reading a shard that runs ahead",
          "[window][pipeline][align]") {
  Fixture f;
  PipelineOptions po = ClickOptions(0);
  po.max_drift_ms = 100;
  po.read.limit = 1;
  Run run(f, po, Tumbling(1000));
  f.Put(kShard0, "a", 0);
  f.Put(kShard0, "a", 100);
  f.Put(kShard0, "a", 200);
  for (int t = 1000; t <= 1003; ++t) f.Put(kShard1, "b", t);
  run.Round(f);  // one record from each: shard 0 at -1, shard 1 at 999
  CHECK(run.pipeline->combiner().IsPaused(1));
  CHECK(run.Round(f) == 1);  // only shard 0 read
  CHECK(run.Round(f) == 1);
  CHECK(run.pipeline->combiner().IsPaused(1));
  f.Put(kShard0, "a", 950);
  CHECK(run.Round(f) == 1);  // shard 0 reaches 949: within 100 of 999
  CHECK_FALSE(run.pipeline->combiner().IsPaused(1));
  CHECK(run.Round(f) == 1);  // shard 1 is read again
  CHECK(run.pipeline->combiner().input_watermark(1) == 1000);
}

TEST_CASE(
    "WindowPipeline: a pipeline restored from a checkpoint fires exactly "
    "what an uninterrupted one would",
    "[window][pipeline][snapshot]") {
  // The same input and clock for both runs; the second is cut after `cut`
  // rounds, checkpointed, destroyed, and rebuilt from the checkpoint.
  auto produce = [](Fixture& f) {
    uint64_t x = 99;
    for (int i = 0; i < 400; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      const char* shard = (x >> 60) % 2 ? kShard0 : kShard1;
      std::string page = absl::StrCat("p", (x >> 40) % 4);
      EventTime t = i * 5 - static_cast<EventTime>((x >> 20) % 200);
      f.Put(shard, page, t);
    }
  };
  PipelineOptions po = ClickOptions(20);
  po.read.limit = 13;
  WindowOptions wo = Tumbling(50, /*lateness=*/15);
  std::vector<Out> base;
  std::vector<std::tuple<std::string, EventTime>> base_late;
  {
    Fixture f;
    produce(f);
    Run run(f, po, wo);
    for (int r = 0; r < 40; ++r) run.Round(f);
    run.pipeline->FinishAll();
    base = run.results;
    base_late = run.late;
  }
  REQUIRE(base.size() > 20);
  REQUIRE(!base_late.empty());
  for (int cut : {0, 1, 7, 20, 39}) {
    for (bool through_bytes : {false, true}) {
      CAPTURE(cut, through_bytes);
      Fixture f;
      produce(f);
      std::vector<Out> got;
      std::vector<std::tuple<std::string, EventTime>> late;
      Pipeline::Checkpoint checkpoint;
      {
        Run run(f, po, wo);
        for (int r = 0; r < cut; ++r) run.Round(f);
        checkpoint = run.pipeline->TakeCheckpoint();
        got = run.results;
        late = run.late;
        run.Round(f);  // work after the checkpoint is lost
        f.env.Advance(absl::Milliseconds(-200));
      }
      if (through_bytes) {  // as a new process would read it back
        const std::string bytes = checkpoint.Serialize();
        checkpoint = Pipeline::Checkpoint();
        absl::StatusOr<Pipeline::Checkpoint> parsed =
            Pipeline::Checkpoint::Deserialize(bytes);
        BROOK_REQUIRE_OK(parsed);
        checkpoint = *std::move(parsed);
        std::string damaged = bytes;
        damaged[damaged.size() / 2] ^= 1;
        BROOK_CHECK_CODE(Pipeline::Checkpoint::Deserialize(damaged), kDataLoss);
      }
      Run resumed(f, po, wo, &checkpoint);
      for (int r = cut; r < 40; ++r) resumed.Round(f);
      resumed.pipeline->FinishAll();
      got.insert(got.end(), resumed.results.begin(), resumed.results.end());
      late.insert(late.end(), resumed.late.begin(), resumed.late.end());
      CHECK(got == base);
      CHECK(late == base_late);
    }
  }
}

TEST_CASE("WindowPipeline: a closed shard read to its end releases its input",
          "[window][pipeline][finished]") {
  Fixture f;
  Run run(f, ClickOptions(0), Tumbling(100));
  f.Put(kShard0, "a", 10);
  f.Put(kShard0, "a", 150);
  f.Put(kShard1, "b", 20);
  run.Round(f);
  CHECK(run.pipeline->current_watermark() == 19);  // shard 1 holds it back
  CHECK(run.results.empty());
  // Splitting shard 1 closes it: its reader reaches the end and is released.
  const std::string shard1 = f.consumer->ListShards()[1].shard_id;
  BROOK_REQUIRE_OK(
      f.stream->SplitShard(shard1, "255211775190703847597530955573826158592"));
  run.Round(f);
  CHECK(run.pipeline->combiner().IsFinished(1));
  CHECK_FALSE(run.pipeline->finished());
  CHECK(run.pipeline->current_watermark() == 149);
  std::sort(run.results.begin(), run.results.end());
  CHECK(run.results == std::vector<Out>{{"a", 0, 99, 1}, {"b", 0, 99, 1}});
}

TEST_CASE("WindowPipeline: invalid arguments", "[window][pipeline]") {
  Fixture f;
  Pipeline::Functions fns;
  BROOK_CHECK_CODE(Pipeline::Create(f.consumer.get(), PipelineOptions(),
                                    Tumbling(10), Count(), fns),
                   kInvalidArgument);
  fns.parse = &ParseClick;
  fns.key_selector = [](const Click& c) { return c.page; };
  fns.sink = [](const WindowResult<std::string, int64_t>&) {};
  BROOK_CHECK_CODE(
      Pipeline::Create(nullptr, PipelineOptions(), Tumbling(10), Count(), fns),
      kInvalidArgument);
  PipelineOptions po;
  po.shard_ids = {"shardId-999999999999"};
  BROOK_CHECK_CODE(
      Pipeline::Create(f.consumer.get(), po, Tumbling(10), Count(), fns),
      kNotFound);
  PipelineOptions neg;
  neg.idle_timeout_ms = -1;
  BROOK_CHECK_CODE(
      Pipeline::Create(f.consumer.get(), neg, Tumbling(10), Count(), fns),
      kInvalidArgument);
}

}  // namespace
}  // namespace brook
