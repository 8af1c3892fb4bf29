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
// Shards and lineage: the pipeline follows the shards it is given and every
// descendant of them, by the rule a KCL worker follows: a child shard is read
// only after each of its parents that the pipeline follows has been read to
// its end (a merge child waits for both), so each partition key's records are
// read in the order they were written, across splits, merges and
// `UpdateShardCount()`, also when the pipeline starts on a stream resharded
// before. Children are found as their parents end (`child_shards()`). Each
// shard being read is one input of the watermark combiner. A parent read to
// its end hands its place to its children: its input keeps holding the
// combined watermark at its last value until all its children have started,
// each child's input starts at the lowest of its parents' watermarks, and
// only then does the parent's input finish. So the combined watermark never
// passes what unread children may still hold. A shard that ends with no
// children finishes its input at once (its watermark is released). A child
// that gets no records holds the combined watermark at its start, as any
// shard without records does: set `idle_timeout` if some may stay empty.
// Following costs O(shards followed) work when a shard ends, none per record.
//
// Saved state: `SaveState()` returns, between rounds, bytes holding every
// shard followed (its parents followed, whether it waits, is read, ended or
// finished, the last sequence number read, its watermark assigner state), the
// watermark combiner's state and the window operator's state
// (`WindowOperator::SaveState()`), versioned and checksummed
// (lib/window/PIPELINE_STATE_FORMAT.md); they survive the process.
// `RestoreState()` on a pipeline created over the same stream and options
// (typically in a new process, possibly after further reshards, so it may
// list shards that did not exist at the save) resumes after those records and
// fires exactly what the uninterrupted pipeline would have fired from then
// on, provided the clock reads the same (periodic watermarks follow it) and
// user watermark generators save their state (see
// `WatermarkGenerator::SaveState()`). `ReadPositions()` reads the shard
// positions out of such bytes.
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
#include <map>
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
#include "brook/internal/pipeline_state.h"
#include "brook/record.h"
#include "brook/watermark.h"
#include "brook/window.h"

namespace brook {

struct PipelineOptions {
  // Shards to read, with their descendants (see "Shards and lineage" at the
  // top). Default (empty): every shard the stream lists when the pipeline is
  // created, so the whole stream. With a list, the pipeline follows each
  // listed shard and every child of a shard it follows; a child waits only
  // for the parents the pipeline follows. A listed shard whose parent is
  // listed too waits for it. A merge child of a followed shard and one that
  // is not followed is read once the followed parent ends, without waiting
  // for the other (whose records this pipeline does not read): two pipelines
  // over disjoint lists both read such a child, and per-key order across
  // that merge holds only for one pipeline that follows both parents (or for
  // a consumer group, consumer_group.h).
  std::vector<std::string> shard_ids;
  // Where the listed shards are read from until `RestoreState()` positions
  // them (their iterators are taken in `Create()`, also for those that wait
  // for a parent). Children found later start at their first record
  // (TRIM_HORIZON), or at the timestamp under AT_TIMESTAMP. Default:
  // TRIM_HORIZON.
  StartingPosition start = StartingPosition::TrimHorizon();
  // Timestamps and watermarks, one generator per shard. Default: monotonous
  // timestamps from the arrival time.
  WatermarkStrategy watermarks = WatermarkStrategy::ForMonotonousTimestamps();
  // See `WatermarkCombinerOptions` (`absl::InfiniteDuration()` is off).
  // Defaults: idleness and alignment off.
  absl::Duration idle_timeout = absl::InfiniteDuration();
  absl::Duration max_drift = absl::InfiniteDuration();
  // Idle/active changes of each input and of their combination, as Flink's
  // WatermarkStatus; see `WatermarkCombinerOptions`. Inputs are numbered as
  // shards start: first the listed shards that wait for no parent, in list
  // order, then each child as it starts (the numbering is saved with the
  // state). Called inside `RunOnce()` and `FinishAll()`. A shard read to its
  // end never turns idle while it holds the watermark for its children.
  // Default (null): not called.
  std::function<void(int input, WatermarkStatus status)> on_input_status;
  std::function<void(WatermarkStatus status)> on_combined_status;
  // Limits of each GetRecords call. Default: Kinesis's. With
  // `read.deaggregate` set, KPL aggregates are expanded and `parse` gets each
  // user record (with its `subsequence_number`; a damaged aggregate comes
  // whole with `Record::damaged_aggregate` set); a read takes whole
  // aggregates, so saved positions (`SaveState()`) stay at whole stored
  // records and a restored pipeline resumes after the last aggregate read.
  // Default: off (records as stored).
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

  // Where a shard followed stands in saved state (`ReadPositions()`).
  struct InputPosition {
    std::string shard_id;
    // The last sequence number read; none if nothing was read yet (the
    // shard then resumes where it starts: see `PipelineOptions::start`).
    std::optional<SequenceNumber> last;
    // The shard ended: read to its end and its children all started (or it
    // had none), or ended by `FinishAll()`.
    bool finished = false;
    // False while the shard waits for a parent to be read to its end.
    bool started = true;
  };

  // Builds the pipeline and positions a shard iterator per listed shard at
  // `options.start`. Returns kInvalidArgument for a null consumer, a missing
  // function, a stream with no shards, or invalid watermark or window
  // options; kNotFound for an unknown listed shard; errors of
  // `Consumer::GetShardIterator()`. To resume from saved state, call
  // `RestoreState()` next.
  static absl::StatusOr<std::unique_ptr<WindowPipeline>> Create(
      Consumer* consumer, const PipelineOptions& options,
      const WindowOptions& window_options, Agg agg, Functions functions);

  // Reads each shard being read and not paused (alignment) once, feeds its
  // records through; a shard that reaches its end lets its children start,
  // and they are read in the same call. Then runs periodic watermark
  // emission, idleness and processing-time timers. Returns the number of
  // records read. Errors from GetShardIterator (a child's), GetRecords and
  // the operator (a non-positive dynamic session gap) are returned; the
  // records before the failing one have been processed, and the next call
  // goes on from there. A shard that must be drained for a merge child to
  // start (its co-parent has ended) is read even when alignment would pause
  // it.
  absl::StatusOr<int64_t> RunOnce();

  // Treats every shard as ended, waiting children included: the watermark
  // goes to kMaxEventTime and every event-time window fires. Use at the end
  // of a bounded run; nothing is read afterwards.
  void FinishAll();

  // True once every shard followed has finished: closed, read to its end and
  // its children (followed in turn) finished too; or after `FinishAll()`. A
  // pipeline over a stream with an open shard never finishes by itself.
  bool finished() const { return finished_count_ == inputs_.size(); }
  EventTime current_watermark_millis() const {
    return op_->current_watermark_millis();
  }
  const Operator& window_operator() const { return *op_; }
  const WatermarkCombiner& combiner() const { return *combiner_; }

  // The pipeline's state between rounds as bytes (see "Saved state" at the
  // top): shards, positions, watermark assigner and combiner state, and the
  // window operator's `SaveState()`. Store them beside the application's
  // other state. REQUIRES: codecs for the key and accumulator types
  // (codec.h). Cost: O(state); allocates the bytes.
  std::string SaveState() const;
  // Replaces the pipeline's state with what `SaveState()` saved, possibly in
  // another process and after further reshards: the saved shards (with their
  // lineage and watermarks) replace the ones `Create()` listed, each shard
  // being read resumes just after its saved position (where it starts if it
  // had read nothing), waiting children start when their parents end, and
  // children the stream has made since are found as their parents end.
  // State of format version 1 (before lineage) restores too: its shards are
  // all taken as started. Returns kDataLoss naming what is wrong for damaged
  // bytes or bytes that are not such state (also from the parts: assigner,
  // combiner, operator); kInvalidArgument if the state was saved with other
  // shards (a shard this pipeline lists is neither saved nor a descendant of
  // a saved one, or an unfinished saved shard is neither listed nor a child
  // of a saved one), other window options (naming the option, see
  // `WindowOperator::RestoreState()`) or inconsistent combiner state;
  // kFailedPrecondition for version 1 state that finished a shard the stream
  // has since closed (version 1 never read its children, so its windows may
  // have fired early: start afresh); errors of
  // `Consumer::GetShardIterator()` (e.g. kNotFound). On error the pipeline
  // is unchanged.
  absl::Status RestoreState(absl::string_view state);
  // The shards held in `SaveState()` bytes, in the order they were followed
  // (listed shards first), e.g. to acknowledge a checkpoint elsewhere.
  // Returns kDataLoss as `RestoreState()` does for damaged bytes (the parts'
  // own bytes are not decoded).
  static absl::StatusOr<std::vector<InputPosition>> ReadPositions(
      absl::string_view state);

 private:
  using ShardState = internal::PipelineShard;
  // A shard followed.
  struct Input {
    std::string shard_id;
    std::vector<std::string> parents;  // the followed ones
    ShardState state = ShardState::kReading;
    bool listed = false;     // by `Create()`: starts at `options.start`
    ShardIterator iterator;  // invalid until started, and after the end
    std::unique_ptr<WatermarkAssigner> watermarks;  // null until started
    std::optional<SequenceNumber> last;
    int slot = -1;  // combiner input, -1 until started
  };

  WindowPipeline(Consumer* consumer, const PipelineOptions& options,
                 Functions functions)
      : consumer_(consumer),
        options_(options),
        env_(options.env != nullptr ? options.env : Env::Default()),
        fn_(std::move(functions)) {}

  WatermarkCombinerOptions CombinerOptions(int num_inputs) const {
    WatermarkCombinerOptions co;
    co.num_inputs = num_inputs;
    co.idle_timeout = options_.idle_timeout;
    co.max_drift = options_.max_drift;
    co.on_input_status = options_.on_input_status;
    co.on_combined_status = options_.on_combined_status;
    co.env = env_;
    return co;
  }
  void AdvanceCombined() {
    if (combiner_->combined_watermark_millis() >
        op_->current_watermark_millis()) {
      op_->AdvanceWatermark(combiner_->combined_watermark_millis());
    }
  }
  // Where a shard that has read nothing starts.
  StartingPosition StartOf(const Input& in) const {
    if (in.listed || options_.start.type == ShardIteratorType::kAtTimestamp) {
      return options_.start;
    }
    return StartingPosition::TrimHorizon();
  }
  using ShardsById = std::map<absl::string_view, const ShardDescription*>;
  // The shard's position in `inputs_`, -1 if not followed. O(log n).
  int Find(absl::string_view shard_id) const;
  // Appends a shard to those followed.
  void Follow(Input in);
  // Whether the pipeline follows the shard or will (it descends from one
  // that the pipeline follows), by the lineage in `by_id`.
  bool WillFollow(absl::string_view shard_id, const ShardsById& by_id) const;
  // Shard `i` was read to its end: follow its children, start those ready.
  absl::Status EndShard(size_t i, const std::vector<ChildShard>& children);
  // Starts every waiting shard whose followed parents have all ended, then
  // finishes every ended shard whose children have all started.
  absl::Status StartReady();
  void FinishShard(size_t i);
  void SetDrain();

  Consumer* consumer_;
  PipelineOptions options_;
  Env* env_;
  Functions fn_;
  std::vector<Input> inputs_;  // in the order followed: parents first
  std::map<std::string, int, std::less<>> index_;  // shard id -> inputs_
  size_t finished_count_ = 0;
  // A waiting shard may be ready to start (after a restore or an error).
  bool start_pending_ = false;
  // A shard that ended holds the watermark: nothing is paused (`SetDrain()`).
  bool drain_ = false;
  std::unique_ptr<WatermarkCombiner> combiner_;
  std::unique_ptr<Operator> op_;
};

}  // namespace brook

#include "brook/internal/pipeline_impl.h"  // IWYU pragma: export

#endif  // BROOK_PIPELINE_H_
