// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// MD5 (RFC 1321), used only to turn partition keys into hash keys as Kinesis
// does. Not for security.

#ifndef BROOK_LIB_UTIL_MD5_H_
#define BROOK_LIB_UTIL_MD5_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"

namespace brook {
namespace internal {

// The 16-byte digest of `data`.
std::array<uint8_t, 16> Md5(absl::string_view data);

// A digest read as a big-endian 128-bit number (how Kinesis turns a partition
// key into a hash key).
inline absl::uint128 DigestToUint128(const std::array<uint8_t, 16>& d) {
  uint64_t high = 0;
  uint64_t low = 0;
  for (int i = 0; i < 8; ++i) high = (high << 8) | d[i];
  for (int i = 8; i < 16; ++i) low = (low << 8) | d[i];
  return absl::MakeUint128(high, low);
}

// Messages up to this size fit one MD5 block.
inline constexpr size_t kMaxOneBlockBytes = 55;

// The digests of `n` messages into `digests[0..n)`. Messages of up to
// kMaxOneBlockBytes are hashed four at a time, about three times the
// throughput of one at a time; longer ones one by one.
void Md5Many(const absl::string_view* messages, size_t n,
             std::array<uint8_t, 16>* digests);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_MD5_H_
