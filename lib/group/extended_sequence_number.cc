// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "absl/strings/str_cat.h"

#include "brook/lease.h"

namespace brook {
namespace {

using Kind = ExtendedSequenceNumber::Kind;

// The sentinels' names in KCL's spelling (SentinelCheckpoint).
constexpr absl::string_view kTrimHorizon = "TRIM_HORIZON";
constexpr absl::string_view kLatest = "LATEST";
constexpr absl::string_view kShardEnd = "SHARD_END";
constexpr absl::string_view kAtTimestamp = "AT_TIMESTAMP";

template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

absl::StatusOr<ExtendedSequenceNumber> ExtendedSequenceNumber::Parse(
    absl::string_view checkpoint, uint64_t subsequence_number,
    int64_t timestamp_millis) {
  ExtendedSequenceNumber value;
  if (checkpoint == kTrimHorizon) {
    value = TrimHorizon();
  } else if (checkpoint == kLatest) {
    value = Latest();
  } else if (checkpoint == kShardEnd) {
    value = ShardEnd();
  } else if (checkpoint == kAtTimestamp) {
    value = AtTimestamp(timestamp_millis);
  } else {
    absl::StatusOr<SequenceNumber> number = SequenceNumber::Parse(checkpoint);
    if (!number.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint \"", checkpoint,
                       "\": neither a sentinel (TRIM_HORIZON, LATEST, "
                       "AT_TIMESTAMP, SHARD_END) nor a sequence number (",
                       number.status().message(), ")"));
    }
    return At(*number, subsequence_number);
  }
  if (subsequence_number != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint ", checkpoint, ": subsequence number ",
                     subsequence_number, " on a sentinel (must be 0)"));
  }
  return value;
}

std::string ExtendedSequenceNumber::ToString() const {
  switch (kind_) {
    case Kind::kAtTimestamp:
      return std::string(kAtTimestamp);
    case Kind::kTrimHorizon:
      return std::string(kTrimHorizon);
    case Kind::kLatest:
      return std::string(kLatest);
    case Kind::kShardEnd:
      return std::string(kShardEnd);
    case Kind::kSequenceNumber:
      break;
  }
  return sequence_number_.ToString();
}

std::string ExtendedSequenceNumber::DebugString() const {
  if (kind_ == Kind::kAtTimestamp) {
    return absl::StrCat(kAtTimestamp, "(", timestamp_millis_, ")");
  }
  if (kind_ == Kind::kSequenceNumber && subsequence_number_ != 0) {
    return absl::StrCat(ToString(), "/", subsequence_number_);
  }
  return ToString();
}

int ExtendedSequenceNumber::Compare(const ExtendedSequenceNumber& a,
                                    const ExtendedSequenceNumber& b) {
  // The enumerators are numbered in the order of DESIGN.md §3.
  if (a.kind_ != b.kind_) {
    return Cmp(static_cast<int>(a.kind_), static_cast<int>(b.kind_));
  }
  switch (a.kind_) {
    case Kind::kAtTimestamp:
      return Cmp(a.timestamp_millis_, b.timestamp_millis_);
    case Kind::kSequenceNumber:
      if (a.sequence_number_ != b.sequence_number_) {
        return Cmp(a.sequence_number_, b.sequence_number_);
      }
      return Cmp(a.subsequence_number_, b.subsequence_number_);
    default:
      return 0;
  }
}

}  // namespace brook
