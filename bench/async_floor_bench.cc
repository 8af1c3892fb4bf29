// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Floors for BM_Producer_Async (core_bench.cc), issue 12's 1x row: what the
// plainest asynchronous put can reach here, beside BM_PutRecords_Routed.
// See bench/README.md.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include <benchmark/benchmark.h>

#include "brook/record.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "core_bench_util.h"
#include "util/md5.h"

namespace brook {
namespace {

using core_bench::BenchStream;
using core_bench::kBatch;
using core_bench::ProcessCpuSeconds;
using core_bench::RoutedKeys;
using core_bench::SetItemsPerCpuSecond;
using core_bench::WarmUp;

// Floors for BM_Producer_Async's 1x row (issue 12): the least work any
// producer whose put returns before its record is appended must do, in the
// same run as BM_PutRecords_Routed, with the same keys, data, 4-shard stream
// and 500-record appends. A put copies the key and data (the caller's bytes
// are not kept once it returns), every 32 puts the keys are hashed at once
// (internal::Md5Many()), routed, and a shard's batch is appended when full.
// Nothing else: no room accounting, no callbacks or results, no linger,
// TTL, retries or Flush().
//   handoff:0  all of it on the putting thread;
//   handoff:1  the putter copies each record into a 4 MiB ring and, every
//              32 records, hashes their keys, writes the hash keys beside
//              them and publishes them with one release store; a second
//              thread, spinning (no sleep, no wake-up, no lock, no locked
//              instruction on either side), routes and appends them from
//              the ring in place and gives the room back. Real time.
// items_per_cpu_second counts the CPU time of both threads.
struct FloorShards {
  explicit FloorShards(Stream* stream) {
    for (const ShardDescription& d : stream->ListShards()) {
      shards.push_back(*stream->GetShard(d.shard_id));
      starts.push_back(d.hash_key_range.starting_hash_key);
    }
    for (std::vector<RoutedRecord>& b : batches) b.reserve(kBatch);
  }
  // Adds `r` to its shard's batch; appends the batch when it is full.
  // Returns the shard's index.
  size_t Add(const RoutedRecord& r) {
    size_t s = 0;
    for (size_t j = 1; j < starts.size(); ++j) s += r.hash_key >= starts[j];
    batches[s].push_back(r);
    if (batches[s].size() == static_cast<size_t>(kBatch)) AppendBatch(s);
    return s;
  }
  void AppendBatch(size_t s) {
    if (!shards[s]->Append(batches[s]).ok()) failed = true;
    batches[s].clear();
  }
  std::vector<Shard*> shards;
  std::vector<HashKey> starts;
  std::array<std::vector<RoutedRecord>, 4> batches;
  bool failed = false;
};

// Sets the hash keys of `group[0..n)` (views of their partition keys) and
// stores each in `*hash_at[i]` if that is not null.
void HashGroup(RoutedRecord* group, size_t n, char* const* hash_at) {
  absl::string_view keys[32];
  std::array<uint8_t, 16> digests[32];
  for (size_t i = 0; i < n; ++i) keys[i] = group[i].partition_key;
  internal::Md5Many(keys, n, digests);
  for (size_t i = 0; i < n; ++i) {
    group[i].hash_key = internal::DigestToUint128(digests[i]);
    if (hash_at != nullptr) {
      std::memcpy(hash_at[i], &group[i].hash_key, sizeof(HashKey));
    }
  }
}

// The same-thread floor's put: copies into a 1 MiB chunk (reused from its
// start when full: the records it held were appended long before), hashes
// and routes every 32.
class SameThreadFloor {
 public:
  explicit SameThreadFloor(Stream* stream) : to_(stream), chunk_(1 << 20) {}
  ABSL_ATTRIBUTE_NOINLINE absl::Status Put(absl::string_view key,
                                           absl::string_view data) {
    if (used_ + key.size() + data.size() > chunk_.size()) used_ = 0;
    char* const p = chunk_.data() + used_;
    std::memcpy(p, key.data(), key.size());
    std::memcpy(p + key.size(), data.data(), data.size());
    used_ += key.size() + data.size();
    group_[n_++] =
        RoutedRecord{absl::string_view(p, key.size()),
                     absl::string_view(p + key.size(), data.size()), 0, false};
    if (n_ == 32) {
      HashGroup(group_, n_, nullptr);
      for (size_t i = 0; i < n_; ++i) to_.Add(group_[i]);
      n_ = 0;
    }
    return absl::OkStatus();
  }
  bool failed() const { return to_.failed; }

 private:
  FloorShards to_;
  std::vector<char> chunk_;
  size_t used_ = 0;
  RoutedRecord group_[32];
  size_t n_ = 0;
};

// The hand-off floor's ring: records as [key bytes u16][data bytes u16]
// [pad 4][hash key 16][key][data], 8-byte aligned; a key length of 0xffff
// marks the rest of the ring as padding.
class HandoffRing {
 public:
  static constexpr size_t kBytes = size_t{4} << 20;
  static constexpr size_t kHeader = 24;
  static constexpr uint16_t kPad = 0xffff;

  // The putting thread.
  void Put(absl::string_view key, absl::string_view data) {
    const size_t need = (kHeader + key.size() + data.size() + 7) & ~size_t{7};
    if (written_ % kBytes + need > kBytes) {
      const size_t pad = kBytes - written_ % kBytes;
      WaitForRoom(pad);
      std::memcpy(&ring_[written_ % kBytes], &kPad, 2);
      written_ += pad;
    }
    WaitForRoom(need);
    char* const p = &ring_[written_ % kBytes];
    const uint16_t lengths[2] = {static_cast<uint16_t>(key.size()),
                                 static_cast<uint16_t>(data.size())};
    std::memcpy(p, lengths, 4);
    std::memcpy(p + kHeader, key.data(), key.size());
    std::memcpy(p + kHeader + key.size(), data.data(), data.size());
    written_ += need;
    group_[n_] = RoutedRecord{absl::string_view(p + kHeader, key.size()),
                              absl::string_view(), 0, false};
    hash_at_[n_++] = p + 8;
    if (n_ == 32) Publish();
  }
  // Hashes and publishes what is staged; returns how far it published.
  uint64_t Publish() {
    if (n_ > 0) HashGroup(group_, n_, hash_at_);
    n_ = 0;
    published_.store(written_, std::memory_order_release);
    return written_;
  }

  // The appending thread: routes and appends until `stop` and the ring is
  // drained, appending partial batches whenever it finds nothing new.
  void Run(FloorShards* to, const std::atomic<bool>* stop) {
    uint64_t pos = 0;
    std::array<uint64_t, 4> first{};  // ring position of each batch's first
    for (;;) {
      const uint64_t end = published_.load(std::memory_order_acquire);
      if (pos == end) {
        if (stop->load(std::memory_order_acquire)) return;
        for (size_t s = 0; s < to->batches.size(); ++s) {
          if (!to->batches[s].empty()) to->AppendBatch(s);
        }
        read_.store(pos, std::memory_order_release);
        CpuPause();
        continue;
      }
      while (pos < end) {
        const char* const p = &ring_[pos % kBytes];
        uint16_t lengths[2];
        std::memcpy(lengths, p, 4);
        if (lengths[0] == kPad) {
          pos += kBytes - pos % kBytes;
          continue;
        }
        RoutedRecord r{absl::string_view(p + kHeader, lengths[0]),
                       absl::string_view(p + kHeader + lengths[0], lengths[1]),
                       0, false};
        std::memcpy(&r.hash_key, p + 8, sizeof(HashKey));
        const size_t s = to->Add(r);
        if (to->batches[s].size() == 1) first[s] = pos;
        pos += (kHeader + lengths[0] + lengths[1] + 7) & ~size_t{7};
        if (to->batches[s].empty()) {  // appended: give back the room
          uint64_t oldest = pos;
          for (size_t j = 0; j < to->batches.size(); ++j) {
            if (!to->batches[j].empty()) oldest = std::min(oldest, first[j]);
          }
          read_.store(oldest, std::memory_order_release);
        }
      }
    }
  }

 private:
  static void CpuPause() { __builtin_ia32_pause(); }
  void WaitForRoom(size_t need) {
    while (written_ + need - read_cached_ > kBytes) {
      if (n_ > 0) Publish();  // what the other thread waits for
      read_cached_ = read_.load(std::memory_order_acquire);
    }
  }

  std::vector<char> ring_ = std::vector<char>(kBytes);
  // The putting thread's.
  uint64_t written_ = 0;
  uint64_t read_cached_ = 0;
  RoutedRecord group_[32];
  char* hash_at_[32];
  size_t n_ = 0;
  alignas(64) std::atomic<uint64_t> published_{0};
  alignas(64) std::atomic<uint64_t> read_{0};
};

void BM_Baseline_AsyncFloor(benchmark::State& state) {
  std::unique_ptr<Stream> stream = BenchStream(4);
  WarmUp(stream.get(), state);
  const std::vector<std::string>& keys = RoutedKeys();
  const std::string data(static_cast<size_t>(state.range(0)), 'd');
  size_t k = 0;
  bool failed = false;
  const double cpu_start = ProcessCpuSeconds();
  if (state.range(1) == 0) {
    SameThreadFloor floor(stream.get());
    for (auto _ : state) {
      for (int i = 0; i < kBatch; ++i) {
        benchmark::DoNotOptimize(floor.Put(keys[k], data));
        k = (k + 1) % keys.size();
      }
    }
    failed = floor.failed();
  } else {
    auto ring = std::make_unique<HandoffRing>();
    FloorShards to(stream.get());
    std::atomic<bool> stop{false};
    std::thread appender([&] { ring->Run(&to, &stop); });
    for (auto _ : state) {
      for (int i = 0; i < kBatch; ++i) {
        ring->Put(keys[k], data);
        k = (k + 1) % keys.size();
      }
    }
    ring->Publish();
    stop.store(true, std::memory_order_release);
    appender.join();
    failed = to.failed;
  }
  if (failed) state.SkipWithError("append failed");
  SetItemsPerCpuSecond(state, state.iterations() * kBatch, cpu_start);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_Baseline_AsyncFloor)
    ->ArgsProduct({{100}, {0, 1}})
    ->ArgNames({"record_bytes", "handoff"})
    ->UseRealTime();

}  // namespace
}  // namespace brook
