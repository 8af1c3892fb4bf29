// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Property tests: for random in-order and out-of-order inputs and random
// watermarks, every result the operator fires equals a brute-force
// recomputation of that window over the elements it accepted, every window
// fires its final contents by the end, and every dropped element was truly
// late. Seed: BROOK_TEST_SEED, else random (printed on failure).

#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/window.h"

namespace brook {
namespace {

// The run's seed, printed so that any run can be replayed.
uint64_t Seed() {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("BROOK_TEST_SEED")) {  // NOLINT
    seed = std::strtoull(s, nullptr, 10);
  }
  std::printf("window property test seed: %llu (BROOK_TEST_SEED=%llu)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  return seed;
}

using SumAgg = SumAggregate<int64_t>;

using WinKey = std::tuple<int, EventTime, EventTime>;  // key, start, max

struct Event {
  int key;
  EventTime ts;
  int64_t value;
};

// Generates `n` events around a moving clock, `disorder` ms out of order, and
// watermark moves that may overtake some events (so some arrive late).
std::vector<Event> MakeEvents(std::mt19937_64& rng, int n, EventTime base,
                              int64_t disorder, int keys) {
  std::vector<Event> out;
  EventTime clock = base;
  for (int i = 0; i < n; ++i) {
    clock += static_cast<EventTime>(rng() % 4);
    // Now and then a gap, so that windows complete, state is cleaned up and
    // keys come and go (their slots are reused).
    if (rng() % 64 == 0) clock += static_cast<EventTime>(rng() % 300);
    EventTime ts =
        clock -
        (disorder == 0 ? 0 : static_cast<EventTime>(rng() % (disorder + 1)));
    out.push_back(Event{static_cast<int>(rng() % keys), ts,
                        static_cast<int64_t>(rng() % 100) + 1});
  }
  return out;
}

void CheckNonMerging(const WindowOptions& o, std::mt19937_64& rng,
                     const std::vector<Event>& events) {
  std::map<WinKey, int64_t> expected;  // brute force per (key, window)
  std::map<WinKey, int64_t> last_fired;
  int mismatches = 0;
  int64_t fires = 0, expected_fires = 0;
  bool was_late = false;
  int64_t late_seen = 0;
  WindowFunctions<int, int64_t, int64_t> fns;
  fns.on_result = [&](const WindowResult<int, int64_t>& r) {
    WinKey k{r.key, r.window.start_millis, r.window.max_timestamp_millis};
    auto it = expected.find(k);
    if (it == expected.end() || it->second != r.value) {
      ++mismatches;
      UNSCOPED_INFO("fired key " << r.key << " [" << r.window.start_millis
                                 << "," << r.window.max_timestamp_millis
                                 << "] = " << r.value << " expected "
                                 << (it == expected.end() ? -1 : it->second));
    }
    last_fired[k] = r.value;
    ++fires;
  };
  fns.on_late = [&](const int&, const int64_t&, EventTime) {
    was_late = true;
    ++late_seen;
  };
  auto op = WindowOperator<int, int64_t, SumAgg>::Create(o, SumAgg(), fns);
  REQUIRE(op.ok());
  EventTime wm = kMinEventTime;
  for (const Event& e : events) {
    // Brute force: the element joins every window that is not late.
    bool any = false;
    for (const TimeWindow& w : o.assigner.WindowsFor(e.ts)) {
      if (internal::SaturatingAdd(
              w.max_timestamp_millis,
              absl::ToInt64Milliseconds(o.allowed_lateness)) <= wm) {
        continue;
      }
      any = true;
      expected[WinKey{e.key, w.start_millis, w.max_timestamp_millis}] +=
          e.value;
      if (w.max_timestamp_millis <= wm)
        ++expected_fires;  // fires again at once
    }
    // Flink's rule: late when no window takes it (also an element that falls
    // in a sliding gap) and ts + lateness <= watermark.
    const bool truly_late =
        !any && internal::SaturatingAdd(
                    e.ts, absl::ToInt64Milliseconds(o.allowed_lateness)) <= wm;
    was_late = false;
    REQUIRE((*op)->ProcessElement(e.key, e.value, e.ts).ok());
    REQUIRE(was_late == truly_late);
    REQUIRE(mismatches == 0);
    REQUIRE(fires == expected_fires);
    if (rng() % 8 == 0) {
      EventTime next = std::max(wm, e.ts - static_cast<EventTime>(rng() % 40));
      for (const auto& [k, v] : expected) {
        if (std::get<2>(k) > wm && std::get<2>(k) <= next) ++expected_fires;
      }
      wm = next;
      (*op)->AdvanceWatermark(wm);
      REQUIRE(mismatches == 0);
      REQUIRE(fires == expected_fires);
    }
  }
  for (const auto& [k, v] : expected) {
    if (std::get<2>(k) > wm) ++expected_fires;
  }
  (*op)->AdvanceWatermark(kMaxEventTime);
  REQUIRE(mismatches == 0);
  CHECK(fires == expected_fires);
  // Every window that received elements fired its final contents.
  for (const auto& [k, v] : expected) {
    auto it = last_fired.find(k);
    REQUIRE(it != last_fired.end());
    CHECK(it->second == v);
  }
  CHECK((*op)->late_elements_emitted() == late_seen);
  CHECK((*op)->live_state_count() == 0);
  CHECK((*op)->key_count() == 0);
}

TEST_CASE("Window property: fired results equal brute force (non-merging)",
          "[window][property]") {
  const uint64_t seed = Seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  struct Config {
    std::string name;
    WindowOptions options;
  };
  std::vector<Config> configs;
  auto add = [&](std::string name, absl::StatusOr<WindowAssigner> a,
                 int64_t lateness, bool slicing = true) {
    REQUIRE(a.ok());
    WindowOptions o;
    o.assigner = *a;
    o.allowed_lateness = absl::Milliseconds(lateness);
    o.use_slicing = slicing;
    configs.push_back({std::move(name), o});
  };
  add("tumbling 10", WindowAssigner::Tumbling(absl::Milliseconds(10)), 0);
  add("tumbling 7 offset -3 late 5",
      WindowAssigner::Tumbling(absl::Milliseconds(7), absl::Milliseconds(-3)),
      5);
  add("sliding 20/5 sliced",
      WindowAssigner::Sliding(absl::Milliseconds(20), absl::Milliseconds(5)),
      0);
  add("sliding 20/5 unsliced late 7",
      WindowAssigner::Sliding(absl::Milliseconds(20), absl::Milliseconds(5)), 7,
      false);
  add("sliding 20/5 sliced late 7",
      WindowAssigner::Sliding(absl::Milliseconds(20), absl::Milliseconds(5)),
      7);
  add("sliding 12/8 offset 3 sliced late 4",
      WindowAssigner::Sliding(absl::Milliseconds(12), absl::Milliseconds(8),
                              absl::Milliseconds(3)),
      4);
  add("sliding 30/1 sliced late 2",
      WindowAssigner::Sliding(absl::Milliseconds(30), absl::Milliseconds(1)),
      2);
  add("sliding 5/9 gaps",
      WindowAssigner::Sliding(absl::Milliseconds(5), absl::Milliseconds(9)), 3);
  add("cumulate 30/10 late 3",
      WindowAssigner::Cumulate(absl::Milliseconds(30), absl::Milliseconds(10)),
      3);
  for (int round = 0; round < 40; ++round) {
    for (const Config& c : configs) {
      CAPTURE(round, c.name);
      const int64_t disorder = round % 2 == 0 ? 0 : 25;
      const EventTime base =
          round % 3 == 0 ? -500
                         : (round % 3 == 1 ? 1'000'000 : kMaxEventTime - 3000);
      const int keys = round % 4 == 3 ? 40 : 4;
      std::vector<Event> events = MakeEvents(rng, 300, base, disorder, keys);
      if (base > 0 && base > kMaxEventTime - 4000) {
        // Keep the clock below the top of the range.
        for (Event& e : events) e.ts = std::min(e.ts, kMaxEventTime);
      }
      CheckNonMerging(c.options, rng, events);
    }
  }
}

// A naive session model: sessions per key as (start, max, sum), merged on
// every element, cleaned and fired by scanning.
struct NaiveSessions {
  struct S {
    EventTime start, max;
    int64_t sum;
  };
  int64_t gap, lateness;
  EventTime wm = kMinEventTime;
  std::map<int, std::vector<S>> by_key;

  EventTime Cleanup(const S& s) const {
    return internal::SaturatingAdd(s.max, lateness);
  }
  // Returns firings caused by the element; sets `late`.
  std::vector<WinKey> Add(int key, EventTime ts, int64_t v, bool* late,
                          std::map<WinKey, int64_t>* values) {
    std::vector<S>& ss = by_key[key];
    S m{ts, internal::WindowMaxTimestamp(ts, gap), v};
    std::vector<S> rest;
    bool merged = false;
    for (const S& s : ss) {
      if (s.start <= internal::SaturatingAdd(m.max, 1) &&
          m.start <= internal::SaturatingAdd(s.max, 1)) {
        m.start = std::min(m.start, s.start);
        m.max = std::max(m.max, s.max);
        m.sum += s.sum;
        merged = true;
      } else {
        rest.push_back(s);
      }
    }
    *late = false;
    std::vector<WinKey> fired;
    if (!merged && Cleanup(m) <= wm) {
      *late = internal::SaturatingAdd(ts, lateness) <= wm;
      return fired;
    }
    rest.push_back(m);
    ss = rest;
    if (m.max <= wm) {
      fired.emplace_back(key, m.start, m.max);
      (*values)[fired.back()] = m.sum;
    }
    return fired;
  }
  std::vector<WinKey> Advance(EventTime w, std::map<WinKey, int64_t>* values) {
    std::vector<WinKey> fired;
    if (w <= wm) return fired;
    for (auto& [key, ss] : by_key) {
      std::vector<S> keep;
      for (const S& s : ss) {
        if (s.max > wm && s.max <= w) {
          fired.emplace_back(key, s.start, s.max);
          (*values)[fired.back()] = s.sum;
        }
        if (Cleanup(s) > w) keep.push_back(s);
      }
      ss = keep;
    }
    wm = w;
    return fired;
  }
};

TEST_CASE("Window property: sessions agree with a naive model",
          "[window][property][session]") {
  const uint64_t seed = Seed();
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 150; ++round) {
    const int64_t gap = 1 + static_cast<int64_t>(rng() % 12);
    const int64_t lateness = static_cast<int64_t>(rng() % 3) * 5;
    CAPTURE(round, gap, lateness);
    WindowOptions o;
    o.assigner = *WindowAssigner::Session(absl::Milliseconds(gap));
    o.allowed_lateness = absl::Milliseconds(lateness);
    std::vector<std::pair<WinKey, int64_t>> got;
    WindowFunctions<int, int64_t, int64_t> fns;
    fns.on_result = [&](const WindowResult<int, int64_t>& r) {
      got.emplace_back(
          WinKey{r.key, r.window.start_millis, r.window.max_timestamp_millis},
          r.value);
    };
    bool op_late = false;
    fns.on_late = [&](const int&, const int64_t&, EventTime) {
      op_late = true;
    };
    auto op = WindowOperator<int, int64_t, SumAgg>::Create(o, SumAgg(), fns);
    REQUIRE(op.ok());
    NaiveSessions model{gap, lateness};
    const EventTime base = round % 2 == 0 ? -10'000 : kMaxEventTime - 5'000;
    std::vector<Event> events =
        MakeEvents(rng, 200, base, round % 3 == 0 ? 0 : 30, 3);
    EventTime wm = kMinEventTime;
    auto compare = [&](std::vector<WinKey> want,
                       const std::map<WinKey, int64_t>& values) {
      std::vector<std::pair<WinKey, int64_t>> w;
      for (const WinKey& k : want) w.emplace_back(k, values.at(k));
      std::sort(w.begin(), w.end());
      std::sort(got.begin(), got.end());
      for (auto& g : got)
        UNSCOPED_INFO("got " << std::get<0>(g.first) << " ["
                             << std::get<1>(g.first) << ","
                             << std::get<2>(g.first) << "] " << g.second);
      for (auto& g : w)
        UNSCOPED_INFO("want " << std::get<0>(g.first) << " ["
                              << std::get<1>(g.first) << ","
                              << std::get<2>(g.first) << "] " << g.second);
      UNSCOPED_INFO("wm " << wm);
      REQUIRE(got == w);
      got.clear();
    };
    for (const Event& e : events) {
      std::map<WinKey, int64_t> values;
      bool late = false;
      auto want = model.Add(e.key, e.ts, e.value, &late, &values);
      op_late = false;
      REQUIRE((*op)->ProcessElement(e.key, e.value, e.ts).ok());
      REQUIRE(op_late == late);
      compare(want, values);
      if (rng() % 6 == 0) {
        wm = std::max(wm, e.ts - static_cast<EventTime>(rng() % 20));
        std::map<WinKey, int64_t> v2;
        auto fired = model.Advance(wm, &v2);
        (*op)->AdvanceWatermark(wm);
        compare(fired, v2);
      }
    }
    std::map<WinKey, int64_t> v3;
    auto fired = model.Advance(kMaxEventTime, &v3);
    (*op)->AdvanceWatermark(kMaxEventTime);
    compare(fired, v3);
  }
}

}  // namespace
}  // namespace brook
