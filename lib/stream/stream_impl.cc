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
  const std::vector<HashKeyRange> ranges =
      UniformHashKeyRanges(options.shard_count);
  for (size_t i = 0; i < ranges.size(); ++i) {
    stream->shards_.push_back(std::make_unique<ShardImpl>(
        stream.get(), stream->store_.get(), static_cast<uint32_t>(i),
        ranges[i], kFirstPosition));
    stream->route_starts_.push_back(ranges[i].starting_hash_key);
    stream->route_shards_.push_back(stream->shards_.back().get());
  }
  return stream;
}

std::vector<ShardDescription> StreamImpl::ListShards() const {
  std::vector<ShardDescription> out;
  out.reserve(shards_.size());
  for (const auto& shard : shards_) out.push_back(shard->Describe());
  return out;
}

StreamDescription StreamImpl::DescribeStream() const {
  StreamDescription d;
  d.stream_name = options_.name;
  d.stream_status = "ACTIVE";
  d.retention_period_millis = options_.retention_period_millis;
  constexpr int64_t kHour = 60 * 60 * 1000;
  d.retention_period_hours = (options_.retention_period_millis + kHour - 1) / kHour;
  d.shards = ListShards();
  for (const ShardDescription& s : d.shards) {
    if (s.is_open()) ++d.open_shard_count;
  }
  d.stored_bytes = stored_bytes_.load(std::memory_order_relaxed);
  return d;
}

absl::StatusOr<ShardImpl*> StreamImpl::FindShard(
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

ShardImpl* StreamImpl::Route(HashKey key) const {
  auto it = std::upper_bound(route_starts_.begin(), route_starts_.end(), key);
  return route_shards_[static_cast<size_t>(it - route_starts_.begin()) - 1];
}

int64_t StreamImpl::TrimExpired() {
  const int64_t cutoff = env_->NowMillis() - options_.retention_period_millis;
  int64_t records = 0;
  for (const auto& shard : shards_) records += shard->TrimBefore(cutoff);
  return records;
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
    for (const auto& shard : shards_) {
      int64_t arrival;
      if (shard->OldestDroppable(&arrival) && arrival < oldest_arrival) {
        oldest = shard.get();
        oldest_arrival = arrival;
      }
    }
    if (oldest == nullptr || oldest->DropOldest() == 0) break;
  }
  drop_mu_.Unlock();
}

}  // namespace internal
}  // namespace brook
