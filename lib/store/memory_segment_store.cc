// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include <algorithm>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"

#include "store/segment_store.h"
#include "util/mutex.h"

namespace brook {
namespace internal {
namespace {

// Buffers of the standard size, kept for reuse. Shared by the store and every
// buffer it handed out, so a buffer released after the store is gone is freed.
class BufferPool {
 public:
  BufferPool(size_t buffer_bytes, size_t max_pooled)
      : buffer_bytes_(buffer_bytes), max_pooled_(max_pooled) {}
  ~BufferPool() {
    for (char* b : free_) delete[] b;
  }

  size_t buffer_bytes() const { return buffer_bytes_; }

  char* Take() {
    {
      MutexLock lock(&mu_);
      if (!free_.empty()) {
        char* b = free_.back();
        free_.pop_back();
        return b;
      }
    }
    return new char[buffer_bytes_];
  }

  void Give(char* buffer) {
    {
      MutexLock lock(&mu_);
      if (free_.size() < max_pooled_) {
        free_.push_back(buffer);
        return;
      }
    }
    delete[] buffer;
  }

 private:
  const size_t buffer_bytes_;
  const size_t max_pooled_;
  Mutex mu_;
  std::vector<char*> free_ ABSL_GUARDED_BY(mu_);
};

class HeapBacking final : public SegmentBacking {
 public:
  // A pooled buffer when `pool` is set, else one of its own of `capacity`.
  HeapBacking(std::shared_ptr<BufferPool> pool, size_t capacity)
      : pool_(std::move(pool)),
        capacity_(capacity),
        data_(pool_ ? pool_->Take() : new char[capacity]) {}
  ~HeapBacking() override {
    if (pool_) {
      pool_->Give(data_);
    } else {
      delete[] data_;
    }
  }
  char* data() override { return data_; }
  size_t capacity() const override { return capacity_; }

 private:
  std::shared_ptr<BufferPool> pool_;
  size_t capacity_;
  char* data_;
};

class MemorySegmentStore final : public SegmentStore {
 public:
  MemorySegmentStore(size_t segment_bytes, size_t max_pooled)
      : pool_(std::make_shared<BufferPool>(segment_bytes, max_pooled)) {}

  absl::StatusOr<std::shared_ptr<Segment>> CreateSegment(
      uint32_t /*shard_number*/, uint64_t base_position,
      size_t min_capacity) override {
    std::unique_ptr<SegmentBacking> backing;
    if (min_capacity <= pool_->buffer_bytes()) {
      backing = std::make_unique<HeapBacking>(pool_, pool_->buffer_bytes());
    } else {
      backing = std::make_unique<HeapBacking>(nullptr, min_capacity);
    }
    auto segment = std::make_shared<Segment>(base_position, std::move(backing));
    // Zero the first frame length so an empty segment reads as empty.
    std::fill_n(segment->data(), std::min<size_t>(8, segment->capacity()), 0);
    return segment;
  }

  absl::Status Commit(Segment& /*segment*/, size_t /*end_offset*/) override {
    return absl::OkStatus();
  }

  void Abort(Segment& /*segment*/) override {}

  void Discard(std::shared_ptr<Segment> /*segment*/) override {
    // As Remove(): nobody else holds it, so the buffer goes back now.
  }

  void Remove(std::shared_ptr<Segment> /*segment*/) override {
    // The buffer returns to the pool when the last reader releases it.
  }

 private:
  std::shared_ptr<BufferPool> pool_;
};

}  // namespace

std::unique_ptr<SegmentStore> NewMemorySegmentStore(size_t segment_bytes,
                                                    size_t max_pooled) {
  return std::make_unique<MemorySegmentStore>(segment_bytes, max_pooled);
}

}  // namespace internal
}  // namespace brook
