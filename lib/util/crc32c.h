// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// CRC-32C (Castagnoli), the checksum of record batch frames. On x86-64 CPUs
// with SSE4.2 it uses the `crc32` instruction (crc32c_sse42.cc, the only file
// compiled with -msse4.2); elsewhere, or when the environment variable
// BROOK_CRC32C=portable is set at start-up, a portable table-driven version.
// The choice is made once, on first use (cpuid).
//
// Thread safety: pure functions.

#ifndef BROOK_LIB_UTIL_CRC32C_H_
#define BROOK_LIB_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace brook {
namespace internal {

// Crc32cExtend()
//
// Returns the CRC-32C of the concatenation of the bytes whose CRC-32C is
// `crc` and `data[0, n)`. Crc32cExtend(0, data, n) is the CRC-32C of `data`.
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);

inline uint32_t Crc32c(const char* data, size_t n) {
  return Crc32cExtend(0, data, n);
}

// Crc32cExtendFromMemory()
//
// Crc32cExtend() for bytes that are likely not in cache (a frame checked in
// a mapped segment file, as recovery does): the same value, computed in two
// parts split at the first 4 KiB boundary of a long input. The hardware
// version reads three interleaved 4 KiB blocks at a time; started on a page
// boundary, none of them crosses one mid-block, where the CPU's prefetcher
// stops. For bytes just written (in cache) the split only costs: use
// Crc32cExtend() there.
uint32_t Crc32cExtendFromMemory(uint32_t crc, const char* data, size_t n);

// The implementations behind Crc32cExtend(), for tests and benchmarks.
// Crc32cExtendHardware() may only be called when Crc32cHardwareAvailable().
uint32_t Crc32cExtendPortable(uint32_t crc, const char* data, size_t n);
uint32_t Crc32cExtendHardware(uint32_t crc, const char* data, size_t n);
// True if this build has the SSE4.2 version and the CPU can run it.
bool Crc32cHardwareAvailable();
// "sse4.2" or "portable": the implementation Crc32cExtend() uses.
const char* Crc32cImplementation();

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_CRC32C_H_
