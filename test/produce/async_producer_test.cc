// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer behaviour on a ManualClockEnv: linger, batch limits, retries
// and backoff, TTL, Flush, Close, options. The bounded buffer is in
// async_producer_buffer_test.cc.

#include "brook/async_producer.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/stream.h"

#include "produce/fault_stream.h"
#include "produce/outcomes.h"
#include "produce/producer_rig.h"
#include "testing/observing_env.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::DriveUntil;
using testing::FaultStream;
using testing::kStart;
using testing::MakeProducer;
using testing::MemoryStream;
using testing::ObservingEnv;
using testing::Outcomes;
using testing::ReadAll;
using testing::Rig;
using testing::StoredRecord;

TEST_CASE("AsyncProducer: nothing is appended before linger, all after",
          "[produce]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> stream = MemoryStream(&clock);
  AsyncProducerOptions o;
  o.linger = absl::Milliseconds(100);
  o.env = &clock;
  std::unique_ptr<AsyncProducer> p = MakeProducer(stream.get(), o);
  Outcomes out;
  for (int i = 0; i < 3; ++i) {
    BROOK_REQUIRE_OK(p->Put("key", absl::StrCat("r", i), {}, out.Slot(i)));
  }
  clock.Advance(absl::Milliseconds(99));
  CHECK(ReadAll(stream.get()).empty());
  CHECK(out.count() == 0);
  CHECK(p->stats().records_buffered == 3);
  clock.Advance(absl::Milliseconds(1));
  out.WaitFor(3);
  const std::vector<StoredRecord> stored = ReadAll(stream.get());
  REQUIRE(stored.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(stored[i].data == absl::StrCat("r", i));
    absl::StatusOr<AsyncPutResult> r = out.at(i);
    BROOK_REQUIRE_OK(r);
    CHECK(r->shard_id == stored[i].shard_id);
    CHECK(r->sequence_number == stored[i].sequence_number);
    CHECK(r->subsequence_number == 0);
    CHECK(r->attempts == 1);
  }
  BROOK_REQUIRE_OK(p->Flush());  // counts the completions (see stats())
  const AsyncProducerStats stats = p->stats();
  CHECK(stats.batches_appended == 1);
  CHECK(stats.records_stored == 3);
  CHECK(stats.records_buffered == 0);
  CHECK(stats.bytes_buffered == 0);
  BROOK_CHECK_OK(p->Close());
}

// A batch of records with and without callbacks: only the ones with a
// callback get a result (none is made for the others), each with its own
// stored record's sequence number; every record is stored and counted.
TEST_CASE(
    "AsyncProducer: in a batch mixing callbacks and none, each callback gets "
    "its record's number",
    "[produce]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> stream = MemoryStream(&clock);
  AsyncProducerOptions o;
  o.linger = absl::Milliseconds(100);
  o.env = &clock;
  std::unique_ptr<AsyncProducer> p = MakeProducer(stream.get(), o);
  Outcomes out;
  constexpr int kRecords = 9;
  for (int i = 0; i < kRecords; ++i) {
    // Callbacks on every third record, and on the last.
    AsyncProducer::Callback done =
        i % 3 == 1 || i == kRecords - 1 ? out.Slot(i) : nullptr;
    BROOK_REQUIRE_OK(p->Put("key", absl::StrCat("r", i), {}, std::move(done)));
  }
  clock.Advance(absl::Milliseconds(100));
  out.WaitFor(4);
  BROOK_REQUIRE_OK(p->Flush());
  const std::vector<StoredRecord> stored = ReadAll(stream.get());
  REQUIRE(stored.size() == kRecords);
  for (int i = 0; i < kRecords; ++i) {
    INFO("record " << i);
    CHECK(stored[i].data == absl::StrCat("r", i));
    if (!out.has(i)) continue;
    absl::StatusOr<AsyncPutResult> r = out.at(i);
    BROOK_REQUIRE_OK(r);
    CHECK(r->shard_id == stored[i].shard_id);
    CHECK(r->sequence_number == stored[i].sequence_number);
    CHECK(r->subsequence_number == 0);
    CHECK(r->attempts == 1);
  }
  CHECK(out.count() == 4);
  const AsyncProducerStats stats = p->stats();
  CHECK(stats.batches_appended == 1);
  CHECK(stats.records_stored == kRecords);
  CHECK(stats.records_buffered == 0);
}

TEST_CASE("AsyncProducer: a batch is appended once full", "[produce]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> target = MemoryStream(&clock);
  FaultStream stream(target.get());
  std::mutex mu;
  std::vector<size_t> batches;
  stream.set_fault([&](absl::string_view, absl::Span<const RoutedRecord> rs) {
    std::lock_guard<std::mutex> lock(mu);
    batches.push_back(rs.size());
    return absl::OkStatus();
  });
  AsyncProducerOptions o;
  o.linger = absl::Hours(1);
  o.env = &clock;
  Outcomes out;
  int n = 0;
  SECTION("max_batch_records") {
    o.max_batch_records = 3;
    std::unique_ptr<AsyncProducer> p = MakeProducer(&stream, o);
    for (; n < 7; ++n) BROOK_REQUIRE_OK(p->Put("k", "data", {}, out.Slot(n)));
    out.WaitFor(6);  // two full batches, with no time passing
    CHECK(out.count() == 6);
    BROOK_REQUIRE_OK(p->Flush());
    std::lock_guard<std::mutex> lock(mu);
    CHECK(batches == std::vector<size_t>{3, 3, 1});
  }
  SECTION("max_batch_bytes") {
    o.max_batch_bytes = 25;  // two records of 1 + 9 bytes
    std::unique_ptr<AsyncProducer> p = MakeProducer(&stream, o);
    for (; n < 5; ++n) {
      BROOK_REQUIRE_OK(p->Put("k", "123456789", {}, out.Slot(n)));
    }
    out.WaitFor(4);
    CHECK(out.count() == 4);
    BROOK_REQUIRE_OK(p->Flush());
    std::lock_guard<std::mutex> lock(mu);
    CHECK(batches == std::vector<size_t>{2, 2, 1});
  }
  CHECK(out.count() == n);
  CHECK(ReadAll(target.get()).size() == static_cast<size_t>(n));
}

TEST_CASE("AsyncProducer: retryable errors are retried with backoff",
          "[produce]") {
  const absl::StatusCode code =
      GENERATE(absl::StatusCode::kResourceExhausted,
               absl::StatusCode::kUnavailable, absl::StatusCode::kAborted);
  Rig rig;
  int failures = 3;
  rig.stream.set_fault([&](absl::string_view, absl::Span<const RoutedRecord>) {
    if (failures == 0) return absl::OkStatus();
    --failures;
    return absl::Status(code, "injected");
  });
  AsyncProducerOptions o = rig.options;
  o.min_backoff = absl::Milliseconds(100);
  o.max_backoff = absl::Seconds(1);
  o.record_ttl = absl::Hours(1);
  o.seed = 7;
  std::unique_ptr<AsyncProducer> p = MakeProducer(&rig.stream, o);
  Outcomes out;
  BROOK_REQUIRE_OK(p->Put("k", "v", {}, out.Slot(0)));
  DriveUntil(&rig.obs, &rig.clock, absl::Seconds(1),
             [&] { return out.has(0); });
  absl::StatusOr<AsyncPutResult> r = out.at(0);
  BROOK_REQUIRE_OK(r);
  CHECK(r->attempts == 4);
  CHECK(rig.stream.appends() == 4);
  BROOK_REQUIRE_OK(p->Flush());
  CHECK(p->stats().retries == 3);
  CHECK(p->stats().records_stored == 1);
  BROOK_CHECK_OK(p->Close());
  CHECK(ReadAll(rig.target.get()).size() == 1);
}

TEST_CASE(
    "AsyncProducer: record_ttl gives kDeadlineExceeded with the last "
    "error",
    "[produce]") {
  Rig rig;
  rig.FailAlways(absl::UnavailableError("injected: shard busy"));
  AsyncProducerOptions o = rig.options;
  o.min_backoff = absl::Milliseconds(100);
  o.max_backoff = absl::Milliseconds(100);
  o.record_ttl = absl::Milliseconds(500);
  std::unique_ptr<AsyncProducer> p = MakeProducer(&rig.stream, o);
  Outcomes out;
  BROOK_REQUIRE_OK(p->Put("k", "v", {}, out.Slot(0)));
  DriveUntil(&rig.obs, &rig.clock, absl::Milliseconds(100),
             [&] { return out.has(0); });
  absl::StatusOr<AsyncPutResult> r = out.at(0);
  BROOK_CHECK_CODE(r, kDeadlineExceeded);
  CHECK(absl::StrContains(r.status().message(), "record_ttl"));
  CHECK(absl::StrContains(r.status().message(), "injected: shard busy"));
  BROOK_CHECK_CODE(p->Close(), kUnknown);
  CHECK(p->stats().records_failed == 1);
}

TEST_CASE(
    "AsyncProducer: a non-retryable error fails at once and holds "
    "nothing back",
    "[produce]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> target = MemoryStream(&clock);
  FaultStream stream(target.get());
  bool failed_once = false;
  stream.set_fault([&](absl::string_view, absl::Span<const RoutedRecord>) {
    if (failed_once) return absl::OkStatus();
    failed_once = true;
    return absl::InternalError("injected: broken");
  });
  AsyncProducerOptions o;
  o.linger = absl::Hours(1);
  o.max_batch_records = 1;
  o.env = &clock;
  std::unique_ptr<AsyncProducer> p = MakeProducer(&stream, o);
  Outcomes out;
  BROOK_REQUIRE_OK(p->Put("k", "a", {}, out.Slot(0)));
  BROOK_REQUIRE_OK(p->Put("k", "b", {}, out.Slot(1)));
  // Each record is a full batch, so "a" may fail before the Flush() and
  // not count in what it returns; Close() counts every record.
  p->Flush().IgnoreError();
  BROOK_CHECK_CODE(out.at(0), kInternal);
  CHECK(out.at(0).status().message() == "injected: broken");
  BROOK_CHECK_OK(out.at(1));
  CHECK(stream.appends() == 2);
  const std::vector<StoredRecord> stored = ReadAll(target.get());
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].data == "b");
  BROOK_CHECK_OK(p->Flush());  // the failure was reported once
  const absl::Status closed = p->Close();
  BROOK_CHECK_CODE(closed, kUnknown);
  CHECK(absl::StrContains(closed.message(), "1 of the 2"));
}

TEST_CASE("AsyncProducer: Flush() reports the failures of what it flushed",
          "[produce]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> target = MemoryStream(&clock);
  FaultStream stream(target.get());
  stream.set_fault([](absl::string_view, absl::Span<const RoutedRecord> rs) {
    return rs[0].data == "bad" ? absl::InternalError("injected: broken")
                               : absl::OkStatus();
  });
  AsyncProducerOptions o;
  o.linger = absl::Hours(1);  // nothing leaves before the Flush()
  o.env = &clock;
  std::unique_ptr<AsyncProducer> p = MakeProducer(&stream, o);
  BROOK_REQUIRE_OK(p->Put("k", "bad"));
  const absl::Status flushed = p->Flush();
  BROOK_CHECK_CODE(flushed, kUnknown);
  CHECK(absl::StrContains(flushed.message(), "1 of"));
  BROOK_REQUIRE_OK(p->Put("k", "good"));
  BROOK_CHECK_OK(p->Flush());
  CHECK(ReadAll(target.get()).size() == 1);
}

TEST_CASE(
    "AsyncProducer: Flush() appends and waits, Close() stores every "
    "record",
    "[produce]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> stream = MemoryStream(&clock, 4);
  AsyncProducerOptions o;
  o.linger = absl::Hours(1);
  o.env = &clock;
  std::unique_ptr<AsyncProducer> p = MakeProducer(stream.get(), o);
  Outcomes out;
  for (int i = 0; i < 100; ++i) {
    BROOK_REQUIRE_OK(
        p->Put(absl::StrCat("key", i % 10), absl::StrCat(i), {}, out.Slot(i)));
  }
  BROOK_REQUIRE_OK(p->Flush());
  CHECK(out.count() == 100);
  CHECK(ReadAll(stream.get()).size() == 100);
  for (int i = 100; i < 150; ++i) {
    BROOK_REQUIRE_OK(
        p->Put(absl::StrCat("key", i % 10), absl::StrCat(i), {}, out.Slot(i)));
  }
  BROOK_REQUIRE_OK(p->Close());  // infinite timeout: waits for all
  CHECK(out.count() == 150);
  CHECK(ReadAll(stream.get()).size() == 150);
  BROOK_CHECK_CODE(p->Put("k", "late"), kFailedPrecondition);
  std::future<absl::StatusOr<AsyncPutResult>> late = p->PutFuture("k", "late");
  BROOK_CHECK_CODE(late.get(), kFailedPrecondition);
  BROOK_CHECK_OK(p->Close());  // again: the same, at once
  BROOK_CHECK_OK(p->Flush());  // Close()'s outcome, at once
  CHECK(p->stats().records_put == 150);
}

TEST_CASE(
    "AsyncProducer: Close() with a timeout cancels what a failing "
    "shard holds",
    "[produce]") {
  Rig rig;
  rig.FailAlways(absl::ResourceExhaustedError("injected: throttled"));
  AsyncProducerOptions o = rig.options;
  o.min_backoff = absl::Seconds(10);
  o.max_backoff = absl::Seconds(10);
  std::unique_ptr<AsyncProducer> p = MakeProducer(&rig.stream, o);
  Outcomes out;
  BROOK_REQUIRE_OK(p->Put("k", "v", {}, out.Slot(0)));
  absl::Status closed;
  std::thread closer([&] { closed = p->Close(absl::Seconds(5)); });
  rig.obs.AwaitBlockedBy(closer.get_id(), 1);
  rig.clock.Advance(absl::Seconds(5));
  closer.join();
  BROOK_CHECK_CODE(closed, kUnknown);
  BROOK_CHECK_CODE(out.at(0), kCancelled);
  // After Close(), Flush() returns what Close() returned (it used to wait
  // for a drain the stopped sending thread never made).
  BROOK_CHECK_CODE(p->Flush(), kUnknown);
  CHECK(p->stats().records_failed == 1);
  CHECK(p->stats().records_buffered == 0);
  CHECK(ReadAll(rig.target.get()).empty());
}

TEST_CASE("AsyncProducer: the destructor closes and stores every record",
          "[produce]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> stream = MemoryStream(&clock);
  Outcomes out;
  {
    AsyncProducerOptions o;
    o.linger = absl::Hours(1);
    o.env = &clock;
    std::unique_ptr<AsyncProducer> p = MakeProducer(stream.get(), o);
    for (int i = 0; i < 5; ++i) {
      BROOK_REQUIRE_OK(p->Put("k", absl::StrCat(i), {}, out.Slot(i)));
    }
  }
  CHECK(out.count() == 5);
  CHECK(ReadAll(stream.get()).size() == 5);
}

TEST_CASE("AsyncProducer: invalid options are refused, each named",
          "[produce]") {
  std::unique_ptr<Stream> stream = MemoryStream(Env::Default());
  using Mutate = std::function<void(AsyncProducerOptions*)>;
  const std::pair<std::string, Mutate> c =
      GENERATE(std::pair<std::string, Mutate>{"linger",
                                              [](auto* o) {
                                                o->linger = absl::Hours(2);
                                              }},
               std::pair<std::string, Mutate>{
                   "linger",
                   [](auto* o) { o->linger = -absl::Milliseconds(1); }},
               std::pair<std::string, Mutate>{
                   "max_batch_records",
                   [](auto* o) { o->max_batch_records = 0; }},
               std::pair<std::string, Mutate>{
                   "max_batch_records",
                   [](auto* o) { o->max_batch_records = 100001; }},
               std::pair<std::string, Mutate>{
                   "max_batch_bytes", [](auto* o) { o->max_batch_bytes = 0; }},
               std::pair<std::string, Mutate>{"max_batch_bytes",
                                              [](auto* o) {
                                                o->max_batch_bytes =
                                                    (int64_t{64} << 20) + 1;
                                              }},
               std::pair<std::string, Mutate>{
                   "max_buffered_records",
                   [](auto* o) { o->max_buffered_records = 0; }},
               std::pair<std::string, Mutate>{
                   "max_buffered_records",
                   [](auto* o) { o->max_buffered_records = int64_t{1} << 31; }},
               std::pair<std::string, Mutate>{
                   "max_buffered_bytes",
                   [](auto* o) {
                     o->max_buffered_bytes = o->max_batch_bytes - 1;
                   }},
               std::pair<std::string, Mutate>{
                   "max_buffered_bytes",
                   [](auto* o) {
                     o->max_batch_bytes = 10;
                     o->max_buffered_bytes = kDefaultMaxRecordBytes - 1;
                   }},
               std::pair<std::string, Mutate>{
                   "put_timeout",
                   [](auto* o) { o->put_timeout = -absl::Seconds(1); }},
               std::pair<std::string, Mutate>{
                   "record_ttl",
                   [](auto* o) { o->record_ttl = absl::ZeroDuration(); }},
               std::pair<std::string, Mutate>{
                   "min_backoff",
                   [](auto* o) { o->min_backoff = absl::Microseconds(10); }},
               std::pair<std::string, Mutate>{
                   "max_backoff",
                   [](auto* o) { o->max_backoff = o->min_backoff / 2; }},
               std::pair<std::string, Mutate>{"max_backoff", [](auto* o) {
                                                o->min_backoff =
                                                    absl::Minutes(30);
                                                o->max_backoff = absl::Hours(2);
                                              }});
  AsyncProducerOptions o;
  c.second(&o);
  absl::StatusOr<std::unique_ptr<AsyncProducer>> p =
      AsyncProducer::Create(stream.get(), o);
  BROOK_CHECK_CODE(p, kInvalidArgument);
  INFO(p.status());
  CHECK(absl::StrContains(p.status().message(),
                          absl::StrCat("option ", c.first, ":")));
}

TEST_CASE("AsyncProducer: bad records, a null or closed stream", "[produce]") {
  std::unique_ptr<Stream> stream = MemoryStream(Env::Default());
  BROOK_CHECK_CODE(AsyncProducer::Create(nullptr), kInvalidArgument);
  std::unique_ptr<AsyncProducer> p = MakeProducer(stream.get(), {});
  BROOK_CHECK_CODE(p->Put("", "v"), kInvalidArgument);
  BROOK_CHECK_CODE(p->Put("k", "v", "01"), kInvalidArgument);
  const std::string big(kDefaultMaxRecordBytes, 'x');
  BROOK_CHECK_CODE(p->Put("k", big), kInvalidArgument);
  BROOK_CHECK_CODE(p->PutFuture("", "v").get(), kInvalidArgument);
  // An explicit hash key routes, and comes back in the result.
  std::future<absl::StatusOr<AsyncPutResult>> f = p->PutFuture("k", "v", "7");
  BROOK_REQUIRE_OK(p->Flush());
  BROOK_CHECK_OK(f.get());
  CHECK(p->stats().records_put == 1);
  BROOK_CHECK_OK(p->Close());
  BROOK_CHECK_OK(stream->Close());
  BROOK_CHECK_CODE(AsyncProducer::Create(stream.get()), kFailedPrecondition);
}

TEST_CASE("AsyncProducer: a durable stream keeps what was put", "[produce]") {
  testing::TempDir dir;
  StreamOptions so;
  so.shard_count = 3;
  so.durability = Durability::kGroupCommit;
  {
    std::unique_ptr<Stream> stream =
        *Stream::Open(dir.path(), so, OpenMode::kCreateIfMissing);
    AsyncProducerOptions o;
    o.linger = absl::Milliseconds(1);
    std::unique_ptr<AsyncProducer> p = MakeProducer(stream.get(), o);
    for (int i = 0; i < 300; ++i) {
      BROOK_REQUIRE_OK(p->Put(absl::StrCat("key", i % 7), absl::StrCat(i)));
    }
    BROOK_REQUIRE_OK(p->Close());
    BROOK_REQUIRE_OK(stream->Close());
  }
  std::unique_ptr<Stream> stream =
      *Stream::Open(dir.path(), so, OpenMode::kMustExist);
  const std::vector<StoredRecord> stored = ReadAll(stream.get());
  REQUIRE(stored.size() == 300);
  std::map<std::string, int> last;
  for (const StoredRecord& r : stored) {
    const int i = std::stoi(r.data);
    CHECK(r.partition_key == absl::StrCat("key", i % 7));
    auto it = last.find(r.partition_key);
    if (it != last.end()) CHECK(it->second < i);
    last[r.partition_key] = i;
  }
}

}  // namespace
}  // namespace brook
