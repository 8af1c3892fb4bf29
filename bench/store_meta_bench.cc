// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Durable store benchmarks of shard metadata: reshards (UpdateShardCount)
// against the directories they must create, and opening a stream of many
// shards. Part of brook_store_bench (store_bench.cc has the append, sync and
// recovery benchmarks). Figures and commands: bench/README.md.

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include <benchmark/benchmark.h>

#include "brook/partitioner.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "bench_dir.h"
#include "stream/stream_impl.h"
#include "util/shard_id.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace brook {
namespace {

// A new stream of `shards` shards and 64 KiB segments in `dir`; null (and
// the benchmark skipped with an error) if it cannot be opened.
std::unique_ptr<Stream> OpenSmallSegments(benchmark::State& state,
                                          const std::string& dir, int shards) {
  StreamOptions options;
  options.shard_count = shards;
  options.segment_bytes = 64 << 10;
  absl::StatusOr<std::unique_ptr<Stream>> s =
      Stream::Open(dir, options, OpenMode::kCreateIfMissing);
  if (!s.ok()) {
    state.SkipWithError("open failed");
    return nullptr;
  }
  return *std::move(s);
}

// UpdateShardCount on a durable stream (kNone; the metadata write is synced
// whatever the policy) from state.range(0) to state.range(1) open shards,
// the Kinesis limits lifted. Each iteration opens a fresh directory, outside
// the timing. 1 -> 1000 creates 1998 shards, 1000 -> 1 creates 999.
void BM_UpdateShardCount(benchmark::State& state) {
  const int from = static_cast<int>(state.range(0));
  const int to = static_cast<int>(state.range(1));
  UpdateShardCountOptions any_target;
  any_target.kinesis_scaling_limits = false;
  size_t created = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {
      BenchDir dir;
      std::unique_ptr<Stream> s = OpenSmallSegments(state, dir.path(), from);
      if (s == nullptr) break;
      state.ResumeTiming();
      absl::Status updated = s->UpdateShardCount(to, any_target);
      state.PauseTiming();
      if (!updated.ok()) {
        state.SkipWithError("UpdateShardCount failed");
        break;
      }
      created = s->ListShards().size() - static_cast<size_t>(from);
      if (!s->Close().ok()) state.SkipWithError("close failed");
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(created));
  state.counters["created_shards"] =
      benchmark::Counter(static_cast<double>(created));
}
BENCHMARK(BM_UpdateShardCount)
    ->Args({1, 250})
    ->Args({1, 1000})
    ->Args({1000, 1})
    ->ArgNames({"from", "to"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same 1 -> state.range(0) splits made one SplitShard() call at a time
// (250 to keep CI's smoke run short; 1000 took 20.6 s, see bench/README.md),
// as UpdateShardCount made them before it planned them: each call makes two
// directories and rewrites all of STREAM.
void BM_UpdateShardCount_OneCallPerSplit(benchmark::State& state) {
  const int to = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    {
      BenchDir dir;
      std::unique_ptr<Stream> s = OpenSmallSegments(state, dir.path(), 1);
      if (s == nullptr) break;
      const std::vector<HashKeyRange> target = UniformHashKeyRanges(to);
      state.ResumeTiming();
      // Boundary i falls in the high child of the previous split.
      for (int i = 1; i < to; ++i) {
        const uint32_t parent = i == 1 ? 0 : static_cast<uint32_t>(2 * i - 2);
        if (!s->SplitShard(internal::ShardIdFromNumber(parent),
                           HashKeyToString(target[i].starting_hash_key))
                 .ok()) {
          state.SkipWithError("SplitShard failed");
          break;
        }
      }
      state.PauseTiming();
      if (!s->Close().ok()) state.SkipWithError("close failed");
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 2 * (to - 1));
}
BENCHMARK(BM_UpdateShardCount_OneCallPerSplit)
    ->Arg(250)
    ->ArgName("to")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The least I/O such a call needs: make state.range(0) empty directories,
// sync their parent once, and replace a file of 48 bytes per directory
// durably (write, fsync, rename, directory fsync), as STREAM is replaced.
void BM_Baseline_MakeShardDirs(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string meta(static_cast<size_t>(n) * 48, 'm');
  for (auto _ : state) {
    state.PauseTiming();
    {
      BenchDir dir;
      state.ResumeTiming();
      for (int i = 0; i < n; ++i) {
        if (::mkdir(absl::StrCat(dir.path(), "/", i).c_str(), 0755) != 0) {
          std::abort();
        }
      }
      const std::string tmp = dir.path() + "/META.tmp";
      const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 ||
          ::write(fd, meta.data(), meta.size()) !=
              static_cast<ssize_t>(meta.size()) ||
          ::fsync(fd) != 0 || ::close(fd) != 0 ||
          ::rename(tmp.c_str(), (dir.path() + "/META").c_str()) != 0) {
        std::abort();
      }
      const int d = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
      if (d < 0 || ::fsync(d) != 0 || ::close(d) != 0) std::abort();
      state.PauseTiming();
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Baseline_MakeShardDirs)
    ->Arg(1998)
    ->Arg(999)
    ->ArgName("dirs")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Opening a stream of 1,000 shards, each holding one small batch in a 1 MiB
// segment (the rest of each file is preallocated zeros): the writer's clean
// open (the baseline), a read-only open of the clean directory, and a
// read-only open of an unclean one (a live or crashed writer: every frame is
// checksummed and each shard's tail looked past). Issue 7: the read-only
// opens must cost about what the writer's does, not scan the preallocated
// space.
void BM_Open_ManyShards(benchmark::State& state) {
  const int64_t mode = state.range(0);  // 0 writer, 1 read-only, 2 unclean
  BenchDir dir;
  {
    StreamOptions options;
    options.shard_count = 1000;
    options.segment_bytes = int64_t{1} << 20;
    absl::StatusOr<std::unique_ptr<Stream>> s =
        Stream::Open(dir.path(), options, OpenMode::kCreateIfMissing);
    if (!s.ok()) std::abort();
    for (const ShardDescription& d : (*s)->ListShards()) {
      const std::vector<RoutedRecord> batch(
          10, RoutedRecord{"k", "data", d.hash_key_range.starting_hash_key});
      if (!(*(*s)->GetShard(d.shard_id))->Append(batch).ok()) std::abort();
    }
    if (mode == 2) {
      static_cast<internal::StreamImpl*>(s->get())->SimulateCrashForTesting();
    } else if (!(*s)->Close().ok()) {
      std::abort();
    }
  }
  int64_t checksummed = 0;
  // The writer's reopen takes the stored options (1,000 shards) as they are.
  StreamOptions reopen;
  reopen.accept_stored_options = true;
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<Stream>> s =
        Stream::Open(dir.path(), reopen,
                     mode == 0 ? OpenMode::kMustExist : OpenMode::kReadOnly);
    if (!s.ok() || (*s)->recovery_report().clean_shutdown != (mode != 2)) {
      state.SkipWithError("open failed or found the wrong state");
      break;
    }
    checksummed += (*s)->recovery_report().checksummed_bytes;
    state.PauseTiming();
    if (mode == 0 && !(*s)->Close().ok()) state.SkipWithError("close failed");
    s->reset();
    state.ResumeTiming();
  }
  state.counters["checksummed_KiB"] = benchmark::Counter(
      static_cast<double>(checksummed) / state.iterations() / 1024);
}
BENCHMARK(BM_Open_ManyShards)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("mode")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace brook
