// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What creating a stream (stream_impl.cc) and opening a durable one
// (stream_open.cc) share.
//
// Thread safety: pure functions.

#ifndef BROOK_LIB_STREAM_STREAM_OPEN_H_
#define BROOK_LIB_STREAM_STREAM_OPEN_H_

#include "absl/status/status.h"

#include "brook/options.h"

#include "proto/stream_meta.pb.h"

namespace brook {
namespace internal {

// Returns kInvalidArgument naming the first option of `o` out of range.
absl::Status ValidateOptions(const StreamOptions& o);

// The metadata of a new stream: `options` and uniform shards.
proto::StreamMeta NewStreamMeta(const StreamOptions& options);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_STREAM_OPEN_H_
