// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// KinesisClient over AwsJsonClient. Tests build one on a fake transport.
//
// Thread safety: as KinesisClient (every method may run concurrently).

#ifndef BROOK_LIB_REMOTE_KINESIS_CLIENT_IMPL_H_
#define BROOK_LIB_REMOTE_KINESIS_CLIENT_IMPL_H_

#include <memory>
#include <string>
#include <vector>

#include "brook/kinesis_client.h"

#include "remote/aws_json_client.h"

namespace brook {
namespace internal {

class KinesisClientImpl : public KinesisClient {
 public:
  // `config` is resolved already; `transport` carries the requests.
  KinesisClientImpl(const KinesisClientOptions& options, AwsConfig config,
                    std::unique_ptr<HttpTransport> transport);

  const AwsConfig& config() const override { return json_.options().config; }
  absl::Status CreateStream(absl::string_view stream_name,
                            int shard_count) override;
  absl::Status DeleteStream(absl::string_view stream_name) override;
  absl::StatusOr<KinesisStreamSummary> DescribeStreamSummary(
      absl::string_view stream_name) override;
  absl::Status WaitForStreamActive(absl::string_view stream_name,
                                   absl::Duration timeout) override;
  using KinesisClient::ListShards;
  absl::StatusOr<std::vector<KinesisShard>> ListShards(
      absl::string_view stream_name, const KinesisShardFilter& filter) override;
  absl::StatusOr<KinesisPutRecordResult> PutRecord(
      absl::string_view stream_name, absl::string_view partition_key,
      absl::string_view data, absl::string_view explicit_hash_key) override;
  absl::StatusOr<KinesisPutRecordsResult> PutRecords(
      absl::string_view stream_name,
      absl::Span<const KinesisPutRecordsEntry> entries) override;
  absl::StatusOr<std::string> GetShardIterator(
      absl::string_view stream_name, absl::string_view shard_id,
      const KinesisStartingPosition& position) override;
  absl::StatusOr<KinesisGetRecordsResult> GetRecords(
      absl::string_view shard_iterator, int limit) override;
  absl::Status SplitShard(absl::string_view stream_name,
                          absl::string_view shard_id,
                          absl::string_view new_starting_hash_key) override;
  absl::Status MergeShards(absl::string_view stream_name,
                           absl::string_view shard_id,
                           absl::string_view adjacent_shard_id) override;
  absl::Status UpdateShardCount(absl::string_view stream_name,
                                int target_shard_count) override;
  absl::Status IncreaseStreamRetentionPeriod(
      absl::string_view stream_name, int retention_period_hours) override;
  absl::Status DecreaseStreamRetentionPeriod(
      absl::string_view stream_name, int retention_period_hours) override;

 private:
  Env* const env_;
  AwsJsonClient json_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_REMOTE_KINESIS_CLIENT_IMPL_H_
