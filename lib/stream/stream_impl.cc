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
#include "util/duration.h"
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
  if (o.durability == Durability::kGroupCommit && o.group_commit_bytes == 0 &&
      o.group_commit_interval == absl::ZeroDuration()) {
    return bad(
        "kGroupCommit needs group_commit_bytes or group_commit_interval");
  }
  return absl::OkStatus();
}

// Checks that the shards of `meta` are numbered 0.. in order, that parents
// come before their children, and that the open shards tile the key space,
// so that routing cannot go wrong.
absl::Status ValidateShards(const proto::StreamMeta& meta,
                            absl::string_view path) {
  std::vector<std::pair<HashKey, HashKey>> open;
  for (int i = 0; i < meta.shards_size(); ++i) {
    const proto::ShardMeta& s = meta.shards(i);
    const HashKey start =
        absl::MakeUint128(s.range().starting_high(), s.range().starting_low());
    const HashKey end =
        absl::MakeUint128(s.range().ending_high(), s.range().ending_low());
    if (s.number() != static_cast<uint32_t>(i) || end < start) {
      return absl::DataLossError(
          absl::StrCat(path, ": shard ", i, " has a bad number or range"));
    }
    if (!s.closed()) open.emplace_back(start, end);
  }
  std::sort(open.begin(), open.end());
  HashKey next = 0;
  for (const auto& [start, end] : open) {
    if (start != next) {
      return absl::DataLossError(absl::StrCat(
          path, ": open shards leave a gap or overlap at hash key ",
          HashKeyToString(next)));
    }
    next = end + 1;
  }
  if (open.empty() || next != 0) {
    return absl::DataLossError(
        absl::StrCat(path, ": open shards do not cover the hash key space"));
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
    *meta.add_shards() =
        ShardMetaOf(static_cast<uint32_t>(i), ranges[i], kFirstPosition, {});
  }
  return meta;
}

// For an open that found nothing where it looked: kFailedPrecondition if
// something is at `dir` but it is not a directory (a regular file), kNotFound
// if nothing is, OK for a directory (or when it cannot tell).
absl::Status CheckStreamDir(Env* env, absl::string_view dir) {
  const absl::StatusOr<std::vector<std::string>> names = env->ListDir(dir);
  if (names.ok() || !absl::IsNotFound(names.status())) return absl::OkStatus();
  const absl::StatusOr<bool> exists = env->FileExists(dir);
  if (exists.ok() && *exists) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream directory ", dir, ": not a directory"));
  }
  return absl::NotFoundError(
      absl::StrCat("stream directory ", dir, ": not found"));
}

}  // namespace

StreamImpl::StreamImpl(const StreamOptions& options,
                       std::unique_ptr<SegmentStore> store)
    : options_(options),
      segment_roll_millis_(absl::ToInt64Milliseconds(options.segment_roll_age)),
      env_(options.env != nullptr ? options.env : Env::Default()),
      store_(std::move(store)),
      retention_period_millis_(
          absl::ToInt64Milliseconds(options.retention_period)),
      retention_bytes_(options.retention_bytes),
      expired_before_millis_(kTimeMin),
      next_sweep_millis_(kTimeMin) {}

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

absl::StatusOr<std::unique_ptr<StreamImpl>> StreamImpl::Open(
    absl::string_view dir, const StreamOptions& options, OpenMode mode) {
  Env* const env = options.env != nullptr ? options.env : Env::Default();
  const bool read_only =
      mode == OpenMode::kReadOnly || mode == OpenMode::kVerify;
  const std::string dir_string(dir);
  const bool create_only = mode == OpenMode::kCreateOnly;
  const bool may_create = mode == OpenMode::kCreateIfMissing || create_only;
  if (!may_create && mode != OpenMode::kMustExist && !read_only) {
    return absl::InvalidArgumentError(absl::StrCat("stream directory ", dir,
                                                   ": unknown open mode ",
                                                   static_cast<int>(mode)));
  }
  // Validate before touching the disk. Options that an existing stream's
  // stored ones replace are checked against those later.
  if (may_create ||
      (mode == OpenMode::kMustExist && !options.accept_stored_options)) {
    BROOK_RETURN_IF_ERROR(ValidateOptions(options));
  }
  if (may_create) BROOK_RETURN_IF_ERROR(env->CreateDir(dir));
  std::unique_ptr<FileLock> lock;
  if (!read_only) {
    absl::StatusOr<std::unique_ptr<FileLock>> locked =
        env->LockFile(absl::StrCat(dir, "/LOCK"), /*shared=*/false);
    if (!locked.ok()) {
      if (absl::IsFailedPrecondition(locked.status()) && create_only) {
        // The holder writes an existing stream or is creating one.
        return absl::AlreadyExistsError(
            absl::StrCat("stream directory ", dir,
                         ": holds a stream (open for writing by another "
                         "process or Stream)"));
      }
      if (absl::IsFailedPrecondition(locked.status())) {
        return absl::FailedPreconditionError(absl::StrCat(
            "stream directory ", dir,
            ": already open for writing by another process or Stream"));
      }
      if (absl::IsNotFound(locked.status())) {
        BROOK_RETURN_IF_ERROR(CheckStreamDir(env, dir));
        return absl::NotFoundError(
            absl::StrCat("stream directory ", dir, ": not found"));
      }
      return locked.status();
    }
    lock = *std::move(locked);
  }
  if (read_only) {
    // Nothing is created (READERS below) in a directory holding no stream.
    absl::StatusOr<bool> has_meta = env->FileExists(StreamMetaPath(dir));
    if (!has_meta.ok() && !absl::IsNotFound(has_meta.status())) {
      return has_meta.status();
    }
    if (!has_meta.ok() || !*has_meta) {
      BROOK_RETURN_IF_ERROR(CheckStreamDir(env, dir));
      return absl::NotFoundError(
          absl::StrCat("stream directory ", dir, ": holds no stream"));
    }
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
      env->SleepFor(absl::Microseconds(1000));
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
  bool creating = false;
  absl::StatusOr<proto::StreamMeta> read = ReadStreamMeta(env, dir);
  bool created = false;
  if (read.ok() && create_only) {
    return absl::AlreadyExistsError(
        absl::StrCat("stream directory ", dir, ": holds a stream"));
  } else if (read.ok()) {
    meta = *std::move(read);
    BROOK_RETURN_IF_ERROR(ValidateShards(meta, StreamMetaPath(dir)));
    clean = meta.clean_shutdown();
  } else if (absl::IsNotFound(read.status()) && may_create) {
    created = true;
    meta = NewStreamMeta(options);
    clean = true;  // nothing to check
    creating = true;
  } else if (absl::IsNotFound(read.status())) {
    return absl::NotFoundError(
        absl::StrCat("stream directory ", dir, ": holds no stream"));
  } else {
    return read.status();
  }
  {
    // Bytes from disk are not the caller's argument: out of range is damage.
    StreamOptions stored = OptionsFromMeta(meta.options());
    stored.env = options.env;
    if (absl::Status valid = ValidateOptions(stored); !valid.ok()) {
      return absl::DataLossError(absl::StrCat(
          StreamMetaPath(dir), ": bad options: ", valid.message()));
    }
  }
  if (!created && !read_only && !options.accept_stored_options) {
    BROOK_RETURN_IF_ERROR(CheckStoredOptions(meta, options, dir));
  }
  StreamOptions opened = OpenedOptions(meta.options(), options);
  BROOK_RETURN_IF_ERROR(ValidateOptions(opened));

  MmapStoreOptions store_options;
  store_options.dir = dir_string;
  store_options.env = env;
  store_options.shard_count = meta.shards_size();
  store_options.segment_bytes = opened.segment_bytes;
  store_options.durability = opened.durability;
  store_options.group_commit_bytes = opened.group_commit_bytes;
  store_options.group_commit_millis =
      absl::ToInt64Milliseconds(opened.group_commit_interval);
  store_options.read_only = read_only;
  auto store = std::make_unique<MmapSegmentStore>(store_options);
  MmapSegmentStore* durable = store.get();
  std::unique_ptr<StreamImpl> stream(new StreamImpl(opened, std::move(store)));
  stream->durable_ = durable;
  stream->dir_ = dir_string;
  stream->read_only_ = read_only;
  stream->reader_lock_ = std::move(reader_lock);
  stream->report_.clean_shutdown = clean;
  if (read_only) {
    // Shards are recovered at their first read; see EnsureRecovered().
    for (const proto::ShardMeta& s : meta.shards()) {
      auto lazy = std::make_unique<LazyShard>();
      lazy->expect.start_position = s.start_position();
      lazy->expect.closed = s.closed();
      lazy->expect.end_position = s.end_position();
      lazy->expect.writer_may_be_live = !meta.clean_shutdown();
      if (meta.clean_shutdown() && s.has_stored_bytes()) {
        lazy->recorded_bytes = s.stored_bytes();
      }
      stream->lazy_.push_back(std::move(lazy));
    }
  }
  stream->creating_ = creating;
  stream->verify_all_ = mode == OpenMode::kVerify;
  BROOK_RETURN_IF_ERROR(stream->AdoptMeta(meta, &stream->report_));
  if (!read_only) {
    // From here until Close() the directory is not clean.
    proto::StreamMeta dirty;
    {
      MutexLock l(&stream->close_mu_);
      stream->meta_.set_clean_shutdown(false);
      // Bounds markers are kept from now on (an older version's are not).
      stream->meta_.set_format_version(kStreamMetaVersion);
      dirty = stream->meta_;
    }
    BROOK_RETURN_IF_ERROR(WriteStreamMeta(env, dir, dirty));
    stream->lock_ = std::move(lock);
  }
  return stream;
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

size_t StreamImpl::SegmentCountForTesting() const {
  size_t segments = 0;
  for (ShardImpl* shard : SnapshotShards()) {
    segments += shard->SegmentCountForTesting();
  }
  return segments;
}

std::vector<ShardDescription> StreamImpl::ListShards() const {
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
  d.stored_bytes = lazy_.empty() ? stored_bytes_.load(std::memory_order_relaxed)
                                 : LazyStoredBytes();
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
