// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The byte encoding of a `WindowPipeline`'s state (pipeline.h): the shards it
// follows (their lineage, where each stands, their watermark assigners), the
// watermark combiner's state and the window operator's state, versioned and
// checksummed. The layout is documented in
// lib/window/PIPELINE_STATE_FORMAT.md; keep the two in sync. State written by
// format versions 1 and 2 keeps loading (test/testdata/pipeline/ holds such
// states).
//
// Not API: include "brook/pipeline.h".
//
// Thread safety: pure functions.

#ifndef BROOK_INTERNAL_PIPELINE_STATE_H_
#define BROOK_INTERNAL_PIPELINE_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/export.h"
#include "brook/record.h"

namespace brook {
namespace internal {

// "BWPS" (brook window pipeline state) as a little-endian u32.
inline constexpr uint32_t kPipelineStateMagic = 0x53505742;
// The newest version this build reads and writes. `EncodePipelineState()`
// writes version 2 when every saved position is below 2^128 (every local
// stream's), so builds that read only versions 1 and 2 still restore it, and
// version 3 (positions with their top 64 bits: a remote stream's 56-digit
// sequence numbers) otherwise, which those builds refuse rather than misread.
inline constexpr uint32_t kPipelineStateVersion = 3;

// Where a shard the pipeline follows stands. Persisted: never renumber.
enum class PipelineShard : uint8_t {
  // Not started: a parent it waits for has not been read to its end.
  kWaiting = 0,
  // Being read.
  kReading = 1,
  // Read to its end; its combiner input holds the watermark at its last
  // value until every child it has has started.
  kEnded = 2,
  // Done: its combiner input is finished (or it never had one: a shard
  // `FinishAll()` ended while it waited).
  kFinished = 3,
};

// One shard in saved state.
struct PipelineShardState {
  std::string shard_id;
  // Its parents that the pipeline follows or will follow (it waits for
  // them; one not followed yet descends from a followed shard).
  std::vector<std::string> parents;
  PipelineShard state = PipelineShard::kReading;
  // The last sequence number read; none if nothing was read.
  std::optional<SequenceNumber> last;
  // Its watermark combiner input, -1 if it never started.
  int32_t input = -1;
  // `WatermarkAssigner::SaveState()`; empty if it never started.
  std::string watermarks;
};

// Decoded pipeline state.
struct PipelineState {
  // The version the bytes were written with (1, 2 or 3). Version 1 bytes
  // come out as version 2 would hold them: input i is combiner input i,
  // reading or finished, with no parents.
  uint32_t version = kPipelineStateVersion;
  std::vector<PipelineShardState> shards;
  std::string combiner;  // WatermarkCombiner::SaveState()
  std::string window;    // WindowOperator::SaveState()
};

// Encodes `state` in version 2, or 3 if a shard's `last` has a non-zero
// `high()` (its `version` is ignored).
BROOK_EXPORT std::string EncodePipelineState(const PipelineState& state);

// Decodes bytes of version 1, 2 or 3. Returns kDataLoss, naming what is wrong
// and where, for truncated or damaged bytes, a bad magic, an unknown version,
// a checksum mismatch, trailing bytes, or a state that is inconsistent in
// itself: a shard id twice, a shard its own parent, started shards whose combiner inputs are not 0..n-1 each
// once, a waiting shard with a position, an input or assigner state, or no
// started shard at all. The parts' own bytes (assigner, combiner, operator
// state) are not decoded.
BROOK_EXPORT absl::StatusOr<PipelineState> DecodePipelineState(
    absl::string_view bytes);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_INTERNAL_PIPELINE_STATE_H_
