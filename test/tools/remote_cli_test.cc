// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` commands with --stream-name, against kinesalite on loopback
// (skipped, with the reason printed, without Node.js and kinesalite), each
// compared with the same command on a local stream (MemoryBackend) where the
// two should agree: field names, record data, shard ids and hash key ranges.
// Credentials and region come from a fake environment, never the real one.

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include <catch2/catch.hpp>

#include "brook/aggregation.h"
#include "brook/aws_config.h"
#include "brook/kinesis_client.h"

#include "remote/kinesalite.h"
#include "tools/brook/remote_commands.h"
#include "tools/cli_run.h"
#include "tools/memory_backend.h"
#include "tools/tail_thread.h"
#include <nlohmann/json.hpp>

namespace brook {
namespace cli {
namespace {

using nlohmann::json;

constexpr char kDir[] = "/streams/orders";
constexpr char kName[] = "orders";

// The environment the remote commands see: a key pair and a region.
class FakeAwsEnvironment : public AwsConfigSource {
 public:
  std::optional<std::string> GetEnv(absl::string_view name) override {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  std::map<std::string, std::string> vars = {
      {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
      {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
      {"AWS_REGION", "us-east-1"}};
};

// Local streams in memory; Kinesis streams through a real client whose
// configuration is read from `FakeAwsEnvironment`.
class RemoteTestBackend : public MemoryBackend {
 public:
  absl::StatusOr<std::unique_ptr<KinesisClient>> ConnectKinesis(
      const KinesisClientOptions& options) override {
    KinesisClientOptions o = options;
    o.aws.source = &environment;
    o.retry_deadline = absl::Seconds(5);
    return KinesisClient::Create(o);
  }
  FakeAwsEnvironment environment;
};

class Fixture {
 public:
  explicit Fixture(std::string endpoint) : endpoint_(std::move(endpoint)) {}

  // `brook COMMAND --stream-dir kDir ARGS...`.
  CliRun Local(const std::string& command, std::vector<std::string> args = {},
               const std::string& stdin_text = "") {
    args.insert(args.begin(), {command, "--stream-dir", kDir});
    return RunCli(backend_, args, stdin_text);
  }
  // `brook COMMAND --stream-name kName --endpoint-url URL ARGS...`.
  CliRun Remote(const std::string& command, std::vector<std::string> args = {},
                const std::string& stdin_text = "") {
    args.insert(args.begin(),
                {command, "--stream-name", kName, "--endpoint-url", endpoint_});
    return RunCli(backend_, args, stdin_text);
  }
  // Runs both and requires both to succeed.
  std::pair<json, json> Both(const std::string& command,
                             const std::vector<std::string>& args = {},
                             const std::string& stdin_text = "") {
    const CliRun local = Local(command, args, stdin_text);
    const CliRun remote = Remote(command, args, stdin_text);
    INFO(command << " local: " << local.err << " remote: " << remote.err);
    REQUIRE(local.code == kExitOk);
    REQUIRE(remote.code == kExitOk);
    return {local.out.empty() ? json() : local.Json(),
            remote.out.empty() ? json() : remote.Json()};
  }
  CliRun Run(const std::vector<std::string>& args) {
    return RunCli(backend_, args);
  }
  RemoteTestBackend& backend() { return backend_; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  const std::string endpoint_;
  RemoteTestBackend backend_;
};

std::set<std::string> Keys(const json& object) {
  std::set<std::string> keys;
  for (const auto& item : object.items()) keys.insert(item.key());
  return keys;
}

bool IsDecimal(const json& value) {
  if (!value.is_string()) return false;
  const std::string s = value.get<std::string>();
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(c);
  });
}

// The shards as compared: id, parents and range (sequence numbers differ).
json ShardShape(const json& shards) {
  json out = json::array();
  for (json shard : shards) {
    CHECK(IsDecimal(shard["SequenceNumberRange"]["StartingSequenceNumber"]));
    shard.erase("SequenceNumberRange");
    out.push_back(shard);
  }
  return out;
}

std::string RecordsFile(int count, const std::string& prefix) {
  json records = json::array();
  for (int i = 0; i < count; ++i) {
    records.push_back({{"Data", absl::Base64Escape(absl::StrCat(prefix, i))},
                       {"PartitionKey", absl::StrCat("key-", i % 7)}});
  }
  return json{{"Records", records}}.dump();
}

// Every record of every shard from TRIM_HORIZON, as (shard, key, data).
std::vector<std::string> ReadAll(Fixture& f, bool remote, int shards) {
  std::vector<std::string> all;
  for (int i = 0; i < shards; ++i) {
    const std::string shard = absl::StrCat("shardId-00000000000", i);
    const std::vector<std::string> args = {
        "--shard-id", shard, "--shard-iterator-type", "TRIM_HORIZON"};
    const CliRun r =
        remote ? f.Remote("get-records", args) : f.Local("get-records", args);
    INFO(r.err);
    REQUIRE(r.code == kExitOk);
    const json out = r.Json();  // a range-for over Json()[...] would dangle
    for (const json& record : out["Records"]) {
      std::string data;
      REQUIRE(absl::Base64Unescape(record["Data"].get<std::string>(), &data));
      all.push_back(absl::StrCat(
          shard, " ", record["PartitionKey"].get<std::string>(), " ", data));
    }
  }
  return all;
}

TEST_CASE("brook --stream-name: create, describe and list agree with local",
          "[cli][remote]") {
  BROOK_START_KINESALITE_OR_SKIP(kinesalite);
  Fixture f(kinesalite->endpoint());
  f.Both("create-stream", {"--shard-count", "3"});

  auto [local, remote] = f.Both("describe-stream-summary");
  json l = local["StreamDescriptionSummary"];
  json r = remote["StreamDescriptionSummary"];
  std::set<std::string> expected = Keys(l);
  expected.erase("StoredBytes");        // brook's own
  expected.insert("StreamARN");         // the service's
  expected.erase("StreamModeDetails");  // kinesalite does not report it
  std::set<std::string> got = Keys(r);
  got.erase("StreamModeDetails");
  CHECK(got == expected);
  CHECK(r["StreamName"] == kName);
  CHECK(r["StreamStatus"] == "ACTIVE");
  CHECK(r["OpenShardCount"] == l["OpenShardCount"]);
  CHECK(r["RetentionPeriodHours"] == l["RetentionPeriodHours"]);
  CHECK(r["EncryptionType"] == l["EncryptionType"]);
  CHECK(r["EnhancedMonitoring"] == l["EnhancedMonitoring"]);

  auto [local_shards, remote_shards] = f.Both("list-shards");
  CHECK(ShardShape(remote_shards["Shards"]) ==
        ShardShape(local_shards["Shards"]));
  CHECK(remote_shards["Shards"].size() == 3);
  // The service's numbers, longer than brook's 128-bit ones.
  CHECK(remote_shards["Shards"][0]["SequenceNumberRange"]
                     ["StartingSequenceNumber"]
                         .get<std::string>()
                         .size() > 39);

  // --retention-period-hours at creation, then the retention commands.
  CHECK(f.Run({"create-stream", "--stream-name", "kept", "--endpoint-url",
               f.endpoint(), "--shard-count", "1", "--retention-period-hours",
               "48"})
            .code == kExitOk);
  const auto hours = [&](const std::string& stream) {
    CliRun d = f.Run({"describe-stream-summary", "--stream-name", stream,
                      "--endpoint-url", f.endpoint()});
    REQUIRE(d.code == kExitOk);
    return d.Json()["StreamDescriptionSummary"]["RetentionPeriodHours"];
  };
  CHECK(hours("kept") == 48);
  f.Both("increase-stream-retention-period",
         {"--retention-period-hours", "72"});
  CHECK(hours(kName) == 72);
  f.Both("decrease-stream-retention-period",
         {"--retention-period-hours", "36"});
  CHECK(hours(kName) == 36);
}

TEST_CASE("brook --stream-name: put-record, put-records, get-records agree",
          "[cli][remote]") {
  BROOK_START_KINESALITE_OR_SKIP(kinesalite);
  Fixture f(kinesalite->endpoint());
  f.Both("create-stream", {"--shard-count", "3"});

  // The same keys go to the same shards (MD5 routing, explicit hash key).
  auto [local, remote] =
      f.Both("put-record", {"--partition-key", "user-7", "--data", "hello"});
  CHECK(Keys(remote) == Keys(local));
  CHECK(remote["ShardId"] == local["ShardId"]);
  CHECK(IsDecimal(remote["SequenceNumber"]));
  std::tie(local, remote) =
      f.Both("put-record", {"--partition-key", "k", "--data-base64", "AAEC",
                            "--explicit-hash-key",
                            "340282366920938463463374607431768211455"});
  CHECK(remote["ShardId"] == "shardId-000000000002");
  CHECK(remote["ShardId"] == local["ShardId"]);

  // 600 records: two PutRecords requests to the service.
  std::tie(local, remote) =
      f.Both("put-records", {"--records-file", "-"}, RecordsFile(600, "r"));
  CHECK(Keys(remote) == Keys(local));
  CHECK(remote["FailedRecordCount"] == 0);
  REQUIRE(remote["Records"].size() == 600);
  for (size_t i = 0; i < 600; ++i) {
    CHECK(Keys(remote["Records"][i]) == Keys(local["Records"][i]));
    CHECK(remote["Records"][i]["ShardId"] == local["Records"][i]["ShardId"]);
  }

  // Entries a stream refuses fail on their own, with the same codes.
  const json bad = {
      {"Records",
       {{{"Data", "eA=="}, {"PartitionKey", "ok"}},
        {{"Data", "eA=="}, {"PartitionKey", std::string(257, 'k')}},
        {{"Data", "eA=="}, {"PartitionKey", "k"}, {"ExplicitHashKey", ""}},
        {{"Data", "eA=="},
         {"PartitionKey", "k"},
         {"ExplicitHashKey", "340282366920938463463374607431768211456"}}}}};
  std::tie(local, remote) =
      f.Both("put-records", {"--records-file", "-"}, bad.dump());
  CHECK(remote["FailedRecordCount"] == 3);
  CHECK(local["FailedRecordCount"] == 3);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(Keys(remote["Records"][i]) == Keys(local["Records"][i]));
    if (i > 0) {
      CHECK(remote["Records"][i]["ErrorCode"] ==
            local["Records"][i]["ErrorCode"]);
    }
  }

  // Every shard read back: the same records in the same shards and order.
  CHECK(ReadAll(f, /*remote=*/true, 3) == ReadAll(f, /*remote=*/false, 3));

  // dump prints the same lines but for the sequence numbers and arrivals.
  const auto dump_lines = [](const CliRun& r) {
    INFO(r.err);
    REQUIRE(r.code == kExitOk);
    std::vector<std::string> lines;
    for (absl::string_view line :
         absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      std::vector<std::string> words = absl::StrSplit(line, ' ');
      REQUIRE(words.size() > 3);
      CHECK(absl::StartsWith(words[1], "seq="));
      CHECK(absl::StartsWith(words[2], "arrival="));
      words.erase(words.begin() + 1, words.begin() + 3);
      lines.push_back(absl::StrJoin(words, " "));
    }
    return lines;
  };
  const std::vector<std::string> dumped = dump_lines(f.Local("dump"));
  CHECK(dumped.size() == 603);
  CHECK(dump_lines(f.Remote("dump")) == dumped);
  CHECK(dump_lines(f.Remote("dump", {"--shard-id", "shardId-000000000001",
                                     "--data-limit", "1"})) ==
        dump_lines(f.Local("dump", {"--shard-id", "shardId-000000000001",
                                    "--data-limit", "1"})));

  // Reading on from a 56-digit sequence number, with a limit.
  std::tie(local, remote) = f.Both(
      "get-records", {"--shard-id", "shardId-000000000000",
                      "--shard-iterator-type", "TRIM_HORIZON", "--limit", "2"});
  REQUIRE(remote["Records"].size() == 2);
  CHECK(Keys(remote) == Keys(local));
  CHECK(Keys(remote["Records"][0]) == Keys(local["Records"][0]));
  CHECK(remote["Records"][1]["Data"] == local["Records"][1]["Data"]);
  const std::string after = remote["Records"][0]["SequenceNumber"];
  CHECK(after.size() > 39);
  CliRun next = f.Remote("get-records",
                         {"--shard-id", "shardId-000000000000",
                          "--shard-iterator-type", "AFTER_SEQUENCE_NUMBER",
                          "--starting-sequence-number", after, "--limit", "1"});
  REQUIRE(next.code == kExitOk);
  CHECK(next.Json()["Records"][0] == remote["Records"][1]);
}

TEST_CASE("brook --stream-name: get-records --deaggregate agrees with local",
          "[cli][remote][aggregation]") {
  BROOK_START_KINESALITE_OR_SKIP(kinesalite);
  Fixture f(kinesalite->endpoint());
  f.Both("create-stream", {"--shard-count", "1"});
  AggregateBuilder builder;
  REQUIRE(*builder.Add("u1", "", "first"));
  REQUIRE(*builder.Add("u2", "99", "second"));
  const AggregateBuilder::Aggregate a = *builder.Finish();
  std::string damaged = a.data;
  damaged[5] = static_cast<char>(damaged[5] ^ 1);
  f.Both("put-record", {"--partition-key", a.partition_key, "--data-base64",
                        absl::Base64Escape(a.data), "--explicit-hash-key",
                        a.explicit_hash_key});
  f.Both("put-record", {"--partition-key", "d", "--data-base64",
                        absl::Base64Escape(damaged)});
  f.Both("put-record", {"--partition-key", "plain", "--data", "text"});
  for (const char* deaggregate : {"true", "false"}) {
    CAPTURE(deaggregate);
    auto [local, remote] =
        f.Both("get-records",
               {"--shard-id", "shardId-000000000000", "--shard-iterator-type",
                "TRIM_HORIZON", "--deaggregate", deaggregate});
    REQUIRE(remote["Records"].size() == local["Records"].size());
    for (size_t i = 0; i < local["Records"].size(); ++i) {
      json l = local["Records"][i];
      json r = remote["Records"][i];
      CHECK(IsDecimal(r["SequenceNumber"]));
      for (json* record : {&l, &r}) {
        record->erase("SequenceNumber");
        record->erase("ApproximateArrivalTimestamp");
      }
      CHECK(r == l);
    }
  }
}

TEST_CASE(
    "brook --stream-name: split-shard and merge-shards agree, and tail "
    "follows children after parents",
    "[cli][remote]") {
  BROOK_START_KINESALITE_OR_SKIP(kinesalite);
  Fixture f(kinesalite->endpoint());
  f.Both("create-stream", {"--shard-count", "2"});
  f.Both("put-records", {"--records-file", "-"}, RecordsFile(20, "before-"));
  auto [local, remote] =
      f.Both("split-shard", {"--shard-to-split", "shardId-000000000000",
                             "--new-starting-hash-key",
                             "85070591730234615865843651857942052864"});
  CHECK(remote.is_null());  // silent, as the AWS CLI is
  f.Both("merge-shards", {"--shard-to-merge", "shardId-000000000003",
                          "--adjacent-shard-to-merge", "shardId-000000000001"});
  f.Both("put-records", {"--records-file", "-"}, RecordsFile(20, "after-"));

  std::tie(local, remote) = f.Both("list-shards");
  CHECK(ShardShape(remote["Shards"]) == ShardShape(local["Shards"]));
  REQUIRE(remote["Shards"].size() == 5);
  CHECK(remote["Shards"][4]["ParentShardId"] == "shardId-000000000003");
  for (size_t i : {0, 1, 3}) {
    CHECK(IsDecimal(
        remote["Shards"][i]["SequenceNumberRange"]["EndingSequenceNumber"]));
  }

  // At the end of a closed shard: its children, as a local stream says. A
  // local read goes on to the end; Kinesis reports the children only on a
  // read that returns no records, so the remote one reads on after the last.
  const json split_local =
      f.Local("get-records", {"--shard-id", "shardId-000000000000",
                              "--shard-iterator-type", "TRIM_HORIZON"})
          .Json();
  REQUIRE(split_local.contains("ChildShards"));
  CHECK(split_local["ChildShards"].size() == 2);
  CliRun all =
      f.Remote("get-records", {"--shard-id", "shardId-000000000000",
                               "--shard-iterator-type", "TRIM_HORIZON"});
  REQUIRE(all.code == kExitOk);
  const json records = all.Json()["Records"];
  REQUIRE(records.size() == split_local["Records"].size());
  REQUIRE_FALSE(records.empty());
  CliRun end =
      f.Remote("get-records",
               {"--shard-id", "shardId-000000000000", "--shard-iterator-type",
                "AFTER_SEQUENCE_NUMBER", "--starting-sequence-number",
                records.back()["SequenceNumber"].get<std::string>()});
  REQUIRE(end.code == kExitOk);
  CHECK(end.Json()["Records"].empty());
  CHECK(end.Json()["ChildShards"] == split_local["ChildShards"]);
  // The merged shard 3 holds no records: its child at once.
  std::tie(local, remote) =
      f.Both("get-records", {"--shard-id", "shardId-000000000003",
                             "--shard-iterator-type", "TRIM_HORIZON"});
  CHECK(Keys(remote) == Keys(local));
  CHECK(remote["ChildShards"] == local["ChildShards"]);

  // tail from TRIM_HORIZON prints every record, each key's in order, as the
  // local tail does (shards may interleave; keys may not).
  const auto tail_lines = [&](bool remote_tail) {
    std::vector<std::string> args = {"--shard-iterator-type", "TRIM_HORIZON"};
    if (remote_tail) {
      args.insert(args.begin(),
                  {"--stream-name", kName, "--endpoint-url", f.endpoint()});
    } else {
      args.insert(args.begin(), {"--stream-dir", kDir});
    }
    TailThread tail(f.backend(), args);
    std::vector<std::string> lines = tail.WaitForLines(40);
    CHECK(tail.Stop() == kExitOk);
    INFO(tail.err());
    REQUIRE(lines.size() == 40);
    std::map<std::string, std::vector<std::string>> by_key;
    for (const std::string& line : lines) {
      CHECK(nlohmann::ordered_json::parse(line).begin().key() == "ShardId");
      const json j = json::parse(line);
      std::string data;
      REQUIRE(absl::Base64Unescape(j["Data"].get<std::string>(), &data));
      by_key[j["PartitionKey"].get<std::string>()].push_back(
          absl::StrCat(j["ShardId"].get<std::string>(), " ", data));
    }
    return by_key;
  };
  CHECK(tail_lines(true) == tail_lines(false));
}

TEST_CASE("brook --stream-name: errors are clear", "[cli][remote]") {
  BROOK_START_KINESALITE_OR_SKIP(kinesalite);
  Fixture f(kinesalite->endpoint());

  // No such stream: the service's error, naming the operation.
  CliRun r = f.Remote("list-shards");
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err,
                          "brook list-shards: kinesis ListShards: "
                          "ResourceNotFoundException"));
  CHECK(absl::StrContains(r.err, kName));
  r = f.Remote("put-record", {"--partition-key", "k", "--data", "x"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "ResourceNotFoundException"));

  REQUIRE(f.Remote("create-stream", {"--shard-count", "2"}).code == kExitOk);
  r = f.Remote("create-stream", {"--shard-count", "2"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "ResourceInUseException"));
  // kinesalite has no UpdateShardCount.
  r = f.Remote("update-shard-count", {"--target-shard-count", "4"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "brook update-shard-count: "));
  CHECK(absl::StrContains(r.err, "UpdateShardCount"));
  r = f.Remote("split-shard", {"--shard-to-split", "shardId-000000000009",
                               "--new-starting-hash-key", "12345"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "shardId-000000000009"));
  // A profile that is in no file.
  r = f.Remote("list-shards", {"--profile", "nosuch"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "nosuch"));
  // No credentials anywhere.
  f.backend().environment.vars.erase("AWS_SECRET_ACCESS_KEY");
  f.backend().environment.vars.erase("AWS_ACCESS_KEY_ID");
  r = f.Remote("list-shards");
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "credentials"));
}

TEST_CASE("brook --stream-name: bad flags are usage errors", "[cli][remote]") {
  // No emulator needed: nothing is sent.
  RemoteTestBackend backend;
  struct Row {
    std::vector<std::string> args;
    std::string message;
  };
  const Row row = GENERATE(values<Row>({
      {{"list-shards"},
       "give --stream-dir DIR (a local stream) or "
       "--stream-name NAME (a Kinesis stream)"},
      {{"list-shards", "--stream-dir", "/s", "--stream-name", "s"}, "not both"},
      {{"list-shards", "--stream-name="}, "--stream-name must not be empty"},
      {{"list-shards", "--stream-dir", "/s", "--region", "eu-west-1"},
       "--region goes with --stream-name"},
      {{"put-record", "--stream-dir", "/s", "--endpoint-url", "http://x",
        "--partition-key", "k", "--data", "x"},
       "--endpoint-url goes with --stream-name"},
      {{"verify", "--stream-name", "s"},
       "--stream-name: verify works on a local stream directory "
       "(--stream-dir) only"},
      {{"stats", "--stream-dir", "/s", "--profile", "p"},
       "--profile: stats works on a local stream directory"},
      {{"describe-consumer-group", "--stream-name=s", "--group", "g"},
       "describe-consumer-group works on a local stream directory"},
      {{"get-records", "--stream-name", "s", "--shard-id",
        "shardId-000000000000", "--shard-iterator-type",
        "AFTER_SEQUENCE_NUMBER", "--starting-sequence-number", "01"},
       "--starting-sequence-number: expected a decimal sequence number"},
      {{"create-stream", "--stream-name", "s", "--shard-count", "1",
        "--retention-bytes", "9000000"},
       "--retention-bytes is for a local stream"},
      {{"tail", "--stream-name", "s", "--durable-only", "true"},
       "--durable-only is for a local stream"},
  }));
  CAPTURE(row.args);
  const CliRun r = RunCli(backend, row.args);
  CHECK(r.code == kExitUsage);
  CHECK(absl::StrContains(r.err, row.message));
  CHECK(r.out.empty());
}

TEST_CASE(
    "brook --stream-name: a 56-digit sequence number is checked for "
    "form only",
    "[cli][remote]") {
  CHECK(CheckSequenceNumberText(
            "49590338271490256608559692538361571095921575989136588898")
            .ok());
  CHECK(CheckSequenceNumberText("0").ok());
  CHECK_FALSE(CheckSequenceNumberText("").ok());
  CHECK_FALSE(CheckSequenceNumberText("007").ok());
  CHECK_FALSE(CheckSequenceNumberText("12a").ok());
  CHECK_FALSE(CheckSequenceNumberText(std::string(130, '1')).ok());
}

}  // namespace
}  // namespace cli
}  // namespace brook
