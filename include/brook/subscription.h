// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Push subscriptions, as Kinesis's enhanced fan-out: named consumers
// (RegisterStreamConsumer) and `SubscribeToShard()`, which reads one shard on
// a thread of its own and pushes its records, in order, as events to a
// handler or into a queue the caller drains.
//
// `FanOut` is built on the public `Stream` and `Consumer` interface only
// (GetShardIterator, GetRecords, WaitForRecords, `Stream::closed()`), so it
// works over memory streams, durable streams and read-only streams that follow
// a writer in another process alike.
//
// Threads. Each subscription has a reader thread that reads the shard with
// `Consumer::GetRecords()` into a bounded buffer of events and, at the shard's
// tip, waits in `Consumer::WaitForRecords()`; it holds no lock of the stream's
// while it waits, so the producer and other subscribers never wait for it.
// Events leave the buffer in one of two ways, chosen at subscription:
//   - a handler (`SubscriptionHandler`), run on a delivery thread of the
//     subscription's own: a slow handler stalls only its own subscription,
//     and the reader keeps reading ahead up to the buffer's bound meanwhile;
//   - `Subscription::Next()`, called on the caller's own thread (a pull-style
//     queue): for callers that have a thread (an event loop) already, and want
//     no callback on a thread they do not own.
// Backpressure: when the buffer is full (`SubscribeOptions`), the reader stops
// reading that shard for this subscription and resumes where it stopped once
// the buffer drains: nothing is lost, memory stays bounded, and nobody else
// slows down (the shard's records stay in the stream meanwhile).
//
// Expiry: a Kinesis subscription ends after 5 minutes and the client
// subscribes again from the last `ContinuationSequenceNumber`. That renewal
// exists to rebalance HTTP/2 connections; brook has none, so a subscription
// lasts until it ends (below). An application that wants Kinesis's behaviour
// unsubscribes and subscribes again at
// `StartingPosition::AfterSequenceNumber(continuation)`.
//
// Thread safety: `FanOut` and `Subscription` methods may be called from any
// thread, except as noted (`~Subscription()`).
// Lifetime: a `FanOut` must not outlive its stream; a `Subscription` must not
// outlive the stream either, but may outlive the `FanOut` (it then ends as if
// the FanOut were closed). Destroy or `Close()` every FanOut before destroying
// its stream: `~FanOut()` ends its subscriptions, but only their owners'
// `~Subscription()` joins their threads.
//
// Example:
//   brook::FanOut fan_out(stream.get());
//   auto consumer = fan_out.RegisterStreamConsumer("billing");
//   if (!consumer.ok()) return consumer.status();
//   auto sub = fan_out.SubscribeToShard(
//       consumer->consumer_arn, "shardId-000000000000",
//       brook::StartingPosition::TrimHorizon(), brook::SubscribeOptions(),
//       [&](brook::SubscribeToShardEvent& event) {
//         for (const brook::Record& r : event.records()) Bill(r.data);
//         return absl::OkStatus();  // an error ends the subscription
//       });
//   if (!sub.ok()) return sub.status();
//   ...
//   (*sub)->Unsubscribe();
//   absl::Status why = (*sub)->Wait();  // kCancelled

#ifndef BROOK_SUBSCRIPTION_H_
#define BROOK_SUBSCRIPTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/consumer.h"
#include "brook/export.h"
#include "brook/record.h"
#include "brook/shard.h"

namespace brook {

class Stream;

namespace internal {
class FanOutRegistry;
class SubscriptionCore;
}  // namespace internal

// Kinesis's limit on registered consumers per stream (per `FanOut`).
inline constexpr int kMaxStreamConsumers = 20;

// What DescribeStreamConsumer says of a registered consumer (Kinesis's
// ConsumerDescription, in snake case).
struct StreamConsumerDescription {
  // 1 to 128 characters of [a-zA-Z0-9_.-], unique in its `FanOut`.
  std::string consumer_name;
  // "arn:brook:kinesis:local:stream/<stream name>/consumer/<consumer
  // name>:<creation millis>", in the layout of Kinesis's consumer ARN. A
  // consumer registered again after deregistration gets a new ARN (if the
  // stream's clock moved), so an old ARN does not silently name it.
  std::string consumer_arn;
  std::string consumer_status;  // "ACTIVE": registration is immediate
  // When it was registered, on the clock of the stream's `Env`.
  int64_t consumer_creation_timestamp_millis = 0;
  std::string stream_name;
};

// One SubscribeToShardEvent: records read from the shard in one go, in
// sequence-number order, with where to resume. Its records' views point into
// the stream's storage and stay valid while the event lives (it holds that
// storage, as a `GetRecordsResult` does, even if retention drops the records
// meanwhile); copy what must outlive it. Movable, not copyable.
class BROOK_EXPORT SubscribeToShardEvent {
 public:
  SubscribeToShardEvent();
  SubscribeToShardEvent(SubscribeToShardEvent&&) noexcept;
  SubscribeToShardEvent& operator=(SubscribeToShardEvent&&) noexcept;
  ~SubscribeToShardEvent();

  // At least one record, except in the last event of a closed shard, which
  // may have none (it then only carries `child_shards()`).
  const std::vector<Record>& records() const { return result_.records(); }
  // The sequence number of the last record this subscription has delivered,
  // up to and including this event: subscribe again with
  // `StartingPosition::AfterSequenceNumber()` of it to resume after this
  // event. Empty in the last event of a closed shard (Kinesis gives null
  // there: follow `child_shards()` instead), and when no record has been
  // delivered yet.
  const std::optional<SequenceNumber>& continuation_sequence_number() const {
    return continuation_;
  }
  // Kinesis's MillisBehindLatest: zero when the event reaches the shard's
  // newest record, else the age (on the stream's clock, in whole
  // milliseconds) of the oldest record not read yet.
  absl::Duration behind_latest() const { return result_.behind_latest(); }
  // Set only in the last event of a closed shard: where its keys went.
  const std::vector<ChildShard>& child_shards() const {
    return result_.child_shards();
  }
  // Records that retention removed before this subscription could read them
  // (see `GetRecordsResult::skipped_records()`): a loss is never silent.
  uint64_t skipped_records() const { return result_.skipped_records(); }

 private:
  friend class internal::SubscriptionCore;

  GetRecordsResult result_;
  std::optional<SequenceNumber> continuation_;
};

// Called on the subscription's delivery thread with each event, in order, one
// call at a time. The event is the handler's: it may move it out to keep its
// records beyond the call (they then pin stream storage outside the buffer's
// bound). Returning a non-OK status ends the subscription with that status;
// an exception thrown out of it ends it with kUnknown naming the exception.
// The handler may call `Unsubscribe()` of its own subscription, and anything
// of the stream or `FanOut`, but must not destroy its own `Subscription`.
using SubscriptionHandler =
    std::function<absl::Status(SubscribeToShardEvent& event)>;

struct SubscribeOptions {
  // The buffer between the reader and the delivery: events read from the
  // shard and not yet handed to the handler or `Next()`. The reader reads only
  // while the buffer holds fewer than `max_buffered_events` events and fewer
  // than `max_buffered_bytes` bytes (partition keys plus data), and reads at
  // most the bytes left; so the buffer holds at most `max_buffered_events`
  // events and `max_buffered_bytes` bytes, except that a read always takes at
  // least one record, which may overshoot the byte bound by less than one
  // record. 1 to 1,000,000 events, 1 byte to 1 GiB. Default: 64 events,
  // 8 MiB.
  int max_buffered_events = 64;
  int64_t max_buffered_bytes = int64_t{8} << 20;
  // Most records in one event, 1 to 10000 (GetRecords's limit). Default: 10000.
  int max_records_per_event = 10000;
  // How long the reader waits at the shard's tip (in `WaitForRecords()`, on
  // the clock of the stream's `Env`) before it looks whether the stream was
  // closed or the subscription ended; new records wake it at once whatever
  // this is. So it bounds how long `~Subscription()` may wait for the reader
  // thread, and how late a subscription notices `Stream::Close()`. 1 ms to 1
  // hour. Default: 100 ms.
  absl::Duration poll_interval = absl::Milliseconds(100);
  // Expands KPL aggregated records (aggregation.h) into their user records,
  // as `GetRecordsOptions::deaggregate` does: each comes with its own
  // partition key, hash key and data, the aggregate's sequence number and its
  // index in the aggregate as `Record::subsequence_number`; records that are
  // not aggregated come as stored; an aggregate that cannot be decoded comes
  // whole with `Record::damaged_aggregate` set, and the subscription goes on.
  // An event holds whole aggregates (`max_records_per_event` and the byte
  // bound count stored records, so an event may hold more user records), so
  // `continuation_sequence_number()` still resumes exactly after the event.
  // Default: false (records as stored, as Kinesis pushes them).
  bool deaggregate = false;
};

// A live subscription to one shard, owned by whoever subscribed.
//
// How it ends, and the final status (`Wait()`, `final_status()`):
//   OK                   the end of a closed shard was delivered: the last
//                        event carried its `child_shards()`;
//   kCancelled           `Unsubscribe()` (or `~Subscription()`), the consumer
//                        was deregistered, or the `FanOut` closed or was
//                        destroyed; events still buffered are dropped;
//   kFailedPrecondition  the stream was closed (`Stream::Close()`); every
//                        record the stream held was delivered first;
//   the handler's status a handler returned it (kUnknown if it threw);
//   a read's error       `GetRecords()` failed (e.g. kDataLoss), after the
//                        events read before it were delivered.
// Once ended, no handler call starts and the (consumer, shard) pair may be
// subscribed to again.
class BROOK_EXPORT Subscription {
 public:
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  // Ends the subscription (kCancelled) if it has not ended, and joins its
  // threads: waits for a handler call in progress to return, and for the
  // reader to leave `WaitForRecords()` (at most `poll_interval` on the
  // stream's clock). REQUIRES: not called from this subscription's handler.
  ~Subscription();

  const std::string& consumer_arn() const;
  const std::string& shard_id() const;

  // Pull-style subscriptions only (made without a handler): the next event,
  // in order. Waits up to `timeout` on the clock of the stream's `Env` for
  // one (zero: does not wait; `absl::InfiniteDuration()`: no limit).
  // Returns:
  //   kDeadlineExceeded    no event came within `timeout`;
  //   kOutOfRange          the subscription has ended and every event it
  //                        will deliver was returned; `final_status()` says
  //                        why it ended;
  //   kFailedPrecondition  the subscription has a handler.
  // Thread-safe; events go to the callers one at a time, in order.
  absl::StatusOr<SubscribeToShardEvent> Next(absl::Duration timeout);

  // Ends the subscription with kCancelled unless it has ended already, and
  // drops the events it buffered. Does not wait: a handler call that has
  // started (on the delivery thread) finishes, but no call starts after this
  // returns; a pull-style `Next()` returns kOutOfRange from then on. May be
  // called from any thread, from inside the handler, and more than once.
  void Unsubscribe();

  // Blocks until the subscription has ended and its handler has returned for
  // the last time; returns the final status (see the class comment).
  // REQUIRES: not called from this subscription's handler (it would wait for
  // itself).
  absl::Status Wait() const;
  // The final status once ended; empty while the subscription runs.
  std::optional<absl::Status> final_status() const;

  // What the buffer holds now (see `SubscribeOptions`): events read and not
  // yet handed out, and their partition key plus data bytes.
  int buffered_events() const;
  int64_t buffered_bytes() const;

 private:
  friend class FanOut;
  explicit Subscription(std::shared_ptr<internal::SubscriptionCore> core);

  std::shared_ptr<internal::SubscriptionCore> core_;
};

// The registry of named consumers of one stream, and their subscriptions.
//
// Where the registry lives: in this object, in this process, not persisted.
// A registration is a name for the subscriptions of one application; in
// brook those subscriptions are threads of this process and die with it, so
// a persisted name would outlive everything it names, and a read-only
// follower of another process's stream could not write it anyway. Make one
// `FanOut` per stream and share it: two FanOut objects over one stream keep
// two separate registries (and each allows `kMaxStreamConsumers`).
class BROOK_EXPORT FanOut {
 public:
  // `stream` is not owned and must outlive this.
  explicit FanOut(Stream* stream);
  FanOut(const FanOut&) = delete;
  FanOut& operator=(const FanOut&) = delete;
  // Closes (see `Close()`).
  ~FanOut();

  // RegisterStreamConsumer: registers `consumer_name`, ACTIVE at once, created
  // at the stream's `Env` clock. Returns:
  //   kInvalidArgument     the name is empty, longer than 128 characters or
  //                        has a character outside [a-zA-Z0-9_.-];
  //   kAlreadyExists       a consumer of that name is registered;
  //   kResourceExhausted   `kMaxStreamConsumers` consumers are registered
  //                        (Kinesis's LimitExceededException);
  //   kFailedPrecondition  this `FanOut` was closed.
  absl::StatusOr<StreamConsumerDescription> RegisterStreamConsumer(
      absl::string_view consumer_name);

  // DeregisterStreamConsumer: removes the consumer named by its ARN or name,
  // ending its subscriptions with kCancelled (without waiting for their
  // threads). Returns kNotFound for an unknown consumer.
  absl::Status DeregisterStreamConsumer(absl::string_view consumer);

  // ListStreamConsumers: every registered consumer, by creation time, then
  // name.
  std::vector<StreamConsumerDescription> ListStreamConsumers() const;

  // DescribeStreamConsumer, by ARN or name; kNotFound if unknown.
  absl::StatusOr<StreamConsumerDescription> DescribeStreamConsumer(
      absl::string_view consumer) const;

  // SubscribeToShard: subscribes registered consumer `consumer` (ARN or name)
  // to shard `shard_id` from `start` (the positions of
  // `Consumer::GetShardIterator()`). With a `handler`, events go to it on a
  // delivery thread; without one (the second overload), the caller takes
  // them with `Subscription::Next()`. The reader thread starts at once.
  // Returns:
  //   kNotFound            unknown consumer or shard;
  //   kInvalidArgument     a bad `start` (see `GetShardIterator()`), an
  //                        option out of range (named), or an empty handler;
  //   kAlreadyExists       this consumer has a subscription to this shard
  //                        that has not ended (Kinesis's
  //                        ResourceInUseException);
  //   kFailedPrecondition  the stream or this `FanOut` is closed.
  absl::StatusOr<std::unique_ptr<Subscription>> SubscribeToShard(
      absl::string_view consumer, absl::string_view shard_id,
      const StartingPosition& start, const SubscribeOptions& options,
      SubscriptionHandler handler);
  absl::StatusOr<std::unique_ptr<Subscription>> SubscribeToShard(
      absl::string_view consumer, absl::string_view shard_id,
      const StartingPosition& start, const SubscribeOptions& options);

  // Ends every subscription made here with kCancelled (without waiting for
  // their threads: their owners' `~Subscription()` joins them) and refuses
  // new registrations and subscriptions with kFailedPrecondition.
  // Idempotent. Reads of the registry keep working.
  void Close();

 private:
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      absl::string_view consumer, absl::string_view shard_id,
      const StartingPosition& start, const SubscribeOptions& options,
      SubscriptionHandler handler);

  Stream* const stream_;
  std::shared_ptr<internal::FanOutRegistry> registry_;
};

}  // namespace brook

#endif  // BROOK_SUBSCRIPTION_H_
