// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` commands with --stream-name on a scripted Kinesis client, for
// what kinesalite cannot be made to do: fail one PutRecords request of
// several, expire an iterator under a running tail. No emulator needed.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/aws_config.h"
#include "brook/kinesis_client.h"

#include "tools/cli_run.h"
#include "tools/memory_backend.h"
#include "tools/tail_thread.h"
#include <nlohmann/json.hpp>

namespace brook {
namespace cli {
namespace {

using nlohmann::json;

// A put-records file of `count` records.
std::string RecordsFile(int count) {
  json records = json::array();
  for (int i = 0; i < count; ++i) {
    records.push_back({{"Data", absl::Base64Escape(absl::StrCat("r", i))},
                       {"PartitionKey", absl::StrCat("key-", i % 7)}});
  }
  return json{{"Records", records}}.dump();
}

// A Kinesis client whose answers the test scripts, for what kinesalite
// cannot be made to do (fail one request of several, expire an iterator).
// What a `ScriptedKinesis` was asked; owned by the test, as the client is
// the command's and goes when the command returns.
struct KinesisCalls {
  std::vector<size_t> put_sizes;
  std::vector<KinesisStartingPosition> iterator_requests;
  int get_calls = 0;
};

class ScriptedKinesis : public KinesisClient {
 public:
  explicit ScriptedKinesis(KinesisCalls* calls) : calls_(*calls) {}
  const AwsConfig& config() const override { return config_; }
  absl::Status CreateStream(absl::string_view, int) override { return No(); }
  absl::Status DeleteStream(absl::string_view) override { return No(); }
  absl::StatusOr<KinesisStreamSummary> DescribeStreamSummary(
      absl::string_view) override {
    return No();
  }
  absl::Status WaitForStreamActive(absl::string_view, absl::Duration) override {
    return No();
  }
  using KinesisClient::ListShards;
  absl::StatusOr<std::vector<KinesisShard>> ListShards(
      absl::string_view, const KinesisShardFilter&) override {
    KinesisShard shard;
    shard.shard_id = "shardId-000000000000";
    shard.starting_hash_key = "0";
    shard.ending_hash_key = "340282366920938463463374607431768211455";
    shard.starting_sequence_number = "1";
    return std::vector<KinesisShard>{shard};
  }
  absl::StatusOr<KinesisPutRecordResult> PutRecord(absl::string_view,
                                                   absl::string_view,
                                                   absl::string_view,
                                                   absl::string_view) override {
    return No();
  }
  // The first request succeeds; later ones fail as a whole.
  absl::StatusOr<KinesisPutRecordsResult> PutRecords(
      absl::string_view,
      absl::Span<const KinesisPutRecordsEntry> entries) override {
    calls_.put_sizes.push_back(entries.size());
    if (calls_.put_sizes.size() > 1) {
      return absl::UnavailableError("kinesis PutRecords: http: 503");
    }
    KinesisPutRecordsResult result;
    for (size_t i = 0; i < entries.size(); ++i) {
      result.records.push_back(
          {"shardId-000000000000", absl::StrCat(1000 + i), "", ""});
    }
    return result;
  }
  absl::StatusOr<std::string> GetShardIterator(
      absl::string_view, absl::string_view,
      const KinesisStartingPosition& position) override {
    calls_.iterator_requests.push_back(position);
    return absl::StrCat("it-", calls_.iterator_requests.size());
  }
  // Record 7 from a new iterator, then ExpiredIteratorException, then (from
  // the iterator made after it) record 8, then nothing.
  absl::StatusOr<KinesisGetRecordsResult> GetRecords(absl::string_view,
                                                     int) override {
    ++calls_.get_calls;
    KinesisGetRecordsResult r;
    r.next_shard_iterator = "next";
    if (calls_.get_calls == 2) {
      return absl::FailedPreconditionError(
          "kinesis GetRecords: ExpiredIteratorException: Iterator expired");
    }
    if (calls_.get_calls == 1 || calls_.get_calls == 3) {
      KinesisRecord record;
      record.sequence_number = calls_.get_calls == 1 ? "7" : "8";
      record.partition_key = "k";
      record.data = record.sequence_number;
      r.records.push_back(record);
    }
    return r;
  }
  absl::Status SplitShard(absl::string_view, absl::string_view,
                          absl::string_view) override {
    return No();
  }
  absl::Status MergeShards(absl::string_view, absl::string_view,
                           absl::string_view) override {
    return No();
  }
  absl::Status UpdateShardCount(absl::string_view, int) override {
    return No();
  }
  absl::Status IncreaseStreamRetentionPeriod(absl::string_view, int) override {
    return No();
  }
  absl::Status DecreaseStreamRetentionPeriod(absl::string_view, int) override {
    return No();
  }

 private:
  static absl::Status No() { return absl::UnimplementedError("scripted"); }
  KinesisCalls& calls_;
  AwsConfig config_;
};

// Hands out `client` once.
class ScriptedBackend : public MemoryBackend {
 public:
  absl::StatusOr<std::unique_ptr<KinesisClient>> ConnectKinesis(
      const KinesisClientOptions&) override {
    if (client == nullptr) return absl::InternalError("connected twice");
    return std::move(client);
  }
  std::unique_ptr<KinesisClient> client;
};

TEST_CASE(
    "brook put-records --stream-name: a later request that fails "
    "fails its entries only",
    "[cli][remote]") {
  ScriptedBackend backend;
  KinesisCalls calls;
  backend.client = std::make_unique<ScriptedKinesis>(&calls);
  const CliRun r = RunCli(
      backend, {"put-records", "--stream-name", "s", "--records-file", "-"},
      RecordsFile(700));
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  CHECK(calls.put_sizes == std::vector<size_t>{500, 200});
  const json out = r.Json();
  CHECK(out["FailedRecordCount"] == 200);
  CHECK(out["Records"][499]["SequenceNumber"] == "1499");
  CHECK(out["Records"][500]["ErrorCode"] == "InternalFailure");
  CHECK(out["Records"][699]["ErrorMessage"] == "kinesis PutRecords: http: 503");
}

TEST_CASE(
    "brook tail --stream-name: an expired iterator is re-made after "
    "the last record printed",
    "[cli][remote][tail]") {
  ScriptedBackend backend;
  KinesisCalls calls;
  backend.client = std::make_unique<ScriptedKinesis>(&calls);
  TailThread tail(
      backend, {"--stream-name", "s", "--shard-iterator-type", "TRIM_HORIZON"});
  const std::vector<std::string> lines = tail.WaitForLines(2);
  CHECK(tail.Stop() == kExitOk);
  INFO(tail.err());
  REQUIRE(lines.size() == 2);
  CHECK(json::parse(lines[0])["SequenceNumber"] == "7");
  CHECK(json::parse(lines[1])["SequenceNumber"] == "8");
  // After the join: the tail's thread is done with the client.
  REQUIRE(calls.iterator_requests.size() == 2);
  CHECK(calls.iterator_requests[0].type == KinesisIteratorType::kTrimHorizon);
  CHECK(calls.iterator_requests[1].type ==
        KinesisIteratorType::kAfterSequenceNumber);
  CHECK(calls.iterator_requests[1].sequence_number == "7");
}

}  // namespace
}  // namespace cli
}  // namespace brook
