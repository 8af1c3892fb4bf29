// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include <algorithm>
#include <cstdint>
#include <new>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"

#include "store/segment_store.h"
#include "util/mutex.h"
#include <sys/mman.h>

namespace brook {
namespace internal {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t HugeRounded(size_t bytes) {
  return (bytes + kHugePage - 1) / kHugePage * kHugePage;
}

// Segment memory. A buffer of 2 MiB or more is anonymous memory aligned to
// 2 MiB and marked for transparent huge pages: a fresh segment's first
// touch then costs one fault per 2 MiB instead of one per 4 KiB (on some
// hosts each of those is tens of microseconds), and the TLB covers it.
// Throws std::bad_alloc as `new` does.
char* AllocateBuffer(size_t bytes) {
  if (bytes < kHugePage) return new char[bytes];
  const size_t size = HugeRounded(bytes);
  const size_t mapped = size + kHugePage;  // room to align the start
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) ::munmap(p, aligned - start);
  const size_t tail = mapped - (aligned - start) - size;
  if (tail > 0) ::munmap(reinterpret_cast<char*>(aligned + size), tail);
  char* const buffer = reinterpret_cast<char*>(aligned);
  (void)::madvise(buffer, size, MADV_HUGEPAGE);  // advice: may be refused
  return buffer;
}

void FreeBuffer(char* buffer, size_t bytes) {
  if (bytes < kHugePage) {
    delete[] buffer;
  } else {
    ::munmap(buffer, HugeRounded(bytes));
  }
}

// Buffers of the standard size, kept for reuse. Shared by the store and every
// buffer it handed out, so a buffer released after the store is gone is freed.
class BufferPool {
 public:
  BufferPool(size_t buffer_bytes, size_t max_pooled)
      : buffer_bytes_(buffer_bytes), max_pooled_(max_pooled) {}
  ~BufferPool() {
    for (char* b : free_) FreeBuffer(b, buffer_bytes_);
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
    return AllocateBuffer(buffer_bytes_);
  }

  void Give(char* buffer) {
    {
      MutexLock lock(&mu_);
      if (free_.size() < max_pooled_) {
        free_.push_back(buffer);
        return;
      }
    }
    FreeBuffer(buffer, buffer_bytes_);
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
        data_(pool_ ? pool_->Take() : AllocateBuffer(capacity)) {}
  ~HeapBacking() override {
    if (pool_) {
      pool_->Give(data_);
    } else {
      FreeBuffer(data_, capacity_);
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
