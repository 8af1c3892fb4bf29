// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The shard's waits for records in a stream written in this process: sleep
// on the condition variable, or (`StreamOptions::wait_spin`) spin on the
// shard's wake line first. A follower's waits are in shard_follow.cc.

#include <algorithm>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "stream/shard_impl.h"
#include "stream/stream_impl.h"
#include "util/spin.h"

namespace brook {
namespace internal {

bool ShardImpl::WaitForRecords(const ShardIterator& iterator,
                               absl::Duration timeout,
                               WaitInterrupt* interrupt) const {
  if (WaitForPosition(iterator.position_,
                      DeadlineAfter(stream_->env(), timeout), interrupt)) {
    return true;
  }
  MutexLock lock(&mu_);
  return closed_;  // its end (and children) are there to read
}

bool ShardImpl::WaitForPosition(uint64_t position, int64_t deadline_millis,
                                WaitInterrupt* interrupt) const {
  if (stream_->following()) {
    return FollowWait(position, deadline_millis, interrupt);
  }
  Env* const env = stream_->env();
  const absl::Duration spin = stream_->fixed_options().wait_spin;
  // Registered before the first look at `interrupt`, so an interrupt after
  // that look signals us (it takes `mu_`, which the wait releases).
  const uint64_t waker = interrupt == nullptr ? 0 : interrupt->AddWaker([this] {
    MutexLock lock(&mu_);
    WakeWaiters();
  });
  auto leave = [&](bool published) {
    wake_.waiters.fetch_sub(1, std::memory_order_relaxed);
    if (interrupt != nullptr) interrupt->RemoveWaker(waker);
    return published;
  };
  // Set at the first look that finds nothing: a wait that finds the record
  // at once reads no clock for it.
  absl::Time spin_until = absl::InfinitePast();
  mu_.Lock();
  wake_.waiters.fetch_add(1, std::memory_order_relaxed);
  // A closed shard publishes nothing more: stop waiting.
  while (std::max(position, trim_position_) >= end_position_ && !closed_ &&
         (interrupt == nullptr || !interrupt->interrupted())) {
    if (spin > absl::ZeroDuration()) {
      // Spin without `mu_` until a wake-up (WakeWaiters() raises the counter
      // after every change looked at here, and our `waiters` makes the
      // writer call it). A publication past `position` returns at once: the
      // record is readable (the trim moves at most up to the end, and a new
      // record lands in the open shard's newest segment, which retention
      // keeps). Anything else is looked at again under `mu_`.
      const absl::Time now = absl::Now();
      if (spin_until == absl::InfinitePast()) {
        spin_until = SpinDeadline(env, spin, deadline_millis, now);
      }
      if (now < spin_until) {
        const uint64_t seen = wake_.count.load(std::memory_order_acquire);
        mu_.Unlock();
        const bool woken = SpinWhileEqual(wake_.count, seen, spin_until);
        // Stored before the count that woken saw (acquire): at least that
        // publication's end.
        if (woken && wake_.end.load(std::memory_order_relaxed) > position) {
          return leave(true);
        }
        mu_.Lock();
        if (!woken && env->NowMillis() >= deadline_millis) break;
        continue;
      }
    }
    if (published_.WaitUntil(&mu_, env, deadline_millis)) break;
  }
  const bool published = std::max(position, trim_position_) < end_position_;
  mu_.Unlock();
  return leave(published);
}

}  // namespace internal
}  // namespace brook
