// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The shard's reader side: iterators (GetShardIterator), GetRecords over the
// published segments without copying record bytes, the retention horizon
// readers see, and waiting for records. The append and retention side is in
// shard_impl.cc.

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"

#include "store/record_format.h"
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
        r.approximate_arrival_timestamp_millis = h.arrival_millis;
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

}  // namespace internal
}  // namespace brook
