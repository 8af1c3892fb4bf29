// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/types/span.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/window.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

constexpr int64_t kMin = kMinEventTime;
constexpr int64_t kMax = kMaxEventTime;

// (key, start, max_timestamp, value)
using Fired = std::tuple<int, EventTime, EventTime, int64_t>;

// Drives a WindowOperator<int, int64_t, Agg> and records what it emits.
template <typename Agg>
struct Harness {
  using Op = WindowOperator<int, int64_t, Agg>;
  std::vector<Fired> fired;
  std::vector<std::tuple<int, int64_t, EventTime>> late;
  std::vector<EventTime> watermarks;
  std::vector<size_t> fired_before_watermark;
  std::unique_ptr<Op> op;

  Harness(const WindowOptions& options, Agg agg, bool side_output = false,
          std::function<absl::Duration(const int64_t&)> gap = nullptr) {
    typename Op::Functions fns;
    fns.on_result = [this](const typename Op::Result& r) {
      fired.emplace_back(r.key, r.window.start_millis,
                         r.window.max_timestamp_millis,
                         static_cast<int64_t>(r.value));
    };
    if (side_output) {
      fns.on_late = [this](const int& k, const int64_t& v, EventTime ts) {
        late.emplace_back(k, v, ts);
      };
    }
    fns.on_watermark = [this](EventTime w) {
      watermarks.push_back(w);
      fired_before_watermark.push_back(fired.size());
    };
    fns.session_gap = std::move(gap);
    auto made = Op::Create(options, std::move(agg), std::move(fns));
    REQUIRE(made.ok());
    op = *std::move(made);
  }
  void Add(int key, EventTime ts, int64_t v = 1) {
    BROOK_REQUIRE_OK(op->ProcessElement(key, v, ts));
  }
  std::vector<Fired> Take() {
    std::vector<Fired> out;
    out.swap(fired);
    return out;
  }
};

WindowOptions Tumbling(int64_t size, int64_t offset = 0, int64_t lateness = 0) {
  WindowOptions o;
  auto a = WindowAssigner::Tumbling(absl::Milliseconds(size),
                                    absl::Milliseconds(offset));
  REQUIRE(a.ok());
  o.assigner = *a;
  o.allowed_lateness = absl::Milliseconds(lateness);
  return o;
}

using Count = CountAggregate<int64_t>;

TEST_CASE("WindowOperator: tumbling event-time windows fire at the watermark",
          "[window][operator]") {
  Harness<Count> h(Tumbling(10), Count());
  h.Add(1, 0);
  h.Add(1, 9);
  h.Add(2, 5);
  h.Add(1, 10);
  h.Add(1, -1);
  h.op->AdvanceWatermark(8);
  CHECK(h.Take() == std::vector<Fired>{{1, -10, -1, 1}});
  h.op->AdvanceWatermark(9);
  // Fired in timer order: same time, then key slot order.
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 2}, {2, 0, 9, 1}});
  h.op->AdvanceWatermark(9);  // not higher: fires nothing, but forwarded
  h.op->AdvanceWatermark(7);  // lower: ignored
  CHECK(h.watermarks == std::vector<EventTime>{8, 9, 9});
  h.op->AdvanceWatermark(kMax);
  CHECK(h.Take() == std::vector<Fired>{{1, 10, 19, 1}});
  CHECK(h.op->live_state_count() == 0);
  CHECK(h.op->key_count() == 0);
}

TEST_CASE("WindowOperator: results precede the watermark that fired them",
          "[window][operator]") {
  Harness<Count> h(Tumbling(10), Count());
  h.Add(1, 3);
  h.Add(2, 13);
  h.op->AdvanceWatermark(9);
  h.op->AdvanceWatermark(19);
  CHECK(h.fired_before_watermark == std::vector<size_t>{1, 2});
}

TEST_CASE("WindowOperator: offsets and negative times", "[window][operator]") {
  Harness<Count> h(Tumbling(10, -3), Count());
  for (EventTime t : {-14, -13, -4, -3, 6, 7}) h.Add(1, t);
  h.op->AdvanceWatermark(kMax);
  CHECK(h.Take() ==
        std::vector<Fired>{
            {1, -23, -14, 1}, {1, -13, -4, 2}, {1, -3, 6, 2}, {1, 7, 16, 1}});
}

TEST_CASE("WindowOperator: int64 extremes", "[window][operator]") {
  Harness<Count> h(Tumbling(10), Count());
  h.Add(1, kMax);
  h.Add(1, kMax - 7);
  h.Add(1, kMin + 1);  // (kMin itself is the no-timestamp marker: refused)
  h.Add(1, kMin + 7);
  h.Add(1, kMin + 8);
  h.op->AdvanceWatermark(kMin + 7);
  CHECK(h.Take() == std::vector<Fired>{{1, kMin, kMin + 7, 2}});
  h.op->AdvanceWatermark(kMax - 1);
  CHECK(h.Take() == std::vector<Fired>{{1, kMin + 8, kMin + 17, 1}});
  h.op->AdvanceWatermark(kMax);
  CHECK(h.Take() == std::vector<Fired>{{1, kMax - 7, kMax, 2}});
  // Lateness saturates: the window at the top is never cleaned before the end.
  Harness<Count> g(Tumbling(10, 0, kMax), Count());
  g.Add(1, 5);
  g.op->AdvanceWatermark(kMax - 1);
  CHECK(g.Take() == std::vector<Fired>{{1, 0, 9, 1}});
  g.Add(1, 6);  // still within (saturated) lateness: re-fires
  CHECK(g.Take() == std::vector<Fired>{{1, 0, 9, 2}});
  CHECK(g.op->dropped_late_elements() == 0);
}

TEST_CASE(
    "WindowOperator: allowed lateness re-fires, beyond it, side output "
    "or drop counter",
    "[window][operator][late]") {
  for (bool side : {false, true}) {
    CAPTURE(side);
    Harness<Count> h(Tumbling(10, 0, /*lateness=*/5), Count(), side);
    h.Add(1, 2);
    h.op->AdvanceWatermark(9);
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 1}});
    CHECK(h.op->live_state_count() == 1);  // kept for lateness
    h.op->AdvanceWatermark(13);
    h.Add(1, 4);  // late but within lateness: fires again at once
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 2}});
    h.op->AdvanceWatermark(14);  // 9 + 5 <= 14: cleaned up
    CHECK(h.op->live_state_count() == 0);
    CHECK(h.Take().empty());
    h.Add(1, 9);  // too late
    CHECK(h.Take().empty());
    if (side) {
      CHECK(h.late ==
            std::vector<std::tuple<int, int64_t, EventTime>>{{1, 1, 9}});
      CHECK(h.op->late_elements_emitted() == 1);
      CHECK(h.op->dropped_late_elements() == 0);
    } else {
      CHECK(h.late.empty());
      CHECK(h.op->dropped_late_elements() == 1);
    }
    h.Add(1, 10);  // on time for the next window
    h.op->AdvanceWatermark(19);
    CHECK(h.Take() == std::vector<Fired>{{1, 10, 19, 1}});
  }
}

WindowOptions SlidingOpts(int64_t size, int64_t slide, bool slicing,
                          int64_t lateness = 0, int64_t offset = 0) {
  WindowOptions o;
  auto a = WindowAssigner::Sliding(absl::Milliseconds(size),
                                   absl::Milliseconds(slide),
                                   absl::Milliseconds(offset));
  REQUIRE(a.ok());
  o.assigner = *a;
  o.use_slicing = slicing;
  o.allowed_lateness = absl::Milliseconds(lateness);
  return o;
}

TEST_CASE("WindowOperator: sliding windows, sliced and unsliced",
          "[window][operator][sliding]") {
  for (bool slicing : {true, false}) {
    CAPTURE(slicing);
    Harness<Count> h(SlidingOpts(10, 5, slicing), Count());
    CHECK(h.op->sliced() == slicing);
    h.Add(1, 0);
    h.Add(1, 7);
    h.Add(1, 12);
    h.op->AdvanceWatermark(4);
    CHECK(h.Take() == std::vector<Fired>{{1, -5, 4, 1}});
    h.op->AdvanceWatermark(14);
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 2}, {1, 5, 14, 2}});
    h.op->AdvanceWatermark(100);
    CHECK(h.Take() == std::vector<Fired>{{1, 10, 19, 1}});
    CHECK(h.op->live_state_count() == 0);
    CHECK(h.op->key_count() == 0);
  }
}

TEST_CASE(
    "WindowOperator: sliding late element re-fires every fired window "
    "that is not late",
    "[window][operator][sliding][late]") {
  for (bool slicing : {true, false}) {
    CAPTURE(slicing);
    Harness<Count> h(SlidingOpts(10, 5, slicing, /*lateness=*/6), Count(),
                     true);
    h.Add(1, 6);
    h.op->AdvanceWatermark(15);
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 1}, {1, 5, 14, 1}});
    // wm 15: [0,9] cleans at 15 (late), [5,14] cleans at 20.
    CHECK(h.op->late_elements_emitted() == 0);
    h.Add(1, 8);
    CHECK(h.Take() == std::vector<Fired>{{1, 5, 14, 2}});
    h.Add(1, 3);  // only in [-5,4] and [0,9], both late
    CHECK(h.late.size() == 1);
    h.op->AdvanceWatermark(kMax);
    CHECK(h.Take().empty());
    CHECK(h.op->live_state_count() == 0);
  }
}

TEST_CASE("WindowOperator: session windows merge, touching windows too",
          "[window][operator][session]") {
  WindowOptions o;
  auto s = WindowAssigner::Session(absl::Milliseconds(10));
  REQUIRE(s.ok());
  o.assigner = *s;
  Harness<Count> h(o, Count());
  h.Add(1, 0);   // [0,9]
  h.Add(1, 5);   // [0,14]
  h.Add(1, 20);  // [20,29]
  h.Add(2, 0);
  h.op->AdvanceWatermark(13);
  CHECK(h.Take() == std::vector<Fired>{{2, 0, 9, 1}});
  h.Add(1, 12);  // [12,21] bridges [0,14] and [20,29]
  CHECK(h.Take().empty());
  h.op->AdvanceWatermark(100);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 29, 4}});
  Harness<Count> t(o, Count());
  t.Add(1, 0);   // [0,9]
  t.Add(1, 10);  // [10,19] touches: merges
  t.op->AdvanceWatermark(kMax);
  CHECK(t.Take() == std::vector<Fired>{{1, 0, 19, 2}});
}

TEST_CASE("WindowOperator: sessions decide lateness after merging",
          "[window][operator][session][late]") {
  WindowOptions o;
  auto s = WindowAssigner::Session(absl::Milliseconds(10));
  REQUIRE(s.ok());
  o.assigner = *s;
  o.allowed_lateness = absl::Milliseconds(0);
  Harness<Count> h(o, Count(), true);
  h.Add(1, 100);  // [100,109]
  h.op->AdvanceWatermark(105);
  // ts 95 alone would be [95,104], late (104 <= 105); merged with the open
  // session it is [95,109]: on time.
  h.Add(1, 95);
  CHECK(h.late.empty());
  h.Add(1, 50);  // [50,59]: late, and nothing to merge with
  CHECK(h.late.size() == 1);
  h.op->AdvanceWatermark(109);
  CHECK(h.Take() == std::vector<Fired>{{1, 95, 109, 2}});
}

TEST_CASE("WindowOperator: dynamic session gaps",
          "[window][operator][session]") {
  WindowOptions o;
  o.assigner = WindowAssigner::DynamicSession();
  // The element's value is its gap; 7 stands for a gap of 1.5ms.
  Harness<Count> h(o, Count(), false, [](const int64_t& v) {
    return v == 7 ? absl::Microseconds(1500) : absl::Milliseconds(v);
  });
  h.Add(1, 0, 5);    // [0,4]
  h.Add(1, 10, 20);  // [10,29]
  h.Add(1, 3, 8);    // [3,10]: bridges both
  absl::Status s = h.op->ProcessElement(1, 7, 40);
  BROOK_CHECK_CODE(s, kInvalidArgument);
  CHECK(s.message() ==
        "dynamic session: gap must be a positive whole number of "
        "milliseconds, got 1.5ms at 40");
  h.op->AdvanceWatermark(kMax);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 29, 3}});
  BROOK_CHECK_CODE(h.op->ProcessElement(1, 0, 5), kInvalidArgument);
  WindowFunctions<int, int64_t, int64_t> no_gap;
  no_gap.on_result = [](const WindowResult<int, int64_t>&) {};
  BROOK_CHECK_CODE(
      (WindowOperator<int, int64_t, Count>::Create(o, Count(), no_gap)),
      kInvalidArgument);
}

TEST_CASE("WindowOperator: count trigger on the global window",
          "[window][operator][trigger]") {
  WindowOptions o;
  o.assigner = WindowAssigner::Global();
  SECTION("purging count window") {
    auto t = CountWindowTrigger(3);
    REQUIRE(t.ok());
    o.trigger = *t;
    Harness<Count> h(o, Count());
    for (int i = 0; i < 7; ++i) h.Add(1, i * 1000);
    CHECK(h.Take() ==
          std::vector<Fired>{{1, kMin, kMax, 3}, {1, kMin, kMax, 3}});
    h.op->AdvanceWatermark(kMax);  // the global window never ends by itself
    CHECK(h.Take().empty());
  }
  SECTION("non-purging count keeps accumulating") {
    auto t = Trigger::Count(2);
    REQUIRE(t.ok());
    o.trigger = *t;
    Harness<Count> h(o, Count());
    for (int i = 0; i < 5; ++i) h.Add(1, i);
    CHECK(h.Take() ==
          std::vector<Fired>{{1, kMin, kMax, 2}, {1, kMin, kMax, 4}});
  }
  SECTION("default trigger of the global window never fires") {
    Harness<Count> h(o, Count());
    h.Add(1, 1);
    h.op->AdvanceWatermark(kMax);
    CHECK(h.Take().empty());
  }
}

TEST_CASE("WindowOperator: count trigger merges counts of sessions",
          "[window][operator][trigger][session]") {
  WindowOptions o;
  auto s = WindowAssigner::Session(absl::Milliseconds(15));
  auto t = Trigger::Count(3);
  REQUIRE(s.ok());
  REQUIRE(t.ok());
  o.assigner = *s;
  o.trigger = *t;
  Harness<Count> h(o, Count());
  h.Add(1, 0);
  h.Add(1, 30);
  CHECK(h.Take().empty());
  h.Add(1, 15);  // [15,29] touches [0,14] and [30,44]: count 3
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 44, 3}});
}

TEST_CASE("WindowOperator: continuous event-time trigger fires early",
          "[window][operator][trigger]") {
  WindowOptions o = Tumbling(100);
  auto t = Trigger::ContinuousEventTime(absl::Milliseconds(30));
  REQUIRE(t.ok());
  o.trigger = *t;
  Harness<Count> h(o, Count());
  h.Add(1, 5);
  h.Add(1, 40);
  h.op->AdvanceWatermark(29);
  CHECK(h.Take().empty());
  h.op->AdvanceWatermark(30);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 99, 2}});
  h.Add(1, 70);
  h.op->AdvanceWatermark(75);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 99, 3}});  // at 60
  h.op->AdvanceWatermark(99);                            // 90 and the end (99)
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 99, 3}, {1, 0, 99, 3}});
  CHECK(h.op->live_state_count() == 0);
}

TEST_CASE("WindowOperator: processing-time trigger follows the clock",
          "[window][operator][trigger]") {
  ManualClockEnv env(0);
  WindowOptions o = Tumbling(100);
  o.trigger = Trigger::ProcessingTime();
  o.env = &env;
  Harness<Count> h(o, Count());
  h.Add(1, 10);
  h.Add(1, 150);
  h.op->AdvanceProcessingTime();
  CHECK(h.Take().empty());
  env.SetNowMillis(99);
  h.op->AdvanceProcessingTime();
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 99, 1}});
  h.op->AdvanceWatermark(150);  // event time cleans [0,99] and fires nothing
  CHECK(h.Take().empty());
  env.SetNowMillis(1000);
  h.op->AdvanceProcessingTime();
  CHECK(h.Take() == std::vector<Fired>{{1, 100, 199, 1}});
}

TEST_CASE("WindowOperator: purging event-time trigger",
          "[window][operator][trigger]") {
  WindowOptions o = Tumbling(10, 0, /*lateness=*/100);
  o.trigger = Trigger::Purging(Trigger::EventTime());
  Harness<Count> h(o, Count());
  h.Add(1, 1);
  h.Add(1, 2);
  h.op->AdvanceWatermark(9);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 2}});
  h.Add(1, 3);  // late within lateness: fires only the new contents
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 1}});
  h.op->AdvanceWatermark(200);
  CHECK(h.Take().empty());  // purged and empty: nothing at cleanup
}

TEST_CASE("WindowOperator: cumulate windows", "[window][operator]") {
  WindowOptions o;
  auto c =
      WindowAssigner::Cumulate(absl::Milliseconds(30), absl::Milliseconds(10));
  REQUIRE(c.ok());
  o.assigner = *c;
  Harness<Count> h(o, Count());
  h.Add(1, 5);
  h.Add(1, 15);
  h.Add(1, 25);
  h.op->AdvanceWatermark(kMax);
  CHECK(h.Take() ==
        std::vector<Fired>{{1, 0, 9, 1}, {1, 0, 19, 2}, {1, 0, 29, 3}});
}

TEST_CASE("WindowOperator: reduce, aggregate and full-window functions",
          "[window][operator]") {
  WindowOptions o = Tumbling(10);
  SECTION("reduce") {
    auto max =
        MakeReduce<int64_t>([](int64_t a, int64_t b) { return a > b ? a : b; });
    Harness<decltype(max)> h(o, max);
    h.Add(1, 1, 7);
    h.Add(1, 2, 3);
    h.Add(1, 3, 9);
    h.op->AdvanceWatermark(9);
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 9}});
  }
  SECTION("aggregate: average") {
    struct Avg {
      int64_t sum = 0, n = 0;
    };
    auto avg = MakeAggregate<int64_t>(
        [] { return Avg(); },
        [](Avg& a, const int64_t& v) { a.sum += v, ++a.n; },
        [](Avg& a, const Avg& b) { a.sum += b.sum, a.n += b.n; },
        [](const Avg& a) { return a.n == 0 ? 0 : a.sum / a.n; });
    Harness<decltype(avg)> h(o, avg);
    h.Add(1, 1, 10);
    h.Add(1, 2, 20);
    h.op->AdvanceWatermark(9);
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 15}});
  }
  SECTION("full window sees the key, window and elements") {
    auto full = MakeFullWindow<int64_t>(
        [](const int& key, const TimeWindow& w, absl::Span<const int64_t> xs) {
          int64_t r = key * 1000 + w.start_millis;
          for (int64_t x : xs) r = r * 10 + x;
          return r;
        });
    Harness<decltype(full)> h(o, full);
    h.Add(2, 11, 3);
    h.Add(2, 12, 4);
    h.op->AdvanceWatermark(19);
    CHECK(h.Take() == std::vector<Fired>{{2, 10, 19, (2000 + 10) * 100 + 34}});
  }
}

TEST_CASE("WindowOperator: invalid options", "[window][operator]") {
  WindowOptions o = Tumbling(10);
  o.allowed_lateness = absl::Milliseconds(-1);
  WindowFunctions<int, int64_t, int64_t> fns;
  fns.on_result = [](const WindowResult<int, int64_t>&) {};
  BROOK_CHECK_CODE(
      (WindowOperator<int, int64_t, Count>::Create(o, Count(), fns)),
      kInvalidArgument);
  o.allowed_lateness = absl::Milliseconds(0);
  fns.on_result = nullptr;
  BROOK_CHECK_CODE(
      (WindowOperator<int, int64_t, Count>::Create(o, Count(), fns)),
      kInvalidArgument);
}

// Feeds `events` (key, ts) with a watermark after each `every` events; when
// `snap_at` >= 0 the run is cut there: snapshot, restore into a new operator,
// continue. With `through_bytes` the snapshot is serialised and parsed back
// in between, as across a process restart. Returns everything fired.
std::vector<Fired> RunWithRestart(
    const WindowOptions& o,
    const std::vector<std::pair<int, EventTime>>& events, int snap_at,
    bool through_bytes = false) {
  std::vector<Fired> all;
  auto h = std::make_unique<Harness<Count>>(o, Count(), true);
  EventTime wm = kMin;
  for (int i = 0; i < static_cast<int>(events.size()); ++i) {
    if (i == snap_at) {
      const std::string snap = h->op->SaveState();
      for (auto& f : h->Take()) all.push_back(f);
      // Work done after the snapshot is lost in a crash.
      h->Add(99, events[i].second);
      h->op->AdvanceWatermark(kMax);
      h = std::make_unique<Harness<Count>>(o, Count(), true);
      static_cast<void>(through_bytes);  // saved state is always bytes
      BROOK_REQUIRE_OK(h->op->RestoreState(snap));
    }
    h->Add(events[i].first, events[i].second);
    if (i % 7 == 6) {
      wm = std::max(wm, events[i].second - 20);
      h->op->AdvanceWatermark(wm);
    }
  }
  h->op->AdvanceWatermark(kMax);
  for (auto& f : h->Take()) all.push_back(f);
  return all;
}

TEST_CASE("WindowOperator: snapshot and restore resume exactly",
          "[window][operator][snapshot]") {
  std::vector<std::pair<int, EventTime>> events;
  uint64_t x = 7;
  for (int i = 0; i < 300; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    events.emplace_back(static_cast<int>((x >> 40) % 5),
                        i * 3 - 400 + static_cast<EventTime>((x >> 20) % 30));
  }
  std::vector<WindowOptions> configs;
  configs.push_back(Tumbling(25, 0, 10));
  configs.push_back(SlidingOpts(40, 10, true, 5));
  configs.push_back(SlidingOpts(40, 10, false, 5));
  {
    WindowOptions s;
    s.assigner = *WindowAssigner::Session(absl::Milliseconds(4));
    s.allowed_lateness = absl::Milliseconds(3);
    configs.push_back(s);
  }
  for (size_t c = 0; c < configs.size(); ++c) {
    CAPTURE(c);
    std::vector<Fired> base = RunWithRestart(configs[c], events, -1);
    REQUIRE(!base.empty());
    for (int cut : {0, 1, 50, 151, 299}) {
      CAPTURE(cut);
      CHECK(RunWithRestart(configs[c], events, cut) == base);
      CHECK(RunWithRestart(configs[c], events, cut, /*through_bytes=*/true) ==
            base);
    }
  }
}

TEST_CASE("WindowOperator: damaged snapshot bytes are kDataLoss",
          "[window][operator][snapshot]") {
  Harness<Count> h(SlidingOpts(40, 10, true, 5), Count(), true);
  for (int i = 0; i < 50; ++i) h.Add(i % 3, i * 2);
  h.op->AdvanceWatermark(30);
  const std::string bytes = h.op->SaveState();
  Harness<Count> to(SlidingOpts(40, 10, true, 5), Count(), true);
  BROOK_CHECK_CODE(to.op->RestoreState(""), kDataLoss);
  BROOK_CHECK_CODE(to.op->RestoreState("not a snapshot at all"), kDataLoss);
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    BROOK_CHECK_CODE(to.op->RestoreState(bytes.substr(0, cut)), kDataLoss);
  }
  for (size_t at = 0; at < bytes.size(); at += 5) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x40);
    BROOK_CHECK_CODE(to.op->RestoreState(flipped), kDataLoss);
  }
  BROOK_REQUIRE_OK(to.op->RestoreState(bytes));
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

TEST_CASE("WindowOperator: a window created after its end fires once",
          "[window][operator][late]") {
  // Found by the session property test: the window got a timer in the past
  // and fired a second time at the next watermark.
  Harness<Count> h(Tumbling(10, 0, /*lateness=*/20), Count());
  h.op->AdvanceWatermark(15);
  h.Add(1, 5);  // [0,9] is complete but within lateness
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, 1}});
  h.op->AdvanceWatermark(16);
  CHECK(h.Take().empty());
  h.op->AdvanceWatermark(kMax);
  CHECK(h.Take().empty());
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

TEST_CASE("MakeWindowOperator: deduces the aggregate, as in the header example",
          "[window][operator]") {
  struct Click {
    std::string page;
  };
  std::vector<std::string> out;
  auto op = MakeWindowOperator<std::string, Click>(
      Tumbling(60'000), CountAggregate<Click>(),
      [&out](const WindowResult<std::string, int64_t>& r) {
        out.push_back(r.key + "=" + std::to_string(r.value) + "@" +
                      std::to_string(r.window.end_millis()));
      });
  BROOK_REQUIRE_OK(op);
  BROOK_REQUIRE_OK((*op)->ProcessElement("/home", Click{"/home"}, 1000));
  BROOK_REQUIRE_OK((*op)->ProcessElement("/home", Click{"/home"}, 59'999));
  BROOK_REQUIRE_OK((*op)->ProcessElement("/cart", Click{"/cart"}, 60'000));
  (*op)->AdvanceWatermark(59'999);
  CHECK(out == std::vector<std::string>{"/home=2@60000"});
}

}  // namespace
}  // namespace brook
