// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What push subscriptions (`FanOut::SubscribeToShard()`) must do over every
// stream: run against the memory and durable streams (brook_core_tests) and
// against a remote stream on kinesalite (brook_remote_tests, which compiles
// this file with BROOK_STREAM_TEST_KINESALITE; see
// stream/stream_backend_testing.h). kinesalite has no SubscribeToShard:
// brook's subscriptions read through `Consumer`, polling a remote stream
// (remote_stream.h), and so run there all the same.

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/stream.h"
#include "brook/subscription.h"

#include "stream/stream_backend_testing.h"
#include "stream/subscription_testing.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::Append;
using testing::CheckInOrder;
using testing::Collector;
using testing::Drain;
using testing::FastOptions;
using testing::kShard0;
using testing::Payload;
using testing::ReadN;

TEST_CASE(BROOK_STREAM_TEST_NAME(
              "Subscription: events arrive in order across many events"),
          "[subscription]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  std::unique_ptr<Stream> stream = streams.New(1);
  FanOut fan_out(stream.get());
  REQUIRE(fan_out.RegisterStreamConsumer("app").ok());
  // A remote put is a service call: fewer records there.
  const int kRecords = streams.remote() ? 300 : 3000;
  SubscribeOptions options = FastOptions();
  options.max_records_per_event = 7;
  options.max_buffered_events = 3;

  Append(stream.get(), 0, kRecords / 2);
  SECTION("handler") {
    Collector seen;
    absl::StatusOr<std::unique_ptr<Subscription>> sub =
        fan_out.SubscribeToShard(
            "app", kShard0, StartingPosition::TrimHorizon(), options,
            [&](SubscribeToShardEvent& e) { return seen.Add(e); });
    REQUIRE(sub.ok());
    CHECK((*sub)->shard_id() == kShard0);
    Append(stream.get(), kRecords / 2, kRecords);  // while it delivers
    seen.WaitForRecords(kRecords);
    CheckInOrder(seen.data(), kRecords);
    CHECK(seen.increasing());
    CHECK(seen.continuation_ok());
    CHECK(seen.events() >= kRecords / 7);
    CHECK_FALSE((*sub)->final_status().has_value());
    (*sub)->Unsubscribe();
    BROOK_CHECK_CODE((*sub)->Wait(), kCancelled);
  }
  SECTION("pull") {
    absl::StatusOr<std::unique_ptr<Subscription>> sub =
        fan_out.SubscribeToShard("app", kShard0,
                                 StartingPosition::TrimHorizon(), options);
    REQUIRE(sub.ok());
    std::thread producer([&] { Append(stream.get(), kRecords / 2, kRecords); });
    std::vector<std::string> data;
    std::optional<SequenceNumber> last;
    while (static_cast<int>(data.size()) < kRecords) {
      absl::StatusOr<SubscribeToShardEvent> e =
          (*sub)->Next(absl::InfiniteDuration());
      REQUIRE(e.ok());
      REQUIRE(!e->records().empty());
      REQUIRE(e->records().size() <= 7);
      for (const Record& r : e->records()) data.emplace_back(r.data);
      REQUIRE(e->continuation_sequence_number() ==
              e->records().back().sequence_number);
      if (last.has_value()) CHECK(*last < e->records().front().sequence_number);
      last = e->continuation_sequence_number();
    }
    producer.join();
    CheckInOrder(data, kRecords);
    // Nothing more: Next times out (a zero timeout does not wait).
    BROOK_CHECK_CODE((*sub)->Next(absl::ZeroDuration()).status(),
                     kDeadlineExceeded);

    // Resuming from the continuation, as after Kinesis's 5-minute expiry.
    (*sub)->Unsubscribe();
    Append(stream.get(), kRecords, kRecords + 5);
    absl::StatusOr<std::unique_ptr<Subscription>> again =
        fan_out.SubscribeToShard("app", kShard0,
                                 StartingPosition::AfterSequenceNumber(*last),
                                 options);
    REQUIRE(again.ok());
    absl::StatusOr<SubscribeToShardEvent> e =
        (*again)->Next(absl::InfiniteDuration());
    REQUIRE(e.ok());
    REQUIRE(e->records().size() == 5);
    CHECK(e->records()[0].data == Payload(kRecords));
  }
}

TEST_CASE(BROOK_STREAM_TEST_NAME(
              "Subscription: the end of a split shard delivers its children "
              "and ends OK"),
          "[subscription]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  std::unique_ptr<Stream> stream = streams.New(1);
  FanOut fan_out(stream.get());
  REQUIRE(fan_out.RegisterStreamConsumer("app").ok());
  Append(stream.get(), 0, 10);
  absl::StatusOr<std::unique_ptr<Subscription>> pull = fan_out.SubscribeToShard(
      "app", kShard0, StartingPosition::TrimHorizon(), FastOptions());
  REQUIRE(pull.ok());
  CHECK(ReadN(pull->get(), 10).size() == 10);
  BROOK_REQUIRE_OK(stream->SplitShard(
      kShard0, "170141183460469231731687303715884105728"));  // 2^127

  std::vector<ChildShard> children;
  CHECK(Drain(pull->get(), &children).empty());
  REQUIRE(children.size() == 2);
  CHECK(children[0].shard_id == "shardId-000000000001");
  CHECK(children[1].shard_id == "shardId-000000000002");
  REQUIRE((*pull)->final_status().has_value());
  BROOK_CHECK_OK(*(*pull)->final_status());
  BROOK_CHECK_OK((*pull)->Wait());

  // The slot is free again once it ended: a handler sees the same end.
  Collector seen;
  absl::StatusOr<std::unique_ptr<Subscription>> handler =
      fan_out.SubscribeToShard(
          "app", kShard0, StartingPosition::TrimHorizon(), FastOptions(),
          [&](SubscribeToShardEvent& e) { return seen.Add(e); });
  REQUIRE(handler.ok());
  BROOK_CHECK_OK((*handler)->Wait());
  CheckInOrder(seen.data(), 10);
  CHECK(seen.children().size() == 2);
}

}  // namespace
}  // namespace brook
