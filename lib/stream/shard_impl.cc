// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "stream/shard_impl.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <memory>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "brook/partitioner.h"

#include "store/batch_format.h"
#include "store/follow_file.h"
#include "stream/sequence.h"
#include "stream/stream_impl.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

namespace {

constexpr size_t kNoPlanSegment = ~size_t{0};

// One frame of an append: records [begin, end) at `offset` of a segment.
struct FramePlan {
  size_t segment;  // index into the append's segment list
  size_t begin;
  size_t end;
  size_t offset;
  size_t bytes;
};

}  // namespace

ShardImpl::ShardImpl(StreamImpl* stream, SegmentStore* store, uint32_t number,
                     HashKeyRange range, uint64_t start_position,
                     std::vector<std::string> parents)
    : stream_(stream),
      store_(store),
      number_(number),
      id_(ShardIdFromNumber(number)),
      range_(range),
      start_position_(start_position),
      parents_(std::move(parents)),
      next_position_(start_position),
      trim_position_(start_position),
      end_position_(start_position),
      throttle_(stream->fixed_options().throughput.provisioned
                    ? std::make_unique<ShardThrottle>(
                          stream->fixed_options().throughput,
                          stream->fixed_options().name, id_,
                          stream->env()->NowMillis())
                    : nullptr) {
  const ThroughputOptions& t = stream->fixed_options().throughput;
  if (t.on_demand) {
    MutexLock lock(&append_mu_);
    sampler_ = std::make_unique<SplitSampler>(
        t.split_bytes_per_second, t.split_window,
        0x9E3779B97F4A7C15ULL * (uint64_t{number} + 1));
  }
}

ShardImpl::~ShardImpl() = default;

ShardDescription ShardImpl::Describe() const {
  ShardDescription d;
  d.shard_id = id_;
  d.hash_key_range = range_;
  d.starting_sequence_number = MakeSequenceNumber(start_position_, number_);
  if (!parents_.empty()) d.parent_shard_id = parents_[0];
  if (parents_.size() > 1) d.adjacent_parent_shard_id = parents_[1];
  MutexLock lock(&mu_);
  if (closed_) {
    // The last number issued; for a shard closed empty, its first number.
    d.ending_sequence_number = MakeSequenceNumber(
        std::max(end_position_, start_position_ + 1) - 1, number_);
  }
  return d;
}

uint64_t ShardImpl::StopAppends() {
  MutexLock lock(&append_mu_);
  appends_stopped_ = true;
  return next_position_;
}

void ShardImpl::ResumeAppends() {
  MutexLock lock(&append_mu_);
  appends_stopped_ = false;
}

bool ShardImpl::is_open() const {
  MutexLock lock(&append_mu_);
  return !appends_stopped_;
}

void ShardImpl::Close(std::vector<ChildShard> children) {
  {
    MutexLock lock(&mu_);
    closed_ = true;
    children_ = std::move(children);
    if (wake_.waiters.load(std::memory_order_relaxed) > 0) WakeWaiters();
  }
  // No segment will be created here again; storage kept for one can go.
  store_->RetireShard(number_);
}

absl::StatusOr<SequenceNumber> ShardImpl::AppendValidated(
    absl::Span<const RoutedRecord> records, PartialAppend* partial,
    AppendChecks* checks) {
  assert(checks == nullptr || (partial == nullptr && throttle_ == nullptr));
  // Put latency, read only when metrics are kept, on Abseil's clock (see
  // `ShardMetricsSnapshot::put_latency_micros` for why not the steady one).
  const bool metrics = stream_->fixed_options().metrics;
  const int64_t start_nanos = metrics ? absl::GetCurrentTimeNanos() : 0;
  const int64_t now = stream_->env()->NowMillis();
  if (partial != nullptr) partial->appended = records.size();
  if (throttle_ != nullptr) {
    absl::Status refused;
    const size_t admitted =
        throttle_->AdmitWrites(records, partial == nullptr, now, &refused);
    if (admitted == 0) return refused;
    if (partial != nullptr) {
      partial->appended = admitted;
      partial->rest = refused;
    }
    records = records.first(admitted);
  }
  SplitDecision split;
  absl::StatusOr<SequenceNumber> first;
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      MutexLock lock(&append_mu_);
      if (appends_stopped_) {
        return absl::AbortedError(
            absl::StrCat(id_, ": shard is closed by a reshard; route again"));
      }
      if (sealed_) {
        return absl::FailedPreconditionError(
            absl::StrCat(id_, ": the stream is closed or read-only"));
      }
      TrimBeforeLocked(stream_->RetentionCutoff(now));
      first = AppendLocked(records, now, checks);
      if (first.ok() && sampler_ != nullptr) {
        split = sampler_->Add(records, now, range_);
        // A hot key is reported once; the shard is not measured again.
        if (split.kind == SplitDecision::Kind::kHotKey) sampler_.reset();
      }
    }
    // Trim before reject: expired records of any shard may make room.
    if (attempt > 0 || !absl::IsResourceExhausted(first.status())) break;
    stream_->TrimExpiredAt(now, /*wait=*/true);
  }
  if (first.ok()) {
    // Retention for the whole stream, idle shards and closed parents
    // included; never for a closed stream (appends fail there).
    stream_->MaybeTrimExpired(now);
    stream_->EnforceByteBound();
    if (metrics) {
      metrics_.AddPutLatency((absl::GetCurrentTimeNanos() - start_nanos) /
                             1000);
    }
    if (split.kind != SplitDecision::Kind::kNone) {
      stream_->AutoSplit(this, split, now);
    }
  } else if (throttle_ != nullptr) {
    throttle_->RefundWrites(records);
  }
  return first;
}

void ShardImpl::CountAppendLocked(absl::Span<const RoutedRecord> records,
                                  int64_t bytes) {
  const StreamOptions& options = stream_->fixed_options();
  if (!options.metrics) return;
  metrics_.AddAppend(static_cast<int64_t>(records.size()), bytes);
  if (options.hot_key_count == 0) return;
  // Every n-th record, counting on from the previous append.
  size_t i = hot_key_next_;
  if (i >= records.size()) {
    hot_key_next_ = i - records.size();
    return;
  }
  if (hot_keys_ == nullptr) {
    hot_keys_ = std::make_unique<SpaceSaving>(
        static_cast<size_t>(options.hot_key_count));
  }
  const size_t every = static_cast<size_t>(options.hot_key_sample_every);
  for (; i < records.size(); i += every) {
    const RoutedRecord& r = records[i];
    // The key's MD5 (its hash key) is a ready, well-mixed hash; an explicit
    // hash key says nothing of the partition key, which is hashed then.
    const uint64_t hash = r.has_explicit_hash_key
                              ? absl::Hash<absl::string_view>()(r.partition_key)
                              : absl::Uint128High64(r.hash_key);
    hot_keys_->Add(r.partition_key, hash);
  }
  hot_key_next_ = i - records.size();
}

void ShardImpl::HotKeys(std::vector<SpaceSaving::Entry>* entries,
                        int64_t* floor, int64_t* sampled) const {
  MutexLock lock(&append_mu_);
  if (hot_keys_ == nullptr) {
    entries->clear();
    *floor = 0;
    *sampled = 0;
    return;
  }
  *entries = hot_keys_->Entries();
  *floor = hot_keys_->floor();
  *sampled = hot_keys_->total();
}

// An append, planned before anything is written so that nothing is unless
// it all fits: its frames, and the segments they go to, the open one (if
// any) first.
struct ShardImpl::AppendPlan {
  // The shard's last segment, if any. Not owned: it stays in `segments_`
  // while `append_mu_` is held (only an appender or a trim under that mutex
  // removes an open shard's newest segment). A raw pointer keeps the append
  // off the segment's reference count, which every read holding the segment
  // changes: one cache line less moving between a writer's and a reader's
  // cores per append.
  Segment* open = nullptr;
  absl::InlinedVector<FramePlan, 4> frames;
  absl::InlinedVector<size_t, 4> new_capacities;  // segments to create
  int64_t total_bytes = 0;
  // `open`, then the segments created, as frames' `segment` index them.
  absl::InlinedVector<Segment*, 4> targets;
  // The segments created, owned until published (or discarded).
  absl::InlinedVector<std::shared_ptr<Segment>, 2> created;
  // Not null when the records' partition key characters are to be checked
  // as they are written (`AppendChecks`; the rest was checked while
  // planning).
  AppendChecks* checks = nullptr;
};

absl::StatusOr<SequenceNumber> ShardImpl::AppendLocked(
    absl::Span<const RoutedRecord> records, int64_t now_millis,
    AppendChecks* checks) {
  AppendPlan plan;
  if (!PlanAppend(records, now_millis, checks, &plan)) {
    checks->failed = true;
    return absl::InvalidArgumentError(
        absl::StrCat(id_, ": a record fails the append's checks"));
  }
  absl::Status reserved = stream_->Reserve(plan.total_bytes);
  if (!reserved.ok()) {
    return absl::ResourceExhaustedError(
        absl::StrCat(id_, ": ", reserved.message()));
  }
  // A failed append leaves no segment behind and holds no bytes.
  const uint64_t first_position = next_position_;
  const int64_t arrival = std::max(now_millis, last_arrival_millis_);
  absl::Status s = WriteSegments(records, first_position, arrival, &plan);
  if (!s.ok()) {
    DiscardCreated(&plan);
    stream_->Release(plan.total_bytes);
    return absl::Status(s.code(), absl::StrCat(id_, ": ", s.message()));
  }
  // Compression made the frames smaller than reserved: give the rest back.
  int64_t written = 0;
  for (const FramePlan& f : plan.frames) {
    written += static_cast<int64_t>(f.bytes);
  }
  if (written < plan.total_bytes) stream_->Release(plan.total_bytes - written);
  Publish(plan, first_position, records.size(), arrival);
  // The keys and data: the planned (uncompressed) frames less their headers.
  CountAppendLocked(
      records, plan.total_bytes -
                   static_cast<int64_t>(plan.frames.size() * kBatchHeaderBytes +
                                        records.size() * kRecordHeaderBytes));
  next_position_ = first_position + records.size();
  last_arrival_millis_ = arrival;
  return MakeSequenceNumber(first_position, number_);
}

bool ShardImpl::PlanAppend(absl::Span<const RoutedRecord> records,
                           int64_t now_millis, AppendChecks* checks,
                           AppendPlan* plan) const {
  const size_t segment_bytes =
      static_cast<size_t>(stream_->fixed_options().segment_bytes);

  // The open segment, if any: the last one, which only this appender grows.
  size_t open_offset = 0;
  bool open_aged = false;  // rolled by age: takes no more frames
  {
    MutexLock lock(&mu_);
    if (!segments_.empty()) {
      plan->open = segments_.back().get();
      open_offset = plan->open->end_offset;
      const int64_t roll_millis = stream_->segment_roll_millis();
      open_aged = roll_millis > 0 && !plan->open->batches.empty() &&
                  now_millis - plan->open->first_arrival_millis >= roll_millis;
    }
  }

  const bool open = plan->open != nullptr;
  size_t segment = open ? 0 : kNoPlanSegment;  // 0 = `open`
  size_t offset = open_offset;
  size_t capacity =
      open ? (open_aged ? open_offset : plan->open->capacity()) : 0;
  // The common case first: the whole batch as one frame in the open
  // segment, sized by one tight pass over the records.
  size_t key_and_data = 0;
  if (checks == nullptr) {
    for (const RoutedRecord& r : records) {
      key_and_data += r.partition_key.size() + r.data.size();
    }
  } else {
    // The checks that need no key bytes in the same pass, without a branch
    // per check, before any segment is planned for the records; the key
    // characters are checked as they are copied.
    const size_t max_bytes = static_cast<size_t>(checks->max_record_bytes);
    const HashKey first = range_.starting_hash_key;
    const HashKey span = range_.ending_hash_key - range_.starting_hash_key;
    unsigned ok = 1;
    for (const RoutedRecord& r : records) {
      key_and_data += r.partition_key.size() + r.data.size();
      ok &= PlainRecordBits(r, max_bytes, first, span);
    }
    if (ok == 0) return false;
  }
  const size_t one_frame =
      kBatchHeaderBytes + records.size() * kRecordHeaderBytes + key_and_data;
  if (open && capacity - offset >= one_frame) {
    plan->frames.push_back({0, 0, records.size(), offset, one_frame});
    plan->total_bytes = static_cast<int64_t>(one_frame);
    // The rest of the checks as the one frame is written.
    plan->checks = checks;
    return true;
  }
  // A batch that rolls: checked whole before it is planned.
  if (checks != nullptr &&
      !AllPlainRecords(records, range_, checks->max_record_bytes)) {
    return false;
  }
  for (size_t i = 0; i < records.size();) {
    const size_t first_bytes =
        kBatchHeaderBytes + EncodedRecordBytes(records[i]);
    if (segment == kNoPlanSegment || capacity - offset < first_bytes) {
      plan->new_capacities.push_back(std::max(segment_bytes, first_bytes));
      segment = plan->new_capacities.size() - (open ? 0 : 1);
      offset = 0;
      capacity = plan->new_capacities.back();
    }
    size_t bytes = first_bytes;
    size_t end = i + 1;
    while (end < records.size()) {
      const size_t next = EncodedRecordBytes(records[end]);
      if (capacity - offset - bytes < next) break;
      bytes += next;
      ++end;
    }
    plan->frames.push_back({segment, i, end, offset, bytes});
    offset += bytes;
    plan->total_bytes += static_cast<int64_t>(bytes);
    i = end;
  }
  return true;
}

absl::Status ShardImpl::WriteSegments(absl::Span<const RoutedRecord> records,
                                      uint64_t first_position,
                                      int64_t arrival_millis,
                                      AppendPlan* plan) {
  // One segment at a time, oldest first, and a new segment is created only
  // once the frames before it are committed: the files of the log then end
  // where the next one begins, or in the last one, at every moment. A
  // read-only open scanning the files while this runs (another process) sees
  // a segment after the end of the log only where there is damage, never
  // because an append spanning two segments is half done.
  if (plan->open) plan->targets.push_back(plan->open);
  // Compressed frames come out smaller than planned: each then starts where
  // the one before it ended.
  const FrameCompression compression = stream_->codec().compression();
  const size_t count = plan->targets.size() + plan->new_capacities.size();
  for (size_t k = 0; k < count; ++k) {
    absl::Status s =
        k < plan->targets.size() ? absl::OkStatus() : CreateSegment(plan);
    const FramePlan* last = nullptr;
    if (s.ok()) {
      // Beyond what readers can see until committed.
      size_t saved = 0;  // by compression, in this segment so far
      for (FramePlan& f : plan->frames) {
        if (f.segment != k) continue;
        f.offset -= saved;
        BatchWriter writer(
            store_->FrameTarget(*plan->targets[k], f.offset, f.bytes), f.bytes,
            first_position + f.begin, arrival_millis, compression);
        const absl::Span<const RoutedRecord> frame =
            records.subspan(f.begin, f.end - f.begin);
        if (plan->checks == nullptr) {
          writer.Add(frame);
        } else if (!writer.AddCheckingKeys(frame)) {
          // Written but never finished, committed or published: the next
          // append writes over it.
          plan->checks->failed = true;
          s = absl::InvalidArgumentError("a record fails the append's checks");
          break;
        }
        const size_t bytes = writer.Finish();
        saved += f.bytes - bytes;
        f.bytes = bytes;
        last = &f;
      }
    }
    // The store makes the frames durable as its policy says, before any
    // reader or producer sees them. On failure nothing is published, the
    // segments committed so far take their frames back, and the bytes are
    // overwritten by the next append.
    if (s.ok() && last != nullptr) {
      s = store_->Commit(*plan->targets[k], last->offset + last->bytes);
    }
    if (!s.ok()) {
      for (size_t j = 0; j < k; ++j) store_->Abort(*plan->targets[j]);
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ShardImpl::CreateSegment(AppendPlan* plan) {
  // The segment's first record is the first of its first frame.
  const size_t target = plan->targets.size();
  const size_t k = target - (plan->open ? 1 : 0);
  uint64_t base = next_position_;
  for (const FramePlan& f : plan->frames) {
    if (f.segment == target) {
      base = next_position_ + f.begin;
      break;
    }
  }
  absl::StatusOr<std::shared_ptr<Segment>> created =
      store_->CreateSegment(number_, base, plan->new_capacities[k]);
  if (!created.ok()) return created.status();
  ReserveIndex(**created);
  plan->targets.push_back(created->get());
  plan->created.push_back(*std::move(created));
  return absl::OkStatus();
}

void ShardImpl::ReserveIndex(Segment& segment) {
  // The index of a new segment gets its room now, at the roll, so that no
  // append into it reallocates (and copies, and faults in) a vector that
  // grows by doubling to one entry per frame (issue 13). The room: as many
  // entries as the segment before it needed, plus a quarter, never more than
  // the segment has frames for. A shard at its retention bound reuses the
  // index of the segment it dropped last, whose pages are already touched.
  size_t want = 0;
  std::vector<BatchIndexEntry> spare;
  {
    MutexLock lock(&mu_);
    if (!segments_.empty()) {
      const Segment& before = *segments_.back();
      want = before.batches.size() + before.batches.size() / 4;
    }
    spare = std::move(spare_index_);
    spare_index_ = {};
  }
  want = std::min(want, segment.capacity() / kBatchHeaderBytes + 1);
  // Not published yet: only this appender sees `segment`, no lock needed.
  if (spare.capacity() >= want && spare.capacity() > 0) {
    segment.batches = std::move(spare);
    segment.batches.clear();
  } else if (want > 0) {
    segment.batches.reserve(want);
  }
  // A spare too small for this segment is freed here, outside `mu_`.
}

void ShardImpl::DiscardCreated(AppendPlan* plan) {
  // The store deletes the segments the append created, newest first (see
  // SegmentStore::Discard()).
  while (!plan->created.empty()) {
    plan->targets.pop_back();
    store_->Discard(std::move(plan->created.back()));
    plan->created.pop_back();
  }
}

void ShardImpl::WakeWaiters() const {
  wake_.count.fetch_add(1, std::memory_order_release);
  published_.SignalAll();
}

void ShardImpl::Publish(const AppendPlan& plan, uint64_t first_position,
                        size_t record_count, int64_t arrival_millis) {
  // Index the frames, move the ends, wake readers.
  uint64_t end = 0;
  uint64_t trim = 0;
  {
    MutexLock lock(&mu_);
    PublishLocked(plan, first_position, record_count, arrival_millis);
    end = end_position_;
    trim = trim_position_;
  }
  // Woken after `mu_` is released, so that a reader does not wake only to
  // block on it again (one context switch less on the put-to-read path).
  // `append_mu_` keeps the ends stable until the store has them. The end
  // is stored whether or not anyone waits, before the waiter count is read:
  // the wake line is then this core's when it is read and written, one
  // transfer of it rather than two when a reader spins on it. A wait that
  // counted itself before our `mu_` section shows in the count here (it
  // counted itself under `mu_`); one after it saw the new end under `mu_`.
  wake_.end.store(end, std::memory_order_relaxed);  // ordered by the count
  if (wake_.waiters.load(std::memory_order_relaxed) > 0) WakeWaiters();
  store_->Published(number_, end, trim);
}

void ShardImpl::PublishLocked(const AppendPlan& plan, uint64_t first_position,
                              size_t record_count, int64_t arrival_millis) {
  for (const std::shared_ptr<Segment>& created : plan.created) {
    segments_.push_back(created);
  }
  for (const FramePlan& f : plan.frames) {
    Segment& s = *plan.targets[f.segment];
    if (s.batches.empty()) s.first_arrival_millis = arrival_millis;
    s.batches.push_back(
        {first_position + f.begin, static_cast<uint32_t>(f.offset),
         static_cast<uint32_t>(f.end - f.begin), arrival_millis});
    s.end_offset = f.offset + f.bytes;
    s.end_position = first_position + f.end;
    s.last_arrival_millis = arrival_millis;
  }
  end_position_ = first_position + record_count;
}

void ShardImpl::Recover(std::vector<std::shared_ptr<Segment>> segments,
                        uint64_t end_position) {
  MutexLock append_lock(&append_mu_);
  MutexLock lock(&mu_);
  int64_t bytes = 0;
  for (const std::shared_ptr<Segment>& s : segments) {
    bytes += static_cast<int64_t>(s->end_offset);
    last_arrival_millis_ =
        std::max(last_arrival_millis_, s->last_arrival_millis);
  }
  trim_position_ =
      segments.empty() ? end_position : segments.front()->base_position();
  end_position_ = end_position;
  next_position_ = end_position;
  segments_.assign(std::make_move_iterator(segments.begin()),
                   std::make_move_iterator(segments.end()));
  trim_floor_millis_.store(std::numeric_limits<int64_t>::min(),
                           std::memory_order_release);
  stream_->Adopt(bytes);
}

int64_t ShardImpl::StoredBytes() const {
  MutexLock lock(&mu_);
  int64_t bytes = 0;
  for (const std::shared_ptr<Segment>& s : segments_) {
    bytes += static_cast<int64_t>(s->end_offset);
  }
  return bytes;
}

void ShardImpl::Seal() {
  MutexLock lock(&append_mu_);
  sealed_ = true;
}

}  // namespace internal
}  // namespace brook
