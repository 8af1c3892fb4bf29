// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A small event-time pipeline over a stream: consumer -> timestamps and
// watermarks (one generator per shard, combined) -> key selection -> window
// operator -> user sink, with late records routed to a side output. It runs in
// the caller's thread: each `RunOnce()` reads every shard once.
//
// Thread safety: a `WindowPipeline` is not thread-safe; drive it from one
// thread. Callbacks run in that thread, inside `RunOnce()`.
// Lifetime: the consumer (and its stream) and any `Env` must outlive the
// pipeline. A record's views are valid only during `parse`: copy what the
// element needs.
//
// Shards: each listed shard is one input. A closed shard read to its end
// finishes its input (its watermark is released); its child shards after a
// reshard are not picked up by this pipeline (list them in a new one).
//
// Saved state: `SaveState()` returns, between rounds, bytes holding each
// shard's last sequence number read, each input's watermark assigner state,
// the watermark combiner's state and the window operator's state
// (`WindowOperator::SaveState()`), versioned and checksummed; they survive the
// process. `RestoreState()` on a pipeline created over the same stream and
// options (typically in a new process) resumes after those records and fires
// exactly what the uninterrupted pipeline would have fired from then on,
// provided the clock reads the same (periodic watermarks follow it) and user
// watermark generators save their state (see `WatermarkGenerator::SaveState()`).
// `ReadPositions()` reads the shard positions out of such bytes.
//
// Example:
//   brook::PipelineOptions popts;
//   popts.watermarks =
//       *brook::WatermarkStrategy::ForBoundedOutOfOrderness(absl::Seconds(5));
//   popts.watermarks.WithTimestampAssigner(&ClickTime);
//   brook::WindowOptions wopts;
//   wopts.assigner = *brook::WindowAssigner::Tumbling(absl::Minutes(1));
//   using Counts = brook::WindowPipeline<std::string, Click,
//                                        brook::CountAggregate<Click>>;
//   Counts::Functions fns;
//   fns.parse = &ParseClick;
//   fns.key_selector = [](const Click& c) { return c.page; };
//   fns.sink = [](const auto& r) { Print(r.key, r.window, r.value); };
//   auto p = Counts::Create(&consumer, popts, wopts,
//                           brook::CountAggregate<Click>(), fns);
//   while (running) (*p)->RunOnce().IgnoreError();

#ifndef BROOK_PIPELINE_H_
#define BROOK_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "brook/codec.h"
#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/internal/window_state_codec.h"
#include "brook/record.h"
#include "brook/watermark.h"
#include "brook/window.h"

namespace brook {

struct PipelineOptions {
  // Shards to read, one input each. Default (empty): every shard the stream
  // lists when the pipeline is created.
  std::vector<std::string> shard_ids;
  // Where a shard is read from until `RestoreState()` positions it.
  // Default: TRIM_HORIZON.
  StartingPosition start = StartingPosition::TrimHorizon();
  // Timestamps and watermarks, one generator per shard. Default: monotonous
  // timestamps from the arrival time.
  WatermarkStrategy watermarks = WatermarkStrategy::ForMonotonousTimestamps();
  // See `WatermarkCombinerOptions` (`absl::InfiniteDuration()` is off).
  // Defaults: idleness and alignment off.
  absl::Duration idle_timeout = absl::InfiniteDuration();
  absl::Duration max_drift = absl::InfiniteDuration();
  // Idle/active changes of each input (numbered as the shards are listed) and
  // of their combination, as Flink's WatermarkStatus; see
  // `WatermarkCombinerOptions`. Called inside `RunOnce()` and `FinishAll()`.
  // Default (null): not called.
  std::function<void(int input, WatermarkStatus status)> on_input_status;
  std::function<void(WatermarkStatus status)> on_combined_status;
  // Limits of each GetRecords call. Default: Kinesis's.
  GetRecordsOptions read;
  // Clock for periodic watermarks, idleness and processing-time triggers.
  // Not owned. Default (null): `Env::Default()`.
  Env* env = nullptr;
};

template <typename Key, typename In, typename Agg,
          typename Hash = absl::Hash<Key>>
class WindowPipeline {
 public:
  using Operator = WindowOperator<Key, In, Agg, Hash>;
  using Output = typename Operator::Output;

  struct Functions {
    // Turns a record into an element. Required.
    std::function<In(const Record&)> parse;
    // The element's key. Required.
    std::function<Key(const In&)> key_selector;
    // Receives every window result. Required.
    std::function<void(const WindowResult<Key, Output>&)> sink;
    // The late side output. Default (null): late records are counted
    // (`window_operator().dropped_late_elements()`) and dropped.
    std::function<void(const Key& key, const In& value,
                       EventTime timestamp_millis)>
        late_sink;
  };

  // Where an input stands in saved state (`ReadPositions()`).
  struct InputPosition {
    std::string shard_id;
    // The last sequence number read; none if nothing was read yet (the
    // input then resumes at `PipelineOptions::start`).
    std::optional<SequenceNumber> last;
    // The input ended (a closed shard read to its end).
    bool finished = false;
  };

  // Builds the pipeline and positions a shard iterator per input at
  // `options.start`. Returns kInvalidArgument for a null consumer, a missing
  // function, or invalid watermark or window options; kNotFound for an
  // unknown shard. To resume from saved state, call `RestoreState()` next.
  static absl::StatusOr<std::unique_ptr<WindowPipeline>> Create(
      Consumer* consumer, const PipelineOptions& options,
      const WindowOptions& window_options, Agg agg, Functions functions);

  // Reads each unfinished, unpaused (alignment) shard once, feeds its records
  // through, then runs periodic watermark emission, idleness and
  // processing-time timers. Returns the number of records read. Errors from
  // GetRecords and from the operator (a non-positive dynamic session gap) are
  // returned; the records before the failing one have been processed.
  absl::StatusOr<int64_t> RunOnce();

  // Treats every input as ended: the watermark goes to kMaxEventTime and every
  // event-time window fires. Use at the end of a bounded run.
  void FinishAll();

  // True once every input has ended (closed shards read to their end).
  bool finished() const { return finished_count_ == inputs_.size(); }
  EventTime current_watermark_millis() const {
    return op_->current_watermark_millis();
  }
  const Operator& window_operator() const { return *op_; }
  const WatermarkCombiner& combiner() const { return *combiner_; }

  // The pipeline's state between rounds as bytes (see "Saved state" at the
  // top): positions, watermark assigner and combiner state, and the window
  // operator's `SaveState()`. Store them beside the application's other
  // state. REQUIRES: codecs for the key and accumulator types (codec.h).
  // Cost: O(state); allocates the bytes.
  std::string SaveState() const;
  // Replaces the pipeline's state with what `SaveState()` saved, possibly in
  // another process, and positions each unfinished input's shard iterator
  // just after its saved position (at `PipelineOptions::start` if it had read
  // nothing). Returns kDataLoss naming what is wrong for damaged bytes or
  // bytes that are not such state (also from the parts: assigner, combiner,
  // operator); kInvalidArgument if the state was saved with other inputs
  // (count or shard ids), other window options (naming the option, see
  // `WindowOperator::RestoreState()`) or another input count in the
  // combiner; errors of `Consumer::GetShardIterator()` (e.g. kNotFound). On
  // error the pipeline is unchanged.
  absl::Status RestoreState(absl::string_view state);
  // The input positions held in `SaveState()` bytes, in input order, e.g. to
  // acknowledge a checkpoint elsewhere. Returns kDataLoss as
  // `RestoreState()` does for damaged bytes (the parts' own bytes are not
  // decoded).
  static absl::StatusOr<std::vector<InputPosition>> ReadPositions(
      absl::string_view state);

 private:
  // `SaveState()` bytes, decoded.
  struct Saved {
    struct SavedInput {
      InputPosition position;
      std::string watermarks;  // WatermarkAssigner::SaveState()
    };
    std::vector<SavedInput> inputs;
    std::string combiner;  // WatermarkCombiner::SaveState()
    std::string window;    // WindowOperator::SaveState()
  };
  static absl::StatusOr<Saved> DecodeState(absl::string_view state);
  WatermarkCombinerOptions CombinerOptions() const {
    WatermarkCombinerOptions co;
    co.num_inputs = static_cast<int>(inputs_.size());
    co.idle_timeout = options_.idle_timeout;
    co.max_drift = options_.max_drift;
    co.on_input_status = options_.on_input_status;
    co.on_combined_status = options_.on_combined_status;
    co.env = env_;
    return co;
  }

  struct Input {
    std::string shard_id;
    ShardIterator iterator;
    std::unique_ptr<WatermarkAssigner> watermarks;
    std::optional<SequenceNumber> last;
    bool finished = false;
  };

  WindowPipeline(Consumer* consumer, const PipelineOptions& options,
                 Functions functions)
      : consumer_(consumer),
        options_(options),
        env_(options.env != nullptr ? options.env : Env::Default()),
        fn_(std::move(functions)) {}

  void AdvanceCombined() {
    if (combiner_->combined_watermark_millis() >
        op_->current_watermark_millis()) {
      op_->AdvanceWatermark(combiner_->combined_watermark_millis());
    }
  }
  void FinishInput(size_t i);

  Consumer* consumer_;
  PipelineOptions options_;
  Env* env_;
  Functions fn_;
  std::vector<Input> inputs_;
  size_t finished_count_ = 0;
  std::unique_ptr<WatermarkCombiner> combiner_;
  std::unique_ptr<Operator> op_;
};

// --- Implementation ---------------------------------------------------------

template <typename Key, typename In, typename Agg, typename Hash>
absl::StatusOr<std::unique_ptr<WindowPipeline<Key, In, Agg, Hash>>>
WindowPipeline<Key, In, Agg, Hash>::Create(Consumer* consumer,
                                           const PipelineOptions& options,
                                           const WindowOptions& window_options,
                                           Agg agg, Functions functions) {
  if (consumer == nullptr) {
    return absl::InvalidArgumentError("window pipeline: consumer is null");
  }
  if (!functions.parse || !functions.key_selector || !functions.sink) {
    return absl::InvalidArgumentError(
        "window pipeline: parse, key_selector and sink are required");
  }
  std::unique_ptr<WindowPipeline> p(
      new WindowPipeline(consumer, options, std::move(functions)));
  Env* env = p->env_;

  std::vector<std::string> ids = options.shard_ids;
  if (ids.empty()) {
    for (const ShardDescription& d : consumer->ListShards()) {
      ids.push_back(d.shard_id);
    }
  }
  if (ids.empty()) {
    return absl::InvalidArgumentError("window pipeline: no shards to read");
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    Input in;
    in.shard_id = ids[i];
    absl::StatusOr<std::unique_ptr<WatermarkAssigner>> wm =
        WatermarkAssigner::Create(options.watermarks, env);
    if (!wm.ok()) return wm.status();
    in.watermarks = *std::move(wm);
    absl::StatusOr<ShardIterator> it =
        consumer->GetShardIterator(in.shard_id, options.start);
    if (!it.ok()) return it.status();
    in.iterator = *it;
    p->inputs_.push_back(std::move(in));
  }

  absl::StatusOr<std::unique_ptr<WatermarkCombiner>> combiner =
      WatermarkCombiner::Create(p->CombinerOptions());
  if (!combiner.ok()) return combiner.status();
  p->combiner_ = *std::move(combiner);

  WindowOptions wo = window_options;
  if (wo.env == nullptr) wo.env = env;
  typename Operator::Functions ofns;
  ofns.on_result = p->fn_.sink;
  ofns.on_late = p->fn_.late_sink;
  absl::StatusOr<std::unique_ptr<Operator>> op =
      Operator::Create(wo, std::move(agg), std::move(ofns));
  if (!op.ok()) return op.status();
  p->op_ = *std::move(op);
  return p;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowPipeline<Key, In, Agg, Hash>::FinishInput(size_t i) {
  Input& in = inputs_[i];
  if (in.finished) return;
  in.finished = true;
  ++finished_count_;
  in.watermarks->Finish();
  combiner_->MarkFinished(static_cast<int>(i));
  AdvanceCombined();
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::StatusOr<int64_t> WindowPipeline<Key, In, Agg, Hash>::RunOnce() {
  int64_t read = 0;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    Input& in = inputs_[i];
    const int input = static_cast<int>(i);
    if (in.finished || combiner_->IsPaused(input)) continue;
    absl::StatusOr<GetRecordsResult> r =
        consumer_->GetRecords(in.iterator, options_.read);
    if (!r.ok()) return r.status();
    if (!r->records().empty()) {
      // Active again if it was idle; then what it generated while idle
      // (ignored then, as Flink ignores watermarks of idle inputs) counts.
      combiner_->MarkActive(input);
      if (combiner_->Update(input, in.watermarks->current_watermark_millis())) {
        AdvanceCombined();
      }
    }
    for (const Record& rec : r->records()) {
      const EventTime before = in.watermarks->current_watermark_millis();
      const EventTime ts = in.watermarks->OnRecord(rec);
      In value = fn_.parse(rec);
      absl::Status s = op_->ProcessElement(fn_.key_selector(value), value, ts);
      in.last = rec.sequence_number;
      ++read;
      if (!s.ok()) {
        // Resume after the bad record rather than fail on it forever.
        absl::StatusOr<ShardIterator> it = consumer_->GetShardIterator(
            in.shard_id, StartingPosition::AfterSequenceNumber(*in.last));
        if (it.ok()) in.iterator = *it;
        return s;
      }
      // A per-event generator may have moved the watermark.
      if (in.watermarks->current_watermark_millis() != before &&
          combiner_->Update(input, in.watermarks->current_watermark_millis())) {
        AdvanceCombined();
      }
    }
    in.iterator = r->next_shard_iterator();
    if (!in.iterator.valid()) FinishInput(i);
  }
  for (size_t i = 0; i < inputs_.size(); ++i) {
    Input& in = inputs_[i];
    if (!in.finished && in.watermarks->OnTick()) {
      combiner_->Update(static_cast<int>(i),
                        in.watermarks->current_watermark_millis());
    }
  }
  combiner_->CheckIdleness();
  AdvanceCombined();
  op_->AdvanceProcessingTime();
  return read;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowPipeline<Key, In, Agg, Hash>::FinishAll() {
  for (size_t i = 0; i < inputs_.size(); ++i) FinishInput(i);
}

// "BWPS" (brook window pipeline state) as a little-endian u32, then a format
// version:
//   u32 magic, u32 version (1), u64 input count, then per input: string
//   shard id, bool has last, [u128 last sequence number], bool finished,
//   string assigner state; then string combiner state, string window
//   operator state, and a u32 CRC-32C of everything before it.
// Strings are a u64 length and the bytes (codec.h). Every state written by
// version 1 must keep loading in later versions.
namespace internal {
inline constexpr uint32_t kPipelineStateMagic = 0x53505742;
inline constexpr uint32_t kPipelineStateVersion = 1;
}  // namespace internal

template <typename Key, typename In, typename Agg, typename Hash>
std::string WindowPipeline<Key, In, Agg, Hash>::SaveState() const {
  std::string out;
  Codec<uint32_t>::Encode(internal::kPipelineStateMagic, &out);
  Codec<uint32_t>::Encode(internal::kPipelineStateVersion, &out);
  Codec<uint64_t>::Encode(inputs_.size(), &out);
  for (const Input& in : inputs_) {
    Codec<std::string>::Encode(in.shard_id, &out);
    Codec<bool>::Encode(in.last.has_value(), &out);
    if (in.last.has_value())
      Codec<absl::uint128>::Encode(in.last->value(), &out);
    Codec<bool>::Encode(in.finished, &out);
    Codec<std::string>::Encode(in.watermarks->SaveState(), &out);
  }
  Codec<std::string>::Encode(combiner_->SaveState(), &out);
  Codec<std::string>::Encode(op_->SaveState(), &out);
  Codec<uint32_t>::Encode(internal::WindowStateChecksum(out), &out);
  return out;
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::StatusOr<typename WindowPipeline<Key, In, Agg, Hash>::Saved>
WindowPipeline<Key, In, Agg, Hash>::DecodeState(absl::string_view state) {
  auto corrupt = [&state](absl::string_view what, absl::string_view in) {
    return absl::DataLossError(
        absl::StrCat("window pipeline state: ", what, " at byte ",
                     state.size() - 4 - in.size(), " of ", state.size()));
  };
  if (state.size() < 12) {
    return absl::DataLossError(absl::StrCat(
        "window pipeline state: truncated: ", state.size(), " bytes"));
  }
  absl::string_view in = state.substr(0, state.size() - 4);
  uint32_t magic = 0, version = 0;
  Codec<uint32_t>::Decode(&in, &magic);
  Codec<uint32_t>::Decode(&in, &version);
  if (magic != internal::kPipelineStateMagic) {
    return absl::DataLossError(
        absl::StrCat("window pipeline state: bad magic 0x", absl::Hex(magic),
                     ", not a window pipeline's saved state"));
  }
  if (version != internal::kPipelineStateVersion) {
    return absl::DataLossError(absl::StrCat(
        "window pipeline state: unknown format version ", version,
        " (this build reads ", internal::kPipelineStateVersion, ")"));
  }
  absl::string_view stored = state.substr(state.size() - 4);
  uint32_t checksum = 0;
  Codec<uint32_t>::Decode(&stored, &checksum);
  if (checksum !=
      internal::WindowStateChecksum(state.substr(0, state.size() - 4))) {
    return absl::DataLossError("window pipeline state: checksum mismatch");
  }
  uint64_t n = 0;
  // An input takes at least a shard id length, two flags and a state length.
  if (!Codec<uint64_t>::Decode(&in, &n))
    return corrupt("truncated input count", in);
  if (n > in.size() / 18) return corrupt("input count beyond the bytes", in);
  Saved saved;
  for (uint64_t i = 0; i < n; ++i) {
    typename Saved::SavedInput si;
    bool has_last = false;
    if (!Codec<std::string>::Decode(&in, &si.position.shard_id)) {
      return corrupt(absl::StrCat("input ", i, ": truncated shard id"), in);
    }
    if (!Codec<bool>::Decode(&in, &has_last)) {
      return corrupt(absl::StrCat("input ", i, ": bad position flag"), in);
    }
    if (has_last) {
      absl::uint128 v = 0;
      if (!Codec<absl::uint128>::Decode(&in, &v)) {
        return corrupt(absl::StrCat("input ", i, ": truncated position"), in);
      }
      si.position.last = SequenceNumber::FromValue(v);
    }
    if (!Codec<bool>::Decode(&in, &si.position.finished)) {
      return corrupt(absl::StrCat("input ", i, ": bad finished flag"), in);
    }
    if (!Codec<std::string>::Decode(&in, &si.watermarks)) {
      return corrupt(absl::StrCat("input ", i, ": truncated assigner state"),
                     in);
    }
    saved.inputs.push_back(std::move(si));
  }
  if (!Codec<std::string>::Decode(&in, &saved.combiner)) {
    return corrupt("truncated combiner state", in);
  }
  if (!Codec<std::string>::Decode(&in, &saved.window)) {
    return corrupt("truncated window operator state", in);
  }
  if (!in.empty()) return corrupt("trailing bytes", in);
  return saved;
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::StatusOr<
    std::vector<typename WindowPipeline<Key, In, Agg, Hash>::InputPosition>>
WindowPipeline<Key, In, Agg, Hash>::ReadPositions(absl::string_view state) {
  absl::StatusOr<Saved> saved = DecodeState(state);
  if (!saved.ok()) return saved.status();
  std::vector<InputPosition> out;
  for (typename Saved::SavedInput& si : saved->inputs) {
    out.push_back(std::move(si.position));
  }
  return out;
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::Status WindowPipeline<Key, In, Agg, Hash>::RestoreState(
    absl::string_view state) {
  absl::StatusOr<Saved> saved = DecodeState(state);
  if (!saved.ok()) return saved.status();
  if (saved->inputs.size() != inputs_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("window pipeline state: saved with ", saved->inputs.size(),
                     " inputs, this pipeline has ", inputs_.size()));
  }
  // Everything that can fail first, into new parts; then swap them in.
  struct Next {
    std::unique_ptr<WatermarkAssigner> watermarks;
    ShardIterator iterator;
  };
  std::vector<Next> next(inputs_.size());
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const InputPosition& pos = saved->inputs[i].position;
    if (pos.shard_id != inputs_[i].shard_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "window pipeline state: input ", i, " was shard ", pos.shard_id,
          ", this pipeline reads ", inputs_[i].shard_id));
    }
    absl::StatusOr<std::unique_ptr<WatermarkAssigner>> wm =
        WatermarkAssigner::Create(options_.watermarks, env_);
    if (!wm.ok()) return wm.status();
    next[i].watermarks = *std::move(wm);
    absl::Status s =
        next[i].watermarks->RestoreState(saved->inputs[i].watermarks);
    if (!s.ok()) {
      return absl::Status(
          s.code(),
          absl::StrCat("window pipeline state: input ", i, ": ", s.message()));
    }
    if (pos.finished) continue;
    absl::StatusOr<ShardIterator> it = consumer_->GetShardIterator(
        pos.shard_id, pos.last.has_value()
                          ? StartingPosition::AfterSequenceNumber(*pos.last)
                          : options_.start);
    if (!it.ok()) return it.status();
    next[i].iterator = *it;
  }
  absl::StatusOr<std::unique_ptr<WatermarkCombiner>> combiner =
      WatermarkCombiner::Create(CombinerOptions());
  if (!combiner.ok()) return combiner.status();
  absl::Status s = (*combiner)->RestoreState(saved->combiner);
  if (!s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("window pipeline state: ", s.message()));
  }
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (saved->inputs[i].position.finished !=
        (*combiner)->IsFinished(static_cast<int>(i))) {
      return absl::DataLossError(absl::StrCat(
          "window pipeline state: input ", i,
          " is finished in its position but not in the combiner, or the "
          "reverse"));
    }
  }
  // The operator's restore changes nothing on error, so it goes last.
  s = op_->RestoreState(saved->window);
  if (!s.ok()) return s;
  finished_count_ = 0;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    Input& in = inputs_[i];
    const InputPosition& pos = saved->inputs[i].position;
    in.watermarks = std::move(next[i].watermarks);
    in.iterator = next[i].iterator;
    in.last = pos.last;
    in.finished = pos.finished;
    if (in.finished) ++finished_count_;
  }
  combiner_ = *std::move(combiner);
  return absl::OkStatus();
}

}  // namespace brook

#endif  // BROOK_PIPELINE_H_
