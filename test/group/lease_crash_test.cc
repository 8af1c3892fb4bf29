// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Crash safety of the durable lease store: a child process changing leases is
// killed with SIGKILL at random points, again and again; after each kill the
// store must read back a valid state holding every acknowledged change.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/lease.h"

#include "group/lease_testing.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace {

using testing::MakeLease;
using testing::ShardKey;
using ESN = ExtendedSequenceNumber;

// The child's loop, forever until killed: each step moves lease 0's
// checkpoint to its new counter (so checkpoint == counter always holds in a
// whole lease), and every fourth step also creates lease `next_key`, then
// reports the step on `ack_fd` (8 bytes: the counter, or -key for a create).
[[noreturn]] void ChildLoop(const std::string& dir, int ack_fd, int next_key) {
  DurableLeaseStoreOptions options;
  options.sync = false;  // a process crash, not a power loss
  absl::StatusOr<std::unique_ptr<LeaseStore>> store =
      OpenDurableLeaseStore(dir, "app", options);
  if (!store.ok()) ::_exit(3);
  for (uint64_t step = 0;; ++step) {
    if (step % 4 == 3) {
      if (!(*store)->CreateLeaseIfNotExists(MakeLease(next_key)).ok()) {
        ::_exit(4);
      }
      const int64_t ack = -next_key++;
      if (::write(ack_fd, &ack, sizeof(ack)) != sizeof(ack)) ::_exit(5);
      continue;
    }
    absl::StatusOr<Lease> seen = (*store)->GetLease(ShardKey(0));
    if (!seen.ok()) ::_exit(6);
    absl::StatusOr<Lease> updated = (*store)->UpdateLease(
        ShardKey(0), seen->lease_counter, [&](Lease& lease) {
          lease.checkpoint = ESN::At(SequenceNumber::FromValue(
              static_cast<uint64_t>(seen->lease_counter + 1)));
          return absl::OkStatus();
        });
    if (!updated.ok()) ::_exit(7);
    const int64_t ack = updated->lease_counter;
    if (::write(ack_fd, &ack, sizeof(ack)) != sizeof(ack)) ::_exit(5);
  }
}

TEST_CASE(
    "DurableLeaseStore: SIGKILL mid-change, repeatedly, always leaves "
    "a valid store with every acknowledged change",
    "[group][crash]") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::printf("lease crash test seed %llu\n",
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  testing::TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<LeaseStore>> store =
        OpenDurableLeaseStore(dir.path(), "app", {});
    BROOK_REQUIRE_OK(store);
    BROOK_REQUIRE_OK((*store)->CreateLeaseIfNotExists(MakeLease(0)));
  }
  int64_t acked_counter = 0;
  std::vector<int> acked_keys;
  int next_key = 1;
  constexpr int kKills = 25;
  for (int kill = 0; kill < kKills; ++kill) {
    int acks[2];
    REQUIRE(::pipe(acks) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(acks[0]);
      ChildLoop(dir.path(), acks[1], next_key);
    }
    ::close(acks[1]);
    // Let it acknowledge a random number of steps, then kill it wherever it
    // is (usually inside a change: most of its time is spent there).
    const int wait_for = std::uniform_int_distribution<int>(0, 40)(rng);
    auto take_ack = [&](int64_t ack) {
      if (ack < 0) {
        acked_keys.push_back(static_cast<int>(-ack));
        next_key = static_cast<int>(-ack) + 1;
      } else {
        CHECK(ack > acked_counter);
        acked_counter = ack;
      }
    };
    int64_t ack = 0;
    for (int i = 0; i < wait_for; ++i) {
      REQUIRE(::read(acks[0], &ack, sizeof(ack)) == sizeof(ack));
      take_ack(ack);
    }
    REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    while (::read(acks[0], &ack, sizeof(ack)) == sizeof(ack)) take_ack(ack);
    ::close(acks[0]);

    // The oracle: a fresh store reads a valid state holding every
    // acknowledged change, and at most one change more (the one killed,
    // if its rename happened).
    DurableLeaseStoreOptions options;
    options.sync = false;
    absl::StatusOr<std::unique_ptr<LeaseStore>> store =
        OpenDurableLeaseStore(dir.path(), "app", options);
    BROOK_REQUIRE_OK(store);
    absl::StatusOr<std::vector<Lease>> all = (*store)->ListLeases();
    BROOK_REQUIRE_OK(all);
    absl::StatusOr<Lease> lease = (*store)->GetLease(ShardKey(0));
    BROOK_REQUIRE_OK(lease);
    CHECK(lease->lease_counter >= acked_counter);
    CHECK(lease->lease_counter <= acked_counter + 1);
    if (lease->lease_counter > 0) {
      CHECK(lease->checkpoint ==
            ESN::At(SequenceNumber::FromValue(
                static_cast<uint64_t>(lease->lease_counter))));
    }
    acked_counter = lease->lease_counter;
    for (int key : acked_keys)
      BROOK_CHECK_OK((*store)->GetLease(ShardKey(key)));
    // An unacknowledged create may have landed; the next child skips it.
    for (const Lease& each : *all) {
      if (each.lease_key != ShardKey(0) &&
          each.lease_key >= ShardKey(next_key)) {
        next_key = std::max(next_key, std::stoi(each.lease_key.substr(8)) + 1);
      }
    }
    // The killed child's lock died with it: a change goes through at once.
    absl::StatusOr<Lease> updated =
        (*store)->UpdateLease(ShardKey(0), lease->lease_counter, [&](Lease& l) {
          l.checkpoint = ESN::At(SequenceNumber::FromValue(
              static_cast<uint64_t>(lease->lease_counter + 1)));
          return absl::OkStatus();
        });
    BROOK_REQUIRE_OK(updated);
    acked_counter = updated->lease_counter;
  }
}

}  // namespace
}  // namespace brook
