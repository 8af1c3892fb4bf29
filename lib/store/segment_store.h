// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A `SegmentStore` provides the storage a stream's shards keep their segments
// in. The shard logic (positions, indexes, retention, readers) is the same for
// every store; a store decides where bytes live and when they are durable.
// `NewMemorySegmentStore()` keeps segments in heap buffers and recycles them.
//
// Thread safety: every method may be called from any thread.

#ifndef BROOK_LIB_STORE_SEGMENT_STORE_H_
#define BROOK_LIB_STORE_SEGMENT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "brook/recovery.h"

#include "store/segment.h"

namespace brook {
namespace internal {

class SegmentStore {
 public:
  virtual ~SegmentStore() = default;

  // A new, empty segment for shard `shard_number` whose first record will have
  // `base_position`, with room for at least `min_capacity` bytes. Returns
  // kResourceExhausted if the storage cannot be had.
  virtual absl::StatusOr<std::shared_ptr<Segment>> CreateSegment(
      uint32_t shard_number, uint64_t base_position, size_t min_capacity) = 0;

  // Where the shard's appender encodes the frame of `bytes` bytes that goes
  // at byte `offset` of `segment`, at or past its `end_offset`; `Commit()`
  // then puts it in the segment. The frames of one append to one segment are
  // asked for in order and lie back to back from the segment's `end_offset`.
  // The default is the segment's own bytes; a store may hand out a buffer of
  // its own and write it to storage in `Commit()`.
  virtual char* FrameTarget(Segment& segment, size_t offset, size_t /*bytes*/) {
    return segment.data() + offset;
  }

  // Called by the shard's appender after it wrote frames up to byte
  // `end_offset` of `segment` and before they are published to readers (and
  // acknowledged to producers). A durable store applies its sync policy here;
  // memory has nothing to do. On error the append fails and nothing is
  // published.
  virtual absl::Status Commit(Segment& segment, size_t end_offset) = 0;

  // The append whose frames were committed to `segment` past its published
  // `end_offset` failed (a later Commit() of the same append did), so those
  // frames are not part of the log: a durable store removes them from disk.
  virtual void Abort(Segment& segment) = 0;

  // `segment` came from `CreateSegment()` for an append that failed, and was
  // never published: the store deletes it, so that no segment outlives the
  // append that created it (see SEGMENT_FORMAT.md). Best effort; never fails
  // the caller. REQUIRES: the append's committed frames were `Abort()`ed
  // first, and its segments are discarded newest first.
  virtual void Discard(std::shared_ptr<Segment> segment) = 0;

  // The shard dropped `segment` (retention). Storage is reclaimed once the last
  // reader lets go of it.
  virtual void Remove(std::shared_ptr<Segment> segment) = 0;

  // Shard `shard_number` was closed by a reshard and will never create a
  // segment again: the store lets go of storage it keeps for the shard's
  // future segments (a durable store's recycled and spare files, which would
  // otherwise stay mapped for as long as the stream is open). Its existing
  // segments are unaffected; those dropped later are freed, not recycled.
  virtual void RetireShard(uint32_t /*shard_number*/) {}

  // The shard published records below `end_position` to its readers, and
  // readable records start at `trim_position`. A durable store tells
  // read-only opens that follow the writer (FOLLOW, SEGMENT_FORMAT.md).
  // Called under the shard's lock, so it must be cheap and take no lock of
  // the shard's.
  virtual void Published(uint32_t /*shard_number*/, uint64_t /*end_position*/,
                         uint64_t /*trim_position*/) {}

  // Indexes a segment that a lazy recovery left unindexed (see
  // Segment::indexed), opening it first if it is not (OpenSegment()): fills
  // in its `batches`, `end_offset` and arrival times from its frames, adding
  // what it checked and any damage to `report`. If the frames are damaged or
  // end before `end_position`, the segment is indexed up to there,
  // `end_position` moved back to there, and kDataLoss naming the file
  // returned: the shard's log ends there. Returns what OpenSegment() returns
  // when that fails. Called under the shard's lock. A store whose segments
  // are always indexed never gets the call.
  virtual absl::Status IndexSegment(Segment& /*segment*/,
                                    RecoveryReport* /*report*/) {
    return absl::OkStatus();
  }

  // Opens a segment that a lazy recovery left unopened (see
  // Segment::opened) and checks that its first frame holds the segment's
  // base position and ends by `end_position`, filling in
  // `first_arrival_millis`; if it does not, indexes it (IndexSegment()),
  // which reports the damage and returns kDataLoss naming the file. If the
  // storage is gone, returns kNotFound when retention dropped it (the
  // shard's readers drop it and every older segment from their view), or
  // kDataLoss naming it when nothing says it was dropped (the log ends at
  // its base: `end_position` is moved back there, and the loss added to
  // `report`); so does storage that cannot be opened. Called under the
  // shard's lock.
  virtual absl::Status OpenSegment(Segment& /*segment*/,
                                   RecoveryReport* /*report*/) {
    return absl::OkStatus();
  }
};

// Heap segments of `segment_bytes` each; up to `max_pooled` released buffers
// are kept for reuse, so a stream at its retention bound recycles memory that
// is already faulted in instead of faulting in fresh pages.
std::unique_ptr<SegmentStore> NewMemorySegmentStore(size_t segment_bytes,
                                                    size_t max_pooled);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STORE_SEGMENT_STORE_H_
