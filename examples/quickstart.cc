// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Quickstart: create a 4-shard stream, produce from several threads, read
// every shard back and print a summary.

#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

#include "brook/brook.h"

int main() {
  brook::StreamOptions options;
  options.name = "quickstart";
  options.shard_count = 4;
  absl::StatusOr<std::unique_ptr<brook::Stream>> stream =
      brook::Stream::Create(options);
  if (!stream.ok()) {
    std::fprintf(stderr, "create: %s\n", stream.status().ToString().c_str());
    return 1;
  }

  // Four producer threads, each putting 10,000 records in batches of 500.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  brook::Producer producer(stream->get());
  std::vector<std::thread> threads;
  std::vector<int> failed(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> keys, data;
      for (int i = 0; i < kPerThread; ++i) {
        keys.push_back(absl::StrCat("device-", t, "-", i % 50));
        data.push_back(absl::StrCat("{\"thread\":", t, ",\"n\":", i, "}"));
      }
      for (int begin = 0; begin < kPerThread; begin += 500) {
        std::vector<brook::PutRecordsEntry> batch;
        for (int i = begin; i < begin + 500; ++i) {
          batch.push_back({keys[i], data[i]});
        }
        absl::StatusOr<brook::PutRecordsResult> r = producer.PutRecords(batch);
        failed[t] += r.ok() ? r->failed_record_count : 500;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  // Read every shard from the oldest record.
  brook::Consumer consumer(stream->get());
  int64_t total = 0;
  for (const brook::ShardDescription& shard : consumer.ListShards()) {
    absl::StatusOr<brook::ShardIterator> it = consumer.GetShardIterator(
        shard.shard_id, brook::StartingPosition::TrimHorizon());
    if (!it.ok()) return 1;
    int64_t records = 0;
    std::string first, last;
    for (;;) {
      absl::StatusOr<brook::GetRecordsResult> r = consumer.GetRecords(*it);
      if (!r.ok()) {
        std::fprintf(stderr, "read: %s\n", r.status().ToString().c_str());
        return 1;
      }
      if (r->records().empty()) break;
      if (first.empty())
        first = r->records().front().sequence_number.ToString();
      last = r->records().back().sequence_number.ToString();
      records += static_cast<int64_t>(r->records().size());
      *it = r->next_shard_iterator();
    }
    std::printf(
        "%s  keys %s..%s\n  %lld records, sequence numbers %s..%s\n",
        shard.shard_id.c_str(),
        brook::HashKeyToString(shard.hash_key_range.starting_hash_key).c_str(),
        brook::HashKeyToString(shard.hash_key_range.ending_hash_key).c_str(),
        static_cast<long long>(records), first.c_str(), last.c_str());
    total += records;
  }
  int failures = 0;
  for (int f : failed) failures += f;
  std::printf("produced %d records from %d threads (%d failed), read %lld\n",
              kThreads * kPerThread, kThreads, failures,
              static_cast<long long>(total));
  return total == kThreads * kPerThread && failures == 0 ? 0 : 1;
}
