// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A bounded cache of partition key -> MD5 hash key, for streams whose records
// repeat a modest set of keys (device ids, user ids): a hit costs a short
// compare instead of an MD5 block. Fixed size, allocated once; no allocation
// or locking per lookup. Keys longer than kMaxKeyBytes are not cached.
//
// The table is 4-way set associative: kSets sets of four 64-byte entries
// (1 MiB). An entry holds the whole key, so a hit is exact, never a
// fingerprint match; a full set evicts a pseudo-random entry, which keeps a
// cyclic working set slightly over capacity mostly cached (LRU would miss
// every time).
//
// Thread safety: none; one cache per thread (the producer keeps one in a
// thread_local), so lookups never contend.

#ifndef BROOK_LIB_UTIL_KEY_HASH_CACHE_H_
#define BROOK_LIB_UTIL_KEY_HASH_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"

namespace brook {
namespace internal {

class KeyHashCache {
 public:
  static constexpr size_t kMaxKeyBytes = 47;
  static constexpr size_t kWays = 4;
  static constexpr size_t kSets = 4096;

  KeyHashCache();

  // True and `*hash_key` set if `key` is cached.
  bool Find(absl::string_view key, absl::uint128* hash_key) const {
    if (key.size() > kMaxKeyBytes) return false;
    const Entry* set = &entries_[SetOf(key) * kWays];
    for (size_t w = 0; w < kWays; ++w) {
      const Entry& e = set[w];
      if (e.size == key.size() + 1 && Equal(e.key, key)) {
        *hash_key = absl::MakeUint128(e.high, e.low);
        return true;
      }
    }
    return false;
  }

  // Caches `key` -> `hash_key`, evicting an entry of its set if full. A key
  // over kMaxKeyBytes, or one cached already, is left alone.
  // REQUIRES: `hash_key` is the hash key of `key`.
  void Insert(absl::string_view key, absl::uint128 hash_key);

 private:
  struct Entry {
    uint64_t high;
    uint64_t low;
    uint8_t size;  // key bytes + 1; 0 for an empty entry
    char key[kMaxKeyBytes];
  };
  static_assert(sizeof(Entry) == 64, "one cache line per entry");

  // True if the first key.size() bytes of `cached` are `key`'s; inline and
  // without a call, in words that may overlap.
  static bool Equal(const char* cached, absl::string_view key) {
    const char* p = key.data();
    const size_t n = key.size();
    uint64_t diff = 0;
    if (n >= 8) {
      for (size_t i = 0; i + 8 <= n; i += 8)
        diff |= Load64(cached + i) ^ Load64(p + i);
      diff |= Load64(cached + n - 8) ^ Load64(p + n - 8);
    } else {
      for (size_t i = 0; i < n; ++i)
        diff |= static_cast<uint8_t>(cached[i] ^ p[i]);
    }
    return diff == 0;
  }
  static uint64_t Load64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }

  static size_t SetOf(absl::string_view key) {
    // Length, first and last (up to) eight bytes, multiplied and folded:
    // cheap, and spreads keys that differ in a counter at either end.
    uint64_t head = 0;
    uint64_t tail = 0;
    const size_t n = key.size();
    if (n >= 8) {
      std::memcpy(&head, key.data(), 8);
      std::memcpy(&tail, key.data() + n - 8, 8);
    } else if (n > 0) {
      std::memcpy(&head, key.data(), n);
    }
    const unsigned __int128 m =
        static_cast<unsigned __int128>(head ^ (n * 0x9e3779b97f4a7c15ULL)) *
        (tail ^ 0xc2b2ae3d27d4eb4fULL);
    const uint64_t h =
        static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
    return static_cast<size_t>(h ^ (h >> 29)) & (kSets - 1);
  }

  std::unique_ptr<Entry[]> entries_;
  uint64_t victim_ = 0x2545f4914f6cdd1dULL;  // xorshift state for evictions
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_KEY_HASH_CACHE_H_
