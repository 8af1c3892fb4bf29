// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

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
#include "testing/conformance.h"
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

std::string Null(const std::string& s) { return s.empty() ? "null" : s; }

TEST_CASE("Reshard: every kinesalite scenario, step by step",
          "[reshard][conformance]") {
  const nlohmann::json doc = testing::LoadConformance("kinesis/reshard.json");
  REQUIRE(doc["scenarios"].size() > 0);
  for (const auto& scenario : doc["scenarios"]) {
    const std::string name = scenario["name"];
    INFO("scenario " << name);
    std::unique_ptr<Stream> stream =
        MakeStream(scenario["initial_shard_count"]);
    for (const auto& step : scenario["steps"]) {
      const std::string op = step["op"];
      INFO("step " << step["step"].get<int>() << " " << op);
      absl::Status s;
      if (op == "SplitShard") {
        s = stream->SplitShard(
            step["params"]["ShardToSplit"].get<std::string>(),
            step["params"]["NewStartingHashKey"].get<std::string>());
      } else if (op == "MergeShards") {
        s = stream->MergeShards(
            step["params"]["ShardToMerge"].get<std::string>(),
            step["params"]["AdjacentShardToMerge"].get<std::string>());
      } else {
        REQUIRE(op == "CreateStream");
      }
      if (step["outcome"] == "ok") {
        BROOK_REQUIRE_OK(s);
      } else {
        REQUIRE(step["error"]["name"] == "InvalidArgumentException");
        BROOK_CHECK_CODE(s, kInvalidArgument);
      }
      // The whole ListShards result after the step.
      const std::vector<ShardDescription> shards = stream->ListShards();
      REQUIRE(shards.size() == step["shards"].size());
      for (size_t i = 0; i < shards.size(); ++i) {
        const auto& want = step["shards"][i];
        const ShardDescription& got = shards[i];
        CHECK(got.shard_id == want["ShardId"].get<std::string>());
        CHECK(Null(got.parent_shard_id) ==
              (want["ParentShardId"].is_null()
                   ? "null"
                   : want["ParentShardId"].get<std::string>()));
        CHECK(Null(got.adjacent_parent_shard_id) ==
              (want["AdjacentParentShardId"].is_null()
                   ? "null"
                   : want["AdjacentParentShardId"].get<std::string>()));
        CHECK(HashKeyToString(got.hash_key_range.starting_hash_key) ==
              want["HashKeyRange"]["StartingHashKey"].get<std::string>());
        CHECK(HashKeyToString(got.hash_key_range.ending_hash_key) ==
              want["HashKeyRange"]["EndingHashKey"].get<std::string>());
        CHECK(!got.is_open() == want["closed"].get<bool>());
      }
    }
    CHECK(stream->DescribeStream().open_shard_count ==
          scenario["open_shards_at_end"].get<int>());
    Producer producer(stream.get());
    for (const auto& key : scenario["final_routing"]["partition_keys"]) {
      absl::StatusOr<PutRecordResult> r =
          producer.PutRecord(key["key"].get<std::string>(), "x");
      BROOK_REQUIRE_OK(r);
      CHECK(r->shard_id == key["shard"].get<std::string>());
    }
    for (const auto& e :
         scenario["final_routing"]["explicit_hash_keys_at_open_shard_bounds"]) {
      absl::StatusOr<PutRecordResult> r = producer.PutRecord(
          "k", "x", e["explicit_hash_key"].get<std::string>());
      BROOK_REQUIRE_OK(r);
      CHECK(r->shard_id == e["shard"].get<std::string>());
    }
  }
}

TEST_CASE("Reshard: closed, unknown and malformed requests change nothing",
          "[reshard]") {
  std::unique_ptr<Stream> stream = MakeStream(2);
  BROOK_REQUIRE_OK(stream->SplitShard(
      "shardId-000000000000", "85070591730234615865843651857942052864"));
  const std::vector<ShardDescription> before = stream->ListShards();
  // Kinesis refuses to split or merge a closed shard (kinesalite allows it).
  BROOK_CHECK_CODE(stream->SplitShard("shardId-000000000000",
                                      "42535295865117307932921825928971026432"),
                   kFailedPrecondition);
  BROOK_CHECK_CODE(
      stream->MergeShards("shardId-000000000000", "shardId-000000000001"),
      kFailedPrecondition);
  BROOK_CHECK_CODE(stream->SplitShard("shardId-000000000009", "5"), kNotFound);
  BROOK_CHECK_CODE(stream->MergeShards("shardId-000000000001", "nope"),
                   kNotFound);
  for (const char* bad : {"", "01", "1e3", "-5", "0x10",
                          "340282366920938463463374607431768211456"}) {
    BROOK_CHECK_CODE(stream->SplitShard("shardId-000000000001", bad),
                     kInvalidArgument);
  }
  BROOK_CHECK_CODE(stream->UpdateShardCount(0), kInvalidArgument);
  BROOK_CHECK_CODE(stream->UpdateShardCount(10001), kInvalidArgument);
  const std::vector<ShardDescription> after = stream->ListShards();
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].shard_id == before[i].shard_id);
    CHECK(after[i].is_open() == before[i].is_open());
  }
}

TEST_CASE("Reshard: readers finish a parent, then find its children",
          "[reshard]") {
  std::unique_ptr<Stream> stream = MakeStream(1);
  Producer producer(stream.get());
  Consumer consumer(stream.get());
  std::vector<SequenceNumber> before;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<PutRecordResult> r =
        producer.PutRecord("k" + std::to_string(i), "before");
    BROOK_REQUIRE_OK(r);
    before.push_back(r->sequence_number);
  }
  absl::StatusOr<ShardIterator> waiting = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::Latest());
  BROOK_REQUIRE_OK(stream->SplitShard(
      "shardId-000000000000", "170141183460469231731687303715884105728"));
  // A reader waiting at the tip of the parent is released by the close.
  CHECK(consumer.WaitForRecords(*waiting, absl::Seconds(5)));

  std::vector<SequenceNumber> after;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<PutRecordResult> r =
        producer.PutRecord("k" + std::to_string(i), "after");
    BROOK_REQUIRE_OK(r);
    CHECK(r->shard_id != "shardId-000000000000");
    after.push_back(r->sequence_number);
  }
  for (const SequenceNumber& a : after) {
    for (const SequenceNumber& b : before) CHECK(b < a);
  }
  // The parent reads to its end, then names its children and ends.
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(r);
  CHECK(r->records().size() == 5);
  CHECK_FALSE(r->next_shard_iterator().valid());
  REQUIRE(r->child_shards().size() == 2);
  CHECK(r->child_shards()[0].shard_id == "shardId-000000000001");
  CHECK(r->child_shards()[0].parent_shards ==
        std::vector<std::string>{"shardId-000000000000"});
  CHECK(r->child_shards()[1].hash_key_range.starting_hash_key ==
        absl::MakeUint128(uint64_t{1} << 63, 0));
  // Reading with a small limit ends the same way, at the last record.
  GetRecordsOptions two;
  two.limit = 2;
  ShardIterator step = *it;
  int calls = 0;
  while (step.valid()) {
    absl::StatusOr<GetRecordsResult> part = consumer.GetRecords(step, two);
    BROOK_REQUIRE_OK(part);
    ++calls;
    if (!part->next_shard_iterator().valid())
      CHECK(part->child_shards().size() == 2);
    step = part->next_shard_iterator();
  }
  CHECK(calls == 3);
  // Closed shards refuse appends; ListShards shows the ending number.
  Shard* parent = *stream->GetShard("shardId-000000000000");
  BROOK_CHECK_CODE(parent->Append({{"k", "x", 1, true}}), kAborted);
  const ShardDescription d = parent->Describe();
  REQUIRE(d.ending_sequence_number.has_value());
  CHECK(*d.ending_sequence_number == before.back());
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

TEST_CASE("Reshard: UpdateShardCount ends with uniform shards", "[reshard]") {
  std::unique_ptr<Stream> stream = MakeStream(1);
  UpdateShardCountOptions any_target;  // 1 -> 4 is more than double
  any_target.kinesis_scaling_limits = false;
  for (int target : {4, 3, 8, 5, 1, 2}) {
    INFO("target " << target);
    BROOK_REQUIRE_OK(stream->UpdateShardCount(target, any_target));
    std::vector<HashKeyRange> open;
    for (const ShardDescription& s : stream->ListShards()) {
      if (s.is_open()) open.push_back(s.hash_key_range);
    }
    std::sort(open.begin(), open.end(),
              [](const HashKeyRange& a, const HashKeyRange& b) {
                return a.starting_hash_key < b.starting_hash_key;
              });
    CHECK(open == UniformHashKeyRanges(target));
  }
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
