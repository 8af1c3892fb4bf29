// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "stream/throughput_limits.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace brook {
namespace internal {

TokenBucket MakeBucket(int64_t rate, absl::Duration burst, int64_t now_millis) {
  // rate <= 1 GiB/s and burst <= 1 h (validated): no overflow.
  const int64_t capacity = rate * absl::ToInt64Milliseconds(burst) / 1000;
  return TokenBucket(rate, std::max<int64_t>(1, capacity), now_millis);
}

ShardThrottle::ShardThrottle(const ThroughputOptions& o,
                             const std::string& stream_name,
                             const std::string& shard_id, int64_t now_millis)
    : prefix_(absl::StrCat("stream ", stream_name,
                           ": provisioned throughput exceeded for shard ",
                           shard_id, ": ")),
      write_bytes_(MakeBucket(o.write_bytes_per_second, o.burst, now_millis)),
      write_records_(
          MakeBucket(o.write_records_per_second, o.burst, now_millis)),
      read_calls_(MakeBucket(o.read_calls_per_second, o.burst, now_millis)),
      read_bytes_(MakeBucket(o.read_bytes_per_second, o.burst, now_millis)) {}

absl::Status ShardThrottle::Throttled(absl::string_view limit) {
  throttled_calls_.fetch_add(1, std::memory_order_relaxed);
  return absl::ResourceExhaustedError(absl::StrCat(prefix_, limit));
}

namespace {

// True if `bucket` admits `cost` more tokens after `already` taken by the
// same call: the first item may exceed a whole (full) bucket, later ones
// must fit in what is left.
bool Fits(const TokenBucket& bucket, int64_t already, int64_t cost) {
  return already == 0 ? bucket.Admits(cost) : bucket.tokens() >= already + cost;
}

}  // namespace

size_t ShardThrottle::AdmitWrites(absl::Span<const RoutedRecord> records,
                                  bool all_or_nothing, int64_t now_millis,
                                  absl::Status* throttled) {
  MutexLock lock(&mu_);
  write_bytes_.Refill(now_millis);
  write_records_.Refill(now_millis);
  int64_t bytes = 0;
  size_t n = 0;
  bool bytes_limited = false;
  if (all_or_nothing) {
    // The batch as one item: it may exceed a whole (full) bucket.
    for (const RoutedRecord& r : records) bytes += RecordCost(r);
    const int64_t count = static_cast<int64_t>(records.size());
    if (write_records_.Admits(count)) {
      bytes_limited = !write_bytes_.Admits(bytes);
      if (!bytes_limited) n = records.size();
    }
  }
  for (; !all_or_nothing && n < records.size(); ++n) {
    if (!Fits(write_records_, static_cast<int64_t>(n), 1)) break;
    const int64_t cost = RecordCost(records[n]);
    if (!Fits(write_bytes_, bytes, cost)) {
      bytes_limited = true;
      break;
    }
    bytes += cost;
  }
  if (n < records.size()) {
    *throttled = Throttled(
        bytes_limited
            ? absl::StrCat("write limit of ", write_bytes_.rate(), " bytes/s")
            : absl::StrCat("write limit of ", write_records_.rate(),
                           " records/s"));
    if (all_or_nothing) return 0;
  }
  write_bytes_.Take(bytes);
  write_records_.Take(static_cast<int64_t>(n));
  return n;
}

void ShardThrottle::RefundWrites(absl::Span<const RoutedRecord> records) {
  int64_t bytes = 0;
  for (const RoutedRecord& r : records) bytes += RecordCost(r);
  MutexLock lock(&mu_);
  write_bytes_.Give(bytes);
  write_records_.Give(static_cast<int64_t>(records.size()));
}

absl::Status ShardThrottle::AdmitRead(int64_t now_millis) {
  MutexLock lock(&mu_);
  read_calls_.Refill(now_millis);
  read_bytes_.Refill(now_millis);
  if (!read_calls_.Admits(1)) {
    return Throttled(
        absl::StrCat("GetRecords limit of ", read_calls_.rate(), " calls/s"));
  }
  if (!read_bytes_.Positive()) {
    return Throttled(
        absl::StrCat("GetRecords limit of ", read_bytes_.rate(), " bytes/s"));
  }
  read_calls_.Take(1);
  return absl::OkStatus();
}

void ShardThrottle::ChargeRead(int64_t bytes) {
  MutexLock lock(&mu_);
  read_bytes_.Take(bytes);
}

SplitSampler::SplitSampler(int64_t split_bytes_per_second,
                           absl::Duration window, uint64_t seed)
    : threshold_(split_bytes_per_second),
      window_millis_(absl::ToInt64Milliseconds(window)),
      rng_(seed | 1) {
  sample_.reserve(kSampleSize);
}

uint64_t SplitSampler::Next() {
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return rng_ * 0x2545F4914F6CDD1DULL;
}

SplitDecision SplitSampler::Add(absl::Span<const RoutedRecord> records,
                                int64_t now_millis, const HashKeyRange& range) {
  SplitDecision decision;
  if (!started_) {
    started_ = true;
    window_start_ = now_millis;
  } else if (now_millis - window_start_ >= window_millis_) {
    decision = Decide(now_millis, range);
    window_start_ = now_millis;
    bytes_ = 0;
    seen_ = 0;
    sample_.clear();
  }
  for (const RoutedRecord& r : records) {
    const int64_t cost = RecordCost(r);
    bytes_ += cost;
    if (sample_.size() < kSampleSize) {
      sample_.push_back({r.hash_key, cost});
    } else {
      const uint64_t j = Next() % (seen_ + 1);
      if (j < kSampleSize) sample_[j] = {r.hash_key, cost};
    }
    ++seen_;
  }
  return decision;
}

SplitDecision SplitSampler::Decide(int64_t now_millis,
                                   const HashKeyRange& range) const {
  SplitDecision d;
  const int64_t elapsed = std::max<int64_t>(1, now_millis - window_start_);
  // bytes_ * 1000 cannot overflow for any realistic window; saturate anyway.
  d.bytes_per_second = bytes_ > std::numeric_limits<int64_t>::max() / 1000
                           ? std::numeric_limits<int64_t>::max() / elapsed
                           : bytes_ * 1000 / elapsed;
  if (d.bytes_per_second <= threshold_ || sample_.empty()) return d;

  // The byte-weighted median of the sampled keys.
  std::vector<Sample> sorted = sample_;
  std::sort(sorted.begin(), sorted.end(),
            [](const Sample& a, const Sample& b) { return a.key < b.key; });
  int64_t total = 0;
  for (const Sample& s : sorted) total += std::max<int64_t>(1, s.bytes);
  int64_t cumulative = 0;
  HashKey median = sorted.back().key;
  for (const Sample& s : sorted) {
    cumulative += std::max<int64_t>(1, s.bytes);
    if (2 * cumulative >= total) {
      median = s.key;
      break;
    }
  }
  // Keys equal to the median go right of a split at it, left of one just
  // above it: take whichever divides the sample better, among the splits
  // Kinesis allows (start + 1 < key < end).
  const auto left_of = [&sorted](HashKey key) {
    int64_t left = 0;
    for (const Sample& s : sorted) {
      if (s.key < key) left += std::max<int64_t>(1, s.bytes);
    }
    return left;
  };
  int64_t best_larger = total + 1;
  HashKey best_key = 0;
  const HashKey candidates[] = {
      median, median < range.ending_hash_key ? median + 1 : median};
  for (const HashKey k : candidates) {
    if (!(range.starting_hash_key + 1 < k && k < range.ending_hash_key)) {
      continue;
    }
    const int64_t left = left_of(k);
    const int64_t larger = std::max(left, total - left);
    if (larger < best_larger) {
      best_larger = larger;
      best_key = k;
    }
  }
  const int64_t share = std::min<int64_t>(100, best_larger * 100 / total);
  if (best_larger <= total && best_larger * 100 <= kHotSharePercent * total) {
    d.kind = SplitDecision::Kind::kSplit;
    d.key = best_key;
  } else {
    d.kind = SplitDecision::Kind::kHotKey;
    d.key = median;
    d.share_percent = static_cast<int>(share);
  }
  return d;
}

}  // namespace internal
}  // namespace brook
