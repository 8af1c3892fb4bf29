// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Lazy recovery of a read-only stream (see `OpenMode::kReadOnly`): a shard's
// segments are recovered at its first read, and only the recovery report and
// (for a directory not closed cleanly) DescribeStream() recover every shard.
// A kReadOnly recovery walks only the shard's last two segments; the others
// are indexed when a reader reaches them (Segment::indexed), so a read at
// the tail of a long shard touches O(1) segments. The recovery report and
// DescribeStream() index them all first, so what they say is unchanged.

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "stream/stream_impl.h"

namespace brook {
namespace internal {

StreamImpl::LazyShard* StreamImpl::Lazy(uint32_t number) const {
  MutexLock lock(&topology_mu_);
  return number < lazy_.size() ? lazy_[number].get() : nullptr;
}

absl::Status StreamImpl::EnsureRecovered(uint32_t number) const {
  LazyShard* const entry = Lazy(number);
  if (entry == nullptr) return absl::OkStatus();
  LazyShard& lazy = *entry;
  if (lazy.recovered.load(std::memory_order_acquire)) return absl::OkStatus();
  ShardImpl* shard;
  {
    MutexLock lock(&topology_mu_);
    shard = shards_[number].get();
  }
  MutexLock lock(&lazy.mu);
  if (lazy.recovered.load(std::memory_order_relaxed)) return absl::OkStatus();
  if (!lazy.error.ok()) return lazy.error;
  bool verify_crc;
  {
    MutexLock report_lock(&report_mu_);
    verify_crc = !report_.clean_shutdown || verify_all_;
  }
  RecoveryReport found;
  // kReadOnly indexes segments as readers reach them; kVerify walks all.
  absl::StatusOr<RecoveredShard> recovered = durable_->RecoverShard(
      number, lazy.expect, verify_crc, &found, /*lazy_index=*/!verify_all_);
  const std::string shard_dir = durable_->ShardDir(number);
  if (!recovered.ok()) {
    lazy.error = recovered.status();
    found = RecoveryReport();  // nothing of the shard counts as checked
    RecoveryReport::Problem p;
    p.file = shard_dir;
    p.data_loss = true;
    p.reason = absl::StrCat("cannot be read: ", lazy.error.message());
    found.problems = {std::move(p)};
  }
  bool damaged = false;
  for (const RecoveryReport::Problem& p : found.problems) {
    damaged = damaged || p.data_loss;
  }
  MergeFound(shard_dir, std::move(found));
  if (!recovered.ok()) return lazy.error;
  shard->Recover(std::move(recovered->segments), recovered->end_position);
  if (following_) shard->FollowCapRecovered(damaged);
  lazy.recovered.store(true, std::memory_order_release);
  return absl::OkStatus();
}

void StreamImpl::MergeFound(const std::string& shard_dir,
                            RecoveryReport found) const {
  {
    MutexLock report_lock(&report_mu_);
    report_.scanned_segments += found.scanned_segments;
    report_.scanned_batches += found.scanned_batches;
    report_.scanned_records += found.scanned_records;
    report_.scanned_bytes += found.scanned_bytes;
    report_.checksummed_bytes += found.checksummed_bytes;
    // In shard order, as an open that recovers every shard lists them: every
    // problem's file is in its shard's directory, and shard directories have
    // names of one length that sort by shard number.
    std::vector<RecoveryReport::Problem>& problems = report_.problems;
    auto at = std::find_if(problems.begin(), problems.end(),
                           [&](const RecoveryReport::Problem& p) {
                             return p.file.compare(0, shard_dir.size(),
                                                   shard_dir) > 0;
                           });
    problems.insert(at, std::make_move_iterator(found.problems.begin()),
                    std::make_move_iterator(found.problems.end()));
  }
}

void StreamImpl::EnsureIndexed(uint32_t number) const {
  if (!EnsureRecovered(number).ok()) return;  // listed in the report
  ShardImpl* shard;
  {
    MutexLock lock(&topology_mu_);
    shard = shards_[number].get();
  }
  RecoveryReport found;
  shard->IndexAll(&found);
  MergeFound(durable_->ShardDir(number), std::move(found));
}

const RecoveryReport& StreamImpl::recovery_report() const {
  for (uint32_t i = 0; Lazy(i) != nullptr; ++i) {
    // A shard that cannot be read is listed in the report; so is damage in
    // a segment no reader had reached yet.
    EnsureIndexed(i);
  }
  MutexLock lock(&report_mu_);
  return report_;  // complete: nothing writes it any more
}

int64_t StreamImpl::LazyStoredBytes() const {
  const std::vector<ShardImpl*> shards = SnapshotShards();
  int64_t bytes = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    LazyShard* const entry = Lazy(static_cast<uint32_t>(i));
    if (entry == nullptr) break;
    LazyShard& lazy = *entry;
    if (lazy.recorded_bytes < 0 ||
        lazy.recovered.load(std::memory_order_acquire)) {
      // Nothing recorded (not closed cleanly): only the frames tell; a shard
      // a reader recovered counts its unindexed segments' file sizes until
      // they are indexed.
      EnsureIndexed(static_cast<uint32_t>(i));  // a failure counts 0
    }
    MutexLock lock(&lazy.mu);
    const bool pending =
        !lazy.recovered.load(std::memory_order_relaxed) && lazy.error.ok();
    bytes += pending ? lazy.recorded_bytes : shards[i]->StoredBytes();
  }
  return bytes;
}

}  // namespace internal
}  // namespace brook
