// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Event time and watermarks, with Flink's semantics. A watermark W says "no
// more records with an event time <= W are expected"; windows fire when it
// passes their end. This header has the generators that derive a watermark
// from one input's records (`WatermarkGenerator`, `WatermarkStrategy`,
// `WatermarkAssigner`) and the `WatermarkCombiner` that merges the watermarks
// of many inputs (shards) into one, with idleness, end of input and watermark
// alignment.
//
// Thread safety: none of these classes is thread-safe; drive each from one
// thread (the pipeline drives them from the consumer's thread). The `Env`
// they read the clock from must be thread-safe, as every `Env` is.
// Lifetime: an `Env*` given to any of them is not owned and must outlive it.
//
// Example:
//   absl::StatusOr<brook::WatermarkStrategy> strategy =
//       brook::WatermarkStrategy::ForBoundedOutOfOrderness(/*bound_ms=*/5000);
//   strategy->WithTimestampAssigner(
//       [](const brook::Record& r) { return ParseEventTime(r.data); });
//   auto assigner = brook::WatermarkAssigner::Create(*strategy, env);
//   brook::EventTime ts = (*assigner)->OnRecord(record);
//   (*assigner)->OnTick();  // emits periodically, by `env`'s clock
//   brook::EventTime wm = (*assigner)->current_watermark();

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

#include "brook/export.h"
#include "brook/record.h"

namespace brook {

class Env;

// Milliseconds, signed, Flink's unit. Any value of int64 is a valid time.
using EventTime = int64_t;

inline constexpr EventTime kMinEventTime = std::numeric_limits<int64_t>::min();
inline constexpr EventTime kMaxEventTime = std::numeric_limits<int64_t>::max();

// Where a generator reports watermarks. Emitting a value lower than one
// emitted before has no effect: watermarks never go backwards.
class BROOK_EXPORT WatermarkOutput {
 public:
  virtual ~WatermarkOutput();
  virtual void EmitWatermark(EventTime watermark) = 0;
};

// Derives the watermark of one input from the timestamps of its records, as
// Flink's WatermarkGenerator does. A per-event (punctuated) generator emits in
// `OnEvent()`; a periodic one emits in `OnPeriodicEmit()`, which the
// `WatermarkAssigner` calls every `WatermarkStrategy::periodic_interval_ms` of
// its clock. Implement it for user-defined watermarks.
class BROOK_EXPORT WatermarkGenerator {
 public:
  virtual ~WatermarkGenerator();
  // Called for each record, with the timestamp assigned to it.
  virtual void OnEvent(const Record& record, EventTime timestamp,
                       WatermarkOutput& output) = 0;
  // Called periodically, by processing time.
  virtual void OnPeriodicEmit(WatermarkOutput& output) = 0;

  // The generator's state for a checkpoint, as bytes. The default (a
  // stateless generator) returns "". A generator that keeps state (such as
  // the highest timestamp seen) should override both, or a restored pipeline
  // may emit lower watermarks than an uninterrupted one would (never lower
  // than the checkpointed watermark, which is restored regardless).
  virtual std::string SaveState() const;
  // Restores what `SaveState()` returned. Returns kDataLoss for bytes it
  // cannot parse. The default accepts only "".
  virtual absl::Status LoadState(absl::string_view state);
};

// NewNoWatermarksGenerator()
//
// A generator that never emits: windows driven by event time never fire
// (until end of input), as with Flink's noWatermarks().
BROOK_EXPORT std::unique_ptr<WatermarkGenerator> NewNoWatermarksGenerator();

// NewBoundedOutOfOrdernessGenerator()
//
// Periodically emits maxSeenTimestamp - `bound_ms` - 1 (saturating), and
// kMinEventTime until the first record. Returns kInvalidArgument if `bound_ms`
// is negative.
BROOK_EXPORT absl::StatusOr<std::unique_ptr<WatermarkGenerator>>
NewBoundedOutOfOrdernessGenerator(int64_t bound_ms);

// NewMonotonousTimestampsGenerator()
//
// The bound-0 case of the above: for inputs whose timestamps never decrease.
BROOK_EXPORT std::unique_ptr<WatermarkGenerator>
NewMonotonousTimestampsGenerator();

// Gives a record its event time.
using TimestampAssigner = std::function<EventTime(const Record&)>;

// ArrivalTimestamp()
//
// The default timestamp: the record's `approximate_arrival_timestamp_millis`.
BROOK_EXPORT EventTime ArrivalTimestamp(const Record& record);

// How one input gets timestamps and watermarks (Flink's WatermarkStrategy).
struct BROOK_EXPORT WatermarkStrategy {
  // Makes the generator of one input; called once per input. Must not be
  // null. Default: none (set by the factories below).
  std::function<std::unique_ptr<WatermarkGenerator>()> generator_factory;
  // The record's event time. Default (null): `ArrivalTimestamp`.
  TimestampAssigner timestamp_assigner;
  // Processing-time milliseconds between calls of `OnPeriodicEmit()`, at
  // least 1. Default: 200 (Flink's auto-watermark interval).
  int64_t periodic_interval_ms = 200;

  static WatermarkStrategy NoWatermarks();
  static WatermarkStrategy ForMonotonousTimestamps();
  // Returns kInvalidArgument if `bound_ms` is negative.
  static absl::StatusOr<WatermarkStrategy> ForBoundedOutOfOrderness(
      int64_t bound_ms);
  // A user-defined generator.
  static WatermarkStrategy ForGenerator(
      std::function<std::unique_ptr<WatermarkGenerator>()> factory);

  WatermarkStrategy& WithTimestampAssigner(TimestampAssigner assigner) {
    timestamp_assigner = std::move(assigner);
    return *this;
  }
  WatermarkStrategy& WithPeriodicInterval(int64_t interval_ms) {
    periodic_interval_ms = interval_ms;
    return *this;
  }
};

// Runs one input's timestamp assigner and generator: assigns timestamps, feeds
// the generator, calls its periodic emission by the clock, and keeps the
// highest watermark emitted.
class BROOK_EXPORT WatermarkAssigner {
 public:
  // Returns kInvalidArgument if the strategy has no generator factory, the
  // factory returns null, or `periodic_interval_ms` < 1. `env` null means
  // `Env::Default()`.
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
  // Marks the input as ended: the watermark becomes kMaxEventTime.
  void Finish();

  // What a checkpoint keeps of an assigner.
  struct SavedState {
    EventTime watermark = kMinEventTime;
    int64_t last_emit_ms = 0;
    std::string generator_state;
  };
  SavedState SaveState() const;
  // Returns the generator's error for state it cannot load.
  absl::Status LoadState(const SavedState& state);

  // The highest watermark emitted; kMinEventTime before the first.
  EventTime current_watermark() const { return output_.value; }

 private:
  struct Output : WatermarkOutput {
    void EmitWatermark(EventTime watermark) override {
      if (watermark > value) value = watermark;
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
  int64_t last_emit_ms_;
  Output output_;
};

struct BROOK_EXPORT WatermarkCombinerOptions {
  // Number of inputs, at least 1. Default: 1.
  int num_inputs = 1;
  // Processing-time milliseconds after which an input that has neither
  // received records nor advanced its watermark is idle and stops holding the
  // combined watermark back, until it becomes active again. 0 disables
  // idleness; negative is invalid. Default: 0.
  int64_t idle_timeout_ms = 0;
  // Watermark alignment: an input whose watermark is more than this many
  // milliseconds ahead of the combined watermark (the slowest active input) is
  // paused (`IsPaused()`) until the others catch up. Negative disables
  // alignment. Default: -1.
  int64_t max_drift_ms = -1;
  // Clock for idleness. Not owned. Default (null): `Env::Default()`.
  Env* env = nullptr;
};

// Combines the watermarks of many inputs into one: the minimum over inputs
// that are neither idle nor finished. A finished input is released for good;
// when every input has finished the combined watermark is kMaxEventTime. When
// every unfinished input is idle, the combined watermark holds. It never goes
// backwards, even when an idle input comes back behind it.
//
// Complexity: `Update()` is O(log n) (a tournament tree over inputs) and
// reads no clock; `CheckIdleness()` is O(n) and meant for a periodic tick.
// Activity is sampled at each `CheckIdleness()`: an input is idle once no
// activity was seen for more than the timeout between checks, so idleness is
// detected up to one check interval late.
class BROOK_EXPORT WatermarkCombiner {
 public:
  // Returns kInvalidArgument if `num_inputs` < 1 or `idle_timeout_ms` < 0.
  static absl::StatusOr<std::unique_ptr<WatermarkCombiner>> Create(
      const WatermarkCombinerOptions& options);

  // Sets input `input`'s watermark (ignored if lower than its previous one),
  // marks it active and returns true if the combined watermark advanced.
  // REQUIRES: 0 <= input < num_inputs(), and the input has not finished.
  bool Update(int input, EventTime watermark);
  // Records activity (a record arrived) without a new watermark; an idle input
  // becomes active again (which never lowers the combined watermark).
  void MarkActive(int input);
  // Releases the input for good. Returns true if the combined watermark
  // advanced.
  bool MarkFinished(int input);
  // Marks inputs silent for longer than the idle timeout as idle, by the
  // clock. Returns true if the combined watermark advanced.
  bool CheckIdleness();

  // The state (each input's watermark, activity, idleness and whether it
  // finished, and the combined watermark) as bytes, for checkpoints that
  // outlive the process.
  std::string SaveState() const;
  // Takes state from `SaveState()` bytes. Returns kInvalidArgument if they
  // were saved with another number of inputs, kDataLoss if they are not such
  // bytes; the combiner is unchanged then.
  absl::Status LoadState(absl::string_view state);

  // The combined watermark; kMinEventTime at first.
  EventTime combined() const { return combined_; }
  // The watermark an input reported last.
  EventTime input_watermark(int input) const {
    return inputs_[input].watermark;
  }
  bool IsIdle(int input) const { return inputs_[input].idle; }
  bool IsFinished(int input) const { return inputs_[input].finished; }
  // True if alignment is on and the input runs more than `max_drift_ms` ahead
  // of the slowest active input. Cost: O(1).
  bool IsPaused(int input) const;
  int num_inputs() const { return static_cast<int>(inputs_.size()); }

 private:
  struct Input {
    EventTime watermark = kMinEventTime;
    int64_t last_active_ms = 0;
    bool active_since_check = false;
    bool idle = false;
    bool finished = false;
  };
  explicit WatermarkCombiner(const WatermarkCombinerOptions& options);
  WatermarkCombiner(const WatermarkCombiner&) = delete;
  WatermarkCombiner& operator=(const WatermarkCombiner&) = delete;
  void SetLeaf(int input);
  bool Recompute();

  std::vector<Input> inputs_;
  std::vector<EventTime>
      tree_;  // tournament tree, leaves at [leaves_, 2*leaves_)
  int leaves_ = 1;
  int active_ = 0;    // inputs neither idle nor finished
  int finished_ = 0;  // finished inputs
  int64_t idle_timeout_ms_;
  int64_t max_drift_ms_;
  Env* env_;
  EventTime combined_ = kMinEventTime;
};

}  // namespace brook

#endif  // BROOK_WATERMARK_H_
