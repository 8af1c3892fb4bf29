// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The window operator's logical state seam, reached through
// `internal::WindowOperatorAccess`: ExportState / ImportState round trips
// resume exactly, and inconsistent logical data is kDataLoss. (Saved bytes:
// window_state_test.cc and window_state_file_test.cc.)

#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <algorithm>
#include <cstdint>
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

namespace brook {
namespace {

constexpr int64_t kMax = kMaxEventTime;

using Fired = std::tuple<int, EventTime, EventTime, int64_t>;
using Count = CountAggregate<int64_t>;
using Op = WindowOperator<int, int64_t, Count>;
using Data = internal::WindowStateData<int, int64_t>;
using Access = internal::WindowOperatorAccess;

struct Harness {
  std::vector<Fired> fired;
  std::vector<std::tuple<int, int64_t, EventTime>> late;
  std::unique_ptr<Op> op;

  explicit Harness(const WindowOptions& options) {
    Op::Functions fns;
    fns.on_result = [this](const Op::Result& r) {
      fired.emplace_back(r.key, r.window.start_millis,
                         r.window.max_timestamp_millis, r.value);
    };
    fns.on_late = [this](const int& k, const int64_t& v, EventTime ts) {
      late.emplace_back(k, v, ts);
    };
    fns.session_gap = [](const int64_t& v) { return absl::Milliseconds(v); };
    auto made = Op::Create(options, Count(), std::move(fns));
    BROOK_REQUIRE_OK(made);
    op = *std::move(made);
  }
};

Data Export(const Op& op) {
  Data d;
  Access::ExportState(op, &d);
  std::sort(d.keys.begin(), d.keys.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  return d;
}

// A comparable rendering of logical state.
std::string Render(const Data& d) {
  std::string s = absl::StrCat("wm=", d.watermark_millis,
                               " dropped=", d.dropped_late_elements,
                               " late=", d.late_elements_emitted);
  if (d.sliced_next_window_start) {
    s += absl::StrCat(" next=", absl::Int128Low64(*d.sliced_next_window_start));
  }
  if (d.sliced_last_fired_start) {
    s += absl::StrCat(" fired=", absl::Int128Low64(*d.sliced_last_fired_start));
  }
  for (const auto& k : d.keys) {
    s += absl::StrCat("\nkey ", k.key, ":");
    for (const auto& w : k.windows) {
      s += absl::StrCat(" [", w.start_millis, ",", w.max_timestamp_millis,
                        "]=", w.has_contents ? absl::StrCat(w.acc) : "cleared",
                        "{");
      for (int64_t v : w.trigger_state) s += absl::StrCat(v, ";");
      s += "}";
    }
    for (const auto& t : k.timers) {
      s += absl::StrCat(" t", static_cast<int>(t.domain), "@", t.time_millis,
                        "[", t.window_start_millis, ",",
                        t.window_max_timestamp_millis, "]");
    }
  }
  return s;
}

struct Config {
  const char* name;
  WindowOptions options;
};

std::vector<Config> Configs(Env* env) {
  std::vector<Config> out;
  auto add = [&](const char* name, absl::StatusOr<WindowAssigner> a,
                 std::optional<Trigger> t, int64_t lateness,
                 bool slicing = true) {
    REQUIRE(a.ok());
    WindowOptions o;
    o.assigner = *a;
    o.trigger = t;
    o.allowed_lateness = absl::Milliseconds(lateness);
    o.use_slicing = slicing;
    o.env = env;
    out.push_back(Config{name, o});
  };
  auto count = Trigger::Count(3);
  auto continuous = Trigger::ContinuousEventTime(absl::Milliseconds(7));
  REQUIRE(count.ok());
  REQUIRE(continuous.ok());
  add("tumbling", WindowAssigner::Tumbling(absl::Milliseconds(10)),
      std::nullopt, 0);
  add("tumbling late 15",
      WindowAssigner::Tumbling(absl::Milliseconds(10), absl::Milliseconds(3)),
      std::nullopt, 15);
  add("sliding sliced late 8",
      WindowAssigner::Sliding(absl::Milliseconds(20), absl::Milliseconds(5)),
      std::nullopt, 8);
  add("sliding unsliced late 8",
      WindowAssigner::Sliding(absl::Milliseconds(20), absl::Milliseconds(5)),
      std::nullopt, 8, false);
  add("cumulate",
      WindowAssigner::Cumulate(absl::Milliseconds(20), absl::Milliseconds(5),
                               absl::Milliseconds(2)),
      std::nullopt, 4);
  add("cumulate unsliced",
      WindowAssigner::Cumulate(absl::Milliseconds(20), absl::Milliseconds(5),
                               absl::Milliseconds(2)),
      std::nullopt, 4, false);
  add("session late 5", WindowAssigner::Session(absl::Milliseconds(6)),
      std::nullopt, 5);
  add("dynamic session", WindowAssigner::DynamicSession(), std::nullopt, 0);
  add("global purging count", WindowAssigner::Global(),
      Trigger::Purging(*count), 0);
  add("tumbling count", WindowAssigner::Tumbling(absl::Milliseconds(30)),
      *count, 5);
  add("session continuous", WindowAssigner::Session(absl::Milliseconds(9)),
      *continuous, 3);
  add("tumbling purging", WindowAssigner::Tumbling(absl::Milliseconds(10)),
      Trigger::Purging(Trigger::EventTime()), 12);
  add("tumbling processing", WindowAssigner::Tumbling(absl::Milliseconds(10)),
      Trigger::ProcessingTime(), 0);
  return out;
}

struct Event {
  int key;
  EventTime ts;
  int64_t value;  // also the dynamic session gap
};

// Runs `events` with a watermark (and a clock tick) after every 5th; when
// `cut` >= 0, exports the state there, imports it into a fresh operator and
// goes on with that one.
std::vector<Fired> Run(const WindowOptions& o, ManualClockEnv& env,
                       const std::vector<Event>& events, int cut,
                       std::string* exported = nullptr) {
  env.SetNowMillis(0);
  std::vector<Fired> all;
  auto h = std::make_unique<Harness>(o);
  EventTime wm = kMinEventTime;
  for (int i = 0; i < static_cast<int>(events.size()); ++i) {
    if (i == cut) {
      const Data d = Export(*h->op);
      if (exported != nullptr) *exported = Render(d);
      for (auto& f : h->fired) all.push_back(f);
      h = std::make_unique<Harness>(o);
      BROOK_REQUIRE_OK(Access::ImportState(*h->op, d));
      CHECK(Render(Export(*h->op)) == Render(d));
    }
    BROOK_REQUIRE_OK(
        h->op->ProcessElement(events[i].key, events[i].value, events[i].ts));
    if (i % 5 == 4) {
      wm = std::max(wm, events[i].ts - 12);
      h->op->AdvanceWatermark(wm);
      env.SetNowMillis(events[i].ts - 5);
      h->op->AdvanceProcessingTime();
    }
  }
  h->op->AdvanceWatermark(kMax);
  env.SetNowMillis(kMax);
  h->op->AdvanceProcessingTime();
  for (auto& f : h->fired) all.push_back(f);
  // Per key in firing order. (Keys that fire at the same time fire in an
  // order the logical state does not keep, as in Flink.)
  std::stable_sort(all.begin(), all.end(), [](const Fired& a, const Fired& b) {
    return std::get<0>(a) < std::get<0>(b);
  });
  return all;
}

uint32_t Seed() {
  if (const char* s = std::getenv("BROOK_TEST_SEED")) {
    return static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
  }
  return std::random_device()();
}

TEST_CASE(
    "WindowState seam: export, import into a new operator, resume exactly",
    "[window][state]") {
  const uint32_t seed = Seed();
  std::printf("window state test seed: %u (BROOK_TEST_SEED=%u)\n", seed, seed);
  std::mt19937 rng(seed);
  ManualClockEnv env(0);
  for (const Config& c : Configs(&env)) {
    CAPTURE(c.name, seed);
    for (int round = 0; round < 4; ++round) {
      std::vector<Event> events;
      for (int i = 0; i < 120; ++i) {
        events.push_back(Event{static_cast<int>(rng() % 4),
                               i * 2 - 60 + static_cast<EventTime>(rng() % 30),
                               1 + static_cast<int64_t>(rng() % 8)});
      }
      const std::vector<Fired> straight = Run(c.options, env, events, -1);
      for (int cut : {1, 17, 40, 77, 119}) {
        CAPTURE(cut);
        std::string state;
        CHECK(Run(c.options, env, events, cut, &state) == straight);
        CAPTURE(state);
      }
    }
  }
}

TEST_CASE("WindowState seam: the shape names the options that shape state",
          "[window][state]") {
  WindowOptions o;
  o.assigner = *WindowAssigner::Sliding(absl::Milliseconds(60'000),
                                        absl::Milliseconds(1'000));
  o.allowed_lateness = absl::Milliseconds(5);
  Harness h(o);
  const internal::WindowStateShape shape = Access::Shape(*h.op);
  CHECK(shape.options ==
        std::vector<std::pair<std::string, std::string>>{
            {"assigner", "sliding(size=60000ms,slide=1000ms,offset=0ms)"},
            {"trigger", "event_time"},
            {"allowed_lateness", "5ms"},
            {"use_slicing", "true"},
            {"evictor", "none"}});
  auto count = CountWindowTrigger(4);
  REQUIRE(count.ok());
  o.assigner = WindowAssigner::Global();
  o.trigger = *count;
  o.use_slicing = false;
  Harness g(o);
  CHECK(Access::Shape(*g.op).options[0].second == "global");
  CHECK(Access::Shape(*g.op).options[1].second == "purging(count(4))");
  CHECK(Access::Shape(*g.op).options[3].second == "false");
}

// Imports `bad` and checks that it is kDataLoss naming `what`, and that the
// operator's state did not change.
void CheckRejected(Op& op, Data bad, const std::string& what) {
  const std::string before = Render(Export(op));
  absl::Status s = Access::ImportState(op, std::move(bad));
  CHECK(absl::IsDataLoss(s));
  CHECK_THAT(std::string(s.message()), Catch::Contains(what));
  CHECK(Render(Export(op)) == before);
}

TEST_CASE(
    "WindowState seam: inconsistent logical data is kDataLoss, nothing lost",
    "[window][state]") {
  SECTION("unsliced tumbling with a count trigger") {
    WindowOptions o;
    o.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(10));
    o.trigger = *Trigger::Count(5);
    o.allowed_lateness = absl::Milliseconds(3);
    Harness h(o);
    for (EventTime t : {1, 2, 15, 33})
      BROOK_REQUIRE_OK(h.op->ProcessElement(1, 1, t));
    BROOK_REQUIRE_OK(h.op->ProcessElement(2, 1, 4));
    h.op->AdvanceWatermark(3);
    const Data good = Export(*h.op);
    REQUIRE(good.keys.size() == 2);
    REQUIRE(good.keys[0].windows.size() == 3);
    {
      Data d = good;
      d.keys[0].windows[1].start_millis = 11;  // [11,19]: not tumbling
      CheckRejected(*h.op, d, "is not a window of tumbling(size=10ms");
    }
    {
      Data d = good;
      d.keys[0].windows[1].start_millis = 30;
      CheckRejected(*h.op, d, "ends before it starts");
    }
    {
      Data d = good;
      d.keys[1].key = 1;
      CheckRejected(*h.op, d, "appears twice");
    }
    {
      Data d = good;
      d.keys[0].windows[2] = d.keys[0].windows[1];
      CheckRejected(*h.op, d, "out of order or repeated");
    }
    {
      Data d = good;
      d.keys[0].windows[0].trigger_state.push_back(0);
      CheckRejected(*h.op, d, "a count trigger needs one count >= 0");
    }
    {
      Data d = good;
      d.keys[0].windows[0].trigger_state = {-1};
      CheckRejected(*h.op, d, "a count trigger needs one count >= 0");
    }
    {
      Data d = good;
      d.keys[0].windows.clear();
      d.keys[0].timers.clear();
      CheckRejected(*h.op, d, "holds no windows");
    }
    {
      Data d = good;
      d.keys[0].timers.push_back(
          Data::Timer{internal::TimerDomain::kEventTime, 12, 40, 49});
      CheckRejected(*h.op, d, "no such window");
    }
    {
      Data d = good;
      d.keys[0].timers.push_back(
          Data::Timer{internal::TimerDomain::kEventTime, 5, 0, 9});
      CheckRejected(*h.op, d, "event timers, but its windows and triggers");
    }
    {
      Data d = good;
      d.keys[0].timers.push_back(
          Data::Timer{internal::TimerDomain::kProcessingTime, 9, 0, 9});
      CheckRejected(*h.op, d, "processing-time");
    }
    {
      Data d = good;
      d.sliced_next_window_start = absl::int128(0);
      CheckRejected(*h.op, d, "operator without slicing");
    }
    {
      Data d = good;
      d.dropped_late_elements = -1;
      CheckRejected(*h.op, d, "late counters");
    }
    BROOK_REQUIRE_OK(Access::ImportState(*h.op, good));
    CHECK(Render(Export(*h.op)) == Render(good));
  }
  SECTION("a continuous trigger's early fire time is not after the end") {
    WindowOptions o;
    o.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(10));
    o.trigger = *Trigger::ContinuousEventTime(absl::Milliseconds(7));
    Harness h(o);
    BROOK_REQUIRE_OK(h.op->ProcessElement(1, 1, 1));
    const Data good = Export(*h.op);
    REQUIRE(good.keys[0].windows[0].trigger_state == std::vector<int64_t>{7});
    Data d = good;
    d.keys[0].windows[0].trigger_state = {12};  // window [0, 9]
    for (auto& t : d.keys[0].timers) {
      if (t.time_millis == 7) t.time_millis = 12;  // consistent timers
    }
    CheckRejected(*h.op, d, "an early fire time 12 after the window's end");
  }
  SECTION("a purging trigger's cleared window has no contents") {
    WindowOptions o;
    o.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(10));
    o.trigger =
        Trigger::Purging(*Trigger::ContinuousEventTime(absl::Milliseconds(4)));
    Harness h(o);
    BROOK_REQUIRE_OK(h.op->ProcessElement(1, 1, 1));
    h.op->AdvanceWatermark(4);  // early firing purges [0, 9]
    REQUIRE(h.fired.size() == 1);
    const Data good = Export(*h.op);
    REQUIRE(good.keys.size() == 1);
    CHECK_FALSE(good.keys[0].windows[0].has_contents);
    CHECK(good.keys[0].windows[0].trigger_state == std::vector<int64_t>{8});
    Harness to(o);
    BROOK_REQUIRE_OK(Access::ImportState(*to.op, good));
    to.op->AdvanceWatermark(kMax);
    CHECK(to.fired.empty());  // nothing arrived since the purge
  }
  SECTION("sessions must not overlap or touch") {
    WindowOptions o;
    o.assigner = *WindowAssigner::Session(absl::Milliseconds(10));
    Harness h(o);
    BROOK_REQUIRE_OK(h.op->ProcessElement(1, 1, 0));
    BROOK_REQUIRE_OK(h.op->ProcessElement(1, 1, 30));
    Data d = Export(*h.op);
    REQUIRE(d.keys[0].windows.size() == 2);
    d.keys[0].windows[1].start_millis = 10;  // touches [0,9]
    d.keys[0].timers.clear();
    CheckRejected(*h.op, d, "overlaps or touches");
  }
  SECTION("sliced: slices and window starts") {
    WindowOptions o;
    o.assigner = *WindowAssigner::Sliding(absl::Milliseconds(20),
                                          absl::Milliseconds(10));
    Harness h(o);
    REQUIRE(h.op->sliced());
    BROOK_REQUIRE_OK(h.op->ProcessElement(1, 1, 5));
    BROOK_REQUIRE_OK(h.op->ProcessElement(1, 1, 25));
    const Data good = Export(*h.op);
    REQUIRE(good.sliced_next_window_start.has_value());
    {
      Data d = good;
      d.keys[0].windows[0].max_timestamp_millis = 19;  // two panes
      CheckRejected(*h.op, d, "not a slice");
    }
    {
      Data d = good;
      d.sliced_next_window_start = absl::int128(3);
      CheckRejected(*h.op, d, "out of range or off the 10ms slide grid");
    }
    {
      Data d = good;
      d.sliced_next_window_start = absl::int128(1) << 80;
      CheckRejected(*h.op, d, "out of range or off the 10ms slide grid");
    }
    {
      Data d = good;
      d.keys[0].windows[0].trigger_state = {1};
      CheckRejected(*h.op, d, "trigger state");
    }
  }
}

}  // namespace
}  // namespace brook
