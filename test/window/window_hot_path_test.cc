// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The element fast paths that keep a key's additions in its hash entry (the
// hot window of tumbling windows, the hot pane of sliced sliding windows):
// elements behind the watermark in a window that has not fired, the refused
// kMinEventTime, firings and saved state taken while a key is hot. Each case
// is checked against the unsliced operator or exact expectations.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/window.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

// (key, start, max_timestamp, value)
using Fired = std::tuple<int, EventTime, EventTime, int64_t>;
using Sum = SumAggregate<int64_t>;
using Op = WindowOperator<int, int64_t, Sum>;

std::unique_ptr<Op> MakeOp(const WindowOptions& o, std::vector<Fired>* out) {
  Op::Functions fns;
  fns.on_result = [out](const Op::Result& r) {
    out->emplace_back(r.key, r.window.start_millis,
                      r.window.max_timestamp_millis, r.value);
  };
  auto made = Op::Create(o, Sum(), std::move(fns));
  REQUIRE(made.ok());
  return *std::move(made);
}

WindowOptions Options(absl::StatusOr<WindowAssigner> a, bool slicing,
                      int64_t lateness) {
  REQUIRE(a.ok());
  WindowOptions o;
  o.assigner = *a;
  o.use_slicing = slicing;
  o.allowed_lateness = absl::Milliseconds(lateness);
  return o;
}

TEST_CASE("Window hot path: tumbling element behind the watermark, not fired",
          "[window][operator][hot]") {
  std::vector<Fired> fired;
  auto op =
      MakeOp(Options(WindowAssigner::Tumbling(absl::Milliseconds(10)), true, 0),
             &fired);
  BROOK_REQUIRE_OK(op->ProcessElement(1, 1, 2));  // [0, 9] hot
  op->AdvanceWatermark(5);
  BROOK_REQUIRE_OK(op->ProcessElement(1, 10, 3));  // behind wm, window open
  BROOK_REQUIRE_OK(op->ProcessElement(1, 100, 8));
  CHECK(fired.empty());
  op->AdvanceWatermark(9);
  CHECK(fired == std::vector<Fired>{{1, 0, 9, 111}});
  BROOK_REQUIRE_OK(op->ProcessElement(1, 1, 12));
  op->AdvanceWatermark(19);
  CHECK(fired == std::vector<Fired>{{1, 0, 9, 111}, {1, 10, 19, 1}});
}

TEST_CASE("Window hot path: kMinEventTime is refused beside a hot window",
          "[window][operator][hot]") {
  for (bool sliding : {false, true}) {
    CAPTURE(sliding);
    std::vector<Fired> fired;
    auto op = MakeOp(
        sliding ? Options(WindowAssigner::Sliding(absl::Milliseconds(10),
                                                  absl::Milliseconds(5)),
                          true, 0)
                : Options(WindowAssigner::Tumbling(absl::Milliseconds(10)),
                          true, 0),
        &fired);
    // The window or pane holding kMinEventTime + 1 starts at kMinEventTime.
    BROOK_REQUIRE_OK(op->ProcessElement(1, 1, kMinEventTime + 1));
    BROOK_REQUIRE_OK(op->ProcessElement(1, 1, kMinEventTime + 2));
    BROOK_CHECK_CODE(op->ProcessElement(1, 1, kMinEventTime), kInvalidArgument);
    op->AdvanceWatermark(kMaxEventTime);
    int64_t total = 0;
    for (const Fired& f : fired) total = std::max(total, std::get<3>(f));
    CHECK(total == 2);
  }
}

// Sliced sliding windows against unsliced ones, and against a sliced run
// saved and restored into a fresh operator while keys hold hot panes (the
// saved bytes hold the panes' contents).
TEST_CASE("Window hot path: sliced panes held in entries match unsliced",
          "[window][operator][hot][sliding]") {
  struct Step {
    int key;
    EventTime ts;  // kMinEventTime: advance the watermark to `value`
    int64_t value;
  };
  std::vector<Step> steps;
  // Two keys; size 20, slide 10: panes of 10 ms; size 15, slide 10: panes
  // of 5 ms, not every pane end a window end. Elements ahead of and behind
  // the watermark (late within lateness, or dropped), in the newest pane
  // and in older ones.
  const EventTime ts[] = {1, 3, 12, 11, 4, 25, 21, 14, 33, 29, 26, 41, 38, 52};
  EventTime wm = kMinEventTime;
  int64_t v = 1;
  for (EventTime t : ts) {
    steps.push_back({static_cast<int>(t % 2), t, v});
    steps.push_back({static_cast<int>((t + 1) % 2), t, v * 100});
    v += 1;
    if (t > wm + 4) {
      wm = t - 4;
      steps.push_back({0, kMinEventTime, wm});
    }
  }
  steps.push_back({0, kMinEventTime, kMaxEventTime});

  for (int64_t size : {20, 15}) {
    for (int64_t lateness : {0, 6}) {
      CAPTURE(size, lateness);
      auto run = [&](bool slicing, int cut) {
        std::vector<Fired> fired;
        const WindowOptions o =
            Options(WindowAssigner::Sliding(absl::Milliseconds(size),
                                            absl::Milliseconds(10)),
                    slicing, lateness);
        auto op = MakeOp(o, &fired);
        for (int i = 0; i < static_cast<int>(steps.size()); ++i) {
          if (i == cut) {
            const std::string saved = op->SaveState();
            auto fresh = MakeOp(o, &fired);
            BROOK_REQUIRE_OK(fresh->RestoreState(saved));
            CHECK(fresh->SaveState() == saved);
            op = std::move(fresh);
          }
          const Step& s = steps[i];
          if (s.ts == kMinEventTime) {
            op->AdvanceWatermark(s.value);
          } else {
            BROOK_REQUIRE_OK(op->ProcessElement(s.key, s.value, s.ts));
          }
        }
        CHECK(op->key_count() == 0);
        // (Windows of different keys due together may fire in another
        // order after a restore, window.h.)
        std::sort(fired.begin(), fired.end());
        return fired;
      };
      const std::vector<Fired> unsliced = run(false, -1);
      REQUIRE(!unsliced.empty());
      CHECK(run(true, -1) == unsliced);
      for (int cut = 1; cut < static_cast<int>(steps.size()); cut += 3) {
        CAPTURE(cut);
        CHECK(run(true, cut) == unsliced);
      }
    }
  }
}

}  // namespace
}  // namespace brook
