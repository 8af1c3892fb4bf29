// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// UpdateShardCount: planned once, it gives the same shards as the splits and
// merges it stands for made one at a time; Kinesis's per-call limits.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/producer.h"
#include "brook/stream.h"

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

UpdateShardCountOptions Unlimited() {
  UpdateShardCountOptions o;
  o.kinesis_scaling_limits = false;
  return o;
}

// The open shard holding `key`.
ShardDescription OpenShardOf(Stream* stream, HashKey key) {
  for (const ShardDescription& d : stream->ListShards()) {
    if (d.is_open() && d.hash_key_range.Contains(key)) return d;
  }
  FAIL("no open shard holds " << HashKeyToString(key));
  return {};
}

// The oracle: UpdateShardCount as it was before it was planned, one public
// SplitShard or MergeShards call per step.
void StepByStep(Stream* stream, int target_shard_count) {
  const std::vector<HashKeyRange> target =
      UniformHashKeyRanges(target_shard_count);
  for (size_t i = 1; i < target.size(); ++i) {
    const HashKey boundary = target[i].starting_hash_key;
    for (;;) {
      const ShardDescription shard = OpenShardOf(stream, boundary);
      const HashKeyRange r = shard.hash_key_range;
      if (r.starting_hash_key == boundary) break;
      if (r.starting_hash_key + 1 < boundary && boundary < r.ending_hash_key) {
        BROOK_REQUIRE_OK(
            stream->SplitShard(shard.shard_id, HashKeyToString(boundary)));
      } else if (boundary == r.ending_hash_key) {
        BROOK_REQUIRE_OK(stream->MergeShards(
            shard.shard_id,
            OpenShardOf(stream, r.ending_hash_key + 1).shard_id));
      } else {
        BROOK_REQUIRE_OK(stream->MergeShards(
            OpenShardOf(stream, r.starting_hash_key - 1).shard_id,
            shard.shard_id));
      }
    }
  }
  for (const HashKeyRange& want : target) {
    for (;;) {
      const ShardDescription low = OpenShardOf(stream, want.starting_hash_key);
      if (low.hash_key_range.ending_hash_key >= want.ending_hash_key) break;
      BROOK_REQUIRE_OK(stream->MergeShards(
          low.shard_id,
          OpenShardOf(stream, low.hash_key_range.ending_hash_key + 1)
              .shard_id));
    }
  }
}

// Writes `n` records with explicit hash keys spread unevenly over the key
// space, so that shards end at different positions.
void Put(Stream* stream, int n, int salt) {
  Producer producer(stream);
  for (int i = 0; i < n; ++i) {
    const HashKey key = absl::MakeUint128(
        static_cast<uint64_t>(i * i + salt) * 0x9E3779B97F4A7C15u, 0);
    BROOK_REQUIRE_OK(
        producer.PutRecord("k", absl::StrCat(i), HashKeyToString(key)));
  }
}

void CheckSameShards(Stream* got, Stream* want) {
  const std::vector<ShardDescription> g = got->ListShards();
  const std::vector<ShardDescription> w = want->ListShards();
  REQUIRE(g.size() == w.size());
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("shard " << w[i].shard_id);
    CHECK(g[i].shard_id == w[i].shard_id);
    CHECK(g[i].parent_shard_id == w[i].parent_shard_id);
    CHECK(g[i].adjacent_parent_shard_id == w[i].adjacent_parent_shard_id);
    CHECK(g[i].hash_key_range == w[i].hash_key_range);
    CHECK(g[i].starting_sequence_number == w[i].starting_sequence_number);
    CHECK(g[i].ending_sequence_number == w[i].ending_sequence_number);
  }
}

int OpenCount(Stream* stream) {
  return stream->DescribeStream().open_shard_count;
}

TEST_CASE("UpdateShardCount: same shards as one split or merge at a time",
          "[reshard]") {
  struct Case {
    int initial;
    bool limits;
    std::vector<int> targets;
  };
  const Case c = GENERATE(Case{1, true, {2, 4, 3, 6, 5, 10, 7, 4, 2, 1}},
                          Case{7, true, {10, 14, 13, 7}},
                          Case{7, false, {10, 3, 13, 1, 9, 64, 5, 2}},
                          Case{40, false, {37, 81, 9, 1}});
  INFO("from " << c.initial << (c.limits ? "" : ", limits lifted"));
  std::unique_ptr<Stream> planned = MakeStream(c.initial);
  std::unique_ptr<Stream> oracle = MakeStream(c.initial);
  int salt = 0;
  for (int target : c.targets) {
    INFO("to " << target);
    Put(planned.get(), 50, salt);
    Put(oracle.get(), 50, salt);
    ++salt;
    UpdateShardCountOptions options;
    options.kinesis_scaling_limits = c.limits;
    BROOK_REQUIRE_OK(planned->UpdateShardCount(target, options));
    StepByStep(oracle.get(), target);
    CHECK(OpenCount(planned.get()) == target);
    CheckSameShards(planned.get(), oracle.get());
  }
  // The new shards take writes as the oracle's do.
  Put(planned.get(), 50, salt);
  Put(oracle.get(), 50, salt);
  CheckSameShards(planned.get(), oracle.get());
}

TEST_CASE("UpdateShardCount: creates the shards stream.h says (7 to 10: 24)",
          "[reshard]") {
  struct Case {
    int from, to;
    size_t created;
  };
  const Case c =
      GENERATE(Case{7, 10, 24}, Case{1, 1000, 1998}, Case{1000, 1, 999},
               Case{4, 8, 8}, Case{8, 4, 4}, Case{3, 6, 12}, Case{10, 20, 47});
  INFO(c.from << " to " << c.to);
  std::unique_ptr<Stream> stream = MakeStream(c.from);
  BROOK_REQUIRE_OK(stream->UpdateShardCount(c.to, Unlimited()));
  CHECK(stream->ListShards().size() == static_cast<size_t>(c.from) + c.created);
  CHECK(OpenCount(stream.get()) == c.to);
}

TEST_CASE("UpdateShardCount: 1 to 10000 and back to 1 in one call each",
          "[reshard]") {
  std::unique_ptr<Stream> stream = MakeStream(1);
  BROOK_REQUIRE_OK(stream->UpdateShardCount(10000, Unlimited()));
  std::vector<HashKeyRange> open;
  for (const ShardDescription& d : stream->ListShards()) {
    if (d.is_open()) open.push_back(d.hash_key_range);
  }
  std::sort(open.begin(), open.end(),
            [](const HashKeyRange& a, const HashKeyRange& b) {
              return a.starting_hash_key < b.starting_hash_key;
            });
  CHECK(open == UniformHashKeyRanges(10000));
  Put(stream.get(), 100, 0);

  BROOK_REQUIRE_OK(stream->UpdateShardCount(1, Unlimited()));
  const std::vector<ShardDescription> shards = stream->ListShards();
  REQUIRE(OpenCount(stream.get()) == 1);
  const ShardDescription& last = shards.back();
  CHECK(last.is_open());
  CHECK(last.hash_key_range == UniformHashKeyRanges(1)[0]);
  // Its numbers are above every number of the shards before it.
  for (const ShardDescription& d : shards) {
    if (&d != &last) {
      CHECK(*d.ending_sequence_number < last.starting_sequence_number);
    }
  }
  Producer producer(stream.get());
  absl::StatusOr<PutRecordResult> r = producer.PutRecord("k", "after");
  BROOK_REQUIRE_OK(r);
  CHECK(r->shard_id == last.shard_id);
}

TEST_CASE("UpdateShardCount: Kinesis's limits by default, naming the bound",
          "[reshard]") {
  struct Case {
    int open, target;
    const char* error;  // null: allowed
  };
  const Case c =
      GENERATE(Case{4, 9,
                    "UpdateShardCount: target 9 is more than double the 4 open "
                    "shards of stream stream"},
               Case{4, 8, nullptr},
               Case{4, 1,
                    "UpdateShardCount: target 1 is less than half the 4 open "
                    "shards of stream stream"},
               Case{4, 2, nullptr},
               Case{7, 3,
                    "UpdateShardCount: target 3 is less than half the 7 open "
                    "shards of stream stream"},
               Case{7, 4, nullptr}, Case{7, 14, nullptr},
               Case{7, 15,
                    "UpdateShardCount: target 15 is more than double the 7 "
                    "open shards of stream stream"},
               Case{1, 2, nullptr}, Case{1, 3, nullptr /* lifted below */});
  INFO(c.open << " to " << c.target);
  std::unique_ptr<Stream> stream = MakeStream(c.open);
  if (c.error == nullptr && c.target <= 2 * c.open) {
    BROOK_CHECK_OK(stream->UpdateShardCount(c.target));
    CHECK(OpenCount(stream.get()) == c.target);
    return;
  }
  if (c.error != nullptr) {
    const absl::Status s = stream->UpdateShardCount(c.target);
    BROOK_CHECK_CODE(s, kInvalidArgument);
    CHECK(s.message() == c.error);
  } else {
    BROOK_CHECK_CODE(stream->UpdateShardCount(c.target), kInvalidArgument);
  }
  // Refused: nothing changed. Lifted: allowed.
  CHECK(stream->ListShards().size() == static_cast<size_t>(c.open));
  BROOK_CHECK_OK(stream->UpdateShardCount(c.target, Unlimited()));
  CHECK(OpenCount(stream.get()) == c.target);
}

}  // namespace
}  // namespace brook
