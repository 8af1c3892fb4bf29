// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What md5.cc shares with md5_avx2.cc and md5_avx512.cc: the round
// constants, the 64-step schedule, the padding and the portable
// four-lane block function, and the lanes of long messages. Not for other
// callers.

#ifndef BROOK_LIB_UTIL_MD5_INTERNAL_H_
#define BROOK_LIB_UTIL_MD5_INTERNAL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace brook {
namespace internal {

// The sine-derived constants of RFC 1321, one per step.
inline constexpr uint32_t kMd5K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
    0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
    0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
    0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
    0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

// Hashes `count` (1 to 4) padded one-block messages, `blocks[64 * l ...]`
// for lane l, into `digests[0..count)`, four lanes interleaved in scalar
// registers.
void Md5Blocks4(const unsigned char* blocks, int count, uint8_t (*digests)[16]);

// Writes `m` (at most 55 bytes) into `block` as MD5's single padded block:
// the bytes, 0x80, zeros, and the length in bits, little-endian.
inline void PadOneBlock(absl::string_view m, unsigned char* block) {
  std::memset(block, 0, 64);
  if (!m.empty()) std::memcpy(block, m.data(), m.size());
  block[m.size()] = 0x80;
  const uint64_t bits = static_cast<uint64_t>(m.size()) * 8;
  for (int b = 0; b < 8; ++b) {
    block[56 + b] = static_cast<unsigned char>(bits >> (8 * b));
  }
}

// MD5's 64 steps (RFC 1321, section 3.4), written once for every
// implementation: STEP(f, a, b, c, d, word, i, s) is step i (0-63), which
// adds message word `word` (0-15), constant kMd5K[i] and round function f of
// (b, c, d) to a, rotates a left by s and adds b. Round 1 takes the words
// in order, round 2 word (5i + 1) mod 16, round 3 (3i + 5) mod 16, round 4
// 7i mod 16; a, b, c, d (in scope under those names) change roles from step
// to step. Each implementation passes its own STEP and round functions
// (scalar, interleaved, AVX2, AVX-512 ternary-logic immediates).
#define BROOK_MD5_64_STEPS(STEP, F, G, H, I)           \
  for (int i = 0; i < 16; i += 4) {                    \
    STEP(F, a, b, c, d, i, i, 7);                      \
    STEP(F, d, a, b, c, i + 1, i + 1, 12);             \
    STEP(F, c, d, a, b, i + 2, i + 2, 17);             \
    STEP(F, b, c, d, a, i + 3, i + 3, 22);             \
  }                                                    \
  for (int i = 16; i < 32; i += 4) {                   \
    STEP(G, a, b, c, d, (5 * i + 1) & 15, i, 5);       \
    STEP(G, d, a, b, c, (5 * i + 6) & 15, i + 1, 9);   \
    STEP(G, c, d, a, b, (5 * i + 11) & 15, i + 2, 14); \
    STEP(G, b, c, d, a, (5 * i + 16) & 15, i + 3, 20); \
  }                                                    \
  for (int i = 32; i < 48; i += 4) {                   \
    STEP(H, a, b, c, d, (3 * i + 5) & 15, i, 4);       \
    STEP(H, d, a, b, c, (3 * i + 8) & 15, i + 1, 11);  \
    STEP(H, c, d, a, b, (3 * i + 11) & 15, i + 2, 16); \
    STEP(H, b, c, d, a, (3 * i + 14) & 15, i + 3, 23); \
  }                                                    \
  for (int i = 48; i < 64; i += 4) {                   \
    STEP(I, a, b, c, d, (7 * i) & 15, i, 6);           \
    STEP(I, d, a, b, c, (7 * i + 7) & 15, i + 1, 10);  \
    STEP(I, c, d, a, b, (7 * i + 14) & 15, i + 2, 15); \
    STEP(I, b, c, d, a, (7 * i + 21) & 15, i + 3, 21); \
  }

// MD5's initial state (a, b, c, d).
inline constexpr uint32_t kMd5Init[4] = {0x67452301, 0xefcdab89, 0x98badcfe,
                                         0x10325476};

// Hashes `n` messages of any lengths into `digests[0..n)`, `kLanes` at a
// time: lane l hashes one message block after block, and a lane whose message
// has ended takes the next one, so messages of different lengths keep every
// lane busy until the last ones. `process(blocks, state)` runs one 64-byte
// block per lane (`blocks[l]`) through MD5's compression, reading and
// updating the lanes' states (`state[word][l]`: a, b, c, d of lane l); an
// idle lane gets a block of zeros and its state is thrown away. The tail of a
// message (its last partial block, the 0x80, the length) is copied into one
// or two padded blocks; full blocks are read in place.
template <int kLanes, typename Process>
void HashLongInLanes(const absl::string_view* messages, size_t n,
                     std::array<uint8_t, 16>* digests, Process&& process) {
  static constexpr unsigned char kZeros[64] = {};
  constexpr size_t kIdle = ~size_t{0};
  struct Lane {
    size_t message = kIdle;
    const unsigned char* next = nullptr;  // its next full block
    size_t full = 0;                      // full blocks left
    int tail_blocks = 0;
    int tail_done = 0;
    alignas(64) unsigned char tail[128];
  };
  alignas(64) uint32_t state[4][kLanes];
  Lane lanes[kLanes];
  const unsigned char* blocks[kLanes];
  size_t next_message = 0;
  int active = 0;
  auto start = [&](int l) {
    Lane& lane = lanes[l];
    if (next_message == n) {
      lane.message = kIdle;
      return;
    }
    const absl::string_view m = messages[next_message];
    lane.message = next_message++;
    lane.next = reinterpret_cast<const unsigned char*>(m.data());
    lane.full = m.size() / 64;
    const size_t rest = m.size() % 64;
    std::memset(lane.tail, 0, sizeof(lane.tail));
    if (rest > 0) std::memcpy(lane.tail, m.data() + 64 * lane.full, rest);
    lane.tail[rest] = 0x80;
    lane.tail_blocks = rest + 1 + 8 <= 64 ? 1 : 2;
    lane.tail_done = 0;
    const uint64_t bits = static_cast<uint64_t>(m.size()) * 8;
    unsigned char* length = lane.tail + 64 * lane.tail_blocks - 8;
    for (int b = 0; b < 8; ++b) {
      length[b] = static_cast<unsigned char>(bits >> (8 * b));
    }
    for (int w = 0; w < 4; ++w) state[w][l] = kMd5Init[w];
    ++active;
  };
  for (int l = 0; l < kLanes; ++l) start(l);
  while (active > 0) {
    for (int l = 0; l < kLanes; ++l) {
      Lane& lane = lanes[l];
      if (lane.message == kIdle) {
        blocks[l] = kZeros;
      } else if (lane.full > 0) {
        blocks[l] = lane.next;
        lane.next += 64;
        --lane.full;
      } else {
        blocks[l] = lane.tail + 64 * lane.tail_done++;
      }
    }
    process(blocks, state);
    for (int l = 0; l < kLanes; ++l) {
      Lane& lane = lanes[l];
      if (lane.message == kIdle || lane.full > 0 ||
          lane.tail_done < lane.tail_blocks) {
        continue;
      }
      uint8_t* out = digests[lane.message].data();
      for (int w = 0; w < 4; ++w) {
        for (int b = 0; b < 4; ++b) {
          out[4 * w + b] = static_cast<uint8_t>(state[w][l] >> (8 * b));
        }
      }
      --active;
      start(l);
    }
  }
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_MD5_INTERNAL_H_
