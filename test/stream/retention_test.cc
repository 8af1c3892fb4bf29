// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Retention that holds for every shard, idle and closed (issue 7): the
// retention sweep, trim before reject, drop-oldest across closed shards, and
// a clock at the edge of the int64 range.

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "stream/stream_impl.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

internal::StreamImpl* Impl(Stream* stream) {
  return static_cast<internal::StreamImpl*>(stream);
}

// A memory stream, or a durable one in `dir`.
std::unique_ptr<Stream> MakeStream(const StreamOptions& options,
                                   const std::string& dir = "") {
  absl::StatusOr<std::unique_ptr<Stream>> s =
      dir.empty() ? Stream::Create(options)
                  : Stream::Open(dir, options, OpenMode::kCreateIfMissing);
  BROOK_REQUIRE_OK(s);
  return *std::move(s);
}

// Every readable record of every shard, from TRIM_HORIZON, by shard id.
std::map<std::string, std::vector<std::string>> ReadEveryShard(Stream* stream) {
  std::map<std::string, std::vector<std::string>> out;
  Consumer consumer(stream);
  for (const ShardDescription& shard : stream->ListShards()) {
    absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
        shard.shard_id, StartingPosition::TrimHorizon());
    BROOK_REQUIRE_OK(it);
    std::vector<std::string>& data = out[shard.shard_id];
    ShardIterator next = *it;
    while (next.valid()) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(next);
      BROOK_REQUIRE_OK(r);
      for (const Record& record : r->records()) {
        data.emplace_back(record.data);
      }
      if (r->records().empty()) break;  // the end of an open shard
      next = r->next_shard_iterator();
    }
  }
  return out;
}

TEST_CASE(
    "Retention: closed parents free expired segments while only children "
    "are written",
    "[retention]") {
  const bool durable = GENERATE(false, true);
  INFO("durable " << durable);
  testing::TempDir tmp;
  ManualClockEnv env(1'000'000);
  StreamOptions options;
  options.env = &env;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.retention_period = absl::Milliseconds(1000);
  std::unique_ptr<Stream> stream =
      MakeStream(options, durable ? tmp.Sub("s") : "");
  Producer producer(stream.get());
  const std::string payload(1000, 'p');
  // Several resharding rounds, each writing a few segments' worth.
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 150; ++i) {
      BROOK_REQUIRE_OK(
          producer.PutRecord(absl::StrCat("key-", round, "-", i), payload));
    }
    BROOK_REQUIRE_OK(stream->UpdateShardCount(round % 2 == 0 ? 3 : 2));
    env.Advance(absl::Milliseconds(100));
  }
  REQUIRE(Impl(stream.get())->SegmentCountForTesting() > 10);

  // Everything has expired; one write goes to an open child. Nobody reads,
  // describes or calls TrimExpired(): the write alone frees the parents.
  env.Advance(absl::Milliseconds(2000));
  BROOK_REQUIRE_OK(producer.PutRecord("fresh", "x"));
  CHECK(Impl(stream.get())->SegmentCountForTesting() == 1);
  CHECK(Impl(stream.get())->StoredBytesForTesting() < 100);
  if (durable) {
    // A closed shard keeps no files mapped for segments it will never write:
    // at most the empty marker of where it ended.
    for (const ShardDescription& shard : stream->ListShards()) {
      if (shard.is_open()) continue;
      for (const auto& entry : std::filesystem::directory_iterator(
               tmp.Sub("s") + "/" + shard.shard_id)) {
        INFO(entry.path());
        if (entry.path().extension() == ".bounds") continue;  // the marker
        CHECK(entry.path().extension() == ".seg");
        CHECK(std::filesystem::file_size(entry.path()) == 0);
      }
    }
  }

  // Reads drive the sweep too: only a reader now, a sweep interval later.
  env.Advance(absl::Milliseconds(1001));
  Consumer consumer(stream.get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  BROOK_REQUIRE_OK(consumer.GetRecords(*it));
  CHECK(Impl(stream.get())->SegmentCountForTesting() == 0);
  CHECK(Impl(stream.get())->StoredBytesForTesting() == 0);
}

TEST_CASE("Retention: kRejectWrites trims expired records before it rejects",
          "[retention]") {
  ManualClockEnv env(0);
  StreamOptions options;
  options.env = &env;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 256 << 10;
  options.retention_period = absl::Milliseconds(1000);
  options.on_full = RetentionFullPolicy::kRejectWrites;
  std::unique_ptr<Stream> stream = MakeStream(options);
  absl::StatusOr<Shard*> shard0 = stream->GetShard("shardId-000000000000");
  absl::StatusOr<Shard*> shard1 = stream->GetShard("shardId-000000000001");
  BROOK_REQUIRE_OK(shard0);
  BROOK_REQUIRE_OK(shard1);
  const std::string payload(1000, 'r');
  auto record_for = [&](Shard* shard) {
    RoutedRecord r;
    r.partition_key = "k";
    r.hash_key = shard->hash_key_range().starting_hash_key;
    r.data = payload;
    return r;
  };
  const RoutedRecord to0 = record_for(*shard0);
  const RoutedRecord to1 = record_for(*shard1);

  // t=0: the stream's first write (a retention sweep runs).
  BROOK_REQUIRE_OK((*shard1)->Append({&to1, 1}));
  // t=500: shard 1 fills the stream.
  env.SetNowMillis(500);
  int accepted = 1;
  for (;;) {
    absl::StatusOr<SequenceNumber> n = (*shard1)->Append({&to1, 1});
    if (!n.ok()) {
      BROOK_CHECK_CODE(n.status(), kResourceExhausted);
      break;
    }
    ++accepted;
  }
  REQUIRE(accepted > 200);
  // t=1000: nothing has expired yet (the records of t=0 and t=500 share
  // segments); the write is rejected.
  env.SetNowMillis(1000);
  BROOK_CHECK_CODE((*shard0)->Append({&to0, 1}).status(), kResourceExhausted);
  // t=1501: everything stored has expired, though no periodic sweep is due
  // and the shard written to holds nothing: the write succeeds.
  env.SetNowMillis(1501);
  absl::StatusOr<SequenceNumber> n = (*shard0)->Append({&to0, 1});
  BROOK_CHECK_OK(n);
  CHECK(Impl(stream.get())->StoredBytesForTesting() < 2000);
  // Nothing expired was returned, and what was accepted is kept.
  const auto kept = ReadEveryShard(stream.get());
  CHECK(kept.at("shardId-000000000000").size() == 1);
  CHECK(kept.at("shardId-000000000001").empty());
}

TEST_CASE(
    "Retention: drop-oldest bounds a stream over many reshards, oldest first",
    "[retention]") {
  ManualClockEnv env(0);
  StreamOptions options;
  options.env = &env;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 256 << 10;
  options.on_full = RetentionFullPolicy::kDropOldest;
  // A new segment every round, so that a segment holds one round.
  options.segment_roll_age = absl::Milliseconds(1000);
  std::unique_ptr<Stream> stream = MakeStream(options);
  Producer producer(stream.get());
  const std::string payload(1000, 'd');
  constexpr int kRounds = 40;
  constexpr int kPerRound = 40;
  for (int round = 0; round < kRounds; ++round) {
    env.SetNowMillis(int64_t{round} * 1000);
    for (int i = 0; i < kPerRound; ++i) {
      BROOK_REQUIRE_OK(producer.PutRecord(absl::StrCat("key-", i),
                                          absl::StrCat(round, ":", payload)));
    }
    BROOK_REQUIRE_OK(stream->UpdateShardCount(round % 2 == 0 ? 3 : 2));
    const StreamDescription d = stream->DescribeStream();
    // The bound, plus at most one open segment per open shard.
    REQUIRE(d.stored_bytes <= options.retention_bytes +
                                  d.open_shard_count * options.segment_bytes);
  }
  // Which rounds are still readable: the newest ones, whole, and part of the
  // oldest kept round at most.
  std::map<int, int> per_round;
  for (const auto& [shard, data] : ReadEveryShard(stream.get())) {
    for (const std::string& d : data) {
      int round = -1;
      REQUIRE(absl::SimpleAtoi(d.substr(0, d.find(':')), &round));
      ++per_round[round];
    }
  }
  REQUIRE(!per_round.empty());
  const int oldest = per_round.begin()->first;
  CHECK(oldest > 0);  // the oldest were dropped
  for (int round = oldest + 1; round < kRounds; ++round) {
    INFO("round " << round);
    CHECK(per_round[round] == kPerRound);
  }
}

TEST_CASE("Retention: a clock near INT64_MIN does not overflow the cutoff",
          "[retention]") {
  ManualClockEnv env(std::numeric_limits<int64_t>::min() + 10);
  StreamOptions options;
  options.env = &env;
  std::unique_ptr<Stream> stream = MakeStream(options);
  Producer producer(stream.get());
  BROOK_REQUIRE_OK(producer.PutRecord("k", "kept"));
  env.Advance(absl::Milliseconds(1));
  BROOK_REQUIRE_OK(producer.PutRecord("k", "also kept"));
  CHECK(stream->TrimExpired() == 0);
  CHECK(ReadEveryShard(stream.get()).at("shardId-000000000000") ==
        std::vector<std::string>{"kept", "also kept"});
}

// Appends and reads skip the trim (and its locks) while the retention cutoff
// is below the oldest segment's newest arrival as last checked; a segment
// that takes newer records after that check must still go once they expire,
// and not before.
TEST_CASE(
    "Retention: a segment that took records after a trim check goes only "
    "once its newest record expires",
    "[retention]") {
  const bool durable = GENERATE(false, true);
  INFO("durable " << durable);
  testing::TempDir tmp;
  ManualClockEnv env(1'000'000);
  StreamOptions options;
  options.env = &env;
  options.shard_count = 1;
  options.retention_period = absl::Milliseconds(1000);
  std::unique_ptr<Stream> stream =
      MakeStream(options, durable ? tmp.Sub("s") : "");
  Producer producer(stream.get());
  Consumer consumer(stream.get());
  BROOK_REQUIRE_OK(producer.PutRecord("k", "old"));
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);  // checks
  BROOK_REQUIRE_OK(r);
  REQUIRE(r->records().size() == 1);
  env.Advance(absl::Milliseconds(600));
  BROOK_REQUIRE_OK(producer.PutRecord("k", "new"));  // the same segment
  env.Advance(absl::Milliseconds(600));              // "old" expired, "new" not
  r = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(r);
  REQUIRE(r->records().size() == 1);
  CHECK(r->records()[0].data == "new");
  CHECK(r->skipped_records() == 1);
  CHECK(Impl(stream.get())->SegmentCountForTesting() == 1);
  env.Advance(absl::Milliseconds(500));  // both expired
  r = consumer.GetRecords(r->next_shard_iterator());
  BROOK_REQUIRE_OK(r);
  CHECK(r->records().empty());
  CHECK(Impl(stream.get())->SegmentCountForTesting() == 0);
  BROOK_REQUIRE_OK(producer.PutRecord("k", "fresh"));
  CHECK(ReadEveryShard(stream.get()).at("shardId-000000000000") ==
        std::vector<std::string>{"fresh"});
}

TEST_CASE(
    "Retention: single-record appends across many rolls at the bound read "
    "back by position and by time",
    "[retention]") {
  // Issue 13: a new segment's index reuses the one retention dropped, or is
  // reserved from the size of the one before. Records of changing sizes make
  // a reused index too small or too large for the next segment.
  const bool durable = GENERATE(false, true);
  INFO("durable " << durable);
  testing::TempDir tmp;
  ManualClockEnv env(0);
  StreamOptions options;
  options.env = &env;
  options.shard_count = 1;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 256 << 10;
  options.on_full = RetentionFullPolicy::kDropOldest;
  std::unique_ptr<Stream> stream =
      MakeStream(options, durable ? tmp.path() : "");
  Producer producer(stream.get());
  constexpr int kRecords = 12000;
  for (int i = 0; i < kRecords; ++i) {
    env.SetNowMillis(i);
    // Phases of 10, 200 and 40 bytes: 2-4k frames per segment, then ~300.
    const size_t pad = (i / 3000) % 3 == 0   ? 10
                       : (i / 3000) % 3 == 1 ? 200
                                             : 40;
    BROOK_REQUIRE_OK(
        producer.PutRecord("k", absl::StrCat(i, ":", std::string(pad, 'p'))));
  }
  std::vector<int> got;
  for (const auto& [shard, data] : ReadEveryShard(stream.get())) {
    for (const std::string& d : data) {
      int n = -1;
      REQUIRE(absl::SimpleAtoi(d.substr(0, d.find(':')), &n));
      got.push_back(n);
    }
  }
  // The newest records, in order, none missing, some dropped.
  REQUIRE(!got.empty());
  CHECK(got.front() > 0);
  CHECK(got.back() == kRecords - 1);
  for (size_t k = 1; k < got.size(); ++k) REQUIRE(got[k] == got[k - 1] + 1);
  // By arrival time (one record per millisecond): the index of every kept
  // segment finds the record.
  Consumer consumer(stream.get());
  const std::string shard_id = stream->ListShards().front().shard_id;
  for (int t = got.front(); t < kRecords; t += 97) {
    INFO("timestamp " << t);
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(shard_id, StartingPosition::AtTimestamp(t));
    BROOK_REQUIRE_OK(it);
    GetRecordsOptions one;
    one.limit = 1;
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, one);
    BROOK_REQUIRE_OK(r);
    REQUIRE(r->records().size() == 1);
    CHECK(r->records()[0].data.substr(0, r->records()[0].data.find(':')) ==
          absl::StrCat(t));
  }
}

}  // namespace
}  // namespace brook
