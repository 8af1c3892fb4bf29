// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// An `AsyncProducer` is brook's Kinesis Producer Library (KPL): a put returns
// at once and its outcome arrives later, through a callback or a future. In
// between, records wait in a bounded buffer, grouped per shard, and are
// appended in batches when a batch is full or its oldest record has waited
// `linger`; failures that a later attempt may cure (a shard closed by a
// reshard, a throttled or full stream) are retried with exponential backoff
// and jitter until the record's `record_ttl` runs out.
//
// Design: a type beside `Producer`, not a mode of it. `Producer` is a thin,
// synchronous layer with no threads and no state; this one owns a buffer and
// a sending thread, and has a life cycle (`Close()`). It works over any
// `Stream` through its public interface: it keeps a map of the open shards
// (`Stream::ListShards()`), routes each record by its hash key (as
// `RouteRecord()` does: MD5 of the partition key, or the explicit hash key),
// and appends each batch to its shard (`Shard::Append()`, all or none). When
// an append says the shard was closed by a reshard (kAborted), it reads the
// shard map anew and moves that shard's waiting records, in order, to the
// shards that own their keys now. A map read while a reshard is under way
// may leave part of the key space to no open shard (a parent listed closed
// before its children are listed), and a few quick reads again may not
// mend it: a record whose hash key falls there is kept, as the KPL keeps a
// record it cannot route yet, and routed again by a fresh read of the map
// after a backoff (see `min_backoff`), until its `record_ttl` runs out;
// records of the keys that open shards own go on meanwhile.
//
// Sequence numbers: a batch is stored with
// `Shard::AppendWithSequenceNumbers()`, so each record gets the number its
// shard gave it: brook's own shards number a batch's records one position
// apart, a remote stream's (remote_stream.h) take the service's numbers.
// A remote shard's append is not atomic: a batch the service stored in part
// and failed in part is retried whole, so some of its records may be stored
// twice (at least once, as with the KPL); brook's own shards store a batch
// all or none.
// With aggregation (`aggregation_enabled`), a stored record may be an
// aggregate: each of its user records gets the aggregate's number and its
// index in the aggregate as subsequence number.
//
// Order: records that one thread puts with the same partition key (or the
// same explicit hash key) are stored in the order that thread put them,
// through retries and reshards: a shard's records are appended by one batch
// at a time, a failed batch is retried before anything put after it,
// records moved by a reshard go ahead of records routed to the new shard
// after the move, and a record kept because no open shard owned its key
// keeps every later record of that key waiting behind it. Across threads,
// as across Kinesis clients, no order is promised. A record that fails for
// good (its TTL ran out, or a non-retryable error) does not hold back the
// records after it.
//
// Thread safety: every method may be called from many threads at once.
// Each thread that puts gets an intake of its own (kept until the producer is
// destroyed, with up to one 256 KiB chunk of record bytes): the calling
// thread hashes its partition keys (MD5) 32 at a time and sorts them by
// shard, by the shard map the sending thread last read (records sorted by a
// map that has since changed are sorted again), the sending thread does so
// for the few left when it takes them, and `Put()` takes no lock that other
// putting threads take, unless the buffer is full, the sending thread is
// asleep and must be woken, or the shard map changed. A thread that
// alternates between several producers pays a lock and a search of the
// intakes at each switch.
// Callbacks run on the producer's sending thread, one at a time, in the
// order the records' outcomes became known; a callback must not block for
// long, must not call `Flush()` or `Close()` nor destroy the producer (each
// waits for the sending thread, which runs the callback), and must not throw
// (nothing catches it there: the process ends); it may call `Put()` with
// `put_timeout` zero, and `stats()`. Lifetime: `stream` must outlive the
// producer; the destructor calls `Close()` if it was not called.
//
// Example:
//   brook::AsyncProducerOptions options;
//   options.linger = absl::Milliseconds(5);
//   absl::StatusOr<std::unique_ptr<brook::AsyncProducer>> producer =
//       brook::AsyncProducer::Create(stream.get(), options);
//   (*producer)->Put("user-7", "hi", {},
//                    [](const absl::StatusOr<brook::AsyncPutResult>& r) {
//                      if (!r.ok()) LOG(ERROR) << r.status();
//                    });
//   absl::Status all = (*producer)->Close();  // waits for every record

#ifndef BROOK_ASYNC_PRODUCER_H_
#define BROOK_ASYNC_PRODUCER_H_

#include <cstdint>
#include <future>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/export.h"
#include "brook/record.h"

namespace brook {

class Env;
class Stream;

// Options of an `AsyncProducer`. Defaults follow KPL's configuration where KPL
// has one (its name is given). `AsyncProducer::Create()` returns
// kInvalidArgument naming the first field out of range.
struct AsyncProducerOptions {
  // The longest a record waits in the buffer before its batch is appended,
  // even if the batch is not full (KPL: RecordMaxBufferedTime). Zero appends
  // as soon as the sending thread sees a record. A put that finds the buffer
  // full (`max_buffered_records` or `max_buffered_bytes`) cuts the wait
  // short: the sending thread then appends what it holds at once, since
  // nothing more can come in until something goes out. 0 to 1 hour.
  // Default: 100 ms.
  absl::Duration linger = absl::Milliseconds(100);

  // A batch (one `Shard::Append()`) holds at most this many records and
  // bytes (partition keys plus data) (KPL: CollectionMaxCount,
  // CollectionMaxSize). A batch is appended once it is full. Records 1 to
  // 100,000, default 500; bytes 1 to 64 MiB, default 5 MiB.
  int max_batch_records = 500;
  int64_t max_batch_bytes = int64_t{5} << 20;

  // Bounds on what the producer holds: records put and not yet completed
  // (appended or failed), and their bytes (partition keys, explicit hash keys
  // and data). KPL has no bound and leaves it to the application; an unbounded
  // buffer is a way to run out of memory, so brook has one. Records 1 to
  // 2^31-1, default 100,000; bytes at least `max_batch_bytes` and at least
  // the stream's max record size, default 64 MiB.
  int64_t max_buffered_records = 100'000;
  int64_t max_buffered_bytes = int64_t{64} << 20;

  // What `Put()` does when the buffer is full: waits up to this long for
  // room, then fails with kResourceExhausted. Zero fails at once;
  // `absl::InfiniteDuration()` waits as long as it takes. Time is the
  // `env`'s. Default: zero.
  absl::Duration put_timeout = absl::ZeroDuration();

  // A record not stored this long after its `Put()` fails with
  // kDeadlineExceeded, whose message carries the last error it met
  // (KPL: RecordTtl). At least 1 ms. Default: 30 s.
  absl::Duration record_ttl = absl::Seconds(30);

  // Backoff between attempts at a batch that failed with a retryable error:
  // the n-th retry waits a random time in [0, min(max_backoff,
  // min_backoff * 2^(n-1))] ("full jitter"). Retryable: kAborted (shard
  // closed by a reshard; routed again at once, without backoff),
  // kResourceExhausted (throttled, or the stream or disk full),
  // kUnavailable. Every other code fails the batch's records at once.
  // Records whose hash key no open shard owns (see the top of this file)
  // wait the same backoffs, the n-th after the n-th read of the shard map
  // that still left them without a shard; on a closed stream they fail with
  // kFailedPrecondition at the end of their backoff.
  // 1 ms <= min_backoff <= max_backoff <= 1 hour.
  // Defaults: 100 ms and 5 s.
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);

  // Seed of the jitter; 0 takes one from the system. Tests set it.
  // Default: 0.
  uint64_t seed = 0;

  // Source of time (linger, backoff, TTL, put_timeout). Not owned; must
  // outlive the producer. Default (null): `Env::Default()`.
  Env* env = nullptr;

  // KPL aggregation (KPL: AggregationEnabled): when true, the user records of
  // a batch bound for one shard are packed into aggregated records (the KPL
  // format; brook/aggregation.h), each stored as one record of the stream,
  // so that many small records cost one append slot. An aggregate holds only
  // records whose hash key (explicit, or the MD5 of the partition key) lies
  // in the range of the shard it is appended to, and carries the first
  // one's hash key as its explicit hash key; after a reshard, buffered
  // records are packed again by the new ranges, so no aggregate straddles a
  // shard boundary. Each record's `AsyncPutResult` carries the aggregate's
  // sequence number and its index in it as `subsequence_number`. A record
  // that does not fit an empty aggregate of `aggregation_max_bytes`, and a
  // record that would be alone in its aggregate, is stored as it is. The
  // batch limits then count stored records (aggregates) and their bytes, and
  // a shard's batch counts as full by `max_batch_bytes` only (else it waits
  // for `linger`). Aggregates are encoded on the sending thread when a batch
  // is appended (and again if it is retried), the MD5 trailers of a batch's
  // aggregates computed together, several at once in SIMD lanes.
  //
  // Default: false, unlike KPL (true). A brook reader sees an aggregate as
  // one record of opaque bytes unless it asks for de-aggregation
  // (`GetRecordsOptions::deaggregate`, default false, in consumer.h), so with
  // aggregation on, every reader of the stream must ask for it. Turn it on
  // when they do, or when the stream's readers are KCL-style consumers.
  bool aggregation_enabled = false;

  // Most user records in one aggregate (KPL: AggregationMaxCount). 1 to
  // 2^32-1. Default: 4294967295, as KPL (no limit but the size).
  int64_t aggregation_max_count = 4294967295;

  // Most bytes of one aggregated record, partition key plus data (magic,
  // protobuf and MD5), as the stream counts a record against its max record
  // size (KPL: AggregationMaxSize). At least 64; a value above the stream's
  // max record size counts as that size. Default: 51200, as KPL.
  int64_t aggregation_max_bytes = 51200;
};

// Where a record was stored.
struct AsyncPutResult {
  std::string shard_id;
  SequenceNumber sequence_number;
  // 0 unless the record was stored inside an aggregate (KPL aggregation);
  // then its index there.
  uint64_t subsequence_number = 0;
  // Appends tried for this record, 1 if the first one stored it.
  int attempts = 0;
};

// Counters of an `AsyncProducer` since it was created.
struct AsyncProducerStats {
  int64_t records_put = 0;       // accepted by Put()
  int64_t records_stored = 0;    // completed OK
  int64_t records_failed = 0;    // completed with an error
  int64_t records_buffered = 0;  // accepted and not yet completed
  int64_t bytes_buffered = 0;
  int64_t batches_appended = 0;  // successful Shard::Append() calls
  int64_t retries = 0;           // failed appends that were retried
  int64_t shard_map_refreshes = 0;
};

class BROOK_EXPORT AsyncProducer {
 public:
  // Called once per record with where it was stored, or why it failed:
  //   kInvalidArgument     the record is invalid for the stream (also
  //                        returned by `Put()` at once when it can tell);
  //   kDeadlineExceeded    `record_ttl` ran out; the message says the last
  //                        error (for a record no open shard owned, "no
  //                        open shard owns hash key ...");
  //   kFailedPrecondition  the stream was closed or is read-only;
  //   kCancelled           `Close()` gave up on it (its timeout ran out);
  //   other codes          a non-retryable append error (e.g. a failed
  //                        write of a durable stream), as `Shard::Append()`.
  using Callback =
      absl::AnyInvocable<void(const absl::StatusOr<AsyncPutResult>&)>;

  // Starts a producer and its sending thread over `stream` (not owned).
  // Returns kInvalidArgument naming an option out of range (or a null
  // `stream`), and kFailedPrecondition for a closed stream. A read-only
  // stream cannot be told from the public `Stream` interface without writing
  // to it: its records fail with kFailedPrecondition at their first append.
  static absl::StatusOr<std::unique_ptr<AsyncProducer>> Create(
      Stream* stream, const AsyncProducerOptions& options = {});

  // Closes, as `Close()` with an infinite timeout, if it was not closed.
  ~AsyncProducer();

  AsyncProducer(const AsyncProducer&) = delete;
  AsyncProducer& operator=(const AsyncProducer&) = delete;

  // Buffers a copy of the record and returns; `done` is called once with its
  // outcome (unless Put returns an error: then never). Returns at once:
  //   kInvalidArgument     an invalid partition key or explicit hash key, or
  //                        a record over the stream's max record size;
  //   kResourceExhausted   the buffer stayed full for `put_timeout`;
  //   kFailedPrecondition  `Close()` was called.
  // `done` may be empty (fire and forget; failures still count in stats()).
  // The record's bytes and `done` are kept in the thread's chunk: a put
  // allocates nothing itself (a callable too large for `AnyInvocable`'s
  // inline storage allocates when it is made, as ever).
  absl::Status Put(absl::string_view partition_key, absl::string_view data,
                   absl::string_view explicit_hash_key = {},
                   Callback done = nullptr);

  // As above, with the outcome in a future (one allocation per record more
  // than a callback). A record that `Put()` would refuse gives a future that
  // is ready with that error.
  std::future<absl::StatusOr<AsyncPutResult>> PutFuture(
      absl::string_view partition_key, absl::string_view data,
      absl::string_view explicit_hash_key = {});

  // Appends every record buffered now without waiting for `linger`, and
  // waits until each of them has completed (stored or failed; records in
  // backoff wait out their backoff). Records put meanwhile are not waited
  // for. Returns OK if all of them were stored, else kUnknown saying how many
  // failed (each failure went to its callback). Once `Close()` has been
  // called, waits until it has returned and returns what it returned.
  absl::Status Flush();

  // Stops accepting records, flushes, and waits up to `timeout` for every
  // buffered record to complete; records still buffered then complete with
  // kCancelled (the callback of one whose `Put()` raced with `Close()` may
  // then run on the thread calling `Close()`). Stops the sending thread.
  // Returns OK if every record the producer accepted was stored, else
  // kUnknown saying how many failed (each failure went to its callback). A
  // second call returns the same at once; one made while the first still
  // waits waits with it, up to its own `timeout`, then cancels what is left
  // (for both).
  absl::Status Close(absl::Duration timeout = absl::InfiniteDuration());

  // The counters now. A record counts as completed once its callback has
  // returned, so a callback (or a thread it signals) may see it still
  // buffered; after `Flush()` returns, its records are counted.
  AsyncProducerStats stats() const;

 private:
  class Impl;
  explicit AsyncProducer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace brook

#endif  // BROOK_ASYNC_PRODUCER_H_
