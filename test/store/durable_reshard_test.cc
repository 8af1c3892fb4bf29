// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Resharding a durable stream: the lineage and every shard's records survive
// a clean close, a crash, and a read-only open.

#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/producer.h"
#include "brook/stream.h"

#include "store/store_testing.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::OpenOrDie;
using testing::ReadShard;

struct Topology {
  std::string id, parent, adjacent;
  bool open;
};

std::vector<Topology> TopologyOf(Stream* stream) {
  std::vector<Topology> out;
  for (const ShardDescription& d : stream->ListShards()) {
    out.push_back({d.shard_id, d.parent_shard_id, d.adjacent_parent_shard_id,
                   d.is_open()});
  }
  return out;
}

bool operator==(const Topology& a, const Topology& b) {
  return a.id == b.id && a.parent == b.parent && a.adjacent == b.adjacent &&
         a.open == b.open;
}

// Every shard's data, by shard id.
std::map<std::string, std::vector<std::string>> Contents(Stream* stream) {
  std::map<std::string, std::vector<std::string>> out;
  for (const ShardDescription& d : stream->ListShards()) {
    absl::StatusOr<std::vector<testing::OwnedRecord>> records =
        ReadShard(stream, d.shard_id);
    REQUIRE(records.ok());
    for (const testing::OwnedRecord& r : *records)
      out[d.shard_id].push_back(r.data);
  }
  return out;
}

TEST_CASE("DurableReshard: lineage and records survive close, crash, read-only",
          "[store][reshard]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("stream");
  StreamOptions options;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.durability = Durability::kAlways;
  std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
  Producer producer(stream.get());
  int n = 0;
  const auto put = [&](int count) {
    for (int i = 0; i < count; ++i, ++n) {
      BROOK_REQUIRE_OK(producer.PutRecord("key-" + std::to_string(n % 37),
                                          "record-" + std::to_string(n)));
    }
  };
  put(100);
  BROOK_REQUIRE_OK(stream->SplitShard(
      "shardId-000000000000", "85070591730234615865843651857942052864"));
  put(100);
  BROOK_REQUIRE_OK(
      stream->MergeShards("shardId-000000000003", "shardId-000000000001"));
  put(100);
  const std::vector<Topology> topology = TopologyOf(stream.get());
  REQUIRE(topology.size() == 5);
  const auto contents = Contents(stream.get());

  SECTION("clean close") {
    BROOK_REQUIRE_OK(stream->Close());
    stream.reset();
    stream = OpenOrDie(dir, testing::AcceptStored(), OpenMode::kMustExist);
    CHECK(stream->recovery_report().clean_shutdown);
  }
  SECTION("crash") {
    testing::Crash(std::move(stream));
    stream = OpenOrDie(dir, testing::AcceptStored(), OpenMode::kMustExist);
    CHECK_FALSE(stream->recovery_report().clean_shutdown);
  }
  SECTION("read-only beside the writer") {
    std::unique_ptr<Stream> reader = OpenOrDie(dir, {}, OpenMode::kReadOnly);
    CHECK(TopologyOf(reader.get()) == topology);
    CHECK(Contents(reader.get()) == contents);
    BROOK_CHECK_CODE(
        reader->SplitShard("shardId-000000000002",
                           "42535295865117307932921825928971026432"),
        kFailedPrecondition);
    BROOK_CHECK_CODE(reader->UpdateShardCount(3), kFailedPrecondition);
    return;
  }
  CHECK(TopologyOf(stream.get()) == topology);
  CHECK(Contents(stream.get()) == contents);
  // The reopened stream routes to the open children and keeps resharding
  // with ids that keep counting.
  Producer again(stream.get());
  absl::StatusOr<PutRecordResult> r = again.PutRecord("key-1", "after");
  BROOK_REQUIRE_OK(r);
  CHECK((r->shard_id == "shardId-000000000002" ||
         r->shard_id == "shardId-000000000004"));
  BROOK_REQUIRE_OK(stream->UpdateShardCount(4));
  const std::vector<ShardDescription> shards = stream->ListShards();
  CHECK(shards.back().shard_id > "shardId-000000000004");
  BROOK_REQUIRE_OK(stream->Close());
  BROOK_CHECK_CODE(stream->SplitShard(shards.back().shard_id, "5"),
                   kFailedPrecondition);
}

}  // namespace
}  // namespace brook
