// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer's bounded buffer on a ManualClockEnv: a full buffer fails a
// put at once or makes it wait up to put_timeout, and is appended without
// waiting for linger.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/async_producer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "produce/fault_stream.h"
#include "produce/outcomes.h"
#include "produce/producer_rig.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::kStart;
using testing::MakeProducer;
using testing::Outcomes;
using testing::ReadAll;
using testing::Rig;
using testing::StreamOn;

TEST_CASE("AsyncProducer: a full buffer fails a put at once", "[produce]") {
  ManualClockEnv clock(kStart);
  StreamOptions so;
  so.max_record_bytes = 100;
  std::unique_ptr<Stream> stream = StreamOn(&clock, so);
  AsyncProducerOptions o;
  o.linger = absl::Hours(1);
  o.env = &clock;
  SECTION("records") { o.max_buffered_records = 2; }
  SECTION("bytes") {
    // Two records of 50 buffered bytes: key, explicit hash key and data. A
    // batch counts 31 of them (no explicit hash key), so none is full.
    o.max_batch_bytes = 100;
    o.max_buffered_bytes = 100;
  }
  std::unique_ptr<AsyncProducer> p = MakeProducer(stream.get(), o);
  const std::string data(30, 'd');
  const std::string hash_key(19, '1');
  BROOK_REQUIRE_OK(p->Put("k", data, hash_key));
  BROOK_REQUIRE_OK(p->Put("k", data, hash_key));
  const absl::Status full = p->Put("k", data, hash_key);
  BROOK_CHECK_CODE(full, kResourceExhausted);
  CHECK(absl::StrContains(full.message(), "buffer full"));
  CHECK(p->stats().records_put == 2);
  BROOK_CHECK_OK(p->Flush());
  BROOK_CHECK_OK(p->Put("k", data, hash_key));  // room again
  BROOK_CHECK_OK(p->Close());
  CHECK(ReadAll(stream.get()).size() == 3);
}

TEST_CASE("AsyncProducer: put_timeout waits for room, then fails",
          "[produce]") {
  // The stream holds the first append until `release`: "first" stays in the
  // buffer, which holds one record, while a second put waits for room.
  Rig rig;
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  rig.stream.set_fault([&](absl::string_view, absl::Span<const RoutedRecord>) {
    std::unique_lock<std::mutex> lock(mu);
    if (!entered) {
      entered = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    }
    return absl::OkStatus();
  });
  auto release_append = [&] {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
    cv.notify_all();
  };
  rig.options.linger = absl::Hours(1);
  rig.options.max_buffered_records = 1;
  rig.options.put_timeout = absl::Seconds(1);
  std::unique_ptr<AsyncProducer> p = MakeProducer(&rig.stream, rig.options);
  BROOK_REQUIRE_OK(p->Put("k", "first"));
  absl::Status second;
  std::atomic<bool> returned{false};
  std::thread putter([&] {
    second = p->Put("k", "second");
    returned = true;
  });
  rig.obs.AwaitBlockedBy(putter.get_id(), 1);
  {
    // A put that found the buffer full makes the sending thread append what
    // it holds at once: the clock has not moved, and linger is an hour.
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(
        cv.wait_for(lock, std::chrono::seconds(60), [&] { return entered; }));
  }
  SECTION("the timeout runs out") {
    rig.clock.Advance(absl::Milliseconds(999));
    CHECK(!returned);
    rig.clock.Advance(absl::Milliseconds(1));
    putter.join();
    BROOK_CHECK_CODE(second, kResourceExhausted);
    CHECK(p->stats().records_put == 1);
    release_append();
    BROOK_CHECK_OK(p->Close());
    CHECK(ReadAll(rig.target.get()).size() == 1);
  }
  SECTION("room appears") {
    release_append();  // stores "first", which makes room
    putter.join();
    BROOK_CHECK_OK(second);
    BROOK_CHECK_OK(p->Close());
    CHECK(ReadAll(rig.target.get()).size() == 2);
  }
  SECTION("Close() ends the wait") {
    absl::Status closed;
    std::thread closer([&] { closed = p->Close(); });
    putter.join();
    BROOK_CHECK_CODE(second, kFailedPrecondition);
    release_append();
    closer.join();
    BROOK_CHECK_OK(closed);
    CHECK(ReadAll(rig.target.get()).size() == 1);
  }
}

TEST_CASE("AsyncProducer: a full buffer is appended without waiting for linger",
          "[produce]") {
  // Many shards, none with a full batch: before, a full buffer sat out the
  // whole linger while puts failed.
  ManualClockEnv clock(kStart);
  StreamOptions so;
  so.shard_count = 8;
  std::unique_ptr<Stream> stream = StreamOn(&clock, so);
  AsyncProducerOptions o;
  o.env = &clock;
  o.linger = absl::Hours(1);
  o.max_buffered_records = 16;
  std::unique_ptr<AsyncProducer> p = MakeProducer(stream.get(), o);
  Outcomes outcomes;
  int accepted = 0;
  for (int i = 0; i < 16; ++i) {
    BROOK_REQUIRE_OK(
        p->Put(absl::StrCat("key-", i), "x", {}, outcomes.Slot(i)));
    ++accepted;
  }
  BROOK_CHECK_CODE(p->Put("key-16", "x"), kResourceExhausted);
  // The failed put woke the sending thread: all 16 are stored, the clock
  // still where it was.
  outcomes.WaitFor(16);
  for (int i = 0; i < 16; ++i) BROOK_CHECK_OK(outcomes.at(i));
  BROOK_CHECK_OK(p->Put("key-16", "x"));  // room again
  BROOK_CHECK_OK(p->Close());
  CHECK(ReadAll(stream.get()).size() == static_cast<size_t>(accepted) + 1);
}

}  // namespace
}  // namespace brook
