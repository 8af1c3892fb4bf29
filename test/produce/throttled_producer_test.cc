// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The async producer through a stream in provisioned mode
// (ThroughputOptions): throttled appends are retried with backoff until
// every record is stored, in order per key.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/async_producer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "produce/fault_stream.h"
#include "produce/outcomes.h"
#include "stream/stream_impl.h"
#include "testing/observing_env.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;

TEST_CASE("AsyncProducer: delivers everything through a throttled stream",
          "[produce][throughput]") {
  ManualClockEnv clock(kStart);
  testing::ObservingEnv obs(&clock);
  StreamOptions so;
  so.name = "s";
  so.env = &clock;
  so.throughput.provisioned = true;
  so.throughput.write_records_per_second = 20;
  absl::StatusOr<std::unique_ptr<Stream>> stream = Stream::Create(so);
  BROOK_REQUIRE_OK(stream);

  AsyncProducerOptions o;
  o.env = &obs;
  o.linger = absl::ZeroDuration();
  o.max_batch_records = 10;  // two batches empty the bucket
  o.max_backoff = absl::Seconds(1);
  o.record_ttl = absl::Hours(1);
  absl::StatusOr<std::unique_ptr<AsyncProducer>> p =
      AsyncProducer::Create(stream->get(), o);
  BROOK_REQUIRE_OK(p);
  testing::Outcomes out;
  constexpr int kRecords = 200;
  for (int i = 0; i < kRecords; ++i) {
    BROOK_REQUIRE_OK(
        (*p)->Put(i % 2 == 0 ? "a" : "b", absl::StrCat(i), {}, out.Slot(i)));
  }
  // Move the clock whenever the sending thread waits (a backoff, or idle).
  int64_t waits = 1;
  for (int round = 0; out.count() < kRecords; ++round) {
    REQUIRE(round < 2000);
    waits = obs.AwaitBlocked(waits) + 1;
    clock.Advance(absl::Milliseconds(100));
  }
  int retried = 0;
  for (int i = 0; i < kRecords; ++i) {
    absl::StatusOr<AsyncPutResult> r = out.at(i);
    BROOK_REQUIRE_OK(r);
    if (r->attempts > 1) ++retried;
  }
  CHECK(retried > 0);
  BROOK_REQUIRE_OK((*p)->Flush());
  CHECK((*p)->stats().records_stored == kRecords);
  CHECK((*p)->stats().retries > 0);
  auto* impl = static_cast<internal::StreamImpl*>(stream->get());
  CHECK((*impl->FindShard("shardId-000000000000"))
            ->throttle()
            ->throttled_calls() > 0);
  BROOK_REQUIRE_OK((*p)->Close());

  // Every record once, in order per key; the reads fit the read limits.
  std::map<std::string, std::vector<int>> by_key;
  for (const testing::StoredRecord& r : testing::ReadAll(stream->get())) {
    by_key[r.partition_key].push_back(std::stoi(r.data));
  }
  REQUIRE(by_key["a"].size() == kRecords / 2);
  REQUIRE(by_key["b"].size() == kRecords / 2);
  for (int k = 0; k < kRecords / 2; ++k) {
    CHECK(by_key["a"][k] == 2 * k);
    CHECK(by_key["b"][k] == 2 * k + 1);
  }
}

}  // namespace
}  // namespace brook
