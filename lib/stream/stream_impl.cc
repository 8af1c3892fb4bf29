// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "stream/stream_impl.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "stream/sequence.h"
#include "stream/stream_meta.h"
#include "util/status_macros.h"

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

absl::StatusOr<std::unique_ptr<Stream>> Stream::Open(
    absl::string_view dir, const StreamOptions& options, OpenMode mode) {
  absl::StatusOr<std::unique_ptr<internal::StreamImpl>> stream =
      internal::StreamImpl::Open(dir, options, mode);
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
  if (o.durability != Durability::kNone &&
      o.durability != Durability::kGroupCommit &&
      o.durability != Durability::kAlways) {
    return bad("unknown durability ", static_cast<int>(o.durability));
  }
  if (o.segment_roll_millis < 0) {
    return bad("segment_roll_millis must not be negative, got ",
               o.segment_roll_millis);
  }
  if (o.group_commit_bytes < 0 || o.group_commit_millis < 0) {
    return bad("group_commit_bytes and group_commit_millis must not be "
               "negative");
  }
  if (o.durability == Durability::kGroupCommit && o.group_commit_bytes == 0 &&
      o.group_commit_millis == 0) {
    return bad("kGroupCommit needs group_commit_bytes or group_commit_millis");
  }
  return absl::OkStatus();
}

// The metadata of a new stream: `options` and uniform shards.
proto::StreamMeta NewStreamMeta(const StreamOptions& options) {
  proto::StreamMeta meta;
  meta.set_format_version(kStreamMetaVersion);
  OptionsToMeta(options, meta.mutable_options());
  const std::vector<HashKeyRange> ranges =
      UniformHashKeyRanges(options.shard_count);
  for (size_t i = 0; i < ranges.size(); ++i) {
    proto::ShardMeta* shard = meta.add_shards();
    shard->set_number(static_cast<uint32_t>(i));
    proto::HashKeyRangeMeta* r = shard->mutable_range();
    r->set_starting_high(absl::Uint128High64(ranges[i].starting_hash_key));
    r->set_starting_low(absl::Uint128Low64(ranges[i].starting_hash_key));
    r->set_ending_high(absl::Uint128High64(ranges[i].ending_hash_key));
    r->set_ending_low(absl::Uint128Low64(ranges[i].ending_hash_key));
    shard->set_start_position(kFirstPosition);
  }
  return meta;
}

// Checks that the shards of `meta` are numbered 0.. in order and tile the key
// space, so that routing cannot go wrong.
absl::Status ValidateShards(const proto::StreamMeta& meta,
                            absl::string_view path) {
  HashKey next = 0;
  for (int i = 0; i < meta.shards_size(); ++i) {
    const proto::ShardMeta& s = meta.shards(i);
    const HashKey start = absl::MakeUint128(s.range().starting_high(),
                                            s.range().starting_low());
    const HashKey end = absl::MakeUint128(s.range().ending_high(),
                                          s.range().ending_low());
    if (s.number() != static_cast<uint32_t>(i) || start != next || end < start) {
      return absl::DataLossError(
          absl::StrCat(path, ": shard ", i, " has a bad number or range"));
    }
    next = end + 1;
  }
  if (meta.shards_size() == 0 || next != 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": shards do not cover the hash key space"));
  }
  return absl::OkStatus();
}

}  // namespace

StreamImpl::StreamImpl(const StreamOptions& options,
                       std::unique_ptr<SegmentStore> store)
    : options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()),
      store_(std::move(store)) {}

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
  stream->AddShards(NewStreamMeta(options));
  return stream;
}

void StreamImpl::AddShards(const proto::StreamMeta& meta) {
  for (const proto::ShardMeta& s : meta.shards()) {
    const HashKeyRange range{
        absl::MakeUint128(s.range().starting_high(), s.range().starting_low()),
        absl::MakeUint128(s.range().ending_high(), s.range().ending_low())};
    shards_.push_back(std::make_unique<ShardImpl>(
        this, store_.get(), s.number(), range, s.start_position()));
    route_starts_.push_back(range.starting_hash_key);
    route_shards_.push_back(shards_.back().get());
  }
}

absl::StatusOr<std::unique_ptr<StreamImpl>> StreamImpl::Open(
    absl::string_view dir, const StreamOptions& options, OpenMode mode) {
  Env* const env = options.env != nullptr ? options.env : Env::Default();
  const bool read_only = mode == OpenMode::kReadOnly;
  const std::string dir_string(dir);
  if (mode != OpenMode::kCreateIfMissing && mode != OpenMode::kMustExist &&
      !read_only) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stream directory ", dir, ": unknown open mode ",
        static_cast<int>(mode)));
  }
  // Validate before touching the disk.
  if (mode == OpenMode::kCreateIfMissing) {
    BROOK_RETURN_IF_ERROR(ValidateOptions(options));
    BROOK_RETURN_IF_ERROR(env->CreateDir(dir));
  }
  std::unique_ptr<FileLock> lock;
  if (!read_only) {
    absl::StatusOr<std::unique_ptr<FileLock>> locked =
        env->LockFile(absl::StrCat(dir, "/LOCK"), /*shared=*/false);
    if (!locked.ok()) {
      if (absl::IsFailedPrecondition(locked.status())) {
        return absl::FailedPreconditionError(absl::StrCat(
            "stream directory ", dir,
            ": already open for writing by another process or Stream"));
      }
      if (absl::IsNotFound(locked.status())) {
        return absl::NotFoundError(
            absl::StrCat("stream directory ", dir, ": not found"));
      }
      return locked.status();
    }
    lock = *std::move(locked);
  }
  std::unique_ptr<FileLock> reader_lock;
  if (read_only) {
    // Keeps the writer from reusing the files this stream maps. The writer
    // holds it exclusively only for an instant; without write permission to
    // the directory there is no lock and the writer may reuse dropped files
    // this stream still reads.
    absl::StatusOr<std::unique_ptr<FileLock>> locked;
    for (int attempt = 0; attempt < 1000; ++attempt) {
      locked = env->LockFile(ReadersLockPath(dir), /*shared=*/true);
      if (!absl::IsFailedPrecondition(locked.status())) break;
      absl::SleepFor(absl::Milliseconds(1));
    }
    if (locked.ok()) {
      reader_lock = *std::move(locked);
    } else if (absl::IsNotFound(locked.status())) {
      return absl::NotFoundError(
          absl::StrCat("stream directory ", dir, ": not found"));
    }
  }
  proto::StreamMeta meta;
  bool clean = false;
  absl::StatusOr<proto::StreamMeta> read = ReadStreamMeta(env, dir);
  if (read.ok()) {
    meta = *std::move(read);
    BROOK_RETURN_IF_ERROR(ValidateShards(meta, StreamMetaPath(dir)));
    clean = meta.clean_shutdown() && !read_only;
  } else if (absl::IsNotFound(read.status()) &&
             mode == OpenMode::kCreateIfMissing) {
    meta = NewStreamMeta(options);
    clean = true;  // nothing to check
  } else if (absl::IsNotFound(read.status())) {
    return absl::NotFoundError(
        absl::StrCat("stream directory ", dir, ": holds no stream"));
  } else {
    return read.status();
  }
  StreamOptions opened = OptionsFromMeta(meta.options());
  opened.env = options.env;
  BROOK_RETURN_IF_ERROR(ValidateOptions(opened));

  MmapStoreOptions store_options;
  store_options.dir = dir_string;
  store_options.env = env;
  store_options.shard_count = meta.shards_size();
  store_options.segment_bytes = opened.segment_bytes;
  store_options.durability = opened.durability;
  store_options.group_commit_bytes = opened.group_commit_bytes;
  store_options.group_commit_millis = opened.group_commit_millis;
  store_options.read_only = read_only;
  auto store = std::make_unique<MmapSegmentStore>(store_options);
  MmapSegmentStore* durable = store.get();
  std::unique_ptr<StreamImpl> stream(new StreamImpl(opened, std::move(store)));
  stream->durable_ = durable;
  stream->dir_ = dir_string;
  stream->read_only_ = read_only;
  stream->reader_lock_ = std::move(reader_lock);
  stream->report_.clean_shutdown = clean;
  stream->AddShards(meta);
  for (const auto& shard : stream->shards_) {
    BROOK_ASSIGN_OR_RETURN(
        RecoveredShard recovered,
        durable->RecoverShard(shard->number(),
                              meta.shards(static_cast<int>(shard->number()))
                                  .start_position(),
                              /*verify_crc=*/!clean, &stream->report_));
    shard->Recover(std::move(recovered.segments), recovered.end_position);
    if (read_only) shard->Seal();
  }
  if (!read_only) {
    // From here until Close() the directory is not clean.
    meta.set_clean_shutdown(false);
    BROOK_RETURN_IF_ERROR(WriteStreamMeta(env, dir, meta));
    stream->lock_ = std::move(lock);
  }
  {
    absl::MutexLock l(&stream->close_mu_);
    stream->meta_ = std::move(meta);
  }
  return stream;
}

absl::Status StreamImpl::WaitForDurable(absl::string_view shard_id,
                                        SequenceNumber n,
                                        absl::Duration timeout) {
  if (durable_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream ", options_.name,
                     ": a memory stream has no durable storage"));
  }
  if (read_only_) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream directory ", dir_, ": opened read-only"));
  }
  BROOK_ASSIGN_OR_RETURN(ShardImpl * shard, FindShard(shard_id));
  if (ShardNumberOf(n) != shard->number()) {
    return absl::InvalidArgumentError(
        absl::StrCat(shard->id(), ": sequence number ", n.ToString(),
                     " belongs to another shard"));
  }
  const uint64_t position = PositionOf(n);
  if (durable_->SyncedPosition(shard->number()) > position) {
    return absl::OkStatus();
  }
  if (!shard->WaitForPosition(position, timeout)) {
    return absl::DeadlineExceededError(absl::StrCat(
        shard->id(), ": sequence number ", n.ToString(),
        " was not appended within ", absl::FormatDuration(timeout)));
  }
  return durable_->SyncShard(shard->number(), position + 1);
}

absl::Status StreamImpl::Sync() {
  if (durable_ == nullptr || read_only_) return absl::OkStatus();
  {
    absl::MutexLock l(&close_mu_);
    if (closed_) {
      return absl::FailedPreconditionError(
          absl::StrCat("stream directory ", dir_, ": closed"));
    }
  }
  return durable_->SyncAll();
}

void StreamImpl::SimulateCrashForTesting() {
  absl::MutexLock l(&close_mu_);
  closed_ = true;
  for (const auto& shard : shards_) shard->Seal();
  lock_.reset();
}

absl::Status StreamImpl::Close() {
  absl::MutexLock l(&close_mu_);
  if (closed_) return absl::OkStatus();
  closed_ = true;
  for (const auto& shard : shards_) shard->Seal();
  // Only a stream that opened for writing holds the lock (a failed open never
  // marks the directory clean).
  if (durable_ == nullptr || lock_ == nullptr) return absl::OkStatus();
  absl::Status s = durable_->Close();
  if (s.ok()) {
    meta_.set_clean_shutdown(true);
    s = WriteStreamMeta(env_, dir_, meta_);
  }
  lock_.reset();
  return s;
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
