// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Canonical decimal text for unsigned 128-bit numbers (hash keys, sequence
// numbers).

#ifndef BROOK_LIB_UTIL_DECIMAL_H_
#define BROOK_LIB_UTIL_DECIMAL_H_

#include <string>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"

namespace brook {
namespace internal {

enum class DecimalError { kNone, kEmpty, kNotDigits, kLeadingZero, kTooLarge };

// Parses digits only, no sign or spaces, no leading zero except "0" itself.
inline DecimalError ParseDecimalUint128(absl::string_view text,
                                        absl::uint128* out) {
  if (text.empty()) return DecimalError::kEmpty;
  if (text.size() > 1 && text[0] == '0') {
    for (char c : text) {
      if (c < '0' || c > '9') return DecimalError::kNotDigits;
    }
    return DecimalError::kLeadingZero;
  }
  constexpr unsigned __int128 kMax = ~static_cast<unsigned __int128>(0);
  constexpr unsigned __int128 kMaxDiv10 = kMax / 10;
  constexpr unsigned kMaxMod10 = static_cast<unsigned>(kMax % 10);
  unsigned __int128 v = 0;
  bool too_large = false;
  for (char c : text) {
    if (c < '0' || c > '9') return DecimalError::kNotDigits;
    const unsigned d = static_cast<unsigned>(c - '0');
    if (v > kMaxDiv10 || (v == kMaxDiv10 && d > kMaxMod10)) too_large = true;
    v = v * 10 + d;
  }
  if (too_large) return DecimalError::kTooLarge;
  *out = absl::MakeUint128(static_cast<uint64_t>(v >> 64),
                           static_cast<uint64_t>(v));
  return DecimalError::kNone;
}

// Appends the decimal form of `value` to `out` (no allocation beyond the
// string's own growth).
inline void AppendDecimalUint128(absl::uint128 value, std::string* out) {
  unsigned __int128 v =
      (static_cast<unsigned __int128>(absl::Uint128High64(value)) << 64) |
      absl::Uint128Low64(value);
  char buf[40];
  char* end = buf + sizeof(buf);
  char* p = end;
  do {
    *--p = static_cast<char>('0' + static_cast<unsigned>(v % 10));
    v /= 10;
  } while (v != 0);
  out->append(p, end);
}

inline std::string FormatDecimalUint128(absl::uint128 value) {
  std::string out;
  AppendDecimalUint128(value, &out);
  return out;
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_DECIMAL_H_
