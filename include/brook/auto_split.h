// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What a stream's on-demand mode (`ThroughputOptions::on_demand` in
// options.h) reports through `Stream::AutoSplitEvents()`: each automatic
// split, each shard found to hold a hot key, each failed split.
//
// Thread safety: plain values.

#ifndef BROOK_AUTO_SPLIT_H_
#define BROOK_AUTO_SPLIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

#include "brook/record.h"

namespace brook {

// What on-demand mode (`ThroughputOptions::on_demand`) did about a shard
// whose writes ran above `split_bytes_per_second` over a window. Not
// persisted (see `Stream::AutoSplitEvents()`).
enum class AutoSplitOutcome : int {
  // The shard was split at `hash_key`, the median of its writes; the
  // children are `child_shard_ids` (low range first).
  kSplit = 0,
  // No split divides the shard's writes: one hash key, `hash_key`, carries
  // `share_percent` (more than 90) percent of them, or the median is a key
  // no split may start at. The shard stays as it is and is not checked
  // again (a manual `SplitShard()` still works).
  kHotKey = 1,
  // The split was attempted and failed with `status` (an I/O error writing
  // the metadata, or a reshard closed the shard first). Not retried for
  // this window; the next window over the threshold tries again.
  kFailed = 2,
};

struct AutoSplitEvent {
  // When it happened, on the `Env` clock (ms since the epoch).
  int64_t at_millis = 0;
  std::string shard_id;
  AutoSplitOutcome outcome = AutoSplitOutcome::kSplit;
  // The window's write rate, bytes per second.
  int64_t bytes_per_second = 0;
  // kSplit: the children's new starting hash key; kHotKey: the hot key.
  HashKey hash_key = 0;
  // kHotKey: the percentage of the window's (sampled) bytes the larger side
  // of the best split would have taken.
  int share_percent = 0;
  std::vector<std::string> child_shard_ids;  // kSplit only
  absl::Status status;                       // kFailed only
};

}  // namespace brook

#endif  // BROOK_AUTO_SPLIT_H_
