// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Custom triggers (Flink's Trigger over a TriggerContext). The equivalence
// test re-implements the built-in triggers as custom ones and checks, on
// random inputs, that the generic path emits exactly what the built-in paths
// emit; the other cases pin Flink's rules for triggers, timers, merging and
// cleanup. Seed: BROOK_TEST_SEED, else random (printed).

#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/window.h"

#include "testing/status_testing.h"
#include "window/window_custom_testing.h"
#include "window/window_state_testing.h"

namespace brook {
namespace {

using testing::Config;
using testing::Count;
using testing::Custom;
using testing::Fired;
using testing::Harness;
using testing::MyContinuous;
using testing::MyCount;
using testing::MyEventTime;
using testing::MyProcessingTime;
using testing::Op;
using testing::Options;
using testing::RandomSteps;
using testing::Seed;
using testing::StateConfig;
using testing::StateHarness;
using testing::Step;
using testing::Tumbling;

TEST_CASE(
    "CustomTrigger: re-implemented built-in triggers emit exactly what the "
    "built-ins emit",
    "[window][custom]") {
  std::mt19937_64 rng(Seed());
  struct Assigner {
    const char* name;
    WindowAssigner a;
  };
  const Assigner assigners[] = {
      {"tumbling", *WindowAssigner::Tumbling(absl::Milliseconds(10))},
      {"sliding", *WindowAssigner::Sliding(absl::Milliseconds(30),
                                           absl::Milliseconds(10))},
      {"session", *WindowAssigner::Session(absl::Milliseconds(4))},
      {"global", WindowAssigner::Global()},
  };
  struct Pair {
    const char* name;
    Trigger builtin;
    Trigger custom;
  };
  const Pair pairs[] = {
      {"event_time", Trigger::EventTime(),
       Custom(std::make_shared<MyEventTime>())},
      {"count", *Trigger::Count(3), Custom(std::make_shared<MyCount>(3))},
      {"continuous", *Trigger::ContinuousEventTime(absl::Milliseconds(5)),
       Custom(std::make_shared<MyContinuous>(5))},
      {"processing_time", Trigger::ProcessingTime(),
       Custom(std::make_shared<MyProcessingTime>())},
  };
  int runs = 0;
  for (const Assigner& a : assigners) {
    for (const Pair& p : pairs) {
      const std::string an = a.name, pn = p.name;
      // brook's built-in processing-time trigger keeps the timer of one of
      // the merged sessions (window_state_testing.h); and a continuous
      // trigger on the global window fires up to kMaxEventTime.
      if (an == "session" && pn == "processing_time") continue;
      if (an == "global" && pn == "continuous") continue;
      for (int64_t lateness : {0, 7}) {
        for (bool purging : {false, true}) {
          for (int round = 0; round < 3; ++round) {
            const std::vector<Step> steps = RandomSteps(rng, 300);
            CAPTURE(an, pn, lateness, purging, round);
            ManualClockEnv env1(0), env2(0);
            Trigger b = purging ? Trigger::Purging(p.builtin) : p.builtin;
            Trigger c = purging ? Trigger::Purging(p.custom) : p.custom;
            StateHarness h1(Config("builtin", a.a, b, lateness, &env1));
            StateHarness h2(Config("custom", a.a, c, lateness, &env2));
            for (const Step& s : steps) {
              testing::RunStep(h1, env1, s);
              testing::RunStep(h2, env2, s);
              REQUIRE(h1.op->live_state_count() == h2.op->live_state_count());
            }
            REQUIRE(h1.Sorted() == h2.Sorted());
            CHECK(h1.op->dropped_late_elements() ==
                  h2.op->dropped_late_elements());
            CHECK(h1.op->late_elements_emitted() ==
                  h2.op->late_elements_emitted());
            CHECK(h1.op->key_count() == h2.op->key_count());
            ++runs;
          }
        }
      }
    }
  }
  CHECK(runs == 14 * 12);
}

// A built-in assigner, as a custom one.

// --- Flink's rules ----------------------------------------------------------

struct Log {
  std::vector<std::string> calls;
};

// Fires and purges every `n`-th element; at event time `timer_at` (from the
// window start) fires; records each callback into `log`. Registers its
// timer `registrations` times per element, and deletes it at the element
// with `delete_at` (if >= 0).
class Scripted : public CustomTrigger {
 public:
  Scripted(Log* log, int64_t n, TriggerResult every_n, int registrations = 1,
           int64_t timer_at = 5, int64_t delete_at = -1)
      : log_(log),
        n_(n),
        every_n_(every_n),
        registrations_(registrations),
        timer_at_(timer_at),
        delete_at_(delete_at) {}
  std::string name() const override { return "scripted"; }
  int state_size() const override { return 1; }
  bool CanMerge() const override { return true; }
  TriggerResult OnElement(EventTime ts, const TimeWindow& w,
                          TriggerContext& ctx) const override {
    log_->calls.push_back(absl::StrCat("element ", ts, " ", Name(w)));
    for (int i = 0; i < registrations_; ++i) {
      ctx.RegisterEventTimeTimer(w.start_millis + timer_at_);
    }
    if (ts == delete_at_) ctx.DeleteEventTimeTimer(w.start_millis + timer_at_);
    ctx.set_state(0, ctx.state(0) + 1);
    if (ctx.state(0) % n_ == 0) return every_n_;
    return TriggerResult::kContinue;
  }
  TriggerResult OnEventTime(EventTime t, const TimeWindow& w,
                            TriggerContext&) const override {
    log_->calls.push_back(absl::StrCat("event ", t, " ", Name(w)));
    return t == w.start_millis + timer_at_ ? TriggerResult::kFire
                                           : TriggerResult::kContinue;
  }
  TriggerResult OnProcessingTime(int64_t t, const TimeWindow& w,
                                 TriggerContext&) const override {
    log_->calls.push_back(absl::StrCat("processing ", t, " ", Name(w)));
    return TriggerResult::kFire;
  }
  void OnMerge(const TimeWindow& w,
               absl::Span<const absl::Span<const int64_t>> merged,
               TriggerContext& ctx) const override {
    int64_t sum = 0;
    for (auto s : merged) sum += s[0];
    ctx.set_state(0, sum);
    log_->calls.push_back(
        absl::StrCat("merge ", Name(w), " of ", merged.size(), " sum ", sum));
  }
  void Clear(const TimeWindow& w, TriggerContext& ctx) const override {
    log_->calls.push_back(
        absl::StrCat("clear ", Name(w), " state ", ctx.state(0)));
  }
  static std::string Name(const TimeWindow& w) {
    return absl::StrCat("[", w.start_millis, ",", w.max_timestamp_millis, "]");
  }

 private:
  Log* log_;
  int64_t n_;
  TriggerResult every_n_;
  int registrations_;
  int64_t timer_at_;
  int64_t delete_at_;
};

TEST_CASE("CustomTrigger: kFireAndPurge emits and clears, Purging(kFire) too",
          "[window][custom]") {
  for (bool wrap : {false, true}) {
    Log log;
    auto t = std::make_shared<Scripted>(
        &log, 2, wrap ? TriggerResult::kFire : TriggerResult::kFireAndPurge, 1,
        100);
    Harness h(
        Options(Tumbling(10), wrap ? Trigger::Purging(Custom(t)) : Custom(t)));
    for (EventTime ts : {0, 1, 2, 3, 4}) h.Add(1, ts);
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 2}, {1, 0, 9, 2}});
    h.op->AdvanceWatermark(9);  // cleanup: no timer at the end, no firing
    CHECK(h.Take().empty());
    CHECK(h.op->live_state_count() == 0);
  }
}

TEST_CASE("CustomTrigger: kPurge clears without emitting", "[window][custom]") {
  Log log;
  // Purges at the 3rd element; fires at event time start + 5.
  auto t = std::make_shared<Scripted>(&log, 3, TriggerResult::kPurge);
  Harness h(Options(Tumbling(10), Custom(t), 10));
  for (EventTime ts : {0, 1, 2, 3}) h.Add(1, ts);
  CHECK(h.Take().empty());
  h.op->AdvanceWatermark(5);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 1}});  // only after purge
}

TEST_CASE("CustomTrigger: a timer registered twice fires once",
          "[window][custom]") {
  Log log;
  auto t = std::make_shared<Scripted>(&log, 100, TriggerResult::kContinue,
                                      /*registrations=*/3);
  Harness h(Options(Tumbling(10), Custom(t)));
  h.Add(1, 0);
  h.Add(1, 1);
  h.op->AdvanceWatermark(20);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 2}});
  // One call at the registered time, then the cleanup timer at the end.
  CHECK(std::count(log.calls.begin(), log.calls.end(), "event 5 [0,9]") == 1);
  CHECK(std::count(log.calls.begin(), log.calls.end(), "event 9 [0,9]") == 1);
  CHECK(log.calls.back() == "clear [0,9] state 2");
}

TEST_CASE("CustomTrigger: a deleted timer does not fire", "[window][custom]") {
  Log log;
  auto t = std::make_shared<Scripted>(&log, 100, TriggerResult::kContinue, 1, 5,
                                      /*delete_at=*/2);
  Harness h(Options(Tumbling(10), Custom(t)));
  h.Add(1, 0);
  h.Add(1, 2);  // deletes the timer at 5
  h.op->AdvanceWatermark(7);
  CHECK(h.Take().empty());
  CHECK(std::count(log.calls.begin(), log.calls.end(), "event 5 [0,9]") == 0);
}

TEST_CASE("CustomTrigger: Clear() at cleanup time, after lateness",
          "[window][custom]") {
  Log log;
  auto t = std::make_shared<Scripted>(&log, 100, TriggerResult::kContinue);
  Harness h(Options(Tumbling(10), Custom(t), /*lateness=*/4));
  h.Add(1, 3);
  h.op->AdvanceWatermark(12);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 1}});
  CHECK(h.op->live_state_count() == 1);
  h.Add(1, 4);  // late but within the lateness: the trigger decides
  CHECK(log.calls.back() == "element 4 [0,9]");
  h.op->AdvanceWatermark(13);  // cleanup at 9 + 4
  // (The element registered its timer at 5 again: due at once.)
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 2}});
  CHECK(log.calls.back() == "clear [0,9] state 2");
  CHECK(h.op->live_state_count() == 0);
  CHECK(h.op->key_count() == 0);
  h.Add(1, 5);  // now late for good
  CHECK(h.op->dropped_late_elements() == 1);
}

TEST_CASE(
    "CustomTrigger: sessions merge with OnMerge on the merged window, then "
    "Clear() of each merged one",
    "[window][custom]") {
  Log log;
  auto t =
      std::make_shared<Scripted>(&log, 100, TriggerResult::kContinue, 1, 1000);
  Harness h(
      Options(*WindowAssigner::Session(absl::Milliseconds(4)), Custom(t)));
  h.Add(1, 0);  // [0,3]
  h.Add(1, 9);  // [9,12]
  h.Add(1, 1);  // [1,4] extends [0,3] to [0,4]: a merge of one
  CHECK(log.calls[2] == "merge [0,4] of 1 sum 1");
  CHECK(log.calls[3] == "clear [0,3] state 1");
  log.calls.clear();
  h.Add(1, 5);  // [5,8] touches [0,4] and [9,12]
  CHECK(log.calls == std::vector<std::string>{
                         "merge [0,12] of 2 sum 3",
                         "clear [0,4] state 2",
                         "clear [9,12] state 1",
                         "element 5 [0,12]",
                     });
  CHECK(h.op->live_state_count() == 1);
  h.op->AdvanceWatermark(12);  // cleanup fires nothing: no timer due
  CHECK(h.Take().empty());
  CHECK(log.calls.back() == "clear [0,12] state 4");
  CHECK(h.op->key_count() == 0);
}

TEST_CASE("CustomTrigger: a merging assigner needs a trigger that can merge",
          "[window][custom]") {
  auto t = std::make_shared<MyProcessingTime>();  // CanMerge() false
  WindowOptions o =
      Options(*WindowAssigner::Session(absl::Milliseconds(4)), Custom(t));
  auto made = Op::Create(o, Count(), Op::Functions{[](const Op::Result&) {}});
  BROOK_CHECK_CODE(made.status(), kInvalidArgument);
  CHECK_THAT(std::string(made.status().message()),
             Catch::Contains("my_processing_time"));
}

TEST_CASE("CustomTrigger: processing-time timers fire by the clock",
          "[window][custom]") {
  ManualClockEnv env(0);
  Log log;
  auto t = std::make_shared<MyProcessingTime>();
  Harness h(Options(Tumbling(10), Custom(t), 0, &env));
  h.Add(1, 3);
  h.Add(2, 15);
  h.op->AdvanceProcessingTime();
  CHECK(h.Take().empty());
  env.Advance(absl::Milliseconds(9));
  h.op->AdvanceProcessingTime();
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 1}});
  env.Advance(absl::Milliseconds(100));
  h.op->AdvanceProcessingTime();
  CHECK(h.Take() == std::vector<Fired>{{2, 10, 19, 1}});
}

// Custom state configurations for save/restore.
std::vector<StateConfig> CustomConfigs(Env* env) {
  std::vector<StateConfig> out;
  out.push_back(Config("continuous", Tumbling(40),
                       Custom(std::make_shared<MyContinuous>(10)), 5, env));
  out.push_back(
      Config("session_count", *WindowAssigner::Session(absl::Milliseconds(4)),
             Trigger::Purging(Custom(std::make_shared<MyCount>(3))), 3, env));
  out.push_back(Config("processing", Tumbling(20),
                       Custom(std::make_shared<MyProcessingTime>()), 10, env));
  return out;
}

TEST_CASE(
    "CustomTrigger: state saved mid-stream restores and continues "
    "identically",
    "[window][custom][state]") {
  const std::vector<Step> steps = testing::StateWorkload(200, 0, 7);
  for (size_t i = 0; i < CustomConfigs(nullptr).size(); ++i) {
    for (size_t cut : {size_t{40}, size_t{101}, size_t{170}}) {
      ManualClockEnv env1(1'000), env2(1'000);
      StateConfig c1 = CustomConfigs(&env1)[i], c2 = CustomConfigs(&env2)[i];
      CAPTURE(c1.name, cut);
      StateHarness h1(c1), h2(c2);
      for (size_t s = 0; s < cut; ++s) testing::RunStep(h1, env1, steps[s]);
      for (size_t s = 0; s < cut; ++s) testing::RunStep(h2, env2, steps[s]);
      BROOK_REQUIRE_OK(h2.op->RestoreState(h1.op->SaveState()));
      h2.calls = h1.calls;
      // Restoring into a fresh operator, too.
      ManualClockEnv env3(env2.NowMillis());
      StateConfig c3 = CustomConfigs(&env3)[i];
      StateHarness h3(c3);
      BROOK_REQUIRE_OK(h3.op->RestoreState(h1.op->SaveState()));
      h3.calls = h1.calls;
      h1.out.clear();
      h2.out.clear();
      h3.out.clear();
      for (size_t s = cut; s < steps.size(); ++s) {
        testing::RunStep(h1, env1, steps[s]);
        testing::RunStep(h2, env2, steps[s]);
        testing::RunStep(h3, env3, steps[s]);
      }
      h1.op->AdvanceWatermark(kMaxEventTime);
      h2.op->AdvanceWatermark(kMaxEventTime);
      h3.op->AdvanceWatermark(kMaxEventTime);
      CHECK(!h1.out.empty());
      CHECK(h1.Sorted() == h2.Sorted());
      CHECK(h1.Sorted() == h3.Sorted());
      CHECK(h1.op->SaveState() == h3.op->SaveState());
    }
  }
}

TEST_CASE("CustomTrigger: restore checks trigger state size and timers",
          "[window][custom][state]") {
  using Access = internal::WindowOperatorAccess;
  using Data = internal::WindowStateData<std::string, int64_t>;
  ManualClockEnv env(0);
  StateHarness h(CustomConfigs(&env)[0]);
  BROOK_REQUIRE_OK(h.op->ProcessElement("a", 1, 3));
  Data good;
  Access::ExportState(*h.op, &good);
  REQUIRE(good.keys.size() == 1);
  REQUIRE(good.keys[0].windows[0].trigger_state.size() == 2);
  REQUIRE(good.keys[0].timers.size() == 3);  // early fire, end, cleanup
  {
    Data d = good;
    d.keys[0].windows[0].trigger_state.pop_back();
    StateHarness other(CustomConfigs(&env)[0]);
    BROOK_CHECK_CODE(Access::ImportState(*other.op, d), kDataLoss);
  }
  {
    Data d = good;
    d.keys[0].timers[0].window_start_millis = 100;
    StateHarness other(CustomConfigs(&env)[0]);
    BROOK_CHECK_CODE(Access::ImportState(*other.op, d), kDataLoss);
  }
  StateHarness other(CustomConfigs(&env)[0]);
  BROOK_CHECK_OK(Access::ImportState(*other.op, good));
  // Another custom trigger's state: the shape names it.
  StateHarness count(CustomConfigs(&env)[1]);
  absl::Status s = count.op->RestoreState(h.op->SaveState());
  BROOK_CHECK_CODE(s, kInvalidArgument);
}

}  // namespace
}  // namespace brook
