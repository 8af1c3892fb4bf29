// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Template definitions for pipeline.h. Not API: include "brook/pipeline.h".
//
// Thread safety: see pipeline.h.

#ifndef BROOK_INTERNAL_PIPELINE_IMPL_H_
#define BROOK_INTERNAL_PIPELINE_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "brook/internal/pipeline_state.h"
#include "brook/pipeline.h"

namespace brook {

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

  const std::vector<ShardDescription> shards = consumer->ListShards();
  ShardsById by_id;
  for (const ShardDescription& d : shards) by_id[d.shard_id] = &d;
  std::vector<std::string> ids = options.shard_ids;
  if (ids.empty()) {
    for (const ShardDescription& d : shards) ids.push_back(d.shard_id);
  }
  if (ids.empty()) {
    return absl::InvalidArgumentError("window pipeline: no shards to read");
  }
  for (const std::string& id : ids) {
    if (by_id.count(id) == 0) {
      return absl::NotFoundError(
          absl::StrCat("window pipeline: unknown shard ", id));
    }
    if (p->Find(id) >= 0) continue;  // listed twice
    Input in;
    in.shard_id = id;
    in.listed = true;
    p->Follow(std::move(in));
  }
  int started = 0;
  for (Input& in : p->inputs_) {
    const ShardDescription& d = *by_id[in.shard_id];
    for (const std::string* parent :
         {&d.parent_shard_id, &d.adjacent_parent_shard_id}) {
      if (!parent->empty() && p->WillFollow(*parent, by_id)) {
        in.parents.push_back(*parent);
      }
    }
    absl::StatusOr<ShardIterator> it =
        consumer->GetShardIterator(in.shard_id, options.start);
    if (!it.ok()) return it.status();
    in.iterator = *it;
    if (!in.parents.empty()) {
      in.state = ShardState::kWaiting;
      continue;
    }
    absl::StatusOr<std::unique_ptr<WatermarkAssigner>> wm =
        WatermarkAssigner::Create(options.watermarks, env);
    if (!wm.ok()) return wm.status();
    in.watermarks = *std::move(wm);
    in.state = ShardState::kReading;
    in.slot = started++;
  }
  if (started == 0) {  // the listed shards' lineage has a cycle
    return absl::InvalidArgumentError(
        "window pipeline: every listed shard waits for a listed parent");
  }

  absl::StatusOr<std::unique_ptr<WatermarkCombiner>> combiner =
      WatermarkCombiner::Create(p->CombinerOptions(started));
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
int WindowPipeline<Key, In, Agg, Hash>::Find(absl::string_view shard_id) const {
  auto it = index_.find(shard_id);
  return it == index_.end() ? -1 : it->second;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowPipeline<Key, In, Agg, Hash>::Follow(Input in) {
  index_.emplace(in.shard_id, static_cast<int>(inputs_.size()));
  inputs_.push_back(std::move(in));
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowPipeline<Key, In, Agg, Hash>::FinishShard(size_t i) {
  Input& in = inputs_[i];
  if (in.state == ShardState::kFinished) return;
  in.state = ShardState::kFinished;
  in.iterator = ShardIterator();
  ++finished_count_;
  if (in.slot < 0) return;  // never started: no input to release
  in.watermarks->Finish();
  combiner_->MarkFinished(in.slot);
  AdvanceCombined();
}

// While a shard that ended holds the watermark for a waiting child, nothing
// is paused: the child's other parents (or their ancestors) must be read to
// their end, and alignment, which measures drift against the held watermark,
// could otherwise stall them for good.
template <typename Key, typename In, typename Agg, typename Hash>
void WindowPipeline<Key, In, Agg, Hash>::SetDrain() {
  drain_ = false;
  for (const Input& in : inputs_) drain_ |= in.state == ShardState::kEnded;
}

template <typename Key, typename In, typename Agg, typename Hash>
bool WindowPipeline<Key, In, Agg, Hash>::WillFollow(
    absl::string_view shard_id, const ShardsById& by_id) const {
  std::vector<absl::string_view> todo = {shard_id};
  for (size_t steps = 0; !todo.empty() && steps <= by_id.size(); ++steps) {
    const absl::string_view id = todo.back();
    todo.pop_back();
    if (Find(id) >= 0) return true;
    auto d = by_id.find(id);
    if (d == by_id.end()) continue;
    for (const std::string* p :
         {&d->second->parent_shard_id, &d->second->adjacent_parent_shard_id}) {
      if (!p->empty()) todo.push_back(*p);
    }
  }
  return false;
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::Status WindowPipeline<Key, In, Agg, Hash>::StartReady() {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i].state != ShardState::kWaiting) continue;
    // Its input starts at the lowest watermark its ended parents hold.
    bool ready = true;
    bool held = false;
    EventTime floor = kMaxEventTime;
    for (const std::string& p : inputs_[i].parents) {
      const int j = Find(p);
      if (j < 0) {  // not followed yet: a descendant of one that is
        ready = false;
        break;
      }
      const Input& parent = inputs_[j];
      if (parent.state == ShardState::kWaiting ||
          parent.state == ShardState::kReading) {
        ready = false;
        break;
      }
      if (parent.state == ShardState::kEnded) {
        floor = std::min(floor, combiner_->input_watermark_millis(parent.slot));
        held = true;
      }
    }
    if (!ready) continue;
    if (!held) floor = combiner_->combined_watermark_millis();
    // What can fail first; the shard stays waiting then.
    ShardIterator it = inputs_[i].iterator;
    if (!it.valid()) {
      absl::StatusOr<ShardIterator> r =
          consumer_->GetShardIterator(inputs_[i].shard_id, StartOf(inputs_[i]));
      if (!r.ok()) return r.status();
      it = *r;
    }
    absl::StatusOr<std::unique_ptr<WatermarkAssigner>> wm =
        WatermarkAssigner::Create(options_.watermarks, env_);
    if (!wm.ok()) return wm.status();
    Input& in = inputs_[i];
    in.iterator = it;
    in.watermarks = *std::move(wm);
    in.slot = combiner_->AddInput(floor);
    in.state = ShardState::kReading;
  }
  // An ended shard whose children have all started hands them its place.
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i].state != ShardState::kEnded) continue;
    bool waiting_child = false;
    for (const Input& child : inputs_) {
      if (child.state == ShardState::kWaiting &&
          std::find(child.parents.begin(), child.parents.end(),
                    inputs_[i].shard_id) != child.parents.end()) {
        waiting_child = true;
      }
    }
    if (!waiting_child) FinishShard(i);
  }
  SetDrain();
  start_pending_ = false;
  return absl::OkStatus();
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::Status WindowPipeline<Key, In, Agg, Hash>::EndShard(
    size_t i, const std::vector<ChildShard>& children) {
  inputs_[i].state = ShardState::kEnded;
  inputs_[i].iterator = ShardIterator();
  std::vector<ShardDescription> shards;  // listed only when needed
  ShardsById by_id;
  for (const ChildShard& c : children) {
    if (Find(c.shard_id) >= 0) continue;
    Input child;
    child.shard_id = c.shard_id;
    child.state = ShardState::kWaiting;
    for (const std::string& p : c.parent_shards) {
      if (Find(p) < 0 && shards.empty()) {
        // A merge child's other parent, not followed yet: it waits for it
        // if the pipeline will follow it (as a descendant of a followed
        // shard).
        shards = consumer_->ListShards();
        for (const ShardDescription& d : shards) by_id[d.shard_id] = &d;
      }
      if (WillFollow(p, by_id)) child.parents.push_back(p);
    }
    Follow(std::move(child));
  }
  start_pending_ = true;
  return StartReady();
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::StatusOr<int64_t> WindowPipeline<Key, In, Agg, Hash>::RunOnce() {
  if (start_pending_) {
    absl::Status s = StartReady();
    if (!s.ok()) return s;
  }
  int64_t read = 0;
  // Children started in the loop are appended and read in the same call.
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i].state != ShardState::kReading) continue;
    const int input = inputs_[i].slot;
    if (!drain_ && combiner_->IsPaused(input)) continue;
    absl::StatusOr<GetRecordsResult> r =
        consumer_->GetRecords(inputs_[i].iterator, options_.read);
    if (!r.ok()) return r.status();
    Input& in = inputs_[i];
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
    if (!in.iterator.valid()) {
      absl::Status s = EndShard(i, r->child_shards());
      if (!s.ok()) return s;
    }
  }
  for (Input& in : inputs_) {
    if (in.state != ShardState::kReading && in.state != ShardState::kEnded) {
      continue;
    }
    if (in.watermarks->OnTick()) {
      combiner_->Update(in.slot, in.watermarks->current_watermark_millis());
    }
    // An ended shard holding the watermark for its children never idles.
    if (in.state == ShardState::kEnded && !combiner_->IsIdle(in.slot)) {
      combiner_->MarkActive(in.slot);
    }
  }
  combiner_->CheckIdleness();
  AdvanceCombined();
  op_->AdvanceProcessingTime();
  return read;
}

template <typename Key, typename In, typename Agg, typename Hash>
void WindowPipeline<Key, In, Agg, Hash>::FinishAll() {
  for (size_t i = 0; i < inputs_.size(); ++i) FinishShard(i);
  start_pending_ = false;
  drain_ = false;
}

template <typename Key, typename In, typename Agg, typename Hash>
std::string WindowPipeline<Key, In, Agg, Hash>::SaveState() const {
  internal::PipelineState st;
  for (const Input& in : inputs_) {
    internal::PipelineShardState s;
    s.shard_id = in.shard_id;
    s.parents = in.parents;
    s.state = in.state;
    s.last = in.last;
    s.input = in.slot;
    if (in.watermarks != nullptr) s.watermarks = in.watermarks->SaveState();
    st.shards.push_back(std::move(s));
  }
  st.combiner = combiner_->SaveState();
  st.window = op_->SaveState();
  return internal::EncodePipelineState(st);
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::StatusOr<
    std::vector<typename WindowPipeline<Key, In, Agg, Hash>::InputPosition>>
WindowPipeline<Key, In, Agg, Hash>::ReadPositions(absl::string_view state) {
  absl::StatusOr<internal::PipelineState> saved =
      internal::DecodePipelineState(state);
  if (!saved.ok()) return saved.status();
  std::vector<InputPosition> out;
  for (internal::PipelineShardState& s : saved->shards) {
    InputPosition pos;
    pos.shard_id = std::move(s.shard_id);
    pos.last = s.last;
    pos.finished = s.state == ShardState::kFinished;
    pos.started = s.state != ShardState::kWaiting;
    out.push_back(std::move(pos));
  }
  return out;
}

template <typename Key, typename In, typename Agg, typename Hash>
absl::Status WindowPipeline<Key, In, Agg, Hash>::RestoreState(
    absl::string_view state) {
  absl::StatusOr<internal::PipelineState> saved =
      internal::DecodePipelineState(state);
  if (!saved.ok()) return saved.status();
  const std::vector<ShardDescription> shards = consumer_->ListShards();
  ShardsById by_id;
  for (const ShardDescription& d : shards) by_id[d.shard_id] = &d;
  std::set<absl::string_view> saved_ids;
  for (const internal::PipelineShardState& s : saved->shards) {
    saved_ids.insert(s.shard_id);
  }
  auto listed = [this](absl::string_view id) {
    const int j = Find(id);
    return j >= 0 && inputs_[j].listed;
  };
  for (const internal::PipelineShardState& s : saved->shards) {
    auto d = by_id.find(s.shard_id);
    if (saved->version == 1 && s.state == ShardState::kFinished &&
        d != by_id.end() && !d->second->is_open()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "window pipeline state: format version 1 finished shard ", s.shard_id,
          " at its end without reading its children (version 1 did not "
          "follow reshards, so windows may have fired early); start the "
          "pipeline afresh"));
    }
    if (s.state != ShardState::kFinished && s.parents.empty() &&
        !listed(s.shard_id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "window pipeline state: saved with shard ", s.shard_id,
          ", which this pipeline neither lists nor follows as a child"));
    }
  }
  // Each listed shard is saved, or descends from a saved one (found when
  // that one ends).
  for (const Input& in : inputs_) {
    if (!in.listed || saved_ids.count(in.shard_id) != 0) continue;
    bool descends = false;
    std::vector<absl::string_view> todo = {in.shard_id};
    for (size_t steps = 0; !todo.empty() && !descends && steps <= by_id.size();
         ++steps) {
      auto d = by_id.find(todo.back());
      todo.pop_back();
      if (d == by_id.end()) continue;
      for (const std::string* p : {&d->second->parent_shard_id,
                                   &d->second->adjacent_parent_shard_id}) {
        if (p->empty()) continue;
        if (saved_ids.count(*p) != 0) descends = true;
        todo.push_back(*p);
      }
    }
    if (!descends) {
      return absl::InvalidArgumentError(absl::StrCat(
          "window pipeline state: this pipeline reads shard ", in.shard_id,
          ", which the state neither holds nor descends from (saved with "
          "other shards)"));
    }
  }
  // Everything that can fail first, into new parts; then swap them in.
  std::vector<Input> next;
  int started = 0;
  size_t finished = 0;
  for (internal::PipelineShardState& s : saved->shards) {
    Input in;
    in.shard_id = s.shard_id;
    in.parents = std::move(s.parents);
    in.state = s.state;
    in.listed = listed(s.shard_id);
    in.last = s.last;
    in.slot = s.input;
    if (in.state == ShardState::kFinished) ++finished;
    if (in.slot >= 0) {
      ++started;
      absl::StatusOr<std::unique_ptr<WatermarkAssigner>> wm =
          WatermarkAssigner::Create(options_.watermarks, env_);
      if (!wm.ok()) return wm.status();
      in.watermarks = *std::move(wm);
      absl::Status st = in.watermarks->RestoreState(s.watermarks);
      if (!st.ok()) {
        return absl::Status(
            st.code(), absl::StrCat("window pipeline state: shard ", s.shard_id,
                                    ": ", st.message()));
      }
    }
    if (in.state == ShardState::kReading) {
      absl::StatusOr<ShardIterator> it = consumer_->GetShardIterator(
          in.shard_id, in.last.has_value()
                           ? StartingPosition::AfterSequenceNumber(*in.last)
                           : StartOf(in));
      if (!it.ok()) return it.status();
      in.iterator = *it;
    }
    next.push_back(std::move(in));
  }
  absl::StatusOr<std::unique_ptr<WatermarkCombiner>> combiner =
      WatermarkCombiner::Create(CombinerOptions(started));
  if (!combiner.ok()) return combiner.status();
  absl::Status s = (*combiner)->RestoreState(saved->combiner);
  if (!s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("window pipeline state: ", s.message()));
  }
  for (const Input& in : next) {
    if (in.slot >= 0 && (in.state == ShardState::kFinished) !=
                            (*combiner)->IsFinished(in.slot)) {
      return absl::DataLossError(absl::StrCat(
          "window pipeline state: shard ", in.shard_id,
          " is finished in its state but not in the combiner, or the "
          "reverse"));
    }
  }
  // The operator's restore changes nothing on error, so it goes last.
  s = op_->RestoreState(saved->window);
  if (!s.ok()) return s;
  inputs_.clear();
  index_.clear();
  for (Input& in : next) Follow(std::move(in));
  finished_count_ = finished;
  combiner_ = *std::move(combiner);
  SetDrain();
  start_pending_ = true;
  return absl::OkStatus();
}

}  // namespace brook

#endif  // BROOK_INTERNAL_PIPELINE_IMPL_H_
