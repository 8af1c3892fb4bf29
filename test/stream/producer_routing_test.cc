// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/barrier.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

TEST_CASE("Producer: threads putting repeated keys route each by its MD5",
          "[partition][concurrency]") {
  constexpr int kThreads = 3;
  constexpr int kBatches = 60;
  StreamOptions options;
  options.shard_count = 4;
  absl::StatusOr<std::unique_ptr<Stream>> created = Stream::Create(options);
  BROOK_REQUIRE_OK(created);
  Stream* stream = created->get();
  const std::vector<ShardDescription> shards = stream->ListShards();
  Producer producer(stream);
  testing::Barrier start(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  const uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed + t);
      // 3,000 keys shared by all threads, some too long to cache.
      std::vector<std::string> keys;
      for (int k = 0; k < 3000; ++k) {
        keys.push_back(k % 100 == 0 ? absl::StrCat(std::string(60, 'L'), k)
                                    : absl::StrCat("dev-", k));
      }
      start.ArriveAndWait();
      for (int b = 0; b < kBatches; ++b) {
        std::vector<PutRecordsEntry> entries;
        for (int i = 0; i < 500; ++i) {
          entries.push_back({keys[rng() % keys.size()], "d"});
        }
        entries.push_back(entries.front());  // a key twice in one batch
        absl::StatusOr<PutRecordsResult> r = producer.PutRecords(entries);
        if (!r.ok() || r->failed_record_count != 0) {
          errors[t] = "put failed";
          return;
        }
        for (size_t i = 0; i < entries.size(); ++i) {
          const HashKey want = PartitionKeyHash(entries[i].partition_key);
          for (const ShardDescription& d : shards) {
            if (d.hash_key_range.Contains(want) &&
                d.shard_id != r->records[i].shard_id) {
              errors[t] =
                  absl::StrCat("key ", entries[i].partition_key, " went to ",
                               r->records[i].shard_id, " not ", d.shard_id);
              return;
            }
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) CHECK(e.empty());
}

TEST_CASE(
    "Producer: every hash key goes to the shard whose range holds it, with "
    "shard bounds inside the routing table's slices",
    "[partition]") {
  // 3 shards put their bounds inside slices of the key space's top byte;
  // 300 put several shards in each slice.
  const int shard_count = GENERATE(1, 3, 4, 300);
  StreamOptions options;
  options.shard_count = shard_count;
  absl::StatusOr<std::unique_ptr<Stream>> created = Stream::Create(options);
  BROOK_REQUIRE_OK(created);
  Stream* stream = created->get();
  const std::vector<ShardDescription> shards = stream->ListShards();
  REQUIRE(shards.size() == static_cast<size_t>(shard_count));
  // Every bound and its neighbours, then random keys.
  std::vector<HashKey> keys;
  for (const ShardDescription& d : shards) {
    const HashKey first = d.hash_key_range.starting_hash_key;
    const HashKey last = d.hash_key_range.ending_hash_key;
    keys.insert(keys.end(), {first, first + 1, last - 1, last});
  }
  const uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 2000; ++i)
    keys.push_back(absl::MakeUint128(rng(), rng()));
  std::vector<std::string> decimal;
  for (HashKey k : keys) decimal.push_back(HashKeyToString(k));
  std::vector<PutRecordsEntry> entries;
  for (const std::string& d : decimal) entries.push_back({"k", "d", d});
  Producer producer(stream);
  absl::StatusOr<PutRecordsResult> r = producer.PutRecords(entries);
  BROOK_REQUIRE_OK(r);
  REQUIRE(r->failed_record_count == 0);
  for (size_t i = 0; i < keys.size(); ++i) {
    for (const ShardDescription& d : shards) {
      if (d.hash_key_range.Contains(keys[i])) {
        INFO("hash key " << decimal[i]);
        CHECK(r->records[i].shard_id == d.shard_id);
      }
    }
  }
}

}  // namespace
}  // namespace brook
