// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `ManualClockEnv`: a clock that moves only when told, and waits that end when
// it reaches their deadline.

#include <algorithm>
#include <cstdint>
#include <limits>

#include "brook/env.h"

namespace brook {
namespace {

constexpr int64_t kMaxMicros = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxMillis = kMaxMicros / 1000;

int64_t MillisToMicros(int64_t millis) {
  return std::clamp(millis, -kMaxMillis, kMaxMillis) * 1000;
}

}  // namespace

// A thread blocked in WaitUntil(). Shared with ClockMoved(), which may still
// hold it after the waiter returned: `active` says whether `cv` and `mu` may
// still be touched.
struct ManualClockEnv::Waiter {
  std::mutex state_mu;  // before the waiter's own mutex
  bool active = true;   // guarded by state_mu
  std::condition_variable* cv = nullptr;
  std::mutex* mu = nullptr;
};

ManualClockEnv::ManualClockEnv(int64_t now_millis)
    : EnvWrapper(Env::Default()), now_micros_(MillisToMicros(now_millis)) {}

ManualClockEnv::~ManualClockEnv() = default;

int64_t ManualClockEnv::NowMillis() {
  const int64_t micros = now_micros_.load(std::memory_order_acquire);
  // Rounds down, also before the epoch.
  return micros / 1000 - (micros % 1000 < 0 ? 1 : 0);
}

void ManualClockEnv::SetNowMillis(int64_t now_millis) {
  now_micros_.store(MillisToMicros(now_millis), std::memory_order_release);
  ClockMoved();
}

void ManualClockEnv::Advance(absl::Duration delta) {
  if (delta == absl::InfiniteDuration() || delta == -absl::InfiniteDuration()) {
    // To the end of the clock's range, from wherever it is.
    now_micros_.store(delta > absl::ZeroDuration() ? kMaxMicros : -kMaxMicros,
                      std::memory_order_release);
    ClockMoved();
    return;
  }
  // Towards zero, saturating at the ends of int64_t.
  MoveMicros(absl::ToInt64Microseconds(delta));
}

void ManualClockEnv::SleepFor(absl::Duration duration) {
  if (duration > absl::ZeroDuration()) Advance(duration);
}

void ManualClockEnv::MoveMicros(int64_t micros) {
  if (micros == 0) return;
  int64_t now = now_micros_.load(std::memory_order_relaxed);
  int64_t next;
  do {
    // Saturating: the clock stops at the ends of its range.
    if (micros > 0) {
      next = now > kMaxMicros - micros ? kMaxMicros : now + micros;
    } else {
      next = now < -kMaxMicros - micros ? -kMaxMicros : now + micros;
    }
  } while (
      !now_micros_.compare_exchange_weak(now, next, std::memory_order_acq_rel));
  ClockMoved();
}

bool ManualClockEnv::WaitUntil(std::condition_variable& cv,
                               std::unique_lock<std::mutex>& lock,
                               int64_t deadline_millis) {
  if (NowMillis() >= deadline_millis) return true;
  auto waiter = std::make_shared<Waiter>();
  waiter->cv = &cv;
  waiter->mu = lock.mutex();
  {
    std::lock_guard<std::mutex> registry(waiters_mu_);
    waiters_.push_back(waiter);
  }
  // The clock moves before ClockMoved() reads the registry, and ClockMoved()
  // notifies while holding the waiter's mutex, which this thread holds from
  // the check below until cv.wait() releases it: no move goes unnoticed.
  if (NowMillis() < deadline_millis) cv.wait(lock);
  // Unregister without the caller's mutex (ClockMoved() takes state_mu first).
  lock.unlock();
  {
    std::lock_guard<std::mutex> state(waiter->state_mu);
    waiter->active = false;
  }
  {
    std::lock_guard<std::mutex> registry(waiters_mu_);
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), waiter));
  }
  lock.lock();
  return NowMillis() >= deadline_millis;
}

void ManualClockEnv::ClockMoved() {
  std::vector<std::shared_ptr<Waiter>> waiters;
  {
    std::lock_guard<std::mutex> registry(waiters_mu_);
    waiters = waiters_;
  }
  for (const std::shared_ptr<Waiter>& w : waiters) {
    std::lock_guard<std::mutex> state(w->state_mu);
    if (!w->active) continue;
    std::lock_guard<std::mutex> held(*w->mu);
    w->cv->notify_all();
  }
}

}  // namespace brook
