// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// MmapSegmentStore (mmap_segment_store.h): following. The writer publishes
// its shards' ends in FOLLOW (follow_file.h); a follower maps FOLLOW and the
// segment files the writer makes after it opened.

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "store/batch_format.h"
#include "store/mmap_segment_store.h"
#include "store/mmap_store_internal.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

absl::Status MmapSegmentStore::StartPublishing(uint32_t shard_count) {
  if (options_.read_only) return absl::OkStatus();
  BROOK_ASSIGN_OR_RETURN(
      std::unique_ptr<FollowFile> file,
      FollowFile::OpenForWriter(options_.env, options_.dir, shard_count));
  FollowFile* f = file.get();
  {
    MutexLock lock(&follow_mu_);
    follow_owner_ = std::move(file);
  }
  for (ShardState* state : States()) {
    MutexLock lock(&state->mu);
    f->PublishDurable(state->number, state->synced_position);
  }
  follow_.store(f, std::memory_order_release);
  return absl::OkStatus();
}

void MmapSegmentStore::Published(uint32_t shard_number, uint64_t end_position,
                                 uint64_t trim_position) {
  if (options_.read_only) return;
  if (FollowFile* f = follow_.load(std::memory_order_acquire)) {
    f->Publish(shard_number, end_position, trim_position);
  }
}

void MmapSegmentStore::StreamChanged(uint32_t shard_count) {
  if (options_.read_only) return;
  if (FollowFile* f = follow_.load(std::memory_order_acquire)) {
    f->Reserve(shard_count).IgnoreError();  // Publish() grows it later
    f->BumpChange();
  }
}

FollowFile* MmapSegmentStore::FollowForReading() {
  if (FollowFile* f = follow_.load(std::memory_order_acquire)) return f;
  MutexLock lock(&follow_mu_);
  if (follow_owner_ == nullptr) {
    absl::StatusOr<std::unique_ptr<FollowFile>> file =
        FollowFile::OpenForReader(options_.env, options_.dir);
    if (!file.ok()) return nullptr;  // none yet, or not of this layout
    follow_owner_ = *std::move(file);
    follow_.store(follow_owner_.get(), std::memory_order_release);
  }
  return follow_owner_.get();
}

absl::StatusOr<std::shared_ptr<Segment>> MmapSegmentStore::MapForFollowing(
    uint32_t shard_number, uint64_t base_position) {
  const std::string path =
      absl::StrCat(ShardDir(shard_number), "/", SegmentName(base_position));
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         options_.env->OpenFile(path, FileOpenMode::kReadOnly));
  BROOK_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
  if (size < kBatchHeaderBytes) {
    return absl::UnavailableError(
        absl::StrCat(path, ": ", size, " bytes, no frame yet"));
  }
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<MappedRegion> region,
                         file->Map(static_cast<size_t>(size), false));
  auto backing =
      std::make_unique<MmapBacking>(path, shard_number, std::move(region));
  return std::make_shared<Segment>(base_position, std::move(backing));
}

absl::StatusOr<std::vector<uint64_t>> MmapSegmentStore::ListSegmentBases(
    uint32_t shard_number) {
  BROOK_ASSIGN_OR_RETURN(std::vector<std::string> names,
                         options_.env->ListDir(ShardDir(shard_number)));
  std::vector<uint64_t> bases;
  for (const std::string& name : names) {
    uint64_t base;
    if (ParseSegmentName(name, &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

}  // namespace internal
}  // namespace brook
