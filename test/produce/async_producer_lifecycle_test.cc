// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer's life cycle and error paths on a ManualClockEnv: Close()
// racing with a put or with another Close(), calls made from a callback,
// a stream closed under the producer, the counters after Close(), and
// explicit hash keys at the ends of the key space.

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/async_producer.h"
#include "brook/env.h"
#include "brook/partitioner.h"
#include "brook/stream.h"

#include "produce/fault_stream.h"
#include "produce/outcomes.h"
#include "produce/producer_rig.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::MakeProducer;
using testing::Outcomes;
using testing::ReadAll;
using testing::Rig;
using testing::StoredRecord;

// How long a test waits, in real time, for something that must happen
// promptly before it calls it a hang (not a timing assumption).
constexpr std::chrono::seconds kHang(30);

// An Env over the rig's that can stop one thread in its next NowMillis()
// (so a test can hold a put between its reservation and its look at
// Close()), and tells when a thread has begun a wait, with a bound in real
// time so that a wait that never comes fails the test instead of hanging it.
class GateEnv : public EnvWrapper {
 public:
  using EnvWrapper::EnvWrapper;

  // Stops the calling thread's next NowMillis() until Release().
  void GateThisThread() {
    std::lock_guard<std::mutex> lock(mu_);
    gated_ = std::this_thread::get_id();
  }
  bool AwaitGated() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kHang, [&] { return arrived_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  // True once thread `id` has begun `n` waits, false after kHang.
  bool AwaitWaits(std::thread::id id, int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kHang, [&] { return waits_[id] >= n; });
  }

  // True once `n` waits until `deadline` have begun and the latest of them
  // is blocked (all of a producer's waits hold its one mutex); false after
  // kHang.
  bool AwaitWaitsUntil(int64_t deadline, int n) {
    std::mutex* waiter_mu;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, kHang,
                        [&] { return waits_until_[deadline].count >= n; })) {
        return false;
      }
      waiter_mu = waits_until_[deadline].mu;
    }
    std::lock_guard<std::mutex> held(*waiter_mu);
    return true;
  }

  int64_t NowMillis() override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (gated_ == std::this_thread::get_id()) {
        gated_ = std::thread::id();
        arrived_ = true;
        cv_.notify_all();
        cv_.wait(lock, [&] { return released_; });
      }
    }
    return target()->NowMillis();
  }
  bool WaitUntil(std::condition_variable& cv,
                 std::unique_lock<std::mutex>& lock,
                 int64_t deadline_millis) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      ++waits_[std::this_thread::get_id()];
      Waits& until = waits_until_[deadline_millis];
      ++until.count;
      until.mu = lock.mutex();
      cv_.notify_all();
    }
    return target()->WaitUntil(cv, lock, deadline_millis);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread::id gated_;
  bool arrived_ = false;
  bool released_ = false;
  std::map<std::thread::id, int> waits_;
  struct Waits {
    int count = 0;
    std::mutex* mu = nullptr;  // of the latest
  };
  std::map<int64_t, Waits> waits_until_;
};

// The rig's options, timed by `gate`, over a shard whose every append fails
// with a retryable error, each retry after `backoff`.
AsyncProducerOptions BusyShardOptions(Rig& rig, GateEnv& gate,
                                      absl::Duration backoff) {
  rig.FailAlways(absl::UnavailableError("injected: shard busy"));
  AsyncProducerOptions o = rig.options;
  o.env = &gate;
  o.min_backoff = backoff;
  o.max_backoff = backoff;
  return o;
}

TEST_CASE(
    "AsyncProducer lifecycle: Close() returns when a racing put takes its "
    "reservation back",
    "[produce]") {
  // Leaked if the test fails: a hung sending thread still uses them.
  auto* rig = new Rig;
  auto* gate = new GateEnv(&rig->obs);
  AsyncProducerOptions o = rig->options;
  o.env = gate;
  std::unique_ptr<AsyncProducer> p = MakeProducer(&rig->stream, o);
  rig->obs.AwaitBlocked(1);  // the sending thread, idle
  // A put that has reserved room, stopped before it looks at Close().
  absl::Status put;
  std::thread putter([&] {
    gate->GateThisThread();
    put = p->Put("k", "v");
  });
  REQUIRE(gate->AwaitGated());
  auto closed = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> close_result = closed->get_future();
  std::thread closer([&p, closed] { closed->set_value(p->Close()); });
  // Close() waits for the reservation; the sending thread, woken by it,
  // finds nothing to send and sleeps again (all waits share one mutex).
  rig->obs.AwaitBlocked(3);
  gate->Release();
  putter.join();
  BROOK_CHECK_CODE(put, kFailedPrecondition);
  // The put woke only Close(), which then joined a sending thread asleep
  // with nothing to wake it.
  const bool returned =
      close_result.wait_for(kHang) == std::future_status::ready;
  CHECK(returned);
  if (!returned) {
    closer.detach();
    p.release();  // NOLINT: leaked with the hung threads
    return;
  }
  closer.join();
  BROOK_CHECK_OK(close_result.get());
  CHECK(p->stats().records_put == 0);
  p.reset();
  delete gate;
  delete rig;
}

TEST_CASE(
    "AsyncProducer lifecycle: a second Close() keeps its own timeout while "
    "the first waits",
    "[produce]") {
  Rig rig;
  GateEnv gate(&rig.obs);
  AsyncProducerOptions o = BusyShardOptions(rig, gate, absl::Seconds(10));
  o.record_ttl = absl::InfiniteDuration();
  std::unique_ptr<AsyncProducer> p = MakeProducer(&rig.stream, o);
  Outcomes out;
  BROOK_REQUIRE_OK(p->Put("k", "v", {}, out.Slot(0)));
  absl::Status first, second;
  std::thread forever([&] { first = p->Close(); });
  REQUIRE(gate.AwaitWaits(forever.get_id(), 1));
  std::thread bounded([&] { second = p->Close(absl::Seconds(5)); });
  const bool waits_by_clock = gate.AwaitWaits(bounded.get_id(), 1);
  CHECK(waits_by_clock);
  if (waits_by_clock) {
    rig.obs.AwaitBlockedBy(bounded.get_id(), 1);
    rig.clock.Advance(absl::Seconds(5));
  } else {
    // The second Close() waits for the first, whatever its timeout: let the
    // record through so that both return.
    // (A spin, on this failure path only: which wait is whose is unknown.)
    rig.stream.set_fault(nullptr);
    while (!out.has(0)) {
      rig.clock.Advance(absl::Seconds(10));
      std::this_thread::yield();
    }
  }
  bounded.join();
  forever.join();
  if (!waits_by_clock) return;
  BROOK_CHECK_CODE(second, kUnknown);
  BROOK_CHECK_CODE(first, kUnknown);
  BROOK_CHECK_CODE(out.at(0), kCancelled);
  CHECK(p->stats().records_failed == 1);
  CHECK(p->stats().records_buffered == 0);
}

TEST_CASE("AsyncProducer lifecycle: a callback may Put() and read stats()",
          "[produce]") {
  Rig rig;
  std::unique_ptr<AsyncProducer> p = MakeProducer(&rig.stream, rig.options);
  Outcomes out;
  absl::Status inner = absl::UnknownError("not called");
  AsyncProducerStats seen;
  BROOK_REQUIRE_OK(
      p->Put("k", "first", {}, [&](const absl::StatusOr<AsyncPutResult>&) {
        seen = p->stats();
        inner = p->Put("k", "second", {}, out.Slot(1));
      }));
  BROOK_REQUIRE_OK(p->Flush());
  BROOK_REQUIRE_OK(inner);
  CHECK(seen.records_put >= 1);
  BROOK_CHECK_OK(p->Close());
  BROOK_CHECK_OK(out.at(1));
  const std::vector<StoredRecord> stored = ReadAll(rig.target.get());
  REQUIRE(stored.size() == 2);
  CHECK(stored[1].data == "second");
}

TEST_CASE("AsyncProducer lifecycle: counters add up after Close()",
          "[produce]") {
  Rig rig;
  rig.stream.set_fault(
      [](absl::string_view, absl::Span<const RoutedRecord> rs) {
        return rs[0].data == "bad" ? absl::InternalError("injected: broken")
                                   : absl::OkStatus();
      });
  AsyncProducerOptions o = rig.options;
  o.max_batch_records = 1;
  std::unique_ptr<AsyncProducer> p = MakeProducer(&rig.stream, o);
  for (int i = 0; i < 10; ++i) {
    BROOK_REQUIRE_OK(p->Put("k", i % 3 == 0 ? "bad" : "good"));
  }
  BROOK_CHECK_CODE(p->Close(), kUnknown);
  const AsyncProducerStats s = p->stats();
  CHECK(s.records_put == 10);
  CHECK(s.records_failed == 4);
  CHECK(s.records_stored == 6);
  CHECK(s.records_buffered == 0);
  CHECK(s.bytes_buffered == 0);
}

TEST_CASE("AsyncProducer lifecycle: a stream closed under the producer",
          "[produce]") {
  Rig rig;
  std::unique_ptr<AsyncProducer> p = MakeProducer(&rig.stream, rig.options);
  BROOK_REQUIRE_OK(p->Put("k", "before"));
  BROOK_REQUIRE_OK(p->Flush());
  BROOK_REQUIRE_OK(rig.target->Close());
  Outcomes out;
  BROOK_REQUIRE_OK(p->Put("k", "after", {}, out.Slot(0)));
  out.WaitFor(1);
  BROOK_CHECK_CODE(out.at(0), kFailedPrecondition);
  BROOK_CHECK_CODE(p->Close(), kUnknown);
}

TEST_CASE("AsyncProducer lifecycle: explicit hash keys at the ends",
          "[produce]") {
  Rig rig;
  rig.target = testing::MemoryStream(&rig.clock, 3);
  testing::FaultStream stream(rig.target.get());
  std::unique_ptr<AsyncProducer> p = MakeProducer(&stream, rig.options);
  const std::string max = HashKeyToString(absl::Uint128Max());
  BROOK_REQUIRE_OK(p->Put("k", "low", "0"));
  BROOK_REQUIRE_OK(p->Put("k", "high", max));
  BROOK_CHECK_CODE(
      p->Put("k", "over", "340282366920938463463374607431768211456"),
      kInvalidArgument);
  BROOK_CHECK_CODE(p->PutFuture("k", "neg", "-1").get(), kInvalidArgument);
  BROOK_CHECK_CODE(p->PutFuture("", "no key").get(), kInvalidArgument);
  BROOK_REQUIRE_OK(p->Close());
  std::map<std::string, std::string> shard_of;
  for (const StoredRecord& r : ReadAll(rig.target.get())) {
    shard_of[r.data] = r.shard_id;
  }
  REQUIRE(shard_of.size() == 2);
  std::vector<ShardDescription> shards = rig.target->ListShards();
  for (const ShardDescription& d : shards) {
    if (d.hash_key_range.starting_hash_key == 0) {
      CHECK(shard_of["low"] == d.shard_id);
    }
    if (d.hash_key_range.ending_hash_key == absl::Uint128Max()) {
      CHECK(shard_of["high"] == d.shard_id);
    }
  }
  CHECK(p->stats().records_put == 2);
}

TEST_CASE(
    "AsyncProducer lifecycle: a record whose TTL runs out in backoff "
    "while Close() waits",
    "[produce]") {
  Rig rig;
  GateEnv gate(&rig.obs);
  // Backoff is jittered in [0, 1 h]: with this seed (and all but 1 in 3600)
  // it outlasts the TTL.
  AsyncProducerOptions o = BusyShardOptions(rig, gate, absl::Hours(1));
  o.seed = 7;
  o.record_ttl = absl::Seconds(1);
  std::unique_ptr<AsyncProducer> p = MakeProducer(&rig.stream, o);
  Outcomes out;
  BROOK_REQUIRE_OK(p->Put("k", "v", {}, out.Slot(0)));
  // The sending thread failed the append and waits for the TTL (it comes
  // before the backoff ends); Close() wakes it, and it waits again.
  const int64_t ttl_end = testing::kStart + 1000;
  REQUIRE(gate.AwaitWaitsUntil(ttl_end, 1));
  absl::Status closed;
  std::thread closer([&] { closed = p->Close(); });
  REQUIRE(gate.AwaitWaits(closer.get_id(), 1));
  REQUIRE(gate.AwaitWaitsUntil(ttl_end, 2));
  rig.clock.Advance(absl::Seconds(1));
  closer.join();
  BROOK_CHECK_CODE(out.at(0), kDeadlineExceeded);
  BROOK_CHECK_CODE(closed, kUnknown);
  CHECK(p->stats().records_buffered == 0);
}

}  // namespace
}  // namespace brook
