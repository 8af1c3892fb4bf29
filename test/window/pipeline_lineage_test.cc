// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `WindowPipeline` across reshards: it follows child shards by the lineage
// rule (parents to their end, then children; a merge child waits for both),
// its watermark never passes what unread children may still hold, and its
// saved state resumes across reshards. The oracle of the randomized tests is
// the same pipeline over an unresharded copy of the stream.

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/partitioner.h"
#include "brook/pipeline.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

// A record's data: "key,seq,event_time"; `seq` counts the key's records.
struct Ev {
  std::string key;
  int64_t seq = 0;
  EventTime time = 0;
};

Ev ParseEv(const Record& r) {
  std::vector<absl::string_view> parts = absl::StrSplit(r.data, ',');
  Ev e;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[1], &e.seq) ||
      !absl::SimpleAtoi(parts[2], &e.time)) {
    e.time = -1;
    return e;
  }
  e.key = std::string(parts[0]);
  return e;
}

using Count = CountAggregate<Ev>;
using Pipeline = WindowPipeline<std::string, Ev, Count>;
// key, window start, window max timestamp, count.
using Out = std::tuple<std::string, EventTime, EventTime, int64_t>;

// A memory stream and what was written to it.
struct Side {
  std::unique_ptr<Stream> stream;
  std::unique_ptr<Producer> producer;
  std::unique_ptr<Consumer> consumer;

  Side(Env* env, int shards) {
    StreamOptions o;
    o.shard_count = shards;
    o.env = env;
    auto s = Stream::Create(o);
    REQUIRE(s.ok());
    stream = *std::move(s);
    producer = std::make_unique<Producer>(stream.get());
    consumer = std::make_unique<Consumer>(stream.get());
  }
  void Put(const Ev& e) {
    BROOK_REQUIRE_OK(
        producer->PutRecord(e.key, absl::StrCat(e.key, ",", e.seq, ",", e.time))
            .status());
  }
  void PutAt(const Ev& e, const char* hash_key) {
    BROOK_REQUIRE_OK(
        producer
            ->PutRecord(e.key, absl::StrCat(e.key, ",", e.seq, ",", e.time),
                        hash_key)
            .status());
  }
  std::vector<ShardDescription> Open() const {
    std::vector<ShardDescription> open;
    for (ShardDescription& d : consumer->ListShards()) {
      if (d.is_open()) open.push_back(std::move(d));
    }
    return open;
  }
};

constexpr int64_t kBound = 40;  // the watermark's out-of-orderness bound
// Hash keys of the first and the last shard.
constexpr const char* kLow = "0";
constexpr const char* kHigh = "340282366920938463463374607431768211455";

PipelineOptions EvOptions(Env* env) {
  PipelineOptions po;
  po.env = env;
  po.watermarks =
      *WatermarkStrategy::ForBoundedOutOfOrderness(absl::Milliseconds(kBound));
  po.watermarks
      .WithTimestampAssigner([](const Record& r) { return ParseEv(r).time; })
      .WithPeriodicInterval(absl::Milliseconds(10));
  po.read.limit = 7;
  return po;
}

WindowOptions Tumbling(int64_t size) {
  WindowOptions wo;
  wo.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(size));
  return wo;
}

// A pipeline over one side, with what it emitted and the order it read each
// key's records in.
struct Run {
  std::vector<Out> results;
  std::vector<std::tuple<std::string, int64_t>> late;
  std::map<std::string, int64_t> last_seq;
  int64_t out_of_order = 0;
  int64_t read = 0;
  std::unique_ptr<Pipeline> pipeline;

  Pipeline::Functions Fns() {
    Pipeline::Functions fns;
    fns.parse = [this](const Record& r) {
      Ev e = ParseEv(r);
      auto [it, fresh] = last_seq.emplace(e.key, e.seq);
      if (!fresh) {
        if (e.seq <= it->second) ++out_of_order;
        it->second = std::max(it->second, e.seq);
      }
      ++read;
      return e;
    };
    fns.key_selector = [](const Ev& e) { return e.key; };
    fns.sink = [this](const WindowResult<std::string, int64_t>& r) {
      results.emplace_back(r.key, r.window.start_millis,
                           r.window.max_timestamp_millis, r.value);
    };
    fns.late_sink = [this](const std::string& k, const Ev& e, EventTime) {
      late.emplace_back(k, e.seq);
    };
    return fns;
  }
  // A new pipeline (the old one, if any, is dropped); `state` restores.
  void Make(Side& side, const PipelineOptions& po, const WindowOptions& wo,
            const std::string* state = nullptr) {
    pipeline.reset();
    auto p = Pipeline::Create(side.consumer.get(), po, wo, Count(), Fns());
    BROOK_REQUIRE_OK(p);
    pipeline = *std::move(p);
    if (state != nullptr) BROOK_REQUIRE_OK(pipeline->RestoreState(*state));
  }
  int64_t Round() {
    auto n = pipeline->RunOnce();
    BROOK_REQUIRE_OK(n);
    return *n;
  }
};

std::vector<Out> Sorted(std::vector<Out> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<Out> OfKey(const std::vector<Out>& all, const std::string& key) {
  std::vector<Out> out;
  for (const Out& o : all) {
    if (std::get<0>(o) == key) out.push_back(o);
  }
  return out;
}

// One random reshard of `side`: a split, a merge of neighbours, or a uniform
// scaling, keeping at most 8 open shards.
void Reshard(Side& side, std::mt19937_64& rng) {
  std::vector<ShardDescription> open = side.Open();
  const int n = static_cast<int>(open.size());
  switch (rng() % 3) {
    case 0: {  // split the middle of a random open shard
      if (n >= 8) return;
      const ShardDescription& d = open[rng() % n];
      const HashKey s = d.hash_key_range.starting_hash_key;
      const HashKey e = d.hash_key_range.ending_hash_key;
      if (e - s < 4) return;
      BROOK_REQUIRE_OK(side.stream->SplitShard(
          d.shard_id, HashKeyToString(s + (e - s) / 2)));
      return;
    }
    case 1: {  // merge a random open shard with the next one
      if (n < 2) return;
      std::sort(open.begin(), open.end(),
                [](const ShardDescription& a, const ShardDescription& b) {
                  return a.hash_key_range.starting_hash_key <
                         b.hash_key_range.starting_hash_key;
                });
      const size_t i = rng() % (n - 1);
      const bool swap = rng() % 2 == 0;
      BROOK_REQUIRE_OK(side.stream->MergeShards(
          open[swap ? i + 1 : i].shard_id, open[swap ? i : i + 1].shard_id));
      return;
    }
    default: {  // uniform scaling within Kinesis's limits
      const int lo = (n + 1) / 2;
      const int hi = std::min(2 * n, 8);
      const int target = lo + static_cast<int>(rng() % (hi - lo + 1));
      if (target == n) return;
      BROOK_REQUIRE_OK(side.stream->UpdateShardCount(target));
      return;
    }
  }
}

struct Scenario {
  uint64_t seed = 1;
  int steps = 40;
  // Create the pipelines only after this many steps (an already-resharded
  // stream), 0 for from the start.
  int start_step = 0;
  // Save, drop and restore the interrupted pipeline at random steps.
  bool restore = true;
};

// Drives, in lockstep on one clock: `a`, a pipeline over a stream resharded
// at random; `r`, one over the same stream saved and restored (into a new
// pipeline over the stream as it is then) at random steps; `b`, one over an
// unresharded copy.
void RunScenario(const Scenario& sc, Run& a, Run& r, Run& b, int* reshards,
                 int* restores) {
  ManualClockEnv env(1'000'000);
  std::mt19937_64 rng(sc.seed);
  Side sa(&env, 2), sb(&env, 2);
  const PipelineOptions po = EvOptions(&env);
  const WindowOptions wo = Tumbling(100);
  std::map<std::string, int64_t> seqs;
  int64_t i = 0;
  bool started = false;
  for (int step = 0; step < sc.steps; ++step) {
    const int writes = static_cast<int>(rng() % 25);
    for (int w = 0; w < writes; ++w, ++i) {
      Ev e;
      e.key = absl::StrCat("k", rng() % 12);
      e.seq = ++seqs[e.key];
      e.time = i * 3 - static_cast<EventTime>(rng() % 30);
      sa.Put(e);
      sb.Put(e);
    }
    if (rng() % 3 == 0) {
      Reshard(sa, rng);
      ++*reshards;
    }
    if (step < sc.start_step) continue;
    if (!started) {
      a.Make(sa, po, wo);
      r.Make(sa, po, wo);
      b.Make(sb, po, wo);
      started = true;
    }
    env.Advance(absl::Milliseconds(20));
    a.Round();
    r.Round();
    b.Round();
    if (sc.restore && rng() % 5 == 0) {
      const std::string saved = r.pipeline->SaveState();
      if (rng() % 2 == 0) {
        // The stream moves on between the save and the restore.
        Reshard(sa, rng);
        ++*reshards;
      }
      r.Make(sa, po, wo, &saved);
      ++*restores;
    }
  }
  // Drain, then end the bounded run.
  for (int quiet = 0, round = 0; quiet < 3 && round < 1000; ++round) {
    env.Advance(absl::Milliseconds(20));
    const int64_t n = a.Round() + r.Round() + b.Round();
    quiet = n == 0 ? quiet + 1 : 0;
  }
  a.pipeline->FinishAll();
  r.pipeline->FinishAll();
  b.pipeline->FinishAll();
}

TEST_CASE(
    "WindowPipeline lineage: parents that end do not fire partial windows "
    "while their children hold unread records",
    "[window][pipeline][lineage]") {
  // The new user's repro: a two-shard stream, both shards split; the
  // parents' readers reach their end while the children hold the rest of
  // each window.
  ManualClockEnv env(1'000'000);
  Side side(&env, 2);
  Run run;
  PipelineOptions po = EvOptions(&env);
  // The children that get no records turn idle.
  po.idle_timeout = absl::Milliseconds(100);
  run.Make(side, po, Tumbling(100));
  side.PutAt({"a", 1, 10}, kLow);
  side.PutAt({"b", 1, 20}, kHigh);
  env.Advance(absl::Milliseconds(20));
  run.Round();
  for (const ShardDescription& d : side.Open()) {
    const HashKey s = d.hash_key_range.starting_hash_key;
    const HashKey e = d.hash_key_range.ending_hash_key;
    BROOK_REQUIRE_OK(
        side.stream->SplitShard(d.shard_id, HashKeyToString(s + (e - s) / 2)));
  }
  side.PutAt({"a", 2, 60}, kLow);
  side.PutAt({"b", 2, 70}, kHigh);
  for (int i = 0; i < 5; ++i) {
    env.Advance(absl::Milliseconds(20));
    run.Round();
  }
  // Every record is read, none is late, and the windows wait for more.
  CHECK(run.read == 4);
  CHECK(run.late.empty());
  CHECK(run.results.empty());
  CHECK(run.pipeline->current_watermark_millis() < 60);
  CHECK_FALSE(run.pipeline->finished());
  side.PutAt({"a", 3, 200}, kLow);
  side.PutAt({"b", 3, 200}, kHigh);
  for (int i = 0; i < 3; ++i) {
    env.Advance(absl::Milliseconds(20));
    run.Round();
  }
  CHECK(Sorted(run.results) ==
        std::vector<Out>{{"a", 0, 99, 2}, {"b", 0, 99, 2}});
  CHECK_FALSE(run.pipeline->finished());
}

TEST_CASE(
    "WindowPipeline lineage: windows over a stream resharded at random "
    "equal those over an unresharded copy, and a restored pipeline resumes "
    "exactly",
    "[window][pipeline][lineage][random]") {
  int total_reshards = 0, total_restores = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Scenario sc;
    sc.seed = seed * 7919;
    sc.start_step = seed % 3 == 0 ? 12 : 0;
    INFO("seed " << sc.seed << " start_step " << sc.start_step);
    Run a, r, b;
    int reshards = 0, restores = 0;
    RunScenario(sc, a, r, b, &reshards, &restores);
    total_reshards += reshards;
    total_restores += restores;
    CAPTURE(reshards, restores);
    CHECK(b.late.empty());
    CHECK(b.out_of_order == 0);
    CHECK(a.read == b.read);
    CHECK(a.out_of_order == 0);
    CHECK(a.late.empty());
    CHECK(Sorted(a.results) == Sorted(b.results));
    // The restored pipeline: the same output, each key's in the same order.
    CHECK(r.read == b.read);
    CHECK(r.out_of_order == 0);
    CHECK(r.late == a.late);
    CHECK(Sorted(r.results) == Sorted(a.results));
    for (int k = 0; k < 12; ++k) {
      const std::string key = absl::StrCat("k", k);
      CHECK(OfKey(r.results, key) == OfKey(a.results, key));
    }
  }
  CHECK(total_reshards > 20);
  CHECK(total_restores > 20);
}

TEST_CASE(
    "WindowPipeline lineage: started on an already-resharded stream, it reads "
    "each parent to its end before its children",
    "[window][pipeline][lineage]") {
  for (uint64_t seed = 100; seed < 106; ++seed) {
    Scenario sc;
    sc.seed = seed;
    sc.steps = 30;
    sc.start_step = 29;  // every reshard before the pipelines start
    sc.restore = false;
    INFO("seed " << sc.seed);
    Run a, r, b;
    int reshards = 0, restores = 0;
    RunScenario(sc, a, r, b, &reshards, &restores);
    CAPTURE(reshards);
    CHECK(a.read == b.read);
    CHECK(a.out_of_order == 0);
    CHECK(a.late.empty());
    CHECK(Sorted(a.results) == Sorted(b.results));
  }
}

TEST_CASE(
    "WindowPipeline lineage: with a shard list, it follows the listed shards' "
    "descendants, and a merge child waits only for followed parents",
    "[window][pipeline][lineage]") {
  ManualClockEnv env(1'000'000);
  Side side(&env, 2);
  const std::vector<ShardDescription> shards = side.consumer->ListShards();
  PipelineOptions po = EvOptions(&env);
  po.shard_ids = {shards[0].shard_id};
  Run run;
  run.Make(side, po, Tumbling(100));
  side.PutAt({"a", 1, 10}, kLow);
  side.PutAt({"b", 1, 20}, kHigh);
  run.Round();
  // Split the listed shard: both children are followed.
  const HashKey s0 = shards[0].hash_key_range.starting_hash_key;
  const HashKey e0 = shards[0].hash_key_range.ending_hash_key;
  BROOK_REQUIRE_OK(side.stream->SplitShard(
      shards[0].shard_id, HashKeyToString(s0 + (e0 - s0) / 2)));
  side.PutAt({"a", 2, 30}, kLow);
  side.PutAt({"b", 2, 40}, kHigh);
  run.Round();
  CHECK(run.read == 2);  // a1, a2: shard 1 is not followed
  auto pos = Pipeline::ReadPositions(run.pipeline->SaveState());
  BROOK_REQUIRE_OK(pos);
  REQUIRE(pos->size() == 3);
  CHECK((*pos)[0].shard_id == shards[0].shard_id);
  CHECK((*pos)[0].finished);
  CHECK((*pos)[1].started);
  CHECK((*pos)[2].started);
  // Merge the high child with the unlisted shard 1: the merge child is read
  // once its followed parent ends, without waiting for shard 1.
  std::string high_child;
  for (const ShardDescription& d : side.Open()) {
    if (d.hash_key_range.starting_hash_key == s0 + (e0 - s0) / 2) {
      high_child = d.shard_id;
    }
  }
  REQUIRE(
      ((*pos)[1].shard_id == high_child || (*pos)[2].shard_id == high_child));
  BROOK_REQUIRE_OK(side.stream->MergeShards(high_child, shards[1].shard_id));
  side.PutAt({"b", 3, 50}, kHigh);
  run.Round();
  run.Round();
  CHECK(run.read == 3);  // and b3, from the merge child
  pos = Pipeline::ReadPositions(run.pipeline->SaveState());
  BROOK_REQUIRE_OK(pos);
  REQUIRE(pos->size() == 4);
  CHECK((*pos)[(*pos)[1].shard_id == high_child ? 1 : 2].finished);
  CHECK((*pos)[3].started);
  CHECK_FALSE((*pos)[3].finished);
  CHECK_FALSE(run.pipeline->finished());
  run.pipeline->FinishAll();
  CHECK(run.pipeline->finished());
  CHECK(Sorted(run.results) ==
        std::vector<Out>{{"a", 0, 99, 2}, {"b", 0, 99, 1}});
}

TEST_CASE(
    "WindowPipeline lineage: with alignment on, a merge parent paused for "
    "running ahead is still drained while its co-parent holds the watermark",
    "[window][pipeline][lineage][align]") {
  ManualClockEnv env(1'000'000);
  Side side(&env, 2);
  PipelineOptions po = EvOptions(&env);
  po.watermarks =
      *WatermarkStrategy::ForBoundedOutOfOrderness(absl::Milliseconds(0));
  po.watermarks
      .WithTimestampAssigner([](const Record& r) { return ParseEv(r).time; })
      .WithPeriodicInterval(absl::Milliseconds(10));
  po.max_drift = absl::Milliseconds(100);
  po.read.limit = 1;
  Run run;
  run.Make(side, po, Tumbling(1000));
  side.PutAt({"a", 1, 0}, kLow);
  side.PutAt({"a", 2, 10}, kLow);
  for (int t = 1000; t <= 1003; ++t) side.PutAt({"b", t - 999, t}, kHigh);
  env.Advance(absl::Milliseconds(20));
  run.Round();  // one record each: shard 0 at -1, shard 1 at 999
  REQUIRE(run.pipeline->combiner().IsPaused(1));
  const std::vector<ShardDescription> shards = side.consumer->ListShards();
  BROOK_REQUIRE_OK(
      side.stream->MergeShards(shards[0].shard_id, shards[1].shard_id));
  side.PutAt({"a", 3, 1100}, kLow);
  for (int i = 0; i < 12; ++i) {
    env.Advance(absl::Milliseconds(20));
    run.Round();
  }
  // Shard 0 ended at 9 and holds the watermark for the merge child; shard 1,
  // 990 ahead of it, is read to its end regardless, and the child starts.
  CHECK(run.read == 7);
  CHECK(run.out_of_order == 0);
  auto pos = Pipeline::ReadPositions(run.pipeline->SaveState());
  BROOK_REQUIRE_OK(pos);
  REQUIRE(pos->size() == 3);
  CHECK((*pos)[0].finished);
  CHECK((*pos)[1].finished);
  CHECK((*pos)[2].started);
}

TEST_CASE(
    "WindowPipeline lineage: a parent read to its end does not turn idle "
    "while it holds the watermark for a merge child",
    "[window][pipeline][lineage][idle]") {
  ManualClockEnv env(1'000'000);
  Side side(&env, 2);
  PipelineOptions po = EvOptions(&env);
  po.watermarks =
      *WatermarkStrategy::ForBoundedOutOfOrderness(absl::Milliseconds(0));
  po.watermarks
      .WithTimestampAssigner([](const Record& r) { return ParseEv(r).time; })
      .WithPeriodicInterval(absl::Milliseconds(10));
  po.idle_timeout = absl::Milliseconds(50);
  po.read.limit = 1;
  Run run;
  run.Make(side, po, Tumbling(100));
  side.PutAt({"a", 1, 10}, kLow);
  for (int i = 0; i <= 20; ++i) side.PutAt({"b", i + 1, 500 + i}, kHigh);
  env.Advance(absl::Milliseconds(20));
  run.Round();  // shard 0 at 9, shard 1 at 499
  const std::vector<ShardDescription> shards = side.consumer->ListShards();
  BROOK_REQUIRE_OK(
      side.stream->MergeShards(shards[0].shard_id, shards[1].shard_id));
  side.PutAt({"a", 2, 50}, kLow);  // into the merge child
  // Shard 0 ends at once; shard 1 takes 20 more rounds (400 ms, far past
  // the idle timeout) to drain, and the child waits for it.
  for (int i = 0; i < 30; ++i) {
    env.Advance(absl::Milliseconds(20));
    run.Round();
  }
  CHECK(run.read == 23);
  CHECK(run.late.empty());
  run.pipeline->FinishAll();
  CHECK(Sorted(run.results) ==
        std::vector<Out>{{"a", 0, 99, 2}, {"b", 500, 599, 21}});
}

TEST_CASE(
    "WatermarkCombiner: an added input holds the combined watermark only "
    "from where it is aligned, and the trees grow past a power of two",
    "[window][watermark][lineage]") {
  ManualClockEnv env(0);
  std::vector<WatermarkStatus> combined;
  WatermarkCombinerOptions o;
  o.num_inputs = 2;
  o.env = &env;
  o.on_combined_status = [&combined](WatermarkStatus s) {
    combined.push_back(s);
  };
  auto c = WatermarkCombiner::Create(o);
  BROOK_REQUIRE_OK(c);
  WatermarkCombiner& w = **c;
  w.Update(0, 50);
  w.Update(1, 40);
  REQUIRE(w.combined_watermark_millis() == 40);
  // At 45, above the combined 40: aligned, and it holds from there.
  CHECK(w.AddInput(45) == 2);
  CHECK(w.combined_watermark_millis() == 40);
  w.Update(1, 100);
  CHECK(w.combined_watermark_millis() == 45);
  // At 10, below the combined 45: it holds nothing back until it catches up.
  CHECK(w.AddInput(10) == 3);
  w.Update(2, 200);
  CHECK(w.combined_watermark_millis() == 50);
  w.Update(0, 300);
  CHECK(w.combined_watermark_millis() == 100);
  w.Update(3, 60);  // still behind
  CHECK(w.combined_watermark_millis() == 100);
  w.Update(3, 150);  // caught up: aligned
  w.Update(1, 400);
  CHECK(w.combined_watermark_millis() == 150);
  // Past four inputs the trees double.
  CHECK(w.AddInput(160) == 4);
  CHECK(w.num_inputs() == 5);
  w.Update(3, 500);
  CHECK(w.combined_watermark_millis() == 160);
  for (int i = 0; i < 5; ++i) w.MarkFinished(i);
  CHECK(w.combined_watermark_millis() == kMaxEventTime);
  CHECK(combined.empty());  // never idle: no combined status change
}

// --- State saved by format version 1 (test/testdata/pipeline/README.md) ---

std::string PipelineTestdata(const std::string& name) {
  return absl::StrCat(BROOK_WINDOW_TESTDATA_DIR, "/../pipeline/", name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

PipelineOptions V1Options(Env* env) {
  PipelineOptions po = EvOptions(env);
  po.watermarks =
      *WatermarkStrategy::ForBoundedOutOfOrderness(absl::Milliseconds(0));
  po.watermarks.WithTimestampAssigner(
      [](const Record& r) { return ParseEv(r).time; });
  return po;
}

// The steps before `v1_open.state` was saved: two rounds over two shards.
void V1Open(ManualClockEnv& env, Side& side, Run& run) {
  side.PutAt({"a", 1, 10}, kLow);
  side.PutAt({"b", 1, 15}, kHigh);
  side.PutAt({"a", 2, 20}, kLow);
  side.PutAt({"b", 2, 30}, kHigh);
  env.Advance(absl::Milliseconds(200));
  run.Round();
  side.PutAt({"a", 3, 120}, kLow);
  side.PutAt({"b", 3, 110}, kHigh);
  env.Advance(absl::Milliseconds(200));
  run.Round();
}

// Then, before `v1_parent_finished.state`: shard 0 split and read to its end.
void V1Split(ManualClockEnv& env, Side& side, Run* run) {
  const ShardDescription d = side.consumer->ListShards()[0];
  const HashKey s = d.hash_key_range.starting_hash_key;
  const HashKey e = d.hash_key_range.ending_hash_key;
  BROOK_REQUIRE_OK(
      side.stream->SplitShard(d.shard_id, HashKeyToString(s + (e - s) / 2)));
  env.Advance(absl::Milliseconds(200));
  if (run != nullptr) run->Round();
}

TEST_CASE(
    "WindowPipeline lineage: state saved by format version 1 restores into a "
    "pipeline that lists the children, and resumes exactly",
    "[window][pipeline][lineage][snapshot]") {
  const std::string v1 = ReadFile(PipelineTestdata("v1_open.state"));
  ManualClockEnv env(1'000'000);
  Side side(&env, 2);
  const PipelineOptions po = V1Options(&env);
  Run base, restored;
  base.Make(side, po, Tumbling(100));
  V1Open(env, side, base);
  REQUIRE(Sorted(base.results) ==
          std::vector<Out>{{"a", 0, 99, 2}, {"b", 0, 99, 2}});
  base.results.clear();  // fired before the save
  V1Split(env, side, nullptr);
  side.PutAt({"a", 4, 130}, kLow);
  side.PutAt({"a", 5, 250}, kLow);
  side.PutAt({"b", 4, 260}, kHigh);
  // Created now, the pipeline lists the parent and both children.
  REQUIRE(side.consumer->ListShards().size() == 4);
  restored.Make(side, po, Tumbling(100), &v1);
  for (int i = 0; i < 5; ++i) {
    env.Advance(absl::Milliseconds(200));
    base.Round();
    restored.Round();
  }
  base.pipeline->FinishAll();
  restored.pipeline->FinishAll();
  const std::vector<Out> want = {{"a", 100, 199, 2},
                                 {"a", 200, 299, 1},
                                 {"b", 100, 199, 1},
                                 {"b", 200, 299, 1}};
  CHECK(Sorted(base.results) == want);
  CHECK(Sorted(restored.results) == want);
  CHECK(restored.out_of_order == 0);
  CHECK(restored.late.empty());
}

TEST_CASE(
    "WindowPipeline lineage: version 1 state that finished a parent without "
    "its children is refused, naming the shard",
    "[window][pipeline][lineage][snapshot]") {
  const std::string v1 = ReadFile(PipelineTestdata("v1_parent_finished.state"));
  ManualClockEnv env(1'000'000);
  Side side(&env, 2);
  const PipelineOptions po = V1Options(&env);
  Run base;
  base.Make(side, po, Tumbling(100));
  V1Open(env, side, base);
  V1Split(env, side, &base);
  Run restored;
  restored.Make(side, po, Tumbling(100));
  const std::string before = restored.pipeline->SaveState();
  absl::Status s = restored.pipeline->RestoreState(v1);
  BROOK_CHECK_CODE(s, kFailedPrecondition);
  CHECK(absl::StrContains(s.message(), "shardId-000000000000"));
  CHECK(absl::StrContains(s.message(), "version 1"));
  CHECK(restored.pipeline->SaveState() == before);
}

}  // namespace
}  // namespace brook
