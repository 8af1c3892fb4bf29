// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// CRC-32C (Castagnoli), the checksum of record batch frames. Uses the SSE4.2
// `crc32` instruction; the library is compiled with -msse4.2.
//
// Thread safety: pure functions.

#ifndef BROOK_LIB_UTIL_CRC32C_H_
#define BROOK_LIB_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace brook {
namespace internal {

// Extend()
//
// Returns the CRC-32C of the concatenation of the bytes whose CRC-32C is
// `crc` and `data[0, n)`. Extend(0, data, n) is the CRC-32C of `data`.
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);

inline uint32_t Crc32c(const char* data, size_t n) {
  return Crc32cExtend(0, data, n);
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_CRC32C_H_
