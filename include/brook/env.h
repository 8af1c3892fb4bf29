// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// An `Env` is brook's window on the operating system: every clock reading a
// stream makes goes through one, so a test can drive time by hand instead of
// sleeping (leveldb's Env). Later releases route file and mmap access through
// it as well.
//
// Thread safety: every method of an `Env` may be called from any thread.
//
// Example:
//   brook::ManualClockEnv env(/*now_millis=*/1'700'000'000'000);
//   brook::StreamOptions options;
//   options.env = &env;
//   ... env.AdvanceMillis(1000);  // records appended now arrive 1 s later

#ifndef BROOK_ENV_H_
#define BROOK_ENV_H_

#include <atomic>
#include <cstdint>

#include "brook/export.h"

namespace brook {

class BROOK_EXPORT Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env();

  // The process-wide default environment: the system's real-time clock. Never
  // null; owned by brook; lives until the process exits.
  static Env* Default();

  // Milliseconds since the Unix epoch. Streams stamp records with it
  // (ApproximateArrivalTimestamp) and apply age retention with it. It need not
  // be monotonic: a stream never stamps a record earlier than the one before it
  // in the same shard.
  virtual int64_t NowMillis() = 0;
};

// An `Env` whose clock stands still until the test moves it.
// Thread safety: all methods are safe to call concurrently.
class BROOK_EXPORT ManualClockEnv : public Env {
 public:
  explicit ManualClockEnv(int64_t now_millis = 0) : now_millis_(now_millis) {}

  int64_t NowMillis() override {
    return now_millis_.load(std::memory_order_acquire);
  }
  void SetNowMillis(int64_t now_millis) {
    now_millis_.store(now_millis, std::memory_order_release);
  }
  void AdvanceMillis(int64_t delta) {
    now_millis_.fetch_add(delta, std::memory_order_acq_rel);
  }

 private:
  std::atomic<int64_t> now_millis_;
};

}  // namespace brook

#endif  // BROOK_ENV_H_
