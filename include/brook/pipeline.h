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
// Checkpoints: `TakeCheckpoint()` captures, between rounds, each shard's last
// sequence number read, the watermark state and the window operator's state;
// `Checkpoint::Serialize()` makes bytes of it that survive the process.
// A pipeline created from it (`Create(..., &checkpoint)`) over the same stream
// and options resumes after those records and fires exactly what the
// uninterrupted pipeline would have fired from then on, provided the clock
// reads the same (periodic watermarks follow it) and user watermark generators
// save their state (see `WatermarkGenerator::SaveState()`).
//
// Example:
//   brook::PipelineOptions popts;
//   popts.watermarks =
//       *brook::WatermarkStrategy::ForBoundedOutOfOrderness(absl::Seconds(5));
//   popts.watermarks.WithTimestampAssigner(&ClickTime);
//   brook::WindowOptions wopts;
//   wopts.assigner = *brook::WindowAssigner::Tumbling(60'000);
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
#include "brook/record.h"
#include "brook/watermark.h"
#include "brook/window.h"

namespace brook {

struct PipelineOptions {
  // Shards to read, one input each. Default (empty): every shard the stream
  // lists when the pipeline is created.
  std::vector<std::string> shard_ids;
  // Where a shard is read from when there is no checkpoint.
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
    std::function<void(const Key&, const In&, EventTime)> late_sink;
  };

  // What `TakeCheckpoint()` returns: opaque and copyable. `Serialize()` turns
  // it into bytes to store beside the application's other state, so that a
  // pipeline created from `Deserialize()`d bytes in a new process resumes
  // exactly; that needs codecs for the key, element and accumulator types
  // (codec.h).
  class Checkpoint {
   public:
    Checkpoint() = default;

    std::string Serialize() const;
    // Returns kDataLoss for bytes that are not a checkpoint of this format.
    static absl::StatusOr<Checkpoint> Deserialize(absl::string_view bytes);
    // The last sequence number read from each input, by shard id.
    std::vector<std::pair<std::string, std::optional<SequenceNumber>>>
    positions() const {
      std::vector<std::pair<std::string, std::optional<SequenceNumber>>> out;
      for (const InputCheckpoint& in : inputs_) {
        out.emplace_back(in.shard_id, in.last);
      }
      return out;
    }

   private:
    friend class WindowPipeline;
    struct InputCheckpoint {
      std::string shard_id;
      std::optional<SequenceNumber> last;
      bool finished = false;
      std::string watermark;  // WatermarkAssigner::SaveState()
    };
    std::vector<InputCheckpoint> inputs_;
    std::string combiner_state_;  // WatermarkCombiner::SaveState()
    typename Operator::Snapshot window_;
  };

  // Builds the pipeline and positions a shard iterator per input: after the
  // checkpoint's position if `checkpoint` is given, else at `options.start`.
  // Returns kInvalidArgument for a null consumer, a missing function, or
  // invalid watermark or window options; kNotFound for an unknown shard;
  // kInvalidArgument if `checkpoint` names other shards.
  static absl::StatusOr<std::unique_ptr<WindowPipeline>> Create(
      Consumer* consumer, const PipelineOptions& options,
      const WindowOptions& window_options, Agg agg, Functions functions,
      const Checkpoint* checkpoint = nullptr);

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
  EventTime current_watermark() const { return op_->current_watermark(); }
  const Operator& window_operator() const { return *op_; }
  const WatermarkCombiner& combiner() const { return *combiner_; }

  Checkpoint TakeCheckpoint() const;

 private:
  struct Input {
    std::string shard_id;
    ShardIterator iterator;
    std::unique_ptr<WatermarkAssigner> watermarks;
    std::optional<SequenceNumber> last;
    bool finished = false;
  };

  WindowPipeline(Consumer* consumer, const PipelineOptions& options,
                 Functions functions)
      : consumer_(consumer), options_(options), fn_(std::move(functions)) {}

  void AdvanceCombined() {
    if (combiner_->combined_watermark_millis() > op_->current_watermark()) {
      op_->AdvanceWatermark(combiner_->combined_watermark_millis());
    }
  }
  void FinishInput(size_t i);

  Consumer* consumer_;
  PipelineOptions options_;
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
                                           Agg agg, Functions functions,
                                           const Checkpoint* checkpoint) {
  if (consumer == nullptr) {
    return absl::InvalidArgumentError("window pipeline: consumer is null");
  }
  if (!functions.parse || !functions.key_selector || !functions.sink) {
    return absl::InvalidArgumentError(
        "window pipeline: parse, key_selector and sink are required");
  }
  std::unique_ptr<WindowPipeline> p(
      new WindowPipeline(consumer, options, std::move(functions)));
  Env* env = options.env != nullptr ? options.env : Env::Default();

  std::vector<std::string> ids = options.shard_ids;
  if (ids.empty()) {
    for (const ShardDescription& d : consumer->ListShards()) {
      ids.push_back(d.shard_id);
    }
  }
  if (ids.empty()) {
    return absl::InvalidArgumentError("window pipeline: no shards to read");
  }
  if (checkpoint != nullptr && checkpoint->inputs_.size() != ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "window pipeline: checkpoint has ", checkpoint->inputs_.size(),
        " inputs, pipeline has ", ids.size()));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    Input in;
    in.shard_id = ids[i];
    absl::StatusOr<std::unique_ptr<WatermarkAssigner>> wm =
        WatermarkAssigner::Create(options.watermarks, env);
    if (!wm.ok()) return wm.status();
    in.watermarks = *std::move(wm);
    StartingPosition start = options.start;
    if (checkpoint != nullptr) {
      const auto& c = checkpoint->inputs_[i];
      if (c.shard_id != ids[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("window pipeline: checkpoint input ", i, " is shard ",
                         c.shard_id, ", not ", ids[i]));
      }
      absl::Status s = in.watermarks->RestoreState(c.watermark);
      if (!s.ok()) return s;
      in.last = c.last;
      in.finished = c.finished;
      if (c.last.has_value())
        start = StartingPosition::AfterSequenceNumber(*c.last);
    }
    if (!in.finished) {
      absl::StatusOr<ShardIterator> it =
          consumer->GetShardIterator(in.shard_id, start);
      if (!it.ok()) return it.status();
      in.iterator = *it;
    } else {
      ++p->finished_count_;
    }
    p->inputs_.push_back(std::move(in));
  }

  WatermarkCombinerOptions co;
  co.num_inputs = static_cast<int>(ids.size());
  co.idle_timeout = options.idle_timeout;
  co.max_drift = options.max_drift;
  co.on_input_status = options.on_input_status;
  co.on_combined_status = options.on_combined_status;
  co.env = env;
  absl::StatusOr<std::unique_ptr<WatermarkCombiner>> combiner =
      WatermarkCombiner::Create(co);
  if (!combiner.ok()) return combiner.status();
  p->combiner_ = *std::move(combiner);
  if (checkpoint != nullptr) {
    absl::Status s = p->combiner_->RestoreState(checkpoint->combiner_state_);
    if (!s.ok()) return s;
  }

  WindowOptions wo = window_options;
  if (wo.env == nullptr) wo.env = env;
  typename Operator::Functions ofns;
  ofns.on_result = p->fn_.sink;
  ofns.on_late = p->fn_.late_sink;
  absl::StatusOr<std::unique_ptr<Operator>> op =
      Operator::Create(wo, std::move(agg), std::move(ofns));
  if (!op.ok()) return op.status();
  p->op_ = *std::move(op);
  if (checkpoint != nullptr) p->op_->Restore(checkpoint->window_);
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

template <typename Key, typename In, typename Agg, typename Hash>
typename WindowPipeline<Key, In, Agg, Hash>::Checkpoint
WindowPipeline<Key, In, Agg, Hash>::TakeCheckpoint() const {
  Checkpoint c;
  for (const Input& in : inputs_) {
    typename Checkpoint::InputCheckpoint ic;
    ic.shard_id = in.shard_id;
    ic.last = in.last;
    ic.finished = in.finished;
    ic.watermark = in.watermarks->SaveState();
    c.inputs_.push_back(std::move(ic));
  }
  c.combiner_state_ = combiner_->SaveState();
  c.window_ = op_->TakeSnapshot();
  return c;
}

// "BWPC": brook window pipeline checkpoint; a format version follows, and a
// 64-bit FNV-1a checksum of everything before it ends the bytes.
template <typename Key, typename In, typename Agg, typename Hash>
std::string WindowPipeline<Key, In, Agg, Hash>::Checkpoint::Serialize() const {
  std::string out;
  Codec<uint32_t>::Encode(0x43505742, &out);
  Codec<uint32_t>::Encode(1, &out);
  Codec<uint64_t>::Encode(inputs_.size(), &out);
  for (const InputCheckpoint& in : inputs_) {
    Codec<std::string>::Encode(in.shard_id, &out);
    Codec<bool>::Encode(in.last.has_value(), &out);
    if (in.last.has_value()) {
      Codec<uint64_t>::Encode(absl::Uint128High64(in.last->value()), &out);
      Codec<uint64_t>::Encode(absl::Uint128Low64(in.last->value()), &out);
    }
    Codec<bool>::Encode(in.finished, &out);
    Codec<std::string>::Encode(in.watermark, &out);
  }
  Codec<std::string>::Encode(combiner_state_, &out);
  Codec<std::string>::Encode(window_.Serialize(), &out);
  Codec<uint64_t>::Encode(internal::SnapshotChecksum(out), &out);
  return out;
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::StatusOr<typename WindowPipeline<Key, In, Agg, Hash>::Checkpoint>
WindowPipeline<Key, In, Agg, Hash>::Checkpoint::Deserialize(
    absl::string_view bytes) {
  auto corrupt = [](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("window pipeline checkpoint: ", what));
  };
  if (bytes.size() < sizeof(uint64_t)) return corrupt("too short");
  absl::string_view stored = bytes.substr(bytes.size() - 8);
  absl::string_view in = bytes.substr(0, bytes.size() - 8);
  uint64_t checksum = 0;
  Codec<uint64_t>::Decode(&stored, &checksum);
  if (checksum != internal::SnapshotChecksum(in)) {
    return corrupt("checksum mismatch");
  }
  uint32_t magic = 0, version = 0;
  uint64_t n = 0;
  bool ok = Codec<uint32_t>::Decode(&in, &magic) &&
            Codec<uint32_t>::Decode(&in, &version) &&
            Codec<uint64_t>::Decode(&in, &n);
  if (!ok || magic != 0x43505742) return corrupt("not a checkpoint");
  if (version != 1) {
    return corrupt(absl::StrCat("unknown format version ", version));
  }
  if (n > in.size()) return corrupt("bad input count");
  Checkpoint c;
  for (uint64_t i = 0; ok && i < n; ++i) {
    InputCheckpoint ic;
    bool has_last = false;
    ok = Codec<std::string>::Decode(&in, &ic.shard_id) &&
         Codec<bool>::Decode(&in, &has_last);
    if (ok && has_last) {
      uint64_t high = 0, low = 0;
      ok = Codec<uint64_t>::Decode(&in, &high) &&
           Codec<uint64_t>::Decode(&in, &low);
      ic.last = SequenceNumber::FromValue(absl::MakeUint128(high, low));
    }
    ok = ok && Codec<bool>::Decode(&in, &ic.finished) &&
         Codec<std::string>::Decode(&in, &ic.watermark);
    c.inputs_.push_back(std::move(ic));
  }
  std::string window;
  ok = ok && Codec<std::string>::Decode(&in, &c.combiner_state_) &&
       Codec<std::string>::Decode(&in, &window) && in.empty();
  if (!ok) return corrupt("truncated or corrupt");
  absl::StatusOr<typename Operator::Snapshot> snapshot =
      Operator::Snapshot::Deserialize(window);
  if (!snapshot.ok()) return snapshot.status();
  c.window_ = *std::move(snapshot);
  return c;
}

}  // namespace brook

#endif  // BROOK_PIPELINE_H_
