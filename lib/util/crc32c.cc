// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The portable CRC-32C (slicing-by-8 over tables built at compile time) and
// the run-time choice between it and the SSE4.2 version.

#include "util/crc32c.h"

#include <array>
#include <cstdlib>
#include <cstring>

namespace brook {
namespace internal {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;  // Castagnoli, bit-reflected

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// kTables[0] is the byte-at-a-time table; kTables[k][b] is the CRC of byte b
// followed by k zero bytes, so eight bytes are folded in per step.
constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    t[0][b] = crc;
  }
  for (uint32_t b = 0; b < 256; ++b) {
    for (size_t k = 1; k < 8; ++k) {
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    }
  }
  return t;
}

constexpr Tables kTables = MakeTables();

using Crc32cFn = uint32_t (*)(uint32_t, const char*, size_t);

Crc32cFn Choose() {
  const char* forced = std::getenv("BROOK_CRC32C");  // read once, at first use
  if (forced != nullptr && std::strcmp(forced, "portable") == 0) {
    return &Crc32cExtendPortable;
  }
  return Crc32cHardwareAvailable() ? &Crc32cExtendHardware
                                   : &Crc32cExtendPortable;
}

Crc32cFn Chosen() {
  static const Crc32cFn fn = Choose();
  return fn;
}

}  // namespace

uint32_t Crc32cExtendPortable(uint32_t crc, const char* data, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint32_t lo;
    uint32_t hi;
    std::memcpy(&lo, p, 4);  // little-endian (util/coding.h asserts it)
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^
        kTables[5][(lo >> 16) & 0xff] ^ kTables[4][lo >> 24] ^
        kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
        kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
  }
  for (; n > 0; --n, ++p) c = (c >> 8) ^ kTables[0][(c ^ *p) & 0xff];
  return ~c;
}

#if defined(BROOK_HAVE_SSE42_CRC32C)
bool Crc32cHardwareAvailable() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#else
bool Crc32cHardwareAvailable() { return false; }
// Never called (Crc32cHardwareAvailable() is false); defined so that the
// declaration links on every target.
uint32_t Crc32cExtendHardware(uint32_t crc, const char* data, size_t n) {
  return Crc32cExtendPortable(crc, data, n);
}
#endif

uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n) {
  return Chosen()(crc, data, n);
}

uint32_t Crc32cExtendFromMemory(uint32_t crc, const char* data, size_t n) {
  constexpr size_t kPage = 4096;
  // Shorter inputs never reach the hardware version's three-block loop.
  constexpr size_t kLong = 3 * kPage;
  const size_t head = static_cast<size_t>(
      (kPage - reinterpret_cast<uintptr_t>(data) % kPage) % kPage);
  if (head == 0 || n < head + kLong) return Crc32cExtend(crc, data, n);
  return Crc32cExtend(Crc32cExtend(crc, data, head), data + head, n - head);
}

const char* Crc32cImplementation() {
  return Chosen() == &Crc32cExtendHardware ? "sse4.2" : "portable";
}

}  // namespace internal
}  // namespace brook
