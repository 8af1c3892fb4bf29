// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The shard's reader side: iterators (GetShardIterator), GetRecords over the
// published segments without copying record bytes, and the retention horizon
// readers see. Waiting for records is in shard_wait.cc, the append side in
// shard_impl.cc, retention in shard_retention.cc.

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"

#include "store/batch_format.h"
#include "stream/sequence.h"
#include "stream/shard_impl.h"
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
    it.stream_ = shard->stream();
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
    r.behind_latest_ = absl::Milliseconds(millis_behind);
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

// A segment as a reader saw it under the shard's lock.
struct SegmentSnapshot {
  std::shared_ptr<Segment> segment;
  size_t end_offset;
  uint64_t end_position;
  int64_t first_arrival_millis;
};

// Where a read decompresses compressed frames: blocks that never move, so
// the records of every frame decompressed stay where they are while the
// result that pins the arena lives. One block serves many frames.
class FrameArena {
 public:
  char* Allocate(size_t n) {
    if (blocks_.empty() || block_bytes_ - used_ < n) {
      block_bytes_ = std::max(kBlockBytes, n);
      blocks_.emplace_back(new char[block_bytes_]);
      used_ = 0;
    }
    char* p = blocks_.back().get() + used_;
    used_ += n;
    return p;
  }

 private:
  static constexpr size_t kBlockBytes = size_t{256} << 10;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_bytes_ = 0;
  size_t used_ = 0;
};

absl::Status Corrupt(const std::string& shard_id, const Segment& segment,
                     size_t offset, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(shard_id, ": segment at position ",
                                          segment.base_position(), " offset ",
                                          offset, ": ", what));
}

}  // namespace

size_t ShardImpl::FindSegmentLocked(uint64_t position) const {
  // The last segment whose base is <= position.
  auto it = std::upper_bound(segments_.begin(), segments_.end(), position,
                             [](uint64_t p, const std::shared_ptr<Segment>& s) {
                               return p < s->base_position();
                             });
  return static_cast<size_t>(it - segments_.begin()) - 1;
}

uint64_t ShardImpl::HorizonLocked(int64_t now_millis,
                                  absl::Status* error) const {
  // Whole segments go when they expire; records past retention in a segment
  // that still holds newer ones are hidden here, so none is ever returned.
  const int64_t cutoff = stream_->RetentionCutoff(now_millis);
  if (segments_.empty()) return trim_position_;
  const std::shared_ptr<Segment> front = segments_.front();
  *error = OpenLocked(*front);
  if (!error->ok()) return trim_position_;
  if (front->first_arrival_millis >= cutoff) return trim_position_;
  return std::max(trim_position_, FirstArrivedAtLocked(cutoff, error));
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
  if (stream_->following()) {
    BROOK_RETURN_IF_ERROR(const_cast<ShardImpl*>(this)->Follow());
  }
  const int64_t now = stream_->env()->NowMillis();
  MutexLock lock(&mu_);
  switch (start.type) {
    case ShardIteratorType::kTrimHorizon:
    case ShardIteratorType::kAtTimestamp:
      for (;;) {
        absl::Status error;
        uint64_t at = HorizonLocked(now, &error);
        if (error.ok() && wants_timestamp) {
          at = std::max(at,
                        FirstArrivedAtLocked(*start.timestamp_millis, &error));
        }
        // Retention removed a file since recovery (it left the view): look
        // again.
        if (absl::IsNotFound(error)) continue;
        if (!error.ok()) return error;
        return ReadBuilder::MakeIterator(this, at);
      }
    case ShardIteratorType::kLatest:
      return ReadBuilder::MakeIterator(this, end_position_);
    case ShardIteratorType::kAtSequenceNumber:
    case ShardIteratorType::kAfterSequenceNumber: {
      const SequenceNumber n = *start.sequence_number;
      if (!IsLocalSequenceNumber(n)) {
        return absl::InvalidArgumentError(
            absl::StrCat(id_, ": sequence number ", n.ToString(),
                         " was not issued by this stream (2^128 or more)"));
      }
      const uint64_t position = PositionOf(n);
      if (ShardNumberOf(n) == number_ && position >= end_position_ &&
          !index_error_.ok()) {
        return index_error_;  // issued, past where damage ends the log
      }
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
  }
  return absl::InternalError("unreachable");
}

// What Read() took from the shard under its lock: the segments to read,
// from the one holding `position` on, as they were then.
struct ShardImpl::ReadSnapshot {
  uint64_t position = 0;  // the first to read: the iterator's, or the horizon
  uint64_t skipped = 0;   // records retention expired before the iterator
  uint64_t end = 0;       // the shard's published end
  bool closed = false;
  std::vector<ChildShard> children;  // if `closed`
  absl::InlinedVector<SegmentSnapshot, 4> segments;
  int64_t after_arrival = 0;  // first arrival past `segments`
  size_t batch_offset = 0;    // of the frame holding `position`, segments[0]
  uint64_t covered = 0;       // records from `position` to their end
  absl::Status error;         // of indexing a segment (lazy recovery)
};

// Where Read() is.
struct ShardImpl::ReadCursor {
  uint64_t position = 0;  // of the next record to return
  int64_t bytes = 0;      // of the records returned
  bool stopped = false;   // by the limit or max_bytes, at `next`
  ShardIterator next;
  int64_t next_arrival = 0;  // arrival of the record at `next`
  // Decompressed frames, made at the first compressed frame.
  std::shared_ptr<FrameArena> arena;
};

// Where Read() puts the records it reads: into a result's vector
// (GetRecords), or to a visitor (ScanRecords).
struct ShardImpl::RecordSink {
  std::vector<Record>* out = nullptr;                             // or
  const absl::FunctionRef<void(const Record&)>* visit = nullptr;  // this
  int64_t visited = 0;

  size_t size() const {
    return visit != nullptr ? static_cast<size_t>(visited) : out->size();
  }
};

absl::StatusOr<GetRecordsResult> ShardImpl::Read(
    const ShardIterator& iterator, const GetRecordsOptions& options,
    const absl::FunctionRef<void(const Record&)>* visit,
    int64_t* visited) const {
  if (options.limit < 1 || options.limit > 10000) {
    return absl::InvalidArgumentError(absl::StrCat(
        id_, ": GetRecords limit must be 1 to 10000, got ", options.limit));
  }
  if (options.max_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(id_, ": GetRecords max_bytes must be positive, got ",
                     options.max_bytes));
  }
  uint64_t cap = ~uint64_t{0};
  if (options.durable_only) {
    if (stream_->durable_store() == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          id_,
          ": GetRecords durable_only: a memory stream has no durable "
          "records"));
    }
    cap = stream_->DurableEnd(number_);
  }
  if (throttle_ != nullptr && !options.dedicated_throughput) {
    BROOK_RETURN_IF_ERROR(throttle_->AdmitRead(stream_->env()->NowMillis()));
  }
  if (stream_->following()) {
    stream_->FollowTopology();
    BROOK_RETURN_IF_ERROR(const_cast<ShardImpl*>(this)->Follow());
  }
  const int64_t now = stream_->env()->NowMillis();
  TryTrimBefore(stream_->RetentionCutoff(now));
  stream_->MaybeTrimExpired(now);

  GetRecordsResult result;
  ReadSnapshot snap;
  bool have = SnapshotForRead(iterator, now, options.limit, cap, &snap);
  while (!have && absl::IsNotFound(snap.error)) {
    // Retention removed a file since recovery (it left the view): again.
    snap = ReadSnapshot();
    have = SnapshotForRead(iterator, now, options.limit, cap, &snap);
  }
  const bool metrics = stream_->fixed_options().metrics;
  if (!have) {
    if (!snap.error.ok()) return snap.error;
    if (metrics) metrics_.AddRead(0, 0, 0, now, options.reader);
    // Nothing to read: the end of a closed shard, or wait for records.
    if (snap.closed) {
      ReadBuilder::SetChildren(result, std::move(snap.children));
      ReadBuilder::Finish(result, ShardIterator(), 0, snap.skipped);
    } else {
      ReadBuilder::Finish(result,
                          ReadBuilder::MakeIterator(this, snap.position), 0,
                          snap.skipped);
    }
    return result;
  }

  RecordSink sink;
  sink.visit = visit;
  if (visit == nullptr) {
    sink.out = &ReadBuilder::records(result);
    sink.out->reserve(static_cast<size_t>(std::min<uint64_t>(
        snap.covered, static_cast<uint64_t>(options.limit))));
  }
  ReadCursor c;
  c.position = snap.position;
  for (size_t k = 0; k < snap.segments.size() && !c.stopped; ++k) {
    const size_t emitted_before = sink.size();
    BROOK_RETURN_IF_ERROR(ReadSegment(iterator, options, snap, k, &c, &sink));
    // A visitor is done with its records: nothing to keep alive for it.
    if (visit == nullptr && sink.size() > emitted_before) {
      ReadBuilder::Pin(result, snap.segments[k].segment);
    }
  }
  if (visit == nullptr && c.arena != nullptr) {
    ReadBuilder::Pin(result, std::move(c.arena));
  }
  if (visited != nullptr) *visited = sink.visited;
  const uint64_t next_position = c.stopped ? c.next.position_ : c.position;
  const int64_t behind = next_position >= snap.end
                             ? 0
                             : std::max<int64_t>(0, now - c.next_arrival);
  if (snap.closed && next_position >= snap.end) {
    // The end of a closed shard: no next iterator, and where its keys went.
    ReadBuilder::SetChildren(result, std::move(snap.children));
    c.next = ShardIterator();
  }
  // c.bytes: the keys and data of the records read.
  if (throttle_ != nullptr && !options.dedicated_throughput) {
    throttle_->ChargeRead(c.bytes);
  }
  ReadBuilder::Finish(result, c.next, behind, snap.skipped);
  if (metrics) {
    metrics_.AddRead(static_cast<int64_t>(sink.size()), c.bytes, behind, now,
                     options.reader);
  }
  return result;
}

bool ShardImpl::SnapshotForRead(const ShardIterator& iterator, int64_t now,
                                int limit, uint64_t cap,
                                ReadSnapshot* snap) const {
  MutexLock lock(&mu_);
  const uint64_t from = ReadStartLocked(iterator.position_, now, &snap->error);
  if (!snap->error.ok()) return false;
  if (!segments_.empty()) {
    // Index what this read looks at (after a lazy recovery): damage found
    // now ends the log before the snapshot is taken, and the read returns
    // what precedes it.
    uint64_t covered = 0;
    for (size_t j = FindSegmentLocked(
             std::max(from, segments_.front()->base_position()));
         j < segments_.size() && covered < static_cast<uint64_t>(limit); ++j) {
      const std::shared_ptr<Segment> hold = segments_[j];
      Segment& s = *hold;
      snap->error = ReachLocked(s);
      if (!snap->error.ok()) return false;
      if (j >= segments_.size()) break;
      covered += s.end_position -
                 std::min(s.end_position, std::max(from, s.base_position()));
    }
  }
  snap->position = from;
  snap->skipped = from - iterator.position_;
  snap->end = std::min(end_position_, cap);
  if (snap->end < end_position_ && !segments_.empty()) {
    // Only whole frames below the cap (durable ends fall between frames).
    const std::shared_ptr<Segment> hold = segments_[FindSegmentLocked(
        std::max(snap->end, segments_.front()->base_position()))];
    const Segment& s = *hold;
    snap->error = ReachLocked(*hold);
    if (!snap->error.ok()) return false;
    snap->end = std::min(snap->end, end_position_);
    for (const BatchIndexEntry& b : s.batches) {
      if (b.first_position + b.record_count > snap->end) {
        snap->end = std::min(snap->end, b.first_position);
        break;
      }
    }
  }
  snap->closed = closed_ && snap->end >= end_position_;
  if (snap->closed) snap->children = children_;
  if (snap->position >= snap->end) {
    // Where indexing found damage and ended the log, every read says so.
    if (snap->position >= end_position_) snap->error = index_error_;
    return false;
  }
  const size_t i = FindSegmentLocked(snap->position);
  for (size_t j = i; j < segments_.size(); ++j) {
    if (snap->covered >= static_cast<uint64_t>(limit)) {
      // Of a segment not opened yet (lazy recovery), the last record's
      // before it, which is at most that much earlier: a read is not made
      // to open a segment it returns nothing from.
      snap->after_arrival =
          segments_[j]->opened
              ? segments_[j]->first_arrival_millis
              : snap->segments.back().segment->last_arrival_millis;
      break;
    }
    const std::shared_ptr<Segment> hold = segments_[j];
    Segment& s = *hold;
    if (s.base_position() >= snap->end) break;
    snap->error = ReachLocked(s);
    if (!snap->error.ok()) return false;
    if (j >= segments_.size()) break;
    snap->end = std::min(snap->end, end_position_);
    SegmentSnapshot seg{segments_[j], s.end_offset, s.end_position,
                        s.first_arrival_millis};
    if (s.end_position > snap->end) {
      // Cut at the first frame the cap leaves out.
      for (const BatchIndexEntry& b : s.batches) {
        if (b.first_position >= snap->end) {
          seg.end_offset = b.offset;
          seg.end_position = b.first_position;
          snap->after_arrival = b.arrival_millis;
          break;
        }
      }
    }
    snap->segments.push_back(seg);
    snap->covered +=
        seg.end_position - std::max(snap->position, s.base_position());
    if (s.end_position > snap->end) break;
  }
  // The frame holding the position: where the iterator's hint says, if it
  // is for this position, else from the segment's index.
  const Segment& first = *segments_[i];
  const uint64_t hint_batch = iterator.hint_offset_ >> 32;
  if (iterator.hint_segment_ == first.base_position() &&
      iterator.position_ == snap->position && hint_batch < first.end_offset) {
    snap->batch_offset = hint_batch;
  } else {
    auto b = std::upper_bound(first.batches.begin(), first.batches.end(),
                              snap->position,
                              [](uint64_t p, const BatchIndexEntry& e) {
                                return p < e.first_position;
                              });
    snap->batch_offset = std::prev(b)->offset;
  }
  return true;
}

absl::Status ShardImpl::ReadSegment(const ShardIterator& iterator,
                                    const GetRecordsOptions& options,
                                    const ReadSnapshot& snap, size_t k,
                                    ReadCursor* c, RecordSink* out) const {
  const SegmentSnapshot& s = snap.segments[k];
  const Segment& seg = *s.segment;
  size_t off = k == 0 ? snap.batch_offset : 0;
  while (off < s.end_offset) {
    if (s.end_offset - off < kBatchHeaderBytes) {
      return Corrupt(id_, seg, off, "truncated batch header");
    }
    const BatchHeader h = DecodeBatchHeader(seg.data() + off);
    std::string reason;
    if (!CheckBatchHeader(h, s.end_offset - off, &reason)) {
      return Corrupt(id_, seg, off, reason);
    }
    // Frames run on without a gap, so one never starts past the position
    // the reader is at. If one does, the bytes are not those the index was
    // built from (changed under the map): returning its records would skip
    // the positions in between without counting them in skipped_records().
    if (h.first_position > c->position) {
      return Corrupt(id_, seg, off,
                     absl::StrCat("batch starts at position ", h.first_position,
                                  ", expected ", c->position, " or before"));
    }
    if (c->position < h.end_position()) {  // else wholly before the position
      const bool first_frame = k == 0 && off == snap.batch_offset;
      BROOK_RETURN_IF_ERROR(
          ReadFrame(iterator, options, seg, off, h, first_frame, c, out));
      if (c->stopped) return absl::OkStatus();
    }
    off += h.frame_bytes;
  }
  // Next record: the next batch of this segment, once written, or the next
  // segment.
  c->position = s.end_position;
  c->next =
      ReadBuilder::MakeIterator(this, c->position, seg.base_position(),
                                (static_cast<uint64_t>(s.end_offset) << 32) |
                                    (s.end_offset + kBatchHeaderBytes));
  c->next_arrival = k + 1 < snap.segments.size()
                        ? snap.segments[k + 1].first_arrival_millis
                        : snap.after_arrival;
  return absl::OkStatus();
}

absl::Status ShardImpl::ReadFrame(const ShardIterator& iterator,
                                  const GetRecordsOptions& options,
                                  const Segment& seg, size_t off,
                                  const BatchHeader& h, bool first_frame,
                                  ReadCursor* c, RecordSink* out) const {
  const char* records = seg.data() + off + kBatchHeaderBytes;
  size_t records_bytes = h.frame_bytes - kBatchHeaderBytes;
  if (h.codec() == BatchCodec::kZstd) {
    // Into the read's arena: the records then point there.
    absl::StatusOr<size_t> size = DecompressedBytes(records, records_bytes);
    if (!size.ok()) return Corrupt(id_, seg, off, size.status().message());
    if (*size / kRecordHeaderBytes < h.record_count) {
      return Corrupt(
          id_, seg, off,
          absl::StrCat("compressed records: ", *size, " bytes cannot hold ",
                       h.record_count, " records"));
    }
    if (c->arena == nullptr) c->arena = std::make_shared<FrameArena>();
    char* const dst = c->arena->Allocate(*size);
    absl::Status s =
        DecompressFrame(records, records_bytes, &stream_->codec(), dst, *size);
    if (!s.ok()) return Corrupt(id_, seg, off, s.message());
    records = dst;
    records_bytes = *size;
  }
  BatchReader reader(records, records_bytes, h);
  // Resume mid-batch: from the hint, else by skipping records.
  if (first_frame && c->position > h.first_position) {
    const uint64_t hint_record = iterator.hint_offset_ & 0xffffffffu;
    if (iterator.hint_segment_ == seg.base_position() &&
        iterator.position_ == c->position && hint_record > off &&
        hint_record < off + reader.frame_bytes()) {
      reader.Resume(hint_record - off, c->position);
    }
  }
  while (reader.position() < c->position) {
    if (!reader.Skip()) {
      return Corrupt(id_, seg, off + reader.offset(), "bad record length");
    }
  }
  const size_t limit = static_cast<size_t>(options.limit);
  const size_t ahead = ScanPrefetchDistance(records_bytes, h.record_count);
  // The count and bytes so far stay in locals across the loop: behind `out`
  // and `c` they would be stored and loaded again around every call of the
  // (opaque) visitor.
  size_t count = out->size();
  int64_t bytes = c->bytes;
  const auto settle = [&] {
    c->bytes = bytes;
    if (out->visit != nullptr) out->visited = static_cast<int64_t>(count);
  };
  while (!reader.done()) {
    if (count >= limit || (bytes >= options.max_bytes && count > 0)) {
      settle();
      c->stopped = true;
      c->next_arrival = h.arrival_millis;
      c->next = ReadBuilder::MakeIterator(
          this, reader.position(), seg.base_position(),
          (static_cast<uint64_t>(off) << 32) | (off + reader.offset()));
      return absl::OkStatus();
    }
    __builtin_prefetch(reader.next_bytes() + ahead);
    const uint64_t position = reader.position();
    // Every field given at once: `Record r;` (or emplace_back()) would be
    // cleared by a `rep stos` first and then written again.
    StoredRecord stored;
    if (!reader.Next(&stored)) {
      settle();
      return Corrupt(id_, seg, off + reader.offset(), "bad record length");
    }
    const Record r{MakeSequenceNumber(position, number_),
                   /*subsequence_number=*/0,
                   h.arrival_millis,
                   /*damaged_aggregate=*/false,
                   stored.has_explicit_hash_key,
                   stored.hash_key,
                   stored.partition_key,
                   stored.data};
    bytes += static_cast<int64_t>(r.partition_key.size() + r.data.size());
    ++count;
    if (out->visit != nullptr) {
      // Handed on at once, not into a vector the caller would read back
      // (bench/scan_shape_bench.cc).
      (*out->visit)(r);
    } else {
      out->out->push_back(r);
    }
  }
  settle();
  c->position = h.end_position();
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace brook
