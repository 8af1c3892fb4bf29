// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The exporter's checkpoint file: its one owner. Encoding, decoding with
// every check, and the atomic write (temp file, fsync, rename, fsync of the
// directory). The format is EXPORT_CHECKPOINT_FORMAT.md.
//
// Thread safety: pure functions, plus file I/O through the given Env.

#ifndef BROOK_LIB_REMOTE_EXPORT_CHECKPOINT_H_
#define BROOK_LIB_REMOTE_EXPORT_CHECKPOINT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/env.h"
#include "brook/record.h"

namespace brook {
namespace internal {

inline constexpr uint32_t kExportCheckpointVersion = 1;

struct ExportShardCheckpoint {
  std::string shard_id;
  bool finished = false;
  // The last sequence number the service acknowledged; none yet if empty.
  std::optional<SequenceNumber> acknowledged;
};

struct ExportCheckpointData {
  std::string local_stream_name;
  std::string remote_stream_name;
  std::vector<ExportShardCheckpoint> shards;  // distinct shard ids
  uint64_t records_lost = 0;
  uint64_t records_exported = 0;
  int64_t saved_at_millis = 0;
};

std::string EncodeExportCheckpoint(const ExportCheckpointData& data);

// Decodes the bytes of the file at `path` (named in messages). kDataLoss for
// a bad magic, length, checksum or contents (an empty or repeated shard id);
// kFailedPrecondition for a version other than kExportCheckpointVersion.
absl::StatusOr<ExportCheckpointData> DecodeExportCheckpoint(
    absl::string_view path, absl::string_view bytes);

// Takes the exclusive flock on "<path>.lock" that one exporter holds on its
// checkpoint for its lifetime (two would both send and overwrite each
// other's positions), first creating the directory of `path` if it is named
// "exports" (the default place, `DefaultExportCheckpointPath()`).
// kFailedPrecondition, naming the path, if another holds it.
absl::StatusOr<std::unique_ptr<FileLock>> LockExportCheckpoint(
    Env* env, absl::string_view path);

// Reads and decodes `path`; nullopt if there is no such file.
absl::StatusOr<std::optional<ExportCheckpointData>> ReadExportCheckpoint(
    Env* env, absl::string_view path);

// Replaces `path` atomically with `data`, durably.
absl::Status WriteExportCheckpoint(Env* env, absl::string_view path,
                                   const ExportCheckpointData& data);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_REMOTE_EXPORT_CHECKPOINT_H_
