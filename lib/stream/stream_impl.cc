// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "stream/stream_impl.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "brook/internal/time_math.h"

#include "stream/sequence.h"
#include "stream/stream_meta.h"
#include "stream/stream_open.h"
#include "stream/throughput_options.h"
#include "util/duration.h"
#include "util/status_macros.h"

namespace brook {

Stream::~Stream() = default;
Shard::~Shard() = default;

absl::Status Shard::AppendWithSequenceNumbers(
    absl::Span<const RoutedRecord> records,
    absl::Span<SequenceNumber> sequence_numbers) {
  if (sequence_numbers.size() != records.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        id(), ": AppendWithSequenceNumbers: ", sequence_numbers.size(),
        " sequence numbers for ", records.size(), " records"));
  }
  BROOK_ASSIGN_OR_RETURN(const SequenceNumber first, Append(records));
  for (size_t g = 0; g < records.size(); ++g) {
    sequence_numbers[g] = SequenceNumber::FromParts(
        first.high(), first.value() + (absl::uint128(g) << 64));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Stream>> Stream::Create(
    const StreamOptions& options) {
  const size_t pooled =
      options.retention_bytes > 0 && options.segment_bytes > 0
          ? static_cast<size_t>(std::min<int64_t>(
                16, options.retention_bytes / options.segment_bytes))
          : 4;
  absl::StatusOr<std::unique_ptr<internal::StreamImpl>> stream =
      internal::StreamImpl::Create(
          options,
          internal::NewMemorySegmentStore(
              static_cast<size_t>(std::max<int64_t>(options.segment_bytes, 1)),
              pooled));
  if (!stream.ok()) return stream.status();
  return std::unique_ptr<Stream>(std::move(*stream));
}

absl::StatusOr<std::unique_ptr<Stream>> Stream::Open(
    absl::string_view dir, const StreamOptions& options, OpenMode mode) {
  absl::StatusOr<std::unique_ptr<internal::StreamImpl>> stream =
      internal::StreamImpl::Open(dir, options, mode);
  if (!stream.ok()) return stream.status();
  return std::unique_ptr<Stream>(std::move(*stream));
}

namespace internal {

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
  const std::string context = absl::StrCat("stream ", o.name, ": ");
  BROOK_RETURN_IF_ERROR(
      WholeMillis(context, "retention_period", o.retention_period, 1).status());
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
  if (o.durability != Durability::kNone &&
      o.durability != Durability::kGroupCommit &&
      o.durability != Durability::kAlways) {
    return bad("unknown durability ", static_cast<int>(o.durability));
  }
  BROOK_RETURN_IF_ERROR(
      WholeMillis(context, "segment_roll_age", o.segment_roll_age, 0).status());
  if (o.group_commit_bytes < 0) {
    return bad("group_commit_bytes must not be negative, got ",
               o.group_commit_bytes);
  }
  BROOK_RETURN_IF_ERROR(
      WholeMillis(context, "group_commit_interval", o.group_commit_interval, 0)
          .status());
  if (o.wait_spin < absl::ZeroDuration() || o.wait_spin > absl::Seconds(1)) {
    return bad("wait_spin must be 0 to 1s, got ",
               absl::FormatDuration(o.wait_spin));
  }
  if (o.compression_level != 0 &&
      (o.compression_level < kMinCompressionLevel ||
       o.compression_level > kMaxCompressionLevel)) {
    return bad("compression_level must be 0 (none) or ", kMinCompressionLevel,
               " to ", kMaxCompressionLevel, ", got ", o.compression_level);
  }
  if (o.hot_key_count < 0 || o.hot_key_count > 4096) {
    return bad("hot_key_count must be 0 to 4096, got ", o.hot_key_count);
  }
  if (o.hot_key_sample_every < 1 || o.hot_key_sample_every > 65536) {
    return bad("hot_key_sample_every must be 1 to 65536, got ",
               o.hot_key_sample_every);
  }

  BROOK_RETURN_IF_ERROR(ValidateThroughputOptions(context, o.throughput));
  if (o.durability == Durability::kGroupCommit && o.group_commit_bytes == 0 &&
      o.group_commit_interval == absl::ZeroDuration()) {
    return bad(
        "kGroupCommit needs group_commit_bytes or group_commit_interval");
  }
  return absl::OkStatus();
}

// The metadata of a new stream: `options` and uniform shards.
proto::StreamMeta NewStreamMeta(const StreamOptions& options) {
  proto::StreamMeta meta;
  OptionsToMeta(options, meta.mutable_options());
  meta.set_format_version(MetaVersionFor(meta));
  const std::vector<HashKeyRange> ranges =
      UniformHashKeyRanges(options.shard_count);
  for (size_t i = 0; i < ranges.size(); ++i) {
    *meta.add_shards() =
        ShardMetaOf(static_cast<uint32_t>(i), ranges[i], kFirstPosition, {});
  }
  return meta;
}

StreamImpl::StreamImpl(const StreamOptions& options,
                       std::unique_ptr<SegmentStore> store)
    : options_(options),
      segment_roll_millis_(absl::ToInt64Milliseconds(options.segment_roll_age)),
      env_(options.env != nullptr ? options.env : Env::Default()),
      store_(std::move(store)),
      codec_(std::make_shared<FrameCodec>(env_, std::string(),
                                          options.compression_level)),
      retention_period_millis_(
          absl::ToInt64Milliseconds(options.retention_period)),
      retention_bytes_(options.retention_bytes),
      expired_before_millis_(kTimeMin),
      next_sweep_millis_(kTimeMin) {
  metrics_since_millis_ = env_->NowMillis();
}

StreamImpl::~StreamImpl() {
  // A stream that was not closed is closed now; its caller did not ask what
  // went wrong, and an unclean directory is recovered by the next open.
  Close().IgnoreError();
}

absl::StatusOr<std::unique_ptr<StreamImpl>> StreamImpl::Create(
    const StreamOptions& options, std::unique_ptr<SegmentStore> store) {
  absl::Status s = ValidateOptions(options);
  if (!s.ok()) return s;
  std::unique_ptr<StreamImpl> stream(new StreamImpl(options, std::move(store)));
  BROOK_RETURN_IF_ERROR(stream->AdoptMeta(NewStreamMeta(options), nullptr));
  return stream;
}

absl::Status StreamImpl::AdoptMeta(proto::StreamMeta meta,
                                   RecoveryReport* report) {
  MutexLock lock(&topology_mu_);
  // Children, from the parents they name.
  std::vector<std::vector<ChildShard>> children(
      static_cast<size_t>(meta.shards_size()));
  auto range_of = [](const proto::ShardMeta& s) {
    return HashKeyRange{
        absl::MakeUint128(s.range().starting_high(), s.range().starting_low()),
        absl::MakeUint128(s.range().ending_high(), s.range().ending_low())};
  };
  for (const proto::ShardMeta& s : meta.shards()) {
    std::vector<std::string> parents;
    if (!s.parent_shard_id().empty()) parents.push_back(s.parent_shard_id());
    if (!s.adjacent_parent_shard_id().empty()) {
      parents.push_back(s.adjacent_parent_shard_id());
    }
    for (const std::string& parent : parents) {
      absl::StatusOr<ShardImpl*> p = FindShardLocked(parent);
      if (!p.ok()) {
        return absl::DataLossError(absl::StrCat(
            "stream ", options_.name, ": shard ", s.number(), " names parent ",
            parent, ", which does not precede it"));
      }
      children[(*p)->number()].push_back(
          {ShardIdFromNumber(s.number()), parents, range_of(s)});
    }
    AddShardLocked(range_of(s), s.start_position(), std::move(parents));
    if (durable_ != nullptr) durable_->AddShard(s.number());
  }
  for (size_t i = 0; i < shards_.size(); ++i) {
    ShardImpl& shard = *shards_[i];
    if (durable_ != nullptr && !lazy_.empty()) {
      // Recovered at its first read (EnsureRecovered()); until then a closed
      // shard ends where the metadata says.
      if (meta.shards(static_cast<int>(i)).closed()) {
        shard.Recover({}, meta.shards(static_cast<int>(i)).end_position());
      }
    } else if (durable_ != nullptr) {
      // What STREAM says the shard's files must hold.
      const proto::ShardMeta& m = meta.shards(static_cast<int>(i));
      ShardExpectation expect;
      expect.start_position = shard.start_position();
      expect.closed = m.closed();
      expect.end_position = m.end_position();
      expect.creating = creating_;
      BROOK_ASSIGN_OR_RETURN(
          RecoveredShard recovered,
          durable_->RecoverShard(
              shard.number(), expect,
              /*verify_crc=*/!report->clean_shutdown || verify_all_, report));
      shard.Recover(std::move(recovered.segments), recovered.end_position);
    }
    if (meta.shards(static_cast<int>(i)).closed()) {
      shard.StopAppends();
      shard.Close(std::move(children[i]));
    }
    if (read_only_) shard.Seal();
  }
  RebuildRoutingLocked();
  if (meta.has_expired_before_millis()) {
    expired_before_millis_.store(meta.expired_before_millis(),
                                 std::memory_order_release);
  }
  MutexLock meta_lock(&close_mu_);
  meta_ = std::move(meta);
  return absl::OkStatus();
}

absl::Status StreamImpl::WaitForDurable(absl::string_view shard_id,
                                        SequenceNumber n,
                                        absl::Duration timeout,
                                        DurableWait how) {
  if (durable_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stream ", options_.name, ": a memory stream has no durable storage"));
  }
  if (read_only_) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream directory ", dir_, ": opened read-only"));
  }
  if (how != DurableWait::kSyncNow && how != DurableWait::kGroupCommit) {
    return absl::InvalidArgumentError(absl::StrCat("stream directory ", dir_,
                                                   ": unknown DurableWait ",
                                                   static_cast<int>(how)));
  }
  const int64_t deadline = DeadlineAfter(env_, timeout);
  BROOK_ASSIGN_OR_RETURN(ShardImpl * shard, FindShard(shard_id));
  if (!IsLocalSequenceNumber(n)) {
    return absl::InvalidArgumentError(
        absl::StrCat(shard->id(), ": sequence number ", n.ToString(),
                     " was not issued by this stream (2^128 or more)"));
  }
  if (ShardNumberOf(n) != shard->number()) {
    return absl::InvalidArgumentError(
        absl::StrCat(shard->id(), ": sequence number ", n.ToString(),
                     " belongs to another shard"));
  }
  // After a failed sync nothing is reported durable (see Stream::Sync()).
  BROOK_RETURN_IF_ERROR(durable_->BackgroundError());
  const uint64_t position = PositionOf(n);
  if (durable_->SyncedPosition(shard->number()) > position) {
    return absl::OkStatus();
  }
  if (!shard->WaitForPosition(position, deadline)) {
    return absl::DeadlineExceededError(absl::StrCat(
        shard->id(), ": sequence number ", n.ToString(),
        " was not appended within ", absl::FormatDuration(timeout)));
  }
  if (how == DurableWait::kSyncNow) {
    return durable_->SyncShard(shard->number(), position + 1);
  }
  absl::Status s =
      durable_->WaitSynced(shard->number(), position + 1, deadline);
  if (absl::IsDeadlineExceeded(s)) {
    return absl::DeadlineExceededError(absl::StrCat(
        shard->id(), ": sequence number ", n.ToString(),
        " was not made durable within ", absl::FormatDuration(timeout)));
  }
  return s;
}

absl::Status StreamImpl::Sync() {
  if (durable_ == nullptr || read_only_) return absl::OkStatus();
  {
    MutexLock l(&close_mu_);
    if (closed_) {
      return absl::FailedPreconditionError(
          absl::StrCat("stream directory ", dir_, ": closed"));
    }
  }
  return durable_->SyncAll();
}

void StreamImpl::SimulateCrashForTesting() {
  MutexLock topology(&topology_mu_);
  MutexLock l(&close_mu_);
  closed_ = true;
  for (const auto& shard : shards_) shard->Seal();
  lock_.reset();
}

bool StreamImpl::closed() const {
  MutexLock l(&close_mu_);
  return closed_;
}

absl::Status StreamImpl::Close() {
  MutexLock reshard(&reshard_mu_);  // no reshard while closing
  MutexLock topology(&topology_mu_);
  MutexLock l(&close_mu_);
  if (closed_) return absl::OkStatus();
  closed_ = true;
  for (const auto& shard : shards_) shard->Seal();
  // Only a stream that opened for writing holds the lock (a failed open never
  // marks the directory clean).
  if (durable_ == nullptr || lock_ == nullptr) return absl::OkStatus();
  absl::Status s = durable_->Close();
  if (s.ok()) {
    meta_.set_clean_shutdown(true);
    // What a read-only open reports as stored bytes without recovering.
    for (const auto& shard : shards_) {
      meta_.mutable_shards(static_cast<int>(shard->number()))
          ->set_stored_bytes(shard->StoredBytes());
    }
    s = WriteStreamMeta(env_, dir_, meta_);
  }
  lock_.reset();
  return s;
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
    if (shard->is_open()) open.push_back(shard.get());
  }
  std::sort(open.begin(), open.end(), [](ShardImpl* a, ShardImpl* b) {
    return a->hash_key_range().starting_hash_key <
           b->hash_key_range().starting_hash_key;
  });
  for (ShardImpl* shard : open) {
    table->starts_.push_back(shard->hash_key_range().starting_hash_key);
    table->shards_.push_back(shard);
  }
  table->IndexSlices();
  routing_ = std::move(table);
}

void StreamImpl::RoutingTable::IndexSlices() {
  const auto last_at_or_below = [this](HashKey key) {
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), key);
    return static_cast<uint32_t>(it - starts_.begin() - 1);
  };
  if (starts_.empty()) return;  // no open shard: nothing is routed
  constexpr int kShift = 128 - kSliceBits;
  for (size_t i = 0; i < (size_t{1} << kSliceBits); ++i) {
    const HashKey first = HashKey(i) << kShift;
    const HashKey last = first + ((HashKey(1) << kShift) - 1);
    slices_[i] = {last_at_or_below(first), last_at_or_below(last)};
  }
}

std::shared_ptr<const StreamImpl::RoutingTable> StreamImpl::routing() const {
  MutexLock lock(&topology_mu_);
  return routing_;
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

size_t StreamImpl::SegmentCountForTesting() const {
  size_t segments = 0;
  for (ShardImpl* shard : SnapshotShards()) {
    segments += shard->SegmentCountForTesting();
  }
  return segments;
}

std::vector<ShardDescription> StreamImpl::ListShards() const {
  FollowTopology();
  std::vector<ShardDescription> out;
  for (ShardImpl* shard : SnapshotShards()) out.push_back(shard->Describe());
  return out;
}

StreamOptions StreamImpl::options() const {
  StreamOptions o = options_;
  o.retention_period = absl::Milliseconds(retention_period_millis());
  o.retention_bytes = retention_bytes();
  return o;
}

StreamDescription StreamImpl::DescribeStream() const {
  MaybeTrimExpired(env_->NowMillis());
  StreamDescription d;
  d.stream_name = options_.name;
  d.stream_status = "ACTIVE";
  d.retention_period = absl::Milliseconds(retention_period_millis());
  d.shards = ListShards();
  for (const ShardDescription& s : d.shards) {
    if (s.is_open()) ++d.open_shard_count;
  }
  d.stored_bytes = Lazy(0) == nullptr
                       ? stored_bytes_.load(std::memory_order_relaxed)
                       : LazyStoredBytes();
  return d;
}

absl::StatusOr<ShardImpl*> StreamImpl::FindShard(
    absl::string_view shard_id) const {
  FollowTopology();
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
  return absl::NotFoundError(absl::StrCat(
      "stream ", options_.name, ": no shard \"", shard_id.substr(0, 64), "\""));
}

absl::StatusOr<Shard*> StreamImpl::GetShard(absl::string_view shard_id) const {
  absl::StatusOr<ShardImpl*> shard = FindShard(shard_id);
  if (!shard.ok()) return shard.status();
  return *shard;
}

int64_t StreamImpl::TrimExpired() {
  return TrimExpiredAt(env_->NowMillis(), /*wait=*/true);
}

}  // namespace internal
}  // namespace brook
