// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// How a shard's number becomes its Kinesis-style id ("shardId-000000000007"),
// which also names the shard's directory in a durable stream. Both the stream
// (lib/stream) and the store (lib/store) use it, so it lives below both.
//
// Thread safety: pure functions.

#ifndef BROOK_LIB_UTIL_SHARD_ID_H_
#define BROOK_LIB_UTIL_SHARD_ID_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"

namespace brook {
namespace internal {

// ShardIdFromNumber()
//
// "shardId-" and `number` in 12 decimal digits, as Kinesis names shards.
inline std::string ShardIdFromNumber(uint32_t number) {
  return absl::StrFormat("shardId-%012d", number);
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_SHARD_ID_H_
