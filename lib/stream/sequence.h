// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// How sequence numbers are made. A shard gives each record a position, a
// counter that increases by one per record; a child shard's positions start
// above its parents' (so its numbers are greater, invariant 2 of
// SequenceNumber). The number is (position << 64) | shard_number, so it orders
// by position and names its shard. It is always below 2^128: a number with a
// non-zero `high()` (a remote stream's) was not issued by a local stream.

#ifndef BROOK_LIB_STREAM_SEQUENCE_H_
#define BROOK_LIB_STREAM_SEQUENCE_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"

#include "brook/record.h"

#include "util/shard_id.h"

namespace brook {
namespace internal {

// The first position of the shards a stream is created with.
inline constexpr uint64_t kFirstPosition = 1;

inline SequenceNumber MakeSequenceNumber(uint64_t position,
                                         uint32_t shard_number) {
  return SequenceNumber::FromValue(absl::MakeUint128(position, shard_number));
}
// True for a number a local stream may have issued (below 2^128). Check it
// before `PositionOf()` and `ShardNumberOf()`, which read the low 128 bits.
inline bool IsLocalSequenceNumber(SequenceNumber n) { return n.high() == 0; }
inline uint64_t PositionOf(SequenceNumber n) {
  return absl::Uint128High64(n.value());
}
inline uint64_t ShardNumberOf(SequenceNumber n) {
  return absl::Uint128Low64(n.value());
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_SEQUENCE_H_
