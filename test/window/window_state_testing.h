// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Shared by the window state tests: a table of operator configurations (every
// assigner and trigger kind, sliced and unsliced), a deterministic workload,
// and a harness that records what an operator emits, call by call, so that a
// run cut by save and restore can be compared with an uninterrupted one.

#ifndef BROOK_TEST_WINDOW_WINDOW_STATE_TESTING_H_
#define BROOK_TEST_WINDOW_WINDOW_STATE_TESTING_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/window.h"

#include "testing/status_testing.h"

namespace brook {
namespace testing {

using StateAgg = SumAggregate<int64_t>;
using StateOp = WindowOperator<std::string, int64_t, StateAgg>;

// One output: (call, key, start, max_timestamp, value) for a result, and
// (call, key, -1, ts, value) for a late element. `call` counts the calls
// into the operator, so that outputs of one call can be compared as a set:
// windows of different keys due at the same time may fire in another order
// after a restore (the operator's key slots are not saved).
using Output = std::tuple<int64_t, std::string, int64_t, int64_t, int64_t>;

struct StateConfig {
  std::string name;
  WindowOptions options;
  bool dynamic_gap = false;
  // False where today's operator depends on how it orders a key's windows in
  // memory, which saved state does not keep: a session merge keeps the
  // processing-time timer of the session listed first (Flink's trigger
  // re-registers one for the merged window instead).
  bool exact_resume = true;
};

inline std::vector<StateConfig> StateConfigs(Env* env) {
  std::vector<StateConfig> out;
  auto add = [&](std::string name, WindowAssigner a,
                 std::optional<Trigger> t = std::nullopt, int64_t lateness = 0,
                 bool slicing = true, bool gap = false) {
    WindowOptions o;
    o.assigner = a;
    o.trigger = t;
    o.allowed_lateness = absl::Milliseconds(lateness);
    o.use_slicing = slicing;
    o.env = env;
    out.push_back(StateConfig{std::move(name), o, gap, true});
  };
  add("tumbling", *WindowAssigner::Tumbling(absl::Milliseconds(10)),
      std::nullopt, 5);
  add("tumbling_offset_count",
      *WindowAssigner::Tumbling(absl::Milliseconds(20), absl::Milliseconds(3)),
      *Trigger::Count(3));
  add("tumbling_purging_count",
      *WindowAssigner::Tumbling(absl::Milliseconds(20)),
      Trigger::Purging(*Trigger::Count(3)), 4);
  add("sliding_sliced",
      *WindowAssigner::Sliding(absl::Milliseconds(30), absl::Milliseconds(10)),
      std::nullopt, 5);
  add("sliding_unsliced",
      *WindowAssigner::Sliding(absl::Milliseconds(30), absl::Milliseconds(10)),
      std::nullopt, 5, false);
  add("sliding_gaps",
      *WindowAssigner::Sliding(absl::Milliseconds(10), absl::Milliseconds(15),
                               absl::Milliseconds(2)),
      std::nullopt, 3);
  add("session", *WindowAssigner::Session(absl::Milliseconds(4)), std::nullopt,
      3);
  add("dynamic_session", WindowAssigner::DynamicSession(), std::nullopt, 2,
      true, true);
  add("cumulate",
      *WindowAssigner::Cumulate(absl::Milliseconds(40), absl::Milliseconds(10)),
      std::nullopt, 5);
  add("cumulate_unsliced",
      *WindowAssigner::Cumulate(absl::Milliseconds(40), absl::Milliseconds(10)),
      std::nullopt, 5, false);
  add("global_count", WindowAssigner::Global(), *CountWindowTrigger(4));
  add("continuous", *WindowAssigner::Tumbling(absl::Milliseconds(50)),
      *Trigger::ContinuousEventTime(absl::Milliseconds(15)), 5);
  add("continuous_aligned", *WindowAssigner::Tumbling(absl::Milliseconds(60)),
      *Trigger::ContinuousEventTime(absl::Milliseconds(15)));
  add("session_continuous", *WindowAssigner::Session(absl::Milliseconds(6)),
      *Trigger::ContinuousEventTime(absl::Milliseconds(5)));
  add("purging_continuous", *WindowAssigner::Tumbling(absl::Milliseconds(40)),
      Trigger::Purging(*Trigger::ContinuousEventTime(absl::Milliseconds(10))),
      6);
  add("processing_time", *WindowAssigner::Tumbling(absl::Milliseconds(20)),
      Trigger::ProcessingTime(), 10);
  add("session_processing_time",
      *WindowAssigner::Session(absl::Milliseconds(5)),
      Trigger::ProcessingTime());
  out.back().exact_resume = false;
  add("purging_event_time",
      *WindowAssigner::Sliding(absl::Milliseconds(20), absl::Milliseconds(10)),
      Trigger::Purging(Trigger::EventTime()), 10);
  add("never", *WindowAssigner::Tumbling(absl::Milliseconds(10)),
      Trigger::Never(), 100);
  return out;
}

// Drives a `StateOp` and records its outputs.
struct StateHarness {
  std::vector<Output> out;
  int64_t calls = 0;
  std::unique_ptr<StateOp> op;

  explicit StateHarness(const StateConfig& c) {
    StateOp::Functions fns;
    fns.on_result = [this](const StateOp::Result& r) {
      out.emplace_back(calls, r.key, r.window.start_millis,
                       r.window.max_timestamp_millis, r.value);
    };
    fns.on_late = [this](const std::string& k, const int64_t& v, EventTime t) {
      out.emplace_back(calls, k, -1, t, v);
    };
    if (c.dynamic_gap) {
      fns.session_gap = [](const int64_t& v) {
        return absl::Milliseconds(1 + v % 5);
      };
    }
    auto made = StateOp::Create(c.options, StateAgg(), std::move(fns));
    REQUIRE(made.ok());
    op = *std::move(made);
  }
  // Outputs sorted within each call.
  std::vector<Output> Sorted() const {
    std::vector<Output> s = out;
    std::sort(s.begin(), s.end());
    return s;
  }
};

// One step of the workload: an element, a watermark or a processing-time
// tick.
struct Step {
  enum Kind { kElement, kWatermark, kTick } kind;
  std::string key;
  int64_t value = 0;
  int64_t time = 0;
};

// `n` elements over 5 keys, out of order and sometimes late, with
// a watermark and a clock tick every 9 elements. Times start at `from`.
inline std::vector<Step> StateWorkload(int n, int64_t from, uint64_t seed) {
  std::vector<Step> steps;
  uint64_t x = seed;
  int64_t wm = from - 1000;
  for (int i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t ts = from + i * 2 + static_cast<int64_t>((x >> 33) % 40);
    // Now and then an element behind the watermark: within the allowed
    // lateness of some configurations (a late firing), beyond it in others.
    if (i % 13 == 12) ts -= 30 + static_cast<int64_t>((x >> 50) % 30);
    steps.push_back(Step{Step::kElement, absl::StrCat("k", (x >> 20) % 5),
                         static_cast<int64_t>(1 + (x >> 40) % 7), ts});
    if (i % 9 == 8) {
      wm = std::max(wm, ts - 15);
      steps.push_back(Step{Step::kWatermark, "", 0, wm});
      steps.push_back(Step{Step::kTick, "", 0, 7});
    }
  }
  return steps;
}

// Runs `step` on `h`; a tick moves `env` by step.time ms first.
inline void RunStep(StateHarness& h, ManualClockEnv& env, const Step& step) {
  ++h.calls;
  switch (step.kind) {
    case Step::kElement:
      BROOK_REQUIRE_OK(h.op->ProcessElement(step.key, step.value, step.time));
      break;
    case Step::kWatermark:
      h.op->AdvanceWatermark(step.time);
      break;
    case Step::kTick:
      env.Advance(absl::Milliseconds(step.time));
      h.op->AdvanceProcessingTime();
      break;
  }
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_WINDOW_WINDOW_STATE_TESTING_H_
