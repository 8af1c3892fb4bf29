// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The assignment rules: lineage, uniform by hash range, load-aware.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include <catch2/catch.hpp>

#include "brook/lease.h"

#include "group/lease_assignment.h"
#include "group/lease_testing.h"

namespace brook {
namespace {

using internal::BalanceByLoad;
using internal::LeaseMove;
using internal::LoadBalanceOptions;
using testing::MakeLease;
using testing::ShardKey;
using ESN = ExtendedSequenceNumber;

constexpr absl::uint128 kMaxHash = ~absl::uint128(0);

Lease Child(int n, std::vector<int> parents) {
  Lease lease = MakeLease(n);
  for (int p : parents) lease.parent_shard_ids.push_back(ShardKey(p));
  return lease;
}

Lease AtShardEnd(Lease lease, std::vector<int> children = {}) {
  lease.checkpoint = ESN::ShardEnd();
  for (int c : children) lease.child_shard_ids.push_back(ShardKey(c));
  return lease;
}

Lease AtSequence(Lease lease, uint64_t n) {
  lease.checkpoint = ESN::At(SequenceNumber::FromValue(n));
  return lease;
}

std::vector<std::string> Keys(std::vector<int> ns) {
  std::vector<std::string> keys;
  for (int n : ns) keys.push_back(ShardKey(n));
  return keys;
}

// IsLeaseReady() for each lease, which must agree with ReadyLeaseKeys().
std::vector<std::string> ReadyOneByOne(const std::vector<Lease>& leases) {
  std::vector<std::string> ready;
  for (const Lease& lease : leases) {
    if (internal::IsLeaseReady(lease, leases)) ready.push_back(lease.lease_key);
  }
  std::sort(ready.begin(), ready.end());
  CHECK(ready == internal::ReadyLeaseKeys(leases));
  return ready;
}

TEST_CASE("Lineage: a split child waits for its parent's SHARD_END",
          "[group]") {
  // 0 split into 1 and 2.
  std::vector<Lease> leases = {AtSequence(MakeLease(0), 5), Child(1, {0}),
                               Child(2, {0})};
  CHECK(ReadyOneByOne(leases) == Keys({0}));
  leases[0] = AtShardEnd(leases[0], {1, 2});
  CHECK(ReadyOneByOne(leases) == Keys({1, 2}));  // a finished lease is not
  // A parent gone from the table (deleted, or expired) does not hold them.
  leases.erase(leases.begin());
  CHECK(ReadyOneByOne(leases) == Keys({1, 2}));
}

TEST_CASE("Lineage: a merge child waits for both parents", "[group]") {
  // 0 and 1 merged into 2.
  std::vector<Lease> leases = {AtShardEnd(MakeLease(0), {2}),
                               AtSequence(MakeLease(1), 9), Child(2, {0, 1})};
  CHECK(ReadyOneByOne(leases) == Keys({1}));
  leases[1].checkpoint = ESN::Latest();
  CHECK(ReadyOneByOne(leases) == Keys({1}));
  leases[1] = AtShardEnd(leases[1], {2});
  CHECK(ReadyOneByOne(leases) == Keys({2}));
  // One parent gone, the other still processing: still waits.
  std::vector<Lease> half = {AtSequence(MakeLease(1), 9), Child(2, {0, 1})};
  CHECK(ReadyOneByOne(half) == Keys({1}));
  // Grandchildren wait for their parent, not their grandparents.
  std::vector<Lease> three = {AtShardEnd(MakeLease(0), {1}), Child(1, {0}),
                              Child(3, {1})};
  CHECK(ReadyOneByOne(three) == Keys({1}));
}

TEST_CASE("Lineage: a parent's lease is deletable once every child started",
          "[group]") {
  Lease parent = AtShardEnd(MakeLease(0), {1, 2});
  Lease c1 = Child(1, {0});
  Lease c2 = Child(2, {0});
  auto deletable = [&] {
    return internal::DeletableParentLeaseKeys({parent, c1, c2});
  };
  CHECK(deletable().empty());  // neither started
  c1.lease_owner = "w1";
  CHECK(deletable().empty());  // c2 not started
  c2.checkpoint = ESN::Latest();
  CHECK(deletable().empty());  // an initial position is not a start
  c2.checkpoint = ESN::AtTimestamp(5);
  CHECK(deletable().empty());
  c2 = AtSequence(c2, 1);
  CHECK(deletable() == Keys({0}));
  c2 = AtShardEnd(c2);
  CHECK(deletable() == Keys({0}));
  // A child already deleted counts as started.
  CHECK(internal::DeletableParentLeaseKeys({parent, c1}) == Keys({0}));
  // Not before SHARD_END, and not before the children are recorded.
  Lease running = AtSequence(MakeLease(0), 3);
  running.child_shard_ids = Keys({1, 2});
  CHECK(internal::DeletableParentLeaseKeys({running, c1, c2}).empty());
  CHECK(internal::DeletableParentLeaseKeys({AtShardEnd(MakeLease(0))}).empty());
}

// floor(mid * readers / 2^128) by schoolbook multiplication on 32-bit limbs,
// independent of the implementation's 64-bit halves.
int ReferenceReaderIndex(absl::uint128 mid, uint32_t readers) {
  uint64_t carry = 0;
  for (int limb = 0; limb < 4; ++limb) {
    const uint64_t part = static_cast<uint64_t>(
        absl::Uint128Low64(mid >> (32 * limb)) & 0xffffffffu);
    carry = (part * readers + carry) >> 32;
  }
  return static_cast<int>(carry);
}

TEST_CASE("Uniform: Flink's reader index, exactly", "[group]") {
  using internal::UniformReaderIndex;
  CHECK(UniformReaderIndex({0, kMaxHash}, 1) == 0);
  CHECK(UniformReaderIndex({0, kMaxHash}, 2) == 0);  // mid = 2^127 - 1
  CHECK(UniformReaderIndex({0, kMaxHash}, 3) == 1);
  CHECK(UniformReaderIndex({kMaxHash, kMaxHash}, 7) == 6);
  CHECK(UniformReaderIndex({0, 0}, 1000) == 0);
  // N uniform shards over N readers: one each, in order.
  for (int n : {1, 2, 3, 7, 64, 100}) {
    const std::vector<HashKeyRange> ranges = UniformHashKeyRanges(n);
    for (int i = 0; i < n; ++i) {
      CHECK(UniformReaderIndex(ranges[static_cast<size_t>(i)], n) == i);
    }
  }
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::printf("uniform reader index seed %llu\n",
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 10000; ++i) {
    const absl::uint128 a = absl::MakeUint128(rng(), rng());
    const absl::uint128 b = absl::MakeUint128(rng(), rng());
    const HashKeyRange range{std::min(a, b), std::max(a, b)};
    const uint32_t readers = 1 + static_cast<uint32_t>(rng() % 100000);
    const absl::uint128 mid =
        range.starting_hash_key +
        (range.ending_hash_key - range.starting_hash_key) / 2;
    const int index = UniformReaderIndex(range, static_cast<int>(readers));
    CHECK(index == ReferenceReaderIndex(mid, readers));
    CHECK(index >= 0);
    CHECK(index < static_cast<int>(readers));
  }
}

TEST_CASE("Uniform: keys stay spread while parents and children coexist",
          "[group]") {
  // 4 shards, shard 0 split into two halves: the closed parent goes where its
  // children's keys went before, each child next to it or to a neighbour.
  std::vector<HashKeyRange> ranges = UniformHashKeyRanges(4);
  const HashKeyRange parent = ranges[0];
  const absl::uint128 split =
      parent.starting_hash_key +
      (parent.ending_hash_key - parent.starting_hash_key) / 2;
  const HashKeyRange left{parent.starting_hash_key, split};
  const HashKeyRange right{split + 1, parent.ending_hash_key};
  CHECK(internal::UniformReaderIndex(parent, 4) == 0);
  CHECK(internal::UniformReaderIndex(left, 4) == 0);
  CHECK(internal::UniformReaderIndex(right, 4) == 0);
  CHECK(internal::UniformReaderIndex(left, 8) == 0);
  CHECK(internal::UniformReaderIndex(right, 8) == 1);
  // 1000 uniform shards over 10 readers: exactly 100 each.
  std::map<int, int> per_reader;
  for (const HashKeyRange& range : UniformHashKeyRanges(1000)) {
    ++per_reader[internal::UniformReaderIndex(range, 10)];
  }
  REQUIRE(per_reader.size() == 10);
  for (const auto& [reader, count] : per_reader) CHECK(count == 100);
}

TEST_CASE(
    "Uniform: moves only the leases not already at their worker, "
    "whatever the order of leases and workers",
    "[group]") {
  std::vector<Lease> leases;
  for (int i = 0; i < 6; ++i) leases.push_back(MakeLease(i, i, 6));
  leases[0].lease_owner = "a";  // already right
  leases[1].lease_owner = "c";  // wrong
  const std::vector<std::string> workers = {"c", "a", "b", "a"};
  const std::vector<LeaseMove> moves = internal::AssignUniform(leases, workers);
  // Sorted workers a, b, c; 6 uniform shards over 3: a a b b c c.
  const std::vector<LeaseMove> expected = {{ShardKey(1), "c", "a"},
                                           {ShardKey(2), "", "b"},
                                           {ShardKey(3), "", "b"},
                                           {ShardKey(4), "", "c"},
                                           {ShardKey(5), "", "c"}};
  CHECK(moves == expected);
  std::vector<Lease> reversed(leases.rbegin(), leases.rend());
  std::vector<LeaseMove> reversed_moves =
      internal::AssignUniform(reversed, {"b", "c", "a"});
  std::reverse(reversed_moves.begin(), reversed_moves.end());
  CHECK(reversed_moves == expected);
  CHECK(internal::AssignUniform(leases, {}).empty());
}

// Applies `moves` to `leases`.
void Apply(const std::vector<LeaseMove>& moves, std::vector<Lease>* leases) {
  for (const LeaseMove& move : moves) {
    for (Lease& lease : *leases) {
      if (lease.lease_key == move.lease_key) {
        REQUIRE(lease.lease_owner == move.from_worker);
        lease.lease_owner = move.to_worker;
      }
    }
  }
}

std::map<std::string, double> WorkerLoads(const std::vector<Lease>& leases,
                                          const std::vector<std::string>& ws) {
  std::map<std::string, double> loads;
  for (const std::string& w : ws) loads[w] = 0;
  const std::vector<double> lease_loads = internal::LeaseLoads(leases);
  for (size_t i = 0; i < leases.size(); ++i) {
    loads[leases[i].lease_owner] += lease_loads[i];
  }
  return loads;
}

Lease Measured(int n, const std::string& owner, double bytes, double records) {
  Lease lease = MakeLease(n);
  lease.lease_owner = owner;
  lease.throughput_bytes_per_second = bytes;
  lease.throughput_records_per_second = records;
  return lease;
}

TEST_CASE(
    "LoadAware: lease loads count bytes and records, unmeasured leases "
    "count as the mean",
    "[group]") {
  const std::vector<double> loads =
      internal::LeaseLoads({Measured(0, "", 300, 10), Measured(1, "", 100, 30),
                            Measured(2, "", 0, 0)});
  REQUIRE(loads.size() == 3);
  CHECK(loads[0] == Approx(0.75 + 0.25));
  CHECK(loads[1] == Approx(0.25 + 0.75));
  CHECK(loads[2] == Approx(1.0));
  CHECK(internal::LeaseLoads({MakeLease(0), MakeLease(1)}) ==
        std::vector<double>{1, 1});
}

TEST_CASE("LoadAware: unowned leases go to the least loaded workers first",
          "[group]") {
  std::vector<Lease> leases = {
      Measured(0, "a", 100, 100), Measured(1, "gone", 10, 10),
      Measured(2, "", 20, 20), Measured(3, "", 30, 30)};
  const std::vector<LeaseMove> moves =
      BalanceByLoad(leases, {"a", "b"}, LoadBalanceOptions());
  // Heaviest orphan first, each to the lighter worker at the time.
  const std::vector<LeaseMove> expected = {{ShardKey(3), "", "b"},
                                           {ShardKey(2), "", "b"},
                                           {ShardKey(1), "gone", "b"}};
  CHECK(moves == expected);
  LoadBalanceOptions capped;
  capped.max_leases_per_worker = 2;
  const std::vector<LeaseMove> capped_moves =
      BalanceByLoad(leases, {"a", "b"}, capped);
  const std::vector<LeaseMove> capped_expected = {{ShardKey(3), "", "b"},
                                                  {ShardKey(2), "", "b"},
                                                  {ShardKey(1), "gone", "a"}};
  CHECK(capped_moves == capped_expected);
}

TEST_CASE(
    "LoadAware: within the threshold nothing moves, above it, at most "
    "the dampened amount",
    "[group]") {
  SECTION("within the threshold") {
    // Loads 1.09 : 0.91 of a mean of 1: under 10 % above.
    std::vector<Lease> leases = {Measured(0, "a", 109, 109),
                                 Measured(1, "b", 91, 91)};
    CHECK(BalanceByLoad(leases, {"a", "b"}, {}).empty());
  }
  SECTION("ten equal leases on one worker of two") {
    std::vector<Lease> leases;
    for (int i = 0; i < 10; ++i) leases.push_back(Measured(i, "a", 10, 1));
    const std::vector<LeaseMove> moves = BalanceByLoad(leases, {"a", "b"}, {});
    // Excess 5 leases' worth, dampened to 60 %: 3 leases.
    CHECK(moves.size() == 3);
    for (const LeaseMove& move : moves) {
      CHECK(move.from_worker == "a");
      CHECK(move.to_worker == "b");
    }
    LoadBalanceOptions undamped;
    undamped.dampening = 1.0;
    CHECK(BalanceByLoad(leases, {"a", "b"}, undamped).size() == 5);
  }
  SECTION("a few heavy leases still move one") {
    std::vector<Lease> leases = {Measured(0, "a", 50, 50),
                                 Measured(1, "a", 50, 50)};
    const std::vector<LeaseMove> moves = BalanceByLoad(leases, {"a", "b"}, {});
    REQUIRE(moves.size() == 1);
    CHECK(moves[0].to_worker == "b");
    Apply(moves, &leases);
    CHECK(BalanceByLoad(leases, {"a", "b"}, {}).empty());
  }
  SECTION("a lease heavier than the headroom stays") {
    // a: 90 + 10, b: 50, c: 50. Mean 66.7, upper 73.3: the 90 lease fits
    // nowhere; the 10 lease is all that moves.
    std::vector<Lease> leases = {
        Measured(0, "a", 90, 90), Measured(1, "a", 10, 10),
        Measured(2, "b", 50, 50), Measured(3, "c", 50, 50)};
    const std::vector<LeaseMove> moves =
        BalanceByLoad(leases, {"a", "b", "c"}, {});
    const std::vector<LeaseMove> expected = {{ShardKey(1), "a", "b"}};
    CHECK(moves == expected);
  }
}

TEST_CASE(
    "LoadAware: repeated rounds over skewed rates converge within the "
    "threshold and then stop moving",
    "[group]") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::printf("load-aware convergence seed %llu\n",
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < 20; ++trial) {
    const int num_workers = 2 + static_cast<int>(rng() % 15);
    const int num_leases = num_workers * (200 + static_cast<int>(rng() % 100));
    std::vector<std::string> workers;
    for (int w = 0; w < num_workers; ++w)
      workers.push_back("w" + std::to_string(w));
    // Skewed: rates spread over a factor of ~50; some leases unowned, the
    // rest piled on a few workers.
    std::vector<Lease> leases;
    std::lognormal_distribution<double> rate(0.0, 0.5);
    for (int i = 0; i < num_leases; ++i) {
      std::string owner;
      if (rng() % 4 != 0) owner = workers[rng() % std::min(2, num_workers)];
      leases.push_back(Measured(i, owner, 1000 * rate(rng), 10 * rate(rng)));
    }
    LoadBalanceOptions options;
    const std::vector<double> lease_loads = internal::LeaseLoads(leases);
    const double mean =
        std::accumulate(lease_loads.begin(), lease_loads.end(), 0.0) /
        num_workers;
    const double upper = mean * (1 + options.rebalance_threshold);
    INFO("trial " << trial << ": " << num_workers << " workers, " << num_leases
                  << " leases");
    // Every lease must be small next to the headroom for full balance.
    REQUIRE(*std::max_element(lease_loads.begin(), lease_loads.end()) <
            mean * options.rebalance_threshold);

    int rounds = 0;
    double previous_deviation = INFINITY;
    for (;; ++rounds) {
      REQUIRE(rounds < 100);
      const std::vector<LeaseMove> moves =
          BalanceByLoad(leases, workers, options);
      if (moves.empty()) break;
      // Step 1 (leases of no live worker) comes first; then only workers
      // above the threshold give leases.
      std::vector<LeaseMove> orphan_moves;
      std::vector<LeaseMove> balance_moves;
      for (const LeaseMove& move : moves) {
        const bool live = std::find(workers.begin(), workers.end(),
                                    move.from_worker) != workers.end();
        CHECK((live || balance_moves.empty()));
        (live ? balance_moves : orphan_moves).push_back(move);
      }
      Apply(orphan_moves, &leases);
      const std::map<std::string, double> before = WorkerLoads(leases, workers);
      for (const LeaseMove& move : balance_moves) {
        CHECK(before.at(move.from_worker) > upper);
      }
      Apply(balance_moves, &leases);
      const std::map<std::string, double> after = WorkerLoads(leases, workers);
      double deviation = 0;
      for (const auto& [worker, load] : after) {
        // No receiver is pushed above the threshold.
        if (load > upper) CHECK(load <= before.at(worker) + 1e-12);
        deviation += std::abs(load - mean);
      }
      if (rounds > 0) CHECK(deviation < previous_deviation);
      previous_deviation = deviation;
    }
    CHECK(rounds <= 20);
    const std::map<std::string, double> final_loads =
        WorkerLoads(leases, workers);
    for (const auto& [worker, load] : final_loads) {
      INFO(worker);
      CHECK(load <= upper + 1e-9);
    }
    // Balanced: further rounds move nothing.
    CHECK(BalanceByLoad(leases, workers, options).empty());
  }
}

}  // namespace
}  // namespace brook
