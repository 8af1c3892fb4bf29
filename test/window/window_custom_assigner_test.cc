// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Custom window assigners (Flink's WindowAssigner, non-merging): the
// built-in triggers on a custom assigner emit what they emit on the built-in
// one (random inputs; seed: BROOK_TEST_SEED, else random, printed), and
// windows of unequal size, several windows per element, processing time,
// refused windows and the saved shape.

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
using testing::RandomSteps;
using testing::Seed;
using testing::StateHarness;
using testing::Step;
using testing::Tumbling;

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
    out->push_back(WindowAssigner::AlignedWindow(ts, absl::ZeroDuration(),
                                                 absl::Milliseconds(10)));
    out->push_back(WindowAssigner::AlignedWindow(ts, absl::ZeroDuration(),
                                                 absl::Milliseconds(20)));
  }
};

// Tumbling windows of 100 ms of processing time.
class ByClock : public CustomWindowAssigner {
 public:
  std::string name() const override { return "by_clock"; }
  bool is_event_time() const override { return false; }
  void AssignWindows(EventTime, int64_t now,
                     std::vector<TimeWindow>* out) const override {
    out->push_back(WindowAssigner::AlignedWindow(now, absl::ZeroDuration(),
                                                 absl::Milliseconds(100)));
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

TEST_CASE("CustomAssigner: an element in two windows, a count trigger",
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
