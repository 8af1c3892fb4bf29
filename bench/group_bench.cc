// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Consumer group benchmarks (issue 11), each beside its baseline in the same
// binary: one assignment round for 10,000 leases over 100 workers against
// sorting 10,000 leases; checkpoints per second to the durable lease store
// against write(2) + fdatasync of the same bytes. Directories go under
// $TMPDIR (or /tmp) and are removed afterwards. Figures: bench/README.md.

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include <benchmark/benchmark.h>

#include "brook/lease.h"
#include "brook/partitioner.h"

#include "group/lease_assignment.h"
#include "group/lease_file.h"
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace brook {
namespace {

constexpr int kLeases = 10000;
constexpr int kWorkers = 100;

std::vector<std::string> Workers() {
  std::vector<std::string> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(absl::StrFormat("worker-%03d", w));
  }
  return workers;
}

// 10,000 leases of uniform ranges, owned at random by the first half of the
// workers (so a round has work to do), with skewed measured throughput.
std::vector<Lease> Leases() {
  const std::vector<std::string> workers = Workers();
  const std::vector<HashKeyRange> ranges = UniformHashKeyRanges(kLeases);
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> rate(0.0, 1.0);
  std::vector<Lease> leases(kLeases);
  for (int i = 0; i < kLeases; ++i) {
    Lease& lease = leases[static_cast<size_t>(i)];
    lease.lease_key = absl::StrFormat("shardId-%012d", i);
    lease.hash_key_range = ranges[static_cast<size_t>(i)];
    lease.lease_owner = workers[rng() % (kWorkers / 2)];
    lease.throughput_bytes_per_second = 100'000 * rate(rng);
    lease.throughput_records_per_second = 1'000 * rate(rng);
  }
  std::shuffle(leases.begin(), leases.end(), rng);
  return leases;
}

void BM_Assign_Uniform(benchmark::State& state) {
  const std::vector<Lease> leases = Leases();
  const std::vector<std::string> workers = Workers();
  for (auto _ : state) {
    std::vector<internal::LeaseMove> moves =
        internal::AssignUniform(leases, workers);
    benchmark::DoNotOptimize(moves.data());
  }
  state.SetItemsProcessed(state.iterations() * kLeases);
}
BENCHMARK(BM_Assign_Uniform)->Unit(benchmark::kMillisecond);

void BM_Assign_LoadAware(benchmark::State& state) {
  const std::vector<Lease> leases = Leases();
  const std::vector<std::string> workers = Workers();
  size_t moved = 0;
  for (auto _ : state) {
    std::vector<internal::LeaseMove> moves =
        internal::BalanceByLoad(leases, workers, {});
    moved = moves.size();
    benchmark::DoNotOptimize(moves.data());
  }
  state.counters["moves"] = static_cast<double>(moved);
  state.SetItemsProcessed(state.iterations() * kLeases);
}
BENCHMARK(BM_Assign_LoadAware)->Unit(benchmark::kMillisecond);

// Baseline: sorting the 10,000 leases by key (pointers, from the same
// shuffled order each time), the least a round that looks at every lease in
// a deterministic order does.
void BM_Baseline_SortLeases(benchmark::State& state) {
  const std::vector<Lease> leases = Leases();
  std::vector<const Lease*> shuffled;
  for (const Lease& lease : leases) shuffled.push_back(&lease);
  std::vector<const Lease*> sorted;
  for (auto _ : state) {
    sorted = shuffled;
    std::sort(sorted.begin(), sorted.end(), [](const Lease* a, const Lease* b) {
      return a->lease_key < b->lease_key;
    });
    benchmark::DoNotOptimize(sorted.data());
  }
  state.SetItemsProcessed(state.iterations() * kLeases);
}
BENCHMARK(BM_Baseline_SortLeases)->Unit(benchmark::kMillisecond);

std::string MakeTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
      "/brook-bench-XXXXXX";
  if (::mkdtemp(&pattern[0]) == nullptr) return "";
  return pattern;
}

// A lease as a worker checkpoints it: owned, with a hash range and parents.
Lease CheckpointedLease() {
  Lease lease;
  lease.lease_key = "shardId-000000000007";
  lease.lease_owner = "worker-007";
  lease.hash_key_range = UniformHashKeyRanges(4)[1];
  lease.parent_shard_ids = {"shardId-000000000001"};
  return lease;
}

// One worker checkpointing one lease, each checkpoint a compare-and-set
// (read, check, write, rename). Arg: sync (1: durable against power loss,
// the default; 0: against a process crash only).
void BM_Checkpoint_Durable(benchmark::State& state) {
  const std::string dir = MakeTempDir();
  DurableLeaseStoreOptions options;
  options.sync = state.range(0) != 0;
  absl::StatusOr<std::unique_ptr<LeaseStore>> store =
      OpenDurableLeaseStore(dir, "app", options);
  if (!store.ok() ||
      !(*store)->CreateLeaseIfNotExists(CheckpointedLease()).ok()) {
    state.SkipWithError("cannot open the store");
    return;
  }
  absl::StatusOr<Lease> lease = (*store)->GetLease("shardId-000000000007");
  uint64_t sequence = 1'000'000;
  for (auto _ : state) {
    lease = (*store)->UpdateCheckpoint(
        *lease,
        ExtendedSequenceNumber::At(SequenceNumber::FromValue(++sequence)));
    if (!lease.ok()) {
      state.SkipWithError("checkpoint failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Checkpoint_Durable)
    ->Arg(1)
    ->Arg(0)
    ->ArgName("sync")
    ->UseRealTime();

// Baseline: write(2) of the same bytes (one lease file) at offset 0 of one
// file, then fdatasync: the least a durable checkpoint costs.
void BM_Baseline_WriteFdatasync(benchmark::State& state) {
  const std::string dir = MakeTempDir();
  const std::string bytes = internal::EncodeLeaseFile(CheckpointedLease());
  const int fd = ::open((dir + "/file").c_str(),
                        O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    state.SkipWithError("open failed");
    return;
  }
  for (auto _ : state) {
    if (::pwrite(fd, bytes.data(), bytes.size(), 0) !=
            static_cast<ssize_t>(bytes.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write failed");
      break;
    }
  }
  ::close(fd);
  state.counters["bytes"] = static_cast<double>(bytes.size());
  state.SetItemsProcessed(state.iterations());
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Baseline_WriteFdatasync)->UseRealTime();

}  // namespace
}  // namespace brook
