// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A client of the Amazon Kinesis Data Streams API (or a local emulator such
// as kinesalite): the JSON 1.1 protocol over HTTP/1.1 (libcurl), signed with
// Signature Version 4 (OpenSSL). One method per operation; values are the
// service's own (sequence numbers and hash keys are its decimal strings,
// record data is raw bytes, base64 only on the wire).
//
// Errors: every failure names the operation, and for a service error its
// code and message ("kinesis PutRecord: ResourceNotFoundException: ...");
// `AwsErrorCode()` gives the code. Codes: kNotFound (ResourceNotFound),
// kInvalidArgument (InvalidArgument, Validation, and bad arguments caught
// before sending), kFailedPrecondition (ResourceInUse, ExpiredIterator,
// KMS...), kPermissionDenied (AccessDenied), kUnauthenticated (signature or
// token refused, or expired credentials), kUnimplemented (an operation the
// endpoint does not know, e.g. kinesalite's UpdateShardCount),
// kResourceExhausted (ProvisionedThroughputExceeded or LimitExceeded still
// returned when `retry_deadline` passed), kUnavailable (no response, or 5xx,
// until `retry_deadline`), kUnknown (any other service error code).
//
// Thread safety: all methods may be called concurrently; connections are
// pooled. Lifetime: results are values that do not refer to the client.
//
// Example:
//   brook::KinesisClientOptions options;
//   options.aws.endpoint_url = "http://127.0.0.1:4567";
//   auto client = brook::KinesisClient::Create(options);
//   if (!client.ok()) return client.status();
//   auto put = (*client)->PutRecord("clicks", "user-42", "clicked");
//   // put->shard_id, put->sequence_number ("4963...")

#ifndef BROOK_KINESIS_CLIENT_H_
#define BROOK_KINESIS_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "brook/aws_config.h"
#include "brook/env.h"
#include "brook/export.h"

namespace brook {

// The timeouts, retries and clock (`request_timeout`, `connect_timeout`,
// `retry_deadline`, `initial_backoff`, `max_backoff`, `env`) are
// `AwsRequestOptions`' (aws_config.h), documented there.
struct KinesisClientOptions : AwsRequestOptions {
  // Region, endpoint, profile and credentials (see `ResolveAwsConfig()`).
  AwsConfigOptions aws;
};

// AwsErrorCode()
//
// The service error code in a status `KinesisClient` returned
// ("ExpiredIteratorException"), or "" for statuses without one.
BROOK_EXPORT std::string AwsErrorCode(const absl::Status& status);

struct KinesisShard {
  std::string shard_id;
  std::string parent_shard_id;           // "" if none
  std::string adjacent_parent_shard_id;  // "" if none
  std::string starting_hash_key;         // decimal
  std::string ending_hash_key;           // decimal, inclusive
  std::string starting_sequence_number;
  std::string ending_sequence_number;  // "" while the shard is open
};

// ListShards' ShardFilter: which shards the service lists. kNone sends no
// filter (the service then lists as FROM_TRIM_HORIZON: every shard within the
// retention period); kinesalite has no ShardFilter and ignores it.
enum class KinesisShardFilterType {
  kNone,
  kAfterShardId,     // the shards after `shard_id`, in id order
  kAtTrimHorizon,    // the shards that were open at TRIM_HORIZON
  kFromTrimHorizon,  // every shard within the retention period
  kAtLatest,         // the open shards only
  kAtTimestamp,      // the shards open at `timestamp_millis`
  kFromTimestamp,    // the shards open at or after `timestamp_millis`
};

struct KinesisShardFilter {
  KinesisShardFilterType type = KinesisShardFilterType::kNone;
  // For kAfterShardId (required, and only then): the shard to list after.
  std::string shard_id;
  // For kAtTimestamp and kFromTimestamp: milliseconds since the Unix epoch,
  // >= 0 (the service corrects a time before TRIM_HORIZON to it).
  int64_t timestamp_millis = 0;
};

struct KinesisStreamSummary {
  std::string stream_name;
  std::string stream_arn;
  std::string stream_status;  // CREATING, ACTIVE, UPDATING, DELETING
  int open_shard_count = 0;
  int retention_period_hours = 0;
  int consumer_count = 0;
  // PROVISIONED or ON_DEMAND (StreamModeDetails); "" when the endpoint does
  // not say (kinesalite).
  std::string stream_mode;
  // NONE or KMS; "" when the endpoint does not say.
  std::string encryption_type;
  // The enhanced (shard-level) CloudWatch metrics enabled, e.g.
  // "IncomingBytes"; empty for none.
  std::vector<std::string> shard_level_metrics;
};

struct KinesisPutRecordResult {
  std::string shard_id;
  std::string sequence_number;
};

struct KinesisPutRecordsEntry {
  absl::string_view partition_key;
  absl::string_view data;
  absl::string_view explicit_hash_key;  // "" if none
};

// One entry's outcome, in request order: a shard and sequence number, or the
// service's error code (ProvisionedThroughputExceededException,
// InternalFailure) and message.
struct KinesisPutRecordsResultEntry {
  std::string shard_id;
  std::string sequence_number;
  std::string error_code;  // "" on success
  std::string error_message;
  bool ok() const { return error_code.empty(); }
};

struct KinesisPutRecordsResult {
  int failed_record_count = 0;
  std::vector<KinesisPutRecordsResultEntry> records;
};

enum class KinesisIteratorType {
  kTrimHorizon,
  kLatest,
  kAtSequenceNumber,
  kAfterSequenceNumber,
  kAtTimestamp,
};

struct KinesisStartingPosition {
  KinesisIteratorType type = KinesisIteratorType::kTrimHorizon;
  // For kAt/kAfterSequenceNumber: a decimal sequence number.
  std::string sequence_number;
  // For kAtTimestamp: milliseconds since the Unix epoch.
  int64_t timestamp_millis = 0;
};

struct KinesisRecord {
  std::string sequence_number;
  std::string partition_key;
  std::string data;  // decoded bytes
  int64_t approximate_arrival_timestamp_millis = 0;
};

struct KinesisGetRecordsResult {
  std::vector<KinesisRecord> records;
  // The iterator for the next call; "" once a closed shard is read to its end.
  std::string next_shard_iterator;
  int64_t millis_behind_latest = 0;
  // At a closed shard's end, its children (where the service reports them).
  std::vector<std::string> child_shard_ids;
};

class BROOK_EXPORT KinesisClient {
 public:
  // Checks `options` (`ValidateAwsRequestOptions()`, kInvalidArgument),
  // resolves the configuration (`ResolveAwsConfig()`, whose errors it
  // returns) and prepares a connection pool; sends nothing.
  static absl::StatusOr<std::unique_ptr<KinesisClient>> Create(
      const KinesisClientOptions& options);

  virtual ~KinesisClient();

  // The resolved region, endpoint and credentials' source.
  virtual const AwsConfig& config() const = 0;

  // Creates a stream of `shard_count` (>= 1) shards; it is CREATING at first
  // (see `WaitForStreamActive()`). kFailedPrecondition if the name is taken.
  virtual absl::Status CreateStream(absl::string_view stream_name,
                                    int shard_count) = 0;
  // Deletes a stream (DELETING at first).
  virtual absl::Status DeleteStream(absl::string_view stream_name) = 0;
  virtual absl::StatusOr<KinesisStreamSummary> DescribeStreamSummary(
      absl::string_view stream_name) = 0;
  // Polls DescribeStreamSummary (every 50 ms to 1 s of the Env clock) until
  // the stream is ACTIVE; kDeadlineExceeded after `timeout`.
  virtual absl::Status WaitForStreamActive(absl::string_view stream_name,
                                           absl::Duration timeout) = 0;
  // The shards of the stream that `filter` selects (every shard, open and
  // closed, for kNone), following NextToken until the service has no more
  // pages (the filter goes with the first request only, as the service
  // wants). kInvalidArgument naming the field for a filter that is not
  // well-formed (a shard id without kAfterShardId or missing with it, a
  // negative timestamp); kFailedPrecondition if a token expired mid-way
  // (ExpiredNextTokenException: call again).
  virtual absl::StatusOr<std::vector<KinesisShard>> ListShards(
      absl::string_view stream_name, const KinesisShardFilter& filter) = 0;
  // Every shard of the stream (no filter).
  absl::StatusOr<std::vector<KinesisShard>> ListShards(
      absl::string_view stream_name) {
    return ListShards(stream_name, KinesisShardFilter());
  }

  // Writes one record; `explicit_hash_key` "" routes by the partition key's
  // MD5. kInvalidArgument for an empty partition key.
  virtual absl::StatusOr<KinesisPutRecordResult> PutRecord(
      absl::string_view stream_name, absl::string_view partition_key,
      absl::string_view data, absl::string_view explicit_hash_key = "") = 0;
  // Writes 1 to 500 records in one request; not atomic: each entry has its
  // own outcome. Entries that fail are reported, not retried (the caller
  // decides). kInvalidArgument for 0 or more than 500 entries.
  virtual absl::StatusOr<KinesisPutRecordsResult> PutRecords(
      absl::string_view stream_name,
      absl::Span<const KinesisPutRecordsEntry> entries) = 0;

  // An iterator, valid for 5 minutes on the service.
  virtual absl::StatusOr<std::string> GetShardIterator(
      absl::string_view stream_name, absl::string_view shard_id,
      const KinesisStartingPosition& position) = 0;
  // Up to `limit` (1 to 10,000) records from `shard_iterator`.
  // kFailedPrecondition with code ExpiredIteratorException for an iterator
  // older than 5 minutes (get a new one from the last sequence number).
  virtual absl::StatusOr<KinesisGetRecordsResult> GetRecords(
      absl::string_view shard_iterator, int limit = 10000) = 0;

  // Resharding; each puts the stream in UPDATING for a while.
  virtual absl::Status SplitShard(absl::string_view stream_name,
                                  absl::string_view shard_id,
                                  absl::string_view new_starting_hash_key) = 0;
  virtual absl::Status MergeShards(absl::string_view stream_name,
                                   absl::string_view shard_id,
                                   absl::string_view adjacent_shard_id) = 0;
  // UNIFORM_SCALING to `target_shard_count`.
  virtual absl::Status UpdateShardCount(absl::string_view stream_name,
                                        int target_shard_count) = 0;
  virtual absl::Status IncreaseStreamRetentionPeriod(
      absl::string_view stream_name, int retention_period_hours) = 0;
  virtual absl::Status DecreaseStreamRetentionPeriod(
      absl::string_view stream_name, int retention_period_hours) = 0;
};

}  // namespace brook

#endif  // BROOK_KINESIS_CLIENT_H_
