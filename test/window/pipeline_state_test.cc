// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The pipeline state's saved positions: a local stream's (below 2^128) keep
// format version 2 byte for byte; a remote stream's (56-digit numbers) need
// version 3.

#include "brook/internal/pipeline_state.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include <catch2/catch.hpp>

#include "brook/record.h"

#include "testing/status_testing.h"

namespace brook {
namespace internal {
namespace {

// Two shards being read, the first with a position: `last0` and `last1`
// (none if nullopt).
PipelineState TwoShards(std::optional<SequenceNumber> last0,
                        std::optional<SequenceNumber> last1) {
  PipelineState state;
  PipelineShardState a;
  a.shard_id = "shardId-000000000000";
  a.state = PipelineShard::kReading;
  a.last = last0;
  a.input = 0;
  a.watermarks = "assigner-0";
  PipelineShardState b;
  b.shard_id = "shardId-000000000001";
  b.state = PipelineShard::kReading;
  b.last = last1;
  b.input = 1;
  b.watermarks = "assigner-1";
  state.shards = {a, b};
  state.combiner = "combiner";
  state.window = "window";
  return state;
}

uint32_t VersionOf(const std::string& bytes) {
  REQUIRE(bytes.size() >= 8);
  return static_cast<uint8_t>(bytes[4]) |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[5])) << 8;
}

void CheckSameShards(const PipelineState& got, const PipelineState& want) {
  REQUIRE(got.shards.size() == want.shards.size());
  for (size_t i = 0; i < got.shards.size(); ++i) {
    INFO("shard " << i);
    CHECK(got.shards[i].shard_id == want.shards[i].shard_id);
    CHECK(got.shards[i].last == want.shards[i].last);
    CHECK(got.shards[i].input == want.shards[i].input);
    CHECK(got.shards[i].watermarks == want.shards[i].watermarks);
  }
  CHECK(got.combiner == want.combiner);
  CHECK(got.window == want.window);
}

// `TwoShards(FromValue(MakeUint128(5, 0)), nullopt)` as the build before
// version 3 encoded it (main at 96adfc1), in hex.
constexpr char kVersion2Hex[] =
    "425750530200000002000000000000001400000000000000736861726449642d"
    "3030303030303030303030300100000000000000000100000000000000000500"
    "000000000000000000000a0000000000000061737369676e65722d3014000000"
    "00000000736861726449642d3030303030303030303030310100000000000000"
    "0000010000000a0000000000000061737369676e65722d310800000000000000"
    "636f6d62696e6572060000000000000077696e646f77f0d9f2c2";

TEST_CASE("PipelineState: local positions keep version 2, byte for byte",
          "[window][pipeline][sequence]") {
  const PipelineState state = TwoShards(
      SequenceNumber::FromValue(absl::MakeUint128(5, 0)), std::nullopt);
  const std::string bytes = EncodePipelineState(state);
  CHECK(VersionOf(bytes) == 2);
  // Bytes an older build wrote read back, and are what this build writes.
  const std::string old = absl::HexStringToBytes(kVersion2Hex);
  CHECK(absl::BytesToHexString(bytes) == kVersion2Hex);
  absl::StatusOr<PipelineState> decoded = DecodePipelineState(old);
  BROOK_REQUIRE_OK(decoded);
  CHECK(decoded->version == 2);
  CheckSameShards(*decoded, state);
  CHECK(decoded->shards[0].last->high() == 0);
}

TEST_CASE("PipelineState: positions of 2^128 or more round-trip in version 3",
          "[window][pipeline][sequence]") {
  absl::StatusOr<SequenceNumber> remote = SequenceNumber::Parse(
      "49680734675281032265112259006898146605674192670837178370");
  BROOK_REQUIRE_OK(remote);
  const SequenceNumber local = SequenceNumber::FromValue(42);
  const SequenceNumber top =
      SequenceNumber::FromParts(~uint64_t{0}, ~absl::uint128(0));
  for (const PipelineState& state :
       {TwoShards(*remote, std::nullopt), TwoShards(local, *remote),
        TwoShards(top, SequenceNumber::FromParts(1, 0))}) {
    const std::string bytes = EncodePipelineState(state);
    CHECK(VersionOf(bytes) == 3);
    absl::StatusOr<PipelineState> decoded = DecodePipelineState(bytes);
    BROOK_REQUIRE_OK(decoded);
    CHECK(decoded->version == 3);
    CheckSameShards(*decoded, state);
    CHECK(EncodePipelineState(*decoded) == bytes);
    // Cut anywhere, it is damage, never a shorter position.
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      BROOK_CHECK_CODE(DecodePipelineState(bytes.substr(0, cut)), kDataLoss);
    }
  }
  // A version this build does not know is refused (as builds before
  // version 3 refuse version 3).
  std::string future = EncodePipelineState(TwoShards(*remote, std::nullopt));
  future[4] = 4;
  absl::StatusOr<PipelineState> refused = DecodePipelineState(future);
  BROOK_CHECK_CODE(refused, kDataLoss);
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("unknown format version 4"));
}

}  // namespace
}  // namespace internal
}  // namespace brook
