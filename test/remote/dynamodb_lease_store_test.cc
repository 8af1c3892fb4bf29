// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The DynamoDB lease store: the exact requests of a compare-and-set and how a
// failed condition is read (scripted transport), items as KCL writes them,
// and opening and sharing a table on dynalite. The LeaseStore contract tests
// themselves are test/group/lease_store_test.cc, compiled into this binary.

#include "brook/dynamodb_lease_store.h"

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/lease.h"

#include "remote/dynalite.h"
#include "remote/dynamodb_lease_store_impl.h"
#include "remote/kinesalite.h"
#include "remote/scripted_transport.h"
#include "testing/status_testing.h"

namespace brook {
namespace internal {
namespace {

using nlohmann::json;
using ESN = ExtendedSequenceNumber;

HttpResponse ConditionFailed() {
  return HttpResponse{
      400,
      json{{"__type",
            "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"},
           {"message", "The conditional request failed"}}
          .dump(),
      {}};
}

struct Fixture {
  ManualClockEnv env{1764583200000};
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<DynamoDbLeaseStore> store;

  Fixture() {
    DynamoDbLeaseStoreOptions options;
    options.table_name = "my-app";
    options.env = &env;
    AwsConfig config;
    config.region = "us-east-1";
    config.endpoint_url = "http://127.0.0.1:8000";
    config.credentials = AwsCredentials{"AKIDTEST", "testsecret"};
    auto t = std::make_unique<ScriptedTransport>();
    t->repeat_last = false;  // a request past the script fails the test
    transport = t.get();
    store = std::make_unique<DynamoDbLeaseStore>(options, config, std::move(t));
  }
};

// Shard 1 of 2, owned by w1 at counter 3, checkpointed at 100/2.
Lease StoredLease() {
  Lease lease;
  lease.lease_key = "shardId-000000000001";
  lease.lease_owner = "w1";
  lease.lease_counter = 3;
  lease.checkpoint = ESN::At(SequenceNumber::FromValue(100), 2);
  lease.parent_shard_ids = {"shardId-000000000000"};
  lease.hash_key_range = UniformHashKeyRanges(2)[1];
  return lease;
}

TEST_CASE("DynamoDbLeaseStore: a take is a GetItem, then this UpdateItem",
          "[remote]") {
  Fixture f;
  f.transport->script = {Ok({{"Item", LeaseToItem(StoredLease())}}),
                         Ok(json::object())};
  absl::StatusOr<Lease> taken = f.store->TakeLease(StoredLease(), "w2");
  BROOK_REQUIRE_OK(taken);
  CHECK(taken->lease_owner == "w2");
  CHECK(taken->lease_counter == 4);
  REQUIRE(f.transport->requests.size() == 2);

  const HttpRequest& get = f.transport->requests[0];
  CHECK(HeaderOf(get, "X-Amz-Target") == "DynamoDB_20120810.GetItem");
  CHECK(json::parse(get.body) == json::parse(R"({"TableName": "my-app",
          "Key": {"leaseKey": {"S": "shardId-000000000001"}},
          "ConsistentRead": true})"));

  const HttpRequest& update = f.transport->requests[1];
  CHECK(HeaderOf(update, "X-Amz-Target") == "DynamoDB_20120810.UpdateItem");
  CHECK(HeaderOf(update, "Content-Type") == "application/x-amz-json-1.0");
  CHECK_THAT(HeaderOf(update, "Authorization"),
             Catch::Contains("/us-east-1/dynamodb/aws4_request"));
  const json expected = json::parse(R"({
    "TableName": "my-app",
    "Key": {"leaseKey": {"S": "shardId-000000000001"}},
    "UpdateExpression": "SET #leaseOwner = :leaseOwner, #leaseCounter = :leaseCounter, #checkpoint = :checkpoint, #checkpointSubSequenceNumber = :checkpointSubSequenceNumber, #ownerSwitchesSinceCheckpoint = :ownerSwitchesSinceCheckpoint, #parentShardId = :parentShardId, #startingHashKey = :startingHashKey, #endingHashKey = :endingHashKey, #throughputKBps = :throughputKBps, #throughputRecordsPerSecond = :throughputRecordsPerSecond, #throughputBytesPerSecond = :throughputBytesPerSecond REMOVE #checkpointTimestampMillis, #pendingCheckpoint, #pendingCheckpointSubSequenceNumber, #pendingCheckpointTimestampMillis, #checkpointOwner, #childShardIds",
    "ConditionExpression": "attribute_exists(#leaseKey) AND #leaseCounter = :expectedLeaseCounter",
    "ExpressionAttributeNames": {
      "#leaseKey": "leaseKey",
      "#leaseOwner": "leaseOwner",
      "#leaseCounter": "leaseCounter",
      "#checkpoint": "checkpoint",
      "#checkpointSubSequenceNumber": "checkpointSubSequenceNumber",
      "#checkpointTimestampMillis": "checkpointTimestampMillis",
      "#pendingCheckpoint": "pendingCheckpoint",
      "#pendingCheckpointSubSequenceNumber": "pendingCheckpointSubSequenceNumber",
      "#pendingCheckpointTimestampMillis": "pendingCheckpointTimestampMillis",
      "#checkpointOwner": "checkpointOwner",
      "#ownerSwitchesSinceCheckpoint": "ownerSwitchesSinceCheckpoint",
      "#parentShardId": "parentShardId",
      "#childShardIds": "childShardIds",
      "#startingHashKey": "startingHashKey",
      "#endingHashKey": "endingHashKey",
      "#throughputKBps": "throughputKBps",
      "#throughputRecordsPerSecond": "throughputRecordsPerSecond",
      "#throughputBytesPerSecond": "throughputBytesPerSecond"
    },
    "ExpressionAttributeValues": {
      ":leaseOwner": {"S": "w2"},
      ":leaseCounter": {"N": "4"},
      ":checkpoint": {"S": "100"},
      ":checkpointSubSequenceNumber": {"N": "2"},
      ":ownerSwitchesSinceCheckpoint": {"N": "1"},
      ":parentShardId": {"SS": ["shardId-000000000000"]},
      ":startingHashKey": {"S": "170141183460469231731687303715884105728"},
      ":endingHashKey": {"S": "340282366920938463463374607431768211455"},
      ":throughputKBps": {"N": "0"},
      ":throughputRecordsPerSecond": {"N": "0"},
      ":throughputBytesPerSecond": {"N": "0"},
      ":expectedLeaseCounter": {"N": "3"}
    },
    "ReturnValues": "NONE"
  })");
  const json sent = json::parse(update.body);
  CHECK(sent == expected);
  if (sent != expected) UNSCOPED_INFO(sent.dump(2));
}

TEST_CASE("DynamoDbLeaseStore: a failed condition is read back", "[remote]") {
  Fixture f;
  const json stored = LeaseToItem(StoredLease());

  SECTION("another worker moved the counter: kAborted naming both") {
    Lease moved = StoredLease();
    moved.lease_counter = 5;
    f.transport->script = {Ok({{"Item", stored}}), ConditionFailed(),
                           Ok({{"Item", LeaseToItem(moved)}})};
    absl::StatusOr<Lease> taken = f.store->TakeLease(StoredLease(), "w2");
    BROOK_CHECK_CODE(taken, kAborted);
    CHECK_THAT(std::string(taken.status().message()),
               Catch::Contains("shardId-000000000001") &&
                   Catch::Contains("leaseCounter is 5, expected 3"));
  }
  SECTION("deleted meanwhile: kNotFound") {
    f.transport->script = {Ok({{"Item", stored}}), ConditionFailed(),
                           Ok(json::object())};
    BROOK_CHECK_CODE(f.store->RenewLease(StoredLease()), kNotFound);
  }
  SECTION("our own write, applied by an attempt whose answer was lost") {
    Lease ours = StoredLease();
    ours.lease_counter = 4;
    f.transport->script = {Ok({{"Item", stored}}), ConditionFailed(),
                           Ok({{"Item", LeaseToItem(ours)}})};
    absl::StatusOr<Lease> renewed = f.store->RenewLease(StoredLease());
    BROOK_REQUIRE_OK(renewed);
    CHECK(renewed->lease_counter == 4);
  }
  SECTION("a stale counter fails before any write") {
    Lease stale = StoredLease();
    stale.lease_counter = 2;
    f.transport->script = {Ok({{"Item", stored}})};
    BROOK_CHECK_CODE(f.store->RenewLease(stale), kAborted);
    CHECK(f.transport->requests.size() == 1);
  }
  SECTION("a delete") {
    Lease moved = StoredLease();
    moved.lease_counter = 7;
    f.transport->script = {ConditionFailed(),
                           Ok({{"Item", LeaseToItem(moved)}})};
    const absl::Status s = f.store->DeleteLease(StoredLease());
    BROOK_CHECK_CODE(s, kAborted);
    CHECK_THAT(std::string(s.message()),
               Catch::Contains("leaseCounter is 7, expected 3"));
    CHECK(json::parse(f.transport->requests[0].body) == json::parse(R"({
      "TableName": "my-app",
      "Key": {"leaseKey": {"S": "shardId-000000000001"}},
      "ConditionExpression":
        "attribute_exists(leaseKey) AND leaseCounter = :expectedLeaseCounter",
      "ExpressionAttributeValues": {":expectedLeaseCounter": {"N": "3"}}})"));
  }
  SECTION("a create of an existing lease: kAlreadyExists") {
    f.transport->script = {ConditionFailed(), Ok({{"Item", stored}})};
    Lease other = StoredLease();
    other.lease_owner = "intruder";
    BROOK_CHECK_CODE(f.store->CreateLeaseIfNotExists(other), kAlreadyExists);
    const json put = json::parse(f.transport->requests[0].body);
    CHECK(put["ConditionExpression"] == "attribute_not_exists(leaseKey)");
    CHECK(put["Item"]["leaseOwner"] == json{{"S", "intruder"}});
  }
}

TEST_CASE("DynamoDbLeaseStore: items as KCL writes them, and damaged ones",
          "[remote]") {
  // A KCL 1.x lease: no hash range, no owner switches, an extra attribute.
  const json kcl1 = json::parse(R"({
    "leaseKey": {"S": "shardId-000000000007"},
    "leaseOwner": {"S": "kcl-worker"},
    "leaseCounter": {"N": "42"},
    "checkpoint": {"S": "SHARD_END"},
    "checkpointSubSequenceNumber": {"N": "0"},
    "childShardIds": {"SS": ["shardId-000000000009", "shardId-000000000008"]},
    "throughputKBps": {"N": "2"},
    "pendingCheckpointState": {"B": "AAEC"}})");
  absl::StatusOr<Lease> lease = LeaseFromItem(kcl1, "t");
  BROOK_REQUIRE_OK(lease);
  CHECK(lease->lease_owner == "kcl-worker");
  CHECK(lease->lease_counter == 42);
  CHECK(lease->checkpoint.is_shard_end());
  CHECK(
      lease->child_shard_ids ==
      std::vector<std::string>{"shardId-000000000008", "shardId-000000000009"});
  CHECK(lease->hash_key_range == UniformHashKeyRanges(1)[0]);
  CHECK(lease->throughput_bytes_per_second == 2048);

  // Every field survives the round trip.
  Lease full = StoredLease();
  full.checkpoint = ESN::AtTimestamp(1'700'000'000'123);
  full.has_pending_checkpoint = true;
  full.pending_checkpoint = ESN::At(SequenceNumber::FromValue(7), 1);
  full.checkpoint_owner = "w0";
  full.child_shard_ids = {"shardId-000000000002"};
  full.throughput_records_per_second = 0.1;
  full.throughput_bytes_per_second = 1e-7;
  absl::StatusOr<Lease> back = LeaseFromItem(LeaseToItem(full), "t");
  BROOK_REQUIRE_OK(back);
  CHECK(SameLease(*back, full));

  for (const char* damage :
       {R"({"leaseKey": {"S": "k"}})",
        R"({"leaseKey": {"S": "k"}, "leaseCounter": {"N": "x"}})",
        R"({"leaseKey": {"S": "k"}, "leaseCounter": {"S": "1"}})",
        R"({"leaseKey": {"S": "k"}, "leaseCounter": {"N": "1"},
            "checkpoint": {"S": "trim_horizon"}})",
        R"({"leaseKey": {"S": "k"}, "leaseCounter": {"N": "1"},
            "endingHashKey": {"S": "-1"}})",
        R"({"leaseCounter": {"N": "1"}})"}) {
    INFO(damage);
    absl::StatusOr<Lease> bad = LeaseFromItem(json::parse(damage), "t");
    BROOK_CHECK_CODE(bad, kDataLoss);
    CHECK_THAT(std::string(bad.status().message()),
               Catch::Contains("dynamodb table t"));
  }
}

TEST_CASE(
    "DynamoDbLeaseStore: 56-digit checkpoints go through items "
    "unchanged",
    "[remote][sequence]") {
  // As KCL writes a lease of a real stream: the checkpoint is the service's
  // decimal sequence number (here one kinesalite gave, 186 bits).
  const std::string kSeqA =
      "49680734675281032265112259006898146605674192670837178370";
  const std::string kSeqB =
      "49680734675281032265112259006899355531493807300011884546";
  const json kcl = json::parse(R"({
    "leaseKey": {"S": "shardId-000000000000"},
    "leaseOwner": {"S": "kcl-worker"},
    "leaseCounter": {"N": "5"},
    "checkpoint": {"S": ")" + kSeqA +
                               R"("},
    "checkpointSubSequenceNumber": {"N": "3"},
    "pendingCheckpoint": {"S": ")" +
                               kSeqB + R"("},
    "pendingCheckpointSubSequenceNumber": {"N": "0"}})");
  absl::StatusOr<Lease> lease = LeaseFromItem(kcl, "t");
  BROOK_REQUIRE_OK(lease);
  REQUIRE(lease->checkpoint.is_sequence_number());
  CHECK(lease->checkpoint.sequence_number() == *SequenceNumber::Parse(kSeqA));
  CHECK(lease->checkpoint.sequence_number().high() != 0);
  CHECK(lease->checkpoint.subsequence_number() == 3);
  REQUIRE(lease->has_pending_checkpoint);
  CHECK(lease->pending_checkpoint.sequence_number() ==
        *SequenceNumber::Parse(kSeqB));
  CHECK(lease->checkpoint < lease->pending_checkpoint);

  // Written back, the attributes are the same strings.
  const json item = LeaseToItem(*lease);
  CHECK(item["checkpoint"] == json{{"S", kSeqA}});
  CHECK(item["checkpointSubSequenceNumber"] == json{{"N", "3"}});
  CHECK(item["pendingCheckpoint"] == json{{"S", kSeqB}});
  absl::StatusOr<Lease> back = LeaseFromItem(item, "t");
  BROOK_REQUIRE_OK(back);
  CHECK(SameLease(*back, *lease));

  // A checkpoint is a conditional UpdateItem carrying the number as is.
  Fixture f;
  Lease stored = StoredLease();
  f.transport->script = {Ok({{"Item", LeaseToItem(stored)}}),
                         Ok(json::object())};
  absl::StatusOr<Lease> updated = f.store->UpdateCheckpoint(
      stored, ESN::At(*SequenceNumber::Parse(kSeqB), 1));
  BROOK_REQUIRE_OK(updated);
  CHECK(updated->checkpoint.sequence_number().ToString() == kSeqB);
  REQUIRE_FALSE(f.transport->requests.empty());
  const HttpRequest& update = f.transport->requests.back();
  CHECK(HeaderOf(update, "X-Amz-Target") == "DynamoDB_20120810.UpdateItem");
  CHECK(json::parse(update.body)["ExpressionAttributeValues"][":checkpoint"] ==
        json{{"S", kSeqB}});

  // 2^192 and more is not a sequence number: the item is damaged.
  json too_big = kcl;
  too_big["checkpoint"] =
      json{{"S", "6277101735386680763835789423207666416102355444464034512896"}};
  absl::StatusOr<Lease> bad = LeaseFromItem(too_big, "t");
  BROOK_CHECK_CODE(bad, kDataLoss);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("2^192"));
}

TEST_CASE("DynamoDbLeaseStore: opening checks its arguments", "[remote]") {
  DynamoDbLeaseStoreOptions options;
  options.aws.region = "us-east-1";
  options.aws.credentials = AwsCredentials{"AKIDTEST", "testsecret"};
  options.table_name = "a/b";
  absl::StatusOr<std::unique_ptr<LeaseStore>> store =
      OpenDynamoDbLeaseStore(options);
  BROOK_CHECK_CODE(store, kInvalidArgument);
  CHECK_THAT(std::string(store.status().message()), Catch::Contains("a/b"));

  options.table_name = "my-app";
  options.aws.endpoint_url =
      absl::StrCat("http://127.0.0.1:", testing::UnusedLoopbackPort());
  options.retry_deadline = absl::ZeroDuration();
  BROOK_CHECK_CODE(OpenDynamoDbLeaseStore(options), kUnavailable);
}

TEST_CASE("DynamoDbLeaseStore: on dynalite, two stores share one table",
          "[remote]") {
  BROOK_START_DYNALITE_OR_SKIP(dynalite);
  DynamoDbLeaseStoreOptions options = dynalite->StoreOptions();

  // Without permission to create it, a missing table is kNotFound.
  options.create_table_if_missing = false;
  BROOK_CHECK_CODE(OpenDynamoDbLeaseStore(options), kNotFound);
  options.create_table_if_missing = true;

  absl::StatusOr<std::unique_ptr<LeaseStore>> a =
      OpenDynamoDbLeaseStore(options);
  BROOK_REQUIRE_OK(a);
  absl::StatusOr<std::unique_ptr<LeaseStore>> b =
      OpenDynamoDbLeaseStore(options);  // the table exists now
  BROOK_REQUIRE_OK(b);

  BROOK_REQUIRE_OK((*a)->CreateLeaseIfNotExists(StoredLease()));
  BROOK_CHECK_CODE((*b)->CreateLeaseIfNotExists(StoredLease()), kAlreadyExists);
  absl::StatusOr<Lease> seen_by_b = (*b)->GetLease("shardId-000000000001");
  BROOK_REQUIRE_OK(seen_by_b);
  CHECK(SameLease(*seen_by_b, StoredLease()));

  // Worker b takes the lease; worker a's renewal at the old counter loses.
  absl::StatusOr<Lease> taken = (*b)->TakeLease(*seen_by_b, "w2");
  BROOK_REQUIRE_OK(taken);
  absl::StatusOr<Lease> renewed = (*a)->RenewLease(StoredLease());
  BROOK_CHECK_CODE(renewed, kAborted);
  CHECK_THAT(std::string(renewed.status().message()),
             Catch::Contains("leaseCounter is 4, expected 3"));

  // An attribute brook does not know survives brook's changes.
  AwsConfig config;
  config.region = "us-east-1";
  config.endpoint_url = dynalite->endpoint();
  config.credentials = AwsCredentials{"AKIDTEST", "testsecret"};
  AwsJsonClientOptions raw_options;
  raw_options.config = config;
  raw_options.service = "dynamodb";
  raw_options.target_prefix = "DynamoDB_20120810";
  raw_options.content_type = "application/x-amz-json-1.0";
  AwsJsonClient raw(raw_options, NewCurlTransport());
  const json key = {{"leaseKey", {{"S", "shardId-000000000001"}}}};
  BROOK_REQUIRE_OK(
      raw.Call("UpdateItem",
               {{"TableName", options.table_name},
                {"Key", key},
                {"UpdateExpression", "SET pendingCheckpointState = :s"},
                {"ExpressionAttributeValues", {{":s", {{"S", "kcl"}}}}}})
          .status());
  BROOK_REQUIRE_OK(
      (*a)->UpdateCheckpoint(*taken, ESN::At(SequenceNumber::FromValue(200))));
  absl::StatusOr<json> item =
      raw.Call("GetItem", {{"TableName", options.table_name}, {"Key", key}});
  BROOK_REQUIRE_OK(item);
  CHECK((*item)["Item"]["pendingCheckpointState"] == json{{"S", "kcl"}});
  CHECK((*item)["Item"]["checkpoint"] == json{{"S", "200"}});
  CHECK((*item)["Item"]["leaseCounter"] == json{{"N", "5"}});
  CHECK(!(*item)["Item"].contains("checkpointOwner"));

  // Numbers DynamoDB must take in exponent form read back exactly.
  absl::StatusOr<Lease> measured = (*b)->UpdateThroughput(
      *(*b)->GetLease("shardId-000000000001"), 1e-7, 0.1);
  BROOK_REQUIRE_OK(measured);
  absl::StatusOr<Lease> reread = (*a)->GetLease("shardId-000000000001");
  BROOK_REQUIRE_OK(reread);
  CHECK(reread->throughput_records_per_second == 1e-7);
  CHECK(reread->throughput_bytes_per_second == 0.1);

  // Scan pages: more leases than one small page.
  for (int i = 10; i < 40; ++i) {
    Lease lease;
    lease.lease_key = absl::StrFormat("shardId-%012d", i);
    BROOK_REQUIRE_OK((*a)->CreateLeaseIfNotExists(lease));
  }
  absl::StatusOr<std::vector<Lease>> all = (*b)->ListLeases();
  BROOK_REQUIRE_OK(all);
  REQUIRE(all->size() == 31);
  CHECK(all->front().lease_key == "shardId-000000000001");
  CHECK(all->back().lease_key == "shardId-000000000039");
}

}  // namespace
}  // namespace internal
}  // namespace brook
