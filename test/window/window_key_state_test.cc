// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `internal::KeyWindowState`, the state of one key's windows in the window
// operator: lookups by window and id, the neighbour lookup of sliding
// windows, adding, erasing, reuse of a slot, and the sessions view.

#include "brook/internal/window_key_state.h"

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace brook {
namespace {

struct FakeWindow {
  TimeWindow window;
  uint64_t id = 0;
};
using State = internal::KeyWindowState<std::string, FakeWindow>;

State ThreeWindows() {
  State s;
  s.Reset("k");
  s.Add(FakeWindow{TimeWindow{0, 9}, 1});
  s.Add(FakeWindow{TimeWindow{10, 19}, 2});
  s.Add(FakeWindow{TimeWindow{20, 29}, 3});
  return s;
}

TEST_CASE("KeyWindowState: finds windows by window and by id",
          "[window][key_state]") {
  State s = ThreeWindows();
  REQUIRE(s.Find(TimeWindow{10, 19}) != nullptr);
  CHECK(s.Find(TimeWindow{10, 19})->id == 2);
  CHECK(s.Find(TimeWindow{10, 20}) == nullptr);
  REQUIRE(s.FindById(3) != nullptr);
  CHECK(s.FindById(3)->window == (TimeWindow{20, 29}));
  CHECK(s.FindById(4) == nullptr);
}

TEST_CASE("KeyWindowState: FindNear looks beside the hint, then everywhere",
          "[window][key_state]") {
  State s = ThreeWindows();
  size_t hint = State::kNoHint;
  REQUIRE(s.FindNear(TimeWindow{10, 19}, &hint) != nullptr);
  CHECK(hint == 1);
  REQUIRE(s.FindNear(TimeWindow{0, 9}, &hint) != nullptr);  // before it
  CHECK(hint == 0);
  REQUIRE(s.FindNear(TimeWindow{10, 19}, &hint) != nullptr);  // after it
  CHECK(hint == 1);
  hint = 0;
  REQUIRE(s.FindNear(TimeWindow{20, 29}, &hint) != nullptr);  // a scan
  CHECK(hint == 2);
  CHECK(s.FindNear(TimeWindow{30, 39}, &hint) == nullptr);
  CHECK(hint == 2);  // unchanged when nothing is found
}

TEST_CASE("KeyWindowState: Erase moves the last window into the gap",
          "[window][key_state]") {
  State s = ThreeWindows();
  CHECK(s.Erase(1));
  CHECK_FALSE(s.Erase(1));
  REQUIRE(s.windows.size() == 2);
  CHECK(s.windows[0].id == 3);
  CHECK(s.windows[1].id == 2);
  CHECK(s.Erase(2));
  CHECK(s.Erase(3));
  CHECK(s.windows.empty());
}

TEST_CASE("KeyWindowState: Reset makes a reused slot a new key's",
          "[window][key_state]") {
  State s = ThreeWindows();
  s.gen = 7;
  s.Reset("other");
  CHECK(s.key == "other");
  CHECK(s.windows.empty());
  CHECK(s.gen == 7);  // its old timers stay stale
}

TEST_CASE("KeyWindowState: Sessions() merges the key's own windows",
          "[window][key_state]") {
  State s;
  s.Reset("k");
  s.Add(FakeWindow{TimeWindow{0, 9}, 1});
  s.Add(FakeWindow{TimeWindow{20, 29}, 2});
  std::vector<uint64_t> away;
  const auto added = s.Sessions().AddWindow(
      TimeWindow{10, 19}, [&](const TimeWindow&, FakeWindow&,
                              absl::Span<FakeWindow* const> merged_away) {
        for (FakeWindow* w : merged_away) away.push_back(w->id);
      });
  CHECK(added.merged);
  CHECK(away == std::vector<uint64_t>{2});
  REQUIRE(s.windows.size() == 1);
  CHECK(s.windows[0].id == 1);
  CHECK(s.windows[0].window == (TimeWindow{0, 29}));
}

}  // namespace
}  // namespace brook
