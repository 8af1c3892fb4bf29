// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The remote stream (`OpenRemoteStream()`) on a scripted transport with a
// manual clock: what kinesalite cannot show quickly or at all. Partial
// PutRecords failures retried alone until the deadline, an expired iterator
// re-created after the last record read, ChildShards from the service, waits
// that poll on the Env clock and keep what they fetched, and UpdateShardCount
// (kinesalite has none) with the service's errors for it.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/producer.h"
#include "brook/remote_stream.h"

#include "remote/kinesis_client_impl.h"
#include "remote/scripted_transport.h"
#include "testing/status_testing.h"
#include "util/decimal.h"
#include <nlohmann/json.hpp>

namespace brook {
namespace {

using internal::HttpRequest;
using internal::HttpResponse;
using internal::Ok;
using nlohmann::json;

const std::string kHalf = internal::FormatDecimalUint128(HashKey(1) << 127);
const std::string kHalfMinusOne =
    internal::FormatDecimalUint128((HashKey(1) << 127) - 1);
const std::string kMax = internal::FormatDecimalUint128(~HashKey(0));

// A 56-digit service sequence number ending in `n`.
std::string Seq(int n) {
  std::string tail = std::to_string(n);
  return "4959" + std::string(52 - tail.size(), '0') + tail;
}

HttpResponse Error(const std::string& type, const std::string& message,
                   int status = 400) {
  return HttpResponse{
      status, json{{"__type", type}, {"message", message}}.dump(), {}};
}

json ShardJson(const std::string& id, const std::string& start,
               const std::string& end, const std::string& parent = "",
               bool closed = false) {
  json s = {
      {"ShardId", id},
      {"HashKeyRange", {{"StartingHashKey", start}, {"EndingHashKey", end}}},
      {"SequenceNumberRange", {{"StartingSequenceNumber", Seq(0)}}}};
  if (!parent.empty()) s["ParentShardId"] = parent;
  if (closed) s["SequenceNumberRange"]["EndingSequenceNumber"] = Seq(99);
  return s;
}

// Two shards, split at 2^127.
json TwoShards() {
  return {{"Shards",
           {ShardJson("shardId-000000000000", "0", kHalfMinusOne),
            ShardJson("shardId-000000000001", kHalf, kMax)}}};
}

// TwoShards() after shard 0 closed at sequence number 50 and a child,
// shard 2, took its range.
json ShardZeroReplaced() {
  json three = TwoShards();
  three["Shards"][0]["SequenceNumberRange"]["EndingSequenceNumber"] = Seq(50);
  three["Shards"].push_back(ShardJson("shardId-000000000002", "0",
                                      kHalfMinusOne, "shardId-000000000000"));
  return three;
}

json Summary(const std::string& status = "ACTIVE", int open_shards = 2) {
  return {{"StreamDescriptionSummary",
           {{"StreamName", "s"},
            {"StreamStatus", status},
            {"OpenShardCount", open_shards},
            {"RetentionPeriodHours", 24}}}};
}

json PutOk(const std::string& shard, int seq) {
  return {{"ShardId", shard}, {"SequenceNumber", Seq(seq)}};
}
json PutFailed(const std::string& code) {
  return {{"ErrorCode", code}, {"ErrorMessage", "slow down"}};
}
HttpResponse PutRecordsResponse(const std::vector<json>& entries) {
  int failed = 0;
  for (const json& e : entries) failed += e.contains("ErrorCode") ? 1 : 0;
  return Ok({{"FailedRecordCount", failed}, {"Records", entries}});
}

json RecordJson(int seq, const std::string& key, const std::string& data) {
  // Data is base64 on the wire: these tests use data whose base64 is given.
  return {{"SequenceNumber", Seq(seq)},
          {"PartitionKey", key},
          {"Data", data},
          {"ApproximateArrivalTimestamp", 1000.5}};
}
HttpResponse GetRecordsResponse(const std::vector<json>& records,
                                const std::string& next,
                                const json& children = json()) {
  json body = {{"Records", records}, {"MillisBehindLatest", 0}};
  if (!next.empty()) body["NextShardIterator"] = next;
  if (!children.is_null()) body["ChildShards"] = children;
  return Ok(body);
}

std::string Target(const HttpRequest& r) {
  return internal::HeaderOf(r, "X-Amz-Target");
}
json Body(const HttpRequest& r) { return json::parse(r.body); }

struct Fixture {
  ManualClockEnv clock{1'000'000};
  internal::ScriptedTransport* transport = nullptr;
  std::unique_ptr<Stream> stream;

  // `client_retry_deadline`: how long the client retries throttling (none by
  // default).
  explicit Fixture(
      absl::Duration put_retry_deadline = absl::Seconds(30),
      absl::Duration client_retry_deadline = absl::ZeroDuration()) {
    KinesisClientOptions client_options;
    client_options.env = &clock;
    client_options.retry_deadline = client_retry_deadline;
    AwsConfig config;
    config.region = "us-east-1";
    config.endpoint_url = "http://127.0.0.1:4567";
    config.credentials = {"AKIDTEST", "testsecret"};
    auto owned = std::make_unique<internal::ScriptedTransport>();
    transport = owned.get();
    transport->repeat_last = false;
    // Open: wait for ACTIVE, the summary, the shards.
    transport->script = {Ok(Summary()), Ok(Summary()), Ok(TwoShards())};
    RemoteStreamOptions options;
    options.client = client_options;
    options.put_retry_deadline = put_retry_deadline;
    absl::StatusOr<std::unique_ptr<Stream>> s =
        OpenRemoteStream("s",
                         std::make_unique<internal::KinesisClientImpl>(
                             client_options, config, std::move(owned)),
                         options);
    BROOK_REQUIRE_OK(s);
    stream = *std::move(s);
    REQUIRE(transport->requests.size() == 3);
    transport->requests.clear();
  }
};

TEST_CASE(
    "RemoteStream: PutRecords goes per shard with brook's hash keys, and "
    "failed entries are retried alone after a back-off",
    "[remote]") {
  Fixture f;
  const std::string upper =
      internal::FormatDecimalUint128((HashKey(1) << 127) + 5);
  // Two calls (shard 0's entries in input order, then shard 1's), then the
  // retry of the one throttled entry.
  f.transport->script = {
      PutRecordsResponse({PutOk("shardId-000000000000", 1),
                          PutFailed("ProvisionedThroughputExceededException"),
                          PutOk("shardId-000000000000", 3)}),
      PutRecordsResponse({PutOk("shardId-000000000001", 2)}),
      PutRecordsResponse({PutOk("shardId-000000000000", 4)})};
  Producer producer(f.stream.get());
  std::vector<PutRecordsEntry> entries = {
      {"a", "d0", "0"}, {"b", "d1", upper}, {"a", "d2", "1"}, {"a", "d3", "2"}};
  const int64_t before = f.clock.NowMillis();
  absl::StatusOr<PutRecordsResult> put = producer.PutRecords(entries);
  BROOK_REQUIRE_OK(put);
  CHECK(put->failed_record_count == 0);
  REQUIRE(f.transport->requests.size() == 3);
  auto hash_keys = [&](int request) {
    std::vector<std::string> keys;
    const json body = Body(f.transport->requests[request]);
    CHECK(body["StreamName"] == "s");
    for (const json& e : body["Records"]) keys.push_back(e["ExplicitHashKey"]);
    return keys;
  };
  CHECK(Target(f.transport->requests[0]) == "Kinesis_20131202.PutRecords");
  CHECK(hash_keys(0) == std::vector<std::string>{"0", "1", "2"});
  CHECK(hash_keys(1) == std::vector<std::string>{upper});
  CHECK(hash_keys(2) == std::vector<std::string>{"1"});
  // The back-off was slept on the Env clock: [50, 100] ms for the first.
  CHECK(f.clock.NowMillis() - before >= 50);
  CHECK(f.clock.NowMillis() - before <= 100);
  const std::vector<int> seqs = {1, 2, 4, 3};
  for (int i = 0; i < 4; ++i) {
    INFO(i);
    BROOK_CHECK_OK(put->records[i].status);
    CHECK(put->records[i].sequence_number.ToString() == Seq(seqs[i]));
  }
  CHECK(put->records[1].shard_id == "shardId-000000000001");
  CHECK(put->records[2].shard_id == "shardId-000000000000");
}

TEST_CASE(
    "RemoteStream: an entry still failing at the put deadline fails alone "
    "with kResourceExhausted or kUnavailable, and a refused call fails at once",
    "[remote]") {
  Fixture f(absl::Seconds(1));
  f.transport->script = {
      PutRecordsResponse({PutOk("shardId-000000000000", 1),
                          PutFailed("ProvisionedThroughputExceededException"),
                          PutFailed("InternalFailure")})};
  for (int i = 0; i < 30; ++i) {
    f.transport->script.push_back(
        PutRecordsResponse({PutFailed("ProvisionedThroughputExceededException"),
                            PutFailed("InternalFailure")}));
  }
  Producer producer(f.stream.get());
  std::vector<PutRecordsEntry> entries = {
      {"a", "d0", "0"}, {"a", "d1", "1"}, {"a", "d2", "2"}};
  const int64_t before = f.clock.NowMillis();
  absl::StatusOr<PutRecordsResult> put = producer.PutRecords(entries);
  BROOK_REQUIRE_OK(put);
  CHECK(put->failed_record_count == 2);
  BROOK_CHECK_OK(put->records[0].status);
  CHECK(put->records[1].status.code() == absl::StatusCode::kResourceExhausted);
  CHECK(absl::StrContains(put->records[1].status.message(),
                          "ProvisionedThroughputExceededException"));
  CHECK(put->records[2].status.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(put->records[2].status.message(), "InternalFailure"));
  CHECK(f.clock.NowMillis() - before >= 1000);
  CHECK(f.transport->requests.size() > 2);

  // A call the service refuses (not throttling) is not retried.
  f.transport->requests.clear();
  f.transport->script = {Error("ValidationException", "bad record")};
  absl::StatusOr<PutRecordResult> one = producer.PutRecord("a", "d", "0");
  CHECK(one.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(one.status().message(), "ValidationException"));
  CHECK(f.transport->requests.size() == 1);
}

TEST_CASE(
    "RemoteStream: a record stored in a shard the cache does not know "
    "reloads the shards",
    "[remote]") {
  Fixture f;
  const json three = ShardZeroReplaced();
  f.transport->script = {
      PutRecordsResponse({PutOk("shardId-000000000002", 60)}), Ok(three)};
  Producer producer(f.stream.get());
  absl::StatusOr<PutRecordResult> put = producer.PutRecord("a", "d", "7");
  BROOK_REQUIRE_OK(put);
  CHECK(put->shard_id == "shardId-000000000002");
  REQUIRE(f.transport->requests.size() == 2);
  CHECK(Target(f.transport->requests[1]) == "Kinesis_20131202.ListShards");
  // The next put routes by the new shards without another ListShards.
  f.transport->script = {
      PutRecordsResponse({PutOk("shardId-000000000002", 61)})};
  BROOK_REQUIRE_OK(producer.PutRecord("a", "d", "8"));
  CHECK(f.transport->requests.size() == 3);
  CHECK(f.stream->options().shard_count == 2);
  absl::StatusOr<Shard*> parent = f.stream->GetShard("shardId-000000000000");
  BROOK_REQUIRE_OK(parent);
  CHECK_FALSE((*parent)->Describe().is_open());
}

TEST_CASE(
    "RemoteStream: Shard::Append is a PutRecords call, not atomic: an error "
    "says how many records were stored",
    "[remote]") {
  Fixture f;
  absl::StatusOr<Shard*> shard = f.stream->GetShard("shardId-000000000000");
  BROOK_REQUIRE_OK(shard);
  std::vector<RoutedRecord> records = {{"a", "d0", 1, true},
                                       {"a", "d1", 2, true}};
  f.transport->script = {
      PutRecordsResponse(
          {PutOk("shardId-000000000000", 7), PutOk("shardId-000000000000", 8)}),
      PutRecordsResponse({PutOk("shardId-000000000000", 9),
                          PutFailed("KMSAccessDeniedException")})};
  absl::StatusOr<SequenceNumber> first = (*shard)->Append(records);
  BROOK_REQUIRE_OK(first);
  CHECK(first->ToString() == Seq(7));
  absl::StatusOr<SequenceNumber> partial = (*shard)->Append(records);
  CHECK(partial.status().code() == absl::StatusCode::kUnknown);
  CHECK(absl::StrContains(partial.status().message(),
                          "1 of 2 records stored (not atomic)"));
  CHECK(absl::StrContains(partial.status().message(),
                          "KMSAccessDeniedException"));
  CHECK(f.transport->requests.size() == 2);  // not retried

  // Checked before sending: a key outside the shard.
  records[0].hash_key = ~HashKey(0);
  CHECK((*shard)->Append(records).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK((*shard)->Append({}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.transport->requests.size() == 2);
}

TEST_CASE(
    "RemoteStream: an expired iterator is re-created after the last record "
    "read and the read retried once",
    "[remote]") {
  Fixture f;
  // "ZDA=" "ZDE=" "ZDI=" are base64 of "d0" "d1" "d2".
  f.transport->script = {
      Ok({{"ShardIterator", "it1"}}),
      GetRecordsResponse(
          {RecordJson(10, "k", "ZDA="), RecordJson(11, "k", "ZDE=")}, "it2"),
      Error("ExpiredIteratorException", "Iterator expired"),
      Ok({{"ShardIterator", "it3"}}),
      GetRecordsResponse({RecordJson(12, "k", "ZDI=")}, "it4")};
  Consumer consumer(f.stream.get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  absl::StatusOr<GetRecordsResult> first = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(first);
  REQUIRE(first->records().size() == 2);
  CHECK(first->records()[0].data == "d0");
  CHECK(first->records()[1].sequence_number.ToString() == Seq(11));
  CHECK(first->records()[0].approximate_arrival_timestamp_millis == 1000500);
  absl::StatusOr<GetRecordsResult> second =
      consumer.GetRecords(first->next_shard_iterator());
  BROOK_REQUIRE_OK(second);
  REQUIRE(second->records().size() == 1);
  CHECK(second->records()[0].data == "d2");
  REQUIRE(f.transport->requests.size() == 5);
  CHECK(Body(f.transport->requests[2])["ShardIterator"] == "it2");
  const json again = Body(f.transport->requests[3]);
  CHECK(again["ShardIteratorType"] == "AFTER_SEQUENCE_NUMBER");
  CHECK(again["StartingSequenceNumber"] == Seq(11));
  CHECK(again["ShardId"] == "shardId-000000000000");
  CHECK(Body(f.transport->requests[4])["ShardIterator"] == "it3");

  // Reading the first result's iterator again uses its batch: no request.
  absl::StatusOr<GetRecordsResult> reread = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(reread);
  CHECK(reread->records().size() == 2);
  CHECK(f.transport->requests.size() == 5);
}

TEST_CASE(
    "RemoteStream: at a closed shard's end, the service's ChildShards are "
    "given with their ranges",
    "[remote]") {
  Fixture f;
  const json three = ShardZeroReplaced();
  f.transport->script = {
      Ok({{"ShardIterator", "it1"}}),
      GetRecordsResponse(
          {}, "",
          json::array({{{"ShardId", "shardId-000000000002"},
                        {"ParentShards", {"shardId-000000000000"}}}})),
      Ok(three)};
  Consumer consumer(f.stream.get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  absl::StatusOr<GetRecordsResult> end = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(end);
  CHECK(end->records().empty());
  CHECK_FALSE(end->next_shard_iterator().valid());
  REQUIRE(end->child_shards().size() == 1);
  const ChildShard& child = end->child_shards()[0];
  CHECK(child.shard_id == "shardId-000000000002");
  CHECK(child.parent_shards ==
        std::vector<std::string>{"shardId-000000000000"});
  CHECK(child.hash_key_range.starting_hash_key == 0);
  CHECK(internal::FormatDecimalUint128(child.hash_key_range.ending_hash_key) ==
        kHalfMinusOne);
  CHECK(consumer.WaitForRecords(*it, absl::Seconds(1)));  // the end is there
}

TEST_CASE(
    "RemoteStream: a wait polls on the Env clock, growing the interval, and "
    "the next read takes the batch it fetched",
    "[remote]") {
  Fixture f;
  f.transport->script = {
      Ok({{"ShardIterator", "it1"}}), GetRecordsResponse({}, "it2"),
      GetRecordsResponse({}, "it3"),
      GetRecordsResponse({RecordJson(5, "k", "ZDA=")}, "it4"),
      GetRecordsResponse({}, "it5")};
  for (int i = 0; i < 20; ++i) {
    f.transport->script.push_back(GetRecordsResponse({}, "it5"));
  }
  Consumer consumer(f.stream.get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::Latest());
  BROOK_REQUIRE_OK(it);
  const int64_t before = f.clock.NowMillis();
  CHECK(consumer.WaitForRecords(*it, absl::Seconds(10)));
  CHECK(f.clock.NowMillis() - before == 600);  // 200 ms, then 400 ms
  REQUIRE(f.transport->requests.size() == 4);
  CHECK(Body(f.transport->requests[2])["ShardIterator"] == "it2");
  CHECK(Body(f.transport->requests[3])["ShardIterator"] == "it3");
  absl::StatusOr<GetRecordsResult> got = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(got);
  REQUIRE(got->records().size() == 1);
  CHECK(got->records()[0].data == "d0");
  CHECK(f.transport->requests.size() == 4);

  // At the tip a wait times out on the Env clock: 200 + 400 + 800 + 1000
  // + 600 ms of polls for a 3 s timeout.
  const int64_t start = f.clock.NowMillis();
  CHECK_FALSE(
      consumer.WaitForRecords(got->next_shard_iterator(), absl::Seconds(3)));
  CHECK(f.clock.NowMillis() - start == 3000);
  CHECK(f.transport->requests.size() == 4 + 6);
}

TEST_CASE(
    "RemoteStream: UpdateShardCount asks for uniform scaling, waits for "
    "ACTIVE, and then lists and routes by the new shards",
    "[remote]") {
  Fixture f;
  const HashKey quarter = HashKey(1) << 126;
  auto dec = [](HashKey k) { return internal::FormatDecimalUint128(k); };
  // 2 -> 4: each parent split in two, the parents closed.
  json six = {{"Shards",
               {ShardJson("shardId-000000000000", "0", kHalfMinusOne, "", true),
                ShardJson("shardId-000000000001", kHalf, kMax, "", true),
                ShardJson("shardId-000000000002", "0", dec(quarter - 1),
                          "shardId-000000000000"),
                ShardJson("shardId-000000000003", dec(quarter), kHalfMinusOne,
                          "shardId-000000000000"),
                ShardJson("shardId-000000000004", kHalf, dec(3 * quarter - 1),
                          "shardId-000000000001"),
                ShardJson("shardId-000000000005", dec(3 * quarter), kMax,
                          "shardId-000000000001")}}};
  six["Shards"][0]["SequenceNumberRange"]["EndingSequenceNumber"] = Seq(41);
  six["Shards"][1]["SequenceNumberRange"]["EndingSequenceNumber"] = Seq(42);
  f.transport->script = {Ok({{"StreamName", "s"},
                             {"CurrentShardCount", 2},
                             {"TargetShardCount", 4}}),
                         Ok(Summary("UPDATING")), Ok(Summary("ACTIVE", 4)),
                         Ok(six)};
  const int64_t before = f.clock.NowMillis();
  BROOK_REQUIRE_OK(f.stream->UpdateShardCount(4));
  REQUIRE(f.transport->requests.size() == 4);
  const HttpRequest& update = f.transport->requests[0];
  CHECK(Target(update) == "Kinesis_20131202.UpdateShardCount");
  CHECK(Body(update) == json{{"StreamName", "s"},
                             {"TargetShardCount", 4},
                             {"ScalingType", "UNIFORM_SCALING"}});
  // Waited for ACTIVE on the Env clock, then listed the shards.
  CHECK(Target(f.transport->requests[1]) ==
        "Kinesis_20131202.DescribeStreamSummary");
  CHECK(Target(f.transport->requests[2]) ==
        "Kinesis_20131202.DescribeStreamSummary");
  CHECK(f.clock.NowMillis() - before == 50);
  CHECK(Target(f.transport->requests[3]) == "Kinesis_20131202.ListShards");
  CHECK(f.stream->options().shard_count == 4);

  // The stream's view: the new shards, and the parents closed at the
  // service's ending sequence numbers.
  f.transport->requests.clear();
  f.transport->script = {Ok(six)};
  std::map<std::string, ShardDescription> shards;
  for (ShardDescription& d : f.stream->ListShards()) {
    shards.emplace(d.shard_id, std::move(d));
  }
  REQUIRE(shards.size() == 6);
  CHECK(f.transport->requests.size() == 1);
  const ShardDescription& p0 = shards["shardId-000000000000"];
  const ShardDescription& p1 = shards["shardId-000000000001"];
  REQUIRE(p0.ending_sequence_number.has_value());
  CHECK(p0.ending_sequence_number->ToString() == Seq(41));
  REQUIRE(p1.ending_sequence_number.has_value());
  CHECK(p1.ending_sequence_number->ToString() == Seq(42));
  for (int i = 2; i < 6; ++i) {
    const ShardDescription& child =
        shards[absl::StrCat("shardId-00000000000", i)];
    INFO(child.shard_id);
    CHECK(child.is_open());
    CHECK(child.parent_shard_id ==
          (i < 4 ? "shardId-000000000000" : "shardId-000000000001"));
    CHECK(child.hash_key_range.starting_hash_key ==
          quarter * static_cast<uint64_t>(i - 2));
  }

  // A producer's next put goes by the new ranges: keys 0 and 2^126 (both in
  // the old shard 0) now go in two calls, one per new shard, with no
  // ListShards in between.
  f.transport->requests.clear();
  f.transport->script = {
      PutRecordsResponse({PutOk("shardId-000000000002", 100)}),
      PutRecordsResponse({PutOk("shardId-000000000003", 101)}),
      PutRecordsResponse({PutOk("shardId-000000000005", 102)})};
  Producer producer(f.stream.get());
  const std::string second_quarter = dec(quarter);  // entries are views
  std::vector<PutRecordsEntry> entries = {
      {"a", "d0", "0"}, {"b", "d1", second_quarter}, {"c", "d2", kMax}};
  absl::StatusOr<PutRecordsResult> put = producer.PutRecords(entries);
  BROOK_REQUIRE_OK(put);
  CHECK(put->failed_record_count == 0);
  REQUIRE(f.transport->requests.size() == 3);
  const std::vector<std::string> sent_keys = {"0", second_quarter, kMax};
  const std::vector<std::string> stored_in = {
      "shardId-000000000002", "shardId-000000000003", "shardId-000000000005"};
  for (int i = 0; i < 3; ++i) {
    INFO(i);
    const HttpRequest& r = f.transport->requests[i];
    CHECK(Target(r) == "Kinesis_20131202.PutRecords");
    const json records = Body(r)["Records"];
    REQUIRE(records.size() == 1);
    CHECK(records[0]["ExplicitHashKey"] == sent_keys[i]);
    CHECK(put->records[i].shard_id == stored_in[i]);
    CHECK(put->records[i].sequence_number.ToString() == Seq(100 + i));
  }
}

TEST_CASE(
    "RemoteStream: UpdateShardCount's service errors: throttling retried "
    "until the deadline, then kResourceExhausted, a stream in use or a bad "
    "target at once",
    "[remote]") {
  Fixture f(absl::Seconds(30), /*client_retry_deadline=*/absl::Seconds(2));
  f.transport->repeat_last = true;
  f.transport->script = {
      Error("LimitExceededException", "too many shard operations")};
  const int64_t before = f.clock.NowMillis();
  absl::Status limited = f.stream->UpdateShardCount(4);
  CHECK(limited.code() == absl::StatusCode::kResourceExhausted);
  CHECK(absl::StrContains(limited.message(), "UpdateShardCount"));
  CHECK(absl::StrContains(limited.message(), "LimitExceededException"));
  CHECK(f.transport->requests.size() > 1);
  for (const HttpRequest& r : f.transport->requests) {
    CHECK(Target(r) == "Kinesis_20131202.UpdateShardCount");
  }
  // Given up before the deadline, on the Env clock.
  CHECK(f.clock.NowMillis() - before > 0);
  CHECK(f.clock.NowMillis() - before <= 2000);

  struct Case {
    std::string error;
    absl::StatusCode code;
  };
  for (const Case& c :
       {Case{"ResourceInUseException", absl::StatusCode::kFailedPrecondition},
        Case{"InvalidArgumentException", absl::StatusCode::kInvalidArgument}}) {
    INFO(c.error);
    f.transport->requests.clear();
    f.transport->script = {Error(c.error, "no")};
    absl::Status refused = f.stream->UpdateShardCount(9);
    CHECK(refused.code() == c.code);
    CHECK(absl::StrContains(refused.message(), "UpdateShardCount"));
    CHECK(absl::StrContains(refused.message(), c.error));
    CHECK(f.transport->requests.size() == 1);  // not retried
  }
  // Nothing changed: the stream still routes by its two shards.
  CHECK(f.stream->options().shard_count == 2);
}

}  // namespace
}  // namespace brook
