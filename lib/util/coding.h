// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Fixed-width little-endian encoding (leveldb's coding.h), via memcpy so that
// unaligned access is defined behaviour. brook runs on little-endian hosts.

#ifndef BROOK_LIB_UTIL_CODING_H_
#define BROOK_LIB_UTIL_CODING_H_

#include <cstdint>
#include <cstring>

namespace brook {
namespace internal {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "brook's storage format assumes a little-endian host");

template <typename T>
inline void EncodeFixed(char* dst, T value) {
  std::memcpy(dst, &value, sizeof(T));
}

template <typename T>
inline T DecodeFixed(const char* src) {
  T value;
  std::memcpy(&value, src, sizeof(T));
  return value;
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_CODING_H_
