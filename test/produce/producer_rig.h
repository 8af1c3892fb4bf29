// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What the AsyncProducer tests share: a producer made or the test fails, a
// memory stream behind a FaultStream on a manual clock, and a way to drive
// that clock while the sending thread backs off.

#ifndef BROOK_TEST_PRODUCE_PRODUCER_RIG_H_
#define BROOK_TEST_PRODUCE_PRODUCER_RIG_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <catch2/catch.hpp>

#include "brook/async_producer.h"
#include "brook/env.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "produce/fault_stream.h"
#include "testing/observing_env.h"
#include "testing/status_testing.h"

namespace brook {
namespace testing {

inline constexpr int64_t kStart = 1'700'000'000'000;

inline std::unique_ptr<AsyncProducer> MakeProducer(
    Stream* stream, const AsyncProducerOptions& o) {
  absl::StatusOr<std::unique_ptr<AsyncProducer>> p =
      AsyncProducer::Create(stream, o);
  BROOK_REQUIRE_OK(p);
  return std::move(*p);
}

// A memory stream with `so`'s options on `clock`.
inline std::unique_ptr<Stream> StreamOn(ManualClockEnv* clock,
                                        StreamOptions so) {
  so.env = clock;
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Create(so);
  BROOK_REQUIRE_OK(s);
  return std::move(*s);
}

// A memory stream behind a FaultStream, a manual clock, an ObservingEnv over
// it for the producer (its waits), and options that use it.
struct Rig {
  Rig() {
    options.env = &obs;
    options.linger = absl::ZeroDuration();
  }
  void FailAlways(absl::Status error) {
    stream.set_fault([error](absl::string_view,
                             absl::Span<const RoutedRecord>) { return error; });
  }
  ManualClockEnv clock{kStart};
  ObservingEnv obs{&clock};
  std::unique_ptr<Stream> target = MemoryStream(&clock);
  FaultStream stream{target.get()};
  AsyncProducerOptions options;
};

// Drives the clock for a producer whose only waits on `obs` are its sending
// thread's: each round waits until that thread blocks again (in a backoff, or
// idle once done), then moves the clock by `step`, until `done()`.
inline void DriveUntil(ObservingEnv* obs, ManualClockEnv* clock,
                       absl::Duration step, const std::function<bool()>& done) {
  int64_t waits = 1;
  for (int round = 0; !done(); ++round) {
    REQUIRE(round < 1000);
    waits = obs->AwaitBlocked(waits) + 1;
    clock->Advance(step);
  }
}

// The open shards of `stream`, by first hash key.
inline std::vector<ShardDescription> OpenShardsOf(Stream* stream) {
  std::vector<ShardDescription> open;
  for (const ShardDescription& d : stream->ListShards()) {
    if (d.is_open()) open.push_back(d);
  }
  std::sort(open.begin(), open.end(), [](const auto& a, const auto& b) {
    return a.hash_key_range.starting_hash_key <
           b.hash_key_range.starting_hash_key;
  });
  return open;
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_PRODUCE_PRODUCER_RIG_H_
