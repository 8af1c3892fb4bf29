// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// MD5 of one-block messages (up to kMaxOneBlockBytes), sixteen at a time:
// two groups of eight AVX2 lanes, one message per 32-bit lane. The only file
// built with -mavx2; md5.cc calls it only when the CPU has AVX2.

#include <cstring>

#include "util/md5.h"
#include "util/md5_internal.h"
#include <immintrin.h>

namespace brook {
namespace internal {
namespace {

constexpr int kGroups = 2;  // independent groups of 8 lanes, interleaved
constexpr int kLanes = 8 * kGroups;

inline __m256i Rotl(__m256i x, int n) {
  return _mm256_or_si256(_mm256_slli_epi32(x, n), _mm256_srli_epi32(x, 32 - n));
}
inline __m256i F(__m256i x, __m256i y, __m256i z) {
  return _mm256_xor_si256(z, _mm256_and_si256(x, _mm256_xor_si256(y, z)));
}
inline __m256i G(__m256i x, __m256i y, __m256i z) {
  return _mm256_xor_si256(y, _mm256_and_si256(z, _mm256_xor_si256(x, y)));
}
inline __m256i H(__m256i x, __m256i y, __m256i z) {
  return _mm256_xor_si256(_mm256_xor_si256(x, y), z);
}
inline __m256i I(__m256i x, __m256i y, __m256i z) {
  // y ^ (x | ~z); ~z as z ^ all-ones.
  return _mm256_xor_si256(
      y, _mm256_or_si256(x, _mm256_xor_si256(z, _mm256_set1_epi32(-1))));
}

// Transposes eight rows of eight 32-bit words (row r = message r, words
// `first`..`first`+7) into eight vectors (vector k = word `first`+k of every
// message).
inline void Transpose8(const unsigned char* rows, int first, __m256i out[8]) {
  __m256i r[8];
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm256_loadu_si256(
        reinterpret_cast<const __m256i*>(rows + 64 * i + 4 * first));
  }
  __m256i t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
  }
  __m256i u[8];
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  // u[0..3] hold words 0,1,2,3 (and 4..7 in the high halves) of rows 0-3;
  // u[4..7] the same of rows 4-7.
  for (int k = 0; k < 4; ++k) {
    out[k] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x20);
    out[k + 4] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x31);
  }
}

// Hashes kLanes padded blocks (`blocks`, 64 bytes each) into `digests`.
void ProcessBlocks(const unsigned char* blocks, uint8_t (*digests)[16]) {
  __m256i w[kGroups][16];
  for (int g = 0; g < kGroups; ++g) {
    Transpose8(blocks + 512 * g, 0, w[g]);
    Transpose8(blocks + 512 * g, 8, w[g] + 8);
  }
  __m256i a[kGroups], b[kGroups], c[kGroups], d[kGroups];
  for (int g = 0; g < kGroups; ++g) {
    a[g] = _mm256_set1_epi32(0x67452301);
    b[g] = _mm256_set1_epi32(static_cast<int>(0xefcdab89));
    c[g] = _mm256_set1_epi32(static_cast<int>(0x98badcfe));
    d[g] = _mm256_set1_epi32(0x10325476);
  }
#define BROOK_MD5_VSTEP(f, a, b, c, d, word, i, s)                            \
  for (int g = 0; g < kGroups; ++g) {                                         \
    const __m256i mk = _mm256_add_epi32(                                      \
        w[g][word], _mm256_set1_epi32(static_cast<int>(kMd5K[i])));           \
    a[g] = _mm256_add_epi32(a[g], _mm256_add_epi32(f(b[g], c[g], d[g]), mk)); \
    a[g] = _mm256_add_epi32(Rotl(a[g], s), b[g]);                             \
  }
  BROOK_MD5_64_STEPS(BROOK_MD5_VSTEP, F, G, H, I)
#undef BROOK_MD5_VSTEP
  for (int g = 0; g < kGroups; ++g) {
    a[g] = _mm256_add_epi32(a[g], _mm256_set1_epi32(0x67452301));
    b[g] =
        _mm256_add_epi32(b[g], _mm256_set1_epi32(static_cast<int>(0xefcdab89)));
    c[g] =
        _mm256_add_epi32(c[g], _mm256_set1_epi32(static_cast<int>(0x98badcfe)));
    d[g] = _mm256_add_epi32(d[g], _mm256_set1_epi32(0x10325476));
    // Lane l's digest is a[l], b[l], c[l], d[l] in little-endian bytes:
    // interleave the four vectors so each 128-bit half holds one digest.
    const __m256i ab_lo = _mm256_unpacklo_epi32(a[g], b[g]);  // a0 b0 a1 b1
    const __m256i ab_hi = _mm256_unpackhi_epi32(a[g], b[g]);  // a2 b2 a3 b3
    const __m256i cd_lo = _mm256_unpacklo_epi32(c[g], d[g]);
    const __m256i cd_hi = _mm256_unpackhi_epi32(c[g], d[g]);
    const __m256i l04 = _mm256_unpacklo_epi64(ab_lo, cd_lo);  // lanes 0, 4
    const __m256i l15 = _mm256_unpackhi_epi64(ab_lo, cd_lo);  // lanes 1, 5
    const __m256i l26 = _mm256_unpacklo_epi64(ab_hi, cd_hi);  // lanes 2, 6
    const __m256i l37 = _mm256_unpackhi_epi64(ab_hi, cd_hi);  // lanes 3, 7
    uint8_t(*out)[16] = digests + 8 * g;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[0]),
                     _mm256_castsi256_si128(l04));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[4]),
                     _mm256_extracti128_si256(l04, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[1]),
                     _mm256_castsi256_si128(l15));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[5]),
                     _mm256_extracti128_si256(l15, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[2]),
                     _mm256_castsi256_si128(l26));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[6]),
                     _mm256_extracti128_si256(l26, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[3]),
                     _mm256_castsi256_si128(l37));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[7]),
                     _mm256_extracti128_si256(l37, 1));
  }
}

// As Transpose8(), for rows anywhere: row i (words `first`..`first`+7) at
// `rows[i]`.
inline void Transpose8At(const unsigned char* const* rows, int first,
                         __m256i out[8]) {
  __m256i r[8];
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm256_loadu_si256(
        reinterpret_cast<const __m256i*>(rows[i] + 4 * first));
  }
  __m256i t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
  }
  __m256i u[8];
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (int k = 0; k < 4; ++k) {
    out[k] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x20);
    out[k + 4] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x31);
  }
}

// One block of each of eight lanes (`blocks[l]`) through MD5's compression,
// from and into `state[word][lane]`.
void CompressLanes(const unsigned char* const* blocks, uint32_t (*state)[8]) {
  __m256i w[16];
  Transpose8At(blocks, 0, w);
  Transpose8At(blocks, 8, w + 8);
  const __m256i a0 = _mm256_load_si256(reinterpret_cast<__m256i*>(state[0]));
  const __m256i b0 = _mm256_load_si256(reinterpret_cast<__m256i*>(state[1]));
  const __m256i c0 = _mm256_load_si256(reinterpret_cast<__m256i*>(state[2]));
  const __m256i d0 = _mm256_load_si256(reinterpret_cast<__m256i*>(state[3]));
  __m256i a = a0, b = b0, c = c0, d = d0;
#define BROOK_MD5_LSTEP(f, a, b, c, d, word, i, s)               \
  {                                                              \
    const __m256i mk = _mm256_add_epi32(                         \
        w[word], _mm256_set1_epi32(static_cast<int>(kMd5K[i]))); \
    a = _mm256_add_epi32(_mm256_add_epi32(a, mk), f(b, c, d));   \
    a = _mm256_add_epi32(Rotl(a, s), b);                         \
  }
  BROOK_MD5_64_STEPS(BROOK_MD5_LSTEP, F, G, H, I)
#undef BROOK_MD5_LSTEP
  _mm256_store_si256(reinterpret_cast<__m256i*>(state[0]),
                     _mm256_add_epi32(a, a0));
  _mm256_store_si256(reinterpret_cast<__m256i*>(state[1]),
                     _mm256_add_epi32(b, b0));
  _mm256_store_si256(reinterpret_cast<__m256i*>(state[2]),
                     _mm256_add_epi32(c, c0));
  _mm256_store_si256(reinterpret_cast<__m256i*>(state[3]),
                     _mm256_add_epi32(d, d0));
}

}  // namespace

void Md5ManyLongAvx2(const absl::string_view* messages, size_t n,
                     std::array<uint8_t, 16>* digests) {
  HashLongInLanes<8>(messages, n, digests, CompressLanes);
}

void Md5ManyAvx2(const absl::string_view* messages, size_t n,
                 std::array<uint8_t, 16>* digests) {
  alignas(32) unsigned char blocks[kLanes * 64];
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
      PadOneBlock(m, blocks + 64 * count);
      lanes[count++] = i;
    }
    if (count == 0) break;
    if (count <= 4) {
      // Too few to pay for sixteen lanes (the tail of a batch).
      Md5Blocks4(blocks, count, out);
    } else {
      // Unused lanes hash zeros; their digests are dropped below.
      std::memset(blocks + 64 * count, 0, 64 * (kLanes - count));
      ProcessBlocks(blocks, out);
    }
    for (int l = 0; l < count; ++l) {
      std::memcpy(digests[lanes[l]].data(), out[l], 16);
    }
  }
}

}  // namespace internal
}  // namespace brook
