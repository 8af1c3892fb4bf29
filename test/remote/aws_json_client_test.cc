// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The AWS JSON protocol and the Kinesis operations on a scripted transport:
// request shape and signature, error mapping, throttling retries on a manual
// clock, ListShards paging and PutRecords' per-entry results.

#include "remote/aws_json_client.h"

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/kinesis_client.h"
#include "brook/record.h"

#include "remote/kinesis_client_impl.h"
#include "remote/scripted_transport.h"
#include "remote/sigv4.h"
#include "testing/status_testing.h"

namespace brook {
namespace internal {
namespace {

using nlohmann::json;

HttpResponse Error(int status, const std::string& type,
                   const std::string& message) {
  return HttpResponse{
      status, json{{"__type", type}, {"message", message}}.dump(), {}};
}

const int64_t kNow = 1764583200000;  // 2025-12-01T10:00:00Z

struct Fixture {
  ManualClockEnv env{kNow};
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<KinesisClientImpl> client;

  explicit Fixture(AwsCredentials credentials = {"AKIDTEST", "testsecret"},
                   absl::Duration retry_deadline = absl::Seconds(5)) {
    KinesisClientOptions options;
    options.env = &env;
    options.retry_deadline = retry_deadline;
    AwsConfig config;
    config.region = "us-east-1";
    config.endpoint_url = "http://127.0.0.1:4567";
    config.credentials = std::move(credentials);
    auto t = std::make_unique<ScriptedTransport>();
    transport = t.get();
    client = std::make_unique<KinesisClientImpl>(options, config, std::move(t));
  }
};

TEST_CASE("KinesisClient: a request is JSON 1.1, targeted and signed",
          "[remote]") {
  Fixture f(AwsCredentials{"AKIDTEST", "testsecret", "sessiontoken"});
  f.transport->script = {
      Ok({{"ShardId", "shardId-000000000000"}, {"SequenceNumber", "4959"}})};
  absl::StatusOr<KinesisPutRecordResult> put =
      f.client->PutRecord("s", "key", std::string("\0\xff data", 7), "");
  BROOK_REQUIRE_OK(put);
  CHECK(put->shard_id == "shardId-000000000000");
  CHECK(put->sequence_number == "4959");
  REQUIRE(f.transport->requests.size() == 1);
  const HttpRequest& r = f.transport->requests[0];
  CHECK(r.url == "http://127.0.0.1:4567/");
  CHECK(HeaderOf(r, "Host") == "127.0.0.1:4567");
  CHECK(HeaderOf(r, "Content-Type") == "application/x-amz-json-1.1");
  CHECK(HeaderOf(r, "X-Amz-Target") == "Kinesis_20131202.PutRecord");
  CHECK(HeaderOf(r, "X-Amz-Date") == "20251201T100000Z");
  CHECK(HeaderOf(r, "X-Amz-Security-Token") == "sessiontoken");
  const json body = json::parse(r.body);
  CHECK(body["StreamName"] == "s");
  CHECK(body["PartitionKey"] == "key");
  CHECK(body["Data"] == "AP8gZGF0YQ==");  // base64 of the 7 bytes
  CHECK(!body.contains("ExplicitHashKey"));

  // The Authorization header is the signature of exactly what was sent.
  SigV4Request signed_part;
  signed_part.method = "POST";
  signed_part.path = "/";
  for (const auto& h : r.headers) {
    if (h.first != "Authorization") signed_part.headers.push_back(h);
  }
  signed_part.body = r.body;
  absl::StatusOr<SigV4Signature> expected = SignV4(
      signed_part, AwsCredentials{"AKIDTEST", "testsecret", "sessiontoken"},
      SigV4Scope{"us-east-1", "kinesis"}, absl::FromUnixMillis(kNow));
  BROOK_REQUIRE_OK(expected);
  CHECK(HeaderOf(r, "Authorization") == expected->authorization);
  CHECK(expected->signed_headers ==
        "content-type;host;x-amz-date;x-amz-security-token;x-amz-target");
}

TEST_CASE("KinesisClient: service errors name operation, code and message",
          "[remote]") {
  Fixture f;
  f.transport->script = {Error(400, "ResourceNotFoundException",
                               "Stream nope under account 0 not found.")};
  absl::Status s = f.client->DescribeStreamSummary("nope").status();
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(s.message() ==
        "kinesis DescribeStreamSummary: ResourceNotFoundException: Stream nope "
        "under account 0 not found.");
  CHECK(AwsErrorCode(s) == "ResourceNotFoundException");

  // Coral-style types with "Message", and a code given only in the header.
  f.transport->script = {HttpResponse{
      400,
      R"({"__type":"com.amazon.coral.service#UnrecognizedClientException","Message":"bad key"})",
      {}}};
  s = f.client->DeleteStream("s");
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK(s.message() ==
        "kinesis DeleteStream: UnrecognizedClientException: bad key");
  f.transport->script = {HttpResponse{
      400,
      "",
      {{"x-amzn-errortype", "ResourceInUseException:http://internal"}}}};
  s = f.client->CreateStream("s", 1);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(AwsErrorCode(s) == "ResourceInUseException");

  f.transport->script = {
      Error(400, "ExpiredIteratorException", "Iterator expired")};
  s = f.client->GetRecords("AAAA", 10).status();
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(AwsErrorCode(s) == "ExpiredIteratorException");

  f.transport->script = {Error(400, "UnknownOperationException", "")};
  s = f.client->UpdateShardCount("s", 2);
  CHECK(s.code() == absl::StatusCode::kUnimplemented);
  CHECK(s.message() == "kinesis UpdateShardCount: UnknownOperationException");

  f.transport->script = {HttpResponse{403, "<html>nope</html>", {}}};
  s = f.client->DeleteStream("s");
  CHECK(s.code() == absl::StatusCode::kUnknown);
  CHECK(s.message() == "kinesis DeleteStream: HTTP 403 <html>nope</html>");
  CHECK(f.transport->requests.size() == 6);  // none of these was retried
}

TEST_CASE("KinesisClient: throttling is retried with back-off, then succeeds",
          "[remote]") {
  Fixture f;
  const HttpResponse throttled =
      Error(400, "ProvisionedThroughputExceededException", "Rate exceeded");
  f.transport->script = {
      throttled, throttled, Error(400, "LimitExceededException", "slow down"),
      Error(500, "InternalFailure", ""),
      Ok({{"ShardId", "shardId-000000000000"}, {"SequenceNumber", "1"}})};
  BROOK_CHECK_OK(f.client->PutRecord("s", "k", "v", ""));
  CHECK(f.transport->requests.size() == 5);
  // Back-offs from [b/2, b] with b = 50, 100, 200, 400 ms.
  const int64_t slept = f.env.NowMillis() - kNow;
  CHECK(slept >= 375);
  CHECK(slept <= 750);
}

TEST_CASE("KinesisClient: throttling past the deadline is kResourceExhausted",
          "[remote]") {
  Fixture f(AwsCredentials{"AKIDTEST", "testsecret"}, absl::Seconds(5));
  f.transport->script = {Error(400, "ProvisionedThroughputExceededException",
                               "Rate exceeded for shard")};
  absl::Status s = f.client->PutRecord("s", "k", "v", "").status();
  CHECK(s.code() == absl::StatusCode::kResourceExhausted);
  CHECK(absl::StartsWith(
      s.message(),
      "kinesis PutRecord: ProvisionedThroughputExceededException: "
      "Rate exceeded for shard (gave up after "));
  CHECK(AwsErrorCode(s) == "ProvisionedThroughputExceededException");
  CHECK(f.transport->requests.size() > 3);
  CHECK(f.env.NowMillis() - kNow <= 5000);
  // Every attempt is signed anew at its own time.
  CHECK(HeaderOf(f.transport->requests.front(), "X-Amz-Date") !=
        HeaderOf(f.transport->requests.back(), "X-Amz-Date"));

  // No response at all: kUnavailable after the deadline.
  f.transport->requests.clear();
  f.transport->script = {
      absl::UnavailableError("http: POST x: Connection refused")};
  s = f.client->ListShards("s").status();
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(
      s.message(), "kinesis ListShards: http: POST x: Connection refused"));
  CHECK(f.transport->requests.size() > 1);
}

TEST_CASE("KinesisClient: expired credentials fail before sending",
          "[remote]") {
  AwsCredentials c{"AKIDTEST", "testsecret", "token"};
  c.expiration = absl::FromUnixMillis(kNow);
  Fixture f(c);
  absl::Status s = f.client->DeleteStream("s");
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK(absl::StrContains(s.message(),
                          "kinesis DeleteStream: credentials: access key "
                          "AKIDTEST expired at 2025-12-01T10:00:00"));
  CHECK(f.transport->requests.empty());
}

TEST_CASE("KinesisClient: bad arguments fail before sending", "[remote]") {
  Fixture f;
  BROOK_CHECK_CODE(f.client->PutRecord("s", "", "v", ""), kInvalidArgument);
  BROOK_CHECK_CODE(f.client->PutRecord("bad name", "k", "v", ""),
                   kInvalidArgument);
  BROOK_CHECK_CODE(f.client->CreateStream("s", 0), kInvalidArgument);
  std::vector<KinesisPutRecordsEntry> entries(501,
                                              KinesisPutRecordsEntry{"k", "v"});
  BROOK_CHECK_CODE(f.client->PutRecords("s", entries), kInvalidArgument);
  BROOK_CHECK_CODE(f.client->PutRecords("s", {}), kInvalidArgument);
  entries.resize(2);
  entries[1].partition_key = "";
  absl::Status s = f.client->PutRecords("s", entries).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message() == "kinesis PutRecords: entry 1: partition key is empty");
  BROOK_CHECK_CODE(f.client->GetRecords("", 10), kInvalidArgument);
  BROOK_CHECK_CODE(f.client->GetRecords("it", 0), kInvalidArgument);
  KinesisStartingPosition at;
  at.type = KinesisIteratorType::kAfterSequenceNumber;
  BROOK_CHECK_CODE(f.client->GetShardIterator("s", "shardId-000000000000", at),
                   kInvalidArgument);
  CHECK(f.transport->requests.empty());
}

json ShardJson(const std::string& id, const std::string& start,
               const std::string& end) {
  return {
      {"ShardId", id},
      {"HashKeyRange", {{"StartingHashKey", start}, {"EndingHashKey", end}}},
      {"SequenceNumberRange", {{"StartingSequenceNumber", "100"}}}};
}

TEST_CASE("KinesisClient: ListShards follows NextToken", "[remote]") {
  Fixture f;
  f.transport->script = {
      Ok({{"Shards", {ShardJson("shardId-000000000000", "0", "9")}},
          {"NextToken", "page2"}}),
      Ok({{"Shards",
           {ShardJson("shardId-000000000001", "10", "19"),
            ShardJson("shardId-000000000002", "20", "29")}},
          {"NextToken", "page3"}}),
      Ok({{"Shards", json::array()}})};
  absl::StatusOr<std::vector<KinesisShard>> shards = f.client->ListShards("s");
  BROOK_REQUIRE_OK(shards);
  REQUIRE(shards->size() == 3);
  CHECK((*shards)[2].shard_id == "shardId-000000000002");
  CHECK((*shards)[2].starting_hash_key == "20");
  CHECK((*shards)[2].ending_sequence_number.empty());
  REQUIRE(f.transport->requests.size() == 3);
  CHECK(json::parse(f.transport->requests[0].body) ==
        json{{"StreamName", "s"}});
  // The service refuses StreamName together with NextToken.
  CHECK(json::parse(f.transport->requests[1].body) ==
        json{{"NextToken", "page2"}});
  CHECK(json::parse(f.transport->requests[2].body) ==
        json{{"NextToken", "page3"}});
}

TEST_CASE(
    "KinesisClient: ListShards sends ShardFilter with the first page only, "
    "and refuses a filter that is not well-formed",
    "[remote]") {
  using T = KinesisShardFilterType;
  struct Case {
    KinesisShardFilter filter;
    json expected;
  };
  const std::vector<Case> cases = {
      {{T::kAtLatest, "", 0}, {{"Type", "AT_LATEST"}}},
      {{T::kAtTrimHorizon, "", 0}, {{"Type", "AT_TRIM_HORIZON"}}},
      {{T::kFromTrimHorizon, "", 0}, {{"Type", "FROM_TRIM_HORIZON"}}},
      {{T::kAfterShardId, "shardId-000000000004", 0},
       {{"Type", "AFTER_SHARD_ID"}, {"ShardId", "shardId-000000000004"}}},
      {{T::kAtTimestamp, "", 1'700'000'000'250},
       {{"Type", "AT_TIMESTAMP"}, {"Timestamp", 1'700'000'000.25}}},
      {{T::kFromTimestamp, "", 0},
       {{"Type", "FROM_TIMESTAMP"}, {"Timestamp", 0.0}}},
  };
  for (const Case& c : cases) {
    INFO("filter " << c.expected.dump());
    Fixture f;
    f.transport->script = {
        Ok({{"Shards", {ShardJson("shardId-000000000005", "0", "9")}},
            {"NextToken", "page2"}}),
        Ok({{"Shards", json::array()}})};
    absl::StatusOr<std::vector<KinesisShard>> shards =
        f.client->ListShards("s", c.filter);
    BROOK_REQUIRE_OK(shards);
    CHECK(shards->size() == 1);
    REQUIRE(f.transport->requests.size() == 2);
    CHECK(json::parse(f.transport->requests[0].body) ==
          json{{"StreamName", "s"}, {"ShardFilter", c.expected}});
    // The token stands for the stream and the filter.
    CHECK(json::parse(f.transport->requests[1].body) ==
          json{{"NextToken", "page2"}});
  }

  const std::vector<std::pair<KinesisShardFilter, std::string>> bad = {
      {{T::kAfterShardId, "", 0}, "ShardFilter.ShardId is required"},
      {{T::kAtLatest, "shardId-000000000001", 0},
       "ShardFilter.ShardId is allowed only"},
      {{T::kAtLatest, "", 5}, "ShardFilter.Timestamp is allowed only"},
      {{T::kAtTimestamp, "", -1}, "before the epoch"},
      {{static_cast<T>(99), "", 0}, "unknown ShardFilter type 99"},
  };
  for (const auto& [filter, why] : bad) {
    INFO(why);
    Fixture f;
    absl::StatusOr<std::vector<KinesisShard>> shards =
        f.client->ListShards("s", filter);
    BROOK_CHECK_CODE(shards, kInvalidArgument);
    CHECK(absl::StrContains(shards.status().message(), why));
    CHECK(f.transport->requests.empty());  // nothing was sent
  }
}

TEST_CASE("KinesisClient: PutRecords reports each entry", "[remote]") {
  Fixture f;
  f.transport->script = {
      Ok({{"FailedRecordCount", 1},
          {"Records",
           {{{"ShardId", "shardId-000000000000"}, {"SequenceNumber", "7"}},
            {{"ErrorCode", "ProvisionedThroughputExceededException"},
             {"ErrorMessage", "Rate exceeded"}}}}})};
  std::vector<KinesisPutRecordsEntry> entries = {{"a", "1", ""},
                                                 {"b", "2", "42"}};
  absl::StatusOr<KinesisPutRecordsResult> r =
      f.client->PutRecords("s", entries);
  BROOK_REQUIRE_OK(r);
  CHECK(r->failed_record_count == 1);
  REQUIRE(r->records.size() == 2);
  CHECK(r->records[0].ok());
  CHECK(r->records[0].sequence_number == "7");
  CHECK(!r->records[1].ok());
  CHECK(r->records[1].error_code == "ProvisionedThroughputExceededException");
  const json body = json::parse(f.transport->requests[0].body);
  CHECK(body["Records"][1]["ExplicitHashKey"] == "42");
  CHECK(body["Records"][1]["Data"] == "Mg==");

  // A response that does not answer every entry is not trusted.
  f.transport->script = {
      Ok({{"FailedRecordCount", 0}, {"Records", json::array()}})};
  BROOK_CHECK_CODE(f.client->PutRecords("s", entries), kInternal);
}

// PutRecords writes its body without a JSON tree: it must still be JSON that
// reads back as the entries, whatever bytes the keys and data hold.
TEST_CASE("KinesisClient: PutRecords' body reads back as its entries",
          "[remote]") {
  Fixture f;
  const std::string binary("\0\x01\xff\x80\"\\", 6);
  const std::vector<std::string> data = {
      "", "a", "ab", "abc", "abcd", binary, std::string(1000, 'z')};
  const std::vector<std::string> keys = {
      "plain",
      "quote\" back\\ slash",
      "tab\t nl\n nul",
      "\x1f\x7f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      "k",
      "k"};
  std::vector<KinesisPutRecordsEntry> entries;
  for (size_t i = 0; i < data.size(); ++i) {
    entries.push_back({keys[i], data[i], i == 5 ? "123456789" : ""});
  }
  json records = json::array();
  for (size_t i = 0; i < entries.size(); ++i) {
    records.push_back({{"ShardId", "shardId-000000000000"},
                       {"SequenceNumber", absl::StrCat(i)}});
  }
  f.transport->script = {Ok({{"FailedRecordCount", 0}, {"Records", records}})};
  BROOK_REQUIRE_OK(f.client->PutRecords("s.1-x_", entries));
  const json body = json::parse(f.transport->requests[0].body);
  CHECK(body["StreamName"] == "s.1-x_");
  REQUIRE(body["Records"].size() == entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    INFO("entry " << i);
    const json& r = body["Records"][i];
    CHECK(r["PartitionKey"] == keys[i]);
    CHECK(r["Data"] == absl::Base64Escape(data[i]));
    CHECK(r.contains("ExplicitHashKey") == (i == 5));
  }
  CHECK(body["Records"][5]["ExplicitHashKey"] == "123456789");
}

// PutRecords reads its response as a stream (put_records_json.h): members it
// does not know are skipped at any depth; a response it cannot trust is
// kInternal.
TEST_CASE(
    "KinesisClient: PutRecords reads responses as the service writes "
    "them",
    "[remote]") {
  Fixture f;
  std::vector<KinesisPutRecordsEntry> entries = {{"a", "1"}, {"b", "2"}};
  f.transport->script = {
      Ok({{"EncryptionType", "NONE"},
          {"Extra", {{"Records", {1, 2, 3}}, {"ShardId", "no"}}},
          {"FailedRecordCount", 1},
          {"Records",
           {{{"SequenceNumber", "9"},
             {"Nested", {{"ShardId", "inner"}}},
             {"ShardId", "shardId-000000000001"}},
            {{"ErrorCode", "InternalFailure"},
             {"ErrorMessage", "try again"},
             {"ShardId", nullptr}}}}})};
  absl::StatusOr<KinesisPutRecordsResult> r =
      f.client->PutRecords("s", entries);
  BROOK_REQUIRE_OK(r);
  CHECK(r->failed_record_count == 1);
  REQUIRE(r->records.size() == 2);
  CHECK(r->records[0].shard_id == "shardId-000000000001");
  CHECK(r->records[0].sequence_number == "9");
  CHECK(r->records[1].error_code == "InternalFailure");
  CHECK(r->records[1].error_message == "try again");
  CHECK(r->records[1].shard_id.empty());

  const std::vector<std::string> untrusted = {
      "",
      "not json",
      "[]",
      "{\"Records\": [{\"SequenceNumber\": \"1\"}, 7]}",
      "{\"Records\": [{\"SequenceNumber\": \"1\"}, []]}",
      "{\"Records\": [{\"SequenceNumber\": \"1\"}, {}]}",
      "{\"Records\": [{\"SequenceNumber\": \"1\"}]}",
      "{\"Records\": [{\"SequenceNumber\": \"1\"}, {\"SequenceNumber\": "
      "\"2\"}",
      "{\"Other\": [{\"SequenceNumber\": \"1\"}, {\"SequenceNumber\": "
      "\"2\"}]}",
  };
  for (const std::string& body : untrusted) {
    INFO(body);
    f.transport->script = {HttpResponse{200, body, {}}};
    BROOK_CHECK_CODE(f.client->PutRecords("s", entries), kInternal);
  }
}

TEST_CASE("KinesisClient: keys that JSON cannot carry are kInvalidArgument",
          "[remote]") {
  Fixture f;
  const std::string bad_utf8 = "ok\xc3(";
  std::vector<KinesisPutRecordsEntry> entries = {{"a", "1"}, {bad_utf8, "2"}};
  absl::Status s = f.client->PutRecords("s", entries).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message() ==
        "kinesis PutRecords: entry 1: partition key is not valid UTF-8 "
        "(byte 2)");
  s = f.client->PutRecord("s", bad_utf8, "v", "").status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  entries = {{"a", "1", "12x"}};
  s = f.client->PutRecords("s", entries).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message() ==
        "kinesis PutRecords: entry 0: explicit hash key \"12x\" is not a "
        "decimal number");
  BROOK_CHECK_CODE(f.client->PutRecord("s", "k", "v", "-1"), kInvalidArgument);
  CHECK(f.transport->requests.empty());  // nothing was sent
}

TEST_CASE("KinesisClient: GetRecords decodes data and child shards",
          "[remote]") {
  Fixture f;
  f.transport->script = {
      Ok({{"Records",
           {{{"SequenceNumber", "5"},
             {"PartitionKey", "k"},
             {"Data", "aGVsbG8="},
             {"ApproximateArrivalTimestamp", 1764583200.123}}}},
          {"MillisBehindLatest", 0},
          {"ChildShards", {{{"ShardId", "shardId-000000000003"}}}}})};
  absl::StatusOr<KinesisGetRecordsResult> r = f.client->GetRecords("it", 100);
  BROOK_REQUIRE_OK(r);
  REQUIRE(r->records.size() == 1);
  CHECK(r->records[0].data == "hello");
  CHECK(r->records[0].approximate_arrival_timestamp_millis == 1764583200123);
  CHECK(r->next_shard_iterator.empty());
  CHECK(r->child_shard_ids == std::vector<std::string>{"shardId-000000000003"});

  f.transport->script = {
      Ok({{"Records", {{{"SequenceNumber", "5"}, {"Data", "not base64!"}}}}})};
  BROOK_CHECK_CODE(f.client->GetRecords("it", 100), kInternal);
  f.transport->script = {HttpResponse{200, "not json", {}}};
  BROOK_CHECK_CODE(f.client->GetRecords("it", 100), kInternal);
}

// Sequence numbers as kinesalite and Kinesis give them: 56 digits, 186 bits.
constexpr char kSeqA[] =
    "49680734675281032265112259006898146605674192670837178370";
constexpr char kSeqB[] =
    "49680734675281032265112259006899355531493807300011884546";

// `text` read as a SequenceNumber prints back as `text`, with a top word.
void CheckWide(const std::string& text) {
  INFO(text);
  absl::StatusOr<SequenceNumber> n = SequenceNumber::Parse(text);
  BROOK_REQUIRE_OK(n);
  CHECK(n->high() != 0);
  CHECK(n->ToString() == text);
}

TEST_CASE("KinesisClient: 56-digit sequence numbers go through unchanged",
          "[remote][sequence]") {
  Fixture f;
  json shard = ShardJson("shardId-000000000000", "0", "9");
  shard["SequenceNumberRange"] = {{"StartingSequenceNumber", kSeqA},
                                  {"EndingSequenceNumber", kSeqB}};
  f.transport->script = {
      Ok({{"Shards", {shard}}}),
      Ok({{"ShardId", "shardId-000000000000"}, {"SequenceNumber", kSeqA}}),
      Ok({{"FailedRecordCount", 0},
          {"Records",
           {{{"ShardId", "shardId-000000000000"},
             {"SequenceNumber", kSeqB}}}}}),
      Ok({{"ShardIterator", "it-1"}}),
      Ok({{"Records",
           {{{"SequenceNumber", kSeqA},
             {"PartitionKey", "k"},
             {"Data", "aGVsbG8="},
             {"ApproximateArrivalTimestamp", 1764583200.123}},
            {{"SequenceNumber", kSeqB},
             {"PartitionKey", "k"},
             {"Data", "aGVsbG8="},
             {"ApproximateArrivalTimestamp", 1764583200.124}}}},
          {"NextShardIterator", "it-2"},
          {"MillisBehindLatest", 0}})};

  absl::StatusOr<std::vector<KinesisShard>> shards = f.client->ListShards("s");
  BROOK_REQUIRE_OK(shards);
  REQUIRE(shards->size() == 1);
  CHECK((*shards)[0].starting_sequence_number == kSeqA);
  CHECK((*shards)[0].ending_sequence_number == kSeqB);

  absl::StatusOr<KinesisPutRecordResult> put =
      f.client->PutRecord("s", "k", "v", "");
  BROOK_REQUIRE_OK(put);
  CHECK(put->sequence_number == kSeqA);

  std::vector<KinesisPutRecordsEntry> entries = {{"k", "v", ""}};
  absl::StatusOr<KinesisPutRecordsResult> puts =
      f.client->PutRecords("s", entries);
  BROOK_REQUIRE_OK(puts);
  REQUIRE(puts->records.size() == 1);
  CHECK(puts->records[0].sequence_number == kSeqB);

  // A SequenceNumber made from the response goes back out unchanged.
  absl::StatusOr<SequenceNumber> after = SequenceNumber::Parse(kSeqA);
  BROOK_REQUIRE_OK(after);
  KinesisStartingPosition position;
  position.type = KinesisIteratorType::kAfterSequenceNumber;
  position.sequence_number = after->ToString();
  BROOK_REQUIRE_OK(
      f.client->GetShardIterator("s", "shardId-000000000000", position));
  CHECK(json::parse(
            f.transport->requests.back().body)["StartingSequenceNumber"] ==
        kSeqA);

  absl::StatusOr<KinesisGetRecordsResult> got =
      f.client->GetRecords("it-1", 100);
  BROOK_REQUIRE_OK(got);
  REQUIRE(got->records.size() == 2);
  CHECK(got->records[0].sequence_number == kSeqA);
  CHECK(got->records[1].sequence_number == kSeqB);

  for (const char* text : {kSeqA, kSeqB}) CheckWide(text);
  // Order by number agrees with the service's (the later put is greater).
  CHECK(*SequenceNumber::Parse(kSeqA) < *SequenceNumber::Parse(kSeqB));
}

}  // namespace
}  // namespace internal
}  // namespace brook
