// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer's sending thread, KPL aggregation: fills a shard's batch
// with aggregates of the user records at the front of its queue, each
// finished into a kept buffer, their MD5 trailers computed together
// (SIMD lanes). The rest of the sending thread is in sender.cc.

#include <string>

#include "absl/status/statusor.h"

#include "brook/aggregation.h"
#include "brook/partitioner.h"

#include "kpl/aggregate_internal.h"
#include "produce/async_producer_impl.h"

namespace brook {
namespace {

// Records ahead whose bytes FillAggregatedBatch() asks the cache for.
constexpr size_t kPrefetchAhead = 8;

}  // namespace

using internal::BatchBytes;

void AsyncProducer::Impl::CloseGroup(size_t begin, int64_t* bytes) {
  const int64_t count = builder_.record_count();
  if (count == 0) return;
  if (count == 1) {  // alone: stored as it is, without the aggregate's bytes
    builder_.Clear();
    groups_.push_back({begin, 1, -1});
    return;
  }
  // Into a kept aggregate (no allocation once they have grown); its MD5
  // trailer is written by FillAggregatedBatch(), with the other aggregates of
  // the batch, in SIMD lanes.
  if (aggregate_count_ == aggregates_.size()) aggregates_.emplace_back();
  AggregateBuilder::Aggregate& a = aggregates_[aggregate_count_];
  internal::AggregateBuilderAccess::FinishWithoutDigest(builder_, &a)
      .IgnoreError();  // fails only when empty
  *bytes += static_cast<int64_t>(a.partition_key.size() + a.data.size());
  groups_.push_back({begin, static_cast<size_t>(count),
                     static_cast<int>(aggregate_count_++)});
}

size_t AsyncProducer::Impl::FillAggregatedBatch(internal::ShardQueue* q) {
  const size_t max_records = static_cast<size_t>(options_.max_batch_records);
  groups_.clear();
  aggregate_count_ = 0;
  builder_.Clear();
  int64_t bytes = 0;  // of the closed groups
  size_t begin = 0;   // the first user record in `builder_`
  size_t i = 0;
  const size_t n = q->records.size();
  for (; i < n; ++i) {
    // The bytes of a record a few ahead: put on another core, they are a
    // cache miss here (the first touch on this thread); asked for now, they
    // arrive while the records before them are encoded.
    if (i + kPrefetchAhead < n) {
      const RoutedRecord& ahead = q->records.routed(i + kPrefetchAhead);
      __builtin_prefetch(ahead.partition_key.data());
      __builtin_prefetch(ahead.data.data() + ahead.data.size() - 1);
    }
    const RoutedRecord& r = q->records.routed(i);
    // The batch's byte limit, counted before the record goes in (an
    // aggregate cannot take a record back); the first record always goes.
    if (i > 0 && bytes + builder_.size_bytes() + BatchBytes(r) >
                     options_.max_batch_bytes) {
      break;
    }
    if (builder_.record_count() >= options_.aggregation_max_count) {
      CloseGroup(begin, &bytes);
      begin = i;
    }
    if (groups_.size() >= max_records) break;
    // Checked by Put(), and hashed: added without checks or hashing again.
    absl::StatusOr<bool> added =
        internal::AggregateBuilderAccess::AddRouted(builder_, r);
    if (added.ok() && !*added) {  // full: close it, start the next
      CloseGroup(begin, &bytes);
      begin = i;
      if (groups_.size() >= max_records) break;
      added = internal::AggregateBuilderAccess::AddRouted(builder_, r);
    }
    if (!added.ok() || !*added) {
      // Too large for an empty aggregate: stored alone, as it is.
      CloseGroup(begin, &bytes);
      if (groups_.size() >= max_records) break;
      groups_.push_back({i, 1, -1});
      bytes += BatchBytes(r);
      begin = i + 1;
    }
  }
  if (groups_.size() < max_records) {
    CloseGroup(begin, &bytes);
  } else if (!builder_.empty()) {
    i = begin;  // the records in the builder wait for the next batch
    builder_.Clear();
  }
  // The MD5 trailers of the batch's aggregates, several at once.
  internal::SignAggregates(aggregates_.data(), aggregate_count_);
  // Views into `aggregates_` are taken once it no longer grows.
  batch_.clear();
  for (const Group& g : groups_) {
    for (size_t k = 0; k < g.count; ++k)
      ++q->records.meta(g.begin + k).attempts;
    const RoutedRecord& r = q->records.routed(g.begin);
    if (g.aggregate < 0) {
      batch_.push_back(r);
    } else {
      // The aggregate goes by its first user record's hash key, which is in
      // this shard's range as every other one's is.
      const AggregateBuilder::Aggregate& a = aggregates_[g.aggregate];
      batch_.push_back(RoutedRecord{a.partition_key, a.data, r.hash_key, true});
    }
  }
  batch_span_ = batch_;
  return i;
}

}  // namespace brook
