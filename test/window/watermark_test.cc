// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/watermark.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/record.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

struct CollectOutput : WatermarkOutput {
  void EmitWatermark(EventTime w) override { emitted.push_back(w); }
  std::vector<EventTime> emitted;
};

TEST_CASE("Watermark: bounded out-of-orderness generation table",
          "[watermark]") {
  struct Row {
    int64_t bound;
    std::vector<EventTime> events;
    EventTime expected;
  };
  auto row = GENERATE(values<Row>({
      {0, {10}, 9},
      {5, {10, 3, 7}, 4},
      {5, {-100, -50, -70}, -56},
      {0, {kMaxEventTime}, kMaxEventTime - 1},
      {5, {kMinEventTime}, kMinEventTime},  // saturates
      {kMaxEventTime, {0}, kMinEventTime},  // saturates
      {kMaxEventTime, {kMaxEventTime}, -1},
      {1000, {5000, 4000, 6001, 2000}, 5000},
  }));
  auto gen = NewBoundedOutOfOrdernessGenerator(row.bound);
  BROOK_REQUIRE_OK(gen);
  CollectOutput out;
  (*gen)->OnPeriodicEmit(out);
  CHECK(out.emitted.empty());  // nothing before the first event
  for (EventTime t : row.events) (*gen)->OnEvent(Record(), t, out);
  (*gen)->OnPeriodicEmit(out);
  REQUIRE(out.emitted.size() == 1);
  CHECK(out.emitted[0] == row.expected);
}

TEST_CASE("Watermark: invalid strategies are rejected", "[watermark]") {
  BROOK_CHECK_CODE(NewBoundedOutOfOrdernessGenerator(-1), kInvalidArgument);
  BROOK_CHECK_CODE(WatermarkStrategy::ForBoundedOutOfOrderness(-5),
                   kInvalidArgument);
  ManualClockEnv env(0);
  WatermarkStrategy s = WatermarkStrategy::ForMonotonousTimestamps();
  s.periodic_interval_ms = 0;
  BROOK_CHECK_CODE(WatermarkAssigner::Create(s, &env), kInvalidArgument);
  WatermarkStrategy none;
  BROOK_CHECK_CODE(WatermarkAssigner::Create(none, &env), kInvalidArgument);
  WatermarkStrategy null_gen = WatermarkStrategy::ForGenerator(
      []() -> std::unique_ptr<WatermarkGenerator> { return nullptr; });
  BROOK_CHECK_CODE(WatermarkAssigner::Create(null_gen, &env), kInvalidArgument);
}

TEST_CASE("WatermarkAssigner: periodic emission follows the clock",
          "[watermark]") {
  ManualClockEnv env(1000);
  auto strategy = WatermarkStrategy::ForBoundedOutOfOrderness(10);
  BROOK_REQUIRE_OK(strategy);
  strategy->WithPeriodicInterval(200).WithTimestampAssigner(
      [](const Record& r) { return static_cast<EventTime>(r.data.size()); });
  auto a = WatermarkAssigner::Create(*strategy, &env);
  BROOK_REQUIRE_OK(a);
  Record r;
  r.data = "0123456789012345678901234567890123456789";  // ts 40
  r.approximate_arrival_timestamp_millis = 999999;      // ignored
  CHECK((*a)->OnRecord(r) == 40);
  CHECK_FALSE((*a)->OnTick());  // no time has passed
  CHECK((*a)->current_watermark() == kMinEventTime);
  env.Advance(absl::Milliseconds(199));
  CHECK_FALSE((*a)->OnTick());
  env.Advance(absl::Milliseconds(1));
  CHECK((*a)->OnTick());
  CHECK((*a)->current_watermark() == 29);
  // Never backwards: an older record does not lower it.
  r.data = "0";
  (*a)->OnRecord(r);
  env.Advance(absl::Milliseconds(500));
  CHECK_FALSE((*a)->OnTick());
  CHECK((*a)->current_watermark() == 29);
  (*a)->Finish();
  CHECK((*a)->current_watermark() == kMaxEventTime);
}

TEST_CASE("WatermarkAssigner: arrival time is the default timestamp",
          "[watermark]") {
  ManualClockEnv env(0);
  auto a = WatermarkAssigner::Create(
      WatermarkStrategy::ForMonotonousTimestamps(), &env);
  BROOK_REQUIRE_OK(a);
  Record r;
  r.approximate_arrival_timestamp_millis = -77;
  CHECK((*a)->OnRecord(r) == -77);
  CHECK((*a)->EmitNow());
  CHECK((*a)->current_watermark() == -78);
}

TEST_CASE("WatermarkAssigner: no-watermarks strategy never advances",
          "[watermark]") {
  ManualClockEnv env(0);
  auto a = WatermarkAssigner::Create(WatermarkStrategy::NoWatermarks(), &env);
  BROOK_REQUIRE_OK(a);
  Record r;
  r.approximate_arrival_timestamp_millis = 5000;
  (*a)->OnRecord(r);
  env.Advance(absl::Milliseconds(10'000));
  CHECK_FALSE((*a)->OnTick());
  CHECK((*a)->current_watermark() == kMinEventTime);
}

// A punctuated generator: records whose data is "wm" carry a watermark equal
// to their timestamp.
class Punctuated : public WatermarkGenerator {
 public:
  void OnEvent(const Record& record, EventTime ts,
               WatermarkOutput& output) override {
    if (record.data == "wm") output.EmitWatermark(ts);
  }
  void OnPeriodicEmit(WatermarkOutput&) override {}
};

TEST_CASE("WatermarkAssigner: user-defined per-event generator",
          "[watermark]") {
  ManualClockEnv env(0);
  auto a = WatermarkAssigner::Create(WatermarkStrategy::ForGenerator([] {
                                       return std::make_unique<Punctuated>();
                                     }),
                                     &env);
  BROOK_REQUIRE_OK(a);
  Record r;
  r.approximate_arrival_timestamp_millis = 100;
  r.data = "x";
  (*a)->OnRecord(r);
  CHECK((*a)->current_watermark() == kMinEventTime);
  r.data = "wm";
  (*a)->OnRecord(r);
  CHECK((*a)->current_watermark() == 100);
  r.approximate_arrival_timestamp_millis = 50;
  (*a)->OnRecord(r);
  CHECK((*a)->current_watermark() == 100);  // never backwards
}

std::unique_ptr<WatermarkCombiner> MakeCombiner(int n, Env* env,
                                                int64_t idle = 0,
                                                int64_t drift = -1) {
  WatermarkCombinerOptions o;
  o.num_inputs = n;
  o.idle_timeout_ms = idle;
  o.max_drift_ms = drift;
  o.env = env;
  auto c = WatermarkCombiner::Create(o);
  REQUIRE(c.ok());
  return *std::move(c);
}

TEST_CASE("WatermarkCombiner: minimum over inputs, never backwards",
          "[watermark][combine]") {
  ManualClockEnv env(0);
  auto c = MakeCombiner(3, &env);
  CHECK_FALSE(c->Update(0, 10));
  CHECK_FALSE(c->Update(1, 20));
  CHECK(c->combined() == kMinEventTime);
  CHECK(c->Update(2, 5));
  CHECK(c->combined() == 5);
  CHECK(c->Update(2, 30));
  CHECK(c->combined() == 10);
  CHECK_FALSE(c->Update(0, 3));  // an input's watermark never goes back
  CHECK(c->input_watermark(0) == 10);
  CHECK(c->combined() == 10);
  CHECK(c->Update(0, -1) == false);
  CHECK(c->Update(0, 25));
  CHECK(c->combined() == 20);
}

TEST_CASE("WatermarkCombiner: finished inputs are released",
          "[watermark][combine]") {
  ManualClockEnv env(0);
  auto c = MakeCombiner(2, &env);
  c->Update(0, 100);
  c->Update(1, 50);
  CHECK(c->combined() == 50);
  CHECK(c->MarkFinished(1));
  CHECK(c->combined() == 100);
  CHECK(c->IsFinished(1));
  CHECK_FALSE(c->Update(1, 10));  // ignored once finished
  CHECK(c->MarkFinished(0));
  CHECK(c->combined() == kMaxEventTime);
}

TEST_CASE("WatermarkCombiner: idleness releases a silent input",
          "[watermark][combine][idle]") {
  ManualClockEnv env(0);
  auto c = MakeCombiner(2, &env, /*idle=*/1000);
  c->Update(0, 500);
  c->Update(1, 100);
  CHECK(c->combined() == 100);
  CHECK_FALSE(c->CheckIdleness());  // samples the activity so far, at t=0
  env.Advance(absl::Milliseconds(1000));
  c->Update(0, 600);                // input 0 is active
  CHECK_FALSE(c->CheckIdleness());  // input 1 silent exactly 1000 ms: not yet
  env.Advance(absl::Milliseconds(1));
  CHECK(c->CheckIdleness());
  CHECK(c->IsIdle(1));
  CHECK(c->combined() == 600);
  // The idle input comes back behind: the combined watermark does not go back
  // but holds until it catches up.
  c->MarkActive(1);
  CHECK_FALSE(c->IsIdle(1));
  CHECK_FALSE(c->Update(0, 900));
  CHECK(c->combined() == 600);
  CHECK(c->Update(1, 700));
  CHECK(c->combined() == 700);
  // Both idle: hold. (Activity is sampled at checks: the first check after
  // the last activity starts the silence.)
  env.Advance(absl::Milliseconds(5000));
  CHECK_FALSE(c->CheckIdleness());
  CHECK_FALSE(c->IsIdle(0));
  env.Advance(absl::Milliseconds(1001));
  CHECK_FALSE(c->CheckIdleness());
  CHECK(c->IsIdle(0));
  CHECK(c->IsIdle(1));
  CHECK(c->combined() == 700);
  // Idle plus finished: still hold; all finished: max.
  CHECK_FALSE(c->MarkFinished(0));
  CHECK(c->combined() == 700);
  CHECK(c->MarkFinished(1));
  CHECK(c->combined() == kMaxEventTime);
}

TEST_CASE("WatermarkCombiner: idleness disabled by default",
          "[watermark][combine][idle]") {
  ManualClockEnv env(0);
  auto c = MakeCombiner(2, &env);
  c->Update(0, 10);
  env.Advance(absl::Milliseconds(1'000'000));
  CHECK_FALSE(c->CheckIdleness());
  CHECK_FALSE(c->IsIdle(1));
  CHECK(c->combined() == kMinEventTime);
}

TEST_CASE(
    "WatermarkCombiner: alignment pauses inputs ahead by more than the "
    "max drift and resumes them",
    "[watermark][combine][align]") {
  ManualClockEnv env(0);
  auto c = MakeCombiner(3, &env, /*idle=*/100, /*drift=*/50);
  c->Update(0, 0);
  c->Update(1, 50);
  c->Update(2, 51);
  CHECK_FALSE(c->IsPaused(0));
  CHECK_FALSE(c->IsPaused(1));  // exactly max drift ahead: runs
  CHECK(c->IsPaused(2));
  c->Update(0, 1);
  CHECK_FALSE(c->IsPaused(2));  // caught up
  c->Update(2, 1000);
  CHECK(c->IsPaused(2));
  // An idle slowest input no longer holds the others back.
  c->CheckIdleness();
  env.Advance(absl::Milliseconds(101));
  c->Update(1, 990);
  c->Update(2, 1000);
  c->CheckIdleness();
  CHECK(c->IsIdle(0));
  CHECK(c->combined() == 990);
  CHECK_FALSE(c->IsPaused(2));
  // Alignment off: never paused.
  auto d = MakeCombiner(2, &env);
  d->Update(0, 0);
  d->Update(1, kMaxEventTime);
  CHECK_FALSE(d->IsPaused(1));
}

TEST_CASE("WatermarkCombiner: invalid options", "[watermark][combine]") {
  WatermarkCombinerOptions o;
  o.num_inputs = 0;
  BROOK_CHECK_CODE(WatermarkCombiner::Create(o), kInvalidArgument);
  o.num_inputs = 2;
  o.idle_timeout_ms = -1;
  BROOK_CHECK_CODE(WatermarkCombiner::Create(o), kInvalidArgument);
}

TEST_CASE("WatermarkCombiner: many inputs agree with a linear minimum",
          "[watermark][combine]") {
  ManualClockEnv env(0);
  const int n = 1000;
  auto c = MakeCombiner(n, &env);
  std::vector<EventTime> wm(n, kMinEventTime);
  uint64_t x = 12345;
  EventTime last = kMinEventTime;
  for (int step = 0; step < 20000; ++step) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    int i = static_cast<int>((x >> 33) % n);
    EventTime v = wm[i] == kMinEventTime
                      ? static_cast<EventTime>(x >> 50)
                      : wm[i] + static_cast<EventTime>((x >> 40) % 100);
    c->Update(i, v);
    wm[i] = std::max(wm[i], v);
    EventTime expect = *std::min_element(wm.begin(), wm.end());
    expect = std::max(expect, last);
    REQUIRE(c->combined() == expect);
    last = expect;
  }
}

}  // namespace
}  // namespace brook
