// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The throughput of a follower (issue 10): `BM_Follow_Scan` reads a 1 GiB
// stream that another process wrote, through a read-only open, beside its
// baseline `BM_Scan_Memory` reading the same records from a memory stream.
// See bench/README.md, section "Issue 10". Part of brook_latency_bench.

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "brook/consumer.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "bench_dir.h"
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace {

constexpr size_t kScanRecordBytes = 1024;
constexpr int64_t kScanStreamBytes = int64_t{1} << 30;  // data bytes
constexpr int kScanBatch = 500;

StreamOptions ScanOptions() {
  StreamOptions options;
  options.segment_bytes = 4 << 20;
  return options;
}

// Appends the scan records (1 GiB of data in 1 KiB records, one shard) to
// `stream`.
bool FillScanStream(Stream& stream) {
  Shard* shard = *stream.GetShard("shardId-000000000000");
  const std::string data(kScanRecordBytes, 'd');
  std::vector<RoutedRecord> batch(kScanBatch, RoutedRecord{"k", data, 1, true});
  for (int64_t bytes = 0; bytes < kScanStreamBytes;
       bytes += kScanBatch * static_cast<int64_t>(kScanRecordBytes)) {
    if (!shard->Append(batch).ok()) return false;
  }
  return true;
}

// The 1 GiB stream directory, written once per run by a child process.
class ScanFixture {
 public:
  // Written at the first call; removed when the program exits.
  static ScanFixture& Get() {
    static ScanFixture fixture;
    return fixture;
  }
  const std::string& path() const { return path_; }
  bool ok() const { return ok_; }

 private:
  ScanFixture() : path_(dir_.path() + "/s") {
    const pid_t child = ::fork();
    if (child == 0) {
      absl::StatusOr<std::unique_ptr<Stream>> s =
          Stream::Open(path_, ScanOptions(), OpenMode::kCreateOnly);
      if (!s.ok() || !FillScanStream(**s) || !(*s)->Close().ok()) _exit(2);
      _exit(0);
    }
    int status = 0;
    ok_ = ::waitpid(child, &status, 0) == child && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0;
  }

  BenchDir dir_;
  std::string path_;
  bool ok_ = false;
};

// Reads the shard from TRIM_HORIZON, 10000 records a call, starting over
// at its end; the timed part of both scans.
void ScanLoop(benchmark::State& state, Stream* stream) {
  Consumer consumer(stream);
  const ShardIterator horizon = *consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  // Warm up: one pass, so that a read-only open has mapped its segments.
  for (ShardIterator it = horizon;;) {
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(it);
    if (!r.ok()) {
      state.SkipWithError("read failed");
      return;
    }
    if (r->records().empty()) break;
    it = r->next_shard_iterator();
  }
  ShardIterator it = horizon;
  int64_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(it);
    if (!r.ok()) {
      state.SkipWithError("read failed");
      break;
    }
    if (r->records().empty()) {
      it = horizon;
      continue;
    }
    for (const Record& rec : r->records()) {
      bytes += static_cast<int64_t>(rec.data.size());
    }
    benchmark::DoNotOptimize(r->records().back().data.data());
    it = r->next_shard_iterator();
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(bytes / static_cast<int64_t>(kScanRecordBytes));
}

// Baseline: the same records in a memory stream of this process.
void BM_Scan_Memory(benchmark::State& state) {
  static const std::unique_ptr<Stream> stream = [] {
    std::unique_ptr<Stream> s = *Stream::Create(ScanOptions());
    if (!FillScanStream(*s)) std::abort();
    return s;
  }();
  ScanLoop(state, stream.get());
}
BENCHMARK(BM_Scan_Memory)->UseRealTime();

// A read-only open (a follower) of the 1 GiB stream another process wrote.
void BM_Follow_Scan(benchmark::State& state) {
  ScanFixture& fixture = ScanFixture::Get();
  if (!fixture.ok()) {
    state.SkipWithError("writing the 1 GiB stream failed");
    return;
  }
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(fixture.path(), StreamOptions(), OpenMode::kReadOnly);
  if (!stream.ok()) {
    state.SkipWithError("read-only open failed");
    return;
  }
  ScanLoop(state, stream->get());
}
BENCHMARK(BM_Follow_Scan)->UseRealTime();

}  // namespace
}  // namespace brook
