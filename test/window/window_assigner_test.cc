// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include <cstdint>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/window.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::vector<TimeWindow> W(
    std::initializer_list<std::pair<int64_t, int64_t>> l) {
  std::vector<TimeWindow> out;
  for (auto& p : l) out.push_back(TimeWindow{p.first, p.second});
  return out;
}

TEST_CASE("WindowAssigner: tumbling assignment table", "[window][assign]") {
  struct Row {
    int64_t size, offset, ts, start, max_ts;
  };
  auto row = GENERATE(values<Row>({
      {10, 0, 0, 0, 9},
      {10, 0, 9, 0, 9},
      {10, 0, 10, 10, 19},
      {10, 0, -1, -10, -1},
      {10, 0, -10, -10, -1},
      {10, 0, -11, -20, -11},
      {10, 3, 2, -7, 2},
      {10, 3, 3, 3, 12},
      {10, -3, -4, -13, -4},
      {10, -3, -3, -3, 6},
      {60000, 0, 119999, 60000, 119999},
      // ts - offset < -size: the formula that once was wrong (DESIGN.md §5).
      {10, 7, -25, -33, -24},
      // The ends of the int64 range: clamped, never overflowing.
      {10, 0, kMin, kMin, kMin + 7},
      {10, 0, kMax, kMax - 7, kMax},
      {kMax, 0, kMax, kMax, kMax},
      {kMax, 0, kMax - 1, 0, kMax - 1},
      {kMax, 0, kMin, kMin, kMin},
      {kMax, 0, -1, -kMax, -1},
      {3, 2, kMax, kMax - 2, kMax},
  }));
  CAPTURE(row.size, row.offset, row.ts);
  auto a = WindowAssigner::Tumbling(absl::Milliseconds(row.size),
                                    absl::Milliseconds(row.offset));
  BROOK_REQUIRE_OK(a);
  std::vector<TimeWindow> got = a->WindowsFor(row.ts);
  REQUIRE(got.size() == 1);
  CHECK(got[0].start_millis == row.start);
  CHECK(got[0].max_timestamp_millis == row.max_ts);
  CHECK(got[0].Contains(row.ts));
}

TEST_CASE("WindowAssigner: tumbling window at the top holds kMax",
          "[window][assign]") {
  // kMax = 9223372036854775807; with size 10 the window starts at ...800 and
  // would end at ...809: it is clamped to end at kMax.
  auto a = WindowAssigner::Tumbling(absl::Milliseconds(10));
  BROOK_REQUIRE_OK(a);
  TimeWindow w = a->WindowsFor(kMax)[0];
  CHECK(w.start_millis == kMax - 7);
  CHECK(w.max_timestamp_millis == kMax);
  CHECK(w.end_millis() == kMax);
  // At the bottom: kMin = -9223372036854775808 is 2 below a multiple of 10,
  // so its window would start at ...810 below it: clamped to kMin.
  TimeWindow b = a->WindowsFor(kMin)[0];
  CHECK(b.start_millis == kMin);
  CHECK(b.max_timestamp_millis == kMin + 7);
}

TEST_CASE("WindowAssigner: sliding assignment table", "[window][assign]") {
  auto a =
      WindowAssigner::Sliding(absl::Milliseconds(10), absl::Milliseconds(5));
  BROOK_REQUIRE_OK(a);
  CHECK(a->WindowsFor(0) == W({{0, 9}, {-5, 4}}));
  CHECK(a->WindowsFor(7) == W({{5, 14}, {0, 9}}));
  CHECK(a->WindowsFor(-1) == W({{-5, 4}, {-10, -1}}));
  CHECK(a->WindowsFor(-6) == W({{-10, -1}, {-15, -6}}));
  auto b = WindowAssigner::Sliding(
      absl::Milliseconds(10), absl::Milliseconds(3), absl::Milliseconds(1));
  BROOK_REQUIRE_OK(b);
  // Starts == 1 (mod 3) in (ts - 10, ts].
  CHECK(b->WindowsFor(0) == W({{-2, 7}, {-5, 4}, {-8, 1}}));
  // Slide larger than size leaves gaps.
  auto c =
      WindowAssigner::Sliding(absl::Milliseconds(3), absl::Milliseconds(10));
  BROOK_REQUIRE_OK(c);
  CHECK(c->WindowsFor(2) == W({{0, 2}}));
  CHECK(c->WindowsFor(3).empty());
  CHECK(c->WindowsFor(-8) == W({{-10, -8}}));
  CHECK(c->WindowsFor(-7).empty());
  // Ends of the range: clamped windows, no overflow.
  auto d =
      WindowAssigner::Sliding(absl::Milliseconds(10), absl::Milliseconds(5));
  BROOK_REQUIRE_OK(d);
  CHECK(d->WindowsFor(kMax) == W({{kMax - 2, kMax}, {kMax - 7, kMax}}));
  std::vector<TimeWindow> low = d->WindowsFor(kMin);
  REQUIRE(low.size() == 2);
  for (const TimeWindow& w : low) CHECK(w.Contains(kMin));
}

TEST_CASE("WindowAssigner: cumulate assignment table", "[window][assign]") {
  auto a =
      WindowAssigner::Cumulate(absl::Milliseconds(30), absl::Milliseconds(10));
  BROOK_REQUIRE_OK(a);
  CHECK(a->WindowsFor(5) == W({{0, 9}, {0, 19}, {0, 29}}));
  CHECK(a->WindowsFor(15) == W({{0, 19}, {0, 29}}));
  CHECK(a->WindowsFor(29) == W({{0, 29}}));
  CHECK(a->WindowsFor(-1) == W({{-30, -1}}));
  CHECK(a->WindowsFor(-25) == W({{-30, -21}, {-30, -11}, {-30, -1}}));
  auto b = WindowAssigner::Cumulate(
      absl::Milliseconds(30), absl::Milliseconds(10), absl::Milliseconds(5));
  BROOK_REQUIRE_OK(b);
  CHECK(b->WindowsFor(5) == W({{5, 14}, {5, 24}, {5, 34}}));
  CHECK(b->WindowsFor(4) == W({{-25, 4}}));
  std::vector<TimeWindow> top = a->WindowsFor(kMax);
  REQUIRE(!top.empty());
  for (const TimeWindow& w : top) CHECK(w.Contains(kMax));
}

TEST_CASE("WindowAssigner: session and global windows", "[window][assign]") {
  auto s = WindowAssigner::Session(absl::Milliseconds(30));
  BROOK_REQUIRE_OK(s);
  CHECK(s->is_merging());
  CHECK(s->WindowsFor(-100) == W({{-100, -71}}));
  CHECK(s->WindowsFor(kMax - 5) == W({{kMax - 5, kMax}}));
  WindowAssigner d = WindowAssigner::DynamicSession();
  CHECK(d.WindowsFor(10, absl::Milliseconds(5)) == W({{10, 14}}));
  WindowAssigner g = WindowAssigner::Global();
  CHECK_FALSE(g.is_event_time());
  CHECK(g.WindowsFor(123) == W({{kMin, kMax}}));
}

TEST_CASE("WindowAssigner: invalid parameters are rejected at build",
          "[window][assign]") {
  BROOK_CHECK_CODE(WindowAssigner::Tumbling(absl::Milliseconds(0)),
                   kInvalidArgument);
  BROOK_CHECK_CODE(WindowAssigner::Tumbling(absl::Milliseconds(-5)),
                   kInvalidArgument);
  BROOK_CHECK_CODE(
      WindowAssigner::Tumbling(absl::Milliseconds(10), absl::Milliseconds(10)),
      kInvalidArgument);
  BROOK_CHECK_CODE(
      WindowAssigner::Tumbling(absl::Milliseconds(10), absl::Milliseconds(-10)),
      kInvalidArgument);
  BROOK_CHECK_CODE(WindowAssigner::Tumbling(absl::Milliseconds(10),
                                            absl::Milliseconds(kMin)),
                   kInvalidArgument);
  BROOK_CHECK_OK(
      WindowAssigner::Tumbling(absl::Milliseconds(10), absl::Milliseconds(-9)));
  BROOK_CHECK_CODE(
      WindowAssigner::Sliding(absl::Milliseconds(0), absl::Milliseconds(1)),
      kInvalidArgument);
  BROOK_CHECK_CODE(
      WindowAssigner::Sliding(absl::Milliseconds(10), absl::Milliseconds(0)),
      kInvalidArgument);
  BROOK_CHECK_CODE(
      WindowAssigner::Sliding(absl::Milliseconds(10), absl::Milliseconds(-1)),
      kInvalidArgument);
  BROOK_CHECK_CODE(
      WindowAssigner::Sliding(absl::Milliseconds(10), absl::Milliseconds(5),
                              absl::Milliseconds(5)),
      kInvalidArgument);
  BROOK_CHECK_CODE(WindowAssigner::Session(absl::Milliseconds(0)),
                   kInvalidArgument);
  BROOK_CHECK_CODE(WindowAssigner::Session(absl::Milliseconds(-1)),
                   kInvalidArgument);
  BROOK_CHECK_CODE(
      WindowAssigner::Cumulate(absl::Milliseconds(30), absl::Milliseconds(0)),
      kInvalidArgument);
  BROOK_CHECK_CODE(
      WindowAssigner::Cumulate(absl::Milliseconds(35), absl::Milliseconds(10)),
      kInvalidArgument);
  BROOK_CHECK_CODE(
      WindowAssigner::Cumulate(absl::Milliseconds(0), absl::Milliseconds(10)),
      kInvalidArgument);
  BROOK_CHECK_CODE(
      WindowAssigner::Cumulate(absl::Milliseconds(30), absl::Milliseconds(10),
                               absl::Milliseconds(30)),
      kInvalidArgument);
  BROOK_CHECK_CODE(Trigger::Count(0), kInvalidArgument);
  BROOK_CHECK_CODE(Trigger::ContinuousEventTime(absl::Milliseconds(0)),
                   kInvalidArgument);
  BROOK_CHECK_CODE(CountWindowTrigger(-3), kInvalidArgument);
  auto t = WindowAssigner::Tumbling(absl::Milliseconds(-5));
  CHECK(t.status().message() ==
        "tumbling window: size must be positive, got -5");
}

TEST_CASE("Window durations must be whole milliseconds", "[window][assign]") {
  const absl::Duration half = absl::Microseconds(1500);
  auto t = WindowAssigner::Tumbling(half);
  BROOK_CHECK_CODE(t, kInvalidArgument);
  CHECK(t.status().message() ==
        "tumbling window: size must be a whole number of milliseconds, got "
        "1.5ms");
  BROOK_CHECK_CODE(WindowAssigner::Tumbling(absl::Milliseconds(10), half),
                   kInvalidArgument);
  BROOK_CHECK_CODE(WindowAssigner::Sliding(half, absl::Milliseconds(1)),
                   kInvalidArgument);
  BROOK_CHECK_CODE(WindowAssigner::Sliding(absl::Milliseconds(10), half),
                   kInvalidArgument);
  BROOK_CHECK_CODE(WindowAssigner::Session(absl::InfiniteDuration()),
                   kInvalidArgument);
  BROOK_CHECK_CODE(WindowAssigner::Cumulate(absl::Milliseconds(30), half),
                   kInvalidArgument);
  auto c = Trigger::ContinuousEventTime(half);
  BROOK_CHECK_CODE(c, kInvalidArgument);
  CHECK(c.status().message() ==
        "continuous event-time trigger: interval must be a whole number of "
        "milliseconds, got 1.5ms");
  WindowOptions o;
  o.allowed_lateness = half;
  absl::Status s = ValidateWindowOptions(o);
  BROOK_CHECK_CODE(s, kInvalidArgument);
  CHECK(s.message() ==
        "window operator: allowed_lateness must be a whole number of "
        "milliseconds, got 1.5ms");
  o.allowed_lateness = absl::Milliseconds(-1);
  BROOK_CHECK_CODE(ValidateWindowOptions(o), kInvalidArgument);
  o.allowed_lateness = absl::Seconds(5);
  BROOK_CHECK_OK(ValidateWindowOptions(o));

  // Accessors give back what was built.
  auto a = WindowAssigner::Sliding(absl::Seconds(30), absl::Seconds(10),
                                   absl::Seconds(-5));
  REQUIRE(a.ok());
  CHECK(a->size() == absl::Seconds(30));
  CHECK(a->slide() == absl::Seconds(10));
  CHECK(a->offset() == absl::Seconds(-5));
  auto g = WindowAssigner::Session(absl::Minutes(30));
  REQUIRE(g.ok());
  CHECK(g->gap() == absl::Minutes(30));
  auto ct = Trigger::ContinuousEventTime(absl::Seconds(2));
  REQUIRE(ct.ok());
  CHECK(ct->interval() == absl::Seconds(2));
}

TEST_CASE(
    "WindowAssigner: AlignedWindow takes its offset and size as durations "
    "(Flink's getWindowStartWithOffset), clamped at the int64 ends",
    "[window]") {
  using W = TimeWindow;
  const absl::Duration ten = absl::Milliseconds(10);
  CHECK(WindowAssigner::AlignedWindow(7, absl::ZeroDuration(), ten) ==
        (W{0, 9}));
  CHECK(WindowAssigner::AlignedWindow(-1, absl::ZeroDuration(), ten) ==
        (W{-10, -1}));
  CHECK(WindowAssigner::AlignedWindow(7, absl::Milliseconds(2),
                                      absl::Milliseconds(5)) == (W{7, 11}));
  CHECK(WindowAssigner::AlignedWindow(6, absl::Milliseconds(-3),
                                      absl::Milliseconds(5)) == (W{2, 6}));
  CHECK(WindowAssigner::AlignedWindow(kMaxEventTime, absl::ZeroDuration(), ten)
            .max_timestamp_millis == kMaxEventTime);
  CHECK(WindowAssigner::AlignedWindow(kMinEventTime, absl::ZeroDuration(), ten)
            .start_millis == kMinEventTime);
  // The tumbling assigner's window is the aligned one.
  auto t = WindowAssigner::Tumbling(ten, absl::Milliseconds(4));
  REQUIRE(t.ok());
  CHECK(t->WindowsFor(3) == std::vector<W>{WindowAssigner::AlignedWindow(
                                3, absl::Milliseconds(4), ten)});
}

}  // namespace
}  // namespace brook
