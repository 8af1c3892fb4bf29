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

// A record's position in a shard, unique within a stream: an unsigned 192-bit
// number, 0 .. 2^192-1.
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
//
// Two kinds of number share this type:
//   - Local: every number a brook stream issues is below 2^128 (`high()` is 0):
//     the record's position in its shard times 2^64 plus the shard's number.
//     `value()` holds all of it.
//   - Remote: Amazon Kinesis (and kinesalite) issue 56-digit decimals such as
//     49680734675281032265112259006898146605674192670837178370 (186 bits), so
//     they need the top word: `high()` holds bits 128..191 and `value()` the
//     low 128 bits. `Parse()` and `ToString()` carry them exactly.
// All comparisons and `==` use all 192 bits, so a remote number and the local
// number that equals its low 128 bits are different numbers. A local stream
// rejects a number with `high() != 0` as not issued by it (kInvalidArgument).
class BROOK_EXPORT SequenceNumber {
 public:
  // Zero.
  constexpr SequenceNumber() = default;
  // The number `value` (below 2^128; `high()` is 0).
  static constexpr SequenceNumber FromValue(absl::uint128 value) {
    return SequenceNumber(0, value);
  }
  // The number `high` * 2^128 + `low`.
  static constexpr SequenceNumber FromParts(uint64_t high, absl::uint128 low) {
    return SequenceNumber(high, low);
  }

  // Parses the decimal form: digits only, no sign, no spaces, no leading zero
  // (except "0" itself), below 2^192 (at most 58 digits). Returns
  // kInvalidArgument naming the text (its first 80 characters) and the fault
  // otherwise: empty, not digits, a leading zero, 2^192 or more.
  static absl::StatusOr<SequenceNumber> Parse(absl::string_view text);

  // The canonical decimal form, which `Parse()` reads back as an equal number.
  std::string ToString() const;
  // The low 128 bits: the whole number when `high()` is 0 (every local one).
  constexpr absl::uint128 value() const {
    return absl::MakeUint128(mid_, low_);
  }
  // Bits 128..191: 0 for a local number, non-zero for most remote ones.
  constexpr uint64_t high() const { return high_; }

  friend bool operator==(SequenceNumber a, SequenceNumber b) {
    return a.low_ == b.low_ && a.mid_ == b.mid_ && a.high_ == b.high_;
  }
  friend bool operator!=(SequenceNumber a, SequenceNumber b) {
    return !(a == b);
  }
  friend bool operator<(SequenceNumber a, SequenceNumber b) {
    return a.high_ != b.high_ ? a.high_ < b.high_ : a.value() < b.value();
  }
  friend bool operator<=(SequenceNumber a, SequenceNumber b) {
    return !(b < a);
  }
  friend bool operator>(SequenceNumber a, SequenceNumber b) { return b < a; }
  friend bool operator>=(SequenceNumber a, SequenceNumber b) {
    return !(a < b);
  }

 private:
  constexpr SequenceNumber(uint64_t high, absl::uint128 low)
      : high_(high),
        mid_(absl::Uint128High64(low)),
        low_(absl::Uint128Low64(low)) {}
  // Three 64-bit words rather than a uint128 and a word: 24 bytes aligned
  // to 8 instead of 32 aligned to 16, which keeps `Record` at 96 bytes.
  uint64_t high_ = 0;
  uint64_t mid_ = 0;
  uint64_t low_ = 0;
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
//
// Field order: the two flags sit together before `hash_key`, so the struct
// is 96 bytes on x86-64 (it would be 112 with a 24-byte sequence number and
// each flag after a 16-byte-aligned field). Name the fields; do not rely on
// their order.
struct Record {
  SequenceNumber sequence_number;
  // 0 for an ordinary record; the index within its aggregate for a KPL user
  // record.
  uint64_t subsequence_number = 0;
  // Milliseconds since the Unix epoch at which the shard accepted the record.
  int64_t approximate_arrival_timestamp_millis = 0;
  // True for a record that `GetRecordsOptions::deaggregate` found to be a KPL
  // aggregated record but could not de-aggregate (bad MD5, bad protobuf, an
  // index out of range: see `Deaggregate()` in aggregation.h): it comes out
  // as stored, whole, for the reader to pass on or drop. False otherwise.
  bool damaged_aggregate = false;
  // True if `hash_key` came from an explicit hash key.
  bool has_explicit_hash_key = false;
  HashKey hash_key = 0;
  absl::string_view partition_key;
  absl::string_view data;
};

}  // namespace brook

#endif  // BROOK_RECORD_H_
