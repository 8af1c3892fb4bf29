// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Waits go through the Env: a ManualClockEnv decides when a timed wait ends,
// the default Env waits real time. No test here sleeps: a waiter is known to
// be blocked once an ObservingEnv saw it block in WaitUntil().

#include "brook/env.h"

#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/observing_env.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::ObservingEnv;

TEST_CASE("ManualClockEnv: a timed wait ends when the clock reaches it",
          "[env]") {
  ManualClockEnv clock(1'000'000);
  ObservingEnv env(&clock);
  std::mutex mu;
  std::condition_variable cv;
  bool reached = false;
  int64_t woke_at = 0;
  std::thread waiter([&] {
    std::unique_lock<std::mutex> lock(mu);
    // Loops over spurious wake-ups, as every caller does.
    while (!env.WaitUntil(cv, lock, 1'000'100)) {
    }
    reached = true;
    woke_at = clock.NowMillis();
  });
  env.AwaitBlockedBy(waiter.get_id(), 1);
  clock.Advance(absl::Milliseconds(60));
  env.AwaitBlockedBy(waiter.get_id(), 2);  // woke, saw 60 ms, waits again
  {
    std::lock_guard<std::mutex> lock(mu);
    CHECK_FALSE(reached);
  }
  clock.Advance(absl::Milliseconds(40));
  waiter.join();
  CHECK(reached);
  CHECK(woke_at == 1'000'100);
}

TEST_CASE("ManualClockEnv: a notify ends a wait, a past deadline at once",
          "[env]") {
  ManualClockEnv clock(5'000);
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  CHECK(clock.WaitUntil(cv, lock, 5'000));
  CHECK(clock.WaitUntil(cv, lock, -1));
  CHECK(lock.owns_lock());

  ObservingEnv env(&clock);
  bool signalled = false;
  bool reached = true;
  std::thread waiter([&] {
    std::unique_lock<std::mutex> l(mu);
    while (!signalled) {
      reached = env.WaitUntil(cv, l, std::numeric_limits<int64_t>::max());
    }
  });
  lock.unlock();
  env.AwaitBlockedBy(waiter.get_id(), 1);
  clock.Advance(absl::Milliseconds(int64_t{1} << 40));  // never reaches "never"
  {
    std::lock_guard<std::mutex> l(mu);
    signalled = true;
  }
  cv.notify_all();
  waiter.join();
  CHECK_FALSE(reached);
}

TEST_CASE("ManualClockEnv: a sleep moves the clock instead of blocking",
          "[env]") {
  ManualClockEnv clock(1'000);
  clock.SleepFor(absl::Microseconds(2'500));
  CHECK(clock.NowMillis() == 1'002);
  clock.SleepFor(absl::Microseconds(500));
  CHECK(clock.NowMillis() == 1'003);
  clock.SleepFor(absl::Microseconds(-7));  // no effect
  CHECK(clock.NowMillis() == 1'003);
  clock.SetNowMillis(-1);
  CHECK(clock.NowMillis() == -1);
  clock.SetNowMillis(std::numeric_limits<int64_t>::max());  // clamped
  clock.Advance(absl::Milliseconds(1'000));
  CHECK(clock.NowMillis() > (int64_t{1} << 53));
}

TEST_CASE(
    "ManualClockEnv: Advance() takes any duration, truncated to microseconds",
    "[env]") {
  ManualClockEnv clock(0);
  clock.Advance(absl::Microseconds(600));
  CHECK(clock.NowMillis() == 0);
  clock.Advance(absl::Microseconds(400) + absl::Nanoseconds(999));
  CHECK(clock.NowMillis() == 1);  // 1000 us; the part of a microsecond is lost
  clock.Advance(absl::Nanoseconds(999));
  clock.Advance(-absl::Microseconds(1));
  CHECK(clock.NowMillis() == 0);  // 999 us
  clock.Advance(-absl::Seconds(2));
  CHECK(clock.NowMillis() == -2'000);       // -1999.001 ms rounds down
  clock.Advance(absl::InfiniteDuration());  // to the end, from anywhere
  CHECK(clock.NowMillis() == std::numeric_limits<int64_t>::max() / 1000);
  clock.Advance(-absl::InfiniteDuration());
  CHECK(clock.NowMillis() == -(std::numeric_limits<int64_t>::max() / 1000) - 1);
  clock.Advance(absl::Microseconds(std::numeric_limits<int64_t>::min()));
  CHECK(clock.NowMillis() == -(std::numeric_limits<int64_t>::max() / 1000) - 1);
  clock.SetNowMillis(0);
  clock.SleepFor(-absl::InfiniteDuration());  // no effect
  CHECK(clock.NowMillis() == 0);
}

TEST_CASE("Env::Default: a timed wait takes real time, a notify ends it",
          "[env]") {
  Env* env = Env::Default();
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  const int64_t start = env->NowMillis();
  while (!env->WaitUntil(cv, lock, start + 2)) {
  }
  CHECK(env->NowMillis() >= start + 2);
  CHECK(env->WaitUntil(cv, lock, start));
}

TEST_CASE("Consumer: WaitForRecords times out on the stream's Env clock",
          "[env][consumer]") {
  ManualClockEnv clock(1'000'000);
  ObservingEnv env(&clock);
  StreamOptions options;
  options.env = &env;
  absl::StatusOr<std::unique_ptr<Stream>> stream = Stream::Create(options);
  BROOK_REQUIRE_OK(stream);
  Consumer consumer(stream->get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::Latest());
  BROOK_REQUIRE_OK(it);

  SECTION("the clock reaches the timeout") {
    // An hour of test time passes in no real time.
    bool got = true;
    std::thread waiter(
        [&] { got = consumer.WaitForRecords(*it, absl::Hours(1)); });
    env.AwaitBlockedBy(waiter.get_id(), 1);
    clock.Advance(absl::Hours(1));
    waiter.join();
    CHECK_FALSE(got);
  }
  SECTION("a record arrives before the clock gets there") {
    bool got = false;
    std::thread waiter(
        [&] { got = consumer.WaitForRecords(*it, absl::Milliseconds(100)); });
    env.AwaitBlockedBy(waiter.get_id(), 1);
    clock.Advance(absl::Milliseconds(99));
    env.AwaitBlockedBy(waiter.get_id(), 2);  // still waiting at 99 ms
    Producer producer(stream->get());
    BROOK_REQUIRE_OK(producer.PutRecord("k", "v"));
    waiter.join();
    CHECK(got);
  }
}

}  // namespace
}  // namespace brook
