// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// GetRecordsOptions::deaggregate through real streams (memory and durable):
// aggregates expand in place, plain records pass through, a damaged aggregate
// comes out whole and flagged, and limits count stored records.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/aggregation.h"
#include "brook/consumer.h"
#include "brook/producer.h"
#include "brook/stream.h"
#include "brook/subscription.h"

#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

constexpr absl::string_view kShard = "shardId-000000000000";

std::unique_ptr<Stream> MakeStream(const std::string& dir) {
  StreamOptions options;
  options.shard_count = 1;
  absl::StatusOr<std::unique_ptr<Stream>> s =
      dir.empty() ? Stream::Create(options)
                  : Stream::Open(dir, options, OpenMode::kCreateIfMissing);
  BROOK_REQUIRE_OK(s);
  return *std::move(s);
}

AggregateBuilder::Aggregate Aggregate(const std::string& prefix, int n) {
  AggregateBuilder builder;
  for (int i = 0; i < n; ++i) {
    REQUIRE(*builder.Add(absl::StrCat(prefix, "-key", i % 3),
                         i == 1 ? "12345" : "", absl::StrCat(prefix, i)));
  }
  return *builder.Finish();
}

GetRecordsResult ReadAll(Stream* stream, GetRecordsOptions options) {
  Consumer consumer(stream);
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(kShard, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, options);
  BROOK_REQUIRE_OK(r);
  return *std::move(r);
}

// What `PutMixed()` put, in this order: "plain" (key "plain-key"), aggregate
// `a` (3 user records), `damaged` (aggregate "c" with a flipped byte),
// aggregate `b` (2 user records).
struct Mixed {
  AggregateBuilder::Aggregate a;
  AggregateBuilder::Aggregate b;
  std::string damaged;
};

Mixed PutMixed(Stream* stream) {
  Mixed m{Aggregate("a", 3), Aggregate("b", 2), Aggregate("c", 2).data};
  m.damaged[6] = static_cast<char>(m.damaged[6] ^ 1);
  Producer producer(stream);
  BROOK_REQUIRE_OK(producer.PutRecord("plain-key", "plain"));
  BROOK_REQUIRE_OK(
      producer.PutRecord(m.a.partition_key, m.a.data, m.a.explicit_hash_key));
  BROOK_REQUIRE_OK(producer.PutRecord("c-key0", m.damaged));
  BROOK_REQUIRE_OK(
      producer.PutRecord(m.b.partition_key, m.b.data, m.b.explicit_hash_key));
  return m;
}

TEST_CASE("GetRecords deaggregate: expands in place, memory and durable",
          "[aggregation]") {
  testing::TempDir tmp;
  for (const std::string& dir : {std::string(), tmp.Sub("s")}) {
    INFO("dir \"" << dir << "\"");
    std::unique_ptr<Stream> stream = MakeStream(dir);
    const Mixed mixed = PutMixed(stream.get());
    const AggregateBuilder::Aggregate& a = mixed.a;
    const std::string& damaged = mixed.damaged;

    // Off (the default): as stored.
    const GetRecordsResult stored = ReadAll(stream.get(), GetRecordsOptions());
    REQUIRE(stored.records().size() == 4);
    CHECK(stored.records()[1].data == a.data);
    CHECK(!stored.records()[2].damaged_aggregate);

    GetRecordsOptions options;
    options.deaggregate = true;
    const GetRecordsResult r = ReadAll(stream.get(), options);
    const std::vector<Record>& got = r.records();
    REQUIRE(got.size() == 1 + 3 + 1 + 2);
    CHECK(got[0].data == "plain");
    CHECK(got[0].partition_key == "plain-key");
    for (int i = 0; i < 3; ++i) {
      const Record& u = got[1 + i];
      CHECK(u.data == absl::StrCat("a", i));
      CHECK(u.partition_key == absl::StrCat("a-key", i % 3));
      CHECK(u.subsequence_number == static_cast<uint64_t>(i));
      CHECK(u.sequence_number == stored.records()[1].sequence_number);
      CHECK(u.approximate_arrival_timestamp_millis ==
            stored.records()[1].approximate_arrival_timestamp_millis);
      CHECK(u.has_explicit_hash_key == (i == 1));
      CHECK(u.hash_key ==
            (i == 1 ? HashKey(12345) : PartitionKeyHash(u.partition_key)));
      CHECK(!u.damaged_aggregate);
    }
    CHECK(got[4].damaged_aggregate);
    CHECK(got[4].data == damaged);
    CHECK(got[4].sequence_number == stored.records()[2].sequence_number);
    CHECK(got[5].data == "b0");
    CHECK(got[6].data == "b1");
    CHECK(got[6].subsequence_number == 1);
    CHECK(got[6].sequence_number == stored.records()[3].sequence_number);
    CHECK(r.next_shard_iterator().valid());

    // The limit counts stored records: an aggregate is never split.
    options.limit = 2;
    const GetRecordsResult two = ReadAll(stream.get(), options);
    CHECK(two.records().size() == 1 + 3);
    Consumer consumer(stream.get());
    absl::StatusOr<GetRecordsResult> rest =
        consumer.GetRecords(two.next_shard_iterator(), options);
    BROOK_REQUIRE_OK(rest);
    REQUIRE(rest->records().size() == 1 + 2);
    CHECK(rest->records()[0].damaged_aggregate);
    CHECK(rest->records()[2].data == "b1");
    if (!dir.empty()) BROOK_CHECK_OK(stream->Close());
  }
}

TEST_CASE(
    "Subscription deaggregate: events carry user records, a damaged "
    "aggregate flagged, and resume after whole aggregates",
    "[aggregation][subscription]") {
  const bool deaggregate = GENERATE(false, true);
  INFO("deaggregate " << deaggregate);
  std::unique_ptr<Stream> stream = MakeStream("");
  const Mixed mixed = PutMixed(stream.get());
  const AggregateBuilder::Aggregate& a = mixed.a;
  const AggregateBuilder::Aggregate& b = mixed.b;
  const std::string& damaged = mixed.damaged;
  const GetRecordsResult stored = ReadAll(stream.get(), GetRecordsOptions());
  REQUIRE(stored.records().size() == 4);
  FanOut fan_out(stream.get());
  BROOK_REQUIRE_OK(fan_out.RegisterStreamConsumer("app"));
  SubscribeOptions options;
  options.max_records_per_event = 2;  // stored records
  options.deaggregate = deaggregate;
  // Everything from `start`, and each event's continuation.
  auto read = [&](const StartingPosition& start,
                  std::vector<SequenceNumber>* continuations) {
    absl::StatusOr<std::unique_ptr<Subscription>> sub =
        fan_out.SubscribeToShard("app", kShard, start, options);
    BROOK_REQUIRE_OK(sub);
    std::vector<Record> got;
    while (got.empty() ||
           got.back().sequence_number != stored.records()[3].sequence_number ||
           got.back().subsequence_number != (deaggregate ? 1u : 0u)) {
      absl::StatusOr<SubscribeToShardEvent> event =
          (*sub)->Next(absl::Seconds(30));  // a hang guard, not a timing
      BROOK_REQUIRE_OK(event);
      REQUIRE(event->continuation_sequence_number().has_value());
      CHECK(*event->continuation_sequence_number() ==
            event->records().back().sequence_number);
      continuations->push_back(*event->continuation_sequence_number());
      got.insert(got.end(), event->records().begin(), event->records().end());
    }
    return got;
  };
  std::vector<SequenceNumber> continuations;
  const std::vector<Record> got =
      read(StartingPosition::TrimHorizon(), &continuations);
  std::vector<std::string> data;
  for (const Record& r : got) data.push_back(std::string(r.data));
  if (!deaggregate) {
    CHECK(data == std::vector<std::string>{"plain", a.data, damaged, b.data});
    for (const Record& r : got) CHECK(!r.damaged_aggregate);
  } else {
    CHECK(data == std::vector<std::string>{"plain", "a0", "a1", "a2", damaged,
                                           "b0", "b1"});
    for (int i = 0; i < 3; ++i) {
      CHECK(got[1 + i].subsequence_number == static_cast<uint64_t>(i));
      CHECK(got[1 + i].sequence_number == stored.records()[1].sequence_number);
      CHECK(got[1 + i].partition_key == absl::StrCat("a-key", i));
    }
    CHECK(got[4].damaged_aggregate);
    CHECK(got[6].subsequence_number == 1);
  }
  // The first event ended after aggregate "a" as a whole: resuming after its
  // continuation starts at the damaged record, with no user record of "a".
  REQUIRE(continuations.size() == 2);
  CHECK(continuations[0] == stored.records()[1].sequence_number);
  std::vector<SequenceNumber> more;
  const std::vector<Record> resumed =
      read(StartingPosition::AfterSequenceNumber(continuations[0]), &more);
  REQUIRE(!resumed.empty());
  CHECK(resumed.front().data == damaged);
  CHECK(resumed.front().damaged_aggregate == deaggregate);
}

}  // namespace
}  // namespace brook
