// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Event time and watermarks, with Flink's semantics. A watermark W says "no
// more records with an event time <= W are expected"; windows fire when it
// passes their end. This header has the generators that derive a watermark
// from one input's records (`WatermarkGenerator`, `WatermarkStrategy`,
// `WatermarkAssigner`) and the `WatermarkCombiner` that merges the watermarks
// of many inputs (shards) into one, with idleness, end of input and watermark
// alignment, as Flink's StatusWatermarkValve, WatermarksWithIdleness and
// watermark alignment do.
//
// Time: points in time (event times, watermarks, clock readings) are `int64_t`
// milliseconds since the Unix epoch, named `*_millis`; durations are
// `absl::Duration` and must be whole milliseconds.
//
// Thread safety: none of these classes is thread-safe; drive each from one
// thread (the pipeline drives them from the consumer's thread). The `Env`
// they read the clock from must be thread-safe, as every `Env` is.
// Lifetime: an `Env*` given to any of them is not owned and must outlive it.
//
// Example:
//   absl::StatusOr<brook::WatermarkStrategy> strategy =
//       brook::WatermarkStrategy::ForBoundedOutOfOrderness(absl::Seconds(5));
//   strategy->WithTimestampAssigner(
//       [](const brook::Record& r) { return ParseEventTime(r.data); });
//   auto assigner = brook::WatermarkAssigner::Create(*strategy, env);
//   brook::EventTime ts = (*assigner)->OnRecord(record);
//   (*assigner)->OnTick();  // emits periodically, by `env`'s clock
//   brook::EventTime wm = (*assigner)->current_watermark_millis();

#ifndef BROOK_WATERMARK_H_
#define BROOK_WATERMARK_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/export.h"
#include "brook/record.h"

namespace brook {

class Env;

// Milliseconds, signed, Flink's unit. Any value of int64 is a valid time.
using EventTime = int64_t;

inline constexpr EventTime kMinEventTime = std::numeric_limits<int64_t>::min();
inline constexpr EventTime kMaxEventTime = std::numeric_limits<int64_t>::max();

// Whether an input moves event time on (Flink's WatermarkStatus). An idle
// input does not hold the combined watermark back, and its watermarks are
// ignored until it becomes active again.
enum class WatermarkStatus {
  kActive,
  kIdle,
};

// Where a generator reports watermarks. Emitting a value lower than one
// emitted before has no effect: watermarks never go backwards.
class BROOK_EXPORT WatermarkOutput {
 public:
  virtual ~WatermarkOutput();
  virtual void EmitWatermark(EventTime watermark_millis) = 0;
};

// Derives the watermark of one input from the timestamps of its records, as
// Flink's WatermarkGenerator does. A per-event (punctuated) generator emits in
// `OnEvent()`; a periodic one emits in `OnPeriodicEmit()`, which the
// `WatermarkAssigner` calls every `WatermarkStrategy::periodic_interval` of
// its clock. Implement it for user-defined watermarks.
class BROOK_EXPORT WatermarkGenerator {
 public:
  virtual ~WatermarkGenerator();
  // Called for each record, with the timestamp assigned to it.
  virtual void OnEvent(const Record& record, EventTime timestamp_millis,
                       WatermarkOutput& output) = 0;
  // Called periodically, by processing time.
  virtual void OnPeriodicEmit(WatermarkOutput& output) = 0;

  // The generator's state for a checkpoint, as bytes. The default (a
  // stateless generator) returns "". A generator that keeps state (such as
  // the highest timestamp seen) should override both, or a restored pipeline
  // may emit lower watermarks than an uninterrupted one would (never lower
  // than the checkpointed watermark, which is restored regardless).
  virtual std::string SaveState() const;
  // Takes back what `SaveState()` returned. Returns kDataLoss, naming what is
  // wrong, for bytes it cannot parse; the generator is unchanged then. The
  // default accepts only "".
  virtual absl::Status RestoreState(absl::string_view state);
};

// NewNoWatermarksGenerator()
//
// A generator that never emits: windows driven by event time never fire
// (until end of input), as with Flink's noWatermarks().
BROOK_EXPORT std::unique_ptr<WatermarkGenerator> NewNoWatermarksGenerator();

// NewBoundedOutOfOrdernessGenerator()
//
// Periodically emits maxSeenTimestamp - `max_out_of_orderness` - 1 ms
// (saturating), as Flink's BoundedOutOfOrdernessWatermarks, and nothing (the
// watermark stays kMinEventTime) until the first record. Returns
// kInvalidArgument if `max_out_of_orderness` is negative, infinite or not a
// whole number of milliseconds.
BROOK_EXPORT absl::StatusOr<std::unique_ptr<WatermarkGenerator>>
NewBoundedOutOfOrdernessGenerator(absl::Duration max_out_of_orderness);

// NewMonotonousTimestampsGenerator()
//
// The zero-bound case of the above (maxSeenTimestamp - 1), for inputs whose
// timestamps never decrease, as Flink's AscendingTimestampsWatermarks.
BROOK_EXPORT std::unique_ptr<WatermarkGenerator>
NewMonotonousTimestampsGenerator();

// Gives a record its event time, in milliseconds since the Unix epoch.
using TimestampAssigner = std::function<EventTime(const Record&)>;

// ArrivalTimestampMillis()
//
// The default timestamp: the record's `approximate_arrival_timestamp_millis`.
BROOK_EXPORT EventTime ArrivalTimestampMillis(const Record& record);

// How one input gets timestamps and watermarks (Flink's WatermarkStrategy).
struct BROOK_EXPORT WatermarkStrategy {
  // Makes the generator of one input; called once per input. Must not be
  // null. Default: none (set by the factories below).
  std::function<std::unique_ptr<WatermarkGenerator>()> generator_factory;
  // The record's event time. Default (null): `ArrivalTimestampMillis`.
  TimestampAssigner timestamp_assigner;
  // Processing time between calls of `OnPeriodicEmit()`: a whole number of
  // milliseconds, at least 1 ms and finite (brook has no switch to turn
  // periodic emission off, unlike Flink's interval 0; use a per-event
  // generator that ignores `OnPeriodicEmit()`). Default: 200 ms (Flink's
  // auto-watermark interval).
  absl::Duration periodic_interval = absl::Milliseconds(200);

  static WatermarkStrategy NoWatermarks();
  static WatermarkStrategy ForMonotonousTimestamps();
  // Returns kInvalidArgument if `max_out_of_orderness` is negative, infinite
  // or not a whole number of milliseconds.
  static absl::StatusOr<WatermarkStrategy> ForBoundedOutOfOrderness(
      absl::Duration max_out_of_orderness);
  // A user-defined generator.
  static WatermarkStrategy ForGenerator(
      std::function<std::unique_ptr<WatermarkGenerator>()> factory);

  WatermarkStrategy& WithTimestampAssigner(TimestampAssigner assigner) {
    timestamp_assigner = std::move(assigner);
    return *this;
  }
  // Sets `periodic_interval` (checked by `WatermarkAssigner::Create()`).
  WatermarkStrategy& WithPeriodicInterval(absl::Duration interval) {
    periodic_interval = interval;
    return *this;
  }
};

// Runs one input's timestamp assigner and generator: assigns timestamps, feeds
// the generator, calls its periodic emission by the clock (with a fixed delay
// between emissions, as Flink schedules it), and keeps the highest watermark
// emitted.
class BROOK_EXPORT WatermarkAssigner {
 public:
  // Returns kInvalidArgument if the strategy has no generator factory, the
  // factory returns null, or `periodic_interval` is not a whole number of
  // milliseconds of at least 1 ms. `env` null means `Env::Default()`.
  static absl::StatusOr<std::unique_ptr<WatermarkAssigner>> Create(
      const WatermarkStrategy& strategy, Env* env);

  WatermarkAssigner(const WatermarkAssigner&) = delete;
  WatermarkAssigner& operator=(const WatermarkAssigner&) = delete;
  ~WatermarkAssigner();

  // Returns the record's event time after passing it to the generator.
  EventTime OnRecord(const Record& record);
  // Calls the generator's periodic emission if at least the interval has
  // passed on the clock since the last one. Returns true if the watermark
  // advanced.
  bool OnTick();
  // Calls the periodic emission now, regardless of the clock.
  bool EmitNow();
  // Marks the input as ended: the watermark becomes kMaxEventTime, as a Flink
  // source emits Long.MAX_VALUE at the end of its input.
  void Finish();

  // The assigner's state (its watermark, the time of the last periodic
  // emission and the generator's `SaveState()`) as versioned bytes, for
  // checkpoints that outlive the process.
  std::string SaveState() const;
  // Takes back `SaveState()` bytes. Returns kDataLoss naming what is wrong for
  // truncated or damaged bytes, an unknown format version, or generator state
  // the generator refuses; the assigner is unchanged then.
  absl::Status RestoreState(absl::string_view state);

  // The highest watermark emitted; kMinEventTime before the first.
  EventTime current_watermark_millis() const { return output_.value; }

 private:
  struct Output : WatermarkOutput {
    void EmitWatermark(EventTime watermark_millis) override {
      if (watermark_millis > value) value = watermark_millis;
    }
    EventTime value = kMinEventTime;
  };
  WatermarkAssigner(std::unique_ptr<WatermarkGenerator> generator,
                    TimestampAssigner timestamp_assigner, int64_t interval_ms,
                    Env* env);

  std::unique_ptr<WatermarkGenerator> generator_;
  TimestampAssigner timestamp_assigner_;
  int64_t interval_ms_;
  Env* env_;
  int64_t last_emit_millis_;
  Output output_;
};

struct BROOK_EXPORT WatermarkCombinerOptions {
  // Number of inputs, at least 1 (`AddInput()` adds more). Default: 1.
  int num_inputs = 1;
  // Idleness (Flink's WatermarksWithIdleness): an input that has received no
  // records (`MarkActive()`) for longer than this becomes idle and stops
  // holding the combined watermark back, until records arrive again. The
  // timeout is counted from the first `CheckIdleness()` that saw no activity
  // since the check before (Flink's IdlenessTimer), so an input turns idle at
  // the first check more than `idle_timeout` after that one. Must be positive
  // and a whole number of milliseconds; `absl::InfiniteDuration()` turns
  // idleness off. Zero is invalid, as in Flink. Default: off.
  absl::Duration idle_timeout = absl::InfiniteDuration();
  // Watermark alignment: an input whose watermark is more than this ahead of
  // the slowest input that is neither idle nor finished is paused
  // (`IsPaused()`) until the others catch up. Zero or more, a whole number of
  // milliseconds; `absl::InfiniteDuration()` turns alignment off.
  // Default: off.
  absl::Duration max_drift = absl::InfiniteDuration();
  // Clock for idleness. Not owned. Default (null): `Env::Default()`.
  Env* env = nullptr;
  // Called when an input's status changes (active -> idle in
  // `CheckIdleness()`, idle -> active in `MarkActive()` or `MarkFinished()`),
  // after the combiner has applied the change. Must not call the combiner's
  // non-const functions. Default (null): not called.
  std::function<void(int input, WatermarkStatus status)> on_input_status;
  // Called when the combined status changes, as Flink's valve emits a
  // WatermarkStatus downstream: kIdle when every input has become idle (after
  // the combined watermark has been advanced to the highest of theirs),
  // kActive when one becomes active again. Same rules as `on_input_status`.
  // Default (null): not called.
  std::function<void(WatermarkStatus status)> on_combined_status;
};

// Combines the watermarks of many inputs into one, as Flink's
// StatusWatermarkValve does:
//  1. The combined watermark is the minimum over the *aligned* inputs: active
//     inputs whose watermark is at least the combined watermark. An input
//     that comes back from idleness behind the combined watermark holds
//     nothing back until its watermark catches up. It never goes backwards.
//  2. A watermark of an idle input is ignored; only `MarkActive()` (records
//     arrived) makes the input active again.
//  3. When every input is idle, the combined watermark becomes the highest of
//     the inputs' watermarks (Flink flushes them) and the combined status is
//     kIdle, provided the input that went idle last held the combined
//     watermark (Flink's condition; otherwise it holds).
//  4. A finished input is one that emitted kMaxEventTime and ended, as a Flink
//     source does at the end of its input: it becomes active (if it was idle),
//     its watermark is kMaxEventTime, and it stays active for good. So it no
//     longer holds the others back, and if every other input is idle or
//     behind, the combined watermark goes to kMaxEventTime at once. When
//     every input has finished it is kMaxEventTime.
//
// Complexity: `Update()` is O(log n) (a tournament tree over inputs) and
// reads no clock; `CheckIdleness()` is O(n) and meant for a periodic tick,
// like the periodic emission that checks idleness in Flink.
class BROOK_EXPORT WatermarkCombiner {
 public:
  // Returns kInvalidArgument, naming the option, if `num_inputs` < 1,
  // `idle_timeout` is not positive, or either duration is not a whole number
  // of milliseconds (or negative, for `max_drift`).
  static absl::StatusOr<std::unique_ptr<WatermarkCombiner>> Create(
      const WatermarkCombinerOptions& options);

  // Sets input `input`'s watermark and returns true if the combined watermark
  // advanced. Ignored (returns false) if the input is idle or finished, or
  // `watermark_millis` is not above the input's watermark. A watermark is not
  // activity: it neither resets the idleness timer nor reactivates the input.
  // REQUIRES: 0 <= input < num_inputs().
  bool Update(int input, EventTime watermark_millis);
  // Records activity (records arrived). An idle input becomes active again
  // (status change); it is aligned if its watermark is at least the combined
  // watermark. Never changes the combined watermark. No effect on a finished
  // input.
  void MarkActive(int input);
  // The input ended: see rule 4 above. Returns true if the combined watermark
  // advanced. No effect if the input has already finished.
  bool MarkFinished(int input);
  // Adds an input with watermark `watermark_millis`, active, and returns its
  // number (`num_inputs()` before the call), as a pipeline does for a child
  // shard when its parents end. It holds the combined watermark back (it is
  // aligned) if `watermark_millis` is at least the combined watermark; else,
  // as an input back from idleness, it holds nothing back until it catches
  // up. Never changes the combined watermark. If every other input was idle,
  // the combined status becomes kActive (`on_combined_status` is called).
  // Cost: O(log n), or O(n) when the input count passes a power of two.
  int AddInput(EventTime watermark_millis);
  // Marks inputs idle that have seen no activity for longer than the idle
  // timeout, by the clock (see `WatermarkCombinerOptions::idle_timeout`).
  // Returns true if the combined watermark advanced.
  bool CheckIdleness();

  // The state (each input's watermark, status, idleness timer and whether it
  // finished, and the combined watermark) as versioned bytes, for checkpoints
  // that outlive the process.
  std::string SaveState() const;
  // Takes back `SaveState()` bytes. Returns kInvalidArgument if they were
  // saved with another `num_inputs`, kDataLoss naming what is wrong if they
  // are damaged, of an unknown version, or inconsistent; the combiner is
  // unchanged then. Calls no status callback.
  absl::Status RestoreState(absl::string_view state);

  // The combined watermark; kMinEventTime at first.
  EventTime combined_watermark_millis() const { return combined_; }
  // kIdle when every input is idle (a finished input counts as active).
  WatermarkStatus combined_status() const {
    return active_ == 0 ? WatermarkStatus::kIdle : WatermarkStatus::kActive;
  }
  // The highest watermark the input reported while active.
  EventTime input_watermark_millis(int input) const {
    return inputs_[input].watermark;
  }
  WatermarkStatus input_status(int input) const {
    return inputs_[input].idle ? WatermarkStatus::kIdle
                               : WatermarkStatus::kActive;
  }
  bool IsIdle(int input) const { return inputs_[input].idle; }
  bool IsFinished(int input) const { return inputs_[input].finished; }
  // True if alignment is on and the input, neither idle nor finished, runs
  // more than `max_drift` ahead of the slowest input that is neither idle nor
  // finished (as Flink's alignment, which counts idle and finished sources as
  // kMaxEventTime). Cost: O(1).
  bool IsPaused(int input) const;
  int num_inputs() const { return static_cast<int>(inputs_.size()); }

 private:
  struct Input {
    EventTime watermark = kMinEventTime;
    // Flink's IdlenessTimer: activity since the last check, and when the
    // first check that saw none ran (if one did since the last activity).
    bool active_since_check = false;
    bool inactivity_started = false;
    int64_t inactive_since_millis = 0;
    bool idle = false;
    bool aligned = true;
    bool finished = false;
  };
  explicit WatermarkCombiner(const WatermarkCombinerOptions& options);
  WatermarkCombiner(const WatermarkCombiner&) = delete;
  WatermarkCombiner& operator=(const WatermarkCombiner&) = delete;
  void SetLeaf(int input);
  void Activate(int input);
  void MarkIdle(int input);
  bool AdvanceToAlignedMin();
  bool AdvanceToMaxOfAll();
  void RebuildTrees();

  std::vector<Input> inputs_;
  // Tournament trees, leaves at [leaves_, 2*leaves_): `aligned_tree_` holds
  // the watermarks of aligned inputs (rule 1), `drift_tree_` those of inputs
  // neither idle nor finished (alignment; kept only when alignment is on).
  std::vector<EventTime> aligned_tree_;
  std::vector<EventTime> drift_tree_;
  int leaves_ = 1;
  int active_ = 0;   // inputs not idle (finished ones included)
  int aligned_ = 0;  // aligned inputs
  bool idleness_;
  int64_t idle_timeout_ms_;
  bool alignment_;
  int64_t max_drift_ms_;
  Env* env_;
  std::function<void(int, WatermarkStatus)> on_input_status_;
  std::function<void(WatermarkStatus)> on_combined_status_;
  EventTime combined_ = kMinEventTime;
};

}  // namespace brook

#endif  // BROOK_WATERMARK_H_
