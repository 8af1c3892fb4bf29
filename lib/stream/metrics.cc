// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Snapshots of a stream's metrics (include/brook/metrics.h): reading the
// shards' counters, what they store and their hot-key summaries, and adding
// them up per stream. The renderings are in metrics_render.cc.

#include "brook/metrics.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "brook/async_producer.h"
#include "brook/stream.h"

#include "stream/shard_impl.h"
#include "stream/shard_metrics.h"
#include "stream/stream_impl.h"
#include "util/space_saving.h"

namespace brook {
namespace {

void AddHistogram(const HistogramSnapshot& from, HistogramSnapshot* to) {
  for (int i = 0; i < kHistogramBuckets; ++i) to->buckets[i] += from.buckets[i];
  to->count += from.count;
  to->sum += from.sum;
}

// The per-stream view of `s` added to `total`.
void AddToTotal(const ShardMetricsSnapshot& s, ShardMetricsSnapshot* total) {
  total->records_in += s.records_in;
  total->bytes_in += s.bytes_in;
  total->records_out += s.records_out;
  total->bytes_out += s.bytes_out;
  total->throttled_calls += s.throttled_calls;
  AddHistogram(s.put_latency_micros, &total->put_latency_micros);
  AddHistogram(s.batch_records, &total->batch_records);
  AddHistogram(s.aggregation_records, &total->aggregation_records);
  total->iterator_age_millis =
      std::max(total->iterator_age_millis, s.iterator_age_millis);
  total->last_read_millis =
      std::max(total->last_read_millis, s.last_read_millis);
  for (const ReaderIteratorAge& r : s.readers) {
    auto it = std::lower_bound(
        total->readers.begin(), total->readers.end(), r.reader,
        [](const ReaderIteratorAge& a, const std::string& name) {
          return a.reader < name;
        });
    if (it == total->readers.end() || it->reader != r.reader) {
      total->readers.insert(it, r);
      continue;
    }
    it->iterator_age_millis =
        std::max(it->iterator_age_millis, r.iterator_age_millis);
    it->last_read_millis = std::max(it->last_read_millis, r.last_read_millis);
  }
  total->stored_known = total->stored_known && s.stored_known;
  total->stored_records += s.stored_records;
  total->stored_bytes += s.stored_bytes;
  total->segments += s.segments;
  total->newest_arrival_millis =
      std::max(total->newest_arrival_millis, s.newest_arrival_millis);
}

}  // namespace

int64_t HistogramSnapshot::upper_bound(int i) {
  if (i >= kHistogramBuckets - 1) return std::numeric_limits<int64_t>::max();
  return int64_t{1} << (i < 0 ? 0 : i);
}

ProducerMetrics ProducerMetricsFrom(const AsyncProducerStats& s) {
  ProducerMetrics p;
  p.records_put = s.records_put;
  p.records_stored = s.records_stored;
  p.records_failed = s.records_failed;
  p.records_buffered = s.records_buffered;
  p.bytes_buffered = s.bytes_buffered;
  p.batches_appended = s.batches_appended;
  p.retries = s.retries;
  return p;
}

StreamMetricsSnapshot Stream::GetMetrics() const {
  StreamMetricsSnapshot m;
  m.stream = options().name;
  for (const ShardDescription& d : ListShards()) {
    ShardMetricsSnapshot& s = m.shards.emplace_back();
    s.shard_id = d.shard_id;
    s.open = d.is_open();
    s.stored_known = false;
  }
  m.total.stored_known = m.shards.empty();
  return m;
}

namespace internal {

void AtomicHistogram::AddCounts(const int64_t* counts, int64_t sum) {
  for (int i = 0; i < kHistogramBuckets; ++i) {
    if (counts[i] != 0) {
      buckets_[i].fetch_add(counts[i], std::memory_order_relaxed);
    }
  }
  sum_.fetch_add(sum, std::memory_order_relaxed);
}

void AtomicHistogram::AddTo(HistogramSnapshot* out) const {
  for (int i = 0; i < kHistogramBuckets; ++i) {
    const int64_t n = buckets_[i].load(std::memory_order_relaxed);
    out->buckets[i] += n;
    out->count += n;
  }
  out->sum += sum_.load(std::memory_order_relaxed);
}

void ShardMetrics::Snapshot(ShardMetricsSnapshot* out) const {
  out->records_in = records_in_.load(std::memory_order_relaxed);
  out->bytes_in = bytes_in_.load(std::memory_order_relaxed);
  out->records_out = records_out_.load(std::memory_order_relaxed);
  out->bytes_out = bytes_out_.load(std::memory_order_relaxed);
  out->throttled_calls = throttled_calls_.load(std::memory_order_relaxed);
  put_latency_micros_.AddTo(&out->put_latency_micros);
  batch_records_.AddTo(&out->batch_records);
  aggregation_records_.AddTo(&out->aggregation_records);
  out->iterator_age_millis =
      iterator_age_millis_.load(std::memory_order_relaxed);
  out->last_read_millis = last_read_millis_.load(std::memory_order_relaxed);
  MutexLock lock(&readers_mu_);
  out->readers = readers_;
  std::sort(out->readers.begin(), out->readers.end(),
            [](const ReaderIteratorAge& a, const ReaderIteratorAge& b) {
              return a.reader < b.reader;
            });
}

void ShardMetrics::AddNamedRead(absl::string_view reader, int64_t age_millis,
                                int64_t now_millis) {
  MutexLock lock(&readers_mu_);
  for (ReaderIteratorAge& r : readers_) {
    if (r.reader == reader) {
      r.iterator_age_millis = age_millis;
      r.last_read_millis = now_millis;
      return;
    }
  }
  if (readers_.size() >= static_cast<size_t>(kMaxNamedReaders)) return;
  readers_.push_back({std::string(reader), age_millis, now_millis});
}

void ShardImpl::StoredMetrics(ShardMetricsSnapshot* out) const {
  MutexLock lock(&mu_);
  out->stored_records = static_cast<int64_t>(end_position_ - trim_position_);
  out->segments = static_cast<int64_t>(segments_.size());
  int64_t bytes = 0;
  for (const std::shared_ptr<Segment>& s : segments_) {
    bytes += static_cast<int64_t>(s->end_offset);
  }
  out->stored_bytes = bytes;
  if (!segments_.empty() && segments_.back()->opened) {
    out->newest_arrival_millis = segments_.back()->last_arrival_millis;
  }
}

StreamMetricsSnapshot StreamImpl::GetMetrics() const {
  FollowTopology();
  StreamMetricsSnapshot m;
  m.stream = options_.name;
  m.live = !read_only_ && options_.metrics;
  m.since_millis = metrics_since_millis_;
  m.now_millis = env_->NowMillis();
  m.hot_key_sample_every = options_.hot_key_sample_every;
  const bool hot_keys = m.live && options_.hot_key_count > 0;
  std::vector<std::vector<SpaceSaving::Entry>> entries;
  std::vector<int64_t> floors;
  for (ShardImpl* shard : SnapshotShards()) {
    ShardMetricsSnapshot& s = m.shards.emplace_back();
    s.shard_id = shard->id();
    s.open = shard->Describe().is_open();
    const LazyShard* lazy = Lazy(shard->number());
    s.stored_known =
        lazy == nullptr || lazy->recovered.load(std::memory_order_acquire);
    if (s.stored_known) shard->StoredMetrics(&s);
    if (m.live) {
      shard->metrics().Snapshot(&s);
      // Provisioned-mode limits count their refusals in the shard's throttle.
      if (shard->throttle() != nullptr) {
        s.throttled_calls += shard->throttle()->throttled_calls();
      }
    }
    if (hot_keys) {
      int64_t floor = 0;
      int64_t sampled = 0;
      shard->HotKeys(&entries.emplace_back(), &floor, &sampled);
      floors.push_back(floor);
      m.hot_key_sampled += sampled;
    }
    AddToTotal(s, &m.total);
  }
  if (hot_keys) {
    const int64_t n = options_.hot_key_sample_every;
    const double seconds = static_cast<double>(std::max<int64_t>(
                               1, m.now_millis - m.since_millis)) /
                           1000.0;
    for (SpaceSaving::Entry& e : MergeSpaceSaving(
             entries, floors, static_cast<size_t>(options_.hot_key_count))) {
      HotKey& k = m.hot_keys.emplace_back();
      k.partition_key = std::move(e.key);
      k.count = e.count * n;
      k.max_error = e.error * n;
      k.records_per_second = static_cast<double>(k.count) / seconds;
    }
  }
  return m;
}

void StreamImpl::DoCountAggregates(const ShardIterator& iterator,
                                   absl::Span<const int64_t> counts,
                                   int64_t user_records) const {
  if (!options_.metrics || counts.size() != kHistogramBuckets) return;
  ShardOf(iterator).metrics().AddAggregates(counts.data(), user_records);
}

}  // namespace internal
}  // namespace brook
