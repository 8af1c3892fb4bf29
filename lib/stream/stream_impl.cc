// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "stream/stream_impl.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "stream/sequence.h"

namespace brook {

Stream::~Stream() = default;
Shard::~Shard() = default;

absl::StatusOr<std::unique_ptr<Stream>> Stream::Create(
    const StreamOptions& options) {
  const size_t pooled =
      options.retention_bytes > 0 && options.segment_bytes > 0
          ? static_cast<size_t>(std::min<int64_t>(
                16, options.retention_bytes / options.segment_bytes))
          : 4;
  absl::StatusOr<std::unique_ptr<internal::StreamImpl>> stream =
      internal::StreamImpl::Create(
          options, internal::NewMemorySegmentStore(
                       static_cast<size_t>(std::max<int64_t>(
                           options.segment_bytes, 1)),
                       pooled));
  if (!stream.ok()) return stream.status();
  return std::unique_ptr<Stream>(std::move(*stream));
}

namespace internal {
namespace {

absl::Status ValidateOptions(const StreamOptions& o) {
  const auto bad = [&o](auto&&... parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream ", o.name, ": ", parts...));
  };
  if (o.name.empty()) {
    return absl::InvalidArgumentError("stream: name must not be empty");
  }
  if (o.shard_count < 1 || o.shard_count > 10000) {
    return bad("shard_count must be 1 to 10000, got ", o.shard_count);
  }
  if (o.max_record_bytes < 1 || o.max_record_bytes > kLargestMaxRecordBytes) {
    return bad("max_record_bytes must be 1 to ", kLargestMaxRecordBytes,
               ", got ", o.max_record_bytes);
  }
  if (o.retention_period_millis < 1) {
    return bad("retention_period_millis must be positive, got ",
               o.retention_period_millis);
  }
  if (o.segment_bytes < (int64_t{64} << 10) ||
      o.segment_bytes > (int64_t{1} << 30)) {
    return bad("segment_bytes must be 64 KiB to 1 GiB, got ", o.segment_bytes);
  }
  if (o.retention_bytes < 0) {
    return bad("retention_bytes must not be negative, got ", o.retention_bytes);
  }
  if (o.retention_bytes > 0 && o.retention_bytes < 2 * o.segment_bytes) {
    return bad("retention_bytes (", o.retention_bytes,
               ") must be at least twice segment_bytes (", o.segment_bytes,
               ")");
  }
  if (o.on_full != RetentionFullPolicy::kRejectWrites &&
      o.on_full != RetentionFullPolicy::kDropOldest) {
    return bad("unknown on_full policy ", static_cast<int>(o.on_full));
  }
  return absl::OkStatus();
}

}  // namespace

StreamImpl::StreamImpl(const StreamOptions& options,
                       std::unique_ptr<SegmentStore> store)
    : options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()),
      store_(std::move(store)) {}

StreamImpl::~StreamImpl() = default;

absl::StatusOr<std::unique_ptr<StreamImpl>> StreamImpl::Create(
    const StreamOptions& options, std::unique_ptr<SegmentStore> store) {
  absl::Status s = ValidateOptions(options);
  if (!s.ok()) return s;
  std::unique_ptr<StreamImpl> stream(new StreamImpl(options, std::move(store)));
  MutexLock lock(&stream->topology_mu_);
  for (const HashKeyRange& range : UniformHashKeyRanges(options.shard_count)) {
    stream->AddShardLocked(range, kFirstPosition, {});
  }
  stream->RebuildRoutingLocked();
  return stream;
}

ShardImpl* StreamImpl::AddShardLocked(HashKeyRange range,
                                      uint64_t start_position,
                                      std::vector<std::string> parents) {
  shards_.push_back(std::make_unique<ShardImpl>(
      this, store_.get(), static_cast<uint32_t>(shards_.size()), range,
      start_position, std::move(parents)));
  return shards_.back().get();
}

void StreamImpl::RebuildRoutingLocked() {
  auto table = std::make_shared<RoutingTable>();
  std::vector<ShardImpl*> open;
  for (const auto& shard : shards_) {
    if (shard->accepts_appends()) open.push_back(shard.get());
  }
  std::sort(open.begin(), open.end(), [](ShardImpl* a, ShardImpl* b) {
    return a->hash_key_range().starting_hash_key <
           b->hash_key_range().starting_hash_key;
  });
  for (ShardImpl* shard : open) {
    table->starts_.push_back(shard->hash_key_range().starting_hash_key);
    table->shards_.push_back(shard);
  }
  routing_ = std::move(table);
}

std::shared_ptr<const StreamImpl::RoutingTable> StreamImpl::routing() const {
  MutexLock lock(&topology_mu_);
  return routing_;
}

ShardImpl* StreamImpl::RoutingTable::Route(HashKey key) const {
  auto it = std::upper_bound(starts_.begin(), starts_.end(), key);
  return shards_[static_cast<size_t>(it - starts_.begin()) - 1];
}

size_t StreamImpl::shard_count() const {
  MutexLock lock(&topology_mu_);
  return shards_.size();
}

std::vector<ShardImpl*> StreamImpl::SnapshotShards() const {
  MutexLock lock(&topology_mu_);
  std::vector<ShardImpl*> out;
  out.reserve(shards_.size());
  for (const auto& shard : shards_) out.push_back(shard.get());
  return out;
}

std::vector<ShardDescription> StreamImpl::ListShards() const {
  std::vector<ShardDescription> out;
  for (ShardImpl* shard : SnapshotShards()) out.push_back(shard->Describe());
  return out;
}

StreamDescription StreamImpl::DescribeStream() const {
  StreamDescription d;
  d.stream_name = options_.name;
  d.stream_status = "ACTIVE";
  d.retention_period_millis = options_.retention_period_millis;
  constexpr int64_t kHour = 60 * 60 * 1000;
  d.retention_period_hours =
      (options_.retention_period_millis + kHour - 1) / kHour;
  d.shards = ListShards();
  for (const ShardDescription& s : d.shards) {
    if (s.is_open()) ++d.open_shard_count;
  }
  d.stored_bytes = stored_bytes_.load(std::memory_order_relaxed);
  return d;
}

absl::StatusOr<ShardImpl*> StreamImpl::FindShard(
    absl::string_view shard_id) const {
  MutexLock lock(&topology_mu_);
  return FindShardLocked(shard_id);
}

absl::StatusOr<ShardImpl*> StreamImpl::FindShardLocked(
    absl::string_view shard_id) const {
  constexpr absl::string_view kPrefix = "shardId-";
  if (shard_id.size() == kPrefix.size() + 12 &&
      shard_id.substr(0, kPrefix.size()) == kPrefix) {
    uint64_t number = 0;
    bool digits = true;
    for (char c : shard_id.substr(kPrefix.size())) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      number = number * 10 + static_cast<uint64_t>(c - '0');
    }
    if (digits && number < shards_.size()) return shards_[number].get();
  }
  return absl::NotFoundError(absl::StrCat("stream ", options_.name,
                                          ": no shard \"",
                                          shard_id.substr(0, 64), "\""));
}

absl::StatusOr<Shard*> StreamImpl::GetShard(absl::string_view shard_id) const {
  absl::StatusOr<ShardImpl*> shard = FindShard(shard_id);
  if (!shard.ok()) return shard.status();
  return *shard;
}

int64_t StreamImpl::TrimExpired() {
  const int64_t cutoff = env_->NowMillis() - options_.retention_period_millis;
  int64_t records = 0;
  for (ShardImpl* shard : SnapshotShards()) records += shard->TrimBefore(cutoff);
  return records;
}

absl::StatusOr<ShardImpl*> StreamImpl::FindOpenShardLocked(
    absl::string_view shard_id, absl::string_view operation) {
  absl::StatusOr<ShardImpl*> shard = FindShardLocked(shard_id);
  if (!shard.ok()) {
    return absl::NotFoundError(
        absl::StrCat(operation, ": ", shard.status().message()));
  }
  if (!(*shard)->accepts_appends()) {
    return absl::FailedPreconditionError(absl::StrCat(
        operation, ": shard ", shard_id, " of stream ", options_.name,
        " is closed: it was already split or merged"));
  }
  return *shard;
}

absl::Status StreamImpl::SplitShard(absl::string_view shard_to_split,
                                    absl::string_view new_starting_hash_key) {
  MutexLock lock(&topology_mu_);
  absl::StatusOr<ShardImpl*> parent =
      FindOpenShardLocked(shard_to_split, "SplitShard");
  if (!parent.ok()) return parent.status();
  absl::StatusOr<HashKey> key = ParseHashKey(new_starting_hash_key);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SplitShard: new starting ", key.status().message()));
  }
  return SplitLocked(*parent, *key);
}

absl::Status StreamImpl::SplitLocked(ShardImpl* parent, HashKey key) {
  const HashKeyRange range = parent->hash_key_range();
  // Kinesis's rule: start + 1 < key < end.
  if (!(range.starting_hash_key + 1 < key && key < range.ending_hash_key)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SplitShard: new starting hash key ", HashKeyToString(key),
        " on shard ", parent->id(), " of stream ", options_.name,
        " is not both greater than one plus the shard's starting hash key ",
        HashKeyToString(range.starting_hash_key),
        " and less than its ending hash key ",
        HashKeyToString(range.ending_hash_key)));
  }
  const uint64_t start = parent->StopAppends();
  ShardImpl* low = AddShardLocked({range.starting_hash_key, key - 1}, start,
                                  {parent->id()});
  ShardImpl* high =
      AddShardLocked({key, range.ending_hash_key}, start, {parent->id()});
  parent->Close({{low->id(), {parent->id()}, low->hash_key_range()},
                 {high->id(), {parent->id()}, high->hash_key_range()}});
  RebuildRoutingLocked();
  return absl::OkStatus();
}

absl::Status StreamImpl::MergeShards(absl::string_view shard_to_merge,
                                     absl::string_view adjacent_shard_to_merge) {
  MutexLock lock(&topology_mu_);
  absl::StatusOr<ShardImpl*> first =
      FindOpenShardLocked(shard_to_merge, "MergeShards");
  if (!first.ok()) return first.status();
  absl::StatusOr<ShardImpl*> second =
      FindOpenShardLocked(adjacent_shard_to_merge, "MergeShards");
  if (!second.ok()) return second.status();
  return MergeLocked(*first, *second);
}

absl::Status StreamImpl::MergeLocked(ShardImpl* first, ShardImpl* second) {
  const HashKeyRange a = first->hash_key_range();
  const HashKeyRange b = second->hash_key_range();
  const bool adjacent =
      first != second &&
      ((a.ending_hash_key != absl::Uint128Max() &&
        a.ending_hash_key + 1 == b.starting_hash_key) ||
       (b.ending_hash_key != absl::Uint128Max() &&
        b.ending_hash_key + 1 == a.starting_hash_key));
  if (!adjacent) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MergeShards: shards ", first->id(), " and ", second->id(),
        " of stream ", options_.name,
        " are not an adjacent pair of shards eligible for merging"));
  }
  const uint64_t start =
      std::max(first->StopAppends(), second->StopAppends());
  ShardImpl* child = AddShardLocked(
      {std::min(a.starting_hash_key, b.starting_hash_key),
       std::max(a.ending_hash_key, b.ending_hash_key)},
      start, {first->id(), second->id()});
  const ChildShard c{child->id(), {first->id(), second->id()},
                     child->hash_key_range()};
  first->Close({c});
  second->Close({c});
  RebuildRoutingLocked();
  return absl::OkStatus();
}

absl::Status StreamImpl::UpdateShardCount(int target_shard_count) {
  if (target_shard_count < 1 || target_shard_count > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("UpdateShardCount: target shard count must be 1 to "
                     "10000, got ",
                     target_shard_count));
  }
  const std::vector<HashKeyRange> target =
      UniformHashKeyRanges(target_shard_count);
  MutexLock lock(&topology_mu_);
  // First make every target boundary the start of an open shard, splitting
  // where Kinesis's rule allows; a boundary at a shard's last key (or just
  // past its first) is made splittable by merging with the neighbour first.
  for (size_t i = 1; i < target.size(); ++i) {
    const HashKey boundary = target[i].starting_hash_key;
    for (;;) {
      ShardImpl* shard = routing_->Route(boundary);
      const HashKeyRange r = shard->hash_key_range();
      absl::Status s;
      if (r.starting_hash_key == boundary) break;
      if (r.starting_hash_key + 1 < boundary && boundary < r.ending_hash_key) {
        s = SplitLocked(shard, boundary);
      } else if (boundary == r.ending_hash_key) {
        s = MergeLocked(shard, routing_->Route(r.ending_hash_key + 1));
      } else {
        s = MergeLocked(routing_->Route(r.starting_hash_key - 1), shard);
      }
      if (!s.ok()) return s;
    }
  }
  // ...then merge neighbours that fall in the same target range.
  for (const HashKeyRange& want : target) {
    for (;;) {
      ShardImpl* low = routing_->Route(want.starting_hash_key);
      if (low->hash_key_range().ending_hash_key >= want.ending_hash_key) break;
      ShardImpl* next = routing_->Route(low->hash_key_range().ending_hash_key + 1);
      absl::Status s = MergeLocked(low, next);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status StreamImpl::Reserve(int64_t bytes) {
  if (options_.retention_bytes == 0 ||
      options_.on_full == RetentionFullPolicy::kDropOldest) {
    stored_bytes_.fetch_add(bytes, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  int64_t stored = stored_bytes_.load(std::memory_order_relaxed);
  do {
    if (stored + bytes > options_.retention_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "stream ", options_.name, " is full: ", stored, " bytes stored, ",
          bytes, " more would pass retention_bytes ", options_.retention_bytes));
    }
  } while (!stored_bytes_.compare_exchange_weak(stored, stored + bytes,
                                                std::memory_order_relaxed));
  return absl::OkStatus();
}

void StreamImpl::EnforceByteBound() {
  if (options_.retention_bytes == 0 ||
      options_.on_full != RetentionFullPolicy::kDropOldest ||
      stored_bytes_.load(std::memory_order_relaxed) <=
          options_.retention_bytes) {
    return;
  }
  // Whoever holds drop_mu_ keeps dropping until the stream is under the bound.
  if (!drop_mu_.TryLock()) return;
  while (stored_bytes_.load(std::memory_order_relaxed) >
         options_.retention_bytes) {
    ShardImpl* oldest = nullptr;
    int64_t oldest_arrival = std::numeric_limits<int64_t>::max();
    for (ShardImpl* shard : SnapshotShards()) {
      int64_t arrival;
      if (shard->OldestDroppable(&arrival) && arrival < oldest_arrival) {
        oldest = shard;
        oldest_arrival = arrival;
      }
    }
    if (oldest == nullptr || oldest->DropOldest() == 0) break;
  }
  drop_mu_.Unlock();
}

}  // namespace internal
}  // namespace brook
