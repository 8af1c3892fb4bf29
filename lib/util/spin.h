// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Busy-waiting for the spinning waits (`StreamOptions::wait_spin`): a loop
// that polls a condition with the CPU's pause hint and looks at the clock
// only every 64 polls, so that a change is seen within a few tens of
// nanoseconds rather than one clock read later.

#ifndef BROOK_LIB_UTIL_SPIN_H_
#define BROOK_LIB_UTIL_SPIN_H_

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "brook/env.h"

namespace brook {
namespace internal {

// The CPU's spin-wait hint (x86 `pause`), nothing elsewhere.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Polls `done()` until it returns true (then returns true) or the real-time
// clock reaches `until` (then false).
template <typename Done>
bool SpinUntil(absl::Time until, Done done) {
  for (uint32_t polls = 1;; ++polls) {
    if (done()) return true;
    if ((polls & 63) == 0 && absl::Now() >= until) return false;
    CpuRelax();
  }
}

// Spins while `word` (acquire loads) equals `seen`; true once it differs,
// false when the real-time clock reaches `until` first.
template <typename T>
bool SpinWhileEqual(const std::atomic<T>& word, T seen, absl::Time until) {
  return SpinUntil(
      until, [&] { return word.load(std::memory_order_acquire) != seen; });
}

// When a spinning wait that starts at real time `now` stops spinning: after
// `spin`, or sooner if the wait's deadline (`deadline_millis` on `env`'s
// clock, as DeadlineAfter() gives it) comes first. The time left on `env`'s
// clock is counted in real time, which is exact for the system clock.
inline absl::Time SpinDeadline(Env* env, absl::Duration spin,
                               int64_t deadline_millis, absl::Time now) {
  const int64_t left = deadline_millis - env->NowMillis();
  return now + std::min(spin, absl::Milliseconds(std::max<int64_t>(left, 0)));
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_SPIN_H_
