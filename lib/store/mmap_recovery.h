// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Recovery of one shard of the durable segment store, in four steps that
// `RecoverShardLog()` runs in order: listing the shard directory (segment
// files, the shard's bounds marker, leftovers), scanning each segment's
// frames, finding where the log ends and what evidence says it must reach
// (STREAM's positions, the bounds marker), and repairing a torn tail. The
// rules are in SEGMENT_FORMAT.md; MmapSegmentStore::RecoverShard() adopts the
// result. The frame-level functions are in mmap_scan.cc, the frame checker in
// batch_format.h.
//
// Thread safety: the functions share no state; each call may run on its own
// thread. Read-only recovery tolerates a writer changing the directory and
// the files meanwhile (see `RecoverShardLog()`).

#ifndef BROOK_LIB_STORE_MMAP_RECOVERY_H_
#define BROOK_LIB_STORE_MMAP_RECOVERY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/env.h"
#include "brook/recovery.h"

#include "store/segment.h"

namespace brook {
namespace internal {

inline constexpr size_t kPageBytes = 4096;
inline constexpr absl::string_view kSegmentSuffix = ".seg";
inline constexpr absl::string_view kRecycleSuffix = ".recycle";
inline constexpr absl::string_view kBoundsSuffix = ".bounds";

// <20-digit base position>.seg
std::string SegmentName(uint64_t base_position);
// The base position a segment file name stands for, or false if `name` is
// not one.
bool ParseSegmentName(absl::string_view name, uint64_t* base);
// <20-digit trim>-<20-digit head>.bounds: the shard's bounds marker.
std::string BoundsName(uint64_t trim, uint64_t head);
bool ParseBoundsName(absl::string_view name, uint64_t* trim, uint64_t* head);

// What STREAM says about a shard.
struct ShardExpectation {
  uint64_t start_position = 0;  // the shard's first position
  bool closed = false;
  uint64_t end_position = 0;  // one past the last record, if `closed`
  // The stream is being created: no directory is expected yet.
  bool creating = false;
  // A writer may be appending meanwhile (STREAM was not marked clean). Only
  // then does a read-only recovery take an uncommitted frame at the end for
  // the writer's append in progress; in a cleanly closed directory it is
  // damage, reported as such.
  bool writer_may_be_live = true;
};

// A segment file as recovery read it.
struct ScannedSegment {
  std::string path;
  uint64_t base = 0;
  std::unique_ptr<MappedRegion> region;  // null for an empty file
  size_t size = 0;
  // Frames [0, end_offset) are valid and hold [base, end_position).
  size_t end_offset = 0;
  uint64_t end_position = 0;
  std::vector<BatchIndexEntry> batches;
  int64_t first_arrival_millis = 0;
  int64_t last_arrival_millis = 0;
  // Bytes of valid frames whose CRC was checked.
  size_t checksummed = 0;
  // Set if the walk stopped at a bad frame at `end_offset`; `uncommitted` if
  // that frame's header lacks kBatchHasCrc (an append that never committed).
  bool bad = false;
  bool uncommitted = false;
  std::string reason;
  // Not opened (ShardRecoveryOptions::lazy_index): `region` is null, `size`
  // 0, `batches` empty, and `end_position` the next file's base.
  bool lazy = false;
  // The bytes to scan when `region` is null: a segment mapped elsewhere
  // (MmapSegmentStore::IndexSegment()).
  const char* borrowed = nullptr;

  const char* data() const { return region ? region->data() : borrowed; }
};

// A shard's log as recovery found it: the files holding it, oldest first
// (the last may be empty), and where the next append starts.
struct ShardLog {
  std::vector<ScannedSegment> segments;
  uint64_t end_position = 0;
  uint64_t latest_base = 0;  // base of the last file kept; 0 if none
  // Every frame's CRC was checked (an unclean directory, or doubt).
  bool verified_crc = false;
  // Name of the bounds marker found in the directory; empty if none.
  std::string bounds_name;
};

struct ShardRecoveryOptions {
  Env* env = nullptr;
  std::string dir;  // the shard's directory
  bool writable = false;
  bool verify_crc = false;
  // Read-only only: only the last file is opened and walked (and those
  // before it while the last walked holds no committed batch); every older
  // file is left unopened (`ScannedSegment::lazy`), and opened and walked
  // when a reader needs it (MmapSegmentStore::OpenSegment(),
  // IndexSegment()).
  bool lazy_index = false;
  ShardExpectation expect;
};

// Walks the frames of `s` from `s.end_offset` (0 for a fresh scan, with
// `end_position` = `base`), appending to `s.batches`; stops at the end of the
// log or at a bad frame (`bad`, `reason`).
void ContinueScan(ScannedSegment& s, bool verify_crc);
// Scans `s` from its start.
void ScanFrames(ScannedSegment& s, bool verify_crc);

// True if a complete, checksummed frame holding positions at or after
// `min_position` starts in `s` after the bad frame or end of log at `end`:
// either at a record boundary of the frame at `end` (walking its records as
// if its header were lost), or at any offset before the first all-zero 4 KiB
// page after `end` or the first intact older frame of a recycled file. So it
// reads about one page past the end of a fresh file, not its preallocated
// tail (SEGMENT_FORMAT.md states the guarantee).
bool ValidFrameFollows(const ScannedSegment& s, size_t end,
                       uint64_t min_position);

// True if the frame at `off` of `s` is a complete, checksummed frame holding
// position `expected` (any if 0).
bool ValidFrameAt(const ScannedSegment& s, size_t off, uint64_t expected);

// Recovers the shard in `o.dir`, adding what it checked and found to
// `report`. Torn tails are zeroed (writable only) and reported; damage before
// the tail, and positions that STREAM or the bounds marker say exist but no
// file holds, are reported with `data_loss` set, and a writable recovery then
// returns kDataLoss naming the file and the positions. A read-only recovery
// keeps the log before the first gap or damage, and re-lists and re-scans
// the shard (a few times) while it finds a problem, so that a writer's
// appends, rolls and retention meanwhile are not reported as damage; at the
// end of the shard's last segment it treats a frame that was never committed
// as the writer's live end, not as a torn tail.
absl::StatusOr<ShardLog> RecoverShardLog(const ShardRecoveryOptions& o,
                                         RecoveryReport* report);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STORE_MMAP_RECOVERY_H_
