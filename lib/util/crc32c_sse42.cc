// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// CRC-32C with the SSE4.2 `crc32` instruction. The only file compiled with
// -msse4.2 (lib/CMakeLists.txt): crc32c.cc calls it only on CPUs that have
// the instruction.

#include <cstring>

#include "util/crc32c.h"
#include <nmmintrin.h>

namespace brook {
namespace internal {

// Three independent CRC streams over adjacent blocks hide the instruction's
// three-cycle latency; the partial CRCs are then combined by shifting each one
// over the bytes that follow it, done here by multiplying in GF(2) with
// precomputed powers of x.
namespace {

constexpr size_t kBlock = 4096;  // bytes per stream in the 3-way loop

constexpr uint32_t MultiplyModP(uint32_t a, uint32_t b) {
  // Bit-reflected GF(2) multiplication modulo the Castagnoli polynomial.
  uint32_t product = 0;
  for (int i = 0; i < 32; ++i) {
    if (a & 0x80000000u) product ^= b;
    a <<= 1;
    b = (b >> 1) ^ ((b & 1) ? 0x82F63B78u : 0);
  }
  return product;
}

// x^(8 * bytes) in the reflected representation.
constexpr uint32_t ShiftOperator(size_t bytes) {
  uint32_t result = 0x80000000u;  // x^0
  uint32_t power = 0x40000000u;   // x^1
  size_t bits = bytes * 8;
  while (bits != 0) {
    if (bits & 1) result = MultiplyModP(result, power);
    power = MultiplyModP(power, power);
    bits >>= 1;
  }
  return result;
}

// Compile-time constants, so the function works during static
// initialisation too.
constexpr uint32_t kShiftBlock = ShiftOperator(kBlock);
constexpr uint32_t kShift2Blocks = ShiftOperator(2 * kBlock);

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

uint32_t Crc32cExtendHardware(uint32_t crc, const char* data, size_t n) {
  uint64_t c0 = ~crc;
  while (n >= 3 * kBlock) {
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < kBlock; i += 8) {
      c0 = _mm_crc32_u64(c0, Load64(data + i));
      c1 = _mm_crc32_u64(c1, Load64(data + kBlock + i));
      c2 = _mm_crc32_u64(c2, Load64(data + 2 * kBlock + i));
    }
    // crc(A||B||C) = shift(cA, 2 blocks) ^ shift(cB, 1 block) ^ cC, where the
    // streams B and C started from 0 rather than ~0, which is what makes the
    // linear combination exact.
    c0 = MultiplyModP(static_cast<uint32_t>(c0), kShift2Blocks) ^
         MultiplyModP(static_cast<uint32_t>(c1), kShiftBlock) ^
         static_cast<uint32_t>(c2);
    data += 3 * kBlock;
    n -= 3 * kBlock;
  }
  for (; n >= 8; n -= 8, data += 8) c0 = _mm_crc32_u64(c0, Load64(data));
  uint32_t c = static_cast<uint32_t>(c0);
  for (; n > 0; --n, ++data) c = _mm_crc32_u8(c, static_cast<uint8_t>(*data));
  return ~c;
}

}  // namespace internal
}  // namespace brook
