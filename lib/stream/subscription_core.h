// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The insides of include/brook/subscription.h: one subscription's reader,
// buffer and delivery (SubscriptionCore), and the registry of named consumers
// (FanOutRegistry).
//
// Lock order: a core's mu_ before the registry's mu_ (a core ending releases
// its (consumer, shard) slot under its own lock). The registry never calls a
// core while holding its mu_: it copies the cores out and cancels them
// after unlocking. No lock of either is held while the reader calls the
// stream (GetRecords, WaitForRecords) or while the handler runs.

#ifndef BROOK_LIB_STREAM_SUBSCRIPTION_CORE_H_
#define BROOK_LIB_STREAM_SUBSCRIPTION_CORE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/stream.h"
#include "brook/subscription.h"

#include "util/mutex.h"
#include "util/token_bucket.h"

namespace brook {
namespace internal {

class FanOutRegistry;

class SubscriptionCore {
 public:
  // `handler` empty: pull style. REQUIRES: `iterator` is valid.
  SubscriptionCore(Stream* stream, std::shared_ptr<FanOutRegistry> registry,
                   std::string consumer_arn, std::string shard_id,
                   ShardIterator iterator, const SubscribeOptions& options,
                   SubscriptionHandler handler);
  SubscriptionCore(const SubscriptionCore&) = delete;
  SubscriptionCore& operator=(const SubscriptionCore&) = delete;
  // REQUIRES: Join() was called.
  ~SubscriptionCore();

  // Starts the reader (and the delivery thread of a handler). Called once,
  // after the registry has given this core its slot.
  void Start();
  // Ends with `status` (kCancelled for an unsubscribe) unless ended already.
  void Cancel(absl::Status status);
  // Joins the threads. REQUIRES: not on one of them.
  void Join();

  const std::string& consumer_arn() const { return consumer_arn_; }
  const std::string& shard_id() const { return shard_id_; }

  absl::StatusOr<SubscribeToShardEvent> Next(absl::Duration timeout);
  absl::Status Wait();
  std::optional<absl::Status> final_status();
  int buffered_events();
  int64_t buffered_bytes();

 private:
  void ReadLoop();
  void DeliverLoop();
  // Runs the handler, turning an exception into kUnknown.
  absl::Status CallHandler(SubscribeToShardEvent& event);
  // The reader stops with `status` (OK at a closed shard's end); the
  // subscription ends once the buffer has been delivered.
  void FinishReading(absl::Status status);
  // Sets the final status, drops the buffer and gives the slot back.
  void EndLocked(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool BufferFullLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Stream* const stream_;
  Env* const env_;
  const Consumer consumer_;
  const std::shared_ptr<FanOutRegistry> registry_;
  const std::string consumer_arn_;
  const std::string shard_id_;
  const SubscribeOptions options_;
  const SubscriptionHandler handler_;
  ShardIterator iterator_;  // the reader thread's only

  Mutex mu_;
  CondVar space_;      // the buffer has room, or the subscription ended
  CondVar available_;  // an event was buffered, reading finished, or ended
  CondVar ended_cv_;   // ended, or a handler call returned
  std::deque<SubscribeToShardEvent> buffer_ ABSL_GUARDED_BY(mu_);
  std::deque<int64_t> event_bytes_ ABSL_GUARDED_BY(mu_);
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::Status> read_status_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> final_ ABSL_GUARDED_BY(mu_);
  bool in_handler_ ABSL_GUARDED_BY(mu_) = false;
  bool delivery_done_ ABSL_GUARDED_BY(mu_) = false;
  // Provisioned mode (`ThroughputOptions`): the subscriber's own bucket.
  // The reader waits (space_, on env_'s clock) until it is out of debt,
  // reads at most what it holds and takes what it read. Empty when off.
  std::optional<TokenBucket> pace_ ABSL_GUARDED_BY(mu_);
  // Waits for `pace_` as above; false if the subscription ended meanwhile.
  bool PaceLocked(GetRecordsOptions* read) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::thread reader_;
  std::thread delivery_;
};

class FanOutRegistry {
 public:
  explicit FanOutRegistry(Stream* stream);

  absl::StatusOr<StreamConsumerDescription> Register(absl::string_view name);
  absl::Status Deregister(absl::string_view consumer);
  std::vector<StreamConsumerDescription> List();
  absl::StatusOr<StreamConsumerDescription> Describe(
      absl::string_view consumer);
  // Takes the (consumer, shard) slot for `core`. kNotFound for an unknown
  // consumer, kAlreadyExists for a slot taken, kFailedPrecondition if closed.
  // Sets `*arn` to the consumer's ARN.
  absl::Status Acquire(absl::string_view consumer, absl::string_view shard_id,
                       std::string* arn);
  // Gives `core` the slot `Acquire()` took for it (it was made after);
  // false if the registry closed or the consumer went meanwhile.
  bool Attach(const std::string& arn, const std::string& shard_id,
              const std::shared_ptr<SubscriptionCore>& core);
  // Frees the slot if `core` holds it (the subscription ended). Idempotent.
  void Release(const std::string& arn, const std::string& shard_id,
               const SubscriptionCore* core);
  void Close();

 private:
  struct Entry {
    StreamConsumerDescription description;
    struct Slot {
      const SubscriptionCore* owner = nullptr;  // null while starting
      std::weak_ptr<SubscriptionCore> core;
    };
    // Shard id -> the subscription holding the slot.
    std::map<std::string, Slot> subscriptions;
  };
  // The entry whose ARN or name is `consumer`; null if none.
  Entry* FindLocked(absl::string_view consumer)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Stream* const stream_;
  Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_SUBSCRIPTION_CORE_H_
