// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/watermark.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "brook/codec.h"
#include "brook/env.h"
#include "brook/internal/time_math.h"

namespace brook {

WatermarkOutput::~WatermarkOutput() = default;
WatermarkGenerator::~WatermarkGenerator() = default;

std::string WatermarkGenerator::SaveState() const { return std::string(); }

absl::Status WatermarkGenerator::LoadState(absl::string_view state) {
  if (!state.empty()) {
    return absl::DataLossError(
        absl::StrCat("watermark generator: stateless generator given ",
                     state.size(), " bytes of state"));
  }
  return absl::OkStatus();
}

namespace {

class NoWatermarks final : public WatermarkGenerator {
 public:
  void OnEvent(const Record&, EventTime, WatermarkOutput&) override {}
  void OnPeriodicEmit(WatermarkOutput&) override {}
};

// Tracks the highest timestamp seen; emits it minus the bound minus 1.
class BoundedOutOfOrderness final : public WatermarkGenerator {
 public:
  explicit BoundedOutOfOrderness(int64_t bound_ms) : bound_ms_(bound_ms) {}
  void OnEvent(const Record&, EventTime timestamp, WatermarkOutput&) override {
    if (timestamp > max_seen_) max_seen_ = timestamp;
    seen_ = true;
  }
  void OnPeriodicEmit(WatermarkOutput& output) override {
    if (!seen_) return;  // kMinEventTime is the starting watermark anyway
    output.EmitWatermark(internal::SaturatingSub(
        internal::SaturatingSub(max_seen_, bound_ms_), 1));
  }
  std::string SaveState() const override {
    return seen_ ? absl::StrCat(max_seen_) : std::string();
  }
  absl::Status LoadState(absl::string_view state) override {
    if (state.empty()) {
      seen_ = false;
      max_seen_ = kMinEventTime;
      return absl::OkStatus();
    }
    int64_t v;
    // Exactly what SaveState() writes: SimpleAtoi alone would also take
    // "+5" or " 5".
    if (!absl::SimpleAtoi(state, &v) || absl::StrCat(v) != state) {
      return absl::DataLossError(absl::StrCat(
          "bounded out-of-orderness: bad saved state \"", state, "\""));
    }
    seen_ = true;
    max_seen_ = v;
    return absl::OkStatus();
  }

 private:
  int64_t bound_ms_;
  EventTime max_seen_ = kMinEventTime;
  bool seen_ = false;
};

}  // namespace

std::unique_ptr<WatermarkGenerator> NewNoWatermarksGenerator() {
  return std::make_unique<NoWatermarks>();
}

absl::StatusOr<std::unique_ptr<WatermarkGenerator>>
NewBoundedOutOfOrdernessGenerator(int64_t bound_ms) {
  if (bound_ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bounded out-of-orderness: bound must not be negative, got ",
        bound_ms));
  }
  return std::unique_ptr<WatermarkGenerator>(
      std::make_unique<BoundedOutOfOrderness>(bound_ms));
}

std::unique_ptr<WatermarkGenerator> NewMonotonousTimestampsGenerator() {
  return std::make_unique<BoundedOutOfOrderness>(0);
}

EventTime ArrivalTimestamp(const Record& record) {
  return record.approximate_arrival_timestamp_millis;
}

WatermarkStrategy WatermarkStrategy::NoWatermarks() {
  return ForGenerator(&NewNoWatermarksGenerator);
}

WatermarkStrategy WatermarkStrategy::ForMonotonousTimestamps() {
  return ForGenerator(&NewMonotonousTimestampsGenerator);
}

absl::StatusOr<WatermarkStrategy> WatermarkStrategy::ForBoundedOutOfOrderness(
    int64_t bound_ms) {
  if (bound_ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bounded out-of-orderness: bound must not be negative, got ",
        bound_ms));
  }
  return ForGenerator([bound_ms]() -> std::unique_ptr<WatermarkGenerator> {
    return std::make_unique<BoundedOutOfOrderness>(bound_ms);
  });
}

WatermarkStrategy WatermarkStrategy::ForGenerator(
    std::function<std::unique_ptr<WatermarkGenerator>()> factory) {
  WatermarkStrategy strategy;
  strategy.generator_factory = std::move(factory);
  return strategy;
}

// --- WatermarkAssigner ------------------------------------------------------

absl::StatusOr<std::unique_ptr<WatermarkAssigner>> WatermarkAssigner::Create(
    const WatermarkStrategy& strategy, Env* env) {
  if (!strategy.generator_factory) {
    return absl::InvalidArgumentError(
        "watermark strategy: no generator factory");
  }
  if (strategy.periodic_interval_ms < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("watermark strategy: periodic interval must be at least "
                     "1 ms, got ",
                     strategy.periodic_interval_ms));
  }
  std::unique_ptr<WatermarkGenerator> generator = strategy.generator_factory();
  if (generator == nullptr) {
    return absl::InvalidArgumentError(
        "watermark strategy: generator factory returned null");
  }
  return std::unique_ptr<WatermarkAssigner>(new WatermarkAssigner(
      std::move(generator),
      strategy.timestamp_assigner ? strategy.timestamp_assigner
                                  : TimestampAssigner(&ArrivalTimestamp),
      strategy.periodic_interval_ms, env != nullptr ? env : Env::Default()));
}

WatermarkAssigner::WatermarkAssigner(
    std::unique_ptr<WatermarkGenerator> generator,
    TimestampAssigner timestamp_assigner, int64_t interval_ms, Env* env)
    : generator_(std::move(generator)),
      timestamp_assigner_(std::move(timestamp_assigner)),
      interval_ms_(interval_ms),
      env_(env),
      last_emit_ms_(env->NowMillis()) {}

WatermarkAssigner::~WatermarkAssigner() = default;

EventTime WatermarkAssigner::OnRecord(const Record& record) {
  EventTime ts = timestamp_assigner_(record);
  generator_->OnEvent(record, ts, output_);
  return ts;
}

bool WatermarkAssigner::OnTick() {
  int64_t now = env_->NowMillis();
  if (internal::SaturatingSub(now, last_emit_ms_) < interval_ms_) return false;
  last_emit_ms_ = now;
  return EmitNow();
}

bool WatermarkAssigner::EmitNow() {
  EventTime before = output_.value;
  generator_->OnPeriodicEmit(output_);
  return output_.value > before;
}

void WatermarkAssigner::Finish() { output_.EmitWatermark(kMaxEventTime); }

WatermarkAssigner::SavedState WatermarkAssigner::SaveState() const {
  SavedState s;
  s.watermark = output_.value;
  s.last_emit_ms = last_emit_ms_;
  s.generator_state = generator_->SaveState();
  return s;
}

absl::Status WatermarkAssigner::LoadState(const SavedState& state) {
  absl::Status s = generator_->LoadState(state.generator_state);
  if (!s.ok()) return s;
  output_.value = state.watermark;
  last_emit_ms_ = state.last_emit_ms;
  return absl::OkStatus();
}

// --- WatermarkCombiner ------------------------------------------------------

absl::StatusOr<std::unique_ptr<WatermarkCombiner>> WatermarkCombiner::Create(
    const WatermarkCombinerOptions& options) {
  if (options.num_inputs < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("watermark combiner: num_inputs must be at least 1, got ",
                     options.num_inputs));
  }
  if (options.idle_timeout_ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "watermark combiner: idle_timeout_ms must not be negative, got ",
        options.idle_timeout_ms));
  }
  return std::unique_ptr<WatermarkCombiner>(new WatermarkCombiner(options));
}

WatermarkCombiner::WatermarkCombiner(const WatermarkCombinerOptions& options)
    : inputs_(options.num_inputs),
      active_(options.num_inputs),
      idle_timeout_ms_(options.idle_timeout_ms),
      max_drift_ms_(options.max_drift_ms),
      env_(options.env != nullptr ? options.env : Env::Default()) {
  while (leaves_ < options.num_inputs) leaves_ *= 2;
  tree_.assign(2 * static_cast<size_t>(leaves_), kMaxEventTime);
  int64_t now = env_->NowMillis();
  for (int i = 0; i < options.num_inputs; ++i) {
    inputs_[i].last_active_ms = now;
    SetLeaf(i);
  }
}

// Writes the input's effective value (its watermark, or +inf when it does not
// hold the combined watermark back) and fixes the path to the root.
void WatermarkCombiner::SetLeaf(int input) {
  const Input& in = inputs_[input];
  size_t pos = static_cast<size_t>(leaves_) + input;
  tree_[pos] = (in.idle || in.finished) ? kMaxEventTime : in.watermark;
  for (pos /= 2; pos >= 1; pos /= 2) {
    EventTime m = std::min(tree_[2 * pos], tree_[2 * pos + 1]);
    if (tree_[pos] == m) break;  // unchanged: nothing above can change
    tree_[pos] = m;
  }
}

bool WatermarkCombiner::Recompute() {
  EventTime candidate;
  if (finished_ == num_inputs()) {
    candidate = kMaxEventTime;
  } else if (active_ == 0) {
    return false;  // everything idle: hold
  } else {
    candidate = tree_[1];
  }
  if (candidate <= combined_) return false;
  combined_ = candidate;
  return true;
}

bool WatermarkCombiner::Update(int input, EventTime watermark) {
  Input& in = inputs_[input];
  if (in.finished) return false;
  in.active_since_check = true;
  bool changed = false;
  if (in.idle) {
    in.idle = false;
    ++active_;
    changed = true;
  }
  if (watermark > in.watermark) {
    in.watermark = watermark;
    changed = true;
  }
  if (!changed) return false;
  SetLeaf(input);
  return Recompute();
}

void WatermarkCombiner::MarkActive(int input) {
  Input& in = inputs_[input];
  if (in.finished) return;
  in.active_since_check = true;
  if (in.idle) {
    in.idle = false;
    ++active_;
    SetLeaf(input);
    // Coming back can only lower the minimum; `combined_` never goes back.
  }
}

bool WatermarkCombiner::MarkFinished(int input) {
  Input& in = inputs_[input];
  if (in.finished) return false;
  if (!in.idle) --active_;
  in.finished = true;
  in.idle = false;
  in.watermark = kMaxEventTime;
  ++finished_;
  SetLeaf(input);
  return Recompute();
}

bool WatermarkCombiner::CheckIdleness() {
  if (idle_timeout_ms_ == 0) return false;
  int64_t now = env_->NowMillis();
  bool changed = false;
  for (int i = 0; i < num_inputs(); ++i) {
    Input& in = inputs_[i];
    if (in.active_since_check) {
      // Activity is noted by a flag, not a clock read per update; the time of
      // the check that sees it stands for the time of the activity.
      in.active_since_check = false;
      in.last_active_ms = now;
      continue;
    }
    if (in.idle || in.finished) continue;
    if (internal::SaturatingSub(now, in.last_active_ms) > idle_timeout_ms_) {
      in.idle = true;
      --active_;
      SetLeaf(i);
      changed = true;
    }
  }
  return changed && Recompute();
}

std::string WatermarkCombiner::SaveState() const {
  std::string out;
  Codec<uint32_t>::Encode(static_cast<uint32_t>(inputs_.size()), &out);
  for (const Input& in : inputs_) {
    Codec<EventTime>::Encode(in.watermark, &out);
    Codec<int64_t>::Encode(in.last_active_ms, &out);
    Codec<bool>::Encode(in.active_since_check, &out);
    Codec<bool>::Encode(in.idle, &out);
    Codec<bool>::Encode(in.finished, &out);
  }
  Codec<EventTime>::Encode(combined_, &out);
  return out;
}

absl::Status WatermarkCombiner::LoadState(absl::string_view state) {
  uint32_t n = 0;
  if (!Codec<uint32_t>::Decode(&state, &n)) {
    return absl::DataLossError("watermark combiner state: truncated");
  }
  if (n != inputs_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("watermark combiner state: saved with ", n,
                     " inputs, this combiner has ", inputs_.size()));
  }
  std::vector<Input> inputs(n);
  bool ok = true;
  for (Input& in : inputs) {
    ok = ok && Codec<EventTime>::Decode(&state, &in.watermark) &&
         Codec<int64_t>::Decode(&state, &in.last_active_ms) &&
         Codec<bool>::Decode(&state, &in.active_since_check) &&
         Codec<bool>::Decode(&state, &in.idle) &&
         Codec<bool>::Decode(&state, &in.finished);
  }
  EventTime combined = kMinEventTime;
  ok = ok && Codec<EventTime>::Decode(&state, &combined) && state.empty();
  if (!ok) return absl::DataLossError("watermark combiner state: corrupt");
  for (uint32_t i = 0; i < n; ++i) {
    // `MarkFinished()` leaves an input at the largest watermark, not idle.
    if (inputs[i].finished &&
        (inputs[i].idle || inputs[i].watermark != kMaxEventTime)) {
      return absl::DataLossError(
          absl::StrCat("watermark combiner state: input ", i,
                       " is finished but idle or below the largest watermark"));
    }
  }
  inputs_ = std::move(inputs);
  combined_ = combined;
  active_ = 0;
  finished_ = 0;
  std::fill(tree_.begin(), tree_.end(), kMaxEventTime);
  for (int i = 0; i < num_inputs(); ++i) {
    const Input& in = inputs_[i];
    if (in.finished) ++finished_;
    if (!in.idle && !in.finished) ++active_;
    tree_[static_cast<size_t>(leaves_) + i] =
        (in.idle || in.finished) ? kMaxEventTime : in.watermark;
  }
  for (int pos = leaves_ - 1; pos >= 1; --pos) {
    tree_[pos] = std::min(tree_[2 * pos], tree_[2 * pos + 1]);
  }
  return absl::OkStatus();
}

bool WatermarkCombiner::IsPaused(int input) const {
  const Input& in = inputs_[input];
  if (max_drift_ms_ < 0 || in.idle || in.finished || active_ == 0) return false;
  return in.watermark > internal::SaturatingAdd(tree_[1], max_drift_ms_);
}

}  // namespace brook
