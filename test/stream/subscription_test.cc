// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/subscription.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "stream/subscription_testing.h"
#include "testing/barrier.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

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

std::unique_ptr<Stream> MakeStream(const std::string& dir = "",
                                   Env* env = nullptr) {
  StreamOptions options;
  options.shard_count = 1;
  options.name = "orders";
  options.env = env;
  absl::StatusOr<std::unique_ptr<Stream>> s =
      dir.empty() ? Stream::Create(options)
                  : Stream::Open(dir, options, OpenMode::kCreateIfMissing);
  REQUIRE(s.ok());
  return *std::move(s);
}

TEST_CASE("FanOut: registers, describes, lists and deregisters consumers",
          "[subscription]") {
  ManualClockEnv env(1'700'000'000'000);
  std::unique_ptr<Stream> stream = MakeStream("", &env);
  FanOut fan_out(stream.get());

  absl::StatusOr<StreamConsumerDescription> a =
      fan_out.RegisterStreamConsumer("billing");
  REQUIRE(a.ok());
  CHECK(a->consumer_name == "billing");
  CHECK(a->consumer_status == "ACTIVE");
  CHECK(a->stream_name == "orders");
  CHECK(a->consumer_creation_timestamp_millis == 1'700'000'000'000);
  CHECK(a->consumer_arn ==
        "arn:brook:kinesis:local:stream/orders/consumer/billing:"
        "1700000000000");
  env.Advance(absl::Seconds(1));
  REQUIRE(fan_out.RegisterStreamConsumer("audit").ok());

  BROOK_CHECK_CODE(fan_out.RegisterStreamConsumer("billing").status(),
                   kAlreadyExists);
  BROOK_CHECK_CODE(fan_out.RegisterStreamConsumer("").status(),
                   kInvalidArgument);
  BROOK_CHECK_CODE(fan_out.RegisterStreamConsumer("a b").status(),
                   kInvalidArgument);
  BROOK_CHECK_CODE(
      fan_out.RegisterStreamConsumer(std::string(129, 'x')).status(),
      kInvalidArgument);

  // By ARN or by name.
  absl::StatusOr<StreamConsumerDescription> by_arn =
      fan_out.DescribeStreamConsumer(a->consumer_arn);
  REQUIRE(by_arn.ok());
  CHECK(by_arn->consumer_name == "billing");
  REQUIRE(fan_out.DescribeStreamConsumer("audit").ok());
  BROOK_CHECK_CODE(fan_out.DescribeStreamConsumer("nobody").status(),
                   kNotFound);

  std::vector<StreamConsumerDescription> list = fan_out.ListStreamConsumers();
  REQUIRE(list.size() == 2);
  CHECK(list[0].consumer_name == "billing");
  CHECK(list[1].consumer_name == "audit");

  // Kinesis's limit of 20.
  for (int i = 2; i < kMaxStreamConsumers; ++i) {
    REQUIRE(fan_out.RegisterStreamConsumer(absl::StrCat("c", i)).ok());
  }
  BROOK_CHECK_CODE(fan_out.RegisterStreamConsumer("one-more").status(),
                   kResourceExhausted);
  BROOK_REQUIRE_OK(fan_out.DeregisterStreamConsumer(a->consumer_arn));
  BROOK_CHECK_CODE(fan_out.DeregisterStreamConsumer("billing"), kNotFound);
  REQUIRE(fan_out.RegisterStreamConsumer("one-more").ok());
  CHECK(fan_out.ListStreamConsumers().size() == kMaxStreamConsumers);

  fan_out.Close();
  BROOK_CHECK_CODE(fan_out.RegisterStreamConsumer("late").status(),
                   kFailedPrecondition);
  CHECK(fan_out.ListStreamConsumers().size() == kMaxStreamConsumers);
}

TEST_CASE(
    "Subscription: a stalled handler slows neither the producer nor other "
    "subscribers, its buffer stays bounded and nothing is lost",
    "[subscription]") {
  std::unique_ptr<Stream> stream = MakeStream();
  FanOut fan_out(stream.get());
  REQUIRE(fan_out.RegisterStreamConsumer("slow").ok());
  REQUIRE(fan_out.RegisterStreamConsumer("fast").ok());
  constexpr int kRecords = 20000;
  const int64_t record_bytes =
      static_cast<int64_t>(3 + Payload(kRecords).size());  // "key" + data
  SubscribeOptions options = FastOptions();
  options.max_buffered_events = 4;
  options.max_buffered_bytes = 600;
  options.max_records_per_event = 20;

  testing::Barrier entered(2);
  testing::Barrier release(2);
  Collector slow_seen;
  std::atomic<bool> first{true};
  absl::StatusOr<std::unique_ptr<Subscription>> slow = fan_out.SubscribeToShard(
      "slow", kShard0, StartingPosition::TrimHorizon(), options,
      [&](SubscribeToShardEvent& e) {
        if (first.exchange(false)) {
          entered.ArriveAndWait();
          release.ArriveAndWait();  // stalled until the test releases it
        }
        return slow_seen.Add(e);
      });
  REQUIRE(slow.ok());
  absl::StatusOr<std::unique_ptr<Subscription>> fast = fan_out.SubscribeToShard(
      "fast", kShard0, StartingPosition::TrimHorizon(), options);
  REQUIRE(fast.ok());

  Append(stream.get(), 0, 1);
  entered.ArriveAndWait();  // the slow handler holds its first event now
  // The producer completes every append while the handler is stalled.
  Producer producer(stream.get());
  for (int i = 1; i < kRecords; ++i) {
    REQUIRE(producer.PutRecord("key", Payload(i)).ok());
    if (i % 1000 == 0) {
      REQUIRE((*slow)->buffered_events() <= options.max_buffered_events);
      REQUIRE((*slow)->buffered_bytes() <
              options.max_buffered_bytes + record_bytes);
    }
  }
  // The other subscriber gets everything while the slow one is stalled.
  CheckInOrder(ReadN(fast->get(), kRecords), kRecords);
  // The stalled one's reader fills its buffer and stops there.
  while ((*slow)->buffered_events() < options.max_buffered_events &&
         (*slow)->buffered_bytes() < options.max_buffered_bytes) {
    std::this_thread::yield();
  }
  CHECK((*slow)->buffered_events() <= options.max_buffered_events);
  CHECK((*slow)->buffered_bytes() < options.max_buffered_bytes + record_bytes);
  CHECK(slow_seen.events() == 0);

  release.ArriveAndWait();
  slow_seen.WaitForRecords(kRecords);
  CheckInOrder(slow_seen.data(), kRecords);
  CHECK(slow_seen.increasing());
  CHECK_FALSE((*slow)->final_status().has_value());
}

TEST_CASE("Subscription: unsubscribing from inside the handler stops delivery",
          "[subscription]") {
  std::unique_ptr<Stream> stream = MakeStream();
  FanOut fan_out(stream.get());
  REQUIRE(fan_out.RegisterStreamConsumer("app").ok());
  Append(stream.get(), 0, 100);
  SubscribeOptions options = FastOptions();
  options.max_records_per_event = 1;
  Subscription* self = nullptr;
  testing::Barrier subscribed(2);
  int calls = 0;  // the delivery thread's only
  absl::StatusOr<std::unique_ptr<Subscription>> sub =
      fan_out.SubscribeToShard("app", kShard0, StartingPosition::TrimHorizon(),
                               options, [&](SubscribeToShardEvent&) {
                                 if (calls++ == 0) subscribed.ArriveAndWait();
                                 if (calls == 3) self->Unsubscribe();
                                 return absl::OkStatus();
                               });
  REQUIRE(sub.ok());
  self = sub->get();
  subscribed.ArriveAndWait();
  BROOK_CHECK_CODE((*sub)->Wait(), kCancelled);
  CHECK(calls == 3);  // Wait() returned after the last call: no race
  CHECK((*sub)->buffered_events() == 0);
}

TEST_CASE(
    "Subscription: unsubscribing from another thread during a handler call "
    "starts no further call",
    "[subscription]") {
  std::unique_ptr<Stream> stream = MakeStream();
  FanOut fan_out(stream.get());
  REQUIRE(fan_out.RegisterStreamConsumer("app").ok());
  Append(stream.get(), 0, 100);
  SubscribeOptions options = FastOptions();
  options.max_records_per_event = 1;
  testing::Barrier entered(2);
  testing::Barrier release(2);
  std::atomic<int> calls{0};
  absl::StatusOr<std::unique_ptr<Subscription>> sub =
      fan_out.SubscribeToShard("app", kShard0, StartingPosition::TrimHorizon(),
                               options, [&](SubscribeToShardEvent&) {
                                 if (calls.fetch_add(1) == 0) {
                                   entered.ArriveAndWait();
                                   release.ArriveAndWait();
                                 }
                                 return absl::OkStatus();
                               });
  REQUIRE(sub.ok());
  entered.ArriveAndWait();
  std::thread other([&] { (*sub)->Unsubscribe(); });
  other.join();
  // Ended, though its handler call is still running.
  REQUIRE((*sub)->final_status().has_value());
  CHECK(absl::IsCancelled(*(*sub)->final_status()));
  CHECK((*sub)->buffered_events() == 0);
  release.ArriveAndWait();
  BROOK_CHECK_CODE((*sub)->Wait(), kCancelled);
  CHECK(calls.load() == 1);

  // The slot is free again: a new subscription of the consumer works.
  absl::StatusOr<std::unique_ptr<Subscription>> again =
      fan_out.SubscribeToShard("app", kShard0, StartingPosition::TrimHorizon(),
                               options);
  REQUIRE(again.ok());
  CHECK(ReadN(again->get(), 100).size() == 100);
}

TEST_CASE(
    "Subscription: closing the stream ends it with kFailedPrecondition after "
    "every record",
    "[subscription]") {
  testing::TempDir dir;
  const bool durable = GENERATE(false, true);
  INFO((durable ? "durable" : "memory") << " stream");
  std::unique_ptr<Stream> stream = MakeStream(durable ? dir.Sub("s") : "");
  FanOut fan_out(stream.get());
  REQUIRE(fan_out.RegisterStreamConsumer("app").ok());
  Append(stream.get(), 0, 5);
  Collector seen;
  absl::StatusOr<std::unique_ptr<Subscription>> handler =
      fan_out.SubscribeToShard(
          "app", kShard0, StartingPosition::TrimHorizon(), FastOptions(),
          [&](SubscribeToShardEvent& e) { return seen.Add(e); });
  REQUIRE(handler.ok());
  seen.WaitForRecords(5);  // now it waits at the tip
  Append(stream.get(), 5, 10);
  BROOK_REQUIRE_OK(stream->Close());
  BROOK_CHECK_CODE((*handler)->Wait(), kFailedPrecondition);
  CheckInOrder(seen.data(), 10);

  BROOK_CHECK_CODE(
      fan_out
          .SubscribeToShard("app", kShard0, StartingPosition::TrimHorizon(),
                            FastOptions())
          .status(),
      kFailedPrecondition);
}

TEST_CASE("Subscription: works over a read-only open of a stream directory",
          "[subscription]") {
  testing::TempDir dir;
  {
    std::unique_ptr<Stream> writer = MakeStream(dir.Sub("s"));
    Append(writer.get(), 0, 50);
    BROOK_REQUIRE_OK(writer->Close());
  }
  StreamOptions options;
  absl::StatusOr<std::unique_ptr<Stream>> reader =
      Stream::Open(dir.Sub("s"), options, OpenMode::kReadOnly);
  REQUIRE(reader.ok());
  FanOut fan_out(reader->get());
  REQUIRE(fan_out.RegisterStreamConsumer("app").ok());
  absl::StatusOr<std::unique_ptr<Subscription>> sub = fan_out.SubscribeToShard(
      "app", kShard0, StartingPosition::TrimHorizon(), FastOptions());
  REQUIRE(sub.ok());
  CheckInOrder(ReadN(sub->get(), 50), 50);
  BROOK_REQUIRE_OK((*reader)->Close());
  CHECK(Drain(sub->get()).empty());
  BROOK_CHECK_CODE((*sub)->Wait(), kFailedPrecondition);
}

TEST_CASE("Subscription: a handler's error or exception ends it with that",
          "[subscription]") {
  std::unique_ptr<Stream> stream = MakeStream();
  FanOut fan_out(stream.get());
  REQUIRE(fan_out.RegisterStreamConsumer("app").ok());
  Append(stream.get(), 0, 10);
  SubscribeOptions options = FastOptions();
  options.max_records_per_event = 1;
  int calls = 0;
  SECTION("error") {
    absl::StatusOr<std::unique_ptr<Subscription>> sub =
        fan_out.SubscribeToShard(
            "app", kShard0, StartingPosition::TrimHorizon(), options,
            [&](SubscribeToShardEvent&) {
              return ++calls == 2 ? absl::DataLossError("bad record")
                                  : absl::OkStatus();
            });
    REQUIRE(sub.ok());
    absl::Status s = (*sub)->Wait();
    CHECK(s == absl::DataLossError("bad record"));
    CHECK(calls == 2);
  }
  SECTION("exception") {
    absl::StatusOr<std::unique_ptr<Subscription>> sub =
        fan_out.SubscribeToShard("app", kShard0,
                                 StartingPosition::TrimHorizon(), options,
                                 [&](SubscribeToShardEvent&) -> absl::Status {
                                   ++calls;
                                   throw std::runtime_error("boom");
                                 });
    REQUIRE(sub.ok());
    absl::Status s = (*sub)->Wait();
    BROOK_CHECK_CODE(s, kUnknown);
    CHECK(s.message().find("boom") != absl::string_view::npos);
    CHECK(calls == 1);
  }
}

TEST_CASE("Subscription: one live subscription per consumer and shard",
          "[subscription]") {
  std::unique_ptr<Stream> stream = MakeStream();
  REQUIRE(stream->SplitShard(kShard0, "170141183460469231731687303715884105728")
              .ok());
  FanOut fan_out(stream.get());
  REQUIRE(fan_out.RegisterStreamConsumer("a").ok());
  REQUIRE(fan_out.RegisterStreamConsumer("b").ok());
  auto subscribe = [&](absl::string_view consumer, absl::string_view shard) {
    return fan_out.SubscribeToShard(consumer, shard, StartingPosition::Latest(),
                                    FastOptions());
  };
  absl::StatusOr<std::unique_ptr<Subscription>> first =
      subscribe("a", "shardId-000000000001");
  REQUIRE(first.ok());
  BROOK_CHECK_CODE(subscribe("a", "shardId-000000000001").status(),
                   kAlreadyExists);
  // By ARN too.
  const std::string arn = (*first)->consumer_arn();
  BROOK_CHECK_CODE(subscribe(arn, "shardId-000000000001").status(),
                   kAlreadyExists);
  absl::StatusOr<std::unique_ptr<Subscription>> other_consumer =
      subscribe("b", "shardId-000000000001");
  CHECK(other_consumer.ok());
  absl::StatusOr<std::unique_ptr<Subscription>> other_shard =
      subscribe("a", "shardId-000000000002");
  CHECK(other_shard.ok());
  first->reset();  // destroying it ends it
  CHECK(subscribe("a", "shardId-000000000001").ok());

  // Deregistering the consumer and closing the fan-out end subscriptions.
  BROOK_REQUIRE_OK(fan_out.DeregisterStreamConsumer("a"));
  BROOK_CHECK_CODE((*other_shard)->Wait(), kCancelled);
  BROOK_CHECK_CODE((*other_shard)->Next(absl::ZeroDuration()).status(),
                   kOutOfRange);
  CHECK_FALSE((*other_consumer)->final_status().has_value());
  fan_out.Close();
  BROOK_CHECK_CODE((*other_consumer)->Wait(), kCancelled);
  BROOK_CHECK_CODE(subscribe("b", "shardId-000000000002").status(),
                   kFailedPrecondition);
}

TEST_CASE("Subscription: bad arguments are refused, naming what was wrong",
          "[subscription]") {
  std::unique_ptr<Stream> stream = MakeStream();
  FanOut fan_out(stream.get());
  REQUIRE(fan_out.RegisterStreamConsumer("app").ok());
  const StartingPosition start = StartingPosition::TrimHorizon();
  BROOK_CHECK_CODE(
      fan_out.SubscribeToShard("nobody", kShard0, start, FastOptions())
          .status(),
      kNotFound);
  BROOK_CHECK_CODE(
      fan_out
          .SubscribeToShard("app", "shardId-000000000009", start, FastOptions())
          .status(),
      kNotFound);
  StartingPosition bad_start;
  bad_start.type = ShardIteratorType::kAtSequenceNumber;  // no number
  BROOK_CHECK_CODE(
      fan_out.SubscribeToShard("app", kShard0, bad_start, FastOptions())
          .status(),
      kInvalidArgument);
  SubscribeOptions options = FastOptions();
  options.max_buffered_events = 0;
  absl::Status s =
      fan_out.SubscribeToShard("app", kShard0, start, options).status();
  BROOK_CHECK_CODE(s, kInvalidArgument);
  CHECK(s.message().find("max_buffered_events") != absl::string_view::npos);
  options = FastOptions();
  options.poll_interval = absl::ZeroDuration();
  BROOK_CHECK_CODE(
      fan_out.SubscribeToShard("app", kShard0, start, options).status(),
      kInvalidArgument);
  BROOK_CHECK_CODE(fan_out
                       .SubscribeToShard("app", kShard0, start, FastOptions(),
                                         SubscriptionHandler())
                       .status(),
                   kInvalidArgument);

  // Next() is for pull-style subscriptions only.
  absl::StatusOr<std::unique_ptr<Subscription>> sub = fan_out.SubscribeToShard(
      "app", kShard0, start, FastOptions(),
      [](SubscribeToShardEvent&) { return absl::OkStatus(); });
  REQUIRE(sub.ok());
  BROOK_CHECK_CODE((*sub)->Next(absl::ZeroDuration()).status(),
                   kFailedPrecondition);
}

}  // namespace
}  // namespace brook
