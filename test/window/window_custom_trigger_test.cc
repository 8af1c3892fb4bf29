// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Custom triggers (Flink's Trigger over a TriggerContext) and custom
// assigners. The equivalence test re-implements the built-in triggers as
// custom ones and checks, on random inputs, that the generic path emits
// exactly what the built-in paths emit; the other cases pin Flink's rules
// for triggers, timers, merging and cleanup. Seed: BROOK_TEST_SEED, else
// random (printed).

#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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
#include "window/window_state_testing.h"

namespace brook {
namespace {

using testing::StateConfig;
using testing::StateHarness;
using testing::Step;

uint64_t Seed() {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("BROOK_TEST_SEED")) {  // NOLINT
    seed = std::strtoull(s, nullptr, 10);
  }
  std::printf("window custom trigger test seed: %llu (BROOK_TEST_SEED=%llu)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  return seed;
}

// --- The built-in triggers, written as custom triggers ---------------------

// Flink's EventTimeTrigger.
class MyEventTime : public CustomTrigger {
 public:
  std::string name() const override { return "my_event_time"; }
  bool CanMerge() const override { return true; }
  TriggerResult OnElement(EventTime, const TimeWindow& w,
                          TriggerContext& ctx) const override {
    if (w.max_timestamp_millis <= ctx.current_watermark_millis()) {
      return TriggerResult::kFire;
    }
    ctx.RegisterEventTimeTimer(w.max_timestamp_millis);
    return TriggerResult::kContinue;
  }
  TriggerResult OnEventTime(EventTime t, const TimeWindow& w,
                            TriggerContext&) const override {
    return t == w.max_timestamp_millis ? TriggerResult::kFire
                                       : TriggerResult::kContinue;
  }
  TriggerResult OnProcessingTime(int64_t, const TimeWindow&,
                                 TriggerContext&) const override {
    return TriggerResult::kContinue;
  }
  void OnMerge(const TimeWindow& w, absl::Span<const absl::Span<const int64_t>>,
               TriggerContext& ctx) const override {
    if (w.max_timestamp_millis > ctx.current_watermark_millis()) {
      ctx.RegisterEventTimeTimer(w.max_timestamp_millis);
    }
  }
  void Clear(const TimeWindow& w, TriggerContext& ctx) const override {
    ctx.DeleteEventTimeTimer(w.max_timestamp_millis);
  }
};

// Flink's CountTrigger; a merge sums the counts.
class MyCount : public CustomTrigger {
 public:
  explicit MyCount(int64_t n) : n_(n) {}
  std::string name() const override {
    return absl::StrCat("my_count(", n_, ")");
  }
  int state_size() const override { return 1; }
  bool CanMerge() const override { return true; }
  TriggerResult OnElement(EventTime, const TimeWindow&,
                          TriggerContext& ctx) const override {
    const int64_t c = ctx.state(0) + 1;
    if (c >= n_) {
      ctx.set_state(0, 0);
      return TriggerResult::kFire;
    }
    ctx.set_state(0, c);
    return TriggerResult::kContinue;
  }
  TriggerResult OnEventTime(EventTime, const TimeWindow&,
                            TriggerContext&) const override {
    return TriggerResult::kContinue;
  }
  TriggerResult OnProcessingTime(int64_t, const TimeWindow&,
                                 TriggerContext&) const override {
    return TriggerResult::kContinue;
  }
  void OnMerge(const TimeWindow&,
               absl::Span<const absl::Span<const int64_t>> merged,
               TriggerContext& ctx) const override {
    int64_t sum = 0;
    for (auto s : merged) sum += s[0];
    ctx.set_state(0, sum);
  }
  void Clear(const TimeWindow&, TriggerContext& ctx) const override {
    ctx.set_state(0, 0);
  }

 private:
  int64_t n_;
};

// Flink's ContinuousEventTimeTrigger (`ts - ts % interval`, truncating),
// with the early fire time clamped to the window's end as brook's built-in
// does. State: {has fire time, fire time}. A merge keeps the earliest.
class MyContinuous : public CustomTrigger {
 public:
  explicit MyContinuous(int64_t interval) : interval_(interval) {}
  std::string name() const override {
    return absl::StrCat("my_continuous(", interval_, ")");
  }
  int state_size() const override { return 2; }
  bool CanMerge() const override { return true; }
  TriggerResult OnElement(EventTime ts, const TimeWindow& w,
                          TriggerContext& ctx) const override {
    if (w.max_timestamp_millis <= ctx.current_watermark_millis()) {
      return TriggerResult::kFire;
    }
    ctx.RegisterEventTimeTimer(w.max_timestamp_millis);
    if (ctx.state(0) == 0) {
      const EventTime next =
          std::min(ts - ts % interval_ + interval_, w.max_timestamp_millis);
      ctx.set_state(0, 1);
      ctx.set_state(1, next);
      ctx.RegisterEventTimeTimer(next);
    }
    return TriggerResult::kContinue;
  }
  TriggerResult OnEventTime(EventTime t, const TimeWindow& w,
                            TriggerContext& ctx) const override {
    bool fire = t == w.max_timestamp_millis;
    if (ctx.state(0) != 0 && ctx.state(1) == t) {
      fire = true;
      const EventTime next = std::min(t + interval_, w.max_timestamp_millis);
      if (next > t) {
        ctx.set_state(1, next);
        ctx.RegisterEventTimeTimer(next);
      } else {
        ctx.set_state(0, 0);
      }
    }
    return fire ? TriggerResult::kFire : TriggerResult::kContinue;
  }
  TriggerResult OnProcessingTime(int64_t, const TimeWindow&,
                                 TriggerContext&) const override {
    return TriggerResult::kContinue;
  }
  void OnMerge(const TimeWindow& w,
               absl::Span<const absl::Span<const int64_t>> merged,
               TriggerContext& ctx) const override {
    if (w.max_timestamp_millis > ctx.current_watermark_millis()) {
      ctx.RegisterEventTimeTimer(w.max_timestamp_millis);
    }
    for (auto s : merged) {
      if (s[0] != 0 && (ctx.state(0) == 0 || s[1] < ctx.state(1))) {
        ctx.set_state(0, 1);
        ctx.set_state(1, s[1]);
      }
    }
    if (ctx.state(0) != 0) ctx.RegisterEventTimeTimer(ctx.state(1));
  }
  void Clear(const TimeWindow& w, TriggerContext& ctx) const override {
    ctx.DeleteEventTimeTimer(w.max_timestamp_millis);
    if (ctx.state(0) != 0) ctx.DeleteEventTimeTimer(ctx.state(1));
    ctx.set_state(0, 0);
  }

 private:
  int64_t interval_;
};

// brook's processing-time trigger: one timer at the window's end, set when
// the window is made. State: {timer set}.
class MyProcessingTime : public CustomTrigger {
 public:
  std::string name() const override { return "my_processing_time"; }
  int state_size() const override { return 1; }
  TriggerResult OnElement(EventTime, const TimeWindow& w,
                          TriggerContext& ctx) const override {
    if (ctx.state(0) == 0) {
      ctx.set_state(0, 1);
      ctx.RegisterProcessingTimeTimer(w.max_timestamp_millis);
    }
    return TriggerResult::kContinue;
  }
  TriggerResult OnEventTime(EventTime, const TimeWindow&,
                            TriggerContext&) const override {
    return TriggerResult::kContinue;
  }
  TriggerResult OnProcessingTime(int64_t t, const TimeWindow& w,
                                 TriggerContext&) const override {
    return t == w.max_timestamp_millis ? TriggerResult::kFire
                                       : TriggerResult::kContinue;
  }
  void Clear(const TimeWindow& w, TriggerContext& ctx) const override {
    ctx.DeleteProcessingTimeTimer(w.max_timestamp_millis);
  }
};

Trigger Custom(std::shared_ptr<const CustomTrigger> t) {
  absl::StatusOr<Trigger> made = Trigger::Custom(std::move(t));
  BROOK_REQUIRE_OK(made);
  return *made;
}

// Random elements (some late), watermarks and clock ticks.
std::vector<Step> RandomSteps(std::mt19937_64& rng, int n) {
  std::vector<Step> steps;
  int64_t clock = 0, wm = -1000;
  for (int i = 0; i < n; ++i) {
    clock += static_cast<int64_t>(rng() % 4);
    if (rng() % 50 == 0) clock += static_cast<int64_t>(rng() % 80);
    const int64_t ts = clock - static_cast<int64_t>(rng() % 25);
    steps.push_back(Step{Step::kElement, absl::StrCat("k", rng() % 4),
                         static_cast<int64_t>(rng() % 9) + 1, ts});
    if (rng() % 6 == 0) {
      wm = std::max(wm, clock - static_cast<int64_t>(rng() % 12));
      steps.push_back(Step{Step::kWatermark, "", 0, wm});
    }
    if (rng() % 5 == 0) {
      steps.push_back(
          Step{Step::kTick, "", 0, static_cast<int64_t>(rng() % 9)});
    }
  }
  steps.push_back(Step{Step::kWatermark, "", 0, clock + 200});
  steps.push_back(Step{Step::kTick, "", 0, 500});
  return steps;
}

StateConfig Config(std::string name, WindowAssigner a, Trigger t,
                   int64_t lateness, Env* env) {
  WindowOptions o;
  o.assigner = a;
  o.trigger = t;
  o.allowed_lateness = absl::Milliseconds(lateness);
  o.use_slicing = false;
  o.env = env;
  return StateConfig{std::move(name), o, false, true};
}

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
class AsCustom : public CustomWindowAssigner {
 public:
  explicit AsCustom(WindowAssigner a) : a_(a) {}
  std::string name() const override { return "as_custom"; }
  void AssignWindows(EventTime ts, int64_t,
                     std::vector<TimeWindow>* out) const override {
    a_.AssignWindows(ts, [out](const TimeWindow& w) { out->push_back(w); });
  }

 private:
  WindowAssigner a_;
};

TEST_CASE(
    "CustomAssigner: built-in triggers on a custom assigner emit exactly what "
    "they emit on the built-in assigner",
    "[window][custom][assigner]") {
  std::mt19937_64 rng(Seed());
  const WindowAssigner assigners[] = {
      *WindowAssigner::Tumbling(absl::Milliseconds(10)),
      *WindowAssigner::Sliding(absl::Milliseconds(30), absl::Milliseconds(10)),
  };
  const Trigger triggers[] = {
      Trigger::EventTime(),
      *Trigger::Count(3),
      *Trigger::ContinuousEventTime(absl::Milliseconds(5)),
      Trigger::ProcessingTime(),
      Trigger::Never(),
  };
  for (const WindowAssigner& a : assigners) {
    WindowAssigner custom =
        *WindowAssigner::Custom(std::make_shared<AsCustom>(a));
    for (const Trigger& t : triggers) {
      for (bool purging : {false, true}) {
        const std::vector<Step> steps = RandomSteps(rng, 300);
        CAPTURE(internal::DescribeWindowAssigner(a),
                internal::DescribeTrigger(t), purging);
        const Trigger tt = purging ? Trigger::Purging(t) : t;
        ManualClockEnv env1(0), env2(0);
        StateHarness h1(Config("builtin", a, tt, 5, &env1));
        StateHarness h2(Config("custom", custom, tt, 5, &env2));
        for (const Step& s : steps) {
          testing::RunStep(h1, env1, s);
          testing::RunStep(h2, env2, s);
        }
        REQUIRE(h1.Sorted() == h2.Sorted());
        CHECK(h1.op->live_state_count() == h2.op->live_state_count());
        CHECK(h1.op->dropped_late_elements() == h2.op->dropped_late_elements());
      }
    }
  }
}

// --- Flink's rules ----------------------------------------------------------

using Count = CountAggregate<int64_t>;
using Op = WindowOperator<int, int64_t, Count>;
using Fired = std::tuple<int, EventTime, EventTime, int64_t>;

struct Harness {
  std::vector<Fired> fired;
  std::unique_ptr<Op> op;

  explicit Harness(const WindowOptions& o) {
    Op::Functions fns;
    fns.on_result = [this](const Op::Result& r) {
      fired.emplace_back(r.key, r.window.start_millis,
                         r.window.max_timestamp_millis, r.value);
    };
    auto made = Op::Create(o, Count(), std::move(fns));
    BROOK_REQUIRE_OK(made);
    op = *std::move(made);
  }
  void Add(int key, EventTime ts) {
    BROOK_REQUIRE_OK(op->ProcessElement(key, 1, ts));
  }
  std::vector<Fired> Take() {
    std::vector<Fired> out;
    out.swap(fired);
    return out;
  }
};

WindowOptions Options(WindowAssigner a, Trigger t, int64_t lateness = 0,
                      Env* env = nullptr) {
  WindowOptions o;
  o.assigner = a;
  o.trigger = t;
  o.allowed_lateness = absl::Milliseconds(lateness);
  o.env = env;
  return o;
}

WindowAssigner Tumbling(int64_t size) {
  return *WindowAssigner::Tumbling(absl::Milliseconds(size));
}

// What a scripted trigger saw.
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

TEST_CASE("CustomTrigger: kFireAndPurge emits and clears; Purging(kFire) too",
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

// --- Custom assigners --------------------------------------------------------

// "Months" of unequal length: 31, 28, 31, 30 ms, repeating every 120 ms.
class Calendar : public CustomWindowAssigner {
 public:
  std::string name() const override { return "calendar"; }
  void AssignWindows(EventTime ts, int64_t,
                     std::vector<TimeWindow>* out) const override {
    static constexpr int64_t kLen[] = {31, 28, 31, 30};
    const int64_t year = ts >= 0 ? ts / 120 : (ts - 119) / 120;
    int64_t start = year * 120;
    for (int64_t len : kLen) {
      if (ts < start + len) {
        out->push_back(TimeWindow{start, start + len - 1});
        return;
      }
      start += len;
    }
  }
};

// Each element in its 10 ms and its 20 ms tumbling window.
class TwoSizes : public CustomWindowAssigner {
 public:
  std::string name() const override { return "two_sizes"; }
  void AssignWindows(EventTime ts, int64_t,
                     std::vector<TimeWindow>* out) const override {
    out->push_back(WindowAssigner::AlignedWindow(ts, 0, 10));
    out->push_back(WindowAssigner::AlignedWindow(ts, 0, 20));
  }
};

// Tumbling windows of 100 ms of processing time.
class ByClock : public CustomWindowAssigner {
 public:
  std::string name() const override { return "by_clock"; }
  bool is_event_time() const override { return false; }
  void AssignWindows(EventTime, int64_t now,
                     std::vector<TimeWindow>* out) const override {
    out->push_back(WindowAssigner::AlignedWindow(now, 0, 100));
  }
};

// Windows that end before they start, for timestamps over 50.
class Broken : public CustomWindowAssigner {
 public:
  std::string name() const override { return "broken"; }
  void AssignWindows(EventTime ts, int64_t,
                     std::vector<TimeWindow>* out) const override {
    out->push_back(ts > 50 ? TimeWindow{ts, ts - 1} : TimeWindow{ts, ts});
  }
};

WindowAssigner CustomAssigner(std::shared_ptr<const CustomWindowAssigner> a) {
  absl::StatusOr<WindowAssigner> made = WindowAssigner::Custom(std::move(a));
  BROOK_REQUIRE_OK(made);
  return *made;
}

WindowOptions AssignerOptions(WindowAssigner a, int64_t lateness = 0,
                              Env* env = nullptr) {
  WindowOptions o;
  o.assigner = a;
  o.allowed_lateness = absl::Milliseconds(lateness);
  o.env = env;
  return o;
}

TEST_CASE("CustomAssigner: windows of unequal size fire at their ends",
          "[window][custom][assigner]") {
  Harness h(AssignerOptions(CustomAssigner(std::make_shared<Calendar>())));
  for (EventTime ts : {0, 30, 31, 58, 59, 119, 120, -1}) h.Add(1, ts);
  h.op->AdvanceWatermark(58);
  CHECK(h.Take() ==
        std::vector<Fired>{{1, -30, -1, 1}, {1, 0, 30, 2}, {1, 31, 58, 2}});
  h.op->AdvanceWatermark(200);
  CHECK(h.Take() ==
        std::vector<Fired>{{1, 59, 89, 1}, {1, 90, 119, 1}, {1, 120, 150, 1}});
  CHECK(h.op->live_state_count() == 0);
}

TEST_CASE("CustomAssigner: an element in two windows; a count trigger",
          "[window][custom][assigner]") {
  WindowOptions o =
      AssignerOptions(CustomAssigner(std::make_shared<TwoSizes>()));
  o.trigger = *Trigger::Count(2);
  Harness h(o);
  h.Add(1, 1);
  h.Add(1, 12);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 19, 2}});
  h.Add(1, 13);
  CHECK(h.Take() == std::vector<Fired>{{1, 10, 19, 2}});
  h.op->AdvanceWatermark(30);
  CHECK(h.op->live_state_count() == 0);
}

TEST_CASE("CustomAssigner: processing-time windows fire and end by the clock",
          "[window][custom][assigner]") {
  ManualClockEnv env(1'000);
  Harness h(
      AssignerOptions(CustomAssigner(std::make_shared<ByClock>()), 0, &env));
  h.Add(1, -5'000);  // the timestamp does not matter, nor the watermark
  h.op->AdvanceWatermark(1'000'000);
  h.Add(1, 7);
  CHECK(h.op->dropped_late_elements() == 0);
  env.Advance(absl::Milliseconds(50));
  h.Add(2, 0);
  h.op->AdvanceProcessingTime();
  CHECK(h.Take().empty());
  env.Advance(absl::Milliseconds(49));  // 1099: the window's end
  h.op->AdvanceProcessingTime();
  CHECK(h.Take() == std::vector<Fired>{{1, 1000, 1099, 2}, {2, 1000, 1099, 1}});
  CHECK(h.op->live_state_count() == 0);
  CHECK(h.op->key_count() == 0);
}

TEST_CASE("CustomAssigner: a window ending before its start is refused",
          "[window][custom][assigner]") {
  Harness h(AssignerOptions(CustomAssigner(std::make_shared<Broken>())));
  h.Add(1, 3);
  const std::string before = h.op->SaveState();
  absl::Status s = h.op->ProcessElement(1, 1, 60);
  BROOK_CHECK_CODE(s, kInvalidArgument);
  CHECK_THAT(std::string(s.message()), Catch::Contains("broken"));
  CHECK(h.op->SaveState() == before);
  CHECK(h.op->key_count() == 1);
}

TEST_CASE("CustomAssigner: its name shapes the saved state",
          "[window][custom][assigner]") {
  Harness a(AssignerOptions(CustomAssigner(std::make_shared<TwoSizes>())));
  a.Add(1, 5);
  a.Add(2, 15);
  Harness same(AssignerOptions(CustomAssigner(std::make_shared<TwoSizes>())));
  BROOK_REQUIRE_OK(same.op->RestoreState(a.op->SaveState()));
  a.op->AdvanceWatermark(100);
  same.op->AdvanceWatermark(100);
  // (Windows due at the same time may fire in another order after a
  // restore.)
  std::vector<Fired> x = a.Take(), y = same.Take();
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  CHECK(x == y);
  CHECK(x.size() == 4);
  Harness other(AssignerOptions(CustomAssigner(std::make_shared<Calendar>())));
  absl::Status s = other.op->RestoreState(a.op->SaveState());
  BROOK_CHECK_CODE(s, kInvalidArgument);
  CHECK_THAT(std::string(s.message()), Catch::Contains("assigner"));
}

}  // namespace
}  // namespace brook
