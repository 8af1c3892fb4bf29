// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A segment: a contiguous run of record batch frames of one shard (layout in
// batch_format.h), in storage a `SegmentStore` provides.
//
// Thread safety: the bytes below `end_offset` are immutable once published;
// every other field is guarded by the owning shard's mutex. Only the shard's
// single appender writes bytes, and only at or beyond `end_offset`.
// Lifetime: shared. The shard holds a segment until retention drops it; a
// reader holds it while it still uses its bytes. The storage is released when
// the last holder lets go.

#ifndef BROOK_LIB_STORE_SEGMENT_H_
#define BROOK_LIB_STORE_SEGMENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace brook {
namespace internal {

// Bytes a segment lives in: a heap buffer, a mapped file.
class SegmentBacking {
 public:
  virtual ~SegmentBacking() = default;
  virtual char* data() = 0;
  virtual size_t capacity() const = 0;
};

// One entry per batch frame, so a reader seeks by position or arrival time
// without scanning. Derived data: rebuildable from the frames.
struct BatchIndexEntry {
  uint64_t first_position = 0;
  uint32_t offset = 0;  // of the frame within the segment
  uint32_t record_count = 0;
  int64_t arrival_millis = 0;
};

class Segment : public std::enable_shared_from_this<Segment> {
 public:
  Segment(uint64_t base_position, std::unique_ptr<SegmentBacking> backing)
      : end_position(base_position),
        base_position_(base_position),
        backing_(std::move(backing)) {}

  uint64_t base_position() const { return base_position_; }
  char* data() { return backing_->data(); }
  const char* data() const { return backing_->data(); }
  size_t capacity() const { return backing_->capacity(); }
  // The store that made the segment keeps its own state here.
  SegmentBacking* backing() const { return backing_.get(); }

  // Guarded by the owning shard's mutex.
  size_t end_offset = 0;  // bytes of complete frames
  uint64_t end_position;  // one past the last record's position
  int64_t first_arrival_millis = 0;
  int64_t last_arrival_millis = 0;
  std::vector<BatchIndexEntry> batches;
  // False for a segment a read-only open left unindexed (lazy recovery,
  // SegmentStore::IndexSegment()): `batches` is empty, `end_offset` is 0
  // (the stream counts its bytes once it is indexed), `end_position` is the
  // next segment's base (from the file names) and `last_arrival_millis`
  // INT64_MAX (an upper bound). Readers index it before they look at its
  // frames.
  bool indexed = true;
  // False for an unindexed segment whose storage is not even opened yet
  // (SegmentStore::OpenSegment()): `data()` is null, `capacity()` 0 and
  // `first_arrival_millis` unknown (0). Once opened, `first_arrival_millis`
  // is exact (its first frame's header).
  bool opened = true;

 private:
  const uint64_t base_position_;
  std::unique_ptr<SegmentBacking> backing_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STORE_SEGMENT_H_
