// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What a durable stream reports durable, and when: sync errors are sticky
// until the stream is reopened, WaitForDurable() can wait for the group commit
// instead of syncing, and the group-commit thread runs on the Env's clock.
// Time comes from a ManualClockEnv and syncs are counted and failed by an
// ObservingEnv, so nothing here sleeps.

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/stream.h"

#include "store/store_testing.h"
#include "testing/fault_injection_env.h"
#include "testing/observing_env.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::AppendBatch;
using testing::CheckNumbered;
using testing::FaultInjectionEnv;
using testing::ObservingEnv;
using testing::OpenOrDie;
using testing::OwnedRecord;
using testing::ReadShard;
using testing::TempDir;

constexpr char kShard[] = "shardId-000000000000";

uint64_t SyncedPosition(Stream* stream) {
  return static_cast<internal::StreamImpl*>(stream)
      ->durable_store()
      ->SyncedPosition(0);
}

// Appends records "r<first>".. in one batch to shard 0; returns its status.
absl::StatusOr<SequenceNumber> TryAppend(Stream* stream, int first, int count) {
  absl::StatusOr<Shard*> shard = stream->GetShard(kShard);
  if (!shard.ok()) return shard.status();
  std::vector<std::string> keys, datas;
  for (int i = 0; i < count; ++i) {
    keys.push_back(absl::StrCat("key-", first + i));
    std::string d = absl::StrCat("r", first + i);
    d.resize(100, 'x');
    datas.push_back(std::move(d));
  }
  std::vector<RoutedRecord> records(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    records[i].partition_key = keys[i];
    records[i].data = datas[i];
    records[i].has_explicit_hash_key = (first + i) % 3 == 0;
    records[i].hash_key = static_cast<uint64_t>(first + i);
  }
  return (*shard)->Append(records);
}

// The sync path a test makes fail.
enum class FailingSync {
  kSync,            // Stream::Sync() under kNone
  kWaitForDurable,  // WaitForDurable(kSyncNow) under kNone
  kAlwaysAppend,    // the sync of an append under kAlways
  kBytesAppend,     // the group_commit_bytes sync of an append
  kSyncerThread,    // the group_commit_interval thread
  kClose,           // the sync Close() makes
};

const char* Name(FailingSync f) {
  switch (f) {
    case FailingSync::kSync:
      return "Sync()";
    case FailingSync::kWaitForDurable:
      return "WaitForDurable(kSyncNow)";
    case FailingSync::kAlwaysAppend:
      return "kAlways append";
    case FailingSync::kBytesAppend:
      return "group_commit_bytes append";
    case FailingSync::kSyncerThread:
      return "group-commit thread";
    case FailingSync::kClose:
      return "Close()";
  }
  return "?";
}

bool IsSticky(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable &&
         s.message().find("closed and reopened") != absl::string_view::npos &&
         s.message().find("injected sync failure") != absl::string_view::npos;
}

TEST_CASE("Durability: a failed sync is sticky until the stream is reopened",
          "[store][durability]") {
  const FailingSync path =
      GENERATE(FailingSync::kSync, FailingSync::kWaitForDurable,
               FailingSync::kAlwaysAppend, FailingSync::kBytesAppend,
               FailingSync::kSyncerThread, FailingSync::kClose);
  const bool power_loss = GENERATE(false, true);
  INFO("failing sync: " << Name(path) << ", power loss " << power_loss);
  TempDir tmp;
  ManualClockEnv clock(1'000'000);
  FaultInjectionEnv fault(&clock);
  ObservingEnv env(&fault);
  StreamOptions options;
  options.env = &env;
  options.segment_bytes = 64 << 10;
  options.group_commit_bytes = 0;
  options.group_commit_interval = absl::Milliseconds(0);
  switch (path) {
    case FailingSync::kAlwaysAppend:
      options.durability = Durability::kAlways;
      break;
    case FailingSync::kBytesAppend:
      options.durability = Durability::kGroupCommit;
      options.group_commit_bytes = 4 << 10;
      break;
    case FailingSync::kSyncerThread:
      options.durability = Durability::kGroupCommit;
      options.group_commit_interval = absl::Milliseconds(100);
      break;
    default:
      break;
  }
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
  int acknowledged = 0;
  for (; acknowledged < 50; acknowledged += 10) {
    BROOK_REQUIRE_OK(TryAppend(stream.get(), acknowledged, 10));
  }
  BROOK_REQUIRE_OK(stream->Sync());
  const uint64_t synced_before = SyncedPosition(stream.get());
  REQUIRE(synced_before == 51);

  // One sync fails; the next ones would succeed (Linux reports a write-back
  // error once).
  env.FailNextSyncs(1);
  absl::Status failed;
  switch (path) {
    case FailingSync::kSync:
      BROOK_REQUIRE_OK(TryAppend(stream.get(), acknowledged, 10));
      acknowledged += 10;
      failed = stream->Sync();
      break;
    case FailingSync::kWaitForDurable: {
      absl::StatusOr<SequenceNumber> n =
          TryAppend(stream.get(), acknowledged, 10);
      BROOK_REQUIRE_OK(n);
      acknowledged += 10;
      failed = stream->WaitForDurable(kShard, *n, absl::ZeroDuration());
      break;
    }
    case FailingSync::kAlwaysAppend:
    case FailingSync::kBytesAppend:
      for (int b = 0; b < 100 && failed.ok(); ++b) {
        failed = TryAppend(stream.get(), acknowledged, 10).status();
        if (failed.ok()) acknowledged += 10;
      }
      break;
    case FailingSync::kSyncerThread: {
      absl::StatusOr<SequenceNumber> n =
          TryAppend(stream.get(), acknowledged, 10);
      BROOK_REQUIRE_OK(n);
      acknowledged += 10;
      clock.Advance(
          absl::Milliseconds(100));  // the group commit is due, and fails
      failed = stream->WaitForDurable(kShard, *n, absl::InfiniteDuration(),
                                      DurableWait::kGroupCommit);
      break;
    }
    case FailingSync::kClose:
      BROOK_REQUIRE_OK(TryAppend(stream.get(), acknowledged, 10));
      acknowledged += 10;
      failed = stream->Close();
      break;
  }
  INFO("failure: " << failed);
  CHECK(IsSticky(failed));
  CHECK(failed.message().find(kShard) != absl::string_view::npos);
  CHECK(failed.message().find(".seg") != absl::string_view::npos);
  CHECK(SyncedPosition(stream.get()) == synced_before);
  // Nothing synced after the failure is reported durable, and nothing more
  // is synced at all.
  const uint64_t synced_after = SyncedPosition(stream.get());
  const int64_t syncs = env.syncs();
  if (path != FailingSync::kClose) {
    absl::StatusOr<SequenceNumber> first =
        TryAppend(stream.get(), acknowledged, 1);
    CHECK(IsSticky(first.status()));
    CHECK(IsSticky(stream->Sync()));
    const SequenceNumber earliest =
        SequenceNumber::FromValue(absl::MakeUint128(1, 0));
    CHECK(IsSticky(
        stream->WaitForDurable(kShard, earliest, absl::ZeroDuration())));
    CHECK(IsSticky(stream->WaitForDurable(kShard, earliest,
                                          absl::InfiniteDuration(),
                                          DurableWait::kGroupCommit)));
    CHECK(IsSticky(
        stream->SplitShard(kShard, "170141183460469231731687303715884105728")));
    clock.Advance(absl::Milliseconds(1000));  // a group commit would be due
    CHECK(IsSticky(stream->Close()));
  }
  CHECK(SyncedPosition(stream.get()) == synced_after);
  CHECK(env.syncs() == syncs);
  // The records acknowledged before are still readable.
  testing::CheckShardNumbered(stream.get(), acknowledged);
  const int durable = static_cast<int>(synced_after) - 1;
  stream.reset();

  if (power_loss) BROOK_REQUIRE_OK(fault.DropUnsyncedData());
  std::unique_ptr<Stream> reopened =
      OpenOrDie(dir, options, OpenMode::kMustExist);
  // Close() did not mark the directory clean: every frame is checked.
  CHECK_FALSE(reopened->recovery_report().clean_shutdown);
  absl::StatusOr<std::vector<OwnedRecord>> records =
      ReadShard(reopened.get(), kShard);
  BROOK_REQUIRE_OK(records);
  const int survived = static_cast<int>(records->size());
  CheckNumbered(*records, survived);
  CHECK(survived >= durable);
  CHECK(survived <= acknowledged);
  if (!power_loss) CHECK(survived == acknowledged);  // in the page cache
  // The reopened stream syncs again.
  BROOK_REQUIRE_OK(TryAppend(reopened.get(), survived, 10));
  BROOK_CHECK_OK(reopened->Sync());
  BROOK_CHECK_OK(reopened->Close());
}

TEST_CASE(
    "Durability: WaitForDurable(kGroupCommit) issues no sync and returns "
    "once the group commit synced the record",
    "[store][durability]") {
  TempDir tmp;
  ManualClockEnv clock(1'000'000);
  ObservingEnv env(&clock);
  StreamOptions options;
  options.env = &env;
  options.segment_bytes = 64 << 10;
  options.durability = Durability::kGroupCommit;
  options.group_commit_bytes = 0;
  options.group_commit_interval = absl::Milliseconds(100);
  std::unique_ptr<Stream> stream = OpenOrDie(tmp.Sub("s"), options);
  const SequenceNumber n = AppendBatch(stream.get(), 0, 10, 100);
  const int64_t syncs = env.syncs();

  // Several waiters for one record share the one group commit.
  std::atomic<int> done{0};
  std::vector<absl::Status> results(3);
  std::vector<std::thread> waiters;
  for (size_t i = 0; i < results.size(); ++i) {
    waiters.emplace_back([&, i] {
      results[i] = stream->WaitForDurable(kShard, n, absl::InfiniteDuration(),
                                          DurableWait::kGroupCommit);
      done.fetch_add(1);
    });
  }
  for (std::thread& t : waiters) env.AwaitBlockedBy(t.get_id(), 1);
  // Every waiter is blocked, and none synced.
  CHECK(done.load() == 0);
  CHECK(env.syncs() == syncs);
  CHECK(SyncedPosition(stream.get()) <= 1);

  clock.Advance(absl::Milliseconds(100));  // the group commit falls due
  for (std::thread& t : waiters) t.join();
  for (const absl::Status& s : results) BROOK_CHECK_OK(s);
  CHECK(SyncedPosition(stream.get()) == 11);
  CHECK(env.syncs() == syncs + 1);  // the group commit's msync, no other

  // The other way syncs at once, without the clock moving.
  const SequenceNumber m = AppendBatch(stream.get(), 10, 10, 100);
  BROOK_REQUIRE_OK(stream->WaitForDurable(kShard, m, absl::ZeroDuration(),
                                          DurableWait::kSyncNow));
  CHECK(SyncedPosition(stream.get()) == 21);
  CHECK(env.syncs() == syncs + 2);
  BROOK_CHECK_OK(stream->Close());
}

TEST_CASE("Durability: WaitForDurable(kGroupCommit) under kNone and kAlways",
          "[store][durability]") {
  TempDir tmp;
  ManualClockEnv clock(1'000'000);
  ObservingEnv env(&clock);
  StreamOptions options;
  options.env = &env;
  options.segment_bytes = 64 << 10;

  SECTION("kAlways: an acknowledged record is durable already") {
    options.durability = Durability::kAlways;
    std::unique_ptr<Stream> stream = OpenOrDie(tmp.Sub("a"), options);
    const SequenceNumber n = AppendBatch(stream.get(), 0, 10, 100);
    const int64_t syncs = env.syncs();
    BROOK_CHECK_OK(stream->WaitForDurable(kShard, n, absl::ZeroDuration(),
                                          DurableWait::kGroupCommit));
    CHECK(env.syncs() == syncs);
  }
  SECTION("kNone: waits for another thread's Sync()") {
    std::unique_ptr<Stream> stream = OpenOrDie(tmp.Sub("n"), options);
    const SequenceNumber n = AppendBatch(stream.get(), 0, 10, 100);
    absl::Status result;
    std::thread waiter([&] {
      result = stream->WaitForDurable(kShard, n, absl::InfiniteDuration(),
                                      DurableWait::kGroupCommit);
    });
    env.AwaitBlockedBy(waiter.get_id(), 1);
    const int64_t syncs = env.syncs();
    BROOK_REQUIRE_OK(stream->Sync());
    waiter.join();
    BROOK_CHECK_OK(result);
    CHECK(env.syncs() == syncs + 2);  // Sync(): the directory and the msync
  }
  SECTION("kNone: times out on the Env clock") {
    std::unique_ptr<Stream> stream = OpenOrDie(tmp.Sub("t"), options);
    const SequenceNumber n = AppendBatch(stream.get(), 0, 10, 100);
    absl::Status result;
    std::thread waiter([&] {
      result = stream->WaitForDurable(kShard, n, absl::Milliseconds(100),
                                      DurableWait::kGroupCommit);
    });
    env.AwaitBlockedBy(waiter.get_id(), 1);
    clock.Advance(absl::Milliseconds(100));
    waiter.join();
    BROOK_CHECK_CODE(result, kDeadlineExceeded);
    CHECK(result.message().find("not made durable within 100ms") !=
          absl::string_view::npos);
    CHECK(SyncedPosition(stream.get()) <= 1);
  }
  SECTION("an unknown mode is kInvalidArgument") {
    std::unique_ptr<Stream> stream = OpenOrDie(tmp.Sub("u"), options);
    const SequenceNumber n = AppendBatch(stream.get(), 0, 1);
    BROOK_CHECK_CODE(stream->WaitForDurable(kShard, n, absl::ZeroDuration(),
                                            static_cast<DurableWait>(7)),
                     kInvalidArgument);
  }
}

TEST_CASE("Durability: the group-commit thread syncs when the Env clock says",
          "[store][durability]") {
  TempDir tmp;
  ManualClockEnv clock(1'000'000);
  ObservingEnv env(&clock);
  StreamOptions options;
  options.env = &env;
  options.segment_bytes = 64 << 10;
  options.durability = Durability::kGroupCommit;
  options.group_commit_bytes = 0;
  options.group_commit_interval = absl::Milliseconds(100);
  std::unique_ptr<Stream> stream = OpenOrDie(tmp.Sub("s"), options);
  SequenceNumber last = AppendBatch(stream.get(), 0, 10, 100);
  const int64_t syncs = env.syncs();
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    // 99 ms: the syncer wakes (only the syncer waits here), finds nothing due
    // and waits again, having synced nothing.
    const int64_t waits = env.AwaitBlocked(std::max<int64_t>(1, env.waits()));
    clock.Advance(absl::Milliseconds(99));
    env.AwaitBlocked(waits + 1);
    CHECK(env.syncs() == syncs + round);
    CHECK(SyncedPosition(stream.get()) == uint64_t(1 + 10 * round));
    // The 100th: due.
    clock.Advance(absl::Milliseconds(1));
    BROOK_REQUIRE_OK(stream->WaitForDurable(
        kShard, last, absl::InfiniteDuration(), DurableWait::kGroupCommit));
    CHECK(env.syncs() == syncs + round + 1);
    CHECK(SyncedPosition(stream.get()) == uint64_t(11 + 10 * round));
    last = AppendBatch(stream.get(), 10 * (round + 1), 10, 100);
  }
  BROOK_CHECK_OK(stream->Close());
}

}  // namespace
}  // namespace brook
