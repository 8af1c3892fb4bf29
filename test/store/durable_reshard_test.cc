// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Resharding a durable stream: the lineage and every shard's records survive
// a clean close, a crash, and a read-only open.

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
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

// Counts replacements of STREAM, and fails them while `fail_meta` is set.
class MetaWriteEnv : public EnvWrapper {
 public:
  MetaWriteEnv() : EnvWrapper(Env::Default()) {}
  absl::Status RenameFile(absl::string_view from,
                          absl::string_view to) override {
    if (absl::EndsWith(to, "/STREAM")) {
      if (fail_meta) {
        return absl::UnavailableError(absl::StrCat(to, ": injected failure"));
      }
      ++meta_writes;
    }
    return EnvWrapper::RenameFile(from, to);
  }
  std::atomic<int> meta_writes{0};
  std::atomic<bool> fail_meta{false};
};

// Every field ListShards gives, sequence numbers included.
std::vector<std::string> Described(Stream* stream) {
  std::vector<std::string> out;
  for (const ShardDescription& d : stream->ListShards()) {
    out.push_back(absl::StrCat(
        d.shard_id, " parent=", d.parent_shard_id,
        " adjacent=", d.adjacent_parent_shard_id,
        " range=", HashKeyToString(d.hash_key_range.starting_hash_key), "..",
        HashKeyToString(d.hash_key_range.ending_hash_key),
        " first=", d.starting_sequence_number.ToString(), " last=",
        d.ending_sequence_number ? d.ending_sequence_number->ToString()
                                 : "open"));
  }
  return out;
}

TEST_CASE("DurableReshard: UpdateShardCount writes STREAM once",
          "[store][reshard]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("stream");
  MetaWriteEnv env;
  StreamOptions options;
  options.shard_count = 3;
  options.segment_bytes = 64 << 10;
  options.env = &env;
  std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
  Producer producer(stream.get());
  for (int i = 0; i < 200; ++i) {
    BROOK_REQUIRE_OK(producer.PutRecord("key-" + std::to_string(i % 37),
                                        "record-" + std::to_string(i)));
  }
  const int before = env.meta_writes;
  for (int target : {5, 6, 4}) {
    INFO("to " << target);
    const int writes = env.meta_writes;
    BROOK_REQUIRE_OK(stream->UpdateShardCount(target));
    CHECK(env.meta_writes == writes + 1);
    for (int i = 0; i < 50; ++i) {
      BROOK_REQUIRE_OK(producer.PutRecord("key-" + std::to_string(i % 37),
                                          "after-" + std::to_string(i)));
    }
  }
  CHECK(env.meta_writes == before + 3);
  CHECK(stream->ListShards().size() > 20);
  const std::vector<std::string> described = Described(stream.get());
  const auto contents = Contents(stream.get());
  SECTION("clean close") { BROOK_REQUIRE_OK(stream->Close()); }
  SECTION("crash") { testing::Crash(std::move(stream)); }
  stream.reset();
  stream = OpenOrDie(dir, options, OpenMode::kMustExist);
  CHECK(Described(stream.get()) == described);
  CHECK(Contents(stream.get()) == contents);
}

TEST_CASE("DurableReshard: a failed metadata write undoes UpdateShardCount",
          "[store][reshard]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("stream");
  MetaWriteEnv env;
  StreamOptions options;
  options.shard_count = 3;
  options.segment_bytes = 64 << 10;
  options.env = &env;
  std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
  Producer producer(stream.get());
  for (int i = 0; i < 100; ++i) {
    BROOK_REQUIRE_OK(producer.PutRecord("key-" + std::to_string(i % 37),
                                        "record-" + std::to_string(i)));
  }
  const std::vector<std::string> described = Described(stream.get());
  env.fail_meta = true;
  BROOK_CHECK_CODE(stream->UpdateShardCount(5), kUnavailable);
  env.fail_meta = false;
  // Nothing changed, and the parents take records again.
  CHECK(Described(stream.get()) == described);
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<PutRecordResult> r = producer.PutRecord(
        "key-" + std::to_string(i % 37), "again-" + std::to_string(i));
    BROOK_REQUIRE_OK(r);
    CHECK(r->shard_id < "shardId-000000000003");
  }
  const std::vector<std::string> with_records = Described(stream.get());
  const auto contents = Contents(stream.get());
  testing::Crash(std::move(stream));
  stream = OpenOrDie(dir, options, OpenMode::kMustExist);
  CHECK(Described(stream.get()) == with_records);
  CHECK(Contents(stream.get()) == contents);
  // The retry makes the same shards the failed call planned.
  BROOK_REQUIRE_OK(stream->UpdateShardCount(5));
  const std::vector<ShardDescription> shards = stream->ListShards();
  CHECK(shards[3].shard_id == "shardId-000000000003");
  CHECK(shards[3].parent_shard_id == "shardId-000000000000");
  CHECK(stream->DescribeStream().open_shard_count == 5);
}

// Calls `on_create_dir` (once) when a shard directory is made.
class CreateDirHookEnv : public EnvWrapper {
 public:
  CreateDirHookEnv() : EnvWrapper(Env::Default()) {}
  absl::Status CreateDir(absl::string_view path) override {
    if (absl::StrContains(path, "/shardId-") && on_create_dir) {
      std::function<void()> hook = std::move(on_create_dir);
      on_create_dir = nullptr;
      hook();
    }
    return EnvWrapper::CreateDir(path);
  }
  std::function<void()> on_create_dir;
};

TEST_CASE(
    "DurableReshard: producers write while UpdateShardCount makes "
    "directories",
    "[store][reshard]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("stream");
  CreateDirHookEnv env;
  StreamOptions options;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.env = &env;
  std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
  Producer producer(stream.get());
  // Runs on the resharding thread, between the plan and the switch: the
  // topology lock is free (before, this deadlocked), the old shards still
  // route, and no new shard is visible yet.
  bool ran = false;
  std::string during_shard;
  env.on_create_dir = [&] {
    ran = true;
    CHECK(stream->ListShards().size() == 2);
    absl::StatusOr<PutRecordResult> r = producer.PutRecord("k", "during");
    BROOK_CHECK_OK(r);
    if (r.ok()) during_shard = std::string(r->shard_id);
  };
  BROOK_REQUIRE_OK(stream->UpdateShardCount(4));
  REQUIRE(ran);
  CHECK(during_shard < "shardId-000000000002");
  // The record written meanwhile is in its parent, which is now closed.
  absl::StatusOr<std::vector<testing::OwnedRecord>> records =
      ReadShard(stream.get(), during_shard);
  BROOK_REQUIRE_OK(records);
  REQUIRE(records->size() == 1);
  CHECK((*records)[0].data == "during");
  CHECK(stream->DescribeStream().open_shard_count == 4);
  absl::StatusOr<PutRecordResult> after = producer.PutRecord("k", "after");
  BROOK_REQUIRE_OK(after);
  CHECK(after->shard_id >= "shardId-000000000002");
}

}  // namespace
}  // namespace brook
