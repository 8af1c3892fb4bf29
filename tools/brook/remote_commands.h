// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` commands run on a Kinesis stream (--stream-name instead of
// --stream-dir), over `KinesisClient` (include/brook/kinesis_client.h). Each
// command's `RunFn` parses and checks its flags as for a local stream, then
// hands the values to its function here when `IsRemote()`; these print JSON
// with the same field names as the local command (and as `aws kinesis`), and
// sequence numbers as the service's decimal strings (never parsed into
// `SequenceNumber`: the service's are 56 digits). The client comes from
// `CliBackend::ConnectKinesis()` with the region, endpoint and profile of the
// command line. Internal to the tool.
//
// Errors: the client's status, printed by `Session::Fail()` (exit 1); its
// message names the operation and the service's error code, e.g. "kinesis
// ListShards: ResourceNotFoundException: Stream s ... not found".
//
// Linking: the commands call `KinesisClient` through its virtual methods
// only, so the tool links without lib/remote (a build without libcurl and
// OpenSSL), where `ConnectKinesis()` reports that there is no client.
//
// Thread safety: as `RunBrookCli()`.

#ifndef BROOK_TOOLS_BROOK_REMOTE_COMMANDS_H_
#define BROOK_TOOLS_BROOK_REMOTE_COMMANDS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "brook/consumer.h"
#include "brook/kinesis_client.h"

#include "tools/brook/command.h"
#include "tools/brook/flags.h"
#include "tools/brook/json.h"

namespace brook {
namespace cli {

// A put-records entry that owns its bytes, as read from --records-file.
struct OwnedPutEntry {
  std::string partition_key;
  std::string data;
  std::string explicit_hash_key;
  // Set for "ExplicitHashKey": "", which the APIs cannot tell from no key:
  // the entry fails on its own, as put-record's flag does.
  bool empty_explicit_hash_key = false;
};

// CheckSequenceNumberText()
//
// OK if `text` is a sequence number as Kinesis writes them: 1 to 129
// decimal digits, no leading zero (but "0"). kInvalidArgument otherwise.
// Checks the form only; the number is not parsed.
absl::Status CheckSequenceNumberText(absl::string_view text);

// KinesisIteratorTypeOf()
//
// The client's name for the iterator type `type`.
KinesisIteratorType KinesisIteratorTypeOf(ShardIteratorType type);

// PutRecordsErrorCode()
//
// The put-records "ErrorCode" for an entry that failed with `status` (not
// with a service's per-entry code): InvalidArgumentException,
// ProvisionedThroughputExceededException or InternalFailure by status code.
std::string PutRecordsErrorCode(const absl::Status& status);

// AppendRecordsJson()
//
// Appends get-records' record object (`RecordJson()`) of each of `records`
// to the array `*out`, with the service's sequence numbers. `deaggregate`
// (--deaggregate true): a KPL aggregated record comes out as its user
// records, each with its "SubSequenceNumber" (and "ExplicitHashKey"), one
// that cannot be decoded as stored with "DamagedAggregate": true.
void AppendRecordsJson(const std::vector<KinesisRecord>& records,
                       bool deaggregate, Json* out);

// The commands. Each connects, runs the operation(s) on the stream named by
// --stream-name, prints what the local command prints and returns the exit
// code, having reported any error through `session`. The arguments are the
// command's flags, already checked.
int RemotePutRecord(const Flags& flags, const Session& session,
                    absl::string_view partition_key, absl::string_view data,
                    absl::string_view explicit_hash_key);
// Sends the entries in requests of at most 500 entries and 5 MiB, in order;
// an entry whose partition key or explicit hash key is invalid fails on its
// own without being sent, as on a local stream.
int RemotePutRecords(const Flags& flags, const Session& session,
                     absl::Span<const OwnedPutEntry> entries);
// One GetShardIterator and one GetRecords.
int RemoteGetRecords(const Flags& flags, const Session& session,
                     absl::string_view shard_id,
                     const KinesisStartingPosition& start, int limit,
                     bool deaggregate);
int RemoteListShards(const Flags& flags, const Session& session);
int RemoteDescribeStreamSummary(const Flags& flags, const Session& session);
// CreateStream, then waits for ACTIVE and sets the retention period if one
// is given.
int RemoteCreateStream(const Flags& flags, const Session& session,
                       int shard_count,
                       std::optional<int> retention_period_hours);
int RemoteChangeRetentionPeriod(const Flags& flags, const Session& session,
                                int retention_period_hours, bool increase);
// The resharding commands wait for the stream to be ACTIVE again, so that,
// as on a local stream, the reshard is done when the command returns.
int RemoteSplitShard(const Flags& flags, const Session& session,
                     absl::string_view shard_id,
                     absl::string_view new_starting_hash_key);
int RemoteMergeShards(const Flags& flags, const Session& session,
                      absl::string_view shard_id,
                      absl::string_view adjacent_shard_id);
int RemoteUpdateShardCount(const Flags& flags, const Session& session,
                           int target_shard_count);

// `brook tail --stream-name`: polls GetRecords on every shard (or `shard_id`
// and its descendants) in lineage order until `stop()` is true, as
// remote_tail.cc says. `start` applies to the shards there are at the start.
// `stop` is called between polls, at least every 100 ms.
int RemoteTail(const Flags& flags, const Session& session,
               absl::string_view shard_id, const KinesisStartingPosition& start,
               bool deaggregate, bool (*stop)());

// ConnectRemote()
//
// A client for the Kinesis flags of `flags` (--region, --endpoint-url,
// --profile) through `session.backend().ConnectKinesis()`.
absl::StatusOr<std::unique_ptr<KinesisClient>> ConnectRemote(
    const Flags& flags, const Session& session);

// The value of --stream-name. REQUIRES: `IsRemote(flags)`.
const std::string& RemoteStreamName(const Flags& flags);

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_REMOTE_COMMANDS_H_
