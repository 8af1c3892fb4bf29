// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The pieces of the spinning put-to-read latency (bench/README.md, "Issue
// 10"), each timed alone in one thread so that no scheduling or cache-line
// transfer between cores adds to it: the put of one 100-byte record to a
// durable stream that a follower has open, and the follower's wait-and-read
// of that record (WaitForRecords, which finds it published, then
// GetRecords). Their sum is what `BM_Latency_*/spin:1` cannot go below.
// Counter `p50`: the median time of the piece in ns.
// Part of brook_latency_bench.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "brook/consumer.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "bench_dir.h"

namespace brook {
namespace {

// A durable stream under $TMPDIR (or /tmp) with a following read-only open
// of it in this process, removed at the end.
class WriterAndFollower {
 public:
  WriterAndFollower() {
    writer_ = *Stream::Open(dir_.path() + "/s", StreamOptions(),
                            OpenMode::kCreateOnly);
    StreamOptions options;
    options.wait_spin = absl::Milliseconds(10);
    follower_ = *Stream::Open(dir_.path() + "/s", options, OpenMode::kReadOnly);
    producer_ = std::make_unique<Producer>(writer_.get());
    consumer_ = std::make_unique<Consumer>(follower_.get());
    iterator_ = *consumer_->GetShardIterator("shardId-000000000000",
                                             StartingPosition::TrimHorizon());
  }
  ~WriterAndFollower() {
    consumer_.reset();
    producer_.reset();
    follower_.reset();
    writer_.reset();
  }

  bool Put() { return producer_->PutRecord("k", data_).ok(); }
  // Waits for (finds) and reads the next record; false unless it read one.
  bool WaitAndRead() {
    if (!consumer_->WaitForRecords(iterator_, absl::Seconds(1))) return false;
    absl::StatusOr<GetRecordsResult> r = consumer_->GetRecords(iterator_);
    if (!r.ok() || r->records().size() != 1) return false;
    iterator_ = r->next_shard_iterator();
    return true;
  }

 private:
  BenchDir dir_;  // removed after the streams close
  const std::string data_ = std::string(100, 'd');
  std::unique_ptr<Stream> writer_;
  std::unique_ptr<Stream> follower_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<Consumer> consumer_;
  ShardIterator iterator_;
};

// Times one piece: the manual iteration time, and its nanoseconds kept for
// the median (`p50`), which preemption by other load on the machine moves
// far less than the mean.
class PieceTimer {
 public:
  explicit PieceTimer(benchmark::State& state) : state_(state) {
    nanos_.reserve(1 << 20);
  }
  ~PieceTimer() {
    if (nanos_.empty()) return;
    std::nth_element(nanos_.begin(), nanos_.begin() + nanos_.size() / 2,
                     nanos_.end());
    state_.counters["p50"] = static_cast<double>(nanos_[nanos_.size() / 2]);
  }
  void Start() { start_ = std::chrono::steady_clock::now(); }
  void Stop() {
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    state_.SetIterationTime(std::chrono::duration<double>(elapsed).count());
    if (nanos_.size() < nanos_.capacity()) {
      nanos_.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed)
              .count());
    }
  }

 private:
  benchmark::State& state_;
  std::vector<int64_t> nanos_;
  std::chrono::steady_clock::time_point start_;
};

// The put alone (the follower reads each record untimed).
void BM_Piece_Put(benchmark::State& state) {
  WriterAndFollower s;
  PieceTimer timer(state);
  for (auto _ : state) {
    timer.Start();
    const bool put = s.Put();
    timer.Stop();
    if (!put || !s.WaitAndRead()) {
      state.SkipWithError("put or read failed");
      break;
    }
  }
}
BENCHMARK(BM_Piece_Put)->UseManualTime();

// The follower's wait-and-read of a record already published (the put is
// untimed).
void BM_Piece_FollowWaitAndRead(benchmark::State& state) {
  WriterAndFollower s;
  PieceTimer timer(state);
  for (auto _ : state) {
    if (!s.Put()) {
      state.SkipWithError("put failed");
      break;
    }
    timer.Start();
    const bool read = s.WaitAndRead();
    timer.Stop();
    if (!read) {
      state.SkipWithError("read failed");
      break;
    }
  }
}
BENCHMARK(BM_Piece_FollowWaitAndRead)->UseManualTime();

}  // namespace
}  // namespace brook
