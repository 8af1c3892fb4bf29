// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What every LeaseStore must do, run against the memory store and the durable
// store alike (brook_group_tests), and against the DynamoDB store on dynalite
// (brook_remote_tests, which compiles this file with
// BROOK_LEASE_TEST_DYNAMODB; see group/lease_testing.h).

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/lease.h"

#include "group/lease_testing.h"
#include "testing/barrier.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::MakeLease;
using testing::ShardKey;
using ESN = ExtendedSequenceNumber;

SequenceNumber Seq(uint64_t n) { return SequenceNumber::FromValue(n); }

TEST_CASE(BROOK_LEASE_TEST_NAME("create, get and list"), "[group]") {
  const testing::StoreKind kind = GENERATE(BROOK_LEASE_STORE_KINDS);
  INFO(testing::StoreKindName(kind));
  testing::TempDir dir;
  BROOK_NEW_LEASE_STORE_OR_SKIP(store, kind, dir);

  Lease lease = MakeLease(3, 1, 2);
  lease.parent_shard_ids = {ShardKey(0), ShardKey(1)};
  lease.checkpoint = ESN::AtTimestamp(1'700'000'000'000);
  lease.throughput_bytes_per_second = 1234.5;
  lease.throughput_records_per_second = 12.25;
  BROOK_REQUIRE_OK(store->CreateLeaseIfNotExists(lease));
  BROOK_REQUIRE_OK(store->CreateLeaseIfNotExists(MakeLease(1)));

  // A second create changes nothing.
  Lease other = MakeLease(3);
  other.lease_owner = "intruder";
  BROOK_CHECK_CODE(store->CreateLeaseIfNotExists(other), kAlreadyExists);

  absl::StatusOr<Lease> got = store->GetLease(ShardKey(3));
  BROOK_REQUIRE_OK(got);
  CHECK(got->lease_owner.empty());
  CHECK(got->lease_counter == 0);
  CHECK(got->checkpoint == ESN::AtTimestamp(1'700'000'000'000));
  CHECK(got->parent_shard_ids == lease.parent_shard_ids);
  CHECK(got->hash_key_range == lease.hash_key_range);
  CHECK(got->throughput_bytes_per_second == 1234.5);
  CHECK(got->throughput_records_per_second == 12.25);

  absl::StatusOr<Lease> missing = store->GetLease(ShardKey(9));
  BROOK_CHECK_CODE(missing, kNotFound);
  CHECK_THAT(std::string(missing.status().message()),
             Catch::Contains(ShardKey(9)));

  absl::StatusOr<std::vector<Lease>> all = store->ListLeases();
  BROOK_REQUIRE_OK(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].lease_key == ShardKey(1));
  CHECK((*all)[1].lease_key == ShardKey(3));
}

TEST_CASE(BROOK_LEASE_TEST_NAME("a remote stream's 56-digit checkpoints "
                                "are kept exactly"),
          "[group][sequence]") {
  const testing::StoreKind kind = GENERATE(BROOK_LEASE_STORE_KINDS);
  INFO(testing::StoreKindName(kind));
  testing::TempDir dir;
  BROOK_NEW_LEASE_STORE_OR_SKIP(store, kind, dir);
  // Numbers as kinesalite issues them (186 bits), and the largest of 192.
  absl::StatusOr<SequenceNumber> remote = SequenceNumber::Parse(
      "49680734675281032265112259006898146605674192670837178370");
  BROOK_REQUIRE_OK(remote);
  const SequenceNumber top =
      SequenceNumber::FromParts(~uint64_t{0}, ~absl::uint128(0));

  Lease lease = MakeLease(2);
  lease.checkpoint = ESN::At(*remote, 3);
  BROOK_REQUIRE_OK(store->CreateLeaseIfNotExists(lease));
  absl::StatusOr<Lease> got = store->GetLease(ShardKey(2));
  BROOK_REQUIRE_OK(got);
  CHECK(got->checkpoint == ESN::At(*remote, 3));
  CHECK(got->checkpoint.sequence_number().high() == remote->high());

  absl::StatusOr<Lease> taken = store->TakeLease(*got, "w1");
  BROOK_REQUIRE_OK(taken);
  absl::StatusOr<Lease> updated =
      store->UpdateLease(ShardKey(2), taken->lease_counter, [&](Lease& l) {
        l.checkpoint = ESN::At(top, ~uint64_t{0} >> 1);
        l.has_pending_checkpoint = true;
        l.pending_checkpoint = ESN::At(SequenceNumber::FromParts(1, 0));
        return absl::OkStatus();
      });
  BROOK_REQUIRE_OK(updated);
  got = store->GetLease(ShardKey(2));
  BROOK_REQUIRE_OK(got);
  CHECK(got->checkpoint == ESN::At(top, ~uint64_t{0} >> 1));
  CHECK(got->checkpoint.ToString() ==
        "6277101735386680763835789423207666416102355444464034512895");
  REQUIRE(got->has_pending_checkpoint);
  CHECK(got->pending_checkpoint == ESN::At(SequenceNumber::FromParts(1, 0)));
  // Checkpoints only move forward, by all 192 bits: a local number is
  // before every remote one.
  BROOK_CHECK_CODE(store->UpdateCheckpoint(*got, ESN::At(Seq(100), 2)),
                   kInvalidArgument);
  // Moved back on purpose: nothing of the top word is left.
  absl::StatusOr<Lease> local =
      store->UpdateLease(ShardKey(2), got->lease_counter, [](Lease& l) {
        l.checkpoint = ESN::At(Seq(100), 2);
        l.has_pending_checkpoint = false;
        l.pending_checkpoint = ESN();
        return absl::OkStatus();
      });
  BROOK_REQUIRE_OK(local);
  got = store->GetLease(ShardKey(2));
  BROOK_REQUIRE_OK(got);
  CHECK(got->checkpoint == ESN::At(Seq(100), 2));
  CHECK(got->checkpoint.sequence_number().high() == 0);
}

TEST_CASE(
    BROOK_LEASE_TEST_NAME("bad lease keys and values are kInvalidArgument"),
    "[group]") {
  const testing::StoreKind kind = GENERATE(BROOK_LEASE_STORE_KINDS);
  INFO(testing::StoreKindName(kind));
  testing::TempDir dir;
  BROOK_NEW_LEASE_STORE_OR_SKIP(store, kind, dir);
  for (const char* key : {"", ".hidden", "a/b", "a b", "../x"}) {
    INFO(key);
    Lease lease;
    lease.lease_key = key;
    BROOK_CHECK_CODE(store->CreateLeaseIfNotExists(lease), kInvalidArgument);
    BROOK_CHECK_CODE(store->GetLease(key), kInvalidArgument);
  }
  Lease lease = MakeLease(0);
  lease.lease_counter = -1;
  BROOK_CHECK_CODE(store->CreateLeaseIfNotExists(lease), kInvalidArgument);
  lease = MakeLease(0);
  lease.throughput_bytes_per_second = -1;
  BROOK_CHECK_CODE(store->CreateLeaseIfNotExists(lease), kInvalidArgument);
  lease = MakeLease(0);
  lease.lease_owner = std::string(300, 'w');
  BROOK_CHECK_CODE(store->CreateLeaseIfNotExists(lease), kInvalidArgument);
  BROOK_CHECK_CODE(store->GetLease(ShardKey(0)), kNotFound);
}

TEST_CASE(
    BROOK_LEASE_TEST_NAME("each change bumps the counter and does its part"),
    "[group]") {
  const testing::StoreKind kind = GENERATE(BROOK_LEASE_STORE_KINDS);
  INFO(testing::StoreKindName(kind));
  testing::TempDir dir;
  BROOK_NEW_LEASE_STORE_OR_SKIP(store, kind, dir);
  BROOK_REQUIRE_OK(store->CreateLeaseIfNotExists(MakeLease(0)));
  Lease lease = *store->GetLease(ShardKey(0));

  absl::StatusOr<Lease> taken = store->TakeLease(lease, "w1");
  BROOK_REQUIRE_OK(taken);
  CHECK(taken->lease_owner == "w1");
  CHECK(taken->lease_counter == 1);
  CHECK(taken->owner_switches_since_checkpoint == 1);

  absl::StatusOr<Lease> renewed = store->RenewLease(*taken);
  BROOK_REQUIRE_OK(renewed);
  CHECK(renewed->lease_counter == 2);
  CHECK(renewed->lease_owner == "w1");

  absl::StatusOr<Lease> stolen = store->TakeLease(*renewed, "w2");
  BROOK_REQUIRE_OK(stolen);
  CHECK(stolen->owner_switches_since_checkpoint == 2);

  absl::StatusOr<Lease> checkpointed =
      store->UpdateCheckpoint(*stolen, ESN::At(Seq(100), 2));
  BROOK_REQUIRE_OK(checkpointed);
  CHECK(checkpointed->checkpoint == ESN::At(Seq(100), 2));
  CHECK(checkpointed->owner_switches_since_checkpoint == 0);
  CHECK(checkpointed->lease_counter == 4);

  // Checkpoints only move forward.
  absl::StatusOr<Lease> backwards =
      store->UpdateCheckpoint(*checkpointed, ESN::At(Seq(100), 1));
  BROOK_CHECK_CODE(backwards, kInvalidArgument);
  CHECK_THAT(std::string(backwards.status().message()),
             Catch::Contains("100/1") && Catch::Contains("100/2"));
  BROOK_CHECK_CODE(store->UpdateCheckpoint(*checkpointed, ESN::TrimHorizon()),
                   kInvalidArgument);
  CHECK(store->GetLease(ShardKey(0))->lease_counter == 4);

  absl::StatusOr<Lease> children = store->UpdateChildShards(
      *checkpointed, {ShardKey(5), ShardKey(4), ShardKey(5)});
  BROOK_REQUIRE_OK(children);
  CHECK(children->child_shard_ids ==
        std::vector<std::string>{ShardKey(4), ShardKey(5)});

  absl::StatusOr<Lease> measured = store->UpdateThroughput(*children, 10, 1000);
  BROOK_REQUIRE_OK(measured);
  CHECK(measured->throughput_records_per_second == 10);
  BROOK_CHECK_CODE(store->UpdateThroughput(*measured, -1, 0), kInvalidArgument);

  absl::StatusOr<Lease> evicted = store->EvictLease(*measured);
  BROOK_REQUIRE_OK(evicted);
  CHECK(evicted->lease_owner.empty());
  BROOK_CHECK_CODE(store->RenewLease(*evicted), kFailedPrecondition);
  BROOK_CHECK_CODE(store->TakeLease(*evicted, ""), kInvalidArgument);

  // The store holds what the last change returned.
  absl::StatusOr<Lease> stored = store->GetLease(ShardKey(0));
  BROOK_REQUIRE_OK(stored);
  CHECK(stored->lease_counter == evicted->lease_counter);
  CHECK(stored->checkpoint == ESN::At(Seq(100), 2));
  CHECK(stored->child_shard_ids == evicted->child_shard_ids);

  BROOK_REQUIRE_OK(store->DeleteLease(*stored));
  BROOK_CHECK_CODE(store->GetLease(ShardKey(0)), kNotFound);
  BROOK_CHECK_CODE(store->RenewLease(*stored), kNotFound);
  BROOK_CHECK_CODE(store->DeleteLease(*stored), kNotFound);
}

TEST_CASE(
    BROOK_LEASE_TEST_NAME("every change with a stale counter is kAborted and "
                          "changes nothing"),
    "[group]") {
  const testing::StoreKind kind = GENERATE(BROOK_LEASE_STORE_KINDS);
  INFO(testing::StoreKindName(kind));
  testing::TempDir dir;
  BROOK_NEW_LEASE_STORE_OR_SKIP(store, kind, dir);
  BROOK_REQUIRE_OK(store->CreateLeaseIfNotExists(MakeLease(0)));
  const Lease stale = *store->TakeLease(*store->GetLease(ShardKey(0)), "w1");
  const Lease current = *store->RenewLease(stale);  // someone else moved on

  using Change = std::function<absl::Status(const Lease&)>;
  const std::vector<std::pair<const char*, Change>> changes = {
      {"take",
       [&](const Lease& l) { return store->TakeLease(l, "w2").status(); }},
      {"renew", [&](const Lease& l) { return store->RenewLease(l).status(); }},
      {"evict", [&](const Lease& l) { return store->EvictLease(l).status(); }},
      {"checkpoint",
       [&](const Lease& l) {
         return store->UpdateCheckpoint(l, ESN::At(Seq(5))).status();
       }},
      {"children",
       [&](const Lease& l) {
         return store->UpdateChildShards(l, {ShardKey(1)}).status();
       }},
      {"throughput",
       [&](const Lease& l) {
         return store->UpdateThroughput(l, 1, 1).status();
       }},
      {"delete", [&](const Lease& l) { return store->DeleteLease(l); }},
  };
  for (const auto& [name, change] : changes) {
    INFO(name);
    const absl::Status s = change(stale);
    BROOK_CHECK_CODE(s, kAborted);
    CHECK_THAT(std::string(s.message()),
               Catch::Contains(ShardKey(0)) &&
                   Catch::Contains("leaseCounter is 2, expected 1"));
    absl::StatusOr<Lease> after = store->GetLease(ShardKey(0));
    BROOK_REQUIRE_OK(after);
    CHECK(after->lease_counter == current.lease_counter);
    CHECK(after->lease_owner == "w1");
    CHECK(after->checkpoint == ESN::TrimHorizon());
  }
  // UpdateLease() may not change the key or the counter.
  BROOK_CHECK_CODE(store->UpdateLease(ShardKey(0), current.lease_counter,
                                      [](Lease& l) {
                                        l.lease_counter = 99;
                                        return absl::OkStatus();
                                      }),
                   kInvalidArgument);
  // A mutation's error is passed on, nothing stored.
  BROOK_CHECK_CODE(store->UpdateLease(ShardKey(0), current.lease_counter,
                                      [](Lease& l) {
                                        l.lease_owner = "x";
                                        return absl::CancelledError("no");
                                      }),
                   kCancelled);
  CHECK(store->GetLease(ShardKey(0))->lease_owner == "w1");
}

TEST_CASE(
    BROOK_LEASE_TEST_NAME("of threads taking one lease at one counter, exactly "
                          "one wins"),
    "[group]") {
  const testing::StoreKind kind = GENERATE(BROOK_LEASE_STORE_KINDS);
  INFO(testing::StoreKindName(kind));
  testing::TempDir dir;
  BROOK_NEW_LEASE_STORE_OR_SKIP(store, kind, dir);
  BROOK_REQUIRE_OK(store->CreateLeaseIfNotExists(MakeLease(0)));
  constexpr int kThreads = 4;
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const Lease seen = *store->GetLease(ShardKey(0));
    testing::Barrier start(kThreads);
    std::atomic<int> winners{0};
    std::atomic<int> aborted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.ArriveAndWait();
        absl::StatusOr<Lease> took =
            store->TakeLease(seen, "w" + std::to_string(t));
        if (took.ok()) {
          ++winners;
        } else if (absl::IsAborted(took.status())) {
          ++aborted;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    CHECK(winners == 1);
    CHECK(aborted == kThreads - 1);
    CHECK(store->GetLease(ShardKey(0))->lease_counter ==
          seen.lease_counter + 1);
  }
}

#ifndef BROOK_LEASE_TEST_DYNAMODB
TEST_CASE("Lease names: group names are validated", "[group]") {
  for (const char* good : {"app", "my-app_2.prod", "..a"}) {
    BROOK_CHECK_OK(ValidateGroupName(good));
  }
  for (const char* bad : {"", "ab", "...", "a/b/c", "a b c", "grp\n"}) {
    INFO(bad);
    const absl::Status s = ValidateGroupName(bad);
    BROOK_CHECK_CODE(s, kInvalidArgument);
    CHECK_THAT(std::string(s.message()),
               Catch::Contains(std::string("\"") + bad + "\""));
  }
  BROOK_CHECK_CODE(ValidateGroupName(std::string(256, 'a')), kInvalidArgument);
}
#endif  // BROOK_LEASE_TEST_DYNAMODB

}  // namespace
}  // namespace brook
