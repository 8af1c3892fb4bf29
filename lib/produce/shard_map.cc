// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer's shard map, on the sending thread: reading it
// (`OpenShards()`), refreshing it when a reshard closed a shard
// (`RefreshShardMap()`), and routing records by it (`Route()`, `RouteOne()`).

#include <algorithm>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "brook/partitioner.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "produce/async_producer_impl.h"

namespace brook {

void AsyncProducer::Impl::Route(std::vector<PendingRecord>* intake) {
  // Records no open shard owned when they were slotted (hashed): looked up
  // once more, and failed if still so.
  for (PendingRecord& r : *intake) RouteOne(std::move(r));
  intake->clear();
}

internal::ShardQueue* AsyncProducer::Impl::QueueFor(HashKey key) {
  // The open shards tile the key space, sorted by their first key.
  auto it = std::upper_bound(
      queues_.begin(), queues_.end(), key,
      [](HashKey k, const std::unique_ptr<internal::ShardQueue>& q) {
        return k < q->range.starting_hash_key;
      });
  if (it == queues_.begin()) return nullptr;
  internal::ShardQueue* q = std::prev(it)->get();
  return q->range.Contains(key) ? q : nullptr;
}

void AsyncProducer::Impl::RouteOne(PendingRecord&& r) {
  internal::ShardQueue* q = QueueFor(r.routed.hash_key);
  if (q == nullptr) {
    Complete(r.meta, absl::UnavailableError(absl::StrCat(
                         "async producer: no open shard owns hash key ",
                         HashKeyToString(r.routed.hash_key))));
    return;
  }
  q->records.push_back(r);
}

std::vector<ShardDescription> AsyncProducer::Impl::OpenShards() const {
  std::vector<ShardDescription> open;
  // ListShards() describes shard after shard, so a reshard racing with it
  // can show a parent closed and not yet its children, or both open: read
  // again until the open shards tile the key space (a reshard is short).
  for (int attempt = 0; attempt < 1000; ++attempt) {
    open.clear();
    for (ShardDescription& d : stream_->ListShards()) {
      if (d.is_open()) open.push_back(std::move(d));
    }
    std::sort(open.begin(), open.end(), [](const auto& a, const auto& b) {
      return a.hash_key_range.starting_hash_key <
             b.hash_key_range.starting_hash_key;
    });
    bool tiled =
        !open.empty() && open.front().hash_key_range.starting_hash_key == 0 &&
        open.back().hash_key_range.ending_hash_key == absl::Uint128Max();
    for (size_t i = 1; tiled && i < open.size(); ++i) {
      tiled = open[i - 1].hash_key_range.ending_hash_key + 1 ==
              open[i].hash_key_range.starting_hash_key;
    }
    if (tiled) break;
    std::this_thread::yield();
  }
  return open;
}

void AsyncProducer::Impl::RefreshShardMap() {
  ++refreshes_;
  std::vector<std::unique_ptr<internal::ShardQueue>> old = std::move(queues_);
  queues_.clear();
  for (const ShardDescription& d : OpenShards()) {
    std::unique_ptr<internal::ShardQueue> q;
    for (auto& o : old) {
      if (o != nullptr && o->shard_id == d.shard_id) q = std::move(o);
    }
    if (q == nullptr) {
      absl::StatusOr<Shard*> shard = stream_->GetShard(d.shard_id);
      if (!shard.ok()) continue;
      q = std::make_unique<internal::ShardQueue>();
      q->shard_id = d.shard_id;
      q->shard = *shard;
      q->range = d.hash_key_range;
    }
    queues_.push_back(std::move(q));  // sorted, as OpenShards() is
  }
  // The putters route by the new map from their next group on; slots they
  // routed by the old one are routed again when taken (RouteIntake()).
  sender_ranges_.clear();
  for (const auto& q : queues_) sender_ranges_.push_back(q->range);
  {
    internal::MutexLock lock(&mu_);
    route_ranges_ = sender_ranges_;
    route_version_.fetch_add(1);
  }
  // Records of closed shards go, in order, to the shards that own their keys
  // now: those are new, so the moved records come before any routed later.
  for (auto& o : old) {
    if (o == nullptr) continue;
    while (!o->records.empty()) {
      PendingRecord r = o->records.pop_front();
      internal::ShardQueue* to = QueueFor(r.routed.hash_key);
      if (to != nullptr && to->last_error.ok()) to->last_error = o->last_error;
      RouteOne(std::move(r));
    }
  }
}

}  // namespace brook
