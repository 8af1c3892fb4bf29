// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Canonical decimal text for unsigned 128-bit numbers (hash keys) and
// 192-bit ones (sequence numbers).

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

// As `ParseDecimalUint128()`, for numbers below 2^192: `*high` gets bits
// 128..191, `*low` the rest. Up to 38 digits take the 128-bit path.
inline DecimalError ParseDecimalUint192(absl::string_view text, uint64_t* high,
                                        absl::uint128* low) {
  if (text.size() <= 38) {
    *high = 0;
    return ParseDecimalUint128(text, low);
  }
  if (text[0] == '0') {
    for (char c : text) {
      if (c < '0' || c > '9') return DecimalError::kNotDigits;
    }
    return DecimalError::kLeadingZero;
  }
  // Three 64-bit limbs, least significant first; a carry out of the top one
  // means 2^192 or more (keep scanning: a non-digit is reported first).
  uint64_t limb[3] = {0, 0, 0};
  bool too_large = false;
  for (char c : text) {
    if (c < '0' || c > '9') return DecimalError::kNotDigits;
    unsigned __int128 carry = static_cast<unsigned>(c - '0');
    for (uint64_t& l : limb) {
      const unsigned __int128 t =
          static_cast<unsigned __int128>(l) * 10 + carry;
      l = static_cast<uint64_t>(t);
      carry = t >> 64;
    }
    if (carry != 0) too_large = true;
  }
  if (too_large) return DecimalError::kTooLarge;
  *high = limb[2];
  *low = absl::MakeUint128(limb[1], limb[0]);
  return DecimalError::kNone;
}

// The decimal text of `high` * 2^128 + `low`.
inline std::string FormatDecimalUint192(uint64_t high, absl::uint128 low) {
  if (high == 0) return FormatDecimalUint128(low);
  // Divide by 10^19 (the largest power of ten below 2^64) limb by limb,
  // most significant first; each remainder is 19 digits.
  constexpr uint64_t kChunk = 10'000'000'000'000'000'000u;
  uint64_t limb[3] = {high, absl::Uint128High64(low), absl::Uint128Low64(low)};
  char buf[64];
  char* end = buf + sizeof(buf);
  char* p = end;
  while (limb[0] != 0 || limb[1] != 0 || limb[2] != 0) {
    unsigned __int128 rem = 0;
    for (uint64_t& l : limb) {
      const unsigned __int128 cur = (rem << 64) | l;
      l = static_cast<uint64_t>(cur / kChunk);
      rem = cur % kChunk;
    }
    uint64_t r = static_cast<uint64_t>(rem);
    const bool last = limb[0] == 0 && limb[1] == 0 && limb[2] == 0;
    for (int i = 0; i < 19 && (!last || r != 0); ++i) {
      *--p = static_cast<char>('0' + r % 10);
      r /= 10;
    }
  }
  return std::string(p, end);
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_DECIMAL_H_
