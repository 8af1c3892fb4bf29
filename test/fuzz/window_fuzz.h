// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Shared by the window fuzz targets and the seed generator: a table of window
// operator configurations (several window kinds, triggers, key and
// accumulator types), a driver that feeds an operator a fixed workload, and
// the checksum fix-up that lets a fuzzer reach past the checksum.
//
// Fuzz input of `window_state`: one byte choosing the configuration (modulo
// `kWindowConfigs`), then `WindowOperator::SaveState()` bytes WITHOUT their
// trailing 4-byte CRC-32C; the target appends the right checksum, so that
// mutations exercise the decoder's field checks and `ImportState()`'s
// logical checks rather than the checksum.

#ifndef BROOK_TEST_FUZZ_WINDOW_FUZZ_H_
#define BROOK_TEST_FUZZ_WINDOW_FUZZ_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "brook/codec.h"
#include "brook/env.h"
#include "brook/internal/window_state_codec.h"
#include "brook/window.h"

#include "fuzz/fuzz_util.h"

namespace brook {
namespace fuzz {

inline constexpr int kWindowConfigs = 16;

// `body` followed by its saved-state checksum (window operator and pipeline
// state share it).
inline std::string WithChecksum(absl::string_view body) {
  std::string out(body);
  Codec<uint32_t>::Encode(internal::WindowStateChecksum(body), &out);
  return out;
}

// Reduce with wrapping arithmetic: no signed overflow whatever the restored
// accumulators hold.
struct WrapAdd {
  int64_t operator()(int64_t a, int64_t b) const {
    return static_cast<int64_t>(static_cast<uint64_t>(a) +
                                static_cast<uint64_t>(b));
  }
};

// A custom trigger (generic path) that fires every third element of a
// window and at its end, with one value of state. Safe for any restored
// state (values out of range count as zero) and any timer.
class EveryThirdTrigger final : public CustomTrigger {
 public:
  std::string name() const override { return "every_third"; }
  int state_size() const override { return 1; }
  bool CanMerge() const override { return true; }
  TriggerResult OnElement(EventTime, const TimeWindow& w,
                          TriggerContext& ctx) const override {
    if (w.max_timestamp_millis <= ctx.current_watermark_millis()) {
      return TriggerResult::kFire;
    }
    ctx.RegisterEventTimeTimer(w.max_timestamp_millis);
    const int64_t n = ctx.state(0) >= 0 && ctx.state(0) < 2 ? ctx.state(0) : 0;
    ctx.set_state(0, n == 1 ? 0 : n + 1);
    return n == 1 ? TriggerResult::kFire : TriggerResult::kContinue;
  }
  TriggerResult OnEventTime(EventTime time, const TimeWindow& w,
                            TriggerContext&) const override {
    return time == w.max_timestamp_millis ? TriggerResult::kFire
                                          : TriggerResult::kContinue;
  }
  TriggerResult OnProcessingTime(int64_t, const TimeWindow&,
                                 TriggerContext&) const override {
    return TriggerResult::kContinue;
  }
  void OnMerge(const TimeWindow& w,
               absl::Span<const absl::Span<const int64_t>> merged,
               TriggerContext& ctx) const override {
    int64_t n = 0;
    for (auto st : merged) n = st[0] >= 0 && st[0] < 2 ? st[0] : n;
    ctx.set_state(0, n);
    if (w.max_timestamp_millis > ctx.current_watermark_millis()) {
      ctx.RegisterEventTimeTimer(w.max_timestamp_millis);
    }
  }
  void Clear(const TimeWindow& w, TriggerContext& ctx) const override {
    ctx.DeleteEventTimeTimer(w.max_timestamp_millis);
  }
};

// Tumbling windows of 10 ms and windows of 20 ms on the same grid: an
// element lies in two windows of unequal size (a custom assigner).
class TwoGridsAssigner final : public CustomWindowAssigner {
 public:
  std::string name() const override { return "two_grids"; }
  void AssignWindows(EventTime ts, int64_t,
                     std::vector<TimeWindow>* out) const override {
    out->push_back(WindowAssigner::AlignedWindow(ts, absl::ZeroDuration(),
                                                 absl::Milliseconds(10)));
    out->push_back(WindowAssigner::AlignedWindow(ts, absl::ZeroDuration(),
                                                 absl::Milliseconds(20)));
  }
};

inline WindowOptions ConfigOptions(int config, Env* env) {
  WindowOptions o;
  o.env = env;
  switch (config) {
    case 0:  // tumbling, event time, hot accumulators
      o.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(10));
      o.allowed_lateness = absl::Milliseconds(5);
      break;
    case 1:  // sliding, sliced
      o.assigner = *WindowAssigner::Sliding(absl::Milliseconds(30),
                                            absl::Milliseconds(10));
      o.allowed_lateness = absl::Milliseconds(10);
      break;
    case 2:  // sliding, not sliced
      o.assigner = *WindowAssigner::Sliding(absl::Milliseconds(30),
                                            absl::Milliseconds(10));
      o.use_slicing = false;
      break;
    case 3:  // session
      o.assigner = *WindowAssigner::Session(absl::Milliseconds(10));
      o.allowed_lateness = absl::Milliseconds(5);
      break;
    case 4:  // tumbling, count trigger
      o.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(20));
      o.trigger = *Trigger::Count(3);
      break;
    case 5:  // cumulate, not sliced (its seeds were saved so)
      o.assigner = *WindowAssigner::Cumulate(absl::Milliseconds(40),
                                             absl::Milliseconds(10));
      o.use_slicing = false;
      break;
    case 6:  // global, count trigger
      // (No continuous event-time trigger: it fires once per interval up to
      // the watermark, so a wide restored window, or a global one, takes
      // span / interval steps to reach kMaxEventTime: a hang to libFuzzer.)
      o.assigner = WindowAssigner::Global();
      o.trigger = *Trigger::Count(4);
      break;
    case 7:  // tumbling, processing time
      o.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(10));
      o.trigger = Trigger::ProcessingTime();
      break;
    case 8:  // session, purging count trigger
      o.assigner = *WindowAssigner::Session(absl::Milliseconds(10));
      o.trigger = Trigger::Purging(*Trigger::Count(2));
      break;
    case 10:  // tumbling, count evictor before the aggregate
      o.assigner = *WindowAssigner::Tumbling(absl::Milliseconds(10));
      o.evictor = *Evictor::Count(2, /*evict_after=*/false);
      o.allowed_lateness = absl::Milliseconds(5);
      break;
    case 11:  // session, time evictor after the aggregate
      o.assigner = *WindowAssigner::Session(absl::Milliseconds(10));
      o.evictor = *Evictor::Time(absl::Milliseconds(5), /*evict_after=*/true);
      break;
    case 12:  // sliding, custom trigger (generic path), with lateness
      o.assigner = *WindowAssigner::Sliding(absl::Milliseconds(30),
                                            absl::Milliseconds(10));
      o.trigger = *Trigger::Custom(std::make_shared<EveryThirdTrigger>());
      o.allowed_lateness = absl::Milliseconds(5);
      break;
    case 13:  // session, purging custom trigger, count evictor
      o.assigner = *WindowAssigner::Session(absl::Milliseconds(10));
      o.trigger = Trigger::Purging(
          *Trigger::Custom(std::make_shared<EveryThirdTrigger>()));
      o.evictor = *Evictor::Count(3, /*evict_after=*/true);
      break;
    case 14:  // custom assigner, built-in count trigger, time evictor
      o.assigner =
          *WindowAssigner::Custom(std::make_shared<TwoGridsAssigner>());
      o.trigger = *Trigger::Count(2);
      o.evictor = *Evictor::Time(absl::Milliseconds(4), /*evict_after=*/false);
      o.allowed_lateness = absl::Milliseconds(5);
      break;
    case 15:  // cumulate, sliced, with offset and lateness
      o.assigner = *WindowAssigner::Cumulate(absl::Milliseconds(40),
                                             absl::Milliseconds(10),
                                             absl::Milliseconds(-15));
      o.allowed_lateness = absl::Milliseconds(25);
      break;
    default:  // sliding, sliced, odd pane (gcd 5)
      o.assigner = *WindowAssigner::Sliding(absl::Milliseconds(25),
                                            absl::Milliseconds(15));
      o.allowed_lateness = absl::Milliseconds(20);
      break;
  }
  return o;
}

// Drives `op` through a fixed workload starting at event time `base`:
// elements for a few keys (`key_of(i)`), some late, watermarks, processing
// time. Every firing goes to the operator's callbacks.
template <typename Op, typename KeyOf>
void Drive(Op& op, ManualClockEnv& env, EventTime base, KeyOf key_of,
           int rounds) {
  EventTime wm = base - 50;
  for (int i = 0; i < rounds; ++i) {
    const EventTime ts = base + (i * 7) % 41 - (i % 5 == 4 ? 30 : 0);
    op.ProcessElement(key_of(i), i + 1, ts).IgnoreError();  // gap is fixed
    if (i % 4 == 3) {
      wm += 9;
      op.AdvanceWatermark(wm);
    }
    if (i % 6 == 5) {
      env.Advance(absl::Milliseconds(7));
      op.AdvanceProcessingTime();
    }
  }
}

// Restores `bytes` (whole saved state, checksum included) into an operator
// of configuration `config` with key type `Key` that already holds some
// state. A refusal must be kDataLoss or kInvalidArgument and leave the
// operator as it was; on success the operator runs a workload, and its own
// saved state restores into a fresh operator and saves to the same bytes.
// Returns whether it restored.
template <typename Key, typename KeyOf>
bool RestoreAndDrive(int config, absl::string_view bytes, KeyOf key_of) {
  using Agg = ReduceAggregate<int64_t, WrapAdd>;
  using Op = WindowOperator<Key, int64_t, Agg>;
  ManualClockEnv env(1000);
  int64_t results = 0;
  auto make = [&]() {
    WindowFunctions<Key, int64_t, int64_t> fns;
    fns.on_result = [&results](const WindowResult<Key, int64_t>&) {
      ++results;
    };
    fns.on_late = [](const Key&, const int64_t&, EventTime) {};
    auto op = Op::Create(ConfigOptions(config, &env), Agg{}, std::move(fns));
    if (!op.ok()) Fail(op.status().ToString());
    return *std::move(op);
  };
  std::unique_ptr<Op> op = make();
  Drive(*op, env, 100, key_of, 5);
  const std::string before = op->SaveState();
  absl::Status s = op->RestoreState(bytes);
  if (!s.ok()) {
    if (!absl::IsDataLoss(s) && !absl::IsInvalidArgument(s)) {
      Fail(absl::StrCat("restore: neither kDataLoss nor kInvalidArgument: ",
                        s.ToString()));
    }
    if (op->SaveState() != before) Fail("a refused restore changed the state");
    return false;
  }
  const EventTime wm = op->current_watermark_millis();
  const EventTime base =
      wm > kMinEventTime + 100 && wm < kMaxEventTime - 1000 ? wm : 100;
  Drive(*op, env, base, key_of, 24);
  const std::string again = op->SaveState();
  std::unique_ptr<Op> fresh = make();
  if (absl::Status back = fresh->RestoreState(again); !back.ok()) {
    Fail(absl::StrCat("the operator's own saved state does not restore: ",
                      back.ToString()));
  }
  if (fresh->SaveState() != again) {
    Fail("restored state saves to other bytes");
  }
  op->AdvanceWatermark(kMaxEventTime);
  return true;
}

inline std::string IntKey(int i) { return absl::StrCat("k", i % 3); }

// Runs one configuration on `bytes`; key types differ by configuration.
inline bool RunWindowConfig(int config, absl::string_view bytes) {
  if (config % 2 == 0) {
    return RestoreAndDrive<int64_t>(config, bytes,
                                    [](int i) { return int64_t{i % 3}; });
  }
  return RestoreAndDrive<std::string>(config, bytes, &IntKey);
}

// Valid saved state of configuration `config` after a workload of `rounds`
// elements, in fuzz input form (config byte, body without checksum).
inline std::string WindowSeed(int config, int rounds) {
  using Agg = ReduceAggregate<int64_t, WrapAdd>;
  auto make = [&](auto key_tag, auto key_of) {
    using Key = decltype(key_tag);
    using Op = WindowOperator<Key, int64_t, Agg>;
    ManualClockEnv env(1000);
    WindowFunctions<Key, int64_t, int64_t> fns;
    fns.on_result = [](const WindowResult<Key, int64_t>&) {};
    auto op = Op::Create(ConfigOptions(config, &env), Agg{}, std::move(fns));
    if (!op.ok()) Fail(op.status().ToString());
    Drive(**op, env, 100, key_of, rounds);
    std::string bytes = (*op)->SaveState();
    bytes.resize(bytes.size() - 4);
    return std::string(1, static_cast<char>(config)) + bytes;
  };
  if (config % 2 == 0) {
    return make(int64_t{}, [](int i) { return int64_t{i % 3}; });
  }
  return make(std::string(), &IntKey);
}

}  // namespace fuzz
}  // namespace brook

#endif  // BROOK_TEST_FUZZ_WINDOW_FUZZ_H_
