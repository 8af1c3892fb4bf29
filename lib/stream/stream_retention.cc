// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// StreamImpl's retention by age across every shard (the retention sweep) and
// the calls that change retention at run time.

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

#include "brook/internal/time_math.h"

#include "stream/stream_impl.h"
#include "stream/stream_meta.h"
#include "util/duration.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

// The retention sweep runs at most once per retention period, and at least
// once a second while the stream is used.
constexpr int64_t kMaxSweepIntervalMillis = 1000;

}  // namespace

int64_t StreamImpl::RetentionCutoff(int64_t now_millis) const {
  // The period first: an increase publishes expired_before_millis_ before it
  // (both release), so a reader of the new period sees the new floor.
  const int64_t period = retention_period_millis();
  const int64_t floor = expired_before_millis_.load(std::memory_order_acquire);
  return std::max(SaturatingSub(now_millis, period), floor);
}

void StreamImpl::MaybeTrimExpired(int64_t now_millis) const {
  const int64_t interval =
      std::min(retention_period_millis(), kMaxSweepIntervalMillis);
  int64_t due = next_sweep_millis_.load(std::memory_order_relaxed);
  // Not due yet, unless the clock went back by more than an interval.
  if (now_millis < due && now_millis >= SaturatingSub(due, interval)) return;
  // One caller sweeps; the others go on.
  if (!next_sweep_millis_.compare_exchange_strong(
          due, SaturatingAdd(now_millis, interval),
          std::memory_order_relaxed)) {
    return;
  }
  TrimExpiredAt(now_millis, /*wait=*/false);
}

int64_t StreamImpl::TrimExpiredAt(int64_t now_millis, bool wait) const {
  const int64_t cutoff = RetentionCutoff(now_millis);
  int64_t records = 0;
  for (ShardImpl* shard : SnapshotShards()) {
    records += wait ? shard->TrimBefore(cutoff) : shard->TryTrimBefore(cutoff);
  }
  return records;
}

absl::Status StreamImpl::IncreaseStreamRetentionPeriod(
    absl::Duration retention_period) {
  return ChangeRetentionPeriod("IncreaseStreamRetentionPeriod",
                               retention_period, /*increase=*/true);
}

absl::Status StreamImpl::DecreaseStreamRetentionPeriod(
    absl::Duration retention_period) {
  return ChangeRetentionPeriod("DecreaseStreamRetentionPeriod",
                               retention_period, /*increase=*/false);
}

absl::Status StreamImpl::ChangeRetentionPeriod(absl::string_view operation,
                                               absl::Duration retention_period,
                                               bool increase) {
  if (read_only_) {
    return absl::FailedPreconditionError(absl::StrCat(
        operation, ": stream directory ", dir_, " is open read-only"));
  }
  absl::StatusOr<int64_t> millis =
      WholeMillis(absl::StrCat(operation, ": stream ", options_.name, ": "),
                  "retention period", retention_period, /*min_millis=*/1);
  if (!millis.ok()) return millis.status();
  const int64_t retention_period_millis = *millis;
  {
    MutexLock lock(&close_mu_);
    if (closed_) {
      return absl::FailedPreconditionError(
          absl::StrCat(operation, ": stream ", options_.name, " is closed"));
    }
    const int64_t current = this->retention_period_millis();
    if (increase ? retention_period_millis < current
                 : retention_period_millis > current) {
      return absl::InvalidArgumentError(absl::StrCat(
          operation, ": stream ", options_.name,
          ": requested retention period (",
          absl::FormatDuration(retention_period), ") can not be ",
          increase ? "shorter" : "longer",
          " than the existing retention period (",
          absl::FormatDuration(absl::Milliseconds(current)), "); use ",
          increase ? "DecreaseStreamRetentionPeriod"
                   : "IncreaseStreamRetentionPeriod"));
    }
    // What has expired stays expired when the period grows.
    int64_t floor = expired_before_millis_.load(std::memory_order_acquire);
    if (retention_period_millis > current) {
      floor = RetentionCutoff(env_->NowMillis());
    }
    BROOK_RETURN_IF_ERROR(PersistOptionsLocked([&](proto::StreamMeta* meta) {
      meta->mutable_options()->set_retention_period_millis(
          retention_period_millis);
      if (floor != kTimeMin) meta->set_expired_before_millis(floor);
    }));
    expired_before_millis_.store(floor, std::memory_order_release);
    retention_period_millis_.store(retention_period_millis,
                                   std::memory_order_release);
  }
  // Free at once what a shorter period expired.
  if (!increase) TrimExpiredAt(env_->NowMillis(), /*wait=*/true);
  return absl::OkStatus();
}

absl::Status StreamImpl::UpdateRetentionBytes(int64_t retention_bytes) {
  constexpr absl::string_view kOperation = "UpdateRetentionBytes";
  if (read_only_) {
    return absl::FailedPreconditionError(absl::StrCat(
        kOperation, ": stream directory ", dir_, " is open read-only"));
  }
  if (retention_bytes < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        kOperation, ": stream ", options_.name,
        ": retention_bytes must not be negative, got ", retention_bytes));
  }
  if (retention_bytes > 0 && retention_bytes < 2 * options_.segment_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        kOperation, ": stream ", options_.name, ": retention_bytes (",
        retention_bytes, ") must be at least twice segment_bytes (",
        options_.segment_bytes, ")"));
  }
  {
    MutexLock lock(&close_mu_);
    if (closed_) {
      return absl::FailedPreconditionError(
          absl::StrCat(kOperation, ": stream ", options_.name, " is closed"));
    }
    BROOK_RETURN_IF_ERROR(PersistOptionsLocked([&](proto::StreamMeta* meta) {
      meta->mutable_options()->set_retention_bytes(retention_bytes);
    }));
    retention_bytes_.store(retention_bytes, std::memory_order_release);
  }
  // Under kDropOldest, drop down to the new bound before returning.
  MutexLock drop(&drop_mu_);
  DropToByteBoundLocked();
  return absl::OkStatus();
}

absl::Status StreamImpl::PersistOptionsLocked(
    const std::function<void(proto::StreamMeta*)>& change) {
  proto::StreamMeta next = meta_;
  change(&next);
  if (durable_ != nullptr) {
    BROOK_RETURN_IF_ERROR(WriteStreamMeta(env_, dir_, next));
    // Followers re-read STREAM (FOLLOW's change counter).
    durable_->StreamChanged(static_cast<uint32_t>(next.shards_size()));
  }
  meta_ = std::move(next);
  return absl::OkStatus();
}

absl::Status StreamImpl::Reserve(int64_t bytes) {
  const int64_t bound = retention_bytes();
  if (bound == 0 || options_.on_full == RetentionFullPolicy::kDropOldest) {
    stored_bytes_.fetch_add(bytes, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  int64_t stored = stored_bytes_.load(std::memory_order_relaxed);
  do {
    if (stored + bytes > bound) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "stream ", options_.name, " is full: ", stored, " bytes stored, ",
          bytes, " more would pass retention_bytes ", bound));
    }
  } while (!stored_bytes_.compare_exchange_weak(stored, stored + bytes,
                                                std::memory_order_relaxed));
  return absl::OkStatus();
}

void StreamImpl::EnforceByteBound() {
  const int64_t bound = retention_bytes();
  if (bound == 0 || options_.on_full != RetentionFullPolicy::kDropOldest ||
      stored_bytes_.load(std::memory_order_relaxed) <= bound) {
    return;
  }
  // Whoever holds drop_mu_ keeps dropping until the stream is under the bound.
  if (!drop_mu_.TryLock()) return;
  DropToByteBoundLocked();
  drop_mu_.Unlock();
}

void StreamImpl::DropToByteBoundLocked() {
  if (options_.on_full != RetentionFullPolicy::kDropOldest) return;
  for (;;) {
    // Read each time: UpdateRetentionBytes() may lower it meanwhile.
    const int64_t bound = retention_bytes();
    if (bound == 0 || stored_bytes_.load(std::memory_order_relaxed) <= bound) {
      break;
    }
    // Oldest first across every shard, open and closed.
    ShardImpl* oldest = nullptr;
    int64_t oldest_arrival = std::numeric_limits<int64_t>::max();
    for (ShardImpl* shard : SnapshotShards()) {
      int64_t arrival;
      if (shard->OldestDroppable(&arrival) && arrival < oldest_arrival) {
        oldest = shard;
        oldest_arrival = arrival;
      }
    }
    if (oldest == nullptr) break;  // only open segments left
    oldest->DropOldest();
  }
}

}  // namespace internal
}  // namespace brook
