// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `CliBackend` is the only way the `brook` tool reaches stream directories
// (creating a stream in one, opening one for writing or for reading, and
// verifying one) and Kinesis streams (`ConnectKinesis()`). The tool itself (cli.h) never touches the file system for
// streams, so it can be tested against `MemoryBackend` (test/tools/) and
// connected to the durable store through `NewDurableBackend()`
// (durable_backend.cc) without changes.
//
// Thread safety: the tool calls a backend from one thread; implementations need
// not be thread-safe.
// Lifetime: a stream returned by a backend may outlive the call that returned
// it but not the backend. Streams are returned as `shared_ptr` so that a
// backend may keep them (the memory backend does); the durable backend hands
// over the only reference, and dropping it closes the stream.
//
// Example:
//   std::unique_ptr<brook::cli::CliBackend> backend =
//       brook::cli::NewDurableBackend();
//   absl::StatusOr<std::shared_ptr<brook::Stream>> stream =
//       backend->OpenReadOnly("/var/lib/app/clicks");
//   if (!stream.ok()) return stream.status();
//   for (const brook::ShardDescription& s : (*stream)->ListShards()) ...

#ifndef BROOK_TOOLS_BROOK_BACKEND_H_
#define BROOK_TOOLS_BROOK_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/kinesis_client.h"
#include "brook/lease.h"
#include "brook/options.h"
#include "brook/stream.h"

namespace brook {
namespace cli {

// How far a long operation has got, for a progress line.
struct Progress {
  // What is being worked on now, e.g. a segment file or a shard id.
  absl::string_view item;
  // Units (segments, shards) finished so far, and in all; `total` is 0 when
  // not known in advance.
  int64_t done = 0;
  int64_t total = 0;
};

// Called from the thread that runs the operation, as often as the operation
// likes; the tool rate-limits what it prints. Must not be null when passed.
using ProgressFn = std::function<void(const Progress&)>;

// One damaged place in a stream directory.
struct Damage {
  std::string file;     // path of the damaged file, as the user would open it
  int64_t offset = 0;   // byte offset of the first bad byte (or bad batch)
  std::string message;  // what is wrong, lower-case, e.g. "batch crc mismatch"
};

// What `Verify()` found. Counts say how much was checked, so that a report of
// no damage can be told apart from a check of nothing.
struct VerifyReport {
  int64_t segments_checked = 0;
  int64_t batches_checked = 0;
  int64_t records_checked = 0;
  int64_t bytes_checked = 0;
  std::vector<Damage> damage;  // empty when nothing is wrong
};

class CliBackend {
 public:
  virtual ~CliBackend() = default;

  // Creates a stream in `dir` with `options` (name, shard count, retention;
  // `env` is left null by the tool) and returns it open for writing. Returns
  // kAlreadyExists if `dir` already holds a stream (or is being created by
  // another caller at the same time: of two, exactly one succeeds),
  // kInvalidArgument for bad options. Must not modify an existing stream.
  virtual absl::StatusOr<std::shared_ptr<Stream>> CreateStream(
      absl::string_view dir, const StreamOptions& options) = 0;

  // Opens the stream in `dir` for reading and writing (put-record,
  // put-records, split-shard, merge-shards, update-shard-count) with the
  // options stored with it. Returns kNotFound if `dir` holds no stream.
  virtual absl::StatusOr<std::shared_ptr<Stream>> OpenForWrite(
      absl::string_view dir) = 0;

  // Opens the stream in `dir` without changing anything on disk (list-shards,
  // describe-stream-summary, get-records, dump): no recovery truncation, no
  // retention trimming of files, no new files. Pays only for what is read:
  // listing and describing read the metadata alone, and a shard's segments
  // are read at its first read (`OpenMode::kReadOnly`). Returns kNotFound if
  // `dir` holds no stream, kFailedPrecondition if it is not a directory,
  // kDataLoss if it cannot be read at all.
  virtual absl::StatusOr<std::shared_ptr<Stream>> OpenReadOnly(
      absl::string_view dir) = 0;

  // Makes what was written to `stream` (opened by `OpenForWrite()` or
  // `CreateStream()`) durable before the tool reports success. Returns the
  // store's error if it cannot.
  virtual absl::Status Sync(Stream& stream) = 0;

  // Checks every segment of the stream in `dir` without modifying it, calling
  // `progress` as it goes. Damage is reported in the result, not as an error;
  // an error (kNotFound for no stream, kPermissionDenied, ...) means the check
  // could not be done.
  virtual absl::StatusOr<VerifyReport> Verify(absl::string_view dir,
                                              const ProgressFn& progress) = 0;

  // Consumer groups (describe-consumer-group, list-consumer-groups,
  // reset-consumer-group). The names of the consumer groups kept beside the
  // stream in `dir`, sorted; empty if none. Returns kNotFound if `dir` holds
  // no stream, or the I/O error naming the path. Must not create anything.
  // The default (a backend without consumer groups) returns kUnimplemented.
  virtual absl::StatusOr<std::vector<std::string>> ListConsumerGroups(
      absl::string_view dir);

  // The lease store of consumer group `group` of the stream in `dir`
  // (include/brook/lease.h). Returns kNotFound naming the group if the
  // stream has no such group (a group is never created here), or the error
  // opening it. The default returns kUnimplemented.
  virtual absl::StatusOr<std::shared_ptr<LeaseStore>> OpenLeaseStore(
      absl::string_view dir, absl::string_view group);

  // Kinesis streams (every command run with --stream-name). A client made
  // with `options`, whose `aws` field holds the command line's --region,
  // --endpoint-url and --profile (empty when not given). Returns the errors
  // of `KinesisClient::Create()` (no region, no credentials, an unknown
  // profile: see `ResolveAwsConfig()`). The default returns kUnimplemented:
  // a backend of stream directories only. The installed binary's
  // (`NewDurableBackend()`) calls `KinesisClient::Create()`; tests point it at
  // a local emulator.
  virtual absl::StatusOr<std::unique_ptr<KinesisClient>> ConnectKinesis(
      const KinesisClientOptions& options);

  // Now, in milliseconds since the Unix epoch, on the clock the backend's
  // streams stamp arrival times with (MillisBehindLatest). The default is
  // `Env::Default()`'s.
  virtual int64_t NowMillis();
};

// NewDurableBackend()
//
// The backend of the installed `brook` binary: streams in directories on disk,
// through the durable store. Defined in durable_backend.cc.
std::unique_ptr<CliBackend> NewDurableBackend();

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_BACKEND_H_
