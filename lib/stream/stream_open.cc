// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Opening a durable stream (StreamImpl::Open()), step by step: the writer's or
// the readers' lock, STREAM read (or a new stream's made), the options to
// open with, the segment store, the shards recovered (AdoptMeta()), and
// STREAM marked in use.

#include "stream/stream_open.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "store/mmap_segment_store.h"
#include "stream/stream_impl.h"
#include "stream/stream_meta.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

namespace {

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

// Open()'s steps, in order.

// The writer's LOCK of `dir`: one writer per directory.
absl::StatusOr<std::unique_ptr<FileLock>> LockForWriting(Env* env,
                                                         absl::string_view dir,
                                                         bool create_only) {
  absl::StatusOr<std::unique_ptr<FileLock>> locked =
      env->LockFile(absl::StrCat(dir, "/LOCK"), /*shared=*/false);
  if (locked.ok()) return locked;
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

// A reader's shared lock on READERS, after checking that `dir` holds a
// stream (nothing is created in a directory that does not). Null when the
// lock cannot be had for want of write permission.
absl::StatusOr<std::unique_ptr<FileLock>> LockForReading(
    Env* env, absl::string_view dir) {
  absl::StatusOr<bool> has_meta = env->FileExists(StreamMetaPath(dir));
  if (!has_meta.ok() && !absl::IsNotFound(has_meta.status())) {
    return has_meta.status();
  }
  if (!has_meta.ok() || !*has_meta) {
    BROOK_RETURN_IF_ERROR(CheckStreamDir(env, dir));
    return absl::NotFoundError(
        absl::StrCat("stream directory ", dir, ": holds no stream"));
  }
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
  if (locked.ok()) return locked;
  if (absl::IsNotFound(locked.status())) {
    return absl::NotFoundError(
        absl::StrCat("stream directory ", dir, ": not found"));
  }
  return std::unique_ptr<FileLock>();
}

// STREAM as read from `dir`, or a new stream's when it holds none and the
// mode may create one (`*created`).
absl::StatusOr<proto::StreamMeta> ReadOrNewMeta(Env* env, absl::string_view dir,
                                                const StreamOptions& options,
                                                OpenMode mode, bool* created) {
  const bool create_only = mode == OpenMode::kCreateOnly;
  const bool may_create = mode == OpenMode::kCreateIfMissing || create_only;
  absl::StatusOr<proto::StreamMeta> read = ReadStreamMeta(env, dir);
  if (read.ok() && create_only) {
    return absl::AlreadyExistsError(
        absl::StrCat("stream directory ", dir, ": holds a stream"));
  } else if (read.ok()) {
    BROOK_RETURN_IF_ERROR(ValidateShards(*read, StreamMetaPath(dir)));
    return read;
  } else if (absl::IsNotFound(read.status()) && may_create) {
    *created = true;
    return NewStreamMeta(options);
  } else if (absl::IsNotFound(read.status())) {
    return absl::NotFoundError(
        absl::StrCat("stream directory ", dir, ": holds no stream"));
  }
  return read.status();
}

// The options the stream opens with: the stored ones, which must be valid,
// and checked against `options` unless they are taken as stored.
absl::StatusOr<StreamOptions> OptionsToOpenWith(const proto::StreamMeta& meta,
                                                const StreamOptions& options,
                                                absl::string_view dir,
                                                bool check_given) {
  {
    // Bytes from disk are not the caller's argument: out of range is damage.
    StreamOptions stored = OptionsFromMeta(meta.options());
    stored.env = options.env;
    if (absl::Status valid = ValidateOptions(stored); !valid.ok()) {
      return absl::DataLossError(absl::StrCat(
          StreamMetaPath(dir), ": bad options: ", valid.message()));
    }
  }
  if (check_given && !options.accept_stored_options) {
    BROOK_RETURN_IF_ERROR(CheckStoredOptions(meta, options, dir));
  }
  StreamOptions opened = OpenedOptions(meta.options(), options);
  BROOK_RETURN_IF_ERROR(ValidateOptions(opened));
  return opened;
}

std::unique_ptr<MmapSegmentStore> NewDurableStore(Env* env,
                                                  absl::string_view dir,
                                                  const StreamOptions& opened,
                                                  int shard_count,
                                                  bool read_only) {
  MmapStoreOptions store_options;
  store_options.dir = std::string(dir);
  store_options.env = env;
  store_options.shard_count = shard_count;
  store_options.segment_bytes = opened.segment_bytes;
  store_options.durability = opened.durability;
  store_options.group_commit_bytes = opened.group_commit_bytes;
  store_options.group_commit_millis =
      absl::ToInt64Milliseconds(opened.group_commit_interval);
  store_options.read_only = read_only;
  return std::make_unique<MmapSegmentStore>(store_options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamImpl>> StreamImpl::Open(
    absl::string_view dir, const StreamOptions& options, OpenMode mode) {
  Env* const env = options.env != nullptr ? options.env : Env::Default();
  const bool read_only =
      mode == OpenMode::kReadOnly || mode == OpenMode::kVerify;
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
  std::unique_ptr<FileLock> reader_lock;
  if (read_only) {
    BROOK_ASSIGN_OR_RETURN(reader_lock, LockForReading(env, dir));
  } else {
    BROOK_ASSIGN_OR_RETURN(lock, LockForWriting(env, dir, create_only));
  }
  bool created = false;
  BROOK_ASSIGN_OR_RETURN(proto::StreamMeta meta,
                         ReadOrNewMeta(env, dir, options, mode, &created));
  BROOK_ASSIGN_OR_RETURN(
      const StreamOptions opened,
      OptionsToOpenWith(meta, options, dir, !created && !read_only));

  std::unique_ptr<MmapSegmentStore> store =
      NewDurableStore(env, dir, opened, meta.shards_size(), read_only);
  MmapSegmentStore* durable = store.get();
  std::unique_ptr<StreamImpl> stream(new StreamImpl(opened, std::move(store)));
  stream->durable_ = durable;
  stream->dir_ = std::string(dir);
  stream->read_only_ = read_only;
  stream->reader_lock_ = std::move(reader_lock);
  stream->codec_ =
      std::make_shared<FrameCodec>(env, stream->dir_, opened.compression_level);
  if (!read_only && meta.compression_dictionary_id() != 0) {
    // New frames go on with the dictionary they were compressed with.
    BROOK_RETURN_IF_ERROR(
        stream->codec_->UseDictionary(meta.compression_dictionary_id()));
  }
  // A new stream has nothing to check.
  stream->report_.clean_shutdown = created || meta.clean_shutdown();
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
      MutexLock topology(&stream->topology_mu_);
      stream->lazy_.push_back(std::move(lazy));
    }
  }
  stream->creating_ = created;
  stream->verify_all_ = mode == OpenMode::kVerify;
  stream->following_ = mode == OpenMode::kReadOnly && opened.follow;
  BROOK_RETURN_IF_ERROR(stream->AdoptMeta(meta, &stream->report_));
  if (stream->following_) {
    // STREAM may have changed since it was read above: the first
    // FollowTopology() reads it again whatever FOLLOW's counter says.
    MutexLock l(&stream->follow_mu_);
    stream->follow_change_ = ~uint64_t{0};
  }
  if (!read_only) {
    // Followers learn the shards' ends from FOLLOW from now on.
    BROOK_RETURN_IF_ERROR(
        durable->StartPublishing(static_cast<uint32_t>(meta.shards_size())));
    for (ShardImpl* shard : stream->SnapshotShards()) shard->Republish();
    // From here until Close() the directory is not clean.
    proto::StreamMeta dirty;
    {
      MutexLock l(&stream->close_mu_);
      stream->meta_.set_clean_shutdown(false);
      // Bounds markers are kept from now on (an older version's are not).
      stream->meta_.set_format_version(MetaVersionFor(stream->meta_));
      dirty = stream->meta_;
    }
    BROOK_RETURN_IF_ERROR(WriteStreamMeta(env, dir, dirty));
    stream->lock_ = std::move(lock);
  }
  return stream;
}

}  // namespace internal
}  // namespace brook
