// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A one-shot barrier on std::mutex, which the thread sanitizer sees through
// (Debian's absl::Barrier is built on an uninstrumented absl::Mutex).

#ifndef BROOK_TEST_TESTING_BARRIER_H_
#define BROOK_TEST_TESTING_BARRIER_H_

#include <condition_variable>
#include <mutex>

namespace brook {
namespace testing {

class Barrier {
 public:
  explicit Barrier(int parties) : waiting_(parties) {}
  // Blocks until `parties` threads have called it.
  void ArriveAndWait() {
    std::unique_lock<std::mutex> lock(mu_);
    if (--waiting_ == 0) {
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [this] { return waiting_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_;
};

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_TESTING_BARRIER_H_
