// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The session fast path (an element that lands in or extends its key's only
// session skips the merge machinery) must behave exactly as the merging
// path: a session operator with a fixed gap is run beside a dynamic session
// operator whose gap is the same for every element (it always takes the
// merging path), over random elements (in order, out of order, late,
// merging two or more sessions) and watermarks, and both must emit the same
// results, late elements and counters at every step. The fast operator's
// state is saved and restored on the way. Seed: BROOK_TEST_SEED, else random
// (printed).

#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/window.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

uint64_t Seed() {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("BROOK_TEST_SEED")) {  // NOLINT
    seed = std::strtoull(s, nullptr, 10);
  }
  std::printf("session fast path test seed: %llu (BROOK_TEST_SEED=%llu)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  return seed;
}

using SumAgg = SumAggregate<int64_t>;
using Op = WindowOperator<int, int64_t, SumAgg>;
// (kind, key, start or element time, max, value); kind 0 result, 1 late.
using Out = std::tuple<int, int, EventTime, EventTime, int64_t>;

struct Run {
  std::unique_ptr<Op> op;
  std::vector<Out> out;
};

// An operator with options `o` that records into `run` (late elements too if
// `late_output`; else they are only counted). A dynamic session assigner
// gets the fixed session assigner's gap, `gap` ms, for every element.
std::unique_ptr<Op> MakeOp(Run* run, const WindowOptions& o, int64_t gap,
                           bool late_output) {
  Op::Functions fns;
  fns.on_result = [run](const Op::Result& res) {
    run->out.emplace_back(0, res.key, res.window.start_millis,
                          res.window.max_timestamp_millis, res.value);
  };
  if (late_output) {
    fns.on_late = [run](const int& key, const int64_t& value, EventTime ts) {
      run->out.emplace_back(1, key, ts, 0, value);
    };
  }
  fns.session_gap = [gap](const int64_t&) { return absl::Milliseconds(gap); };
  auto op = Op::Create(o, SumAgg(), std::move(fns));
  REQUIRE(op.ok());
  return *std::move(op);
}

// Both operators' outputs since the last check, and their counters. The
// outputs are compared as sets: after a restore, windows of different keys
// due at the same time may fire in another order (window.h).
void CheckSame(Run& fast, Run& merging) {
  std::sort(fast.out.begin(), fast.out.end());
  std::sort(merging.out.begin(), merging.out.end());
  REQUIRE(fast.out == merging.out);
  fast.out.clear();
  merging.out.clear();
  REQUIRE(fast.op->dropped_late_elements() ==
          merging.op->dropped_late_elements());
  REQUIRE(fast.op->late_elements_emitted() ==
          merging.op->late_elements_emitted());
  REQUIRE(fast.op->live_state_count() == merging.op->live_state_count());
  REQUIRE(fast.op->key_count() == merging.op->key_count());
}

TEST_CASE("Window session fast path: the same outputs as the merging path",
          "[window][session][property]") {
  const uint64_t seed = Seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 120; ++round) {
    const int64_t gap = 1 + static_cast<int64_t>(rng() % 20);
    const int64_t lateness = static_cast<int64_t>(rng() % 3) * 7;
    const bool purging = rng() % 4 == 0;
    const bool late_output = rng() % 2 == 0;
    CAPTURE(round, gap, lateness, purging, late_output);
    WindowOptions o;
    o.assigner = *WindowAssigner::Session(absl::Milliseconds(gap));
    o.allowed_lateness = absl::Milliseconds(lateness);
    if (purging) o.trigger = Trigger::Purging(Trigger::EventTime());
    WindowOptions d = o;
    d.assigner = WindowAssigner::DynamicSession();
    Run fast, merging;
    fast.op = MakeOp(&fast, o, gap, late_output);
    merging.op = MakeOp(&merging, d, gap, late_output);
    // Near the int64 ends too, where session ends saturate.
    const int where = round % 3;
    EventTime clock = where == 0   ? 0
                      : where == 1 ? kMaxEventTime - 2'000
                                   : kMinEventTime + 1;
    EventTime wm = kMinEventTime;
    const int keys = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < 400; ++i) {
      // Mostly small steps (sessions grow), now and then a silence longer
      // than the gap (a new session), and elements out of order by up to
      // twice the gap, some behind the watermark.
      if (rng() % 16 == 0) {
        clock = internal::SaturatingAdd(
            clock, gap + static_cast<int64_t>(rng() % (3 * gap + 1)));
      } else {
        clock = internal::SaturatingAdd(clock, static_cast<int64_t>(rng() % 3));
      }
      EventTime ts = internal::SaturatingAdd(
          clock, -static_cast<EventTime>(rng() % (2 * gap + 1)));
      if (ts == kMinEventTime) ts = kMinEventTime + 1;
      const int key = static_cast<int>(rng() % keys);
      const int64_t value = 1 + static_cast<int64_t>(rng() % 100);
      BROOK_REQUIRE_OK(fast.op->ProcessElement(key, value, ts));
      BROOK_REQUIRE_OK(merging.op->ProcessElement(key, value, ts));
      CheckSame(fast, merging);
      if (rng() % 5 == 0) {
        const EventTime next =
            internal::SaturatingAdd(clock, -static_cast<EventTime>(rng() % 10));
        if (next > wm) wm = next;
        fast.op->AdvanceWatermark(wm);
        merging.op->AdvanceWatermark(wm);
        CheckSame(fast, merging);
      }
      if (rng() % 50 == 0) {
        // The fast operator's saved state restores into a new one, which
        // saves the same bytes and goes on in its place.
        const std::string saved = fast.op->SaveState();
        std::unique_ptr<Op> restored = MakeOp(&fast, o, gap, late_output);
        BROOK_REQUIRE_OK(restored->RestoreState(saved));
        REQUIRE(restored->SaveState() == saved);
        fast.op = std::move(restored);
      }
    }
    fast.op->AdvanceWatermark(kMaxEventTime);
    merging.op->AdvanceWatermark(kMaxEventTime);
    // (Both may keep sessions whose cleanup time saturates at kMaxEventTime.)
    CheckSame(fast, merging);
  }
}

}  // namespace
}  // namespace brook
