// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "stream/shard_impl.h"

#include <algorithm>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"

#include "brook/partitioner.h"

#include "store/record_format.h"
#include "stream/sequence.h"
#include "stream/stream_impl.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

// Fills the private parts of results and iterators.
class ReadBuilder {
 public:
  static ShardIterator MakeIterator(const ShardImpl* shard, uint64_t position,
                                    uint64_t hint_segment = 0,
                                    uint64_t hint_offset = 0) {
    ShardIterator it;
    it.shard_ = shard;
    it.position_ = position;
    it.hint_segment_ = hint_segment;
    it.hint_offset_ = hint_offset;
    return it;
  }
  static std::vector<Record>& records(GetRecordsResult& r) {
    return r.records_;
  }
  static void Finish(GetRecordsResult& r, ShardIterator next,
                     int64_t millis_behind, uint64_t skipped) {
    r.next_ = next;
    r.millis_behind_latest_ = millis_behind;
    r.skipped_records_ = skipped;
  }
  static void SetChildren(GetRecordsResult& r, std::vector<ChildShard> c) {
    r.child_shards_ = std::move(c);
  }
  static void Pin(GetRecordsResult& r, std::shared_ptr<const void> storage) {
    r.pins_.push_back(std::move(storage));
  }
};

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

// A segment as a reader saw it under the shard's lock.
struct SegmentSnapshot {
  std::shared_ptr<Segment> segment;
  size_t end_offset;
  uint64_t end_position;
  int64_t first_arrival_millis;
};

absl::Status Corrupt(const std::string& shard_id, const Segment& segment,
                     size_t offset, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(shard_id, ": segment at position ",
                                          segment.base_position(), " offset ",
                                          offset, ": ", what));
}

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
      end_position_(start_position) {}

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
    if (waiters_ > 0) published_.SignalAll();
  }
  // No segment will be created here again; storage kept for one can go.
  store_->RetireShard(number_);
}

absl::StatusOr<SequenceNumber> ShardImpl::Append(
    absl::Span<const RoutedRecord> records) {
  if (records.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(id_, ": append of no records"));
  }
  const int64_t max_record_bytes = stream_->fixed_options().max_record_bytes;
  for (size_t i = 0; i < records.size(); ++i) {
    const RoutedRecord& r = records[i];
    if (!range_.Contains(r.hash_key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          id_, ": record ", i, ": hash key ", HashKeyToString(r.hash_key),
          " is outside the shard's range ",
          HashKeyToString(range_.starting_hash_key), "..",
          HashKeyToString(range_.ending_hash_key)));
    }
    const size_t size = r.partition_key.size() + r.data.size();
    if (size > static_cast<uint64_t>(max_record_bytes)) {
      return absl::InvalidArgumentError(absl::StrCat(
          id_, ": record ", i, ": ", size,
          " bytes (partition key + data) exceed the max record size of ",
          max_record_bytes));
    }
    absl::Status s = ValidatePartitionKey(r.partition_key);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(id_, ": record ", i, ": ", s.message()));
    }
  }
  return AppendValidated(records);
}

absl::StatusOr<SequenceNumber> ShardImpl::AppendValidated(
    absl::Span<const RoutedRecord> records) {
  const int64_t now = stream_->env()->NowMillis();
  absl::StatusOr<SequenceNumber> first;
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      MutexLock lock(&append_mu_);
      if (appends_stopped_) {
        return absl::FailedPreconditionError(
            absl::StrCat(id_, ": shard is closed by a reshard; route again"));
      }
      if (sealed_) {
        return absl::FailedPreconditionError(
            absl::StrCat(id_, ": the stream is closed or read-only"));
      }
      TrimBeforeLocked(stream_->RetentionCutoff(now));
      first = AppendLocked(records, now);
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
  }
  return first;
}

absl::StatusOr<SequenceNumber> ShardImpl::AppendLocked(
    absl::Span<const RoutedRecord> records, int64_t now_millis) {
  const size_t segment_bytes =
      static_cast<size_t>(stream_->fixed_options().segment_bytes);

  // The open segment, if any: the last one, which only this appender grows.
  std::shared_ptr<Segment> open;
  size_t open_offset = 0;
  bool open_aged = false;  // rolled by age: takes no more frames
  {
    MutexLock lock(&mu_);
    if (!segments_.empty()) {
      open = segments_.back();
      open_offset = open->end_offset;
      const int64_t roll_millis = stream_->fixed_options().segment_roll_millis;
      open_aged = roll_millis > 0 && !open->batches.empty() &&
                  now_millis - open->first_arrival_millis >= roll_millis;
    }
  }

  // Plan frames first, so that nothing is written unless it all fits.
  absl::InlinedVector<FramePlan, 4> frames;
  absl::InlinedVector<size_t, 4> new_capacities;  // segments to create
  size_t segment = open ? 0 : kNoPlanSegment;     // 0 = `open`
  size_t offset = open_offset;
  size_t capacity = open ? (open_aged ? open_offset : open->capacity()) : 0;
  int64_t total_bytes = 0;
  for (size_t i = 0; i < records.size();) {
    const size_t first_bytes =
        kBatchHeaderBytes + EncodedRecordBytes(records[i]);
    if (segment == kNoPlanSegment || capacity - offset < first_bytes) {
      new_capacities.push_back(std::max(segment_bytes, first_bytes));
      segment = new_capacities.size() - (open ? 0 : 1);
      offset = 0;
      capacity = new_capacities.back();
    }
    size_t bytes = first_bytes;
    size_t end = i + 1;
    while (end < records.size()) {
      const size_t next = EncodedRecordBytes(records[end]);
      if (capacity - offset - bytes < next) break;
      bytes += next;
      ++end;
    }
    frames.push_back({segment, i, end, offset, bytes});
    offset += bytes;
    total_bytes += static_cast<int64_t>(bytes);
    i = end;
  }

  absl::Status reserved = stream_->Reserve(total_bytes);
  if (!reserved.ok()) {
    return absl::ResourceExhaustedError(
        absl::StrCat(id_, ": ", reserved.message()));
  }
  absl::InlinedVector<std::shared_ptr<Segment>, 4> targets;
  if (open) targets.push_back(open);
  // A failed append leaves no segment behind: the store deletes those it
  // created, newest first (see SegmentStore::Discard()).
  auto discard_created = [&] {
    while (targets.size() > (open ? 1u : 0u)) {
      store_->Discard(std::move(targets.back()));
      targets.pop_back();
    }
  };
  for (size_t k = 0; k < new_capacities.size(); ++k) {
    // The segment's first record is the first of its first frame.
    const size_t target = targets.size();
    uint64_t base = next_position_;
    for (const FramePlan& f : frames) {
      if (f.segment == target) {
        base = next_position_ + f.begin;
        break;
      }
    }
    absl::StatusOr<std::shared_ptr<Segment>> created =
        store_->CreateSegment(number_, base, new_capacities[k]);
    if (!created.ok()) {
      discard_created();
      stream_->Release(total_bytes);
      return absl::Status(created.status().code(),
                          absl::StrCat(id_, ": ", created.status().message()));
    }
    targets.push_back(*std::move(created));
  }

  // Write the frames beyond what readers can see.
  const uint64_t first_position = next_position_;
  const int64_t arrival = std::max(now_millis, last_arrival_millis_);
  for (const FramePlan& f : frames) {
    Segment& s = *targets[f.segment];
    char* dst = s.data() + f.offset;
    BatchHeader h;
    h.frame_bytes = static_cast<uint32_t>(f.bytes);
    h.first_position = first_position + f.begin;
    h.arrival_millis = arrival;
    h.record_count = static_cast<uint32_t>(f.end - f.begin);
    EncodeBatchHeader(dst, h);
    char* p = dst + kBatchHeaderBytes;
    for (size_t i = f.begin; i < f.end; ++i) p += EncodeRecord(p, records[i]);
  }

  // The store makes the frames durable as its policy says, before any reader
  // or producer sees them. On failure nothing is published, the segments
  // committed so far take the frames back, and the bytes are overwritten by
  // the next append.
  for (size_t k = 0; k < targets.size(); ++k) {
    const FramePlan* last = nullptr;
    for (const FramePlan& f : frames) {
      if (f.segment == k) last = &f;
    }
    if (last == nullptr) continue;
    absl::Status committed =
        store_->Commit(*targets[k], last->offset + last->bytes);
    if (!committed.ok()) {
      for (size_t j = 0; j < k; ++j) store_->Abort(*targets[j]);
      discard_created();
      stream_->Release(total_bytes);
      return absl::Status(committed.code(),
                          absl::StrCat(id_, ": ", committed.message()));
    }
  }

  // Publish: index the frames, move the ends, wake readers.
  {
    MutexLock lock(&mu_);
    for (size_t k = open ? 1 : 0; k < targets.size(); ++k) {
      segments_.push_back(targets[k]);
    }
    for (const FramePlan& f : frames) {
      Segment& s = *targets[f.segment];
      if (s.batches.empty()) s.first_arrival_millis = arrival;
      s.batches.push_back({first_position + f.begin,
                           static_cast<uint32_t>(f.offset),
                           static_cast<uint32_t>(f.end - f.begin), arrival});
      s.end_offset = f.offset + f.bytes;
      s.end_position = first_position + f.end;
      s.last_arrival_millis = arrival;
    }
    end_position_ = first_position + records.size();
    if (waiters_ > 0) published_.SignalAll();
  }
  next_position_ = first_position + records.size();
  last_arrival_millis_ = arrival;
  return MakeSequenceNumber(first_position, number_);
}

int64_t ShardImpl::TrimBefore(int64_t cutoff_millis) {
  MutexLock lock(&append_mu_);
  return TrimBeforeLocked(cutoff_millis);
}

int64_t ShardImpl::TryTrimBefore(int64_t cutoff_millis) const {
  // Retention changes what is stored, not what the shard is; readers apply
  // it too, so a shard nobody writes to still lets go of expired segments.
  auto* self = const_cast<ShardImpl*>(this);
  if (!self->append_mu_.TryLock()) return 0;
  const int64_t records = self->TrimBeforeLocked(cutoff_millis);
  self->append_mu_.Unlock();
  return records;
}

int64_t ShardImpl::TrimBeforeLocked(int64_t cutoff_millis) {
  int64_t records = 0;
  MutexLock lock(&mu_);
  while (!segments_.empty() &&
         segments_.front()->last_arrival_millis < cutoff_millis) {
    const Segment& front = *segments_.front();
    records += static_cast<int64_t>(front.end_position - front.base_position());
    RemoveFrontLocked();
  }
  return records;
}

int64_t ShardImpl::RemoveFrontLocked() {
  std::shared_ptr<Segment> front = std::move(segments_.front());
  segments_.pop_front();
  trim_position_ = front->end_position;
  const int64_t bytes = static_cast<int64_t>(front->end_offset);
  stream_->Release(bytes);
  store_->Remove(std::move(front));
  return bytes;
}

bool ShardImpl::OldestDroppable(int64_t* first_arrival_millis) const {
  MutexLock lock(&mu_);
  if (segments_.size() < DroppableFromLocked()) return false;
  *first_arrival_millis = segments_.front()->first_arrival_millis;
  return true;
}

int64_t ShardImpl::DropOldest() {
  MutexLock lock(&mu_);
  if (segments_.size() < DroppableFromLocked()) return 0;
  return RemoveFrontLocked();
}

size_t ShardImpl::SegmentCountForTesting() const {
  MutexLock lock(&mu_);
  return segments_.size();
}

size_t ShardImpl::DroppableFromLocked() const {
  // Never an open shard's newest segment, which takes the next append; every
  // segment of a closed shard is sealed.
  return closed_ ? 1 : 2;
}

size_t ShardImpl::FindSegmentLocked(uint64_t position) const {
  // The last segment whose base is <= position.
  auto it = std::upper_bound(segments_.begin(), segments_.end(), position,
                             [](uint64_t p, const std::shared_ptr<Segment>& s) {
                               return p < s->base_position();
                             });
  return static_cast<size_t>(it - segments_.begin()) - 1;
}

uint64_t ShardImpl::FirstArrivedAtLocked(int64_t millis) const {
  // Arrival times never decrease within a shard.
  auto seg = std::lower_bound(segments_.begin(), segments_.end(), millis,
                              [](const std::shared_ptr<Segment>& s, int64_t t) {
                                return s->last_arrival_millis < t;
                              });
  if (seg == segments_.end()) return end_position_;
  const std::vector<BatchIndexEntry>& batches = (*seg)->batches;
  auto batch = std::lower_bound(
      batches.begin(), batches.end(), millis,
      [](const BatchIndexEntry& b, int64_t t) { return b.arrival_millis < t; });
  return batch->first_position;
}

uint64_t ShardImpl::HorizonLocked(int64_t now_millis) const {
  // Whole segments go when they expire; records past retention in a segment
  // that still holds newer ones are hidden here, so none is ever returned.
  const int64_t cutoff = stream_->RetentionCutoff(now_millis);
  if (segments_.empty() || segments_.front()->first_arrival_millis >= cutoff) {
    return trim_position_;
  }
  return std::max(trim_position_, FirstArrivedAtLocked(cutoff));
}

absl::StatusOr<ShardIterator> ShardImpl::NewIterator(
    const StartingPosition& start) const {
  const absl::string_view type_name = ShardIteratorTypeName(start.type);
  const bool wants_sequence =
      start.type == ShardIteratorType::kAtSequenceNumber ||
      start.type == ShardIteratorType::kAfterSequenceNumber;
  const bool wants_timestamp = start.type == ShardIteratorType::kAtTimestamp;
  if (type_name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        id_, ": unknown shard iterator type ", static_cast<int>(start.type)));
  }
  if (wants_sequence != start.sequence_number.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(id_, ": ", type_name,
                     wants_sequence ? " needs a starting sequence number"
                                    : " takes no starting sequence number"));
  }
  if (wants_timestamp != start.timestamp_millis.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        id_, ": ", type_name,
        wants_timestamp ? " needs a timestamp" : " takes no timestamp"));
  }

  // A read-only stream reads a shard's segments only now.
  BROOK_RETURN_IF_ERROR(stream_->EnsureRecovered(number_));
  const int64_t now = stream_->env()->NowMillis();
  MutexLock lock(&mu_);
  switch (start.type) {
    case ShardIteratorType::kTrimHorizon:
      return ReadBuilder::MakeIterator(this, HorizonLocked(now));
    case ShardIteratorType::kLatest:
      return ReadBuilder::MakeIterator(this, end_position_);
    case ShardIteratorType::kAtSequenceNumber:
    case ShardIteratorType::kAfterSequenceNumber: {
      const SequenceNumber n = *start.sequence_number;
      const uint64_t position = PositionOf(n);
      if (ShardNumberOf(n) != number_ || position < start_position_ ||
          position >= end_position_) {
        return absl::InvalidArgumentError(absl::StrCat(
            id_, ": sequence number ", n.ToString(),
            ShardNumberOf(n) != number_ ? " belongs to another shard"
                                        : " was not issued by this shard"));
      }
      return ReadBuilder::MakeIterator(
          this, start.type == ShardIteratorType::kAtSequenceNumber
                    ? position
                    : position + 1);
    }
    case ShardIteratorType::kAtTimestamp:
      return ReadBuilder::MakeIterator(
          this, std::max(HorizonLocked(now),
                         FirstArrivedAtLocked(*start.timestamp_millis)));
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<GetRecordsResult> ShardImpl::Read(
    const ShardIterator& iterator, const GetRecordsOptions& options) const {
  if (options.limit < 1 || options.limit > 10000) {
    return absl::InvalidArgumentError(absl::StrCat(
        id_, ": GetRecords limit must be 1 to 10000, got ", options.limit));
  }
  if (options.max_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(id_, ": GetRecords max_bytes must be positive, got ",
                     options.max_bytes));
  }
  const int64_t now = stream_->env()->NowMillis();
  TryTrimBefore(stream_->RetentionCutoff(now));
  stream_->MaybeTrimExpired(now);

  GetRecordsResult result;
  uint64_t position = iterator.position_;
  uint64_t skipped = 0;
  uint64_t end;
  absl::InlinedVector<SegmentSnapshot, 4> snaps;
  int64_t after_snaps_arrival = 0;  // first arrival past the snapshots
  size_t batch_offset = 0;
  uint64_t covered = 0;
  bool closed = false;
  std::vector<ChildShard> children;
  {
    MutexLock lock(&mu_);
    const uint64_t horizon = HorizonLocked(now);
    if (position < horizon) {
      skipped = horizon - position;
      position = horizon;
    }
    end = end_position_;
    closed = closed_;
    if (closed) children = children_;
    if (position >= end) {
      if (closed) {
        ReadBuilder::SetChildren(result, std::move(children));
        ReadBuilder::Finish(result, ShardIterator(), 0, skipped);
      } else {
        ReadBuilder::Finish(result, ReadBuilder::MakeIterator(this, position),
                            0, skipped);
      }
      return result;
    }
    size_t i = FindSegmentLocked(position);
    for (size_t j = i; j < segments_.size(); ++j) {
      if (covered >= static_cast<uint64_t>(options.limit)) {
        after_snaps_arrival = segments_[j]->first_arrival_millis;
        break;
      }
      const Segment& s = *segments_[j];
      snaps.push_back(
          {segments_[j], s.end_offset, s.end_position, s.first_arrival_millis});
      covered += s.end_position - std::max(position, s.base_position());
    }
    const Segment& first = *segments_[i];
    const uint64_t hint_batch = iterator.hint_offset_ >> 32;
    if (iterator.hint_segment_ == first.base_position() &&
        iterator.position_ == position && hint_batch < first.end_offset) {
      batch_offset = hint_batch;
    } else {
      auto b =
          std::upper_bound(first.batches.begin(), first.batches.end(), position,
                           [](uint64_t p, const BatchIndexEntry& e) {
                             return p < e.first_position;
                           });
      batch_offset = std::prev(b)->offset;
    }
  }

  std::vector<Record>& out = ReadBuilder::records(result);
  out.reserve(static_cast<size_t>(
      std::min<uint64_t>(covered, static_cast<uint64_t>(options.limit))));
  int64_t bytes = 0;
  uint64_t p = position;
  ShardIterator next;
  int64_t next_arrival = 0;
  bool stopped = false;
  for (size_t k = 0; k < snaps.size() && !stopped; ++k) {
    const SegmentSnapshot& snap = snaps[k];
    const Segment& seg = *snap.segment;
    const char* base = seg.data();
    size_t off = k == 0 ? batch_offset : 0;
    const size_t emitted_before = out.size();
    while (off < snap.end_offset) {
      if (snap.end_offset - off < kBatchHeaderBytes) {
        return Corrupt(id_, seg, off, "truncated batch header");
      }
      const BatchHeader h = DecodeBatchHeader(base + off);
      if (h.frame_bytes < kBatchHeaderBytes ||
          h.frame_bytes > snap.end_offset - off || h.record_count == 0) {
        return Corrupt(id_, seg, off, "bad batch frame length");
      }
      const uint64_t batch_end = h.first_position + h.record_count;
      if (p >= batch_end) {  // a batch wholly before the position
        off += h.frame_bytes;
        continue;
      }
      size_t roff = off + kBatchHeaderBytes;
      const size_t frame_end = off + h.frame_bytes;
      uint64_t q = h.first_position;
      // Resume mid-batch: from the hint, else by skipping records.
      if (k == 0 && off == batch_offset && p > q) {
        const uint64_t hint_record = iterator.hint_offset_ & 0xffffffffu;
        if (iterator.hint_segment_ == seg.base_position() &&
            iterator.position_ == p && hint_record > off &&
            hint_record < frame_end) {
          roff = hint_record;
          q = p;
        }
      }
      for (; q < p; ++q) {
        Record skip;
        const size_t n = DecodeRecord(base + roff, frame_end - roff, &skip);
        if (n == 0) return Corrupt(id_, seg, roff, "bad record length");
        roff += n;
      }
      for (; q < batch_end; ++q) {
        if (out.size() >= static_cast<size_t>(options.limit) ||
            (bytes >= options.max_bytes && !out.empty())) {
          stopped = true;
          next_arrival = h.arrival_millis;
          next = ReadBuilder::MakeIterator(
              this, q, seg.base_position(),
              (static_cast<uint64_t>(off) << 32) | roff);
          break;
        }
        __builtin_prefetch(base + roff + 1024);
        Record& r = out.emplace_back();
        const size_t n = DecodeRecord(base + roff, frame_end - roff, &r);
        if (n == 0) return Corrupt(id_, seg, roff, "bad record length");
        r.sequence_number = MakeSequenceNumber(q, number_);
        r.approximate_arrival_timestamp = h.arrival_millis;
        bytes += static_cast<int64_t>(r.partition_key.size() + r.data.size());
        roff += n;
      }
      if (stopped) break;
      p = batch_end;
      off = frame_end;
    }
    if (out.size() > emitted_before) ReadBuilder::Pin(result, snap.segment);
    if (!stopped) {
      // Next record: the next batch of this segment, once written, or the
      // next segment.
      p = snap.end_position;
      next = ReadBuilder::MakeIterator(
          this, p, seg.base_position(),
          (static_cast<uint64_t>(snap.end_offset) << 32) |
              (snap.end_offset + kBatchHeaderBytes));
      if (k + 1 < snaps.size()) {
        next_arrival = snaps[k + 1].first_arrival_millis;
      } else {
        next_arrival = after_snaps_arrival;
      }
    }
  }
  const uint64_t next_position = stopped ? next.position_ : p;
  const int64_t behind =
      next_position >= end ? 0 : std::max<int64_t>(0, now - next_arrival);
  if (closed && next_position >= end) {
    // The end of a closed shard: no next iterator, and where its keys went.
    ReadBuilder::SetChildren(result, std::move(children));
    next = ShardIterator();
  }
  ReadBuilder::Finish(result, next, behind, skipped);
  return result;
}

bool ShardImpl::WaitForRecords(const ShardIterator& iterator,
                               absl::Duration timeout) const {
  if (WaitForPosition(iterator.position_,
                      DeadlineAfter(stream_->env(), timeout))) {
    return true;
  }
  MutexLock lock(&mu_);
  return closed_;  // its end (and children) are there to read
}

bool ShardImpl::WaitForPosition(uint64_t position,
                                int64_t deadline_millis) const {
  Env* const env = stream_->env();
  MutexLock lock(&mu_);
  ++waiters_;
  // A closed shard publishes nothing more: stop waiting.
  while (std::max(position, trim_position_) >= end_position_ && !closed_) {
    if (published_.WaitUntil(&mu_, env, deadline_millis)) break;
  }
  --waiters_;
  return std::max(position, trim_position_) < end_position_;
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
