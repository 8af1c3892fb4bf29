// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// An `Exporter` forwards a local stream to a remote Kinesis stream (edge
// buffering, as AWS IoT Greengrass stream manager does): records stay in the
// local durable stream while the network or the service is away, and are
// sent with `KinesisClient::PutRecords()` when it is back.
//
// Guarantees:
//   1. At least once: a record leaves the exporter's books only when the
//      service acknowledged it. Duplicates come from two places only: after a
//      crash (or a destruction without `SaveCheckpoint()`), each local shard
//      is sent again from its checkpoint, so the remote stream gets a suffix
//      of that shard's records a second time; and when one PutRecords entry
//      fails while a later entry of the same shard succeeds in the same
//      request (see 3).
//   2. Per-key order: every shard of the local stream is sent in order, and
//      a child shard (after a split or merge) only once every record of its
//      parents was acknowledged, so a partition key's records reach the
//      remote stream in the order they were written locally.
//   3. Retries: a failed request is sent again whole; a request with failed
//      entries is followed by one that holds, for each local shard that had a
//      failure, its records from the first failed one on (so a failed record
//      and every later record of its shard wait for it). Records of that
//      shard after the failed entry that the service had accepted are then
//      sent again: the remote stream holds them twice, and a key's records
//      are in order among their last copies (PutRecords goes on with later
//      entries after a failed one and does not promise order past it).
//      `ExporterOptions::strict_key_order` puts at most one record of a key
//      in a request, so that a key's records are stored in order, once each
//      (crashes apart), whatever fails.
//   4. Routing: each record is sent with its local hash key as
//      ExplicitHashKey, so the remote stream puts a key in the shard whose
//      range holds the same hash key brook used.
//   5. Loss is never silent: records that retention removed locally before
//      they were exported are counted (`ExportProgress::records_lost`),
//      persisted in the checkpoint and passed to `on_loss`.
//
// The checkpoint (lib/remote/EXPORT_CHECKPOINT_FORMAT.md) names, for every
// local shard, the last sequence number the service acknowledged, or that the
// shard was exported to its end. It is a versioned file replaced atomically
// (temp file, fsync, rename, fsync of the directory) every
// `checkpoint_interval` and when `Run()` returns.
//
// The local stream may be a read-only follower (`OpenMode::kReadOnly`) of a
// stream another process writes: the exporter follows the writer's records
// and reshards.
//
// Thread safety: `Run()`, `RunUntilCaughtUp()`, `ExportBatch()` and
// `SaveCheckpoint()` are called from one thread at a time (the exporter's
// owner). `Stop()` and `progress()` may be called from any thread at any
// time. Lifetime: the stream and the client must outlive the exporter.
// Destroying an exporter saves nothing (as a crash would not): call
// `Stop()`, let `Run()` return, or call `SaveCheckpoint()` first.
//
// Example:
//   brook::KinesisClientOptions client_options;
//   client_options.aws.endpoint_url = "http://127.0.0.1:4567";
//   auto client = brook::KinesisClient::Create(client_options);
//   brook::ExporterOptions options;
//   options.remote_stream_name = "telemetry";
//   options.checkpoint_path =
//       brook::DefaultExportCheckpointPath("/var/lib/app/events", "telemetry");
//   auto exporter = brook::Exporter::Create(stream.get(), client->get(),
//                                           options);
//   std::thread t([&] { absl::Status s = (*exporter)->Run(); ... });
//   ...
//   (*exporter)->Stop();  // Run() saves the checkpoint and returns OK
//   t.join();

#ifndef BROOK_EXPORTER_H_
#define BROOK_EXPORTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/env.h"
#include "brook/export.h"
#include "brook/kinesis_client.h"
#include "brook/stream.h"

namespace brook {

// Largest PutRecords request Kinesis takes.
inline constexpr int kMaxExportBatchRecords = 500;
inline constexpr int64_t kMaxExportBatchBytes = int64_t{5} << 20;

struct ExporterOptions {
  // The remote stream the records go to; it must exist. 1 to 128 characters
  // of [a-zA-Z0-9_.-]. Required.
  std::string remote_stream_name;
  // Where the checkpoint is kept (a file path; its directory must exist). A
  // missing file means a first run: every shard from its oldest record.
  // `DefaultExportCheckpointPath()` gives the usual place, in the stream's
  // directory. Required.
  std::string checkpoint_path;
  // Most records in one PutRecords request, 1 to 500. Default: 500.
  int batch_records = kMaxExportBatchRecords;
  // Most bytes (partition keys plus data, as Kinesis counts) in one request,
  // 1 to 5 MiB. A single record larger than this is sent alone. Default:
  // 5 MiB.
  int64_t batch_bytes = kMaxExportBatchBytes;
  // Puts at most one record of each partition key in a request, so that a
  // key's records reach the service in order even when entries fail:
  // PutRecords goes on with later entries after a failed one, so without
  // this a key's later record may be stored before an earlier one that
  // failed and is resent (guarantee 3 above). The price: a request holds one
  // record per key, so a stream of few hot keys is sent in small requests.
  // Default: false (order holds among the last copies, see 3).
  bool strict_key_order = false;
  // Exports only records the local writer has made durable
  // (`GetRecordsOptions::durable_only`), so that a power loss of the writer's
  // machine cannot take back (and its reopen give out again) a record that
  // was already exported. A stream in memory has no durable records: with
  // it set, `Run()` returns kFailedPrecondition. Default: false.
  bool durable_only = false;
  // Rate limits, in records per second and bytes (keys plus data) per
  // second, with a burst of one second's worth; 0 means unlimited. Range:
  // 0 to 2^40. Defaults: 0 (the service throttles, and the exporter backs
  // off).
  int64_t max_records_per_second = 0;
  int64_t max_bytes_per_second = 0;
  // How often the checkpoint is saved while records are sent (an idle
  // exporter writes nothing); zero saves after every acknowledged request.
  // A crash re-sends at most about this much. Range: 0 to 1 hour.
  // Default: 1 s.
  absl::Duration checkpoint_interval = absl::Seconds(1);
  // Back-off after a failed request or failed entries: starts at
  // `initial_backoff`, doubles up to `max_backoff`, each wait drawn from
  // [half, all] of that; reset by a request without failures. Ranges:
  // 1 ms <= initial_backoff <= max_backoff <= 10 minutes. Defaults: 100 ms,
  // 10 s.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(10);
  // How long `Run()` waits for new local records at a time before it looks
  // for new shards and `Stop()` again (a stop ends the wait sooner for
  // brook's own streams). Range: 1 ms to 1 minute. Default: 100 ms.
  absl::Duration poll_interval = absl::Milliseconds(100);
  // Called (on the exporting thread) before each back-off wait, with the
  // failed request's status, or kUnavailable naming the first failed entry's
  // error code; the wait's end on the `env` clock is fixed before the call.
  // Must not call back into the exporter. Default: none.
  std::function<void(const absl::Status&)> on_retry;
  // Called (on the exporting thread) when retention removed records of a
  // shard before they were exported, with the shard id and the count.
  // Default: none.
  std::function<void(const std::string& shard_id, uint64_t records)> on_loss;
  // Clock for back-off, rate limits and the checkpoint interval. Not owned.
  // Default: null, meaning `Env::Default()`; the checkpoint file is written
  // through it too.
  Env* env = nullptr;
};

// What an exporter has done since it was created (the counts marked
// "persisted": over every run that used the checkpoint).
struct ExportProgress {
  // Records acknowledged by the service, each once per time it was read
  // from the local stream: a record resent after a failed entry before it
  // counts once; one resent after a restart from the checkpoint counts again.
  int64_t records_sent = 0;
  int64_t bytes_sent = 0;       // partition keys plus data of those
  int64_t requests = 0;         // PutRecords calls made, failed ones included
  int64_t failed_requests = 0;  // calls that returned an error (retried)
  int64_t failed_entries = 0;   // entries the service rejected (resent)
  // Records retention removed before they were exported. Persisted.
  uint64_t records_lost = 0;
  // Records acknowledged over the exporter's whole history (as of each
  // save: acknowledgements after the last one count again when resent).
  // Persisted.
  uint64_t total_records_exported = 0;
  int64_t checkpoints_saved = 0;
  int shards_finished = 0;  // local shards exported to their end (closed)
  int shards_active = 0;    // local shards being exported now
  // The last retried failure; OK if none yet.
  absl::Status last_error;
};

// DefaultExportCheckpointPath()
//
// "<stream_dir>/exports/<remote_stream_name>.checkpoint". `Exporter::Create()`
// creates the `exports` directory when the checkpoint path is in one that
// is missing.
BROOK_EXPORT std::string DefaultExportCheckpointPath(
    absl::string_view stream_dir, absl::string_view remote_stream_name);

class BROOK_EXPORT Exporter {
 public:
  // Checks `options` and reads the checkpoint; sends nothing. Returns
  // kInvalidArgument naming an out-of-range option or a missing required
  // one; kDataLoss for a checkpoint that is damaged (bad magic, checksum or
  // contents; the message names the file); kFailedPrecondition for a
  // checkpoint of a newer format version, one written for another local or
  // remote stream (the message names both), or one another exporter (in
  // this or another process) has open: an exporter holds an flock on
  // "<checkpoint_path>.lock" for its lifetime; the file system's error
  // otherwise. `options` are copied; they cannot change later.
  // REQUIRES: `stream` and `client` are not null.
  static absl::StatusOr<std::unique_ptr<Exporter>> Create(
      Stream* stream, KinesisClient* client, const ExporterOptions& options);

  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;
  virtual ~Exporter();

  // Exports until `Stop()`: sends what the stream holds, then waits for new
  // records and shards. Transient failures (kUnavailable, kResourceExhausted,
  // kDeadlineExceeded, kInternal from the client; failed entries) are
  // retried with back-off for as long as it takes; a permanent one (e.g.
  // kNotFound for a missing remote stream, kInvalidArgument,
  // kUnauthenticated, kPermissionDenied; kInvalidArgument also for a record
  // the service refuses, e.g. one over its size limit) ends the run and is
  // returned, as is an error reading the local stream (e.g. kDataLoss).
  // Saves the checkpoint before returning; returns OK after `Stop()`, or
  // the checkpoint write's error.
  virtual absl::Status Run() = 0;

  // Exports until nothing is left to send (every shard read to its newest
  // record, children included, everything acknowledged), saves the
  // checkpoint and returns OK. A writer appending faster than the export
  // keeps it going. Errors as `Run()`; kCancelled after `Stop()`.
  virtual absl::Status RunUntilCaughtUp() = 0;

  // Sends at most one request's worth of records, retrying it until it is
  // acknowledged, and returns how many records it sent (0: nothing to send
  // now). Saves the checkpoint if it changed and `checkpoint_interval` has
  // passed. Errors as `Run()`; kCancelled after `Stop()`.
  virtual absl::StatusOr<int64_t> ExportBatch() = 0;

  // Writes the checkpoint now. Returns the file system's error.
  virtual absl::Status SaveCheckpoint() = 0;

  // Makes `Run()` return soon (after saving the checkpoint); later
  // `ExportBatch()` and `RunUntilCaughtUp()` calls return kCancelled and
  // `Run()` returns OK at once (both save first). There is no restart: make
  // a new exporter. A request in flight is finished (the client's own
  // retries included) first; back-off and rate-limit waits end at once, and
  // so does a wait for local records. Thread-safe; not async-signal-safe.
  virtual void Stop() = 0;

  // A snapshot of the counts. Thread-safe.
  virtual ExportProgress progress() const = 0;

 protected:
  Exporter() = default;
};

}  // namespace brook

#endif  // BROOK_EXPORTER_H_
