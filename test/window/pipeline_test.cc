// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/pipeline.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <catch2/catch.hpp>

#include "brook/aggregation.h"
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
      const std::string* from = nullptr, bool side = true) {
    po.env = &f.env;
    Pipeline::Functions fns;
    fns.parse = &ParseClick;
    fns.key_selector = [](const Click& c) { return c.page; };
    fns.sink = [this](const WindowResult<std::string, int64_t>& r) {
      results.emplace_back(r.key, r.window.start_millis,
                           r.window.max_timestamp_millis, r.value);
    };
    if (side) {
      fns.late_sink = [this](const std::string& k, const Click&, EventTime t) {
        late.emplace_back(k, t);
      };
    }
    auto p = Pipeline::Create(f.consumer.get(), po, wo, Count(), fns);
    REQUIRE(p.ok());
    pipeline = *std::move(p);
    if (from != nullptr) BROOK_REQUIRE_OK(pipeline->RestoreState(*from));
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
  auto s =
      WatermarkStrategy::ForBoundedOutOfOrderness(absl::Milliseconds(bound));
  REQUIRE(s.ok());
  po.watermarks = *s;
  po.watermarks.WithTimestampAssigner(&ClickTime)
      .WithPeriodicInterval(absl::Milliseconds(200));
  return po;
}

WindowOptions Tumbling(int64_t size, int64_t lateness = 0) {
  WindowOptions wo;
  wo.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(size));
  wo.allowed_lateness = absl::Milliseconds(lateness);
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
  CHECK(run.pipeline->current_watermark_millis() == 109);
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
    po.idle_timeout =
        idle == 0 ? absl::InfiniteDuration() : absl::Milliseconds(idle);
    std::vector<std::pair<int, WatermarkStatus>> statuses;
    po.on_input_status = [&statuses](int input, WatermarkStatus s) {
      statuses.emplace_back(input, s);
    };
    Run run(f, po, Tumbling(100));
    f.Put(kShard0, "a", 10);
    f.Put(kShard0, "a", 150);
    for (int i = 0; i < 6; ++i) run.Round(f);  // 1.2 s of clock
    if (idle == 0) {
      CHECK(run.results.empty());  // shard 1 holds the watermark at -inf
      CHECK(run.pipeline->current_watermark_millis() == kMinEventTime);
    } else {
      CHECK(run.pipeline->combiner().IsIdle(1));
      // Shard 0, drained, turns idle later: with both idle the watermark is
      // the higher of theirs (Flink's valve).
      CHECK(statuses ==
            std::vector<std::pair<int, WatermarkStatus>>{
                {1, WatermarkStatus::kIdle}, {0, WatermarkStatus::kIdle}});
      CHECK(run.results == std::vector<Out>{{"a", 0, 99, 1}});
    }
  }
}

TEST_CASE("WindowPipeline: alignment stops reading a shard that runs ahead",
          "[window][pipeline][align]") {
  Fixture f;
  PipelineOptions po = ClickOptions(0);
  po.max_drift = absl::Milliseconds(100);
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
  CHECK(run.pipeline->combiner().input_watermark_millis(1) == 1000);
}

std::vector<Out> OfKey(const std::vector<Out>& all, const std::string& key) {
  std::vector<Out> out;
  for (const Out& o : all) {
    if (std::get<0>(o) == key) out.push_back(o);
  }
  return out;
}

TEST_CASE(
    "WindowPipeline: a pipeline restored from saved state fires exactly "
    "what an uninterrupted one would",
    "[window][pipeline][snapshot]") {
  // The same input and clock for both runs; the second is cut after `cut`
  // rounds, saved, destroyed, and rebuilt from the saved bytes.
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
    CAPTURE(cut);
    Fixture f;
    produce(f);
    std::vector<Out> got;
    std::vector<std::tuple<std::string, EventTime>> late;
    std::string saved;
    {
      Run run(f, po, wo);
      for (int r = 0; r < cut; ++r) run.Round(f);
      saved = run.pipeline->SaveState();
      got = run.results;
      late = run.late;
      run.Round(f);  // work after the save is lost
      f.env.Advance(absl::Milliseconds(-200));
    }
    std::string damaged = saved;
    damaged[damaged.size() / 2] ^= 1;
    BROOK_CHECK_CODE(Pipeline::ReadPositions(damaged), kDataLoss);
    Run resumed(f, po, wo, &saved);
    for (int r = cut; r < 40; ++r) resumed.Round(f);
    resumed.pipeline->FinishAll();
    got.insert(got.end(), resumed.results.begin(), resumed.results.end());
    late.insert(late.end(), resumed.late.begin(), resumed.late.end());
    // Each key's results in the same order; results of different keys due
    // at the same time may come in another order after a restore (the
    // operator's key slots are not saved).
    for (const char* key : {"p0", "p1", "p2", "p3"}) {
      CAPTURE(key);
      CHECK(OfKey(got, key) == OfKey(base, key));
    }
    std::sort(got.begin(), got.end());
    std::vector<Out> sorted_base = base;
    std::sort(sorted_base.begin(), sorted_base.end());
    CHECK(got == sorted_base);
    CHECK(late == base_late);
  }
}

TEST_CASE("WindowPipeline: saved positions can be read back from the bytes",
          "[window][pipeline][snapshot]") {
  Fixture f;
  Run run(f, ClickOptions(0), Tumbling(100));
  auto before = Pipeline::ReadPositions(run.pipeline->SaveState());
  BROOK_REQUIRE_OK(before);
  REQUIRE(before->size() == 2);
  CHECK_FALSE((*before)[0].last.has_value());
  CHECK_FALSE((*before)[1].last.has_value());
  f.Put(kShard0, "a", 10);
  f.Put(kShard0, "a", 20);
  run.Round(f);
  auto after = Pipeline::ReadPositions(run.pipeline->SaveState());
  BROOK_REQUIRE_OK(after);
  REQUIRE(after->size() == 2);
  const std::vector<ShardDescription> shards = f.consumer->ListShards();
  CHECK((*after)[0].shard_id == shards[0].shard_id);
  CHECK((*after)[1].shard_id == shards[1].shard_id);
  REQUIRE((*after)[0].last.has_value());
  CHECK_FALSE((*after)[1].last.has_value());
  CHECK_FALSE((*after)[0].finished);
  // The last record read from shard 0 is the second one.
  auto it = f.consumer->GetShardIterator(shards[0].shard_id,
                                         StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  auto recs = f.consumer->GetRecords(*it, GetRecordsOptions());
  BROOK_REQUIRE_OK(recs);
  REQUIRE(recs->records().size() == 2);
  CHECK(*(*after)[0].last == recs->records()[1].sequence_number);
}

TEST_CASE(
    "WindowPipeline: restoring state saved with other inputs or options is "
    "kInvalidArgument, damaged state kDataLoss, and neither changes anything",
    "[window][pipeline][snapshot]") {
  Fixture f;
  Run run(f, ClickOptions(0), Tumbling(100));
  f.Put(kShard0, "a", 10);
  f.Put(kShard1, "b", 20);
  run.Round(f);
  const std::string saved = run.pipeline->SaveState();

  Run other(f, ClickOptions(0), Tumbling(100));
  f.Put(kShard0, "c", 30);
  other.Round(f);
  const std::string before = other.pipeline->SaveState();
  auto unchanged = [&] { CHECK(other.pipeline->SaveState() == before); };

  // Other window options: the operator names the option.
  {
    Run sized(f, ClickOptions(0), Tumbling(50));
    const std::string mine = sized.pipeline->SaveState();
    absl::Status s = sized.pipeline->RestoreState(saved);
    BROOK_CHECK_CODE(s, kInvalidArgument);
    CHECK(absl::StrContains(s.message(), "assigner"));
    CHECK(sized.pipeline->SaveState() == mine);
  }
  // Other inputs.
  {
    PipelineOptions one = ClickOptions(0);
    one.shard_ids = {f.consumer->ListShards()[0].shard_id};
    Run single(f, one, Tumbling(100));
    const std::string mine = single.pipeline->SaveState();
    BROOK_CHECK_CODE(single.pipeline->RestoreState(saved), kInvalidArgument);
    CHECK(single.pipeline->SaveState() == mine);
    // The other way: the pipeline lists a shard the state does not hold.
    const std::string one_saved = single.pipeline->SaveState();
    Run both(f, ClickOptions(0), Tumbling(100));
    const std::string both_before = both.pipeline->SaveState();
    absl::Status s = both.pipeline->RestoreState(one_saved);
    BROOK_CHECK_CODE(s, kInvalidArgument);
    CHECK(absl::StrContains(s.message(), "shard"));
    CHECK(both.pipeline->SaveState() == both_before);
    // The same shards listed in another order: the saved state says which
    // shards are followed (and numbers their inputs), so it restores.
    PipelineOptions swapped = ClickOptions(0);
    swapped.shard_ids = {f.consumer->ListShards()[1].shard_id,
                         f.consumer->ListShards()[0].shard_id};
    Run reversed(f, swapped, Tumbling(100));
    BROOK_CHECK_OK(reversed.pipeline->RestoreState(saved));
    CHECK(reversed.pipeline->SaveState() == saved);
  }
  // Damaged bytes, everywhere.
  BROOK_CHECK_CODE(other.pipeline->RestoreState(""), kDataLoss);
  BROOK_CHECK_CODE(other.pipeline->RestoreState("not a pipeline state"),
                   kDataLoss);
  for (size_t cut = 0; cut < saved.size(); cut += 11) {
    BROOK_CHECK_CODE(other.pipeline->RestoreState(saved.substr(0, cut)),
                     kDataLoss);
  }
  for (size_t at = 0; at < saved.size(); at += 3) {
    std::string flipped = saved;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    BROOK_CHECK_CODE(other.pipeline->RestoreState(flipped), kDataLoss);
  }
  BROOK_CHECK_CODE(other.pipeline->RestoreState(saved + "x"), kDataLoss);
  unchanged();
  // And the good bytes restore.
  BROOK_REQUIRE_OK(other.pipeline->RestoreState(saved));
  CHECK(other.pipeline->SaveState() == saved);
}

TEST_CASE(
    "WindowPipeline: a closed shard read to its end hands its place to its "
    "children",
    "[window][pipeline][finished]") {
  Fixture f;
  Run run(f, ClickOptions(0), Tumbling(100));
  f.Put(kShard0, "a", 10);
  f.Put(kShard0, "a", 150);
  f.Put(kShard1, "b", 20);
  run.Round(f);
  CHECK(run.pipeline->current_watermark_millis() ==
        19);  // shard 1 holds it back
  CHECK(run.results.empty());
  // Splitting shard 1 closes it: its reader reaches the end, its children
  // start at its watermark, and only then is its input released.
  const std::string shard1 = f.consumer->ListShards()[1].shard_id;
  BROOK_REQUIRE_OK(
      f.stream->SplitShard(shard1, "255211775190703847597530955573826158592"));
  run.Round(f);
  CHECK(run.pipeline->combiner().IsFinished(1));
  REQUIRE(run.pipeline->combiner().num_inputs() == 4);
  CHECK(run.pipeline->combiner().input_watermark_millis(2) == 19);
  CHECK(run.pipeline->combiner().input_watermark_millis(3) == 19);
  CHECK_FALSE(run.pipeline->finished());
  CHECK(run.pipeline->current_watermark_millis() == 19);
  CHECK(run.results.empty());
  // Shard 1's keys go on in a child; the other child, empty, may still get
  // some, so it holds the watermark.
  f.Put(kShard1, "b", 160);
  run.Round(f);
  CHECK(run.pipeline->combiner().input_watermark_millis(3) == 159);
  CHECK(run.pipeline->current_watermark_millis() == 19);
  run.pipeline->FinishAll();
  CHECK(run.pipeline->finished());
  std::sort(run.results.begin(), run.results.end());
  CHECK(run.results == std::vector<Out>{{"a", 0, 99, 1},
                                        {"a", 100, 199, 1},
                                        {"b", 0, 99, 1},
                                        {"b", 100, 199, 1}});
}

// Puts "page,time" clicks as one KPL aggregate routed to `shard`.
void PutAggregate(
    Fixture& f, const char* shard,
    const std::vector<std::pair<std::string, EventTime>>& clicks) {
  AggregateBuilder builder;
  for (const auto& [page, t] : clicks) {
    REQUIRE(*builder.Add(page, shard, absl::StrCat(page, ",", t)));
  }
  absl::StatusOr<AggregateBuilder::Aggregate> a = builder.Finish();
  BROOK_REQUIRE_OK(a);
  BROOK_REQUIRE_OK(
      f.producer->PutRecord(a->partition_key, a->data, a->explicit_hash_key));
}

TEST_CASE(
    "WindowPipeline: read.deaggregate feeds user records of aggregates, and "
    "a restored pipeline resumes after the aggregates read",
    "[window][pipeline][aggregation]") {
  Fixture f;
  PipelineOptions po = ClickOptions(10);
  po.read.deaggregate = true;
  po.read.limit = 1;  // one stored record (a whole aggregate) per read
  Run run(f, po, Tumbling(100));
  PutAggregate(f, kShard0, {{"a", 5}, {"a", 3}, {"b", 50}});
  f.Put(kShard1, "b", 99);
  CHECK(run.Round(f) == 4);      // user records
  REQUIRE(run.results.empty());  // no window fired before the save
  const std::string saved = run.pipeline->SaveState();
  PutAggregate(f, kShard0, {{"a", 120}, {"b", 130}});
  PutAggregate(f, kShard0, {{"a", 140}});
  f.Put(kShard1, "b", 150);
  Run restored(f, po, Tumbling(100), &saved);
  for (Run* r : {&run, &restored}) {
    while (r->Round(f) > 0) {
    }
    r->pipeline->FinishAll();
    std::sort(r->results.begin(), r->results.end());
  }
  CHECK(run.results == std::vector<Out>{{"a", 0, 99, 2},
                                        {"a", 100, 199, 2},
                                        {"b", 0, 99, 2},
                                        {"b", 100, 199, 2}});
  // Nothing read twice or skipped: the same windows, all fired after the
  // save.
  CHECK(restored.results == run.results);
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
  neg.idle_timeout = absl::ZeroDuration();  // must be positive
  BROOK_CHECK_CODE(
      Pipeline::Create(f.consumer.get(), neg, Tumbling(10), Count(), fns),
      kInvalidArgument);
}

}  // namespace
}  // namespace brook
