// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "util/key_hash_cache.h"

namespace brook {
namespace internal {

KeyHashCache::KeyHashCache() : entries_(new Entry[kSets * kWays]()) {}

void KeyHashCache::Insert(absl::string_view key, absl::uint128 hash_key) {
  if (key.size() > kMaxKeyBytes) return;
  Entry* set = &entries_[SetOf(key) * kWays];
  Entry* slot = nullptr;
  for (size_t w = 0; w < kWays; ++w) {
    Entry& e = set[w];
    if (e.size == key.size() + 1 && Equal(e.key, key)) {
      return;  // cached already (a key twice in one batch)
    }
    if (e.size == 0 && slot == nullptr) slot = &e;
  }
  if (slot == nullptr) {
    victim_ ^= victim_ << 13;
    victim_ ^= victim_ >> 7;
    victim_ ^= victim_ << 17;
    slot = &set[victim_ % kWays];
  }
  slot->high = absl::Uint128High64(hash_key);
  slot->low = absl::Uint128Low64(hash_key);
  slot->size = static_cast<uint8_t>(key.size() + 1);
  if (!key.empty()) std::memcpy(slot->key, key.data(), key.size());
}

}  // namespace internal
}  // namespace brook
