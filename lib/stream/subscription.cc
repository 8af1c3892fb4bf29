// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A subscription's reader and delivery (see subscription_core.h).

#include "brook/subscription.h"

#include <algorithm>
#include <cassert>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"

#include "stream/subscription_core.h"
#include "stream/throughput_limits.h"

namespace brook {

SubscribeToShardEvent::SubscribeToShardEvent() = default;
SubscribeToShardEvent::SubscribeToShardEvent(SubscribeToShardEvent&&) noexcept =
    default;
SubscribeToShardEvent& SubscribeToShardEvent::operator=(
    SubscribeToShardEvent&&) noexcept = default;
SubscribeToShardEvent::~SubscribeToShardEvent() = default;

namespace internal {

SubscriptionCore::SubscriptionCore(Stream* stream,
                                   std::shared_ptr<FanOutRegistry> registry,
                                   std::string consumer_arn,
                                   std::string shard_id, ShardIterator iterator,
                                   const SubscribeOptions& options,
                                   SubscriptionHandler handler)
    : stream_(stream),
      env_(stream->options().env != nullptr ? stream->options().env
                                            : Env::Default()),
      consumer_(stream),
      registry_(std::move(registry)),
      consumer_arn_(std::move(consumer_arn)),
      shard_id_(std::move(shard_id)),
      options_(options),
      handler_(std::move(handler)),
      iterator_(iterator) {
  const ThroughputOptions throughput = stream->options().throughput;
  if (throughput.provisioned) {
    MutexLock lock(&mu_);
    pace_.emplace(MakeBucket(throughput.subscriber_bytes_per_second,
                             throughput.burst, env_->NowMillis()));
  }
}

SubscriptionCore::~SubscriptionCore() {
  assert(!reader_.joinable() && !delivery_.joinable());
}

void SubscriptionCore::Start() {
  reader_ = std::thread([this] { ReadLoop(); });
  if (handler_) delivery_ = std::thread([this] { DeliverLoop(); });
}

void SubscriptionCore::Join() {
  if (reader_.joinable()) reader_.join();
  if (delivery_.joinable()) delivery_.join();
}

bool SubscriptionCore::BufferFullLocked() const {
  return static_cast<int64_t>(buffer_.size()) >= options_.max_buffered_events ||
         bytes_ >= options_.max_buffered_bytes;
}

void SubscriptionCore::EndLocked(absl::Status status) {
  if (final_.has_value()) return;
  final_ = std::move(status);
  buffer_.clear();
  event_bytes_.clear();
  bytes_ = 0;
  space_.SignalAll();
  available_.SignalAll();
  ended_cv_.SignalAll();
  registry_->Release(consumer_arn_, shard_id_, this);
}

void SubscriptionCore::Cancel(absl::Status status) {
  MutexLock lock(&mu_);
  EndLocked(std::move(status));
}

void SubscriptionCore::FinishReading(absl::Status status) {
  MutexLock lock(&mu_);
  read_status_ = status;
  // A pull-style subscription with nothing left to hand out ends now; the
  // delivery thread of a handler ends it after its last call.
  if (!handler_ && buffer_.empty()) EndLocked(std::move(status));
  available_.SignalAll();
}

void SubscriptionCore::ReadLoop() {
  std::optional<SequenceNumber> continuation;
  // Set once the stream was seen closed before a read began: a read that
  // then finds nothing new has read everything the stream will ever hold.
  bool closed_before_read = false;
  for (;;) {
    GetRecordsOptions read;
    read.limit = options_.max_records_per_event;
    read.deaggregate = options_.deaggregate;
    read.reader = consumer_arn_;
    {
      MutexLock lock(&mu_);
      while (!final_.has_value() && BufferFullLocked()) space_.Wait(&mu_);
      if (final_.has_value()) return;
      read.max_bytes = options_.max_buffered_bytes - bytes_;
      if (!PaceLocked(&read)) return;
    }
    absl::StatusOr<GetRecordsResult> result =
        consumer_.GetRecords(iterator_, read);
    if (!result.ok()) {
      FinishReading(absl::Status(
          result.status().code(),
          absl::StrCat("subscription of ", consumer_arn_, " to ", shard_id_,
                       ": ", result.status().message())));
      return;
    }
    const bool at_end = !result->next_shard_iterator().valid();
    if (result->records().empty() && !at_end) {
      if (closed_before_read) {
        FinishReading(absl::FailedPreconditionError(
            absl::StrCat("subscription of ", consumer_arn_, " to ", shard_id_,
                         ": stream ", stream_->options().name, " closed")));
        return;
      }
      if (stream_->closed()) {
        closed_before_read = true;  // read once more: it may have raced
      } else if (!consumer_.WaitForRecords(iterator_, options_.poll_interval)) {
        closed_before_read = stream_->closed();
      }
      MutexLock lock(&mu_);
      if (final_.has_value()) return;
      continue;
    }
    int64_t bytes = 0;
    for (const Record& r : result->records()) {
      bytes += static_cast<int64_t>(r.partition_key.size() + r.data.size());
    }
    if (!result->records().empty()) {
      continuation = result->records().back().sequence_number;
    }
    iterator_ = result->next_shard_iterator();
    SubscribeToShardEvent event;
    event.result_ = *std::move(result);
    if (!at_end) event.continuation_ = continuation;
    {
      MutexLock lock(&mu_);
      if (final_.has_value()) return;
      if (pace_.has_value()) pace_->Take(bytes);
      buffer_.push_back(std::move(event));
      event_bytes_.push_back(bytes);
      bytes_ += bytes;
      available_.SignalAll();
    }
    if (at_end) {
      FinishReading(absl::OkStatus());
      return;
    }
  }
}

bool SubscriptionCore::PaceLocked(GetRecordsOptions* read) {
  read->dedicated_throughput = true;  // not a polling reader
  if (!pace_.has_value()) return true;
  for (;;) {
    if (final_.has_value()) return false;
    const int64_t now = env_->NowMillis();
    pace_->Refill(now);
    if (pace_->Positive()) break;
    space_.WaitUntil(&mu_, env_, now + pace_->MillisUntilPositive());
  }
  read->max_bytes =
      std::min(read->max_bytes, std::max<int64_t>(1, pace_->tokens()));
  return true;
}

void SubscriptionCore::DeliverLoop() {
  mu_.Lock();
  for (;;) {
    while (!final_.has_value() && buffer_.empty() &&
           !read_status_.has_value()) {
      available_.Wait(&mu_);
    }
    if (final_.has_value()) break;
    if (buffer_.empty()) {  // reading finished and all was delivered
      EndLocked(*read_status_);
      break;
    }
    SubscribeToShardEvent event = std::move(buffer_.front());
    buffer_.pop_front();
    bytes_ -= event_bytes_.front();
    event_bytes_.pop_front();
    space_.SignalAll();
    in_handler_ = true;
    mu_.Unlock();
    absl::Status s = CallHandler(event);
    // The event, and the storage it pins, goes before the lock is retaken.
    event = SubscribeToShardEvent();
    mu_.Lock();
    in_handler_ = false;
    ended_cv_.SignalAll();
    if (!s.ok()) {
      EndLocked(std::move(s));
      break;
    }
  }
  delivery_done_ = true;
  ended_cv_.SignalAll();
  mu_.Unlock();
}

absl::Status SubscriptionCore::CallHandler(SubscribeToShardEvent& event) {
  try {
    return handler_(event);
  } catch (const std::exception& e) {
    return absl::UnknownError(absl::StrCat("subscription handler of ",
                                           consumer_arn_, " to ", shard_id_,
                                           " threw: ", e.what()));
  } catch (...) {
    return absl::UnknownError(absl::StrCat("subscription handler of ",
                                           consumer_arn_, " to ", shard_id_,
                                           " threw a non-standard exception"));
  }
}

absl::StatusOr<SubscribeToShardEvent> SubscriptionCore::Next(
    absl::Duration timeout) {
  if (handler_) {
    return absl::FailedPreconditionError(
        absl::StrCat("subscription of ", consumer_arn_, " to ", shard_id_,
                     ": Next() on a subscription with a handler"));
  }
  const int64_t deadline = DeadlineAfter(env_, timeout);
  MutexLock lock(&mu_);
  for (;;) {
    if (!buffer_.empty()) {
      SubscribeToShardEvent event = std::move(buffer_.front());
      buffer_.pop_front();
      bytes_ -= event_bytes_.front();
      event_bytes_.pop_front();
      space_.SignalAll();
      if (buffer_.empty() && read_status_.has_value()) {
        EndLocked(*read_status_);
      }
      return event;
    }
    if (final_.has_value()) {
      return absl::OutOfRangeError(absl::StrCat(
          "subscription of ", consumer_arn_, " to ", shard_id_,
          " has ended: ", final_->ok() ? "shard end" : final_->ToString()));
    }
    if (timeout <= absl::ZeroDuration() ||
        available_.WaitUntil(&mu_, env_, deadline)) {
      if (!buffer_.empty() || final_.has_value()) continue;
      return absl::DeadlineExceededError(
          absl::StrCat("subscription of ", consumer_arn_, " to ", shard_id_,
                       ": no event within ", absl::FormatDuration(timeout)));
    }
  }
}

absl::Status SubscriptionCore::Wait() {
  MutexLock lock(&mu_);
  while (!final_.has_value() || in_handler_) ended_cv_.Wait(&mu_);
  return *final_;
}

std::optional<absl::Status> SubscriptionCore::final_status() {
  MutexLock lock(&mu_);
  return final_;
}

int SubscriptionCore::buffered_events() {
  MutexLock lock(&mu_);
  return static_cast<int>(buffer_.size());
}

int64_t SubscriptionCore::buffered_bytes() {
  MutexLock lock(&mu_);
  return bytes_;
}

}  // namespace internal

Subscription::Subscription(std::shared_ptr<internal::SubscriptionCore> core)
    : core_(std::move(core)) {}

Subscription::~Subscription() {
  core_->Cancel(absl::CancelledError(
      absl::StrCat("subscription of ", core_->consumer_arn(), " to ",
                   core_->shard_id(), ": destroyed")));
  core_->Join();
}

const std::string& Subscription::consumer_arn() const {
  return core_->consumer_arn();
}
const std::string& Subscription::shard_id() const { return core_->shard_id(); }

absl::StatusOr<SubscribeToShardEvent> Subscription::Next(
    absl::Duration timeout) {
  return core_->Next(timeout);
}

void Subscription::Unsubscribe() {
  core_->Cancel(absl::CancelledError(
      absl::StrCat("subscription of ", core_->consumer_arn(), " to ",
                   core_->shard_id(), ": unsubscribed")));
}

absl::Status Subscription::Wait() const { return core_->Wait(); }
std::optional<absl::Status> Subscription::final_status() const {
  return core_->final_status();
}
int Subscription::buffered_events() const { return core_->buffered_events(); }
int64_t Subscription::buffered_bytes() const { return core_->buffered_bytes(); }

}  // namespace brook
