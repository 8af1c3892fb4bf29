// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The values that flow through a stream: hash keys, sequence numbers, the
// records a producer hands in and the records a consumer reads back.
//
// Thread safety: these are plain values; the usual rules for `const` apply.
// Lifetime: `RoutedRecord`, `PutRecordsEntry` and `Record` hold views. An input
// view must stay valid for the duration of the call it is passed to; the
// lifetime of a `Record` read from a stream is documented on
// `GetRecordsResult`.

#ifndef BROOK_RECORD_H_
#define BROOK_RECORD_H_

#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/export.h"

namespace brook {

// A point of the 128-bit hash key space, 0 .. 2^128-1.
using HashKey = absl::uint128;

// Kinesis's default and largest maximum record size (partition key + data).
inline constexpr int64_t kDefaultMaxRecordBytes = int64_t{1} << 20;
inline constexpr int64_t kLargestMaxRecordBytes = int64_t{10} << 20;

// A record's position in a shard, unique within a stream.
//
// Invariants:
//   1. Within a shard, sequence numbers strictly increase in append order.
//   2. Every sequence number of a child shard (after a reshard) is greater than
//      every sequence number of its parents.
//   3. A sequence number names the shard it was issued by, so a number given
//      to the wrong shard is rejected.
// Records of one aggregated record (KPL) share a sequence number and are told
// apart by `Record::subsequence_number`.
//
// Kinesis users treat sequence numbers as opaque decimal strings; `ToString()`
// and `Parse()` give that form. Compare with the operators, never as strings.
class BROOK_EXPORT SequenceNumber {
 public:
  constexpr SequenceNumber() = default;
  static constexpr SequenceNumber FromValue(absl::uint128 value) {
    return SequenceNumber(value);
  }

  // Parses the decimal form. Returns kInvalidArgument for anything that is not
  // a canonical decimal number below 2^128.
  static absl::StatusOr<SequenceNumber> Parse(absl::string_view text);

  std::string ToString() const;
  absl::uint128 value() const { return value_; }

  friend bool operator==(SequenceNumber a, SequenceNumber b) {
    return a.value_ == b.value_;
  }
  friend bool operator!=(SequenceNumber a, SequenceNumber b) {
    return a.value_ != b.value_;
  }
  friend bool operator<(SequenceNumber a, SequenceNumber b) {
    return a.value_ < b.value_;
  }
  friend bool operator<=(SequenceNumber a, SequenceNumber b) {
    return a.value_ <= b.value_;
  }
  friend bool operator>(SequenceNumber a, SequenceNumber b) {
    return a.value_ > b.value_;
  }
  friend bool operator>=(SequenceNumber a, SequenceNumber b) {
    return a.value_ >= b.value_;
  }

 private:
  constexpr explicit SequenceNumber(absl::uint128 value) : value_(value) {}
  absl::uint128 value_ = 0;
};

// One entry of PutRecords, as in Kinesis's PutRecordsRequestEntry.
struct PutRecordsEntry {
  absl::string_view partition_key;
  absl::string_view data;
  // Decimal hash key that overrides the partition key's MD5; empty for none.
  absl::string_view explicit_hash_key;
};

// A record whose hash key is already known, ready to append to the shard that
// owns that key (`Shard::Append()`). Make one with `RouteRecord()`.
struct RoutedRecord {
  absl::string_view partition_key;
  absl::string_view data;
  HashKey hash_key = 0;
  // True if `hash_key` came from an explicit hash key.
  bool has_explicit_hash_key = false;
};

// A record read from a shard, as in Kinesis's GetRecords output. Its views
// point into the stream's storage; see `GetRecordsResult` for how long.
struct Record {
  SequenceNumber sequence_number;
  // 0 for an ordinary record; the index within its aggregate for a KPL user
  // record.
  uint64_t subsequence_number = 0;
  // Milliseconds since the Unix epoch at which the shard accepted the record.
  int64_t approximate_arrival_timestamp_millis = 0;
  HashKey hash_key = 0;
  bool has_explicit_hash_key = false;
  absl::string_view partition_key;
  absl::string_view data;
  // True for a record that `GetRecordsOptions::deaggregate` found to be a KPL
  // aggregated record but could not de-aggregate (bad MD5, bad protobuf, an
  // index out of range: see `Deaggregate()` in aggregation.h): it comes out
  // as stored, whole, for the reader to pass on or drop. False otherwise.
  bool damaged_aggregate = false;
};

}  // namespace brook

#endif  // BROOK_RECORD_H_
