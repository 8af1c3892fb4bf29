// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Resharding brook's own streams: what rests on local behaviour (appends to
// a closed shard, resharding under concurrent producers). What every stream
// must do, remote ones included, is in reshard_contract_test.cc.

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/barrier.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

std::unique_ptr<Stream> MakeStream(int shards) {
  StreamOptions options;
  options.shard_count = shards;
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Create(options);
  REQUIRE(s.ok());
  return *std::move(s);
}

TEST_CASE(
    "Reshard: an append to a closed shard is kAborted (route again), one to "
    "a closed stream kFailedPrecondition",
    "[reshard]") {
  std::unique_ptr<Stream> stream = MakeStream(1);
  Shard* parent = *stream->GetShard("shardId-000000000000");
  BROOK_REQUIRE_OK(stream->SplitShard("shardId-000000000000", "1000"));
  const RoutedRecord low{"k", "low", 7, true};
  const RoutedRecord high{"k", "high", 5000, true};
  absl::StatusOr<SequenceNumber> refused = parent->Append({low});
  BROOK_CHECK_CODE(refused, kAborted);
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("shardId-000000000000") &&
                 Catch::Contains("route again"));
  // Routed again, the records go to the children, and nothing reached the
  // parent.
  BROOK_CHECK_OK((*stream->GetShard("shardId-000000000001"))->Append({low}));
  BROOK_CHECK_OK((*stream->GetShard("shardId-000000000002"))->Append({high}));
  Consumer consumer(stream.get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(r);
  CHECK(r->records().empty());
  // A closed stream is no reason to retry: kFailedPrecondition.
  BROOK_REQUIRE_OK(stream->Close());
  BROOK_CHECK_CODE((*stream->GetShard("shardId-000000000001"))->Append({low}),
                   kFailedPrecondition);
}

TEST_CASE("Concurrency: producers keep writing while the stream reshards",
          "[concurrency][reshard]") {
  constexpr int kProducers = 3;
  constexpr int kPerProducer = 3000;
  std::unique_ptr<Stream> stream = MakeStream(2);
  Producer producer(stream.get());
  testing::Barrier start(kProducers + 1);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      start.ArriveAndWait();
      for (int i = 0; i < kPerProducer; i += 10) {
        std::vector<std::string> keys, data;
        std::vector<PutRecordsEntry> entries;
        for (int j = i; j < i + 10; ++j) {
          keys.push_back(absl::StrCat("p", p, "-", j % 7));
          data.push_back(absl::StrCat(p, ":", j % 7, ":", j));
        }
        for (size_t j = 0; j < keys.size(); ++j) {
          entries.push_back({keys[j], data[j]});
        }
        absl::StatusOr<PutRecordsResult> r = producer.PutRecords(entries);
        if (!r.ok() || r->failed_record_count != 0) {
          for (const auto& e : r->records) {
            if (!e.status.ok())
              std::fprintf(stderr, "put: %s\n", e.status.ToString().c_str());
          }
          failed = true;
        }
      }
    });
  }
  threads.emplace_back([&] {
    start.ArriveAndWait();
    UpdateShardCountOptions any_target;  // 6 -> 2 is less than half
    any_target.kinesis_scaling_limits = false;
    for (int target : {4, 3, 6, 2, 5}) {
      absl::Status s = stream->UpdateShardCount(target, any_target);
      if (!s.ok()) {
        std::fprintf(stderr, "update: %s\n", s.ToString().c_str());
        failed = true;
      }
    }
  });
  for (std::thread& t : threads) t.join();
  REQUIRE_FALSE(failed);

  // Read in lineage order: a shard only after all its parents, as KCL does.
  Consumer consumer(stream.get());
  std::map<std::string, int> parents_left;
  std::vector<std::string> ready;
  for (const ShardDescription& s : stream->ListShards()) {
    const int parents = (s.parent_shard_id.empty() ? 0 : 1) +
                        (s.adjacent_parent_shard_id.empty() ? 0 : 1);
    parents_left[s.shard_id] = parents;
    if (parents == 0) ready.push_back(s.shard_id);
  }
  std::map<std::pair<int, int>, std::vector<int>> seen;
  std::set<std::string> done;
  while (!ready.empty()) {
    const std::string shard = ready.back();
    ready.pop_back();
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(shard, StartingPosition::TrimHorizon());
    BROOK_REQUIRE_OK(it);
    std::vector<ChildShard> children;
    while (it->valid()) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
      BROOK_REQUIRE_OK(r);
      for (const Record& rec : r->records()) {
        int p, key, i;
        REQUIRE(std::sscanf(std::string(rec.data).c_str(), "%d:%d:%d", &p, &key,
                            &i) == 3);
        seen[{p, key}].push_back(i);
      }
      if (!r->next_shard_iterator().valid()) children = r->child_shards();
      if (r->records().empty() && r->next_shard_iterator().valid())
        break;  // open
      *it = r->next_shard_iterator();
    }
    done.insert(shard);
    for (const ChildShard& c : children) {
      if (--parents_left[c.shard_id] == 0) ready.push_back(c.shard_id);
    }
  }
  CHECK(done.size() == stream->ListShards().size());
  size_t total = 0;
  for (const auto& [key, counters] : seen) {
    INFO("producer " << key.first << " key " << key.second);
    total += counters.size();
    std::vector<int> expected;
    for (int i = key.second; i < kPerProducer; i += 7) expected.push_back(i);
    CHECK(counters == expected);  // nothing lost, nothing twice, in order
  }
  CHECK(total == static_cast<size_t>(kProducers * kPerProducer));
}

}  // namespace
}  // namespace brook
