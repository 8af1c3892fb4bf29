// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A `Stream` over a remote Amazon Kinesis data stream (or a local emulator
// such as kinesalite), through `KinesisClient`: `Producer`, `Consumer`,
// consumer-group `Worker`s, subscriptions and the pipeline, which use only
// the public `Stream` interface, work over it unchanged. Built only when
// brook is built with lib/remote (libcurl, OpenSSL).
//
// What differs from brook's own streams:
//   - Puts are PutRecords calls, grouped by the cached ListShards ranges
//     (<= 500 entries and <= 5 MiB per call), each entry sent with
//     ExplicitHashKey = the hash key brook computed, so the service stores it
//     where brook routed it. Entries the service fails
//     (ProvisionedThroughputExceededException, InternalFailure) are retried
//     with back-off until `put_retry_deadline`, then fail alone with
//     kResourceExhausted (throttled) or kUnavailable.
//   - Per-key order: records of one key given in one call are sent in
//     order. It can break only under a partial failure: if entry i fails and
//     a later entry of the same key in the same request is stored, the retry
//     of i lands after it (the KPL behaves the same).
//   - `Shard::Append()` is not atomic (PutRecords is not): on an error some
//     of the records may be stored (see `Shard::Append()` below).
//   - Waits poll: `Consumer::WaitForRecords()` calls GetRecords every
//     `poll_initial_interval`, growing to `poll_max_interval` (the service
//     allows 5 GetRecords calls per second per shard), on the `Env` clock of
//     `KinesisClientOptions::env`; a batch fetched while waiting is kept for
//     the next `GetRecords()`.
//   - Iterators carry the service's iterator (valid 5 minutes on the
//     service); an expired one is re-created AFTER_SEQUENCE_NUMBER of the
//     last record read (or at its original start if none was) and the call
//     retried once. A LATEST iterator that expires before it read anything
//     restarts at LATEST, so records put in between are not read by it.
//   - A closed shard's end: a read that returns a closed shard's last
//     records ends the shard (no next iterator, the child shards), as
//     brook's own streams do; for that, a read at a shard the stream knows
//     to be closed fetches the next batch ahead (kept for the next read).
//     Its `ending_sequence_number` is the service's, at or after its last
//     record's number (brook's own streams give the last record's).
//   - Records read back: the service returns no explicit hash key, so a
//     record's `hash_key` is its partition key's MD5 and
//     `has_explicit_hash_key` is false; `subsequence_number` is 0;
//     `skipped_records()` is 0 (the service does not say).
//   - Resharding calls the service, then waits until the stream is ACTIVE
//     again (`reshard_timeout`) and reloads the shards. A split or merge of
//     a shard the stream knows to be closed is refused first with
//     kFailedPrecondition, as `Stream` says (kinesalite would make it), and
//     an `UpdateShardCount()` target outside 1..10000 with kInvalidArgument.
//     `ListShards()` and `DescribeStream()` ask the service each time, so
//     readers (consumer groups) see reshards made by other processes; if it
//     cannot be reached they answer from the cache. `GetShard()` and the put
//     path use the cache, reloading it when the service names a shard it
//     does not hold. `UpdateShardCount()` ignores `kinesis_scaling_limits`:
//     the service applies its own limits whatever it says.
//     `DescribeStream().stored_bytes` is 0: the service does not report
//     the bytes a stream holds.
//   - `Sync()`, `WaitForDurable()` return OK at once: a record the service
//     acknowledged is durable there. `TrimExpired()` returns 0; retention is
//     the service's, in whole hours: `IncreaseStreamRetentionPeriod()` and
//     `DecreaseStreamRetentionPeriod()` return kInvalidArgument for a period
//     that is not whole hours, not 1 to 8760 hours, or shorter (an increase)
//     or longer (a decrease) than the period now. `UpdateRetentionBytes()`
//     is kUnimplemented.
//   - kinesalite lacks UpdateShardCount (kUnimplemented from it), ChildShards
//     in GetRecords (the children are then found with ListShards, as their
//     parent ids name the closed shard) and SubscribeToShard (brook's push
//     subscriptions poll through `Consumer` and so work anyway).
//
// Errors: every failure of the service names the operation and the
// service's error code and message ("kinesis GetRecords:
// ResourceNotFoundException: ..."); codes as kinesis_client.h says.
//
// Thread safety: all methods are thread-safe, as `Stream`'s.
// Lifetime: the stream owns its client; shards, iterators and results follow
// `Stream`'s rules.
//
// Example:
//   brook::RemoteStreamOptions options;
//   options.client.aws.region = "eu-west-1";
//   absl::StatusOr<std::unique_ptr<brook::Stream>> stream =
//       brook::OpenRemoteStream("clicks", options);
//   if (!stream.ok()) return stream.status();
//   brook::Producer producer(stream->get());
//   auto put = producer.PutRecord("user-42", "clicked");

#ifndef BROOK_REMOTE_STREAM_H_
#define BROOK_REMOTE_STREAM_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/export.h"
#include "brook/kinesis_client.h"
#include "brook/record.h"
#include "brook/stream.h"

namespace brook {

struct RemoteStreamOptions {
  // The client `OpenRemoteStream(name, options)` creates: region, endpoint,
  // credentials, request timeouts and retries (kinesis_client.h). Its `env`
  // is the stream's clock for every wait and back-off, with either factory.
  KinesisClientOptions client;
  // How long entries of a put that the service failed one by one are
  // retried, from the start of the put. Zero: not retried. Default: 30 s.
  absl::Duration put_retry_deadline = absl::Seconds(30);
  // Back-off between retries of failed entries: from [b/2, b], b doubling
  // from `put_initial_backoff` up to `put_max_backoff`. Both > 0.
  // Default: 100 ms and 2 s.
  absl::Duration put_initial_backoff = absl::Milliseconds(100);
  absl::Duration put_max_backoff = absl::Seconds(2);
  // `Consumer::WaitForRecords()`'s polling: the first interval, doubling up
  // to the second. Both > 0, the first <= the second. Default: 200 ms, 1 s.
  absl::Duration poll_initial_interval = absl::Milliseconds(200);
  absl::Duration poll_max_interval = absl::Seconds(1);
  // How long a reshard or retention change waits for the stream to be ACTIVE
  // again; kDeadlineExceeded after it (the change was made). > 0.
  // Default: 5 min.
  absl::Duration reshard_timeout = absl::Minutes(5);
  // The largest record `Producer` accepts, partition key plus data bytes,
  // 1 to 10 MiB (set it to the stream's limit if raised). Default: 1 MiB.
  int64_t max_record_bytes = kDefaultMaxRecordBytes;
};

// OpenRemoteStream()
//
// Opens the existing remote stream `stream_name`: creates a client from
// `options.client` (or takes `client`, not null), waits up to
// `reshard_timeout` for the stream to be ACTIVE, and loads its shards
// (ListShards). Creates nothing (`KinesisClient::CreateStream()` does).
// Returns kInvalidArgument naming a bad option, the client's errors
// (`KinesisClient::Create()`), and the service's: kNotFound for an unknown
// stream, kDeadlineExceeded if it did not become ACTIVE in time.
// The returned `Stream` documents the differences above; `options()` gives
// `name`, `shard_count` (the open shards now), `retention_period` and
// `max_record_bytes`, other fields at their defaults.
BROOK_EXPORT absl::StatusOr<std::unique_ptr<Stream>> OpenRemoteStream(
    absl::string_view stream_name, const RemoteStreamOptions& options);
BROOK_EXPORT absl::StatusOr<std::unique_ptr<Stream>> OpenRemoteStream(
    absl::string_view stream_name, std::unique_ptr<KinesisClient> client,
    const RemoteStreamOptions& options);

// The `Shard`s of a remote stream implement `Shard::Append()` with a weaker
// contract than brook's own: the records (hash keys in the shard's range,
// else kInvalidArgument; kAborted if the shard is known to be closed) are put
// as the stream's puts are, in order, and the first one's sequence number is
// returned; the others follow in increasing order if all went to this shard.
// Not atomic: on an error (the first failed record's status, whose message
// says how many of the records were stored) the records that did not fail
// are stored. If a reshard closed the shard meanwhile, the service stores
// the records in the child that owns their keys and the call returns
// kAborted saying so: retrying then stores them twice.
// `Shard::AppendWithSequenceNumbers()` (what `AsyncProducer` uses) gives each
// record the number the service gave it.

}  // namespace brook

#endif  // BROOK_REMOTE_STREAM_H_
