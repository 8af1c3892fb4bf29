// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The metadata file of a durable stream directory, <dir>/STREAM, holding a
// `proto::StreamMeta` (lib/proto/stream_meta.proto): options, shards and the
// clean-shutdown flag. Replaced atomically: STREAM.tmp is written and synced,
// renamed over STREAM, and the directory synced.
//
// Thread safety: free functions; callers serialise writes to one directory.

#ifndef BROOK_LIB_STREAM_STREAM_META_H_
#define BROOK_LIB_STREAM_STREAM_META_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/env.h"
#include "brook/options.h"
#include "brook/partitioner.h"

#include "proto/stream_meta.pb.h"

namespace brook {
namespace internal {

// The format version this build writes, and the oldest it reads. Version 2
// keeps a bounds marker in each shard directory (SEGMENT_FORMAT.md); a
// version 1 directory is upgraded by the first writable open.
inline constexpr uint32_t kStreamMetaVersion = 2;
inline constexpr uint32_t kOldestStreamMetaVersion = 1;
// Version 3: the stream may hold zstd-compressed frames (codec bits, which
// older builds ignore). Written instead of 2 while the stream compresses
// (MetaVersionFor()), so that an older build refuses it.
inline constexpr uint32_t kCompressedStreamMetaVersion = 3;
// The version `meta` is to be written in: 3 with compression, else 2.
uint32_t MetaVersionFor(const proto::StreamMeta& meta);

std::string StreamMetaPath(absl::string_view dir);

// Reads <dir>/STREAM. Returns kNotFound if it is missing and kDataLoss if it
// does not parse or has a format version this build does not know.
absl::StatusOr<proto::StreamMeta> ReadStreamMeta(Env* env,
                                                 absl::string_view dir);

// Replaces <dir>/STREAM with `meta`, durably.
absl::Status WriteStreamMeta(Env* env, absl::string_view dir,
                             const proto::StreamMeta& meta);

void OptionsToMeta(const StreamOptions& options, proto::OptionsMeta* meta);
// The options `meta` holds; `env` is not persisted and is set by the caller.
StreamOptions OptionsFromMeta(const proto::OptionsMeta& meta);

// The options an existing stream opens with: the fields options.h calls
// "stored with the stream" from `meta`, the fields "of this open" (durability,
// group commit, env, accept_stored_options) from `passed`.
StreamOptions OpenedOptions(const proto::OptionsMeta& meta,
                            const StreamOptions& passed);

// Returns kFailedPrecondition naming the first stored option whose value in
// `passed` differs from the stream's in `meta` (with both values), OK if none
// does. `shard_count` is compared with the stream's open shards now.
absl::Status CheckStoredOptions(const proto::StreamMeta& meta,
                                const StreamOptions& passed,
                                absl::string_view dir);

// The metadata entry of shard `number`: its range, first position and
// parents (none, the parent of a split, or both parents of a merge).
proto::ShardMeta ShardMetaOf(uint32_t number, const HashKeyRange& range,
                             uint64_t start_position,
                             const std::vector<std::string>& parents);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_STREAM_META_H_
