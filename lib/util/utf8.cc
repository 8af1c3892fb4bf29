// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "util/utf8.h"

#include <cstdint>
#include <cstring>

namespace brook {
namespace internal {

Utf8Check CheckUtf8(absl::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  size_t chars = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        chars += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    size_t len;
    uint32_t min_code;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      ++chars;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      min_code = 0x80;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      min_code = 0x800;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      min_code = 0x10000;
      code = c & 0x07;
    } else {
      return {false, 0, i};
    }
    if (i + len > n) return {false, 0, i};
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = p[i + k];
      if ((cc & 0xC0) != 0x80) return {false, 0, i};
      code = (code << 6) | (cc & 0x3F);
    }
    if (code < min_code || code > 0x10FFFF ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return {false, 0, i};
    }
    i += len;
    ++chars;
  }
  return {true, chars, 0};
}

}  // namespace internal
}  // namespace brook
