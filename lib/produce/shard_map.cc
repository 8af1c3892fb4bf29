// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer's shard map, on the sending thread: reading it
// (`OpenShards()`), refreshing it when a reshard closed a shard
// (`RefreshShardMap()`), routing records by it (`Route()`, `RouteOne()`), and
// keeping the records whose hash key no open shard of it owns (`parked_`).
//
// A map read while a reshard is under way may not tile the key space:
// `ListShards()` describes shard after shard, so it can show a parent closed
// and not yet its children (a gap), or both open (an overlap). `OpenShards()`
// reads it again a few times; if it still does not tile, the map keeps every
// shard known to be open (see OpenShards()) and leaves the rest of the key
// space uncovered. A record whose key falls there is parked, not failed (KPL
// keeps a record it cannot route yet): after a backoff (`min_backoff` to
// `max_backoff`, with jitter, as a failed append) the map is read anew and the
// parked records are routed again, until their `record_ttl` runs out
// (kDeadlineExceeded naming "no open shard owns hash key ...") or the stream
// is closed (kFailedPrecondition). The hot path pays nothing for this: a
// record reaches RouteOne() only if its putting thread found no shard for it
// (or left it unhashed), and parking is the rare path.
//
// Per-key order (records one thread puts with one key are stored in the
// order put). The map the sending thread routes by has no two shards
// overlapping, and a shard's range never changes; between two refreshes,
// every record of a key is routed the same way: to the queue of the one shard
// that owns the key, or, if none does, to the end of `parked_`. (Putters
// route by the map the sending thread published; Drain() routes again what an
// older map routed; Route() and RouteOne() use the sending thread's map, which
// is the published one.) So this holds:
//
//   1. The records of a key that the sending thread has taken and not
//      completed are all in one place, one shard's queue or `parked_`, in
//      the order put.
//
// A parked record is never appended, and every later record of its key is
// parked behind it, so none can overtake it while it waits. A refresh keeps
// the queue of each shard that stays in the map as it is (the shard owns the
// same keys) and, before any record taken after it, routes by the new map
// the records of every queue that left the map, then the parked records,
// each in order. A key among them finds under the new map either no shard
// (its records go to the end of `parked_`, emptied first) or a shard that
// was not in the old map (one that was would have owned the key then too,
// and by 1 its records would all be in that shard's queue, none moved); that
// shard's queue is new, so the key's moved records come first in it, in
// order, ahead of every record routed to it later. By 1 a key's moved
// records all come from one place, so the two moves cannot interleave them.
// So 1 holds after the refresh, and no record of a key overtakes an earlier
// one. Completions (TTL, a closed stream, Close() cancelling) remove records
// without moving the others.

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
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
namespace {

// Reads of ListShards() per refresh while the open shards do not tile the
// key space (a racing reshard is short: a re-read usually sees it done).
constexpr int kQuickReads = 4;

using internal::AddSaturatedMillis;
using internal::kNeverMillis;

absl::Status NoOpenShardOwns(HashKey key) {
  return absl::UnavailableError(absl::StrCat(
      "async producer: no open shard owns hash key ", HashKeyToString(key)));
}

// Shards by first hash key, no two overlapping.
class ShardMap {
 public:
  // Adds `d` unless it overlaps a shard added before; says whether it did.
  bool AddIfFree(const ShardDescription& d) {
    const HashKeyRange& r = d.hash_key_range;
    auto next = by_start_.upper_bound(r.starting_hash_key);
    if (next != by_start_.end() &&
        next->second.hash_key_range.starting_hash_key <= r.ending_hash_key) {
      return false;
    }
    if (next != by_start_.begin() &&
        std::prev(next)->second.hash_key_range.ending_hash_key >=
            r.starting_hash_key) {
      return false;
    }
    by_start_.emplace(r.starting_hash_key, d);
    return true;
  }

  // Whether the shards cover the key space with no gap.
  bool Tiles() const {
    if (by_start_.empty() || by_start_.begin()->first != 0 ||
        std::prev(by_start_.end())->second.hash_key_range.ending_hash_key !=
            absl::Uint128Max()) {
      return false;
    }
    for (auto it = std::next(by_start_.begin()); it != by_start_.end(); ++it) {
      if (std::prev(it)->second.hash_key_range.ending_hash_key + 1 !=
          it->first) {
        return false;
      }
    }
    return true;
  }

  std::vector<ShardDescription> Sorted() && {
    std::vector<ShardDescription> out;
    out.reserve(by_start_.size());
    for (auto& [start, d] : by_start_) out.push_back(std::move(d));
    return out;
  }

 private:
  std::map<HashKey, ShardDescription> by_start_;
};

// The open shards of one read of ListShards() that records may be routed to:
// first those that no listed shard names as its parent, then those that one
// does (a reshard lists the children before it closes the parent, so a read
// racing with it may show both open), each only where no shard added before
// overlaps it (a racing read is the only way to show an overlap).
ShardMap RoutableShards(const std::vector<ShardDescription>& listed) {
  std::set<std::string> parents;
  for (const ShardDescription& d : listed) {
    if (!d.parent_shard_id.empty()) parents.insert(d.parent_shard_id);
    if (!d.adjacent_parent_shard_id.empty()) {
      parents.insert(d.adjacent_parent_shard_id);
    }
  }
  std::vector<const ShardDescription*> open;
  for (const ShardDescription& d : listed) {
    if (d.is_open()) open.push_back(&d);
  }
  // By first key, then id: the same read gives the same map.
  std::sort(open.begin(), open.end(), [](const auto* a, const auto* b) {
    if (a->hash_key_range.starting_hash_key !=
        b->hash_key_range.starting_hash_key) {
      return a->hash_key_range.starting_hash_key <
             b->hash_key_range.starting_hash_key;
    }
    return a->shard_id < b->shard_id;
  });
  ShardMap map;
  for (const bool parent : {false, true}) {
    for (const ShardDescription* d : open) {
      if ((parents.count(d->shard_id) != 0) == parent) map.AddIfFree(*d);
    }
  }
  return map;
}

}  // namespace

void AsyncProducer::Impl::Route(std::vector<PendingRecord>* intake) {
  // Records no open shard owned when they were slotted (hashed), and the
  // few left unhashed: looked up by the sending thread's map (the one they
  // were slotted by), and parked if no open shard owns them.
  for (PendingRecord& r : *intake) RouteOne(std::move(r));
  intake->clear();
}

internal::ShardQueue* AsyncProducer::Impl::QueueFor(HashKey key) {
  // The open shards, sorted by their first key, do not overlap.
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
    Park(r);
    return;
  }
  q->records.push_back(r);
}

void AsyncProducer::Impl::Park(const PendingRecord& r) {
  if (parked_retry_millis_ == kNeverMillis) {
    // The map was read just now: read it again after a backoff, not at once.
    parked_backoffs_ = 1;
    parked_retry_millis_ = AddSaturatedMillis(
        env_->NowMillis(), absl::ToInt64Milliseconds(Backoff(1)));
  }
  parked_.push_back(r);
  parked_expiry_millis_ =
      std::min(parked_expiry_millis_,
               AddSaturatedMillis(r.meta.put_millis, ttl_millis_));
}

void AsyncProducer::Impl::ServeParked(int64_t now) {
  if (now >= parked_expiry_millis_) {
    // Those whose TTL ran out leave; the others keep their order.
    size_t kept = 0;
    int64_t expiry = kNeverMillis;
    for (PendingRecord& r : parked_) {
      const int64_t t = AddSaturatedMillis(r.meta.put_millis, ttl_millis_);
      if (now >= t) {
        Complete(r.meta, TtlRanOut(r.meta.attempts,
                                   NoOpenShardOwns(r.routed.hash_key)));
        continue;
      }
      expiry = std::min(expiry, t);
      parked_[kept++] = r;
    }
    parked_.resize(kept);
    parked_expiry_millis_ = expiry;
    Settle();
  }
  if (!parked_.empty() && now >= parked_retry_millis_) {
    if (stream_->closed()) {
      // No shard of a closed stream takes records (an append would fail
      // with kFailedPrecondition): no use waiting out the TTL.
      const absl::Status closed =
          absl::FailedPreconditionError("async producer: the stream is closed");
      for (PendingRecord& r : parked_) Complete(r.meta, closed);
      parked_.clear();
      Settle();
    } else {
      RefreshShardMap();  // routes them again
      if (!parked_.empty()) {
        // Still no open shard owns some: read again after a longer backoff.
        ++parked_backoffs_;
        parked_retry_millis_ = AddSaturatedMillis(
            now, absl::ToInt64Milliseconds(Backoff(parked_backoffs_)));
      }
    }
  }
  if (parked_.empty()) {
    parked_backoffs_ = 0;
    parked_retry_millis_ = parked_expiry_millis_ = kNeverMillis;
  }
}

std::vector<ShardDescription> AsyncProducer::Impl::OpenShards(
    const std::vector<std::unique_ptr<internal::ShardQueue>>& previous) const {
  std::vector<ShardDescription> listed;
  ShardMap map;
  for (int read = 0; read < kQuickReads; ++read) {
    if (read > 0) std::this_thread::yield();  // let a racing reshard finish
    listed = stream_->ListShards();
    map = RoutableShards(listed);
    if (map.Tiles()) return std::move(map).Sorted();
  }
  // Still not tiled. A shard of the previous map that the read does not list
  // at all was open when last listed: records keep going to it for the keys
  // it covers (if it has been closed since, its append says so and the map
  // is read again). One the read lists as closed is left out (an append to
  // it could only fail), and the keys no shard covers are parked.
  std::set<std::string> ids;
  for (const ShardDescription& d : listed) ids.insert(d.shard_id);
  for (const auto& q : previous) {
    if (q == nullptr || ids.count(q->shard_id) != 0) continue;
    ShardDescription d;
    d.shard_id = q->shard_id;
    d.hash_key_range = q->range;
    map.AddIfFree(d);
  }
  return std::move(map).Sorted();
}

void AsyncProducer::Impl::RefreshShardMap() {
  ++refreshes_;
  std::vector<std::unique_ptr<internal::ShardQueue>> old = std::move(queues_);
  queues_.clear();
  for (const ShardDescription& d : OpenShards(old)) {
    std::unique_ptr<internal::ShardQueue> q;
    for (auto& o : old) {
      if (o != nullptr && o->shard_id == d.shard_id) q = std::move(o);
    }
    if (q == nullptr) {
      absl::StatusOr<Shard*> shard = stream_->GetShard(d.shard_id);
      if (!shard.ok()) continue;  // its keys are parked until a later read
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
  // Records of the shards that left the map, then the parked ones, in order,
  // to the shards that own their keys now (those are new, so the moved
  // records come before any routed later) or to `parked_` (see "Per-key
  // order" above). The parked ones keep their refresh time (ServeParked()
  // sets the next).
  std::vector<PendingRecord> parked;
  parked.swap(parked_);
  parked_expiry_millis_ = kNeverMillis;
  for (auto& o : old) {
    if (o == nullptr) continue;
    while (!o->records.empty()) {
      PendingRecord r = o->records.pop_front();
      internal::ShardQueue* to = QueueFor(r.routed.hash_key);
      if (to != nullptr && to->last_error.ok()) to->last_error = o->last_error;
      RouteOne(std::move(r));
    }
  }
  for (PendingRecord& r : parked) RouteOne(std::move(r));
  if (parked_.empty()) {
    parked_backoffs_ = 0;
    parked_retry_millis_ = kNeverMillis;
  }
}

}  // namespace brook
