// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Written from the RFC 1321 description: four rounds of 16 operations over
// each 64-byte block, little-endian words, with the sine-derived constants.

#include "util/md5.h"

#include <cstdlib>
#include <cstring>

#include "util/coding.h"
#include "util/md5_internal.h"

namespace brook {
namespace internal {
namespace {

constexpr const uint32_t* kK = kMd5K;

inline uint32_t RotateLeft(uint32_t x, int n) {
  return (x << n) | (x >> (32 - n));
}

inline uint32_t LoadLe32(const unsigned char* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) |
         (uint32_t{p[3]} << 24);
}

// One step: a = b + ((a + f(b, c, d) + m + k) <<< s), unrolled below so
// that the constants and message indexes are immediates.
#define BROOK_MD5_STEP(f, a, b, c, d, m, k, s) \
  (a) += f((b), (c), (d)) + (m) + (k);         \
  (a) = RotateLeft((a), (s)) + (b)

inline uint32_t F(uint32_t x, uint32_t y, uint32_t z) {
  return z ^ (x & (y ^ z));
}
inline uint32_t G(uint32_t x, uint32_t y, uint32_t z) {
  return y ^ (z & (x ^ y));
}
inline uint32_t H(uint32_t x, uint32_t y, uint32_t z) { return x ^ y ^ z; }
inline uint32_t I(uint32_t x, uint32_t y, uint32_t z) { return y ^ (x | ~z); }

void ProcessBlock(uint32_t state[4], const unsigned char* block) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i) m[i] = LoadLe32(block + 4 * i);
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
#define BROOK_MD5_WORD_STEP(f, a, b, c, d, word, i, s) \
  BROOK_MD5_STEP(f, a, b, c, d, m[word], kK[i], s)
  BROOK_MD5_64_STEPS(BROOK_MD5_WORD_STEP, F, G, H, I)
#undef BROOK_MD5_WORD_STEP
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

// Four one-block messages at once: the steps of one message depend on each
// other, so interleaving independent messages fills the idle ALUs.
void ProcessBlocks4(uint32_t state[4][4], const uint32_t w[16][4]) {
  uint32_t a[4], b[4], c[4], d[4];
  for (int l = 0; l < 4; ++l) {
    a[l] = state[l][0];
    b[l] = state[l][1];
    c[l] = state[l][2];
    d[l] = state[l][3];
  }
#define BROOK_MD5_STEP4(f, a, b, c, d, word, i, s)                   \
  for (int l = 0; l < 4; ++l) {                                      \
    BROOK_MD5_STEP(f, a[l], b[l], c[l], d[l], w[word][l], kK[i], s); \
  }
  BROOK_MD5_64_STEPS(BROOK_MD5_STEP4, F, G, H, I)
#undef BROOK_MD5_STEP4
#undef BROOK_MD5_STEP
  for (int l = 0; l < 4; ++l) {
    state[l][0] += a[l];
    state[l][1] += b[l];
    state[l][2] += c[l];
    state[l][3] += d[l];
  }
}

void StoreDigest(const uint32_t state[4], uint8_t* out) {
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      out[4 * i + j] = static_cast<uint8_t>(state[i] >> (8 * j));
    }
  }
}

enum class Md5Impl { kPortable, kAvx2, kAvx512 };

Md5Impl ChooseImpl() {
  const char* forced = std::getenv("BROOK_MD5");  // read once, at first use
  const bool portable =
      forced != nullptr && std::strcmp(forced, "portable") == 0;
  const bool avx2_only = forced != nullptr && std::strcmp(forced, "avx2") == 0;
  if (portable) return Md5Impl::kPortable;
  if (!avx2_only && Md5Avx512Available()) return Md5Impl::kAvx512;
  if (Md5Avx2Available()) return Md5Impl::kAvx2;
  return Md5Impl::kPortable;
}

// Chosen once, on first use.
Md5Impl Chosen() {
  static const Md5Impl impl = ChooseImpl();
  return impl;
}

}  // namespace

void Md5Blocks4(const unsigned char* blocks, int count,
                uint8_t (*digests)[16]) {
  uint32_t state[4][4];
  uint32_t w[16][4] = {};
  for (int l = 0; l < 4; ++l) {
    state[l][0] = 0x67452301;
    state[l][1] = 0xefcdab89;
    state[l][2] = 0x98badcfe;
    state[l][3] = 0x10325476;
    // Unused lanes hash zeros; their digests are dropped.
    if (l >= count) continue;
    for (int k = 0; k < 16; ++k) w[k][l] = LoadLe32(blocks + 64 * l + 4 * k);
  }
  ProcessBlocks4(state, w);
  for (int l = 0; l < count; ++l) StoreDigest(state[l], digests[l]);
}

void Md5ManyPortable(const absl::string_view* messages, size_t n,
                     std::array<uint8_t, 16>* digests) {
  unsigned char blocks[4 * 64];
  uint8_t out[4][16];
  size_t lanes[4];
  size_t i = 0;
  while (i < n) {
    // Gather up to four one-block messages; longer ones go alone.
    int count = 0;
    for (; i < n && count < 4; ++i) {
      const absl::string_view m = messages[i];
      if (m.size() > kMaxOneBlockBytes) {
        digests[i] = Md5(m);
        continue;
      }
      PadOneBlock(m, blocks + 64 * count);
      lanes[count++] = i;
    }
    if (count == 0) break;
    Md5Blocks4(blocks, count, out);
    for (int l = 0; l < count; ++l) {
      std::memcpy(digests[lanes[l]].data(), out[l], 16);
    }
  }
}

void Md5ManyLongPortable(const absl::string_view* messages, size_t n,
                         std::array<uint8_t, 16>* digests) {
  HashLongInLanes<4>(
      messages, n, digests,
      [](const unsigned char* const* blocks, uint32_t(*state)[4]) {
        uint32_t lanes[4][4];
        uint32_t w[16][4];
        for (int l = 0; l < 4; ++l) {
          for (int k = 0; k < 4; ++k) lanes[l][k] = state[k][l];
          for (int k = 0; k < 16; ++k) w[k][l] = LoadLe32(blocks[l] + 4 * k);
        }
        ProcessBlocks4(lanes, w);
        for (int l = 0; l < 4; ++l) {
          for (int k = 0; k < 4; ++k) state[k][l] = lanes[l][k];
        }
      });
}

#if !defined(BROOK_HAVE_AVX2_MD5)
// Never called: Md5Avx2Available() and Md5Avx512Available() are false.
void Md5ManyLongAvx2(const absl::string_view* messages, size_t n,
                     std::array<uint8_t, 16>* digests) {
  Md5ManyLongPortable(messages, n, digests);
}
void Md5ManyLongAvx512(const absl::string_view* messages, size_t n,
                       std::array<uint8_t, 16>* digests) {
  Md5ManyLongPortable(messages, n, digests);
}
void Md5ManyAvx2(const absl::string_view* messages, size_t n,
                 std::array<uint8_t, 16>* digests) {
  Md5ManyPortable(messages, n, digests);
}
void Md5ManyAvx512(const absl::string_view* messages, size_t n,
                   std::array<uint8_t, 16>* digests) {
  Md5ManyPortable(messages, n, digests);
}
#endif

bool Md5Avx2Available() {
#if defined(BROOK_HAVE_AVX2_MD5)
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

bool Md5Avx512Available() {
#if defined(BROOK_HAVE_AVX2_MD5)
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw");
#else
  return false;
#endif
}

const char* Md5ManyImplementation() {
  switch (Chosen()) {
    case Md5Impl::kAvx512:
      return "avx512";
    case Md5Impl::kAvx2:
      return "avx2";
    case Md5Impl::kPortable:
      break;
  }
  return "portable";
}

void Md5Many(const absl::string_view* messages, size_t n,
             std::array<uint8_t, 16>* digests) {
  switch (Chosen()) {
    case Md5Impl::kAvx512:
      Md5ManyAvx512(messages, n, digests);
      return;
    case Md5Impl::kAvx2:
      Md5ManyAvx2(messages, n, digests);
      return;
    case Md5Impl::kPortable:
      break;
  }
  Md5ManyPortable(messages, n, digests);
}

void Md5ManyLong(const absl::string_view* messages, size_t n,
                 std::array<uint8_t, 16>* digests) {
  if (n == 1) {  // one message: no lanes to fill
    digests[0] = Md5(messages[0]);
    return;
  }
  switch (Chosen()) {
    case Md5Impl::kAvx512:
      Md5ManyLongAvx512(messages, n, digests);
      return;
    case Md5Impl::kAvx2:
      Md5ManyLongAvx2(messages, n, digests);
      return;
    case Md5Impl::kPortable:
      break;
  }
  Md5ManyLongPortable(messages, n, digests);
}

std::array<uint8_t, 16> Md5(absl::string_view data) {
  uint32_t state[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  const uint64_t bit_length = static_cast<uint64_t>(n) * 8;
  while (n >= 64) {
    ProcessBlock(state, p);
    p += 64;
    n -= 64;
  }
  // Final one or two blocks: the tail, 0x80, zeros, then the bit length
  // (little-endian). Only the blocks used are cleared: a partition key (one
  // block) is hashed on every put.
  unsigned char tail[128];
  const size_t tail_size = n + 1 + 8 <= 64 ? 64 : 128;
  std::memset(tail, 0, tail_size - 8);
  if (n > 0) std::memcpy(tail, p, n);
  tail[n] = 0x80;
  EncodeFixed<uint64_t>(reinterpret_cast<char*>(tail) + tail_size - 8,
                        bit_length);
  ProcessBlock(state, tail);
  if (tail_size == 128) ProcessBlock(state, tail + 64);

  std::array<uint8_t, 16> digest;
  StoreDigest(state, digest.data());
  return digest;
}

}  // namespace internal
}  // namespace brook
