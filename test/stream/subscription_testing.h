// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Helpers for subscription tests (subscription_test.cc and
// subscription_contract_test.cc): numbered records, a handler that collects
// what it is given, and pull-style reads.

#ifndef BROOK_TEST_STREAM_SUBSCRIPTION_TESTING_H_
#define BROOK_TEST_STREAM_SUBSCRIPTION_TESTING_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/producer.h"
#include "brook/stream.h"
#include "brook/subscription.h"

namespace brook {
namespace testing {

constexpr absl::string_view kShard0 = "shardId-000000000000";

inline std::string Payload(int i) { return absl::StrCat("record-", i); }

inline void Append(Stream* stream, int from, int to) {
  Producer producer(stream);
  for (int i = from; i < to; ++i) {
    REQUIRE(producer.PutRecord("key", Payload(i)).ok());
  }
}

// Options for tests: a short poll so that joins are quick on the real clock.
inline SubscribeOptions FastOptions() {
  SubscribeOptions o;
  o.poll_interval = absl::Milliseconds(5);
  return o;
}

// What a handler saw, and a wait for it without sleeping.
class Collector {
 public:
  absl::Status Add(const SubscribeToShardEvent& event) {
    std::lock_guard<std::mutex> lock(mu_);
    ++events_;
    if (event.records().empty()) ++empty_events_;
    for (const Record& r : event.records()) {
      data_.emplace_back(r.data);
      sequence_.push_back(r.sequence_number);
    }
    if (!event.records().empty()) {
      continuation_ok_ &= event.continuation_sequence_number().has_value() &&
                          *event.continuation_sequence_number() ==
                              event.records().back().sequence_number;
    }
    if (!event.child_shards().empty()) children_ = event.child_shards();
    cv_.notify_all();
    return absl::OkStatus();
  }
  void WaitForRecords(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return data_.size() >= n; });
  }
  std::vector<std::string> data() {
    std::lock_guard<std::mutex> lock(mu_);
    return data_;
  }
  int events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  bool continuation_ok() {
    std::lock_guard<std::mutex> lock(mu_);
    return continuation_ok_;
  }
  bool increasing() {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 1; i < sequence_.size(); ++i) {
      if (!(sequence_[i - 1] < sequence_[i])) return false;
    }
    return true;
  }
  std::vector<ChildShard> children() {
    std::lock_guard<std::mutex> lock(mu_);
    return children_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int events_ = 0;
  int empty_events_ = 0;
  bool continuation_ok_ = true;
  std::vector<std::string> data_;
  std::vector<SequenceNumber> sequence_;
  std::vector<ChildShard> children_;
};

inline void CheckInOrder(const std::vector<std::string>& data, int n) {
  REQUIRE(static_cast<int>(data.size()) == n);
  for (int i = 0; i < n; ++i) {
    if (data[i] != Payload(i)) FAIL("record " << i << " is " << data[i]);
  }
}

// Drains a pull-style subscription until it ends; returns the records.
inline std::vector<std::string> Drain(
    Subscription* sub, std::vector<ChildShard>* children = nullptr) {
  std::vector<std::string> out;
  for (;;) {
    absl::StatusOr<SubscribeToShardEvent> e =
        sub->Next(absl::InfiniteDuration());
    if (!e.ok()) {
      CHECK(absl::IsOutOfRange(e.status()));
      return out;
    }
    for (const Record& r : e->records()) out.emplace_back(r.data);
    if (children != nullptr && !e->child_shards().empty()) {
      *children = e->child_shards();
    }
  }
}

// Takes `n` records from a pull-style subscription.
inline std::vector<std::string> ReadN(Subscription* sub, int n) {
  std::vector<std::string> out;
  while (static_cast<int>(out.size()) < n) {
    absl::StatusOr<SubscribeToShardEvent> e =
        sub->Next(absl::InfiniteDuration());
    REQUIRE(e.ok());
    for (const Record& r : e->records()) out.emplace_back(r.data);
  }
  return out;
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_STREAM_SUBSCRIPTION_TESTING_H_
