// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Cumulate windows on the sliced path (internal/window_cumulate_impl.h)
// against the unsliced path: the same results, late outputs and counters,
// call by call, for random elements and watermarks, across save and restore
// of either path's state; and the restore rules of
// lib/window/WINDOW_STATE_FORMAT.md ("Cumulate windows and `use_slicing`").
// Seed: BROOK_TEST_SEED, else random (printed).

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

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/window.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

using SumAgg = SumAggregate<int64_t>;
using Op = WindowOperator<int, int64_t, SumAgg>;
// (key, start, max, value) for a result; (key, -1, ts, value) for a late
// element.
using Out = std::tuple<int, int64_t, int64_t, int64_t>;

uint64_t Seed() {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("BROOK_TEST_SEED")) {  // NOLINT
    seed = std::strtoull(s, nullptr, 10);
  }
  std::printf("cumulate sliced test seed: %llu (BROOK_TEST_SEED=%llu)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  return seed;
}

// An operator and what it emitted in the current call.
struct Run {
  std::unique_ptr<Op> op;
  std::vector<Out> out;
};

std::unique_ptr<Run> MakeRun(const WindowOptions& o) {
  auto run = std::make_unique<Run>();
  Op::Functions fns;
  Run* r = run.get();
  fns.on_result = [r](const WindowResult<int, int64_t>& w) {
    r->out.emplace_back(w.key, w.window.start_millis,
                        w.window.max_timestamp_millis, w.value);
  };
  fns.on_late = [r](const int& k, const int64_t& v, EventTime ts) {
    r->out.emplace_back(k, -1, ts, v);
  };
  auto op = Op::Create(o, SumAgg(), std::move(fns));
  REQUIRE(op.ok());
  run->op = *std::move(op);
  return run;
}

// A call's outputs: results come by window end ascending (ties: any key
// order, since key slots differ between the paths), so compare them sorted
// after checking that order.
std::vector<Out> Take(Run& r) {
  std::vector<Out> out = std::move(r.out);
  r.out.clear();
  for (size_t i = 1; i < out.size(); ++i) {
    if (std::get<1>(out[i]) == -1 || std::get<1>(out[i - 1]) == -1) continue;
    INFO("results out of end order at " << i);
    REQUIRE(std::get<2>(out[i - 1]) <= std::get<2>(out[i]));
  }
  std::sort(out.begin(), out.end());
  return out;
}

WindowOptions Options(int64_t max_size, int64_t step, int64_t offset,
                      int64_t lateness, bool slicing) {
  WindowOptions o;
  o.assigner = *WindowAssigner::Cumulate(absl::Milliseconds(max_size),
                                         absl::Milliseconds(step),
                                         absl::Milliseconds(offset));
  o.allowed_lateness = absl::Milliseconds(lateness);
  o.use_slicing = slicing;
  return o;
}

TEST_CASE(
    "Cumulate sliced: every output and every saved state agree with the "
    "unsliced path",
    "[window][cumulate][property]") {
  const uint64_t seed = Seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  struct Shape {
    int64_t max_size, step, offset, lateness;
  };
  const Shape shapes[] = {{30, 10, 0, 0}, {40, 10, 0, 5},     {40, 10, -7, 13},
                          {12, 4, 3, 40}, {50, 50, 0, 3},     {90, 3, 2, 7},
                          {25, 5, 24, 0}, {100, 10, -99, 250}};
  const EventTime bases[] = {-500, 1'000'000, kMaxEventTime - 400,
                             kMinEventTime + 200};
  for (int round = 0; round < 64; ++round) {
    const Shape& s = shapes[round % 8];
    const EventTime base = bases[(round / 8) % 4];
    CAPTURE(round, s.max_size, s.step, s.offset, s.lateness, base);
    const WindowOptions sliced_opts =
        Options(s.max_size, s.step, s.offset, s.lateness, true);
    const WindowOptions unsliced_opts =
        Options(s.max_size, s.step, s.offset, s.lateness, false);
    // sliced: the sliced path; plain: the unsliced one (the reference);
    // adopted: an operator that would slice running a restored unsliced
    // state (null until the first save).
    std::unique_ptr<Run> sliced = MakeRun(sliced_opts);
    std::unique_ptr<Run> plain = MakeRun(unsliced_opts);
    std::unique_ptr<Run> adopted;
    REQUIRE(sliced->op->sliced());
    REQUIRE_FALSE(plain->op->sliced());
    const int keys = round % 3 == 2 ? 70 : 3;
    const int64_t disorder = (round / 2) % 2 == 0 ? 6 : 60;
    EventTime clock = base, wm = kMinEventTime;
    for (int i = 0; i < 400; ++i) {
      CAPTURE(i);
      const uint64_t r = rng();
      if (r % 7 == 0) {
        // A watermark, sometimes past windows' ends and cleanup at once.
        EventTime next = clock - static_cast<EventTime>(rng() % 40);
        if (rng() % 25 == 0) {
          // Saturating: the clock may run within 200 ms of the maximum.
          const EventTime jump = static_cast<EventTime>(rng() % 200);
          next = clock < kMaxEventTime - jump ? clock + jump : kMaxEventTime;
        }
        wm = std::max(wm, std::min(next, kMaxEventTime));
        for (Run* x : {sliced.get(), plain.get(), adopted.get()}) {
          if (x != nullptr) x->op->AdvanceWatermark(wm);
        }
      } else {
        if (clock < kMaxEventTime - 100) {
          clock += static_cast<EventTime>(rng() % 3);
          if (rng() % 50 == 0) clock += static_cast<EventTime>(rng() % 90);
        }
        EventTime ts = clock - static_cast<EventTime>(rng() % (disorder + 1));
        ts = std::max(ts, kMinEventTime + 1);
        const int key = static_cast<int>(rng() % keys);
        const int64_t v = static_cast<int64_t>(rng() % 100) + 1;
        for (Run* x : {sliced.get(), plain.get(), adopted.get()}) {
          if (x != nullptr) BROOK_REQUIRE_OK(x->op->ProcessElement(key, v, ts));
        }
      }
      const std::vector<Out> want = Take(*plain);
      REQUIRE(Take(*sliced) == want);
      if (adopted != nullptr) REQUIRE(Take(*adopted) == want);
      REQUIRE(sliced->op->dropped_late_elements() ==
              plain->op->dropped_late_elements());
      REQUIRE(sliced->op->late_elements_emitted() ==
              plain->op->late_elements_emitted());
      if (wm < kMaxEventTime - 1000) {
        REQUIRE(sliced->op->key_count() == plain->op->key_count());
      }
      if (rng() % 16 != 0) continue;
      // Save both; each restores into a fresh operator (which then runs on
      // in its place), saves the same bytes again, and the paths' states
      // cross as the format says.
      const std::string a = sliced->op->SaveState();
      const std::string b = plain->op->SaveState();
      std::unique_ptr<Run> a2 = MakeRun(sliced_opts);
      BROOK_REQUIRE_OK(a2->op->RestoreState(a));
      REQUIRE(a2->op->sliced());
      REQUIRE(a2->op->SaveState() == a);
      std::unique_ptr<Run> b2 = MakeRun(unsliced_opts);
      BROOK_REQUIRE_OK(b2->op->RestoreState(b));
      REQUIRE(b2->op->SaveState() == b);
      // The unsliced state into an operator that would slice: accepted, run
      // unsliced.
      std::unique_ptr<Run> c = MakeRun(sliced_opts);
      BROOK_REQUIRE_OK(c->op->RestoreState(b));
      REQUIRE_FALSE(c->op->sliced());
      REQUIRE(c->op->SaveState() == b);
      // The sliced state into an operator without slicing: refused, naming
      // use_slicing, and the operator is unchanged.
      const absl::Status refused = b2->op->RestoreState(a);
      REQUIRE(absl::IsInvalidArgument(refused));
      REQUIRE(absl::StrContains(refused.message(), "use_slicing"));
      REQUIRE(b2->op->SaveState() == b);
      sliced = std::move(a2);
      plain = std::move(b2);
      adopted = std::move(c);
    }
    for (Run* x : {sliced.get(), plain.get(), adopted.get()}) {
      if (x != nullptr) x->op->AdvanceWatermark(kMaxEventTime);
    }
    const std::vector<Out> want = Take(*plain);
    REQUIRE(Take(*sliced) == want);
    if (adopted != nullptr) REQUIRE(Take(*adopted) == want);
    CHECK(sliced->op->key_count() == 0);
    CHECK(sliced->op->live_state_count() == 0);
  }
}

// Flink SQL's CUMULATE on the sliced path: windows of an epoch fire by end
// ascending, each the epoch's first k panes; a late element re-fires the
// complete windows holding it (end ascending) and joins the pending one.
TEST_CASE("Cumulate sliced: panes, firing order and late re-firing",
          "[window][cumulate]") {
  std::unique_ptr<Run> r = MakeRun(Options(30, 10, 0, 15, true));
  Op& op = *r->op;
  BROOK_REQUIRE_OK(op.ProcessElement(1, 1, 3));
  BROOK_REQUIRE_OK(op.ProcessElement(1, 10, 25));
  BROOK_REQUIRE_OK(op.ProcessElement(2, 100, 12));
  CHECK(op.live_state_count() == 3);  // panes [0,10), [10,20), [20,30)
  op.AdvanceWatermark(19);
  CHECK(r->out ==
        std::vector<Out>{{1, 0, 9, 1}, {1, 0, 19, 1}, {2, 0, 19, 100}});
  r->out.clear();
  // Late for [0, 9] and [0, 19] (within lateness): both fire again at once,
  // end ascending; [0, 29] gets it when it fires.
  BROOK_REQUIRE_OK(op.ProcessElement(1, 1000, 5));
  CHECK(r->out == std::vector<Out>{{1, 0, 9, 1001}, {1, 0, 19, 1001}});
  r->out.clear();
  op.AdvanceWatermark(29);
  CHECK(Take(*r) == std::vector<Out>{{1, 0, 29, 1011}, {2, 0, 29, 100}});
  // [0, 9] is past cleanup (9 + 15 <= 29): an element at 4 skips it.
  BROOK_REQUIRE_OK(op.ProcessElement(2, 7, 4));
  CHECK(r->out == std::vector<Out>{{2, 0, 19, 107}, {2, 0, 29, 107}});
  r->out.clear();
  op.AdvanceWatermark(44);  // every window of the epoch past cleanup
  CHECK(op.key_count() == 0);
  BROOK_REQUIRE_OK(op.ProcessElement(2, 9, 29));
  CHECK(r->out == std::vector<Out>{{2, -1, 29, 9}});
  CHECK(op.late_elements_emitted() == 1);
}

// Near the int64 maximum the epoch's later windows clamp to the same window
// [epoch, max]; it is one window, and holds each element once.
TEST_CASE("Cumulate sliced: windows clamped at the int64 maximum",
          "[window][cumulate]") {
  for (bool slicing : {true, false}) {
    CAPTURE(slicing);
    // Epochs of 30 from 0: the last starts at kMax - 7 (kMax % 30 == 7), its
    // first window is [kMax - 7, kMax + 2] clamped.
    const EventTime epoch = kMaxEventTime - kMaxEventTime % 30;
    std::unique_ptr<Run> r = MakeRun(Options(30, 10, 0, 0, slicing));
    BROOK_REQUIRE_OK(r->op->ProcessElement(1, 5, kMaxEventTime - 1));
    BROOK_REQUIRE_OK(r->op->ProcessElement(1, 6, epoch - 1));  // last pane
    r->op->AdvanceWatermark(kMaxEventTime);
    CHECK(Take(*r) == std::vector<Out>{{1, epoch - 30, epoch - 1, 6},
                                       {1, epoch, kMaxEventTime, 5}});
  }
}

TEST_CASE("Cumulate sliced: an element near the int64 minimum",
          "[window][cumulate]") {
  for (bool slicing : {true, false}) {
    CAPTURE(slicing);
    // Epoch of 30 holding kMin + 1 starts below kMin; its windows are
    // clamped to start at kMin.
    std::unique_ptr<Run> r = MakeRun(Options(30, 10, 0, 5, slicing));
    BROOK_REQUIRE_OK(r->op->ProcessElement(1, 5, kMinEventTime + 1));
    const std::string saved = r->op->SaveState();
    std::unique_ptr<Run> back = MakeRun(Options(30, 10, 0, 5, slicing));
    BROOK_REQUIRE_OK(back->op->RestoreState(saved));
    back->op->AdvanceWatermark(kMaxEventTime);
    r->op->AdvanceWatermark(kMaxEventTime);
    const std::vector<Out> got = Take(*r);
    CHECK(Take(*back) == got);
    // kMin % 30 == -8: the epoch is [kMin - 22, kMin + 8), its windows end at
    // kMin - 13 (none: before the element), kMin - 3 (idem) and kMin + 7.
    CHECK(got == std::vector<Out>{{1, kMinEventTime, kMinEventTime + 7, 5}});
  }
}

TEST_CASE(
    "Cumulate sliced: saved state is format version 2 with its next "
    "window, unsliced stays version 1",
    "[window][cumulate][state]") {
  std::unique_ptr<Run> s = MakeRun(Options(40, 10, 0, 5, true));
  std::unique_ptr<Run> u = MakeRun(Options(40, 10, 0, 5, false));
  for (Run* r : {s.get(), u.get()}) {
    BROOK_REQUIRE_OK(r->op->ProcessElement(1, 1, 12));
    r->op->AdvanceWatermark(25);
  }
  const std::string a = s->op->SaveState(), b = u->op->SaveState();
  REQUIRE(a.size() > 8);
  CHECK(a[4] == 2);
  CHECK(b[4] == 1);
  CHECK(absl::StrContains(a, "use_slicing"));
  internal::WindowStateShape shape;
  internal::WindowStateData<int, int64_t> data;
  BROOK_REQUIRE_OK(
      (internal::DecodeWindowState<int, int64_t,
                                   internal::AccumulatorCodec<SumAgg>>(
          a, &shape, &data)));
  REQUIRE(data.sliced_next_window_start.has_value());
  REQUIRE(data.sliced_next_window_max.has_value());
  CHECK(*data.sliced_next_window_start == 0);
  CHECK(*data.sliced_next_window_max == 29);  // [0, 19] fired at 25
  CHECK_FALSE(data.sliced_last_fired_start.has_value());
  REQUIRE(data.keys.size() == 1);
  REQUIRE(data.keys[0].windows.size() == 1);  // the pane [10, 19]
  CHECK(data.keys[0].windows[0].start_millis == 10);
  CHECK(data.keys[0].windows[0].max_timestamp_millis == 19);
}

// Logically inconsistent sliced cumulate states are kDataLoss and change
// nothing.
TEST_CASE("Cumulate sliced: inconsistent next windows are refused",
          "[window][cumulate][state]") {
  std::unique_ptr<Run> s = MakeRun(Options(40, 10, 0, 5, true));
  BROOK_REQUIRE_OK(s->op->ProcessElement(1, 1, 12));
  s->op->AdvanceWatermark(25);
  using Data = internal::WindowStateData<int, int64_t>;
  Data good;
  internal::WindowOperatorAccess::ExportState(*s->op, &good);
  const std::string before = s->op->SaveState();
  struct Case {
    const char* what;
    void (*mutate)(Data*);
  };
  const Case cases[] = {
      {"off the 40ms grid", [](Data* d) { d->sliced_next_window_start = 10; }},
      {"is not a whole number",
       [](Data* d) { d->sliced_next_window_max = 34; }},
      {"is not a whole number",
       [](Data* d) { d->sliced_next_window_max = 49; }},
      {"at or before the watermark",
       [](Data* d) { d->sliced_next_window_max = 19; }},
      {"must come together",
       [](Data* d) { d->sliced_next_window_max.reset(); }},
      {"before the next window",
       [](Data* d) {
         d->sliced_next_window_start.reset();
         d->sliced_next_window_max.reset();
       }},
      {"past its cleanup", [](Data* d) { d->watermark_millis = 26; }},
      {"last fired", [](Data* d) { d->sliced_last_fired_start = 0; }},
      {"is not a slice",
       [](Data* d) { d->keys[0].windows[0].max_timestamp_millis = 18; }},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    Data d = good;
    c.mutate(&d);
    if (std::string(c.what) == "past its cleanup") {
      d.watermark_millis = 45;  // the epoch's last window [0, 39] + 5
      d.sliced_next_window_start.reset();
      d.sliced_next_window_max.reset();
    }
    const absl::Status st =
        internal::WindowOperatorAccess::ImportState(*s->op, std::move(d));
    CHECK(absl::IsDataLoss(st));
    CHECK(absl::StrContains(st.message(), c.what));
    CHECK(s->op->SaveState() == before);
  }
}

}  // namespace
}  // namespace brook
