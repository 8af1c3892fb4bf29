// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// UTF-8 validation and character counting for partition keys.

#ifndef BROOK_LIB_UTIL_UTF8_H_
#define BROOK_LIB_UTIL_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace brook {
namespace internal {

struct Utf8Check {
  bool valid = false;
  size_t chars = 0;         // code points, when valid
  size_t error_offset = 0;  // first byte of the bad sequence, when not valid
};

// True if every byte of `text` is ASCII: the common case, checked inline.
inline bool IsAscii(absl::string_view text) {
  const char* p = text.data();
  const size_t n = text.size();
  uint64_t bits = 0;
  if (n >= 8) {
    // Whole words, then the last eight bytes (overlapping the words).
    for (size_t i = 0; i + 8 <= n; i += 8) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      bits |= word;
    }
    uint64_t last;
    std::memcpy(&last, p + n - 8, 8);
    bits |= last;
  } else if (n >= 4) {
    uint32_t first;
    uint32_t last;
    std::memcpy(&first, p, 4);
    std::memcpy(&last, p + n - 4, 4);
    bits = first | last;
  } else if (n > 0) {
    // The first, middle and last bytes: every byte of 1 to 3.
    bits = static_cast<unsigned char>(p[0]) |
           static_cast<unsigned char>(p[n / 2]) |
           static_cast<unsigned char>(p[n - 1]);
  }
  return (bits & 0x8080808080808080ULL) == 0;
}

// Checks that `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) and counts its code points.
Utf8Check CheckUtf8(absl::string_view text);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_UTF8_H_
