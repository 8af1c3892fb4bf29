// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `WaitInterrupt`: `Consumer::WaitForRecords()` given one returns as soon as
// another thread interrupts it, whatever the stream's clock does (here a
// `ManualClockEnv` that never moves, so only the interrupt can end the wait).

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/observing_env.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

TEST_CASE(
    "Consumer: WaitForRecords returns at once when its WaitInterrupt is "
    "interrupted",
    "[consumer]") {
  ManualClockEnv clock(1'000'000);  // never moved
  testing::ObservingEnv env(&clock);
  StreamOptions options;
  options.shard_count = 1;
  options.env = &env;
  absl::StatusOr<std::unique_ptr<Stream>> stream = Stream::Create(options);
  BROOK_REQUIRE_OK(stream);
  Consumer consumer(stream->get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);

  WaitInterrupt interrupt;
  std::future<bool> waited = std::async(std::launch::async, [&] {
    return consumer.WaitForRecords(*it, absl::Hours(1), &interrupt);
  });
  env.AwaitBlocked(1);  // asleep on the stream's clock
  interrupt.Interrupt();
  // A hang guard, not a timing.
  const bool returned =
      waited.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  Producer producer(stream->get());
  if (!returned) BROOK_REQUIRE_OK(producer.PutRecord("k", "wake"));
  REQUIRE(returned);
  CHECK_FALSE(waited.get());  // no records

  // Interrupted already: no wait at all; with records there, true.
  CHECK_FALSE(consumer.WaitForRecords(*it, absl::Hours(1), &interrupt));
  BROOK_REQUIRE_OK(producer.PutRecord("k", "v"));
  CHECK(consumer.WaitForRecords(*it, absl::Hours(1), &interrupt));
  // Without an interrupt, as the two-argument call.
  CHECK(consumer.WaitForRecords(*it, absl::ZeroDuration(), nullptr));
}

}  // namespace
}  // namespace brook
