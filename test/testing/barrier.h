// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A reusable barrier on std::mutex, which the thread sanitizer sees through
// (Debian's absl::Barrier is built on an uninstrumented absl::Mutex).

#ifndef BROOK_TEST_TESTING_BARRIER_H_
#define BROOK_TEST_TESTING_BARRIER_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace brook {
namespace testing {

class Barrier {
 public:
  explicit Barrier(int parties) : parties_(parties), waiting_(parties) {}
  // Blocks until `parties` threads have called it. Reusable: once they have,
  // the next `parties` calls form the next round.
  void ArriveAndWait() {
    std::unique_lock<std::mutex> lock(mu_);
    if (--waiting_ == 0) {
      waiting_ = parties_;
      ++round_;
      cv_.notify_all();
      return;
    }
    const uint64_t round = round_;
    cv_.wait(lock, [this, round] { return round_ != round; });
  }

 private:
  const int parties_;
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_;
  uint64_t round_ = 0;
};

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_TESTING_BARRIER_H_
