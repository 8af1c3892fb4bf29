// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `WindowOperator::SaveState()` / `RestoreState()`: the logical, versioned
// checkpoint format (lib/window/WINDOW_STATE_FORMAT.md). Round trips for
// every assigner and trigger kind, sliced and unsliced; every restore error
// (options that differ, damaged bytes, logically inconsistent state) leaves
// the operator unchanged.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include <catch2/catch.hpp>

#include "brook/codec.h"
#include "brook/internal/window_state_codec.h"
#include "brook/window.h"

#include "testing/status_testing.h"
#include "window/window_state_testing.h"

namespace brook {
namespace {

using testing::Output;
using testing::StateConfig;
using testing::StateHarness;
using testing::StateOp;
using testing::Step;
using Data = internal::WindowStateData<std::string, int64_t>;
using Codec64 = internal::AccumulatorCodec<testing::StateAgg>;

absl::Status Decode(absl::string_view bytes, internal::WindowStateShape* shape,
                    Data* data) {
  return internal::DecodeWindowState<std::string, int64_t, Codec64>(
      bytes, shape, data);
}
std::string Encode(const internal::WindowStateShape& shape, const Data& data) {
  return internal::EncodeWindowState<std::string, int64_t, Codec64>(shape,
                                                                    data);
}
// `bytes` with a fresh checksum, so that a change reaches the field checks.
std::string Reseal(std::string bytes) {
  bytes.resize(bytes.size() - 4);
  const uint32_t crc = internal::WindowStateChecksum(bytes);
  Codec<uint32_t>::Encode(crc, &bytes);
  return bytes;
}

// Runs `steps` uninterrupted, and cut at `cut`: saved, the old operator
// dropped after more (lost) work, a new one restored from the bytes.
// Returns the outputs, sorted within each call.
std::vector<Output> Run(const StateConfig& c, const std::vector<Step>& steps,
                        int cut, ManualClockEnv& env) {
  auto h = std::make_unique<StateHarness>(c);
  std::vector<Output> done;
  for (int i = 0; i < static_cast<int>(steps.size()); ++i) {
    if (i == cut) {
      const std::string saved = h->op->SaveState();
      const int64_t calls = h->calls;
      done = h->out;
      BROOK_REQUIRE_OK(h->op->ProcessElement("lost", 1, 0));
      h->op->AdvanceWatermark(kMaxEventTime);
      h = std::make_unique<StateHarness>(c);
      h->calls = calls;
      BROOK_REQUIRE_OK(h->op->RestoreState(saved));
      // The restored state saves to the same bytes: the format is canonical.
      CHECK(h->op->SaveState() == saved);
    }
    testing::RunStep(*h, env, steps[i]);
  }
  ++h->calls;
  h->op->AdvanceWatermark(kMaxEventTime);
  done.insert(done.end(), h->out.begin(), h->out.end());
  std::sort(done.begin(), done.end());
  done.emplace_back(-1, "dropped", h->op->dropped_late_elements(),
                    h->op->late_elements_emitted(), h->op->live_state_count());
  return done;
}

TEST_CASE(
    "WindowState: every assigner and trigger resumes exactly from saved bytes",
    "[window][state]") {
  const std::vector<Step> steps = testing::StateWorkload(300, -200, 11);
  ManualClockEnv probe(0);
  const size_t configs = testing::StateConfigs(&probe).size();
  for (size_t ci = 0; ci < configs; ++ci) {
    ManualClockEnv env0(1'000), env1(1'000);
    const StateConfig c0 = testing::StateConfigs(&env0)[ci];
    CAPTURE(c0.name);
    const std::vector<Output> base = Run(c0, steps, -1, env0);
    REQUIRE(!base.empty());
    for (int cut : {0, 1, 40, 171, static_cast<int>(steps.size()) - 1}) {
      CAPTURE(cut);
      ManualClockEnv env(1'000);
      const StateConfig c = testing::StateConfigs(&env)[ci];
      const std::vector<Output> resumed = Run(c, steps, cut, env);
      if (c.exact_resume) CHECK(resumed == base);
    }
    static_cast<void>(env1);
  }
}

TEST_CASE("WindowState: the empty state round-trips", "[window][state]") {
  ManualClockEnv env(0);
  for (const StateConfig& c : testing::StateConfigs(&env)) {
    CAPTURE(c.name);
    StateHarness a(c), b(c);
    const std::string saved = a.op->SaveState();
    BROOK_REQUIRE_OK(b.op->RestoreState(saved));
    CHECK(b.op->current_watermark_millis() == kMinEventTime);
    CHECK(b.op->SaveState() == saved);
  }
}

// A valid saved state with windows, trigger state and timers, and a
// harness with the same options.
struct Saved {
  std::string bytes;
  internal::WindowStateShape shape;
  Data data;
};
Saved SaveOf(const StateConfig& c, ManualClockEnv& env, int n = 60) {
  StateHarness h(c);
  for (const Step& s : testing::StateWorkload(n, 0, 5)) {
    testing::RunStep(h, env, s);
  }
  Saved out;
  out.bytes = h.op->SaveState();
  BROOK_REQUIRE_OK(Decode(out.bytes, &out.shape, &out.data));
  return out;
}

StateConfig ConfigNamed(absl::string_view name, ManualClockEnv& env) {
  for (const StateConfig& c : testing::StateConfigs(&env)) {
    if (c.name == name) return c;
  }
  FAIL("no config " << name);
  return StateConfig();
}

TEST_CASE(
    "WindowState: state saved with other options is kInvalidArgument naming "
    "the option, and changes nothing",
    "[window][state]") {
  ManualClockEnv env(1'000);
  const StateConfig tumbling = ConfigNamed("tumbling", env);
  const Saved saved = SaveOf(tumbling, env);
  struct Case {
    const char* option;
    WindowOptions options;
  };
  std::vector<Case> cases;
  WindowOptions o = tumbling.options;
  o.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(11));
  cases.push_back({"assigner", o});
  o = tumbling.options;
  o.assigner =
      *WindowAssigner::Sliding(absl::Milliseconds(10), absl::Milliseconds(5));
  cases.push_back({"assigner", o});
  o = tumbling.options;
  o.trigger = *Trigger::Count(2);
  cases.push_back({"trigger", o});
  o = tumbling.options;
  o.trigger = Trigger::Purging(Trigger::EventTime());
  cases.push_back({"trigger", o});
  o = tumbling.options;
  o.allowed_lateness = absl::Milliseconds(6);
  cases.push_back({"allowed_lateness", o});
  for (const Case& k : cases) {
    CAPTURE(k.option);
    StateHarness h(StateConfig{"other", k.options, false, true});
    BROOK_REQUIRE_OK(h.op->ProcessElement("x", 1, 3));
    const std::string before = h.op->SaveState();
    absl::Status s = h.op->RestoreState(saved.bytes);
    BROOK_CHECK_CODE(s, kInvalidArgument);
    CHECK(absl::StrContains(s.message(), k.option));
    CHECK(h.op->SaveState() == before);
  }
  // Slicing: the same sliding windows, with and without.
  const StateConfig sliced = ConfigNamed("sliding_sliced", env);
  const StateConfig unsliced = ConfigNamed("sliding_unsliced", env);
  const Saved from_sliced = SaveOf(sliced, env);
  StateHarness h(unsliced);
  absl::Status s = h.op->RestoreState(from_sliced.bytes);
  BROOK_CHECK_CODE(s, kInvalidArgument);
  CHECK(absl::StrContains(s.message(), "use_slicing"));
  // Slicing that does not apply (tumbling windows) shapes nothing.
  StateConfig tumbling_unsliced = tumbling;
  tumbling_unsliced.options.use_slicing = false;
  StateHarness t(tumbling_unsliced);
  BROOK_CHECK_OK(t.op->RestoreState(saved.bytes));
}

TEST_CASE(
    "WindowState: damaged or foreign bytes are kDataLoss naming what is "
    "wrong, and change nothing",
    "[window][state]") {
  ManualClockEnv env(1'000);
  const StateConfig c = ConfigNamed("continuous", env);
  const Saved saved = SaveOf(c, env);
  StateHarness h(c);
  BROOK_REQUIRE_OK(h.op->ProcessElement("x", 1, 3));
  const std::string before = h.op->SaveState();
  auto rejects = [&](const std::string& bytes, absl::string_view what) {
    absl::Status s = h.op->RestoreState(bytes);
    BROOK_CHECK_CODE(s, kDataLoss);
    CHECK_THAT(std::string(s.message()), Catch::Contains(std::string(what)));
  };
  rejects("", "truncated");
  rejects(saved.bytes.substr(0, 11), "truncated");
  for (size_t cut = 12; cut < saved.bytes.size(); cut += 5) {
    BROOK_CHECK_CODE(h.op->RestoreState(saved.bytes.substr(0, cut)), kDataLoss);
  }
  for (size_t at = 0; at < saved.bytes.size(); at += 3) {
    std::string flipped = saved.bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x21);
    BROOK_CHECK_CODE(h.op->RestoreState(flipped), kDataLoss);
  }
  std::string bytes = saved.bytes;
  bytes[0] = 'X';
  rejects(bytes, "bad magic");
  bytes = saved.bytes;
  bytes[4] = 3;  // version 3
  rejects(Reseal(bytes), "unknown format version 3");
  bytes = saved.bytes;
  bytes[bytes.size() / 2] ^= 1;
  rejects(bytes, "checksum mismatch");
  bytes = saved.bytes;
  bytes.insert(bytes.size() - 4, "x");
  rejects(Reseal(bytes), "1 trailing bytes");
  // Truncated fields, with a valid checksum.
  for (size_t cut = 12; cut + 4 < saved.bytes.size(); cut += 7) {
    bytes = saved.bytes.substr(0, cut) + "1234";
    BROOK_CHECK_CODE(h.op->RestoreState(Reseal(bytes)), kDataLoss);
  }
  // A key count beyond the bytes.
  Data empty;
  bytes = Encode(saved.shape, empty);
  REQUIRE(bytes.size() > 12);
  bytes[bytes.size() - 12] = 100;  // the low byte of the key count
  rejects(Reseal(bytes), "key count 100 needs at least 16 bytes");
  // Bad flag and enum bytes.
  Data d = saved.data;
  REQUIRE(!d.keys.empty());
  REQUIRE(!d.keys[0].timers.empty());
  d.keys[0].timers[0].domain = static_cast<internal::TimerDomain>(7);
  rejects(Encode(saved.shape, d), "unknown domain 7");
  bytes = Encode(saved.shape, empty);
  bytes[bytes.size() - 13] = 4;  // the sliced flags: bit 2 is version 2's
  rejects(Reseal(bytes), "bad sliced flags 4");
  bytes[4] = 2;
  bytes[bytes.size() - 13] = 8;
  rejects(Reseal(bytes), "bad sliced flags 8");
  CHECK(h.op->SaveState() == before);
}

// Mutations of a valid logical state that `ImportState()` must refuse.
struct Mutation {
  const char* config;
  const char* what;  // part of the message
  std::function<void(Data&)> apply;
};

TEST_CASE(
    "WindowState: logically inconsistent state is kDataLoss naming what is "
    "wrong, and changes nothing",
    "[window][state]") {
  using Window = Data::Window;
  using Timer = Data::Timer;
  const std::vector<Mutation> mutations = {
      {"tumbling", "appears twice",
       [](Data& d) { d.keys.push_back(d.keys[0]); }},
      {"tumbling", "holds no windows",
       [](Data& d) {
         d.keys[0].windows.clear();
         d.keys[0].timers.clear();
       }},
      {"tumbling", "ends before it starts",
       [](Data& d) {
         std::swap(d.keys[0].windows[0].start_millis,
                   d.keys[0].windows[0].max_timestamp_millis);
       }},
      {"tumbling", "out of order or repeated",
       [](Data& d) { d.keys[0].windows.push_back(d.keys[0].windows[0]); }},
      {"tumbling", "is not a window of tumbling(size=10ms,offset=0ms)",
       [](Data& d) {
         for (Window& w : d.keys[0].windows) ++w.start_millis;
       }},
      {"tumbling", "past its cleanup time",
       [](Data& d) { d.watermark_millis = kMaxEventTime - 1; }},
      {"tumbling", "without a purging trigger",
       [](Data& d) { d.keys[0].windows[0].has_contents = false; }},
      {"tumbling", "trigger state values",
       [](Data& d) { d.keys[0].windows[0].trigger_state = {1}; }},
      {"tumbling", "no such window",
       [](Data& d) { d.keys[0].timers[0].window_start_millis += 1; }},
      {"tumbling", "event timers",
       [](Data& d) { d.keys[0].timers.pop_back(); }},
      {"tumbling", "event timers",
       [](Data& d) { d.keys[0].timers[0].time_millis += 1; }},
      {"tumbling", "processing-time timer",
       [](Data& d) {
         Timer t = d.keys[0].timers[0];
         t.domain = internal::TimerDomain::kProcessingTime;
         d.keys[0].timers.push_back(t);
       }},
      {"tumbling", "without slicing",
       [](Data& d) { d.sliced_next_window_start = 0; }},
      {"tumbling", "late counters",
       [](Data& d) { d.dropped_late_elements = -1; }},
      {"tumbling", "late counters",
       [](Data& d) {
         d.late_elements_emitted = std::numeric_limits<int64_t>::max();
       }},
      {"tumbling_offset_count", "one count >= 0",
       [](Data& d) { d.keys[0].windows[0].trigger_state = {-1}; }},
      {"tumbling_offset_count", "one count >= 0",
       [](Data& d) { d.keys[0].windows[0].trigger_state.clear(); }},
      {"continuous", "at most one fire time",
       [](Data& d) {
         d.keys[0].windows[0].trigger_state = {1, 2};
       }},
      {"session", "overlaps or touches",
       [](Data& d) {
         Window w = d.keys[0].windows.back();
         w.start_millis = w.max_timestamp_millis + 1;
         w.max_timestamp_millis = w.start_millis + 10;
         d.keys[0].windows.push_back(w);
       }},
      {"session", "is not a window of session(gap=4ms)",
       [](Data& d) {
         Window& w = d.keys[0].windows.back();
         w.max_timestamp_millis = w.start_millis + 1;
       }},
      {"global_count", "is not a window of global",
       [](Data& d) { d.keys[0].windows[0].start_millis = 0; }},
      {"cumulate_unsliced", "is not a window of cumulate",
       [](Data& d) { d.keys[0].windows.back().max_timestamp_millis += 1; }},
      {"processing_time", "two processing-time timers",
       [](Data& d) {
         for (auto& k : d.keys) {
           for (const Timer& t : k.timers) {
             if (t.domain == internal::TimerDomain::kProcessingTime) {
               k.timers.push_back(t);
               return;
             }
           }
         }
         FAIL("no processing-time timer");
       }},
      {"sliding_sliced", "is not a slice of 10ms",
       [](Data& d) { d.keys[0].windows[0].max_timestamp_millis += 1; }},
      {"sliding_sliced", "timers on the sliced path",
       [](Data& d) {
         const Window& w = d.keys[0].windows[0];
         d.keys[0].timers.push_back(
             Timer{internal::TimerDomain::kEventTime, w.max_timestamp_millis,
                   w.start_millis, w.max_timestamp_millis});
       }},
      {"sliding_sliced", "trigger state or without contents",
       [](Data& d) { d.keys[0].windows[0].trigger_state = {0}; }},
      {"sliding_sliced", "off the 10ms slide grid",
       [](Data& d) { d.sliced_next_window_start = 3; }},
      {"sliding_sliced", "out of range",
       [](Data& d) { d.sliced_next_window_start = absl::int128(1) << 100; }},
      {"sliding_sliced", "not before the next window start",
       [](Data& d) {
         d.sliced_next_window_start = 100;
         d.sliced_last_fired_start = 100;
       }},
  };
  for (const Mutation& m : mutations) {
    CAPTURE(m.config, m.what);
    ManualClockEnv env(1'000);
    const StateConfig c = ConfigNamed(m.config, env);
    Saved saved = SaveOf(c, env);
    REQUIRE(!saved.data.keys.empty());
    // The state as saved restores.
    StateHarness h(c);
    BROOK_REQUIRE_OK(h.op->RestoreState(Encode(saved.shape, saved.data)));
    BROOK_REQUIRE_OK(h.op->ProcessElement("x", 1, 1'000'000));
    const std::string before = h.op->SaveState();
    Data bad = saved.data;
    m.apply(bad);
    absl::Status s = h.op->RestoreState(Encode(saved.shape, bad));
    BROOK_CHECK_CODE(s, kDataLoss);
    CHECK_THAT(std::string(s.message()), Catch::Contains(m.what));
    CHECK(h.op->SaveState() == before);
  }
}

TEST_CASE("WindowState: a restored count at the largest count fires",
          "[window][state]") {
  // `++count` would overflow; the operator fires and counts again from 0.
  ManualClockEnv env(1'000);
  const StateConfig c = ConfigNamed("tumbling_offset_count", env);
  Saved saved = SaveOf(c, env);
  Data d = saved.data;
  d.keys[0].windows[0].trigger_state = {std::numeric_limits<int64_t>::max()};
  StateHarness h(c);
  BROOK_REQUIRE_OK(h.op->RestoreState(Encode(saved.shape, d)));
  const Data::Window& w = d.keys[0].windows[0];
  BROOK_REQUIRE_OK(h.op->ProcessElement(d.keys[0].key, 1, w.start_millis));
  REQUIRE(h.out.size() == 1);
  CHECK(std::get<2>(h.out[0]) == w.start_millis);
}

}  // namespace
}  // namespace brook
