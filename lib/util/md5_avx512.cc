// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// MD5 of one-block messages (up to kMaxOneBlockBytes), thirty-two at a time:
// two groups of sixteen AVX-512 lanes, one message per 32-bit lane, with a
// three-input logic instruction for each round function and a rotate
// instruction; each message's padded block is one masked load and one OR.
// The only file built with -mavx512f -mavx512bw; md5.cc calls it only when
// the CPU (and OS) support AVX-512F and AVX-512BW.

#include <cstring>

#include "util/md5.h"
#include "util/md5_internal.h"
#include <immintrin.h>

namespace brook {
namespace internal {
namespace {

constexpr int kGroups = 2;  // independent groups of 16 lanes, interleaved
constexpr int kLanes = 16 * kGroups;

// For each message length that fits one block: the block's padding (0x80
// after the message, the length in bits in the last eight bytes), to OR over
// the message.
struct PadTable {
  alignas(64) unsigned char pad[kMaxOneBlockBytes + 1][64];
};
constexpr PadTable MakePadTable() {
  PadTable t{};
  for (size_t len = 0; len <= kMaxOneBlockBytes; ++len) {
    t.pad[len][len] = 0x80;
    const uint64_t bits = len * 8;
    for (int b = 0; b < 8; ++b) {
      t.pad[len][56 + b] = static_cast<unsigned char>(bits >> (8 * b));
    }
  }
  return t;
}
constexpr PadTable kPad = MakePadTable();

// The round functions as vpternlogd truth tables of (x, y, z).
constexpr int kF = 0xca;  // (x & y) | (~x & z)
constexpr int kG = 0xe4;  // (x & z) | (y & ~z)
constexpr int kH = 0x96;  // x ^ y ^ z
constexpr int kI = 0x39;  // y ^ (x | ~z)

// Transposes sixteen rows of sixteen 32-bit words: `col[k]`'s word i is
// `row[i]`'s word k. Four rounds of sixteen shuffles, all in registers (a
// gather per column cost several times that on the CPU measured, an AMD
// EPYC of family 26).
inline void Transpose16(const __m512i row[16], __m512i col[16]) {
  // Words 4L+{0,1} and 4L+{2,3} of row pairs, per 128-bit lane L.
  __m512i t[16];
  for (int j = 0; j < 8; ++j) {
    t[2 * j] = _mm512_unpacklo_epi32(row[2 * j], row[2 * j + 1]);
    t[2 * j + 1] = _mm512_unpackhi_epi32(row[2 * j], row[2 * j + 1]);
  }
  // u[4j+m], lane L: word 4L+m of rows 4j..4j+3.
  __m512i u[16];
  for (int j = 0; j < 4; ++j) {
    u[4 * j] = _mm512_unpacklo_epi64(t[4 * j], t[4 * j + 2]);
    u[4 * j + 1] = _mm512_unpackhi_epi64(t[4 * j], t[4 * j + 2]);
    u[4 * j + 2] = _mm512_unpacklo_epi64(t[4 * j + 1], t[4 * j + 3]);
    u[4 * j + 3] = _mm512_unpackhi_epi64(t[4 * j + 1], t[4 * j + 3]);
  }
  // Column 4L+m gathers lane L of u[m], u[4+m], u[8+m], u[12+m].
  for (int m = 0; m < 4; ++m) {
    const __m512i v0 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0x44);
    const __m512i v1 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0xee);
    const __m512i v2 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0x44);
    const __m512i v3 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0xee);
    col[m] = _mm512_shuffle_i32x4(v0, v2, 0x88);
    col[4 + m] = _mm512_shuffle_i32x4(v0, v2, 0xdd);
    col[8 + m] = _mm512_shuffle_i32x4(v1, v3, 0x88);
    col[12 + m] = _mm512_shuffle_i32x4(v1, v3, 0xdd);
  }
}

// Hashes `groups` * 16 padded blocks (`blocks`, 64 bytes each) into
// `digests`.
template <int kUsed>
void ProcessBlocks(const unsigned char* blocks, uint8_t (*digests)[16]) {
  // Word k of lane l is the 32-bit word at 16 * l + k: the blocks as rows,
  // transposed into one vector per word.
  __m512i w[kUsed][16];
  for (int g = 0; g < kUsed; ++g) {
    const unsigned char* base = blocks + 1024 * g;
    __m512i row[16];
    for (int l = 0; l < 16; ++l) row[l] = _mm512_load_si512(base + 64 * l);
    Transpose16(row, w[g]);
  }
  __m512i a[kUsed], b[kUsed], c[kUsed], d[kUsed];
  for (int g = 0; g < kUsed; ++g) {
    a[g] = _mm512_set1_epi32(0x67452301);
    b[g] = _mm512_set1_epi32(static_cast<int>(0xefcdab89));
    c[g] = _mm512_set1_epi32(static_cast<int>(0x98badcfe));
    d[g] = _mm512_set1_epi32(0x10325476);
  }
#define BROOK_MD5_ZSTEP(f, a, b, c, d, word, i, s)                             \
  for (int g = 0; g < kUsed; ++g) {                                            \
    const __m512i mk = _mm512_add_epi32(                                       \
        w[g][word], _mm512_set1_epi32(static_cast<int>(kMd5K[i])));            \
    a[g] = _mm512_add_epi32(                                                   \
        a[g],                                                                  \
        _mm512_add_epi32(_mm512_ternarylogic_epi32(b[g], c[g], d[g], f), mk)); \
    a[g] = _mm512_add_epi32(_mm512_rol_epi32(a[g], s), b[g]);                  \
  }
  BROOK_MD5_64_STEPS(BROOK_MD5_ZSTEP, kF, kG, kH, kI)
#undef BROOK_MD5_ZSTEP
  alignas(64) uint32_t out[4][16];
  for (int g = 0; g < kUsed; ++g) {
    _mm512_store_si512(out[0],
                       _mm512_add_epi32(a[g], _mm512_set1_epi32(0x67452301)));
    _mm512_store_si512(
        out[1], _mm512_add_epi32(
                    b[g], _mm512_set1_epi32(static_cast<int>(0xefcdab89))));
    _mm512_store_si512(
        out[2], _mm512_add_epi32(
                    c[g], _mm512_set1_epi32(static_cast<int>(0x98badcfe))));
    _mm512_store_si512(out[3],
                       _mm512_add_epi32(d[g], _mm512_set1_epi32(0x10325476)));
    // Lane l's digest: its a, b, c, d in little-endian bytes.
    for (int l = 0; l < 16; ++l) {
      const uint32_t words[4] = {out[0][l], out[1][l], out[2][l], out[3][l]};
      std::memcpy(digests[16 * g + l], words, 16);
    }
  }
}

// Sixteen rows of sixteen 32-bit words (row l = lane l's block) into sixteen
// vectors (vector k = word k of every lane): 32-bit and 64-bit unpacks
// transpose 4x4 within each 128-bit part, two rounds of 128-bit shuffles move
// the parts to their lanes.
inline void Transpose16(const unsigned char* const* rows, __m512i out[16]) {
  __m512i r[16];
  for (int l = 0; l < 16; ++l) r[l] = _mm512_loadu_si512(rows[l]);
  __m512i t[16];
  for (int l = 0; l < 16; l += 2) {
    t[l] = _mm512_unpacklo_epi32(r[l], r[l + 1]);
    t[l + 1] = _mm512_unpackhi_epi32(r[l], r[l + 1]);
  }
  // u[4g + j], part p: word 4p + j of rows 4g .. 4g + 3.
  __m512i u[16];
  for (int g = 0; g < 16; g += 4) {
    u[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);
    u[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);
    u[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
    u[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
  }
  for (int j = 0; j < 4; ++j) {
    // Parts 0 and 2 (x0, y0) or 1 and 3 (x1, y1) of rows 0-7 and 8-15.
    const __m512i x0 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x88);
    const __m512i x1 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xdd);
    const __m512i y0 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x88);
    const __m512i y1 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xdd);
    out[j] = _mm512_shuffle_i32x4(x0, y0, 0x88);
    out[8 + j] = _mm512_shuffle_i32x4(x0, y0, 0xdd);
    out[4 + j] = _mm512_shuffle_i32x4(x1, y1, 0x88);
    out[12 + j] = _mm512_shuffle_i32x4(x1, y1, 0xdd);
  }
}

// One block of each of sixteen lanes (`blocks[l]`) through MD5's
// compression, from and into `state[word][lane]`.
void CompressLanes(const unsigned char* const* blocks, uint32_t (*state)[16]) {
  __m512i w[16];
  Transpose16(blocks, w);
  const __m512i a0 = _mm512_load_si512(state[0]);
  const __m512i b0 = _mm512_load_si512(state[1]);
  const __m512i c0 = _mm512_load_si512(state[2]);
  const __m512i d0 = _mm512_load_si512(state[3]);
  __m512i a = a0, b = b0, c = c0, d = d0;
#define BROOK_MD5_LSTEP(f, a, b, c, d, word, i, s)               \
  {                                                              \
    const __m512i mk = _mm512_add_epi32(                         \
        w[word], _mm512_set1_epi32(static_cast<int>(kMd5K[i]))); \
    a = _mm512_add_epi32(_mm512_add_epi32(a, mk),                \
                         _mm512_ternarylogic_epi32(b, c, d, f)); \
    a = _mm512_add_epi32(_mm512_rol_epi32(a, s), b);             \
  }
  BROOK_MD5_64_STEPS(BROOK_MD5_LSTEP, kF, kG, kH, kI)
#undef BROOK_MD5_LSTEP
  _mm512_store_si512(state[0], _mm512_add_epi32(a, a0));
  _mm512_store_si512(state[1], _mm512_add_epi32(b, b0));
  _mm512_store_si512(state[2], _mm512_add_epi32(c, c0));
  _mm512_store_si512(state[3], _mm512_add_epi32(d, d0));
}

}  // namespace

void Md5ManyLongAvx512(const absl::string_view* messages, size_t n,
                       std::array<uint8_t, 16>* digests) {
  HashLongInLanes<16>(messages, n, digests, CompressLanes);
}

void Md5ManyAvx512(const absl::string_view* messages, size_t n,
                   std::array<uint8_t, 16>* digests) {
  alignas(64) unsigned char blocks[kLanes * 64];
  uint8_t out[kLanes][16];
  size_t lanes[kLanes];
  size_t i = 0;
  while (i < n) {
    // Gather up to kLanes one-block messages; longer ones go alone.
    int count = 0;
    for (; i < n && count < kLanes; ++i) {
      const absl::string_view m = messages[i];
      if (m.size() > kMaxOneBlockBytes) {
        digests[i] = Md5(m);
        continue;
      }
      // The message's bytes (a masked load reads none past its end), then
      // its padding.
      const __mmask64 mask = (uint64_t{1} << m.size()) - 1;
      __m512i block = m.empty() ? _mm512_setzero_si512()
                                : _mm512_maskz_loadu_epi8(mask, m.data());
      block = _mm512_or_si512(block, _mm512_load_si512(kPad.pad[m.size()]));
      _mm512_store_si512(blocks + 64 * count, block);
      lanes[count++] = i;
    }
    if (count == 0) break;
    if (count <= 4) {
      // Too few to pay for sixteen lanes (the tail of a batch).
      Md5Blocks4(blocks, count, out);
    } else if (count <= 16) {
      // Unused lanes hash zeros; their digests are dropped below.
      std::memset(blocks + 64 * count, 0, 64 * (16 - count));
      ProcessBlocks<1>(blocks, out);
    } else {
      std::memset(blocks + 64 * count, 0, 64 * (kLanes - count));
      ProcessBlocks<kGroups>(blocks, out);
    }
    for (int l = 0; l < count; ++l) {
      std::memcpy(digests[lanes[l]].data(), out[l], 16);
    }
  }
}

}  // namespace internal
}  // namespace brook
