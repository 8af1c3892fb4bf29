// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `internal::MergingWindowSet`, the window operator's one session merge
// mechanism (Flink's MergingWindowSet): which windows merge, which entry
// keeps the state, what the merge callback sees, and that both operator
// paths (built-in and custom triggers) merge through it alike.

#include "brook/internal/window_merging_set.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include <catch2/catch.hpp>

#include "brook/window.h"

#include "testing/status_testing.h"
#include "window/window_custom_testing.h"

namespace brook {
namespace {

struct FakeEntry {
  TimeWindow window;
  int id = 0;
  std::vector<int> contents;
};
using List = absl::InlinedVector<FakeEntry, 1>;
using Set = internal::MergingWindowSet<List>;

struct Call {
  TimeWindow merged;
  int state_window = 0;
  std::vector<int> merged_away;
};

// Adds `w` with a callback that concatenates contents and records the call.
Set::Added Add(List* list, const TimeWindow& w, std::vector<Call>* calls) {
  return Set(list).AddWindow(
      w, [&](const TimeWindow& merged, FakeEntry& state_window,
             absl::Span<FakeEntry* const> away) {
        Call c{merged, state_window.id, {}};
        // The callback runs before the list changes.
        CHECK(state_window.window != merged);
        for (FakeEntry* e : away) {
          c.merged_away.push_back(e->id);
          state_window.contents.insert(state_window.contents.end(),
                                       e->contents.begin(), e->contents.end());
        }
        calls->push_back(std::move(c));
      });
}

std::vector<int> Ids(const List& list) {
  std::vector<int> out;
  for (const auto& e : list) out.push_back(e.id);
  return out;
}

TEST_CASE("MergingWindowSet: a window touching none is new, merge not called",
          "[window][merging]") {
  List list;
  list.push_back(FakeEntry{TimeWindow{0, 9}, 1, {1}});
  std::vector<Call> calls;
  // [11, 20] neither overlaps nor touches [0, 9] (10 would touch).
  const auto added = Add(&list, TimeWindow{11, 20}, &calls);
  CHECK(added.index == Set::kNew);
  CHECK_FALSE(added.merged);
  CHECK(calls.empty());
  CHECK(list.size() == 1);
}

TEST_CASE("MergingWindowSet: a window inside one leaves it as it is",
          "[window][merging]") {
  List list;
  list.push_back(FakeEntry{TimeWindow{0, 9}, 1, {1}});
  list.push_back(FakeEntry{TimeWindow{20, 29}, 2, {2}});
  std::vector<Call> calls;
  const auto added = Add(&list, TimeWindow{22, 25}, &calls);
  CHECK(added.index == 1);
  CHECK_FALSE(added.merged);
  CHECK(calls.empty());
  CHECK(list[1].window == (TimeWindow{20, 29}));
}

TEST_CASE("MergingWindowSet: a window extending one grows it, nothing away",
          "[window][merging]") {
  List list;
  list.push_back(FakeEntry{TimeWindow{0, 9}, 1, {1}});
  std::vector<Call> calls;
  // Touching: [10, 19] starts right after [0, 9] ends.
  const auto added = Add(&list, TimeWindow{10, 19}, &calls);
  CHECK(added.index == 0);
  CHECK(added.merged);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].merged == (TimeWindow{0, 19}));
  CHECK(calls[0].state_window == 1);
  CHECK(calls[0].merged_away.empty());
  CHECK(list[0].window == (TimeWindow{0, 19}));
}

TEST_CASE(
    "MergingWindowSet: a bridging window merges all it touches into the "
    "first in list order",
    "[window][merging]") {
  List list;
  // List order is not start order (a late element made [0, 9] last).
  list.push_back(FakeEntry{TimeWindow{40, 49}, 1, {40}});
  list.push_back(FakeEntry{TimeWindow{100, 109}, 2, {100}});
  list.push_back(FakeEntry{TimeWindow{20, 29}, 3, {20}});
  list.push_back(FakeEntry{TimeWindow{0, 9}, 4, {0}});
  std::vector<Call> calls;
  const auto added = Add(&list, TimeWindow{5, 44}, &calls);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].merged == (TimeWindow{0, 49}));
  CHECK(calls[0].state_window == 1);
  CHECK(calls[0].merged_away == std::vector<int>{3, 4});
  REQUIRE(added.index < list.size());
  CHECK(added.merged);
  CHECK(list[added.index].id == 1);
  CHECK(list[added.index].window == (TimeWindow{0, 49}));
  CHECK(list[added.index].contents == std::vector<int>{40, 20, 0});
  CHECK(Ids(list) == std::vector<int>{1, 2});
}

TEST_CASE("MergingWindowSet: merges at the int64 ends do not overflow",
          "[window][merging]") {
  List list;
  list.push_back(
      FakeEntry{TimeWindow{kMaxEventTime - 9, kMaxEventTime}, 1, {}});
  list.push_back(
      FakeEntry{TimeWindow{kMinEventTime, kMinEventTime + 9}, 2, {}});
  std::vector<Call> calls;
  auto added =
      Add(&list, TimeWindow{kMaxEventTime - 20, kMaxEventTime - 10}, &calls);
  CHECK(added.index == 0);
  CHECK(list[0].window == (TimeWindow{kMaxEventTime - 20, kMaxEventTime}));
  added =
      Add(&list, TimeWindow{kMinEventTime + 10, kMinEventTime + 12}, &calls);
  CHECK(added.index == 1);
  CHECK(list[1].window == (TimeWindow{kMinEventTime, kMinEventTime + 12}));
  CHECK(calls.size() == 2);
}

std::vector<std::pair<TimeWindow, std::vector<int>>> RunSessions(bool custom) {
  WindowOptions options;
  options.assigner = *WindowAssigner::Session(absl::Milliseconds(10));
  if (custom) {
    auto trigger = Trigger::Custom(std::make_shared<testing::MyEventTime>());
    REQUIRE(trigger.ok());
    options.trigger = *trigger;
  }
  std::vector<std::pair<TimeWindow, std::vector<int>>> out;
  // The elements of a result, in the order the aggregate saw them.
  auto collect =
      MakeFullWindow<int>([](int, const TimeWindow&, absl::Span<const int> xs) {
        return std::vector<int>(xs.begin(), xs.end());
      });
  auto op = MakeWindowOperator<int, int>(
      options, collect, [&](const WindowResult<int, std::vector<int>>& r) {
        out.emplace_back(r.window, r.value);
      });
  REQUIRE(op.ok());
  // Sessions [100, 109], [0, 9] (made later), [40, 49], [20, 29]; 12 grows
  // the last, 30 merges it into [40, 49] and 5 that into [0, 9]: each merge
  // keeps the first window in the key's list, whatever the path.
  for (int ts : {100, 0, 40, 20, 12, 30, 5}) {
    REQUIRE((*op)->ProcessElement(1, ts, ts).ok());
  }
  (*op)->AdvanceWatermark(1000);
  return out;
}

TEST_CASE(
    "MergingWindowSet: built-in and custom triggers merge sessions alike, "
    "contents in the same order",
    "[window][merging]") {
  const auto builtin = RunSessions(false);
  const auto custom = RunSessions(true);
  REQUIRE(builtin.size() == 2);
  CHECK(builtin[0].first == (TimeWindow{0, 49}));
  CHECK(builtin[0].second == std::vector<int>{0, 40, 20, 12, 30, 5});
  CHECK(builtin[1].first == (TimeWindow{100, 109}));
  CHECK(builtin == custom);
}

}  // namespace
}  // namespace brook
