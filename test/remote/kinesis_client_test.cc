// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The Kinesis client against kinesalite on loopback (skipped, with the reason
// printed, when Node.js or kinesalite is absent). kinesalite has no
// UpdateShardCount, no ChildShards in GetRecords and no NextToken paging in
// ListShards; those are covered on a scripted transport
// (aws_json_client_test.cc).

#include "brook/kinesis_client.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/partitioner.h"
#include "brook/record.h"

#include "remote/kinesalite.h"
#include "testing/status_testing.h"
#include "util/decimal.h"

namespace brook {
namespace {

using testing::ClientFor;

// Decimal strings compared as numbers (no leading zeros).
bool DecimalLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

TEST_CASE("Kinesalite: create, describe, list, retention, delete", "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("life", 3));
  BROOK_REQUIRE_OK(client->WaitForStreamActive("life", absl::Seconds(10)));
  absl::StatusOr<KinesisStreamSummary> summary =
      client->DescribeStreamSummary("life");
  BROOK_REQUIRE_OK(summary);
  CHECK(summary->stream_name == "life");
  CHECK(summary->stream_status == "ACTIVE");
  CHECK(summary->open_shard_count == 3);
  CHECK(summary->retention_period_hours == 24);

  // The ranges are the ones brook gives a 3-shard stream.
  absl::StatusOr<std::vector<KinesisShard>> shards = client->ListShards("life");
  BROOK_REQUIRE_OK(shards);
  const std::vector<HashKeyRange> ranges = UniformHashKeyRanges(3);
  REQUIRE(shards->size() == 3);
  for (int i = 0; i < 3; ++i) {
    INFO(i);
    CHECK((*shards)[i].shard_id == absl::StrCat("shardId-00000000000", i));
    CHECK((*shards)[i].starting_hash_key ==
          internal::FormatDecimalUint128(ranges[i].starting_hash_key));
    CHECK((*shards)[i].ending_hash_key ==
          internal::FormatDecimalUint128(ranges[i].ending_hash_key));
    CHECK((*shards)[i].ending_sequence_number.empty());
  }

  absl::Status s = client->CreateStream("life", 1);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(AwsErrorCode(s) == "ResourceInUseException");

  BROOK_REQUIRE_OK(client->IncreaseStreamRetentionPeriod("life", 48));
  BROOK_REQUIRE_OK(client->WaitForStreamActive("life", absl::Seconds(10)));
  summary = client->DescribeStreamSummary("life");
  BROOK_REQUIRE_OK(summary);
  CHECK(summary->retention_period_hours == 48);
  s = client->IncreaseStreamRetentionPeriod("life", 24);  // not an increase
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(
      s.message(),
      "kinesis IncreaseStreamRetentionPeriod: InvalidArgumentException: "));
  BROOK_REQUIRE_OK(client->DecreaseStreamRetentionPeriod("life", 24));
  BROOK_REQUIRE_OK(client->WaitForStreamActive("life", absl::Seconds(10)));
  summary = client->DescribeStreamSummary("life");
  BROOK_REQUIRE_OK(summary);
  CHECK(summary->retention_period_hours == 24);

  BROOK_REQUIRE_OK(client->DeleteStream("life"));
  s = client->DescribeStreamSummary("life").status();
  if (s.ok()) {  // DELETING for a moment, then gone
    BROOK_CHECK_CODE(client->WaitForStreamActive("life", absl::Seconds(5)),
                     kNotFound);
  } else {
    CHECK(s.code() == absl::StatusCode::kNotFound);
    CHECK(AwsErrorCode(s) == "ResourceNotFoundException");
  }
}

TEST_CASE("Kinesalite: put and read back, every iterator type", "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("rw", 2));
  BROOK_REQUIRE_OK(client->WaitForStreamActive("rw", absl::Seconds(10)));
  absl::StatusOr<std::vector<KinesisShard>> shards = client->ListShards("rw");
  BROOK_REQUIRE_OK(shards);
  REQUIRE(shards->size() == 2);

  // Every byte value survives base64 both ways.
  std::string binary;
  for (int b = 0; b < 256; ++b) binary.push_back(static_cast<char>(b));
  absl::StatusOr<KinesisPutRecordResult> first =
      client->PutRecord("rw", "user-1", binary);
  BROOK_REQUIRE_OK(first);
  // The service routes as brook does: MD5 of the key in the shard's range.
  const HashKey hash = PartitionKeyHash("user-1");
  const int expected_shard = UniformHashKeyRanges(2)[1].Contains(hash) ? 1 : 0;
  CHECK(first->shard_id == (*shards)[expected_shard].shard_id);

  std::vector<std::string> data;
  std::vector<KinesisPutRecordsEntry> entries;
  for (int i = 0; i < 20; ++i) data.push_back(absl::StrCat("record-", i));
  for (int i = 0; i < 20; ++i) entries.push_back({"user-1", data[i], ""});
  absl::StatusOr<KinesisPutRecordsResult> batch =
      client->PutRecords("rw", entries);
  BROOK_REQUIRE_OK(batch);
  CHECK(batch->failed_record_count == 0);
  REQUIRE(batch->records.size() == 20);
  std::string previous = first->sequence_number;
  for (const KinesisPutRecordsResultEntry& e : batch->records) {
    CHECK(e.shard_id == first->shard_id);
    CHECK(DecimalLess(previous, e.sequence_number));  // in order within a shard
    // brook's SequenceNumber carries the service's numbers (56 digits, over
    // 2^128) exactly, in the same order.
    absl::StatusOr<SequenceNumber> a = SequenceNumber::Parse(previous);
    absl::StatusOr<SequenceNumber> b = SequenceNumber::Parse(e.sequence_number);
    BROOK_REQUIRE_OK(a);
    BROOK_REQUIRE_OK(b);
    CHECK(b->ToString() == e.sequence_number);
    CHECK(b->high() != 0);
    CHECK(*a < *b);
    previous = e.sequence_number;
  }

  KinesisStartingPosition position;  // TRIM_HORIZON
  absl::StatusOr<std::string> it =
      client->GetShardIterator("rw", first->shard_id, position);
  BROOK_REQUIRE_OK(it);
  absl::StatusOr<KinesisGetRecordsResult> read = client->GetRecords(*it, 5);
  BROOK_REQUIRE_OK(read);
  REQUIRE(read->records.size() == 5);
  CHECK(read->records[0].data == binary);
  CHECK(read->records[0].partition_key == "user-1");
  CHECK(read->records[0].sequence_number == first->sequence_number);
  CHECK(read->records[0].approximate_arrival_timestamp_millis > 0);
  CHECK(read->records[1].data == "record-0");
  CHECK(!read->next_shard_iterator.empty());
  read = client->GetRecords(read->next_shard_iterator, 10000);
  BROOK_REQUIRE_OK(read);
  REQUIRE(read->records.size() == 16);
  CHECK(read->records.back().data == "record-19");

  position.type = KinesisIteratorType::kAtSequenceNumber;
  position.sequence_number = batch->records[10].sequence_number;
  it = client->GetShardIterator("rw", first->shard_id, position);
  BROOK_REQUIRE_OK(it);
  read = client->GetRecords(*it, 1);
  BROOK_REQUIRE_OK(read);
  REQUIRE(read->records.size() == 1);
  CHECK(read->records[0].data == "record-10");

  position.type = KinesisIteratorType::kAfterSequenceNumber;
  it = client->GetShardIterator("rw", first->shard_id, position);
  BROOK_REQUIRE_OK(it);
  read = client->GetRecords(*it, 1);
  BROOK_REQUIRE_OK(read);
  REQUIRE(read->records.size() == 1);
  CHECK(read->records[0].data == "record-11");

  position.type = KinesisIteratorType::kLatest;
  it = client->GetShardIterator("rw", first->shard_id, position);
  BROOK_REQUIRE_OK(it);
  read = client->GetRecords(*it, 100);
  BROOK_REQUIRE_OK(read);
  CHECK(read->records.empty());

  position.type = KinesisIteratorType::kAtTimestamp;
  position.timestamp_millis = 0;
  it = client->GetShardIterator("rw", first->shard_id, position);
  BROOK_REQUIRE_OK(it);
  read = client->GetRecords(*it, 100);
  BROOK_REQUIRE_OK(read);
  CHECK(read->records.size() == 21);

  // An explicit hash key picks the shard.
  absl::StatusOr<KinesisPutRecordResult> routed =
      client->PutRecord("rw", "any", "x",
                        internal::FormatDecimalUint128(
                            UniformHashKeyRanges(2)[0].ending_hash_key));
  BROOK_REQUIRE_OK(routed);
  CHECK(routed->shard_id == (*shards)[0].shard_id);
}

TEST_CASE("Kinesalite: service errors are clear statuses", "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  absl::Status s = client->PutRecord("missing", "k", "v").status();
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(absl::StartsWith(s.message(),
                         "kinesis PutRecord: ResourceNotFoundException: "));

  BROOK_REQUIRE_OK(client->CreateStream("err", 1));
  BROOK_REQUIRE_OK(client->WaitForStreamActive("err", absl::Seconds(10)));
  s = client->GetRecords("not-an-iterator", 10).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(AwsErrorCode(s) == "InvalidArgumentException");
  s = client
          ->PutRecord("err", "k", "v",
                      "340282366920938463463374607431768211456")
          .status();  // 2^128
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(s.message(), "kinesis PutRecord: "));

  // kinesalite has no UpdateShardCount.
  s = client->UpdateShardCount("err", 2);
  CHECK(s.code() == absl::StatusCode::kUnimplemented);
  CHECK(AwsErrorCode(s) == "UnknownOperationException");
}

TEST_CASE("Kinesalite: split and merge show in ListShards", "[remote]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("re", 1));
  BROOK_REQUIRE_OK(client->WaitForStreamActive("re", absl::Seconds(10)));
  absl::StatusOr<KinesisPutRecordResult> before =
      client->PutRecord("re", "k", "old");
  BROOK_REQUIRE_OK(before);

  const std::string half = "170141183460469231731687303715884105728";  // 2^127
  BROOK_REQUIRE_OK(client->SplitShard("re", "shardId-000000000000", half));
  BROOK_REQUIRE_OK(client->WaitForStreamActive("re", absl::Seconds(10)));
  absl::StatusOr<std::vector<KinesisShard>> shards = client->ListShards("re");
  BROOK_REQUIRE_OK(shards);
  REQUIRE(shards->size() == 3);
  CHECK(!(*shards)[0].ending_sequence_number.empty());  // the parent closed
  CHECK((*shards)[1].parent_shard_id == "shardId-000000000000");
  CHECK((*shards)[1].ending_hash_key ==
        "170141183460469231731687303715884105727");
  CHECK((*shards)[2].starting_hash_key == half);

  // The parent reads to its end; its last iterator is then empty.
  absl::StatusOr<std::string> it =
      client->GetShardIterator("re", "shardId-000000000000", {});
  BROOK_REQUIRE_OK(it);
  absl::StatusOr<KinesisGetRecordsResult> read = client->GetRecords(*it, 100);
  BROOK_REQUIRE_OK(read);
  REQUIRE(read->records.size() == 1);
  CHECK(read->records[0].data == "old");
  for (int i = 0; i < 5 && !read->next_shard_iterator.empty(); ++i) {
    read = client->GetRecords(read->next_shard_iterator, 100);
    BROOK_REQUIRE_OK(read);
  }
  CHECK(read->next_shard_iterator.empty());

  BROOK_REQUIRE_OK(client->MergeShards("re", "shardId-000000000001",
                                       "shardId-000000000002"));
  BROOK_REQUIRE_OK(client->WaitForStreamActive("re", absl::Seconds(10)));
  shards = client->ListShards("re");
  BROOK_REQUIRE_OK(shards);
  REQUIRE(shards->size() == 4);
  CHECK((*shards)[3].parent_shard_id == "shardId-000000000001");
  CHECK((*shards)[3].adjacent_parent_shard_id == "shardId-000000000002");
  CHECK((*shards)[3].starting_hash_key == "0");

  // A child's sequence numbers are above the parent's.
  absl::StatusOr<KinesisPutRecordResult> after =
      client->PutRecord("re", "k", "new");
  BROOK_REQUIRE_OK(after);
  CHECK(after->shard_id == "shardId-000000000003");
  CHECK(DecimalLess(before->sequence_number, after->sequence_number));
}

TEST_CASE("KinesisClient: an endpoint that does not answer is kUnavailable",
          "[remote]") {
  const int port = testing::UnusedLoopbackPort();
  REQUIRE(port > 0);
  auto client = ClientFor(absl::StrCat("http://127.0.0.1:", port),
                          absl::Milliseconds(300));
  absl::Status s = client->DescribeStreamSummary("s").status();
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StartsWith(s.message(),
                         "kinesis DescribeStreamSummary: http: POST "
                         "http://127.0.0.1:"));
}

TEST_CASE("KinesisClient: Create() checks the request options", "[remote]") {
  KinesisClientOptions options;
  options.aws.endpoint_url = "http://127.0.0.1:1";
  options.aws.region = "us-east-1";
  options.aws.credentials = AwsCredentials{"AKIDLOCAL", "localsecret"};
  options.max_backoff = absl::Milliseconds(10);  // below initial_backoff
  absl::Status s = KinesisClient::Create(options).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(s.message(), "more than max_backoff"));
}

}  // namespace
}  // namespace brook
