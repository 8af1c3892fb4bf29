// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// MD5 (RFC 1321), used to turn partition keys into hash keys as Kinesis
// does, and for the trailer of KPL aggregates. Not for security.

#ifndef BROOK_LIB_UTIL_MD5_H_
#define BROOK_LIB_UTIL_MD5_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"

namespace brook {
namespace internal {

// The 16-byte digest of `data`.
std::array<uint8_t, 16> Md5(absl::string_view data);

// A digest read as a big-endian 128-bit number (how Kinesis turns a partition
// key into a hash key).
inline absl::uint128 DigestToUint128(const std::array<uint8_t, 16>& d) {
  uint64_t high;
  uint64_t low;
  std::memcpy(&high, d.data(), 8);
  std::memcpy(&low, d.data() + 8, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  high = __builtin_bswap64(high);
  low = __builtin_bswap64(low);
#endif
  return absl::MakeUint128(high, low);
}

// Messages up to this size fit one MD5 block.
inline constexpr size_t kMaxOneBlockBytes = 55;

// The digests of `n` messages into `digests[0..n)`. Messages of up to
// kMaxOneBlockBytes are hashed many at a time: thirty-two in AVX-512 lanes
// (md5_avx512.cc) on CPUs that have AVX-512F and BW, else sixteen in AVX2 lanes
// (md5_avx2.cc), else four interleaved in scalar registers (about three
// times the throughput of one at a time); longer ones one by one. The choice
// is made once, on first use (cpuid); the environment variable
// BROOK_MD5=avx2 or BROOK_MD5=portable, set before then, caps it.
// Thread safety: pure function.
void Md5Many(const absl::string_view* messages, size_t n,
             std::array<uint8_t, 16>* digests);

// The implementations behind Md5Many(), for tests and benchmarks; all give
// the same digests. Md5ManyAvx2() may only be called when
// Md5Avx2Available(), Md5ManyAvx512() when Md5Avx512Available().
void Md5ManyPortable(const absl::string_view* messages, size_t n,
                     std::array<uint8_t, 16>* digests);
void Md5ManyAvx2(const absl::string_view* messages, size_t n,
                 std::array<uint8_t, 16>* digests);
void Md5ManyAvx512(const absl::string_view* messages, size_t n,
                   std::array<uint8_t, 16>* digests);
// The digests of `n` messages of any lengths into `digests[0..n)`, for long
// messages (the MD5 trailer of a KPL aggregate, tens of KB): the blocks of
// one message depend on each other, so instead of one message at a time,
// each SIMD lane hashes its own message, block after block, and a lane whose
// message has ended takes the next one (messages of different lengths keep
// the lanes busy). Sixteen lanes with AVX-512F and BW, eight with AVX2, else
// four interleaved in scalar registers; chosen as for Md5Many() (the same
// BROOK_MD5 cap). Worth it from two messages on; one message costs about what
// Md5() does. Thread safety: pure function.
void Md5ManyLong(const absl::string_view* messages, size_t n,
                 std::array<uint8_t, 16>* digests);
// Its implementations, for tests and benchmarks; the same preconditions as
// Md5ManyAvx2() and Md5ManyAvx512().
void Md5ManyLongPortable(const absl::string_view* messages, size_t n,
                         std::array<uint8_t, 16>* digests);
void Md5ManyLongAvx2(const absl::string_view* messages, size_t n,
                     std::array<uint8_t, 16>* digests);
void Md5ManyLongAvx512(const absl::string_view* messages, size_t n,
                       std::array<uint8_t, 16>* digests);
// True if this build has the AVX2 (AVX-512) version and the CPU can run it.
bool Md5Avx2Available();
bool Md5Avx512Available();
// "avx512", "avx2" or "portable": the implementation Md5Many() uses.
const char* Md5ManyImplementation();

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_MD5_H_
