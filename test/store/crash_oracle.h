// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The oracle of the kill -9 tests (crash_test.cc). A child process puts
// records of `kCrashKeys` partition keys, each key with its own counter, and
// after each acknowledgement writes what it was told (shard, position, key,
// counter) into a `CrashLog` in memory shared with the parent. The data of a
// record is a function of its key and counter (`CrashData()`), so garbage and
// misplaced records are noticed. After the kill the parent reopens the stream
// and `CrashModel::Verify()` checks every shard:
//   1. every record is one the test could have written: its data is exactly
//      `CrashData(key, counter)` and its partition key `CrashKey(key)`;
//   2. no (key, counter) appears twice, and per key the counters strictly
//      increase in (shard number, position) order: a key's records move to a
//      shard with a higher number when a reshard closes its shard;
//   3. a shard's positions run on from its first kept record without a gap;
//   4. every record known to be stored (acknowledged to a child, or found by
//      an earlier open) is at its shard and position, unless retention
//      removed it. Retention (kDropOldest) removes, per shard, a prefix of
//      whole segments, never an open shard's last segment, but every segment
//      of a closed shard: so a known record may be missing only if its
//      position is below the first position the shard still holds (for a
//      closed shard that holds none, its end).
// Records found but never acknowledged (the child was killed before it could
// report them) are accepted once and from then on are known.
//
// Thread safety: not thread-safe; one per test.

#ifndef BROOK_TEST_STORE_CRASH_ORACLE_H_
#define BROOK_TEST_STORE_CRASH_ORACLE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <catch2/catch.hpp>

#include "brook/stream.h"

#include "store/store_testing.h"
#include "stream/sequence.h"
#include "testing/status_testing.h"

namespace brook {
namespace testing {

constexpr int kCrashKeys = 12;

inline std::string CrashKey(int key) { return absl::StrCat("key-", key); }

// The data of the record with counter `counter` of key `key`: a header naming
// both, then a deterministic body. Most bodies are under 300 bytes; about one
// record in 90 is 70 to 100 KiB, larger than the tests' 64 KiB segments.
inline std::string CrashData(int key, uint64_t counter) {
  const uint64_t h = counter * 7919 + static_cast<uint64_t>(key) * 131;
  size_t n = static_cast<size_t>(h % 300);
  if (h % 89 == 0) n = (70 << 10) + static_cast<size_t>(h % (30 << 10));
  std::string d = absl::StrCat("k", key, "#", counter, "#", n, ":");
  uint64_t x = h * 0x9E3779B97F4A7C15u + 1;
  for (size_t k = 0; k < n; ++k) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    d.push_back(static_cast<char>('a' + (x * 0x2545F4914F6CDD1Du >> 59)));
  }
  return d;
}

// Parses the header of `CrashData()`; false for anything else.
inline bool ParseCrashData(absl::string_view data, int* key,
                           uint64_t* counter) {
  if (data.empty() || data[0] != 'k') return false;
  std::vector<absl::string_view> parts =
      absl::StrSplit(data.substr(1), absl::MaxSplits('#', 2));
  return parts.size() == 3 && absl::SimpleAtoi(parts[0], key) && *key >= 0 &&
         *key < kCrashKeys && absl::SimpleAtoi(parts[1], counter);
}

// What a child reports per acknowledged record.
struct CrashAck {
  uint32_t shard;
  uint32_t key;
  uint64_t counter;
  uint64_t position;
};

// Shared (MAP_SHARED | MAP_ANONYMOUS) between the parent and its children:
// entries [0, count) are acknowledged. A child fills entries first and then
// publishes them by raising `count`.
struct CrashLog {
  static constexpr size_t kCapacity = size_t{1} << 20;
  std::atomic<uint64_t> count;
  CrashAck entries[kCapacity];
};

class CrashModel {
 public:
  // The counter the next record of each key takes.
  const std::array<uint64_t, kCrashKeys>& next_counters() const {
    return next_;
  }
  int64_t known_records() const { return static_cast<int64_t>(known_.size()); }

  // Adds what the last child acknowledged.
  void AddAcks(const CrashLog& log) {
    const uint64_t n = log.count.load(std::memory_order_acquire);
    for (uint64_t i = 0; i < n; ++i) {
      const CrashAck& a = log.entries[i];
      pending_.push_back(a);
      next_[a.key] = std::max(next_[a.key], a.counter + 1);
    }
  }

  // Checks `stream` as the file comment says. With `commit`, what it holds
  // becomes the known records (retention may have removed some since).
  void Verify(Stream* stream, bool commit) {
    std::map<std::pair<uint64_t, uint64_t>, std::pair<int, uint64_t>> found;
    std::map<uint64_t, uint64_t> first_kept;  // shard -> first position held
    std::set<std::pair<int, uint64_t>> seen;
    std::array<int64_t, kCrashKeys> last_counter;
    last_counter.fill(-1);
    for (const ShardDescription& d : stream->ListShards()) {
      INFO("shard " << d.shard_id);
      const uint64_t shard =
          internal::ShardNumberOf(d.starting_sequence_number);
      absl::StatusOr<std::vector<OwnedRecord>> records =
          ReadShard(stream, d.shard_id);
      BROOK_REQUIRE_OK(records);
      uint64_t first = internal::PositionOf(d.starting_sequence_number);
      if (!records->empty()) {
        first = internal::PositionOf(records->front().sequence_number);
      } else if (!d.is_open()) {
        // Retention may have dropped every record of a closed shard.
        first = internal::PositionOf(*d.ending_sequence_number) + 1;
      }
      first_kept[shard] = first;
      for (size_t i = 0; i < records->size(); ++i) {
        const OwnedRecord& r = (*records)[i];
        const uint64_t position = internal::PositionOf(r.sequence_number);
        INFO("position " << position << ", data "
                         << absl::string_view(r.data).substr(0, 32));
        REQUIRE(position == first_kept[shard] + i);
        int key;
        uint64_t counter;
        REQUIRE(ParseCrashData(r.data, &key, &counter));
        REQUIRE(r.data == CrashData(key, counter));
        REQUIRE(r.partition_key == CrashKey(key));
        REQUIRE(seen.insert({key, counter}).second);
        REQUIRE(static_cast<int64_t>(counter) > last_counter[key]);
        last_counter[key] = static_cast<int64_t>(counter);
        found[{shard, position}] = {key, counter};
        next_[key] = std::max(next_[key], counter + 1);
      }
    }
    auto check = [&](uint64_t shard, uint64_t position, int key,
                     uint64_t counter) {
      INFO("known record key " << key << " counter " << counter << " at shard "
                               << shard << " position " << position);
      auto it = found.find({shard, position});
      if (it != found.end()) {
        REQUIRE(it->second == std::make_pair(key, counter));
        return;
      }
      auto kept = first_kept.find(shard);
      REQUIRE(kept != first_kept.end());
      REQUIRE(position < kept->second);  // else lost
      ++dropped_;
    };
    dropped_ = 0;
    for (const auto& [at, rec] : known_) {
      check(at.first, at.second, rec.first, rec.second);
    }
    for (const CrashAck& a : pending_) {
      check(a.shard, a.position, static_cast<int>(a.key), a.counter);
    }
    if (commit) {
      known_ = std::move(found);
      pending_.clear();
    }
  }

  // Known records retention removed, as of the last Verify().
  int64_t dropped() const { return dropped_; }

 private:
  std::map<std::pair<uint64_t, uint64_t>, std::pair<int, uint64_t>> known_;
  std::vector<CrashAck> pending_;
  std::array<uint64_t, kCrashKeys> next_{};
  int64_t dropped_ = 0;
};

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_STORE_CRASH_ORACLE_H_
