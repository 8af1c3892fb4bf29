// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// brook's lock and condition variable: std::mutex and
// std::condition_variable behind Abseil's thread-safety annotations.
//
// Why not absl::Mutex: Debian's Abseil is not built with the thread sanitizer,
// so the happens-before edges of absl::Mutex are invisible to it and every
// guarded access is reported as a race. std::mutex sits on pthreads, which the
// sanitizer intercepts. Clang's -Wthread-safety checks these as it would
// absl::Mutex (ABSL_GUARDED_BY, ABSL_EXCLUSIVE_LOCKS_REQUIRED, ...).

#ifndef BROOK_LIB_UTIL_MUTEX_H_
#define BROOK_LIB_UTIL_MUTEX_H_

#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

#include "brook/env.h"

namespace brook {
namespace internal {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    return mu_.try_lock();
  }
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

 private:
  Mutex* const mu_;
};

// The time on `env`'s clock (Env::NowMillis()) `timeout` from now, for
// CondVar::WaitUntil(): a part of a millisecond counts as a whole one, a
// timeout of zero or less is now, and an infinite one (or one past the end of
// the clock) is INT64_MAX, which never comes.
inline int64_t DeadlineAfter(Env* env, absl::Duration timeout) {
  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  const int64_t now = env->NowMillis();
  if (timeout <= absl::ZeroDuration()) return now;
  if (timeout == absl::InfiniteDuration()) return kNever;
  const int64_t millis = absl::ToInt64Milliseconds(
      absl::Ceil(timeout, absl::Milliseconds(1)));  // saturates at INT64_MAX
  return now > kNever - millis ? kNever : now + millis;
}

class CondVar {
 public:
  // Waits for a signal or until `env`'s clock reaches `deadline_millis`
  // (Env::WaitUntil(); INT64_MAX never comes); returns true if the deadline
  // has been reached. May return early: callers loop on their condition.
  // REQUIRES: `mu` is held; it is held again on return.
  bool WaitUntil(Mutex* mu, Env* env, int64_t deadline_millis) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    const bool reached = env->WaitUntil(cv_, lock, deadline_millis);
    lock.release();
    return reached;
  }
  void Wait(Mutex* mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  void SignalAll() { cv_.notify_all(); }
  void Signal() { cv_.notify_one(); }

 private:
  std::condition_variable cv_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_MUTEX_H_
