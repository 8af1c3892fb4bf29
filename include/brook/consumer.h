// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A `Consumer` reads a stream's shards through shard iterators, as Kinesis's
// GetShardIterator and GetRecords do, without copying record bytes.
//
// A `Consumer` works over any `Stream` through the stream's interface (the
// hooks `Stream::DoGetShardIterator()`, `DoGetRecords()` and
// `DoWaitForRecords()`), never through its implementation, so it reads an
// in-process stream and a stream kept elsewhere (a remote Kinesis stream)
// alike.
//
// Thread safety: a `Consumer` may be used from many threads at once. A
// `ShardIterator` is a value: use each copy from one thread at a time.
// Lifetime: the consumer and its iterators must not outlive the stream. The
// records of a `GetRecordsResult` stay valid while the result lives, even if
// retention removes them from the stream meanwhile.
//
// Trimmed data: an iterator that points before the oldest record still kept
// (its records were removed by retention) reads on from the oldest kept record,
// as Kinesis does; the result's `skipped_records()` counts what was passed
// over, so the loss is never silent.
//
// Example:
//   brook::Consumer consumer(stream.get());
//   absl::StatusOr<brook::ShardIterator> it = consumer.GetShardIterator(
//       "shardId-000000000000", brook::StartingPosition::TrimHorizon());
//   while (it.ok() && it->valid()) {
//     absl::StatusOr<brook::GetRecordsResult> r = consumer.GetRecords(*it);
//     if (!r.ok()) break;
//     for (const brook::Record& rec : r->records()) Process(rec.data);
//     if (r->records().empty()) {
//       consumer.WaitForRecords(r->next_shard_iterator(), absl::Seconds(1));
//     }
//     *it = r->next_shard_iterator();
//   }
//
// A reader that is done with each record once it has seen it can have them
// handed over instead of collected, which is faster:
//   absl::StatusOr<brook::ScanRecordsResult> s = consumer.ScanRecords(
//       *it, brook::GetRecordsOptions(),
//       [&](const brook::Record& rec) { Process(rec.data); });

#ifndef BROOK_CONSUMER_H_
#define BROOK_CONSUMER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/export.h"
#include "brook/record.h"
#include "brook/shard.h"

namespace brook {

class Stream;

namespace internal {
class ShardImpl;
class ReadBuilder;
}  // namespace internal

// Where a new iterator starts. Persisted: never renumber.
enum class ShardIteratorType : int {
  kTrimHorizon = 0,          // the oldest record kept
  kLatest = 1,               // only records appended after the call
  kAtSequenceNumber = 2,     // the record with `sequence_number`
  kAfterSequenceNumber = 3,  // the record after `sequence_number`
  kAtTimestamp = 4,          // first record whose arrival >= `timestamp_millis`
};

// "TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
// "AT_TIMESTAMP".
BROOK_EXPORT absl::string_view ShardIteratorTypeName(ShardIteratorType type);
// The inverse; kInvalidArgument for any other text.
BROOK_EXPORT absl::StatusOr<ShardIteratorType> ParseShardIteratorType(
    absl::string_view name);

// The arguments of GetShardIterator. Exactly the fields the type needs must be
// set: a sequence number for the two *_SEQUENCE_NUMBER types, a timestamp for
// AT_TIMESTAMP, neither for the others.
struct StartingPosition {
  ShardIteratorType type = ShardIteratorType::kTrimHorizon;
  std::optional<SequenceNumber> sequence_number;
  std::optional<int64_t> timestamp_millis;

  static StartingPosition TrimHorizon() { return {}; }
  static StartingPosition Latest() {
    return {ShardIteratorType::kLatest, std::nullopt, std::nullopt};
  }
  static StartingPosition AtSequenceNumber(SequenceNumber n) {
    return {ShardIteratorType::kAtSequenceNumber, n, std::nullopt};
  }
  static StartingPosition AfterSequenceNumber(SequenceNumber n) {
    return {ShardIteratorType::kAfterSequenceNumber, n, std::nullopt};
  }
  // `timestamp_millis`: milliseconds since the Unix epoch.
  static StartingPosition AtTimestamp(int64_t timestamp_millis) {
    return {ShardIteratorType::kAtTimestamp, std::nullopt, timestamp_millis};
  }
};

// A position in one shard. Unlike Kinesis's, it never expires. Made by the
// stream it reads (see `Stream::MakeShardIterator()`); valid only with it.
class BROOK_EXPORT ShardIterator {
 public:
  // An invalid iterator; also what GetRecords returns at the end of a closed
  // shard.
  ShardIterator() = default;

  // False for a default iterator and after the last record of a closed shard.
  bool valid() const { return shard_ != nullptr; }
  // The shard's id; empty when invalid.
  const std::string& shard_id() const;

 private:
  friend class Consumer;
  friend class Stream;
  friend class internal::ShardImpl;
  friend class internal::ReadBuilder;

  // The stream that made the iterator, and the shard of it that it reads.
  const Stream* stream_ = nullptr;
  const Shard* shard_ = nullptr;
  uint64_t position_ = 0;  // position of the next record to read
  // Where that record was last seen, to skip the search on the next read.
  uint64_t hint_segment_ = 0;
  uint64_t hint_offset_ = 0;
  // What a stream that keeps records elsewhere needs besides `position_`
  // (a remote stream: the service's iterator); null for brook's own streams,
  // so copying their iterators touches no reference count.
  std::shared_ptr<const void> cursor_;
};

struct GetRecordsOptions {
  // Most records one call returns, 1 to 10000 (Kinesis's range).
  // Default: 10000.
  int limit = 10000;
  // Most data bytes (partition keys plus data) one call returns; a call always
  // returns at least one record if one is available. Default: 10 MiB.
  int64_t max_bytes = int64_t{10} << 20;
  // Returns only records that are durable: synced by the writer (its
  // `Durability` policy, `Sync()`, `WaitForDurable()` or `Close()`), so that
  // no power loss can take them back. A read-only open that follows the
  // writer reads the writer's durable end from the directory (FOLLOW, see
  // lib/store/SEGMENT_FORMAT.md); the writing `Stream` itself uses its own.
  // Records past the durable end are not returned (the next iterator stays
  // at the first of them) and do not count as behind; the end of a closed
  // shard (its `child_shards()`) is reached only once all its records are
  // durable. `WaitForRecords()` still wakes for records that are published
  // but not yet durable. A memory stream has no durable records: with it set,
  // `GetRecords()` returns kFailedPrecondition. Default: false.
  bool durable_only = false;
  // Expands KPL aggregated records (aggregation.h) into their user records,
  // in place, as KCL does: each comes out with its own partition key, hash
  // key and data, the aggregate's sequence number and arrival time, and its
  // index in the aggregate as `subsequence_number`. `limit` and `max_bytes`
  // count stored records, so one call returns all of an aggregate or none of
  // it, and may return more than `limit` records. Records that are not
  // aggregated come out unchanged; an aggregate that cannot be decoded comes
  // out as stored with `Record::damaged_aggregate` set (the call does not
  // fail). The expansion is done by `Consumer::GetRecords()` on what the
  // stream's `DoGetRecords()` returned, so it works over any `Stream`.
  // Default: false, as Kinesis's GetRecords returns the records as stored.
  bool deaggregate = false;
  // The read is a push subscriber's (subscription.h sets it): under
  // provisioned-mode limits (`ThroughputOptions`) it is not counted in the
  // shard's polling limits, as Kinesis gives each enhanced fan-out consumer
  // its own throughput; the subscriber paces itself instead. A polling
  // reader that sets it escapes the limits, which only emulate Kinesis's.
  // Default: false.
  bool dedicated_throughput = false;
  // Who reads, for the per-reader iterator age in the stream's metrics
  // (`ShardMetricsSnapshot::readers`): a registered consumer's ARN for a
  // push subscription, the worker id for a consumer-group worker (both set
  // it), or any name the application gives a polling reader. Read during
  // the call only. Empty counts only in the shard-wide figure. A shard
  // tracks at most `kMaxNamedReaders` names (metrics.h); later ones count
  // only in the shard-wide figure. Default: empty.
  absl::string_view reader;
};

// The output of GetRecords. Its records' views stay valid for as long as this
// object lives (it holds the storage they point into: the stream's segments,
// and for a stream that compresses (`StreamOptions::compression_level`) the
// buffer the records of compressed batches were decompressed into, one per
// call, not per batch); copy what must outlive it. Movable, not copyable.
class BROOK_EXPORT GetRecordsResult {
 public:
  GetRecordsResult();
  GetRecordsResult(GetRecordsResult&&) noexcept;
  GetRecordsResult& operator=(GetRecordsResult&&) noexcept;
  ~GetRecordsResult();

  const std::vector<Record>& records() const { return records_; }
  // Where to read next. Invalid once the end of a closed shard was reached;
  // `child_shards()` then says where its keys went.
  const ShardIterator& next_shard_iterator() const { return next_; }
  // How far behind the shard's tip the reader is (Kinesis's
  // MillisBehindLatest): zero when the result reaches the newest record, else
  // the age (by the stream's clock, in whole milliseconds) of the oldest
  // record not yet read.
  absl::Duration behind_latest() const { return behind_latest_; }
  const std::vector<ChildShard>& child_shards() const { return child_shards_; }
  // Records the iterator pointed at that retention had already removed.
  uint64_t skipped_records() const { return skipped_records_; }

 private:
  friend class Stream;
  friend class Consumer;  // GetRecordsOptions::deaggregate
  friend class internal::ReadBuilder;

  std::vector<Record> records_;
  ShardIterator next_;
  absl::Duration behind_latest_;
  std::vector<ChildShard> child_shards_;
  uint64_t skipped_records_ = 0;
  std::vector<std::shared_ptr<const void>> pins_;  // storage records point into
};

// The outcome of `Consumer::ScanRecords()`: what a `GetRecordsResult` says
// beside its records (which went to the visitor instead). A plain value.
struct ScanRecordsResult {
  // Records handed to the visitor (user records, with
  // `GetRecordsOptions::deaggregate`).
  int64_t records = 0;
  // As `GetRecordsResult`'s accessors of the same names.
  ShardIterator next_shard_iterator;
  absl::Duration behind_latest = absl::ZeroDuration();
  std::vector<ChildShard> child_shards;
  uint64_t skipped_records = 0;
};

// Ends `Consumer::WaitForRecords()` calls early, from another thread: a
// reader thread blocked at a shard's tip is woken at once when its owner stops
// (e.g. a consumer group worker's `Shutdown()`), whatever the stream's clock
// does meanwhile.
//
// Once `Interrupt()` was called, every wait given this object (running, or
// started later) returns false at once unless records are there; there is no
// reset (make a new one).
//
// For `Stream` implementations (`Stream::DoWaitForRecordsInterruptibly()`):
// `AddWaker()` registers a function that wakes the waiter (e.g. signals the
// condition variable it sleeps on); `Interrupt()` calls it once, on the
// interrupting thread, while holding this object's lock, so a waker may take
// the waiter's mutex but must not call back into this object. After
// `RemoveWaker()` returns the waker is not running and is never called.
//
// Thread safety: every method may be called from any thread. Lifetime: must
// outlive every wait given it.
class BROOK_EXPORT WaitInterrupt {
 public:
  WaitInterrupt();
  WaitInterrupt(const WaitInterrupt&) = delete;
  WaitInterrupt& operator=(const WaitInterrupt&) = delete;
  ~WaitInterrupt();

  void Interrupt();
  bool interrupted() const {
    return interrupted_.load(std::memory_order_acquire);
  }

  // Returns an id for `RemoveWaker()`. If already interrupted, calls nothing
  // (the caller checks `interrupted()` after registering, before sleeping).
  uint64_t AddWaker(std::function<void()> waker);
  void RemoveWaker(uint64_t id);

 private:
  std::mutex mu_;
  std::atomic<bool> interrupted_{false};
  uint64_t next_id_ = 1;                              // guarded by mu_
  std::map<uint64_t, std::function<void()>> wakers_;  // guarded by mu_
};

class BROOK_EXPORT Consumer {
 public:
  // `stream` is not owned and must outlive the consumer.
  explicit Consumer(Stream* stream);

  // Every shard of the stream (ListShards).
  std::vector<ShardDescription> ListShards() const;

  // Returns an iterator at `start` in the shard. Returns kNotFound for an
  // unknown shard; kInvalidArgument for a missing or superfluous sequence
  // number or timestamp, or a sequence number that this shard did not issue.
  absl::StatusOr<ShardIterator> GetShardIterator(
      absl::string_view shard_id, const StartingPosition& start) const;

  // Reads records from `iterator` on, up to `options`' limits, never blocking.
  // Returns kInvalidArgument for an invalid iterator, one made by another
  // stream, or out-of-range options.
  // An empty result with a valid next iterator means no new records yet.
  absl::StatusOr<GetRecordsResult> GetRecords(
      const ShardIterator& iterator,
      const GetRecordsOptions& options = GetRecordsOptions()) const;

  // Reads as `GetRecords()` does (the same records, iterator, options,
  // limits, throttling, metrics and errors) but hands each record to
  // `visit`, in order, as it is read, instead of collecting them in a result:
  // for a reader that is done with each record once it has looked at it (a
  // scan, a count, a copy elsewhere). Over brook's own streams that saves
  // building a vector of `Record`s: a scan of 100-byte records runs 1.6-1.8
  // times as fast (bench/README.md); over other streams it reads with
  // `GetRecords()` and visits the result.
  // The record passed to `visit`, and the bytes it views, are valid only
  // during that call: copy what must outlive it. `visit` runs on the calling
  // thread with no lock of the stream held, and may call the stream.
  // On an error, `visit` may already have seen records read before the fault
  // was found (damage further on, say); the iterator does not move, as after
  // a failed `GetRecords()`, so reading from it again sees them again.
  absl::StatusOr<ScanRecordsResult> ScanRecords(
      const ShardIterator& iterator, const GetRecordsOptions& options,
      absl::FunctionRef<void(const Record&)> visit) const;

  // Blocks until the shard holds a record at `iterator`, the shard is closed,
  // or `timeout` passes on the clock of the stream's `Env` (real time with the
  // default Env; with a `ManualClockEnv`, when the test moves the clock that
  // far), without spinning unless the stream's `StreamOptions::wait_spin`
  // asks for it. A part of a millisecond counts as a whole one;
  // `absl::InfiniteDuration()` waits without a timeout. Returns true if a
  // GetRecords call now would return records or the shard's end, false on
  // timeout or for an invalid iterator.
  bool WaitForRecords(const ShardIterator& iterator,
                      absl::Duration timeout) const;
  // As above, but also returns (false unless records are there) as soon as
  // `interrupt` is interrupted (see `WaitInterrupt`); null is the call above.
  // A stream whose implementation does not support it (a custom `Stream` that
  // does not override `Stream::DoWaitForRecordsInterruptibly()`) notices an
  // interrupt only before it starts waiting. brook's own streams wake at once
  // (a read-only follower within 50 ms of real time).
  bool WaitForRecords(const ShardIterator& iterator, absl::Duration timeout,
                      WaitInterrupt* interrupt) const;

 private:
  // kInvalidArgument, naming `call`, for an invalid iterator or another
  // stream's.
  absl::Status CheckIterator(const ShardIterator& iterator,
                             absl::string_view call) const;
  // GetRecordsOptions::deaggregate. Adds to `size_counts` (kHistogramBuckets
  // entries, metrics.h) the sizes of the aggregates it expanded; returns
  // their user records in all.
  static int64_t ExpandAggregates(GetRecordsResult* result,
                                  int64_t* size_counts);
  // Appends `record` to `out` as de-aggregation gives it: its user records
  // if it is an aggregate (counting its size in `size_counts`), itself
  // flagged `damaged_aggregate` if it cannot be decoded, else itself.
  // Returns the user records appended from an aggregate (0 otherwise).
  static int64_t ExpandRecord(const Record& record, std::vector<Record>* out,
                              int64_t* size_counts);

  Stream* stream_;
};

}  // namespace brook

#endif  // BROOK_CONSUMER_H_
