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

absl::Status WatermarkGenerator::RestoreState(absl::string_view state) {
  if (!state.empty()) {
    return absl::DataLossError(
        absl::StrCat("watermark generator: stateless generator given ",
                     state.size(), " bytes of state"));
  }
  return absl::OkStatus();
}

namespace {

// Checks that `d` is a whole, finite number of milliseconds of at least
// `min_ms`, and stores it in `*ms`; else kInvalidArgument naming `what`.
absl::Status WholeMillis(absl::Duration d, absl::string_view what,
                         int64_t min_ms, int64_t* ms) {
  if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration() ||
      d % absl::Milliseconds(1) != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be a whole number of milliseconds, got ",
                     absl::FormatDuration(d)));
  }
  if (d < absl::Milliseconds(min_ms)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be at least ",
                                                   min_ms, "ms, got ",
                                                   absl::FormatDuration(d)));
  }
  *ms = absl::ToInt64Milliseconds(d);
  return absl::OkStatus();
}

class NoWatermarks final : public WatermarkGenerator {
 public:
  void OnEvent(const Record&, EventTime, WatermarkOutput&) override {}
  void OnPeriodicEmit(WatermarkOutput&) override {}
};

// Tracks the highest timestamp seen; emits it minus the bound minus 1.
class BoundedOutOfOrderness final : public WatermarkGenerator {
 public:
  explicit BoundedOutOfOrderness(int64_t bound_ms) : bound_ms_(bound_ms) {}
  void OnEvent(const Record&, EventTime timestamp_millis,
               WatermarkOutput&) override {
    if (timestamp_millis > max_seen_) max_seen_ = timestamp_millis;
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
  absl::Status RestoreState(absl::string_view state) override {
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

absl::Status BoundMillis(absl::Duration max_out_of_orderness, int64_t* ms) {
  return WholeMillis(max_out_of_orderness,
                     "bounded out-of-orderness: max_out_of_orderness", 0, ms);
}

}  // namespace

std::unique_ptr<WatermarkGenerator> NewNoWatermarksGenerator() {
  return std::make_unique<NoWatermarks>();
}

absl::StatusOr<std::unique_ptr<WatermarkGenerator>>
NewBoundedOutOfOrdernessGenerator(absl::Duration max_out_of_orderness) {
  int64_t bound_ms = 0;
  absl::Status s = BoundMillis(max_out_of_orderness, &bound_ms);
  if (!s.ok()) return s;
  return std::unique_ptr<WatermarkGenerator>(
      std::make_unique<BoundedOutOfOrderness>(bound_ms));
}

std::unique_ptr<WatermarkGenerator> NewMonotonousTimestampsGenerator() {
  return std::make_unique<BoundedOutOfOrderness>(0);
}

EventTime ArrivalTimestampMillis(const Record& record) {
  return record.approximate_arrival_timestamp_millis;
}

WatermarkStrategy WatermarkStrategy::NoWatermarks() {
  return ForGenerator(&NewNoWatermarksGenerator);
}

WatermarkStrategy WatermarkStrategy::ForMonotonousTimestamps() {
  return ForGenerator(&NewMonotonousTimestampsGenerator);
}

absl::StatusOr<WatermarkStrategy> WatermarkStrategy::ForBoundedOutOfOrderness(
    absl::Duration max_out_of_orderness) {
  int64_t bound_ms = 0;
  absl::Status s = BoundMillis(max_out_of_orderness, &bound_ms);
  if (!s.ok()) return s;
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
  int64_t interval_ms = 0;
  absl::Status s =
      WholeMillis(strategy.periodic_interval,
                  "watermark strategy: periodic_interval", 1, &interval_ms);
  if (!s.ok()) return s;
  std::unique_ptr<WatermarkGenerator> generator = strategy.generator_factory();
  if (generator == nullptr) {
    return absl::InvalidArgumentError(
        "watermark strategy: generator factory returned null");
  }
  return std::unique_ptr<WatermarkAssigner>(new WatermarkAssigner(
      std::move(generator),
      strategy.timestamp_assigner ? strategy.timestamp_assigner
                                  : TimestampAssigner(&ArrivalTimestampMillis),
      interval_ms, env != nullptr ? env : Env::Default()));
}

WatermarkAssigner::WatermarkAssigner(
    std::unique_ptr<WatermarkGenerator> generator,
    TimestampAssigner timestamp_assigner, int64_t interval_ms, Env* env)
    : generator_(std::move(generator)),
      timestamp_assigner_(std::move(timestamp_assigner)),
      interval_ms_(interval_ms),
      env_(env),
      last_emit_millis_(env->NowMillis()) {}

WatermarkAssigner::~WatermarkAssigner() = default;

EventTime WatermarkAssigner::OnRecord(const Record& record) {
  EventTime ts = timestamp_assigner_(record);
  generator_->OnEvent(record, ts, output_);
  return ts;
}

bool WatermarkAssigner::OnTick() {
  int64_t now_millis = env_->NowMillis();
  if (internal::SaturatingSub(now_millis, last_emit_millis_) < interval_ms_) {
    return false;
  }
  last_emit_millis_ = now_millis;
  return EmitNow();
}

bool WatermarkAssigner::EmitNow() {
  EventTime before = output_.value;
  generator_->OnPeriodicEmit(output_);
  return output_.value > before;
}

void WatermarkAssigner::Finish() { output_.EmitWatermark(kMaxEventTime); }

namespace {
// Persisted: the first field of `WatermarkAssigner::SaveState()` bytes.
constexpr uint32_t kAssignerStateVersion = 1;
// Persisted: the first field of `WatermarkCombiner::SaveState()` bytes.
constexpr uint32_t kCombinerStateVersion = 1;
}  // namespace

// Version, watermark, time of the last periodic emission, generator state.
std::string WatermarkAssigner::SaveState() const {
  std::string out;
  Codec<uint32_t>::Encode(kAssignerStateVersion, &out);
  Codec<EventTime>::Encode(output_.value, &out);
  Codec<int64_t>::Encode(last_emit_millis_, &out);
  Codec<std::string>::Encode(generator_->SaveState(), &out);
  return out;
}

absl::Status WatermarkAssigner::RestoreState(absl::string_view state) {
  uint32_t version = 0;
  if (!Codec<uint32_t>::Decode(&state, &version)) {
    return absl::DataLossError("watermark assigner state: truncated version");
  }
  if (version != kAssignerStateVersion) {
    return absl::DataLossError(absl::StrCat(
        "watermark assigner state: unknown format version ", version));
  }
  EventTime watermark_millis = kMinEventTime;
  int64_t last_emit_millis = 0;
  std::string generator_state;
  if (!Codec<EventTime>::Decode(&state, &watermark_millis) ||
      !Codec<int64_t>::Decode(&state, &last_emit_millis) ||
      !Codec<std::string>::Decode(&state, &generator_state)) {
    return absl::DataLossError("watermark assigner state: truncated");
  }
  if (!state.empty()) {
    return absl::DataLossError(
        absl::StrCat("watermark assigner state: ", state.size(),
                     " unexpected bytes after the end"));
  }
  // Last, so that nothing changes if the generator refuses its state.
  absl::Status s = generator_->RestoreState(generator_state);
  if (!s.ok()) return s;
  output_.value = watermark_millis;
  last_emit_millis_ = last_emit_millis;
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
  if (options.idle_timeout != absl::InfiniteDuration()) {
    int64_t ms = 0;
    absl::Status s = WholeMillis(options.idle_timeout,
                                 "watermark combiner: idle_timeout", 1, &ms);
    if (!s.ok()) return s;
  }
  if (options.max_drift != absl::InfiniteDuration()) {
    int64_t ms = 0;
    absl::Status s =
        WholeMillis(options.max_drift, "watermark combiner: max_drift", 0, &ms);
    if (!s.ok()) return s;
  }
  return std::unique_ptr<WatermarkCombiner>(new WatermarkCombiner(options));
}

WatermarkCombiner::WatermarkCombiner(const WatermarkCombinerOptions& options)
    : inputs_(options.num_inputs),
      active_(options.num_inputs),
      aligned_(options.num_inputs),
      idleness_(options.idle_timeout != absl::InfiniteDuration()),
      idle_timeout_ms_(
          idleness_ ? absl::ToInt64Milliseconds(options.idle_timeout) : 0),
      alignment_(options.max_drift != absl::InfiniteDuration()),
      max_drift_ms_(alignment_ ? absl::ToInt64Milliseconds(options.max_drift)
                               : 0),
      env_(options.env != nullptr ? options.env : Env::Default()),
      on_input_status_(options.on_input_status),
      on_combined_status_(options.on_combined_status) {
  while (leaves_ < options.num_inputs) leaves_ *= 2;
  RebuildTrees();
}

// Fills both trees from `inputs_`.
void WatermarkCombiner::RebuildTrees() {
  aligned_tree_.assign(2 * static_cast<size_t>(leaves_), kMaxEventTime);
  if (alignment_) {
    drift_tree_.assign(2 * static_cast<size_t>(leaves_), kMaxEventTime);
  }
  for (int i = 0; i < num_inputs(); ++i) {
    const Input& in = inputs_[i];
    const size_t pos = static_cast<size_t>(leaves_) + i;
    aligned_tree_[pos] = in.aligned ? in.watermark : kMaxEventTime;
    if (alignment_) {
      drift_tree_[pos] =
          (in.idle || in.finished) ? kMaxEventTime : in.watermark;
    }
  }
  for (size_t pos = static_cast<size_t>(leaves_) - 1; pos >= 1; --pos) {
    aligned_tree_[pos] =
        std::min(aligned_tree_[2 * pos], aligned_tree_[2 * pos + 1]);
    if (alignment_) {
      drift_tree_[pos] =
          std::min(drift_tree_[2 * pos], drift_tree_[2 * pos + 1]);
    }
  }
}

namespace {
// Writes `value` at leaf `pos` of a tournament tree and fixes the path to the
// root.
void SetTreeLeaf(std::vector<EventTime>& tree, size_t pos, EventTime value) {
  tree[pos] = value;
  for (pos /= 2; pos >= 1; pos /= 2) {
    EventTime m = std::min(tree[2 * pos], tree[2 * pos + 1]);
    if (tree[pos] == m) break;  // unchanged: nothing above can change
    tree[pos] = m;
  }
}
}  // namespace

// Writes the input's values into the trees after a change.
void WatermarkCombiner::SetLeaf(int input) {
  const Input& in = inputs_[input];
  const size_t pos = static_cast<size_t>(leaves_) + input;
  SetTreeLeaf(aligned_tree_, pos, in.aligned ? in.watermark : kMaxEventTime);
  if (alignment_) {
    SetTreeLeaf(drift_tree_, pos,
                (in.idle || in.finished) ? kMaxEventTime : in.watermark);
  }
}

// Flink's findAndOutputNewMinWatermarkAcrossAlignedChannels.
bool WatermarkCombiner::AdvanceToAlignedMin() {
  if (aligned_ == 0 || aligned_tree_[1] <= combined_) return false;
  combined_ = aligned_tree_[1];
  return true;
}

// Flink's findAndOutputMaxWatermarkAcrossAllChannels.
bool WatermarkCombiner::AdvanceToMaxOfAll() {
  EventTime max = kMinEventTime;
  for (const Input& in : inputs_) max = std::max(max, in.watermark);
  if (max <= combined_) return false;
  combined_ = max;
  return true;
}

bool WatermarkCombiner::Update(int input, EventTime watermark_millis) {
  Input& in = inputs_[input];
  // Flink's valve ignores watermarks of idle channels; a finished input has
  // emitted its last one.
  if (in.idle || in.finished || watermark_millis <= in.watermark) return false;
  in.watermark = watermark_millis;
  if (!in.aligned && watermark_millis >= combined_) {
    in.aligned = true;  // caught up with the combined watermark
    ++aligned_;
  }
  SetLeaf(input);
  return AdvanceToAlignedMin();
}

// Idle -> active. Like Flink's valve, this advances nothing by itself.
void WatermarkCombiner::Activate(int input) {
  Input& in = inputs_[input];
  in.idle = false;
  ++active_;
  if (in.watermark >= combined_) {
    in.aligned = true;
    ++aligned_;
  }
  SetLeaf(input);
  if (on_input_status_) on_input_status_(input, WatermarkStatus::kActive);
  if (active_ == 1 && on_combined_status_) {
    on_combined_status_(WatermarkStatus::kActive);
  }
}

void WatermarkCombiner::MarkActive(int input) {
  Input& in = inputs_[input];
  if (in.finished) return;
  in.active_since_check = true;
  if (in.idle) Activate(input);
}

// Active -> idle (Flink's valve on an IDLE status).
void WatermarkCombiner::MarkIdle(int input) {
  Input& in = inputs_[input];
  in.idle = true;
  --active_;
  if (in.aligned) {
    in.aligned = false;
    --aligned_;
  }
  SetLeaf(input);
  if (on_input_status_) on_input_status_(input, WatermarkStatus::kIdle);
  if (active_ == 0) {
    // Nothing will advance any more: flush, if this input held the combined
    // watermark (else it stayed behind, unaligned, and Flink holds).
    if (in.watermark == combined_) AdvanceToMaxOfAll();
    if (on_combined_status_) on_combined_status_(WatermarkStatus::kIdle);
  } else if (in.watermark == combined_) {
    AdvanceToAlignedMin();
  }
}

bool WatermarkCombiner::MarkFinished(int input) {
  Input& in = inputs_[input];
  if (in.finished) return false;
  const EventTime before = combined_;
  in.finished = true;
  in.active_since_check = false;
  in.inactivity_started = false;
  // A Flink source marks its output active before it emits its last
  // watermark, kMaxEventTime.
  if (in.idle) Activate(input);
  if (in.watermark < kMaxEventTime) {
    in.watermark = kMaxEventTime;
    if (!in.aligned) {
      in.aligned = true;
      ++aligned_;
    }
    SetLeaf(input);
    AdvanceToAlignedMin();
  } else {
    SetLeaf(input);  // leaves the alignment tree
  }
  return combined_ > before;
}

int WatermarkCombiner::AddInput(EventTime watermark_millis) {
  const int input = num_inputs();
  Input in;
  in.watermark = watermark_millis;
  in.aligned = watermark_millis >= combined_;
  inputs_.push_back(in);
  ++active_;
  if (in.aligned) ++aligned_;
  if (num_inputs() > leaves_) {
    while (leaves_ < num_inputs()) leaves_ *= 2;
    RebuildTrees();
  } else {
    SetLeaf(input);
  }
  if (active_ == 1 && on_combined_status_) {
    on_combined_status_(WatermarkStatus::kActive);
  }
  return input;
}

bool WatermarkCombiner::CheckIdleness() {
  if (!idleness_) return false;
  const int64_t now_millis = env_->NowMillis();
  const EventTime before = combined_;
  for (int i = 0; i < num_inputs(); ++i) {
    Input& in = inputs_[i];
    if (in.finished) continue;
    // Flink's IdlenessTimer.checkIfIdle().
    if (in.active_since_check) {
      in.active_since_check = false;
      in.inactivity_started = false;
      continue;
    }
    if (!in.inactivity_started) {
      in.inactivity_started = true;
      in.inactive_since_millis = now_millis;
      continue;
    }
    if (!in.idle &&
        internal::SaturatingSub(now_millis, in.inactive_since_millis) >
            idle_timeout_ms_) {
      MarkIdle(i);
    }
  }
  return combined_ > before;
}

// Version, input count, per input (watermark, timer flags and start, idle,
// finished), combined watermark. Alignment is derived: an input is aligned
// iff it is active and its watermark is at least the combined watermark.
std::string WatermarkCombiner::SaveState() const {
  std::string out;
  Codec<uint32_t>::Encode(kCombinerStateVersion, &out);
  Codec<uint32_t>::Encode(static_cast<uint32_t>(inputs_.size()), &out);
  for (const Input& in : inputs_) {
    Codec<EventTime>::Encode(in.watermark, &out);
    Codec<bool>::Encode(in.active_since_check, &out);
    Codec<bool>::Encode(in.inactivity_started, &out);
    Codec<int64_t>::Encode(in.inactive_since_millis, &out);
    Codec<bool>::Encode(in.idle, &out);
    Codec<bool>::Encode(in.finished, &out);
  }
  Codec<EventTime>::Encode(combined_, &out);
  return out;
}

absl::Status WatermarkCombiner::RestoreState(absl::string_view state) {
  auto corrupt = [](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("watermark combiner state: ", what));
  };
  uint32_t version = 0;
  uint32_t n = 0;
  if (!Codec<uint32_t>::Decode(&state, &version)) {
    return corrupt("truncated version");
  }
  if (version != kCombinerStateVersion) {
    return corrupt(absl::StrCat("unknown format version ", version));
  }
  if (!Codec<uint32_t>::Decode(&state, &n)) return corrupt("truncated");
  if (n != inputs_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("watermark combiner state: saved with num_inputs ", n,
                     ", this combiner has ", inputs_.size()));
  }
  std::vector<Input> inputs(n);
  bool ok = true;
  for (Input& in : inputs) {
    ok = ok && Codec<EventTime>::Decode(&state, &in.watermark) &&
         Codec<bool>::Decode(&state, &in.active_since_check) &&
         Codec<bool>::Decode(&state, &in.inactivity_started) &&
         Codec<int64_t>::Decode(&state, &in.inactive_since_millis) &&
         Codec<bool>::Decode(&state, &in.idle) &&
         Codec<bool>::Decode(&state, &in.finished);
  }
  EventTime combined = kMinEventTime;
  ok = ok && Codec<EventTime>::Decode(&state, &combined);
  if (!ok) return corrupt("truncated or bad flag byte");
  if (!state.empty()) {
    return corrupt(
        absl::StrCat(state.size(), " unexpected bytes after the end"));
  }
  int active = 0;
  int aligned = 0;
  for (uint32_t i = 0; i < n; ++i) {
    Input& in = inputs[i];
    // `MarkFinished()` leaves an input active at the largest watermark.
    if (in.finished && (in.idle || in.watermark != kMaxEventTime)) {
      return corrupt(absl::StrCat(
          "input ", i, " is finished but idle or below the largest watermark"));
    }
    in.aligned = !in.idle && in.watermark >= combined;
    active += in.idle ? 0 : 1;
    aligned += in.aligned ? 1 : 0;
  }
  inputs_ = std::move(inputs);
  combined_ = combined;
  active_ = active;
  aligned_ = aligned;
  RebuildTrees();
  return absl::OkStatus();
}

bool WatermarkCombiner::IsPaused(int input) const {
  const Input& in = inputs_[input];
  if (!alignment_ || in.idle || in.finished) return false;
  return in.watermark > internal::SaturatingAdd(drift_tree_[1], max_drift_ms_);
}

}  // namespace brook
