// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/lease.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

using ESN = ExtendedSequenceNumber;

SequenceNumber Seq(uint64_t n) { return SequenceNumber::FromValue(n); }

TEST_CASE(
    "ExtendedSequenceNumber: AT_TIMESTAMP < TRIM_HORIZON < LATEST < "
    "sequence numbers < SHARD_END",
    "[group]") {
  // In the order DESIGN.md §3 gives; each strictly before the next.
  const std::vector<ESN> ordered = {
      ESN::AtTimestamp(-5),
      ESN::AtTimestamp(1'700'000'000'000),
      ESN::TrimHorizon(),
      ESN::Latest(),
      ESN::At(Seq(0)),
      ESN::At(Seq(7)),
      ESN::At(Seq(7), 1),
      ESN::At(Seq(7), 2),
      ESN::At(Seq(8)),
      ESN::At(SequenceNumber::FromValue(~absl::uint128(0)), ~uint64_t{0}),
      // A remote stream's numbers (2^128 and more) come after every local one.
      ESN::At(SequenceNumber::FromParts(1, 0)),
      ESN::At(SequenceNumber::FromParts(1, 0), 1),
      ESN::At(SequenceNumber::FromParts(~uint64_t{0}, ~absl::uint128(0)),
              ~uint64_t{0}),
      ESN::ShardEnd(),
  };
  for (size_t i = 0; i < ordered.size(); ++i) {
    for (size_t j = 0; j < ordered.size(); ++j) {
      INFO(ordered[i].DebugString() << " vs " << ordered[j].DebugString());
      CHECK((ordered[i] < ordered[j]) == (i < j));
      CHECK((ordered[i] == ordered[j]) == (i == j));
      CHECK((ordered[i] >= ordered[j]) == (i >= j));
      CHECK(ESN::Compare(ordered[i], ordered[j]) ==
            (i < j ? -1 : (i == j ? 0 : 1)));
    }
  }
  CHECK(ESN() == ESN::TrimHorizon());
}

TEST_CASE("ExtendedSequenceNumber: KCL's spelling round-trips", "[group]") {
  const ESN values[] = {
      ESN::TrimHorizon(), ESN::Latest(), ESN::ShardEnd(),
      ESN::AtTimestamp(1'700'000'000'123),
      ESN::At(*SequenceNumber::Parse("49590338271490256608559692538361571095")),
      // 56 digits, as Kinesis and kinesalite give them.
      ESN::At(*SequenceNumber::Parse(
                  "49680734675281032265112259006898146605674192670837178370"),
              7),
      ESN::At(Seq(12345), 3)};
  for (const ESN& value : values) {
    absl::StatusOr<ESN> parsed = ESN::Parse(
        value.ToString(), value.subsequence_number(), value.timestamp_millis());
    BROOK_REQUIRE_OK(parsed);
    CHECK(*parsed == value);
    CHECK(parsed->kind() == value.kind());
  }
  CHECK(ESN::TrimHorizon().ToString() == "TRIM_HORIZON");
  CHECK(ESN::Latest().ToString() == "LATEST");
  CHECK(ESN::ShardEnd().ToString() == "SHARD_END");
  CHECK(ESN::AtTimestamp(42).ToString() == "AT_TIMESTAMP");
  CHECK(ESN::AtTimestamp(42).DebugString() == "AT_TIMESTAMP(42)");
  CHECK(ESN::At(Seq(12), 3).ToString() == "12");
  CHECK(ESN::At(Seq(12), 3).DebugString() == "12/3");
}

TEST_CASE("ExtendedSequenceNumber: bad text is kInvalidArgument naming it",
          "[group]") {
  for (const char* text :
       {"", "trim_horizon", "Latest", "-1", "+5", "01", "1e3", "SHARD_END ",
        "6277101735386680763835789423207666416102355444464034512896"}) {
    INFO(text);
    absl::StatusOr<ESN> parsed = ESN::Parse(text);
    BROOK_CHECK_CODE(parsed, kInvalidArgument);
    CHECK_THAT(std::string(parsed.status().message()),
               Catch::Contains(std::string("\"") + text + "\""));
  }
  absl::StatusOr<ESN> sentinel_sub = ESN::Parse("SHARD_END", 1);
  BROOK_CHECK_CODE(sentinel_sub, kInvalidArgument);
  CHECK_THAT(std::string(sentinel_sub.status().message()),
             Catch::Contains("subsequence number 1"));
}

}  // namespace
}  // namespace brook
