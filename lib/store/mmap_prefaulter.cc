// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// MmapSegmentStore's pre-faulter (mmap_segment_store.h): a thread that
// prepares each shard's next segment file (allocated, mapped, every page
// faulted in) while the current one fills, into the shard's pool of ready
// files, where dropped segment files also go for reuse; and that, under
// kNone, moves the bounds marker's head after a roll.

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "store/batch_format.h"
#include "store/mmap_store_internal.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

void MmapSegmentStore::Preparer::Run() {
  for (;;) {
    Job job;
    {
      MutexLock lock(&mu_);
      while (!Ready()) wake_.Wait(&mu_);
      if (stop_) return;
      job = requests_.front();
      requests_.erase(requests_.begin());
      busy_ = true;
    }
    if (job.head) {
      store_->MoveHeadDeferred(job.shard);
    } else {
      store_->PrepareSpare(job.shard, job.capacity);
    }
    MutexLock lock(&mu_);
    busy_ = false;
    idle_.SignalAll();
  }
}

void MmapSegmentStore::PrepareSpare(uint32_t shard_number, size_t capacity) {
  ShardState& state = State(shard_number);
  if (!state.pool->HasRoom() || state.pool->Has(capacity)) return;
  Env* const env = options_.env;
  const std::string path = absl::StrCat(
      ShardDir(shard_number), "/spare-",
      spares_made_.fetch_add(1, std::memory_order_relaxed), kRecycleSuffix);
  absl::StatusOr<std::unique_ptr<File>> file =
      env->OpenFile(path, FileOpenMode::kCreate);
  if (!file.ok()) return;  // the appender creates its segment itself
  absl::Status s = (*file)->Allocate(capacity);
  absl::StatusOr<std::unique_ptr<MappedRegion>> region =
      s.ok() ? (*file)->Map(capacity, /*writable=*/true)
             : absl::StatusOr<std::unique_ptr<MappedRegion>>(s);
  file->reset();
  if (!region.ok()) {
    env->RemoveFile(path).IgnoreError();  // as above; recovery removes it too
    return;
  }
  // In 2 MiB steps: a populate holds the process's mmap lock throughout,
  // and an appender mapping its own new segment meanwhile would wait for the
  // whole file, and its faults behind that. Not under a syncing durability:
  // a page faulted in for writing is dirty whole, and the syncs would write
  // it all out (see FrameTarget()).
  constexpr size_t kStep = size_t{2} << 20;
  const size_t populate =
      options_.durability == Durability::kNone ? capacity : 0;
  for (size_t off = 0; off < populate; off += kStep) {
    (*region)->Prefault(off, std::min(kStep, capacity - off));
  }
  state.pool->Give({path, *std::move(region)});
}

}  // namespace internal
}  // namespace brook
