// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Evictors in the window operator (window_evictor.h), one test per rule of
// Flink's EvictingWindowOperator, CountEvictor and TimeEvictor; and the saved
// state of an evicting operator (its windows' elements).

#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/types/span.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/window.h"

#include "testing/status_testing.h"
#include "window/window_state_testing.h"

namespace brook {
namespace {

using Values = std::vector<int64_t>;

// Emits the elements a firing aggregates, in the order the aggregate sees
// them (Flink's ProcessWindowFunction over the evicted contents).
struct ListFn {
  Values operator()(const int&, const TimeWindow&,
                    absl::Span<const int64_t> v) const {
    return Values(v.begin(), v.end());
  }
};
using ListAgg = FullWindowAggregate<int64_t, ListFn>;
using ListOp = WindowOperator<int, int64_t, ListAgg>;
// (key, start, max_timestamp, elements)
using Fired = std::tuple<int, EventTime, EventTime, Values>;

struct Harness {
  std::vector<Fired> fired;
  std::unique_ptr<ListOp> op;

  explicit Harness(const WindowOptions& options) {
    ListOp::Functions fns;
    fns.on_result = [this](const ListOp::Result& r) {
      fired.emplace_back(r.key, r.window.start_millis,
                         r.window.max_timestamp_millis, r.value);
    };
    auto made = ListOp::Create(options, ListAgg{}, std::move(fns));
    BROOK_REQUIRE_OK(made);
    op = *std::move(made);
  }
  // An element whose value is `v`, at `ts`.
  void Add(int64_t v, EventTime ts, int key = 1) {
    BROOK_REQUIRE_OK(op->ProcessElement(key, v, ts));
  }
  std::vector<Fired> Take() {
    std::vector<Fired> out;
    out.swap(fired);
    return out;
  }
};

WindowOptions Options(absl::StatusOr<WindowAssigner> assigner,
                      std::optional<Trigger> trigger,
                      absl::StatusOr<Evictor> evictor, int64_t lateness = 0) {
  BROOK_REQUIRE_OK(assigner);
  BROOK_REQUIRE_OK(evictor);
  WindowOptions o;
  o.assigner = *assigner;
  o.trigger = trigger;
  o.evictor = *evictor;
  o.allowed_lateness = absl::Milliseconds(lateness);
  return o;
}

constexpr EventTime kMin = kMinEventTime;
constexpr EventTime kMax = kMaxEventTime;

TEST_CASE(
    "Evictor: countWindow(size, slide) is global windows, a count trigger "
    "and a count evictor before (Flink's sliding count window)",
    "[window][evictor]") {
  // Flink's KeyedStream.countWindow(3, 2): GlobalWindows, CountTrigger.of(2),
  // CountEvictor.of(3): every 2 elements, the last 3.
  Harness h(
      Options(WindowAssigner::Global(), *Trigger::Count(2), Evictor::Count(3)));
  for (int64_t v = 1; v <= 7; ++v) h.Add(v, v);
  CHECK(h.Take() == std::vector<Fired>{{1, kMin, kMax, {1, 2}},
                                       {1, kMin, kMax, {2, 3, 4}},
                                       {1, kMin, kMax, {4, 5, 6}}});
  CHECK(h.op->sliced() == false);
}

TEST_CASE(
    "Evictor: a count evictor after the function sees every element and "
    "keeps the last max_count (Flink's CountEvictor doEvictAfter)",
    "[window][evictor]") {
  Harness h(Options(WindowAssigner::Global(), *Trigger::Count(2),
                    Evictor::Count(1, /*evict_after=*/true)));
  for (int64_t v = 1; v <= 6; ++v) h.Add(v, v);
  CHECK(h.Take() == std::vector<Fired>{{1, kMin, kMax, {1, 2}},
                                       {1, kMin, kMax, {2, 3, 4}},
                                       {1, kMin, kMax, {4, 5, 6}}});
}

TEST_CASE(
    "Evictor: a time evictor before removes elements at or before the newest "
    "timestamp - size, out-of-order ones too, keeping insertion order "
    "(Flink's TimeEvictor)",
    "[window][evictor]") {
  Harness h(Options(WindowAssigner::Tumbling(absl::Milliseconds(10)),
                    std::nullopt, Evictor::Time(absl::Milliseconds(3))));
  // Out of order: the newest is 9, the cutoff 6; 7 stays, 6 goes.
  for (int64_t ts : {5, 1, 9, 3, 7, 6}) h.Add(ts, ts);
  h.Add(12, 12);  // next window
  h.op->AdvanceWatermark(9);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, {9, 7}}});
  h.op->AdvanceWatermark(19);
  CHECK(h.Take() == std::vector<Fired>{{1, 10, 19, {12}}});
}

TEST_CASE(
    "Evictor: a time evictor after, with allowed lateness: a late firing "
    "sees the elements the last firing kept (Flink's EvictingWindowOperator "
    "writes the remaining elements back)",
    "[window][evictor]") {
  Harness h(
      Options(WindowAssigner::Tumbling(absl::Milliseconds(10)), std::nullopt,
              Evictor::Time(absl::Milliseconds(3), /*evict_after=*/true), 100));
  for (int64_t ts : {5, 1, 9}) h.Add(ts, ts);
  h.op->AdvanceWatermark(9);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, {5, 1, 9}}});  // keeps 9
  // Late but within the lateness: fires at once (window.h rule 3) over the
  // kept 9 and itself; evicting after drops 2 (9 - 3 = 6 >= 2).
  h.Add(2, 2);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, {9, 2}}});
  h.Add(8, 8);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, {9, 8}}});
  CHECK(h.op->live_state_count() == 1);
  h.op->AdvanceWatermark(109);  // cleanup time: state dropped, no firing
  CHECK(h.Take().empty());
  CHECK(h.op->live_state_count() == 0);
  CHECK(h.op->key_count() == 0);
}

TEST_CASE(
    "Evictor: a firing whose elements are all evicted before emits the empty "
    "accumulator's result (Flink's function sees an empty iterable)",
    "[window][evictor]") {
  using CountOp = WindowOperator<int, int64_t, CountAggregate<int64_t>>;
  std::vector<int64_t> counts;
  auto made = MakeWindowOperator<int, int64_t>(
      Options(WindowAssigner::Tumbling(absl::Milliseconds(10)), std::nullopt,
              Evictor::Time(absl::ZeroDuration())),
      CountAggregate<int64_t>(),
      [&](const CountOp::Result& r) { counts.push_back(r.value); });
  BROOK_REQUIRE_OK(made);
  BROOK_REQUIRE_OK((*made)->ProcessElement(1, 0, 3));
  BROOK_REQUIRE_OK((*made)->ProcessElement(1, 0, 4));
  (*made)->AdvanceWatermark(9);
  CHECK(counts == std::vector<int64_t>{0});
}

TEST_CASE(
    "Evictor: a window that a firing emptied emits nothing at its next "
    "firing until an element arrives (Flink: no list state, no call)",
    "[window][evictor]") {
  // Continuous firings every 3 ms; evicting after with size 0 empties the
  // window at each firing.
  Harness h(Options(WindowAssigner::Tumbling(absl::Milliseconds(10)),
                    *Trigger::ContinuousEventTime(absl::Milliseconds(3)),
                    Evictor::Time(absl::ZeroDuration(), true)));
  h.Add(1, 1);
  h.op->AdvanceWatermark(3);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, {1}}});
  h.op->AdvanceWatermark(6);
  CHECK(h.Take().empty());
  h.Add(7, 7);
  h.op->AdvanceWatermark(9);
  CHECK(h.Take() == std::vector<Fired>{{1, 0, 9, {7}}});
}

TEST_CASE(
    "Evictor: merged sessions concatenate their element lists, oldest "
    "session first, the new element last (Flink's mergeNamespaces of the "
    "list state)",
    "[window][evictor]") {
  for (int64_t keep : {10, 3}) {
    CAPTURE(keep);
    Harness h(Options(WindowAssigner::Session(absl::Milliseconds(10)),
                      std::nullopt, Evictor::Count(keep)));
    // The later session first, so that it is the one the merge keeps.
    h.Add(1, 20);
    h.Add(2, 21);  // [20, 30]
    h.Add(3, 0);
    h.Add(4, 1);   // [0, 10]
    h.Add(5, 11);  // [11, 20] touches both: [0, 30]
    h.op->AdvanceWatermark(30);
    const Values all = {3, 4, 1, 2, 5};
    const Values expected =
        keep == 10 ? all : Values(all.end() - keep, all.end());
    CHECK(h.Take() == std::vector<Fired>{{1, 0, 30, expected}});
  }
}

TEST_CASE(
    "Evictor: a purging trigger clears the elements after the firing, so "
    "the evictor never sees an earlier firing's elements (Flink: PURGE "
    "clears the list state)",
    "[window][evictor]") {
  Harness h(Options(WindowAssigner::Global(),
                    Trigger::Purging(*Trigger::Count(3)), Evictor::Count(2)));
  for (int64_t v = 1; v <= 7; ++v) h.Add(v, v);
  CHECK(h.Take() ==
        std::vector<Fired>{{1, kMin, kMax, {2, 3}}, {1, kMin, kMax, {5, 6}}});
}

TEST_CASE("Evictor: option errors are kInvalidArgument naming the option",
          "[window][evictor]") {
  auto count0 = Evictor::Count(0);
  BROOK_CHECK_CODE(count0, kInvalidArgument);
  CHECK(absl::StrContains(count0.status().message(), "max_count"));
  BROOK_CHECK_CODE(Evictor::Count(-5), kInvalidArgument);
  auto negative = Evictor::Time(absl::Milliseconds(-1));
  BROOK_CHECK_CODE(negative, kInvalidArgument);
  CHECK(absl::StrContains(negative.status().message(), "window_size"));
  auto fraction = Evictor::Time(absl::Microseconds(1500));
  BROOK_CHECK_CODE(fraction, kInvalidArgument);
  CHECK(absl::StrContains(fraction.status().message(), "window_size"));
  BROOK_CHECK_OK(Evictor::Count(1));
  BROOK_CHECK_OK(Evictor::Time(absl::ZeroDuration()));
}

// An element type without a Codec.
struct Opaque {
  int64_t v = 0;
};

TEST_CASE(
    "Evictor: an element type without Codec<In> is refused an evictor at "
    "Create(), and compiles and saves state without one",
    "[window][evictor]") {
  using OpaqueOp = WindowOperator<int, Opaque, CountAggregate<Opaque>>;
  OpaqueOp::Functions fns;
  fns.on_result = [](const OpaqueOp::Result&) {};
  WindowOptions o;
  o.evictor = *Evictor::Count(2);
  auto refused = OpaqueOp::Create(o, CountAggregate<Opaque>(), fns);
  BROOK_CHECK_CODE(refused, kInvalidArgument);
  CHECK(absl::StrContains(refused.status().message(), "Codec<In>"));
  o.evictor.reset();
  auto made = OpaqueOp::Create(o, CountAggregate<Opaque>(), fns);
  BROOK_REQUIRE_OK(made);
  BROOK_REQUIRE_OK((*made)->ProcessElement(1, Opaque{}, 5));
  BROOK_CHECK_OK((*made)->RestoreState((*made)->SaveState()));
  CHECK((*made)->live_state_count() == 1);
  static_assert(internal::HasCodec<int64_t>::value);
  static_assert(internal::HasCodec<std::vector<std::string>>::value);
  static_assert(!internal::HasCodec<Opaque>::value);
  static_assert(!internal::HasCodec<std::vector<Opaque>>::value);
  static_assert(!internal::HasCodec<std::pair<int64_t, Opaque>>::value);
}

// --- Saved state ------------------------------------------------------------

using testing::StateConfig;
using testing::StateHarness;
using testing::Step;

std::vector<StateConfig> EvictorConfigs(Env* env) {
  std::vector<StateConfig> out;
  auto add = [&](std::string name, WindowAssigner a, std::optional<Trigger> t,
                 Evictor e, int64_t lateness) {
    WindowOptions o;
    o.assigner = a;
    o.trigger = t;
    o.evictor = e;
    o.allowed_lateness = absl::Milliseconds(lateness);
    o.env = env;
    out.push_back(StateConfig{std::move(name), o, false, true});
  };
  add("tumbling_time_after", *WindowAssigner::Tumbling(absl::Milliseconds(10)),
      std::nullopt, *Evictor::Time(absl::Milliseconds(4), true), 20);
  add("sliding_count",
      *WindowAssigner::Sliding(absl::Milliseconds(30), absl::Milliseconds(10)),
      std::nullopt, *Evictor::Count(3), 5);
  add("session_count", *WindowAssigner::Session(absl::Milliseconds(4)),
      std::nullopt, *Evictor::Count(2), 3);
  add("global_count_window", WindowAssigner::Global(), *Trigger::Count(3),
      *Evictor::Count(5), 0);
  add("purging_continuous_time",
      *WindowAssigner::Tumbling(absl::Milliseconds(40)),
      Trigger::Purging(*Trigger::ContinuousEventTime(absl::Milliseconds(10))),
      *Evictor::Time(absl::Milliseconds(6)), 6);
  add("processing_time_count",
      *WindowAssigner::Tumbling(absl::Milliseconds(20)),
      Trigger::ProcessingTime(), *Evictor::Count(2, true), 10);
  return out;
}

TEST_CASE(
    "Evictor: saving and restoring mid-stream continues exactly as an "
    "uninterrupted run",
    "[window][evictor][state]") {
  const std::vector<Step> steps = testing::StateWorkload(200, 0, 7);
  ManualClockEnv env0(1'000);
  for (const StateConfig& c0 : EvictorConfigs(&env0)) {
    CAPTURE(c0.name);
    ManualClockEnv env(1'000);
    StateConfig c = c0;
    c.options.env = &env;
    StateHarness whole(c);
    for (const Step& s : steps) testing::RunStep(whole, env, s);
    REQUIRE(!whole.out.empty());
    for (size_t cut : {size_t{0}, size_t{31}, size_t{100}, steps.size() / 2,
                       steps.size() - 3}) {
      CAPTURE(cut);
      ManualClockEnv env1(1'000);
      c.options.env = &env1;
      StateHarness first(c);
      for (size_t i = 0; i < cut; ++i) testing::RunStep(first, env1, steps[i]);
      const std::string saved = first.op->SaveState();
      StateHarness second(c);
      second.calls = first.calls;
      BROOK_REQUIRE_OK(second.op->RestoreState(saved));
      CHECK(second.op->SaveState() == saved);
      for (size_t i = cut; i < steps.size(); ++i) {
        testing::RunStep(second, env1, steps[i]);
      }
      std::vector<testing::Output> joined = first.out;
      joined.insert(joined.end(), second.out.begin(), second.out.end());
      std::sort(joined.begin(), joined.end());
      CHECK(joined == whole.Sorted());
      CHECK(second.op->live_state_count() == whole.op->live_state_count());
    }
  }
}

TEST_CASE(
    "Evictor: state restores only into an operator with the same evictor "
    "(kInvalidArgument naming evictor)",
    "[window][evictor][state]") {
  ManualClockEnv env(1'000);
  const std::vector<StateConfig> configs = EvictorConfigs(&env);
  StateHarness h(configs[0]);
  BROOK_REQUIRE_OK(h.op->ProcessElement("a", 1, 5));
  const std::string saved = h.op->SaveState();
  for (std::optional<Evictor> other :
       {std::optional<Evictor>(),
        std::optional<Evictor>(*Evictor::Time(absl::Milliseconds(4), false)),
        std::optional<Evictor>(*Evictor::Count(4))}) {
    StateConfig c = configs[0];
    c.options.evictor = other;
    StateHarness into(c);
    absl::Status s = into.op->RestoreState(saved);
    BROOK_CHECK_CODE(s, kInvalidArgument);
    CHECK(absl::StrContains(s.message(), "evictor"));
    // And the other way round.
    if (!other.has_value()) {
      BROOK_REQUIRE_OK(into.op->ProcessElement("a", 1, 5));
      absl::Status back = h.op->RestoreState(into.op->SaveState());
      BROOK_CHECK_CODE(back, kInvalidArgument);
      CHECK(absl::StrContains(back.message(), "evictor"));
    }
  }
  CHECK(absl::StrContains(saved, "time(size=4ms,after=true)"));
}

using ElementsData =
    internal::WindowStateData<std::string, internal::WindowElements<int64_t>>;
using Access = internal::WindowOperatorAccess;

TEST_CASE(
    "Evictor: inconsistent element lists in saved state are kDataLoss and "
    "change nothing",
    "[window][evictor][state]") {
  ManualClockEnv env(1'000);
  const StateConfig c = EvictorConfigs(&env)[0];  // tumbling 10 ms
  StateHarness h(c);
  BROOK_REQUIRE_OK(h.op->ProcessElement("a", 1, 5));
  BROOK_REQUIRE_OK(h.op->ProcessElement("a", 2, 6));
  ElementsData good;
  Access::ExportState(*h.op, &good);
  REQUIRE(good.keys.size() == 1);
  REQUIRE(good.keys[0].windows.size() == 1);
  REQUIRE(good.keys[0].windows[0].acc.elements.size() == 2);
  const std::string before = h.op->SaveState();

  auto expect_loss = [&](ElementsData d, const char* what) {
    CAPTURE(what);
    absl::Status s = Access::ImportState(*h.op, std::move(d));
    BROOK_CHECK_CODE(s, kDataLoss);
    CHECK(absl::StrContains(s.message(), what));
    CHECK(h.op->SaveState() == before);
  };
  ElementsData d = good;
  d.keys[0].windows[0].acc.elements[1].timestamp_millis = 10;
  expect_loss(d, "outside the window");
  d = good;
  d.keys[0].windows[0].acc.elements[0].timestamp_millis = kMinEventTime;
  expect_loss(d, "outside the window");
  d = good;
  d.keys[0].windows[0].acc.elements.clear();
  expect_loss(d, "contents without elements");
  d = good;
  d.keys[0].windows[0].has_contents = false;
  expect_loss(d, "elements without contents");
  d = good;
  d.keys[0].timers.clear();
  expect_loss(d, "event timers");
  // The accumulator form is not an evicting operator's state.
  internal::WindowStateData<std::string, int64_t> acc;
  Access::ExportState(*h.op, &acc);
  acc.keys[0].windows[0].has_contents = true;
  BROOK_CHECK_CODE(Access::ImportState(*h.op, acc), kDataLoss);
  // An empty window (all evicted) restores.
  d = good;
  d.keys[0].windows[0].acc.elements.clear();
  d.keys[0].windows[0].has_contents = false;
  BROOK_CHECK_OK(Access::ImportState(*h.op, d));
  h.op->AdvanceWatermark(9);
  CHECK(h.out.empty());
  // Damaged bytes: the body cut anywhere, under a valid checksum.
  StateHarness fresh(c);
  const std::string body = before.substr(0, before.size() - 4);
  for (size_t cut = 12; cut < body.size(); ++cut) {
    CAPTURE(cut);
    std::string bad = body.substr(0, cut);
    Codec<uint32_t>::Encode(internal::WindowStateChecksum(bad), &bad);
    absl::Status s = fresh.op->RestoreState(bad);
    // A cut inside the option values may change the shape instead.
    CHECK((s.code() == absl::StatusCode::kDataLoss ||
           s.code() == absl::StatusCode::kInvalidArgument));
    CHECK(fresh.op->key_count() == 0);
  }
  // Elements handed to an operator without an evictor.
  StateConfig plain = c;
  plain.options.evictor.reset();
  StateHarness p(plain);
  BROOK_CHECK_CODE(Access::ImportState(*p.op, good), kInvalidArgument);
}

// A count trigger written against the trigger interface (Flink's
// CountTrigger: a per-window count, summed on merge), so that an evictor runs
// on the operator's generic path.
class CustomCount : public CustomTrigger {
 public:
  explicit CustomCount(int64_t n) : n_(n) {}
  std::string name() const override { return "custom_count"; }
  int state_size() const override { return 1; }
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
  bool CanMerge() const override { return true; }
  void OnMerge(const TimeWindow&,
               absl::Span<const absl::Span<const int64_t>> merged,
               TriggerContext& ctx) const override {
    int64_t sum = 0;
    for (absl::Span<const int64_t> st : merged) sum += st[0];
    ctx.set_state(0, sum);
  }
  void Clear(const TimeWindow&, TriggerContext& ctx) const override {
    ctx.set_state(0, 0);
  }

 private:
  int64_t n_;
};

TEST_CASE("Evictor: with a custom trigger, fires as with the built-in one",
          "[window][evictor][custom]") {
  // The generic path (custom triggers) keeps and evicts elements as the
  // built-in path does: a custom count trigger with a count evictor emits
  // what the built-in count trigger does, on tumbling windows and on
  // sessions (merged lists), and resumes exactly from saved state.
  for (bool session : {false, true}) {
    for (bool purging : {false, true}) {
      for (bool after : {false, true}) {
        INFO("session " << session << " purging " << purging << " after "
                        << after);
        absl::StatusOr<WindowAssigner> assigner =
            session ? WindowAssigner::Session(absl::Milliseconds(5))
                    : WindowAssigner::Tumbling(absl::Milliseconds(10));
        absl::StatusOr<Trigger> builtin = Trigger::Count(3);
        BROOK_REQUIRE_OK(builtin);
        absl::StatusOr<Trigger> custom =
            Trigger::Custom(std::make_shared<CustomCount>(3));
        BROOK_REQUIRE_OK(custom);
        Trigger b = purging ? Trigger::Purging(*builtin) : *builtin;
        Trigger c = purging ? Trigger::Purging(*custom) : *custom;
        Harness want(Options(assigner, b, Evictor::Count(2, after), 4));
        Harness got(Options(assigner, c, Evictor::Count(2, after), 4));
        std::unique_ptr<Harness> resumed;
        // Keys 1 and 2, out of order, sessions that merge, late elements.
        const EventTime times[] = {1,  3, 2,  7,  12, 9,  4,  15, 30,
                                   22, 5, 26, 28, 31, 40, 35, 33, 44};
        int i = 0;
        for (EventTime ts : times) {
          for (int key = 1; key <= 2; ++key) {
            want.Add(i, ts + key, key);
            got.Add(i, ts + key, key);
            if (resumed) resumed->Add(i, ts + key, key);
          }
          if (++i % 5 == 0) {
            want.op->AdvanceWatermark(ts);
            got.op->AdvanceWatermark(ts);
            if (resumed) resumed->op->AdvanceWatermark(ts);
          }
          if (i == 9) {
            resumed = std::make_unique<Harness>(
                Options(assigner, c, Evictor::Count(2, after), 4));
            BROOK_REQUIRE_OK(resumed->op->RestoreState(got.op->SaveState()));
          }
        }
        want.op->AdvanceWatermark(kMaxEventTime);
        got.op->AdvanceWatermark(kMaxEventTime);
        resumed->op->AdvanceWatermark(kMaxEventTime);
        const std::vector<Fired> w = want.Take();
        const std::vector<Fired> g = got.Take();
        CHECK(g == w);
        // The resumed operator fires what `got` fired after the save.
        const std::vector<Fired> r = resumed->Take();
        REQUIRE(r.size() <= g.size());
        CHECK(std::equal(r.begin(), r.end(), g.end() - r.size()));
      }
    }
  }
}

}  // namespace
}  // namespace brook
