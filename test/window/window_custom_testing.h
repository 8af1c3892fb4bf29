// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Shared by the custom trigger and custom assigner tests: brook's built-in
// triggers re-implemented as `CustomTrigger`s (Flink's), random workloads,
// and a small counting harness. Seed: BROOK_TEST_SEED, else random
// (printed).

#ifndef BROOK_TEST_WINDOW_WINDOW_CUSTOM_TESTING_H_
#define BROOK_TEST_WINDOW_WINDOW_CUSTOM_TESTING_H_

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
namespace testing {

inline uint64_t Seed() {
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

inline Trigger Custom(std::shared_ptr<const CustomTrigger> t) {
  absl::StatusOr<Trigger> made = Trigger::Custom(std::move(t));
  BROOK_REQUIRE_OK(made);
  return *made;
}

// Random elements (some late), watermarks and clock ticks.
inline std::vector<Step> RandomSteps(std::mt19937_64& rng, int n) {
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

inline StateConfig Config(std::string name, WindowAssigner a, Trigger t,
                          int64_t lateness, Env* env) {
  WindowOptions o;
  o.assigner = a;
  o.trigger = t;
  o.allowed_lateness = absl::Milliseconds(lateness);
  o.use_slicing = false;
  o.env = env;
  return StateConfig{std::move(name), o, false, true};
}

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

inline WindowOptions Options(WindowAssigner a, Trigger t, int64_t lateness = 0,
                             Env* env = nullptr) {
  WindowOptions o;
  o.assigner = a;
  o.trigger = t;
  o.allowed_lateness = absl::Milliseconds(lateness);
  o.env = env;
  return o;
}

inline WindowAssigner Tumbling(int64_t size) {
  return *WindowAssigner::Tumbling(absl::Milliseconds(size));
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_WINDOW_WINDOW_CUSTOM_TESTING_H_
