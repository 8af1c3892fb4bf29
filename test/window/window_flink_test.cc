// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Rules of Flink's window layer that brook follows, one test per rule; each
// test names the Flink class whose behaviour it pins.

#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <cstdint>
#include <functional>
#include <memory>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/window.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

constexpr int64_t kMin = kMinEventTime;
constexpr int64_t kMax = kMaxEventTime;

// (key, start, max_timestamp, count)
using Fired = std::tuple<int, EventTime, EventTime, int64_t>;
using Count = CountAggregate<int64_t>;
using Op = WindowOperator<int, int64_t, Count>;

struct Harness {
  std::vector<Fired> fired;
  std::vector<EventTime> watermarks;
  std::unique_ptr<Op> op;

  explicit Harness(const WindowOptions& options) {
    Op::Functions fns;
    fns.on_result = [this](const Op::Result& r) {
      fired.emplace_back(r.key, r.window.start_millis,
                         r.window.max_timestamp_millis, r.value);
    };
    fns.on_watermark = [this](EventTime w) { watermarks.push_back(w); };
    auto made = Op::Create(options, Count(), std::move(fns));
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

WindowOptions Options(absl::StatusOr<WindowAssigner> assigner,
                      std::optional<Trigger> trigger = std::nullopt,
                      int64_t lateness = 0, bool slicing = true) {
  BROOK_REQUIRE_OK(assigner);
  WindowOptions o;
  o.assigner = *assigner;
  o.trigger = trigger;
  o.allowed_lateness = absl::Milliseconds(lateness);
  o.use_slicing = slicing;
  return o;
}

Trigger Continuous(int64_t interval) {
  auto t = Trigger::ContinuousEventTime(absl::Milliseconds(interval));
  BROOK_REQUIRE_OK(t);
  return *t;
}

// Flink's WindowOperator.processElement: "Record has Long.MIN_VALUE
// timestamp (= no timestamp marker)" is an error, not a clamped window.
TEST_CASE("Flink: an element at kMinEventTime is kInvalidArgument",
          "[window][flink]") {
  auto count = CountWindowTrigger(1);
  BROOK_REQUIRE_OK(count);
  const std::vector<std::pair<const char*, WindowOptions>> cases = {
      {"tumbling", Options(WindowAssigner::Tumbling(absl::Milliseconds(10)))},
      {"sliding sliced", Options(WindowAssigner::Sliding(
                             absl::Milliseconds(10), absl::Milliseconds(5)))},
      {"sliding unsliced",
       Options(WindowAssigner::Sliding(absl::Milliseconds(10),
                                       absl::Milliseconds(5)),
               std::nullopt, 0, false)},
      {"session", Options(WindowAssigner::Session(absl::Milliseconds(10)))},
      {"global count", Options(WindowAssigner::Global(), *count)},
  };
  for (const auto& [name, options] : cases) {
    CAPTURE(name);
    Harness h(options);
    h.Add(1, kMin + 1);  // accepted before: must survive
    absl::Status s = h.op->ProcessElement(1, 1, kMin);
    CHECK(absl::IsInvalidArgument(s));
    CHECK_THAT(std::string(s.message()), Catch::Contains("kMinEventTime"));
    h.op->AdvanceWatermark(kMax);
    const std::vector<Fired> fired = h.Take();
    REQUIRE(!fired.empty());
    for (const Fired& f : fired) {
      CHECK(std::get<3>(f) == 1);  // only the accepted element
    }
  }
}

// Flink refuses a sliding assigner that puts an element into more than
// 10,000,000 windows (size / slide), rather than running out of memory.
TEST_CASE("Flink: sliding windows over ten million windows per element",
          "[window][flink][assign]") {
  CHECK(WindowAssigner::Sliding(absl::Milliseconds(10'000'000),
                                absl::Milliseconds(1))
            .ok());
  CHECK(WindowAssigner::Sliding(absl::Milliseconds(20'000'000),
                                absl::Milliseconds(2))
            .ok());
  auto over = WindowAssigner::Sliding(absl::Milliseconds(10'000'001),
                                      absl::Milliseconds(1));
  CHECK(absl::IsInvalidArgument(over.status()));
  CHECK_THAT(std::string(over.status().message()), Catch::Contains("10000000"));
  CHECK(absl::IsInvalidArgument(
      WindowAssigner::Sliding(absl::Milliseconds(20'000'001),
                              absl::Milliseconds(2))
          .status()));
  CHECK(absl::IsInvalidArgument(
      WindowAssigner::Sliding(absl::Milliseconds(kMax), absl::Milliseconds(1))
          .status()));
}

// ContinuousEventTimeTrigger.onElement: the first fire time is
// `ts - ts % interval + interval` with Java's truncating remainder, so for a
// negative timestamp the grid point is rounded toward zero.
TEST_CASE("Flink: continuous trigger's first fire time for negative times",
          "[window][flink][trigger]") {
  Harness h(Options(WindowAssigner::Tumbling(absl::Milliseconds(1000)),
                    Continuous(10)));
  h.Add(1, -25);  // -25 - (-25 % 10) = -20: first fire at -10
  h.op->AdvanceWatermark(-20);
  CHECK(h.Take().empty());
  h.op->AdvanceWatermark(-10);
  CHECK(h.Take() == std::vector<Fired>{{1, -1000, -1, 1}});
}

// ContinuousEventTimeTrigger.onMerge: the merged window keeps the earliest
// pending fire time of the windows it merges.
TEST_CASE("Flink: a session merge carries the pending fire time",
          "[window][flink][trigger][session]") {
  for (bool reversed : {false, true}) {
    CAPTURE(reversed);
    Harness h(Options(WindowAssigner::Session(absl::Milliseconds(10)),
                      Continuous(5)));
    // [0,9] fires first at 5; [12,21] at 15.
    h.Add(1, reversed ? 12 : 0);
    h.Add(1, reversed ? 0 : 12);
    h.Add(1, 8);  // [8,17] bridges them: [0,21], next fire 5
    h.op->AdvanceWatermark(4);
    CHECK(h.Take().empty());
    h.op->AdvanceWatermark(5);
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 21, 3}});
    h.op->AdvanceWatermark(10);
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 21, 3}});
  }
}

// Flink's sliding assigner lists an element's windows latest start first and
// the operator fires late re-firings in that order; the sliced path must
// fire them in the same order as the unsliced one.
TEST_CASE("Flink: late re-firings run latest start first on every path",
          "[window][flink][sliding][late]") {
  for (bool slicing : {true, false}) {
    CAPTURE(slicing);
    Harness h(Options(
        WindowAssigner::Sliding(absl::Milliseconds(15), absl::Milliseconds(5)),
        std::nullopt,
        /*lateness=*/20, slicing));
    CHECK(h.op->sliced() == slicing);
    h.Add(1, 12);  // [0,14], [5,19], [10,24]
    h.op->AdvanceWatermark(20);
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 14, 1}, {1, 5, 19, 1}});
    h.Add(1, 13);  // late, within lateness: the two complete ones again
    CHECK(h.Take() == std::vector<Fired>{{1, 5, 19, 2}, {1, 0, 14, 2}});
    h.op->AdvanceWatermark(24);
    CHECK(h.Take() == std::vector<Fired>{{1, 10, 24, 2}});
  }
}

// Flink's operator forwards every watermark it processes, also one equal to
// the current one; a lower watermark is never produced by Flink's valve and
// brook ignores it.
TEST_CASE("Flink: equal watermarks are forwarded", "[window][flink]") {
  for (bool slicing : {true, false}) {
    CAPTURE(slicing);
    Harness h(Options(
        WindowAssigner::Sliding(absl::Milliseconds(10), absl::Milliseconds(5)),
        std::nullopt, 0, slicing));
    h.Add(1, 3);
    h.op->AdvanceWatermark(4);
    h.op->AdvanceWatermark(4);
    h.op->AdvanceWatermark(3);
    h.op->AdvanceWatermark(9);
    CHECK(h.watermarks == std::vector<EventTime>{4, 4, 9});
    CHECK(h.Take() == std::vector<Fired>{{1, -5, 4, 1}, {1, 0, 9, 1}});
  }
}

// A continuous trigger on a window that reaches the top of the range (the
// global window) must not loop over every interval to kMaxEventTime at the
// end of input: early firings due in one watermark advance fire each, as in
// Flink, but more than `kMaxEarlyFiringsPerAdvance` of them (which cannot
// differ: no element arrives between them) fire once.
TEST_CASE("Flink: continuous trigger on the global window ends",
          "[window][flink][trigger]") {
  Harness h(Options(WindowAssigner::Global(), Continuous(10)));
  h.Add(1, 5);
  h.op->AdvanceWatermark(9);
  CHECK(h.Take().empty());
  h.op->AdvanceWatermark(35);  // due at 10, 20 and 30: fires each (Flink)
  CHECK(h.Take() == std::vector<Fired>{{1, kMin, kMax, 1},
                                       {1, kMin, kMax, 1},
                                       {1, kMin, kMax, 1}});
  h.Add(1, 36);
  h.op->AdvanceWatermark(40);
  CHECK(h.Take() == std::vector<Fired>{{1, kMin, kMax, 2}});
  h.op->AdvanceWatermark(kMax);  // one early firing, then the end
  CHECK(h.Take() == std::vector<Fired>{{1, kMin, kMax, 2}, {1, kMin, kMax, 2}});
  Harness wide(Options(WindowAssigner::Tumbling(absl::Milliseconds(kMax / 2)),
                       Continuous(1)));
  wide.Add(1, 1);
  wide.op->AdvanceWatermark(kMax);
  CHECK(!wide.Take().empty());
  CHECK(wide.op->live_state_count() == 0);
  // The bound: up to kMaxEarlyFiringsPerAdvance due in one advance fire
  // each, one more and they fire once.
  constexpr int64_t kBound = Trigger::kMaxEarlyFiringsPerAdvance;
  Harness b(Options(WindowAssigner::Global(), Continuous(1)));
  b.Add(1, 0);                     // first early firing at 1
  b.op->AdvanceWatermark(kBound);  // due at 1 .. kBound
  CHECK(b.Take().size() == static_cast<size_t>(kBound));
  b.op->AdvanceWatermark(2 * kBound + 1);  // due at kBound + 1 .. 2 kBound + 1
  CHECK(b.Take() == std::vector<Fired>{{1, kMin, kMax, 1}});
  b.op->AdvanceWatermark(2 * kBound + 2);  // the next grid point past it
  CHECK(b.Take() == std::vector<Fired>{{1, kMin, kMax, 1}});
}

}  // namespace
}  // namespace brook
