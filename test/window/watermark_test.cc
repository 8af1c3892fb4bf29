// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/watermark.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/record.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

struct CollectOutput : WatermarkOutput {
  void EmitWatermark(EventTime watermark_millis) override {
    emitted.push_back(watermark_millis);
  }
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
  auto gen = NewBoundedOutOfOrdernessGenerator(absl::Milliseconds(row.bound));
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
  for (absl::Duration bad :
       {absl::Milliseconds(-1), absl::Microseconds(1500),
        absl::InfiniteDuration(), -absl::InfiniteDuration()}) {
    CAPTURE(bad);
    auto g = NewBoundedOutOfOrdernessGenerator(bad);
    BROOK_CHECK_CODE(g, kInvalidArgument);
    CHECK_THAT(std::string(g.status().message()),
               Catch::Contains("max_out_of_orderness"));
    BROOK_CHECK_CODE(WatermarkStrategy::ForBoundedOutOfOrderness(bad),
                     kInvalidArgument);
  }
  BROOK_CHECK_OK(NewBoundedOutOfOrdernessGenerator(absl::ZeroDuration()));
  ManualClockEnv env(0);
  WatermarkStrategy s = WatermarkStrategy::ForMonotonousTimestamps();
  for (absl::Duration bad :
       {absl::ZeroDuration(), absl::Milliseconds(-5), absl::Microseconds(1500),
        absl::InfiniteDuration()}) {
    CAPTURE(bad);
    s.periodic_interval = bad;
    auto a = WatermarkAssigner::Create(s, &env);
    BROOK_CHECK_CODE(a, kInvalidArgument);
    CHECK_THAT(std::string(a.status().message()),
               Catch::Contains("periodic_interval"));
  }
  CHECK_THAT(std::string(WatermarkAssigner::Create(s, &env).status().message()),
             Catch::Contains("whole number of milliseconds"));
  WatermarkStrategy none;
  BROOK_CHECK_CODE(WatermarkAssigner::Create(none, &env), kInvalidArgument);
  WatermarkStrategy null_gen = WatermarkStrategy::ForGenerator(
      []() -> std::unique_ptr<WatermarkGenerator> { return nullptr; });
  BROOK_CHECK_CODE(WatermarkAssigner::Create(null_gen, &env), kInvalidArgument);
}

TEST_CASE("WatermarkAssigner: periodic emission follows the clock",
          "[watermark]") {
  ManualClockEnv env(1000);
  auto strategy =
      WatermarkStrategy::ForBoundedOutOfOrderness(absl::Milliseconds(10));
  BROOK_REQUIRE_OK(strategy);
  strategy->WithPeriodicInterval(absl::Milliseconds(200))
      .WithTimestampAssigner([](const Record& r) {
        return static_cast<EventTime>(r.data.size());
      });
  auto a = WatermarkAssigner::Create(*strategy, &env);
  BROOK_REQUIRE_OK(a);
  Record r;
  r.data = "0123456789012345678901234567890123456789";  // ts 40
  r.approximate_arrival_timestamp_millis = 999999;      // ignored
  CHECK((*a)->OnRecord(r) == 40);
  CHECK_FALSE((*a)->OnTick());  // no time has passed
  CHECK((*a)->current_watermark_millis() == kMinEventTime);
  env.Advance(absl::Milliseconds(199));
  CHECK_FALSE((*a)->OnTick());
  env.Advance(absl::Milliseconds(1));
  CHECK((*a)->OnTick());
  CHECK((*a)->current_watermark_millis() == 29);
  // Never backwards: an older record does not lower it.
  r.data = "0";
  (*a)->OnRecord(r);
  env.Advance(absl::Milliseconds(500));
  CHECK_FALSE((*a)->OnTick());
  CHECK((*a)->current_watermark_millis() == 29);
  (*a)->Finish();
  CHECK((*a)->current_watermark_millis() == kMaxEventTime);
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
  CHECK((*a)->current_watermark_millis() == -78);
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
  CHECK((*a)->current_watermark_millis() == kMinEventTime);
}

// A punctuated generator: records whose data is "wm" carry a watermark equal
// to their timestamp.
class Punctuated : public WatermarkGenerator {
 public:
  void OnEvent(const Record& record, EventTime timestamp_millis,
               WatermarkOutput& output) override {
    if (record.data == "wm") output.EmitWatermark(timestamp_millis);
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
  CHECK((*a)->current_watermark_millis() == kMinEventTime);
  r.data = "wm";
  (*a)->OnRecord(r);
  CHECK((*a)->current_watermark_millis() == 100);
  r.approximate_arrival_timestamp_millis = 50;
  (*a)->OnRecord(r);
  CHECK((*a)->current_watermark_millis() == 100);  // never backwards
}

// Records the status changes a combiner reports.
struct StatusLog {
  std::vector<std::pair<int, WatermarkStatus>> inputs;
  std::vector<WatermarkStatus> combined;
};

std::unique_ptr<WatermarkCombiner> MakeCombiner(
    int n, Env* env, absl::Duration idle = absl::InfiniteDuration(),
    absl::Duration drift = absl::InfiniteDuration(), StatusLog* log = nullptr) {
  WatermarkCombinerOptions o;
  o.num_inputs = n;
  o.idle_timeout = idle;
  o.max_drift = drift;
  o.env = env;
  if (log != nullptr) {
    o.on_input_status = [log](int input, WatermarkStatus s) {
      log->inputs.emplace_back(input, s);
    };
    o.on_combined_status = [log](WatermarkStatus s) {
      log->combined.push_back(s);
    };
  }
  auto c = WatermarkCombiner::Create(o);
  REQUIRE(c.ok());
  return *std::move(c);
}

// Makes every input not in `active` idle: a check that sees what happened
// before, a check that starts their idleness timers, and one more than
// `timeout` later. The inputs in `active` have records all along.
void IdleAllBut(WatermarkCombiner& c, ManualClockEnv& env,
                absl::Duration timeout, const std::vector<int>& active) {
  for (int round = 0; round < 3; ++round) {
    if (round == 2) {
      env.Advance(absl::Milliseconds(absl::ToInt64Milliseconds(timeout) + 1));
    }
    for (int i : active) c.MarkActive(i);
    c.CheckIdleness();
  }
}

constexpr WatermarkStatus kActive = WatermarkStatus::kActive;
constexpr WatermarkStatus kIdle = WatermarkStatus::kIdle;

TEST_CASE("WatermarkCombiner: minimum over inputs, never backwards",
          "[watermark][combine]") {
  ManualClockEnv env(0);
  auto c = MakeCombiner(3, &env);
  CHECK_FALSE(c->Update(0, 10));
  CHECK_FALSE(c->Update(1, 20));
  CHECK(c->combined_watermark_millis() == kMinEventTime);
  CHECK(c->Update(2, 5));
  CHECK(c->combined_watermark_millis() == 5);
  CHECK(c->Update(2, 30));
  CHECK(c->combined_watermark_millis() == 10);
  CHECK_FALSE(c->Update(0, 3));  // an input's watermark never goes back
  CHECK(c->input_watermark_millis(0) == 10);
  CHECK(c->combined_watermark_millis() == 10);
  CHECK(c->Update(0, -1) == false);
  CHECK(c->Update(0, 25));
  CHECK(c->combined_watermark_millis() == 20);
  CHECK(c->combined_status() == kActive);
}

TEST_CASE("WatermarkCombiner: finished inputs are released",
          "[watermark][combine]") {
  ManualClockEnv env(0);
  auto c = MakeCombiner(2, &env);
  c->Update(0, 100);
  c->Update(1, 50);
  CHECK(c->combined_watermark_millis() == 50);
  CHECK(c->MarkFinished(1));
  CHECK(c->combined_watermark_millis() == 100);
  CHECK(c->IsFinished(1));
  CHECK(c->input_watermark_millis(1) == kMaxEventTime);
  CHECK_FALSE(c->Update(1, 10));  // ignored once finished
  CHECK_FALSE(c->MarkFinished(1));
  CHECK(c->MarkFinished(0));
  CHECK(c->combined_watermark_millis() == kMaxEventTime);
}

TEST_CASE(
    "WatermarkCombiner: Flink's rule: the idle timeout must be positive, "
    "infinite turns idleness off",
    "[watermark][combine][idle]") {
  WatermarkCombinerOptions o;
  o.num_inputs = 0;
  BROOK_CHECK_CODE(WatermarkCombiner::Create(o), kInvalidArgument);
  o.num_inputs = 2;
  for (absl::Duration bad : {absl::ZeroDuration(), absl::Milliseconds(-1),
                             absl::Microseconds(1500)}) {
    CAPTURE(bad);
    o.idle_timeout = bad;
    auto c = WatermarkCombiner::Create(o);
    BROOK_CHECK_CODE(c, kInvalidArgument);
    CHECK_THAT(std::string(c.status().message()),
               Catch::Contains("idle_timeout"));
  }
  o.idle_timeout = absl::InfiniteDuration();
  for (absl::Duration bad :
       {absl::Milliseconds(-1), absl::Microseconds(1500)}) {
    CAPTURE(bad);
    o.max_drift = bad;
    auto c = WatermarkCombiner::Create(o);
    BROOK_CHECK_CODE(c, kInvalidArgument);
    CHECK_THAT(std::string(c.status().message()), Catch::Contains("max_drift"));
  }
  o.max_drift = absl::ZeroDuration();
  BROOK_CHECK_OK(WatermarkCombiner::Create(o));

  ManualClockEnv env(0);
  auto c = MakeCombiner(2, &env);  // idleness off
  c->Update(0, 10);
  for (int i = 0; i < 3; ++i) {
    env.Advance(absl::Milliseconds(1'000'000));
    CHECK_FALSE(c->CheckIdleness());
  }
  CHECK_FALSE(c->IsIdle(1));
  CHECK(c->combined_watermark_millis() == kMinEventTime);
}

TEST_CASE(
    "WatermarkCombiner: Flink's rule: idleness is counted from the first "
    "check that saw no activity (IdlenessTimer)",
    "[watermark][combine][idle]") {
  ManualClockEnv env(0);
  StatusLog log;
  auto c = MakeCombiner(2, &env, absl::Milliseconds(1000),
                        absl::InfiniteDuration(), &log);
  c->MarkActive(0);
  c->MarkActive(1);
  c->CheckIdleness();  // t=0: both had records
  auto tick = [&](int64_t to) {
    env.SetNowMillis(to);
    c->MarkActive(0);  // input 0 always has records
    c->CheckIdleness();
  };
  tick(100);  // input 1: the first check with no activity starts the timer
  tick(1050);
  CHECK_FALSE(c->IsIdle(1));  // 950 ms since that check (1050 since records)
  tick(1100);
  CHECK_FALSE(c->IsIdle(1));  // exactly the timeout: not more
  tick(1101);
  CHECK(c->IsIdle(1));
  CHECK(c->input_status(1) == kIdle);
  CHECK(log.inputs == std::vector<std::pair<int, WatermarkStatus>>{{1, kIdle}});
  // Records make it active again, and restart the count.
  c->MarkActive(1);
  CHECK(c->input_status(1) == kActive);
  tick(1102);  // sees the activity
  tick(1200);  // starts the timer
  tick(2200);
  CHECK_FALSE(c->IsIdle(1));
  tick(2201);
  CHECK(c->IsIdle(1));
  CHECK(log.inputs == std::vector<std::pair<int, WatermarkStatus>>{
                          {1, kIdle}, {1, kActive}, {1, kIdle}});
  CHECK(log.combined.empty());  // input 0 stayed active throughout
}

TEST_CASE(
    "WatermarkCombiner: Flink's rule: only records count as activity, "
    "not watermarks (WatermarksWithIdleness)",
    "[watermark][combine][idle]") {
  ManualClockEnv env(0);
  auto c = MakeCombiner(2, &env, absl::Milliseconds(1000));
  for (int64_t t : {0, 500, 1001}) {
    env.SetNowMillis(t);
    c->MarkActive(0);
    c->Update(1, t);  // a watermark that advances, without records
    c->CheckIdleness();
  }
  CHECK(c->IsIdle(1));
  CHECK_FALSE(c->IsIdle(0));
}

TEST_CASE(
    "WatermarkCombiner: Flink's rule: a watermark of an idle input is "
    "ignored, only records make it active again",
    "[watermark][combine][idle]") {
  ManualClockEnv env(0);
  const absl::Duration timeout = absl::Milliseconds(100);
  auto c = MakeCombiner(2, &env, timeout);
  c->Update(0, 500);
  c->Update(1, 100);
  CHECK(c->combined_watermark_millis() == 100);
  IdleAllBut(*c, env, timeout, {0});
  REQUIRE(c->IsIdle(1));
  CHECK(c->combined_watermark_millis() == 500);  // input 1 no longer holds
  CHECK_FALSE(c->Update(1, 900));
  CHECK(c->IsIdle(1));
  CHECK(c->input_watermark_millis(1) == 100);
  CHECK(c->combined_watermark_millis() == 500);
  c->MarkActive(1);
  CHECK_FALSE(c->IsIdle(1));
  CHECK_FALSE(c->Update(1, 900));  // now taken, but input 0 is the minimum
  CHECK(c->input_watermark_millis(1) == 900);
  CHECK(c->Update(0, 1000));
  CHECK(c->combined_watermark_millis() == 900);
}

TEST_CASE(
    "WatermarkCombiner: Flink's rule: an input that comes back behind the "
    "combined watermark holds nothing back until it catches up (aligned "
    "channels)",
    "[watermark][combine][idle]") {
  ManualClockEnv env(0);
  const absl::Duration timeout = absl::Milliseconds(100);
  auto c = MakeCombiner(2, &env, timeout);
  c->Update(0, 500);
  c->Update(1, 100);
  IdleAllBut(*c, env, timeout, {0});
  CHECK(c->combined_watermark_millis() == 500);
  c->MarkActive(1);                              // back at 100, behind 500
  CHECK(c->combined_watermark_millis() == 500);  // never backwards
  CHECK(c->Update(0, 800));                      // input 1 does not hold it
  CHECK(c->combined_watermark_millis() == 800);
  CHECK_FALSE(c->Update(1, 700));  // still behind
  CHECK_FALSE(c->Update(1, 850));  // caught up: aligned again
  CHECK(c->Update(0, 1000));
  CHECK(c->combined_watermark_millis() == 850);  // and holds again
}

TEST_CASE(
    "WatermarkCombiner: Flink's rule: when every input is idle, the combined "
    "watermark becomes the highest of theirs and the status turns idle",
    "[watermark][combine][idle]") {
  ManualClockEnv env(0);
  StatusLog log;
  const absl::Duration timeout = absl::Milliseconds(100);
  auto c = MakeCombiner(3, &env, timeout, absl::InfiniteDuration(), &log);
  c->Update(0, 500);
  c->Update(1, 100);
  c->Update(2, 300);
  CHECK(c->combined_watermark_millis() == 100);
  c->CheckIdleness();
  c->CheckIdleness();
  env.Advance(absl::Milliseconds(101));
  CHECK(c->CheckIdleness());  // all three at once
  CHECK(c->combined_watermark_millis() == 500);
  CHECK(c->combined_status() == kIdle);
  CHECK(log.inputs == std::vector<std::pair<int, WatermarkStatus>>{
                          {0, kIdle}, {1, kIdle}, {2, kIdle}});
  CHECK(log.combined == std::vector<WatermarkStatus>{kIdle});
  // One input with records makes the combination active again.
  c->MarkActive(1);
  CHECK(c->combined_status() == kActive);
  CHECK(log.combined == std::vector<WatermarkStatus>{kIdle, kActive});
  CHECK(log.inputs.back() == std::make_pair(1, kActive));
  CHECK(c->combined_watermark_millis() == 500);
}

TEST_CASE(
    "WatermarkCombiner: Flink's rule: a finished input emits kMaxEventTime "
    "as a finished source does, releasing inputs that are idle",
    "[watermark][combine][idle]") {
  ManualClockEnv env(0);
  const absl::Duration timeout = absl::Milliseconds(100);
  SECTION("the other input is idle") {
    auto c = MakeCombiner(2, &env, timeout);
    c->Update(0, 100);
    c->Update(1, 50);
    IdleAllBut(*c, env, timeout, {1});
    REQUIRE(c->IsIdle(0));
    CHECK(c->combined_watermark_millis() == 50);
    // Input 1's kMaxEventTime is the minimum over the active inputs.
    CHECK(c->MarkFinished(1));
    CHECK(c->combined_watermark_millis() == kMaxEventTime);
    CHECK(c->combined_status() == kActive);
  }
  SECTION("an idle input that finishes becomes active first") {
    StatusLog log;
    auto c = MakeCombiner(2, &env, timeout, absl::InfiniteDuration(), &log);
    c->Update(0, 100);
    c->Update(1, 50);
    IdleAllBut(*c, env, timeout, {});
    CHECK(c->combined_watermark_millis() == 100);  // the highest of both
    REQUIRE(c->combined_status() == kIdle);
    CHECK(c->MarkFinished(0));
    CHECK(c->combined_watermark_millis() == kMaxEventTime);
    CHECK(c->input_status(0) == kActive);
    CHECK(log.inputs.back() == std::make_pair(0, kActive));
    CHECK(log.combined == std::vector<WatermarkStatus>{kIdle, kActive});
    // A finished input stays active: no check makes it idle.
    env.Advance(absl::Milliseconds(1000));
    c->CheckIdleness();
    c->CheckIdleness();
    CHECK(c->input_status(0) == kActive);
  }
  SECTION("active inputs still hold it") {
    auto c = MakeCombiner(3, &env, timeout);
    c->Update(0, 100);
    c->Update(1, 50);
    c->Update(2, 70);
    IdleAllBut(*c, env, timeout, {1, 2});
    CHECK(c->MarkFinished(1));
    CHECK(c->combined_watermark_millis() == 70);
  }
}

TEST_CASE(
    "WatermarkCombiner: alignment pauses inputs ahead by more than the "
    "max drift and resumes them",
    "[watermark][combine][align]") {
  ManualClockEnv env(0);
  auto c =
      MakeCombiner(3, &env, absl::Milliseconds(100), absl::Milliseconds(50));
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
  c->Update(1, 990);
  IdleAllBut(*c, env, absl::Milliseconds(100), {1, 2});
  CHECK(c->IsIdle(0));
  CHECK(c->combined_watermark_millis() == 990);
  CHECK_FALSE(c->IsPaused(2));
  // Alignment off: never paused.
  auto d = MakeCombiner(2, &env);
  d->Update(0, 0);
  d->Update(1, kMaxEventTime);
  CHECK_FALSE(d->IsPaused(1));
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
    REQUIRE(c->combined_watermark_millis() == expect);
    last = expect;
  }
}

}  // namespace
}  // namespace brook
