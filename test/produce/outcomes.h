// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Collects the outcomes an `AsyncProducer` gives its callbacks, and lets a
// test block until some have arrived (a condition variable, not a sleep).

#ifndef BROOK_TEST_PRODUCE_OUTCOMES_H_
#define BROOK_TEST_PRODUCE_OUTCOMES_H_

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include "absl/status/statusor.h"
#include <catch2/catch.hpp>

#include "brook/async_producer.h"

namespace brook {
namespace testing {

class Outcomes {
 public:
  // A callback that records its outcome under `i`; each is called once.
  AsyncProducer::Callback Slot(int i) {
    return [this, i](const absl::StatusOr<AsyncPutResult>& r) {
      std::lock_guard<std::mutex> lock(mu_);
      // Called on the producer's thread: no Catch2 assertion here.
      if (!results_.emplace(i, r).second) ++duplicates_;
      cv_.notify_all();
    };
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(results_.size());
  }
  // Outcomes given twice for one record (a bug); checked at destruction.
  ~Outcomes() { CHECK(duplicates_ == 0); }
  bool has(int i) {
    std::lock_guard<std::mutex> lock(mu_);
    return results_.count(i) != 0;
  }
  // Blocks until `n` outcomes have arrived; fails the test after a minute of
  // real time (a hang, not a timing assumption).
  void WaitFor(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    const bool arrived = cv_.wait_for(lock, std::chrono::minutes(1), [&] {
      return static_cast<int>(results_.size()) >= n;
    });
    REQUIRE(arrived);
  }
  absl::StatusOr<AsyncPutResult> at(int i) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = results_.find(i);
    REQUIRE(it != results_.end());
    return it->second;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, absl::StatusOr<AsyncPutResult>> results_;
  int duplicates_ = 0;
};

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_PRODUCE_OUTCOMES_H_
