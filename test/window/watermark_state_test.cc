// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Saving and restoring watermark generators, assigners and combiners
// (`SaveState()` / `RestoreState()`).

#include <memory>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/record.h"
#include "brook/watermark.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

std::unique_ptr<WatermarkCombiner> MakeCombiner(
    int n, Env* env, absl::Duration idle = absl::InfiniteDuration()) {
  WatermarkCombinerOptions o;
  o.num_inputs = n;
  o.idle_timeout = idle;
  o.env = env;
  auto c = WatermarkCombiner::Create(o);
  REQUIRE(c.ok());
  return *std::move(c);
}

TEST_CASE("BoundedOutOfOrderness: saved state is exactly a decimal",
          "[watermark][state]") {
  auto g = *NewBoundedOutOfOrdernessGenerator(absl::Milliseconds(5));
  BROOK_CHECK_OK(g->RestoreState("42"));
  CHECK(g->SaveState() == "42");
  for (const char* bad : {"+42", " 42", "42 ", "042", "x"}) {
    CAPTURE(bad);
    BROOK_CHECK_CODE(g->RestoreState(bad), kDataLoss);
    CHECK(g->SaveState() == "42");  // unchanged
  }
  BROOK_CHECK_CODE(NewNoWatermarksGenerator()->RestoreState("x"), kDataLoss);
}

TEST_CASE("WatermarkAssigner: state survives bytes, damaged bytes refused",
          "[watermark][state]") {
  ManualClockEnv env(1000);
  auto strategy =
      WatermarkStrategy::ForBoundedOutOfOrderness(absl::Milliseconds(10));
  BROOK_REQUIRE_OK(strategy);
  auto a = *WatermarkAssigner::Create(*strategy, &env);
  Record r;
  r.approximate_arrival_timestamp_millis = 500;
  a->OnRecord(r);
  env.Advance(absl::Milliseconds(200));
  REQUIRE(a->OnTick());
  r.approximate_arrival_timestamp_millis = 700;
  a->OnRecord(r);  // seen by the generator, not yet emitted
  const std::string state = a->SaveState();

  auto b = *WatermarkAssigner::Create(*strategy, &env);
  BROOK_REQUIRE_OK(b->RestoreState(state));
  CHECK(b->current_watermark_millis() == 489);
  CHECK(b->SaveState() == state);
  env.Advance(absl::Milliseconds(199));
  CHECK_FALSE(b->OnTick());  // the last emission's time came back too
  env.Advance(absl::Milliseconds(1));
  CHECK(b->OnTick());
  CHECK(b->current_watermark_millis() == 689);  // and the generator's max

  auto fresh = *WatermarkAssigner::Create(*strategy, &env);
  const std::string before = fresh->SaveState();
  std::string bad_version = state;
  bad_version[0] = 9;
  std::string bad_generator = state.substr(0, state.size() - 3) + "+70";
  for (const std::string& bad :
       {std::string(), state.substr(0, 3), state.substr(0, state.size() - 1),
        state + "x", bad_version, bad_generator}) {
    CAPTURE(bad.size());
    BROOK_CHECK_CODE(fresh->RestoreState(bad), kDataLoss);
    CHECK(fresh->SaveState() == before);  // unchanged
  }
  CHECK_THAT(std::string(fresh->RestoreState(bad_version).message()),
             Catch::Contains("version 9"));
}

TEST_CASE("WatermarkCombiner: state survives bytes, other input counts refused",
          "[watermark][combine][state]") {
  ManualClockEnv env(0);
  const absl::Duration timeout = absl::Milliseconds(100);
  auto a = MakeCombiner(3, &env, timeout);
  a->Update(0, 100);
  a->Update(1, 50);
  a->Update(2, 70);
  a->MarkFinished(1);
  a->MarkActive(0);
  a->CheckIdleness();
  a->CheckIdleness();  // input 2's idleness timer runs from here
  env.Advance(absl::Milliseconds(60));
  const std::string state = a->SaveState();
  auto b = MakeCombiner(3, &env, timeout);
  BROOK_REQUIRE_OK(b->RestoreState(state));
  CHECK(b->SaveState() == state);
  CHECK(b->combined_watermark_millis() == a->combined_watermark_millis());
  CHECK(b->IsFinished(1));
  CHECK(b->input_watermark_millis(2) == 70);
  // Both go on identically, idleness timers included.
  env.Advance(absl::Milliseconds(41));
  a->MarkActive(0);
  b->MarkActive(0);
  CHECK(a->CheckIdleness() == b->CheckIdleness());
  CHECK(b->IsIdle(2));
  CHECK(a->IsIdle(2));
  CHECK(a->Update(0, 200) == b->Update(0, 200));
  CHECK(b->combined_watermark_millis() == a->combined_watermark_millis());
  CHECK(b->combined_watermark_millis() == 200);

  auto c = MakeCombiner(2, &env);
  BROOK_CHECK_CODE(c->RestoreState(state), kInvalidArgument);
  const std::string b_state = b->SaveState();
  BROOK_CHECK_CODE(b->RestoreState(state.substr(0, state.size() - 1)),
                   kDataLoss);
  BROOK_CHECK_CODE(b->RestoreState(state + "x"), kDataLoss);
  std::string version = state;
  version[0] = 7;
  BROOK_CHECK_CODE(b->RestoreState(version), kDataLoss);
  CHECK(b->SaveState() == b_state);  // unchanged by the failures
}

TEST_CASE("WatermarkCombiner: damaged state bytes are kDataLoss",
          "[watermark][combine][state]") {
  ManualClockEnv env(0);
  auto a = MakeCombiner(1, &env);
  std::string state = a->SaveState();
  // u32 version, u32 count, then input 0: watermark, two timer flags, timer
  // start, idle, finished.
  const size_t flag = 4 + 4 + 8;
  const size_t idle = flag + 1 + 1 + 8;
  REQUIRE(state.size() > idle + 1);
  state[flag] = 2;
  BROOK_CHECK_CODE(a->RestoreState(state), kDataLoss);
  // A finished input that is idle, or below the largest watermark.
  a->MarkFinished(0);
  state = a->SaveState();
  BROOK_REQUIRE_OK(a->RestoreState(state));
  std::string idle_too = state;
  idle_too[idle] = 1;
  BROOK_CHECK_CODE(a->RestoreState(idle_too), kDataLoss);
  std::string low = state;
  low[8] = 0;  // the watermark's low byte
  auto s = a->RestoreState(low);
  BROOK_CHECK_CODE(s, kDataLoss);
  CHECK_THAT(std::string(s.message()), Catch::Contains("input 0"));
}

}  // namespace
}  // namespace brook
