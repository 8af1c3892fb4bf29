// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Hash-key-range partitioning, exactly as Amazon Kinesis Data Streams does it.
// A record's hash key is an unsigned 128-bit integer: the MD5 digest of its
// partition key's UTF-8 bytes read as a big-endian number, unless the producer
// gives an explicit hash key (a decimal string in 0 .. 2^128-1). Each open
// shard owns an inclusive range of hash keys, and the open shards tile the
// whole key space.
//
// Thread safety: every function here is pure and may be called from any thread.
//
// Example:
//   absl::StatusOr<brook::RoutedRecord> r =
//       brook::RouteRecord("user-42", payload, /*explicit_hash_key=*/"");
//   // r->hash_key == 157107139746365290205026809710278036035

#ifndef BROOK_PARTITIONER_H_
#define BROOK_PARTITIONER_H_

#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/export.h"
#include "brook/record.h"

namespace brook {

// Kinesis's limit on a partition key, in Unicode characters (code points).
inline constexpr int kMaxPartitionKeyChars = 256;

// An inclusive range of hash keys, as Kinesis prints it.
struct HashKeyRange {
  HashKey starting_hash_key = 0;
  HashKey ending_hash_key = 0;

  bool Contains(HashKey key) const {
    return key >= starting_hash_key && key <= ending_hash_key;
  }
  friend bool operator==(const HashKeyRange& a, const HashKeyRange& b) {
    return a.starting_hash_key == b.starting_hash_key &&
           a.ending_hash_key == b.ending_hash_key;
  }
};

// ValidatePartitionKey()
//
// Returns OK if `partition_key` is valid UTF-8 of 1 to 256 characters, else
// kInvalidArgument naming the fault (empty, too long, or the byte offset of
// the invalid UTF-8).
BROOK_EXPORT absl::Status ValidatePartitionKey(absl::string_view partition_key);

// PartitionKeyHash()
//
// The MD5 of `partition_key`'s bytes read as a big-endian 128-bit integer. Does
// not validate the key; `RouteRecord()` does.
BROOK_EXPORT HashKey PartitionKeyHash(absl::string_view partition_key);

// ParseHashKey()
//
// Parses a canonical decimal hash key: digits only, no sign, no leading zero
// (except "0" itself), at most 2^128-1. Returns kInvalidArgument otherwise;
// "01", "1e3", "0x10" and " 1" are all rejected.
BROOK_EXPORT absl::StatusOr<HashKey> ParseHashKey(absl::string_view text);

// HashKeyToString()
//
// The decimal form Kinesis prints (StartingHashKey, EndingHashKey).
BROOK_EXPORT std::string HashKeyToString(HashKey key);

// UniformHashKeyRanges()
//
// The ranges Kinesis gives a new stream of `shard_count` shards: with
// w = floor(2^128 / shard_count), range i is [w*i, w*(i+1)-1] and the last
// range ends at 2^128-1.
// REQUIRES: shard_count >= 1.
BROOK_EXPORT std::vector<HashKeyRange> UniformHashKeyRanges(int shard_count);

// RouteRecord()
//
// Validates a record as PutRecord would and computes its hash key: the explicit
// hash key if `explicit_hash_key` is not empty, else the partition key's MD5.
// Returns kInvalidArgument for a bad partition key or explicit hash key. The
// record size limit is the stream's and is checked when the record is appended.
// The returned record refers to the arguments' bytes; keep them alive.
BROOK_EXPORT absl::StatusOr<RoutedRecord> RouteRecord(
    absl::string_view partition_key, absl::string_view data,
    absl::string_view explicit_hash_key);

}  // namespace brook

#endif  // BROOK_PARTITIONER_H_
