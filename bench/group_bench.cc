// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Consumer group benchmarks (issue 11), each beside its baseline in the same
// binary: one assignment round for 10,000 leases over 100 workers against
// sorting 10,000 leases; checkpoints per second to the durable lease store
// against write(2) + fdatasync of the same bytes; a group of two workers
// consuming a memory stream against one consumer scanning one
// (`BM_Scan_Memory`, as in brook_core_bench). Directories go under $TMPDIR
// (or /tmp) and are removed afterwards. Figures: bench/README.md.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include <benchmark/benchmark.h>

#include "brook/consumer.h"
#include "brook/consumer_group.h"
#include "brook/lease.h"
#include "brook/partitioner.h"
#include "brook/shard.h"
#include "brook/stream.h"

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

// Consuming a memory stream.

constexpr int kConsumeShards = 4;
constexpr int kConsumeRecordsPerShard = 250'000;
constexpr int kAppendBatch = 500;

// Baseline (the same as brook_core_bench's): one consumer reading 64 MiB of
// records of one shard from TRIM_HORIZON, 10,000 records a call, over and
// over. Measured in wall time (brook_core_bench's runs on CPU time).
void BM_Scan_Memory(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  constexpr size_t kRing = size_t{64} << 20;
  StreamOptions options;
  options.segment_bytes = 4 << 20;
  std::unique_ptr<Stream> stream = *Stream::Create(options);
  Shard* shard = *stream->GetShard("shardId-000000000000");
  const std::string data(size, 'd');
  std::vector<RoutedRecord> batch(kAppendBatch,
                                  RoutedRecord{"k", data, 1, true});
  for (size_t bytes = 0; bytes < kRing; bytes += kAppendBatch * (size + 25)) {
    if (!shard->Append(batch).ok()) state.SkipWithError("append failed");
  }
  Consumer consumer(stream.get());
  const ShardIterator horizon =
      *consumer.GetShardIterator(shard->id(), StartingPosition::TrimHorizon());
  ShardIterator it = horizon;
  int64_t records = 0;
  for (auto _ : state) {
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(it);
    if (!r.ok()) state.SkipWithError("read failed");
    if (r->records().empty()) {
      it = horizon;
      continue;
    }
    records += static_cast<int64_t>(r->records().size());
    benchmark::DoNotOptimize(r->records().back().data.data());
    it = r->next_shard_iterator();
  }
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(records * static_cast<int64_t>(size));
}
// Wall time, as BM_Group_Consume (whose workers run on threads of their own).
BENCHMARK(BM_Scan_Memory)->Arg(100)->ArgName("record_bytes")->UseRealTime();

// What the processors of one BM_Group_Consume iteration share: a gate that
// holds every processor's first batch until all four shards have a
// processor (so the time measured is consuming, not joining and assigning),
// and the count of records delivered.
struct ConsumeRun {
  std::mutex mu;
  std::condition_variable cv;
  int initialized = 0;  // guarded by mu
  bool open = false;    // guarded by mu
  std::chrono::steady_clock::time_point opened_at;
  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> held{0};  // records of the first batches
  int64_t total = 0;
};

class CountingProcessor : public RecordProcessor {
 public:
  explicit CountingProcessor(ConsumeRun* run) : run_(run) {}
  void Initialize(const InitializationInput&) override {
    std::lock_guard<std::mutex> lock(run_->mu);
    if (++run_->initialized == kConsumeShards) {
      run_->open = true;
      run_->opened_at = std::chrono::steady_clock::now();
      run_->cv.notify_all();
    }
  }
  absl::Status ProcessRecords(const ProcessRecordsInput& input) override {
    const int64_t n = static_cast<int64_t>(input.records.size());
    if (first_) {
      first_ = false;
      run_->held.fetch_add(n, std::memory_order_relaxed);
      std::unique_lock<std::mutex> lock(run_->mu);
      run_->cv.wait(lock, [&] { return run_->open; });
    }
    const int64_t before =
        run_->delivered.fetch_add(n, std::memory_order_relaxed);
    if (before < run_->total && before + n >= run_->total) {
      std::lock_guard<std::mutex> lock(run_->mu);
      run_->cv.notify_all();
    }
    return absl::OkStatus();
  }
  void LeaseLost() override {}
  void ShardEnded(Checkpointer& c) override { (void)c.Checkpoint(); }
  void ShutdownRequested(Checkpointer& c) override { (void)c.Checkpoint(); }

 private:
  ConsumeRun* const run_;
  bool first_ = true;
};

// Two workers, each on its own threads, holding two of four shards each
// (max_leases_per_worker = 2) of a memory stream of 1,000,000 records of
// 100 bytes, with processors that only count. Each iteration is a new group
// (a new memory lease store) reading from TRIM_HORIZON; its time runs from
// the moment all four processors were made to the last record delivered,
// and counts the records delivered in it (the first batch of each shard,
// read before, is left out). Compare items/s with BM_Scan_Memory.
void BM_Group_Consume(benchmark::State& state) {
  StreamOptions options;
  options.shard_count = kConsumeShards;
  options.segment_bytes = 4 << 20;
  std::unique_ptr<Stream> stream = *Stream::Create(options);
  const std::string data(100, 'd');
  for (const ShardDescription& d : stream->ListShards()) {
    Shard* shard = *stream->GetShard(d.shard_id);
    std::vector<RoutedRecord> batch(
        kAppendBatch,
        RoutedRecord{"k", data, d.hash_key_range.starting_hash_key, true});
    for (int n = 0; n < kConsumeRecordsPerShard; n += kAppendBatch) {
      if (!shard->Append(batch).ok()) state.SkipWithError("append failed");
    }
  }
  int64_t items = 0;
  for (auto _ : state) {
    ConsumeRun run;
    run.total = int64_t{kConsumeShards} * kConsumeRecordsPerShard;
    std::unique_ptr<LeaseStore> store = NewMemoryLeaseStore();
    std::vector<std::unique_ptr<Worker>> workers;
    for (int w = 0; w < 2; ++w) {
      WorkerOptions worker_options;
      worker_options.worker_id = absl::StrFormat("worker-%d", w);
      worker_options.failover_time = absl::Milliseconds(300);
      worker_options.max_leases_per_worker = 2;
      worker_options.initial_position = ExtendedSequenceNumber::TrimHorizon();
      absl::StatusOr<std::unique_ptr<Worker>> worker = Worker::Create(
          stream.get(), store.get(),
          [&run](absl::string_view) {
            return std::make_unique<CountingProcessor>(&run);
          },
          worker_options);
      if (!worker.ok() || !(*worker)->Start().ok()) {
        state.SkipWithError("cannot start a worker");
        return;
      }
      workers.push_back(std::move(*worker));
    }
    std::chrono::steady_clock::time_point done;
    {
      std::unique_lock<std::mutex> lock(run.mu);
      if (!run.cv.wait_for(lock, std::chrono::seconds(60),
                           [&] { return run.delivered.load() >= run.total; })) {
        state.SkipWithError("the group did not deliver every record");
        return;
      }
      done = std::chrono::steady_clock::now();
    }
    state.SetIterationTime(
        std::chrono::duration<double>(done - run.opened_at).count());
    items += run.total - run.held.load();
    for (std::unique_ptr<Worker>& w : workers) {
      if (!w->Shutdown().ok()) state.SkipWithError("shutdown failed");
    }
  }
  state.SetItemsProcessed(items);
  state.SetBytesProcessed(items * 100);
}
BENCHMARK(BM_Group_Consume)->UseManualTime()->Iterations(5);

}  // namespace
}  // namespace brook
