// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Runs the `brook` tool in-process against MemoryBackend and checks what it
// prints, its exit codes, and what it leaves in the stream.

#include "tools/brook/cli.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "testing/status_testing.h"
#include "tools/cli_run.h"
#include "tools/memory_backend.h"
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace cli {
namespace {

using nlohmann::json;

// 2023-11-14T22:13:20.123Z
constexpr int64_t kNowMillis = 1'700'000'000'123;
constexpr char kDir[] = "/streams/clicks";

// The ranges Kinesis gives a 3-shard stream.
constexpr char kW[] = "113427455640312821154458202477256070485";
constexpr char kWMinus1[] = "113427455640312821154458202477256070484";
constexpr char k2W[] = "226854911280625642308916404954512140970";
constexpr char k2WMinus1[] = "226854911280625642308916404954512140969";
constexpr char kMaxHashKey[] = "340282366920938463463374607431768211455";

// Passes every call to a MemoryBackend and logs it, so a test can show that a
// command never reached the stream, or reached it only read-only.
class CountingBackend : public CliBackend {
 public:
  explicit CountingBackend(MemoryBackend* memory) : memory_(memory) {}

  absl::StatusOr<std::shared_ptr<Stream>> CreateStream(
      absl::string_view dir, const StreamOptions& options) override {
    Log("CreateStream", dir);
    return memory_->CreateStream(dir, options);
  }
  absl::StatusOr<std::shared_ptr<Stream>> OpenForWrite(
      absl::string_view dir) override {
    Log("OpenForWrite", dir);
    return memory_->OpenForWrite(dir);
  }
  absl::StatusOr<std::shared_ptr<Stream>> OpenReadOnly(
      absl::string_view dir) override {
    Log("OpenReadOnly", dir);
    return memory_->OpenReadOnly(dir);
  }
  absl::Status Sync(Stream& stream) override {
    Log("Sync", "");
    if (!sync_status.ok()) return sync_status;
    return memory_->Sync(stream);
  }
  absl::StatusOr<VerifyReport> Verify(absl::string_view dir,
                                      const ProgressFn& progress) override {
    Log("Verify", dir);
    return memory_->Verify(dir, progress);
  }

  // Calls so far, e.g. "OpenReadOnly /s", "Sync".
  std::vector<std::string> calls;
  // What Sync() returns instead of succeeding, when not OK.
  absl::Status sync_status;

 private:
  void Log(absl::string_view method, absl::string_view dir) {
    calls.push_back(dir.empty() ? std::string(method)
                                : absl::StrCat(method, " ", dir));
  }

  MemoryBackend* memory_;
};

using RunResult = CliRun;
using Terminal = CliTerminal;

// A record as read back, with owned bytes.
struct Stored {
  std::string shard_id;
  std::string sequence_number;
  std::string partition_key;
  std::string data;
};

class CliFixture {
 public:
  CliFixture() : env_(kNowMillis), memory_(&env_), backend_(&memory_) {}

  RunResult Run(const std::vector<std::string>& args,
                const std::string& stdin_text = "", Terminal terminal = {}) {
    return RunCli(backend_, args, stdin_text, terminal);
  }

  void CreateStream(const std::string& dir, int shards) {
    RunResult r = Run({"create-stream", "--stream-dir", dir, "--shard-count",
                       std::to_string(shards)});
    INFO(r.err);
    REQUIRE(r.code == kExitOk);
    CHECK(r.out.empty());
  }

  // Every record of every shard, read from the stream itself.
  std::vector<Stored> ReadAll(const std::string& dir) {
    std::shared_ptr<Stream> stream = memory_.StreamForTesting(dir);
    REQUIRE(stream != nullptr);
    Consumer consumer(stream.get());
    std::vector<Stored> all;
    for (const ShardDescription& shard : stream->ListShards()) {
      absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
          shard.shard_id, StartingPosition::TrimHorizon());
      REQUIRE(it.ok());
      for (;;) {
        absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
        REQUIRE(r.ok());
        if (r->records().empty()) break;
        for (const Record& rec : r->records()) {
          all.push_back({shard.shard_id, rec.sequence_number.ToString(),
                         std::string(rec.partition_key),
                         std::string(rec.data)});
        }
        *it = r->next_shard_iterator();
      }
    }
    return all;
  }

  ManualClockEnv& env() { return env_; }
  MemoryBackend& memory() { return memory_; }
  CountingBackend& backend() { return backend_; }

 private:
  ManualClockEnv env_;
  MemoryBackend memory_;
  CountingBackend backend_;
};

// A path for a scratch file, unique to this process so that test binaries of
// several build trees can run at once.
std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe)
  return absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp",
                      "/brook_cli_test_", getpid(), "_", name);
}

std::string WriteTempFile(const std::string& name, const std::string& text) {
  std::string path = TempPath(name);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  REQUIRE(f.good());
  return path;
}

// The records file of `put-records`.
std::string RecordsFile(const std::vector<json>& records) {
  return json{{"Records", records}}.dump();
}

json Entry(const std::string& key, const std::string& data) {
  return {{"Data", absl::Base64Escape(data)}, {"PartitionKey", key}};
}

TEST_CASE("brook CLI: --help prints usage and exits 0", "[cli]") {
  CliFixture cli;
  for (const char* flag : {"--help", "-h", "help"}) {
    RunResult r = cli.Run({flag});
    CHECK(r.code == kExitOk);
    CHECK(absl::StrContains(r.out, "usage: brook COMMAND"));
    CHECK(absl::StrContains(r.out, "Exit codes:"));
  }
  for (const char* command :
       {"create-stream", "describe-stream-summary", "list-shards", "put-record",
        "put-records", "get-records", "verify", "dump"}) {
    INFO(command);
    CHECK(absl::StrContains(cli.Run({"--help"}).out, command));
    RunResult r = cli.Run({command, "--help"});
    CHECK(r.code == kExitOk);
    const bool local_only = absl::string_view(command) == "verify";
    CHECK(absl::StartsWith(
        r.out,
        absl::StrCat("usage: brook ", command,
                     local_only ? " --stream-dir DIR" : " (--stream-dir DIR")));
    CHECK(r.err.empty());
  }
  // --help where a flag may stand wins over missing flags; as a value it is
  // just a value.
  CHECK(cli.Run({"put-record", "--stream-dir", kDir, "-h"}).code == kExitOk);
  CHECK(cli.backend().calls.empty());
  cli.CreateStream(kDir, 1);
  CHECK(cli.Run({"put-record", "--stream-dir", kDir, "--partition-key", "k",
                 "--data", "-h"})
            .code == kExitOk);
  CHECK(cli.ReadAll(kDir).at(0).data == "-h");

  RunResult none = cli.Run({});
  CHECK(none.code == kExitUsage);
  CHECK(absl::StrContains(none.err, "missing command"));
  RunResult unknown = cli.Run({"delete-stream", "--stream-dir", kDir});
  CHECK(unknown.code == kExitUsage);
  CHECK(absl::StrContains(unknown.err, "unknown command \"delete-stream\""));
}

TEST_CASE("brook CLI: list-shards prints Kinesis's ranges for 3 shards",
          "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 3);
  RunResult r = cli.Run({"list-shards", "--stream-dir", kDir});
  REQUIRE(r.code == kExitOk);
  CHECK(r.err.empty());
  // Pretty-printed with a 4-space indent, like the AWS CLI.
  CHECK(absl::StartsWith(r.out, "{\n    \"Shards\": [\n        {\n"));
  const json shards = r.Json()["Shards"];
  REQUIRE(shards.size() == 3);
  const std::vector<std::pair<std::string, std::string>> ranges = {
      {"0", kWMinus1}, {kW, k2WMinus1}, {k2W, kMaxHashKey}};
  for (size_t i = 0; i < 3; ++i) {
    INFO("shard " << i);
    const json& s = shards[i];
    CHECK(s["ShardId"] == absl::StrCat("shardId-00000000000", i));
    CHECK(s["HashKeyRange"]["StartingHashKey"] == ranges[i].first);
    CHECK(s["HashKeyRange"]["EndingHashKey"] == ranges[i].second);
    CHECK(s["SequenceNumberRange"]["StartingSequenceNumber"].is_string());
    CHECK_FALSE(s["SequenceNumberRange"].contains("EndingSequenceNumber"));
    CHECK_FALSE(s.contains("ParentShardId"));
    CHECK_FALSE(s.contains("AdjacentParentShardId"));
  }
  // The fields come out in the AWS CLI's order (json above sorts them).
  CHECK(r.out.find("\"ShardId\"") < r.out.find("\"HashKeyRange\""));
  CHECK(r.out.find("\"HashKeyRange\"") < r.out.find("\"SequenceNumberRange\""));
}

TEST_CASE("brook CLI: list-shards and get-records show lineage after a reshard",
          "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 1);
  REQUIRE(cli.Run({"put-record", "--stream-dir", kDir, "--partition-key", "k",
                   "--data", "before"})
              .code == kExitOk);
  std::shared_ptr<Stream> stream = cli.memory().StreamForTesting(kDir);
  BROOK_REQUIRE_OK(stream->SplitShard("shardId-000000000000", kW));
  BROOK_REQUIRE_OK(
      stream->MergeShards("shardId-000000000001", "shardId-000000000002"));

  RunResult r = cli.Run({"list-shards", "--stream-dir", kDir});
  REQUIRE(r.code == kExitOk);
  const json shards = r.Json()["Shards"];
  REQUIRE(shards.size() == 4);
  CHECK(shards[0]["SequenceNumberRange"].contains("EndingSequenceNumber"));
  CHECK(shards[1]["ParentShardId"] == "shardId-000000000000");
  CHECK_FALSE(shards[1].contains("AdjacentParentShardId"));
  CHECK(shards[3]["ParentShardId"] == "shardId-000000000001");
  CHECK(shards[3]["AdjacentParentShardId"] == "shardId-000000000002");
  CHECK_FALSE(
      shards[3]["SequenceNumberRange"].contains("EndingSequenceNumber"));
  CHECK(shards[3]["HashKeyRange"]["StartingHashKey"] == "0");
  CHECK(shards[3]["HashKeyRange"]["EndingHashKey"] == kMaxHashKey);

  r = cli.Run({"get-records", "--stream-dir", kDir, "--shard-id",
               "shardId-000000000000", "--shard-iterator-type",
               "TRIM_HORIZON"});
  REQUIRE(r.code == kExitOk);
  const json got = r.Json();
  REQUIRE(got["Records"].size() == 1);
  REQUIRE(got["ChildShards"].size() == 2);
  CHECK(got["ChildShards"][0]["ShardId"] == "shardId-000000000001");
  CHECK(got["ChildShards"][1]["ParentShards"] ==
        json::array({"shardId-000000000000"}));
}

TEST_CASE("brook CLI: create-stream refuses a directory that has a stream",
          "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 3);
  RunResult r =
      cli.Run({"create-stream", "--stream-dir", kDir, "--shard-count", "1"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(r.err == absl::StrCat("brook create-stream: stream dir ", kDir,
                              ": already holds a stream\n"));
  CHECK(cli.memory().StreamForTesting(kDir)->ListShards().size() == 3);
}

TEST_CASE("brook CLI: describe-stream-summary", "[cli]") {
  CliFixture cli;
  cli.CreateStream("/data/clicks/", 2);
  RunResult r =
      cli.Run({"describe-stream-summary", "--stream-dir", "/data/clicks/"});
  REQUIRE(r.code == kExitOk);
  const json summary = r.Json()["StreamDescriptionSummary"];
  CHECK(summary["StreamName"] == "clicks");  // the directory's name
  CHECK(summary["StreamStatus"] == "ACTIVE");
  CHECK(summary["RetentionPeriodHours"] == 24);
  CHECK(summary["OpenShardCount"] == 2);
  CHECK(summary["EncryptionType"] == "NONE");
  CHECK(summary["ConsumerCount"] == 0);
  CHECK_FALSE(summary.contains("StreamARN"));

  REQUIRE(cli.Run({"create-stream", "--stream-dir", "/x", "--shard-count", "1",
                   "--stream-name", "orders"})
              .code == kExitOk);
  CHECK(cli.Run({"describe-stream-summary", "--stream-dir", "/x"})
            .Json()["StreamDescriptionSummary"]["StreamName"] == "orders");
}

TEST_CASE("brook CLI: retention commands change the stream, silently",
          "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 1);
  const auto hours = [&] {
    return cli.Run({"describe-stream-summary", "--stream-dir", kDir})
        .Json()["StreamDescriptionSummary"]["RetentionPeriodHours"];
  };
  RunResult r = cli.Run({"increase-stream-retention-period", "--stream-dir",
                         kDir, "--retention-period-hours", "168"});
  CHECK(r.code == kExitOk);
  CHECK(r.out.empty());  // as the AWS CLI
  CHECK(r.err.empty());
  CHECK(hours() == 168);
  r = cli.Run({"decrease-stream-retention-period", "--stream-dir", kDir,
               "--retention-period-hours", "2"});
  CHECK(r.code == kExitOk);
  CHECK(r.out.empty());
  CHECK(hours() == 2);
  r = cli.Run({"update-retention-bytes", "--stream-dir", kDir,
               "--retention-bytes", std::to_string(int64_t{64} << 20)});
  CHECK(r.code == kExitOk);
  CHECK(r.out.empty());
  CHECK(cli.memory().StreamForTesting(kDir)->options().retention_bytes ==
        (int64_t{64} << 20));

  // The wrong direction is the stream's error (exit 1), naming both periods.
  r = cli.Run({"increase-stream-retention-period", "--stream-dir", kDir,
               "--retention-period-hours", "1"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "can not be shorter than the existing"));
  r = cli.Run({"decrease-stream-retention-period", "--stream-dir", kDir,
               "--retention-period-hours", "3"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "can not be longer than the existing"));
  r = cli.Run({"update-retention-bytes", "--stream-dir", kDir,
               "--retention-bytes", "1"});
  CHECK(r.code == kExitRuntimeError);
  CHECK(absl::StrContains(r.err, "at least twice segment_bytes"));
  CHECK(hours() == 2);

  // Bad flags are usage errors and never reach the stream.
  cli.backend().calls.clear();
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"increase-stream-retention-period", "--stream-dir", kDir},
           {"increase-stream-retention-period", "--stream-dir", kDir,
            "--retention-period-hours", "0"},
           {"decrease-stream-retention-period", "--stream-dir", kDir,
            "--retention-period-hours", "8761"},
           {"decrease-stream-retention-period", "--stream-dir", kDir,
            "--retention-period-hours", "2h"},
           {"update-retention-bytes", "--stream-dir", kDir, "--retention-bytes",
            "-1"}}) {
    INFO(absl::StrJoin(args, " "));
    CHECK(cli.Run(args).code == kExitUsage);
  }
  CHECK(cli.backend().calls.empty());
  // In the help.
  const std::string help = cli.Run({"--help"}).out;
  for (const char* command :
       {"increase-stream-retention-period", "decrease-stream-retention-period",
        "update-retention-bytes"}) {
    CHECK(absl::StrContains(help, command));
    CHECK(cli.Run({command, "--help"}).code == kExitOk);
  }
}

TEST_CASE("brook CLI: put-record then get-records round-trips every byte",
          "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 3);
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));

  RunResult put =
      cli.Run({"put-record", "--stream-dir", kDir, "--partition-key", "user-1",
               "--data-base64", absl::Base64Escape(all_bytes)});
  REQUIRE(put.code == kExitOk);
  const json p = put.Json();
  REQUIRE(p.size() == 2);
  const std::string shard = p["ShardId"];
  const std::string seq = p["SequenceNumber"];
  CHECK(cli.backend().calls ==
        std::vector<std::string>{absl::StrCat("CreateStream ", kDir), "Sync",
                                 absl::StrCat("OpenForWrite ", kDir), "Sync"});

  RunResult get = cli.Run({"get-records", "--stream-dir", kDir, "--shard-id",
                           shard, "--shard-iterator-type", "TRIM_HORIZON"});
  REQUIRE(get.code == kExitOk);
  const json g = get.Json();
  REQUIRE(g["Records"].size() == 1);
  const json& rec = g["Records"][0];
  CHECK(rec["SequenceNumber"] == seq);
  CHECK(rec["PartitionKey"] == "user-1");
  CHECK(rec["Data"] == absl::Base64Escape(all_bytes));
  std::string decoded;
  REQUIRE(absl::Base64Unescape(rec["Data"].get<std::string>(), &decoded));
  CHECK(decoded == all_bytes);
  // Seconds with a fraction, printed as the AWS CLI prints them.
  CHECK(rec["ApproximateArrivalTimestamp"].get<double>() == 1700000000.123);
  CHECK(absl::StrContains(get.out,
                          "\"ApproximateArrivalTimestamp\": 1700000000.123,"));
  CHECK(g["MillisBehindLatest"] == 0);
  CHECK_FALSE(g.contains("NextShardIterator"));
  CHECK_FALSE(g.contains("ChildShards"));  // the shard is open

  // --data stores text as is; an explicit hash key picks the shard.
  RunResult text =
      cli.Run({"put-record", "--stream-dir", kDir, "--partition-key", "k",
               "--data", "--not a flag", "--explicit-hash-key", kMaxHashKey});
  REQUIRE(text.code == kExitUsage);  // a value starting with -- needs '='
  text = cli.Run({"put-record", "--stream-dir", kDir, "--partition-key", "k",
                  "--data=--not a flag", "--explicit-hash-key", kMaxHashKey});
  REQUIRE(text.code == kExitOk);
  CHECK(text.Json()["ShardId"] == "shardId-000000000002");
  const std::vector<Stored> stored = cli.ReadAll(kDir);
  REQUIRE(stored.size() == 2);
  CHECK(stored.back().data == "--not a flag");
  CHECK(stored.back().shard_id == "shardId-000000000002");
}

TEST_CASE("brook CLI: get-records starting positions and --limit", "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 1);
  std::vector<std::string> seqs;
  for (int i = 0; i < 3; ++i) {
    RunResult r =
        cli.Run({"put-record", "--stream-dir", kDir, "--partition-key", "k",
                 "--data", absl::StrCat("r", i)});
    REQUIRE(r.code == kExitOk);
    seqs.push_back(r.Json()["SequenceNumber"]);
    cli.env().Advance(absl::Milliseconds(1000));
  }
  const auto read = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"get-records", "--stream-dir", kDir,
                                     "--shard-id", "shardId-000000000000"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = cli.Run(args);
    INFO(r.err);
    REQUIRE(r.code == kExitOk);
    std::vector<std::string> data;
    const json out = r.Json();
    for (const json& rec : out["Records"]) {
      std::string bytes;
      REQUIRE(absl::Base64Unescape(rec["Data"].get<std::string>(), &bytes));
      data.push_back(bytes);
    }
    return data;
  };
  using V = std::vector<std::string>;
  CHECK(read({"--shard-iterator-type", "TRIM_HORIZON"}) == V{"r0", "r1", "r2"});
  CHECK(read({"--shard-iterator-type", "TRIM_HORIZON", "--limit", "2"}) ==
        V{"r0", "r1"});
  CHECK(read({"--shard-iterator-type", "LATEST"}).empty());
  CHECK(read({"--shard-iterator-type", "AT_SEQUENCE_NUMBER",
              "--starting-sequence-number", seqs[1]}) == V{"r1", "r2"});
  CHECK(read({"--shard-iterator-type", "AFTER_SEQUENCE_NUMBER",
              "--starting-sequence-number", seqs[1]}) == V{"r2"});
  CHECK(read({"--shard-iterator-type", "AT_TIMESTAMP", "--timestamp",
              std::to_string(kNowMillis + 1000)}) == V{"r1", "r2"});

  // Reading only the first record leaves the reader behind the tip.
  RunResult r = cli.Run({"get-records", "--stream-dir", kDir, "--shard-id",
                         "shardId-000000000000", "--shard-iterator-type",
                         "TRIM_HORIZON", "--limit", "1"});
  REQUIRE(r.code == kExitOk);
  CHECK(r.Json()["MillisBehindLatest"].get<int64_t>() > 0);
}

TEST_CASE("brook CLI: put-records reports each entry in input order", "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 3);
  json bad_key = Entry("", "lost");
  json explicit_key = Entry("k", "last shard");
  explicit_key["ExplicitHashKey"] = kMaxHashKey;
  const std::string file = RecordsFile(
      {Entry("a", "one"), bad_key, Entry("a", "two"), explicit_key});

  SECTION("from stdin") {
    RunResult r = cli.Run(
        {"put-records", "--stream-dir", kDir, "--records-file", "-"}, file);
    REQUIRE(r.code == kExitOk);
    const json out = r.Json();
    CHECK(out["FailedRecordCount"] == 1);
    const json& recs = out["Records"];
    REQUIRE(recs.size() == 4);
    for (size_t i : {0u, 2u, 3u}) {
      INFO("entry " << i);
      REQUIRE(recs[i].size() == 2);
      CHECK(recs[i]["ShardId"].is_string());
      CHECK(recs[i]["SequenceNumber"].is_string());
    }
    REQUIRE(recs[1].size() == 2);
    CHECK(recs[1]["ErrorCode"] == "InvalidArgumentException");
    CHECK_FALSE(recs[1]["ErrorMessage"].get<std::string>().empty());
    CHECK(recs[3]["ShardId"] == "shardId-000000000002");
    CHECK(recs[0]["ShardId"] == recs[2]["ShardId"]);

    // What was stored is the three good entries, "one" before "two".
    std::vector<Stored> stored = cli.ReadAll(kDir);
    REQUIRE(stored.size() == 3);
    std::vector<std::string> seqs_in_a;
    for (const Stored& s : stored) {
      if (s.partition_key == "a") seqs_in_a.push_back(s.data);
      if (s.data == "one")
        CHECK(s.sequence_number == recs[0]["SequenceNumber"]);
      if (s.data == "two")
        CHECK(s.sequence_number == recs[2]["SequenceNumber"]);
      CHECK(s.data != "lost");
    }
    CHECK(seqs_in_a == std::vector<std::string>{"one", "two"});
  }
  SECTION("from a file, with the AWS CLI's StreamName") {
    json doc = json::parse(file);
    doc["StreamName"] = "clicks";
    const std::string path = WriteTempFile("records.json", doc.dump());
    RunResult r =
        cli.Run({"put-records", "--stream-dir", kDir, "--records-file", path});
    std::remove(path.c_str());
    REQUIRE(r.code == kExitOk);
    CHECK(r.Json()["FailedRecordCount"] == 1);
    CHECK(cli.ReadAll(kDir).size() == 3);
  }
}

TEST_CASE("brook CLI: put-records names a full stream's entries as throttled",
          "[cli]") {
  CliFixture cli;
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 2 * options.segment_bytes;
  options.on_full = RetentionFullPolicy::kRejectWrites;
  BROOK_REQUIRE_OK(cli.memory().CreateStream(kDir, options));
  const std::string big(50 << 10, 'x');
  const std::vector<std::string> args = {"put-records", "--stream-dir", kDir,
                                         "--records-file", "-"};
  RunResult fits =
      cli.Run(args, RecordsFile({Entry("k", big), Entry("k", big)}));
  REQUIRE(fits.code == kExitOk);
  CHECK(fits.Json()["FailedRecordCount"] == 0);
  RunResult full = cli.Run(args, RecordsFile({Entry("k", big)}));
  REQUIRE(full.code == kExitOk);  // failed entries are not a failed command
  const json out = full.Json();
  INFO(full.out);
  CHECK(out["FailedRecordCount"] == 1);
  CHECK(out["Records"][0]["ErrorCode"] ==
        "ProvisionedThroughputExceededException");
  CHECK(absl::StrContains(out["Records"][0]["ErrorMessage"].get<std::string>(),
                          "is full"));
  CHECK(cli.ReadAll(kDir).size() == 2);
}

// Each row: arguments after "brook", and a piece of the message expected.
struct BadArgs {
  std::vector<std::string> args;
  std::string message;
  std::string stdin_text;
};

TEST_CASE("brook CLI: bad arguments exit 2 and never reach the stream",
          "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 2);
  REQUIRE(cli.Run({"put-record", "--stream-dir", kDir, "--partition-key", "k",
                   "--data", "kept"})
              .code == kExitOk);
  const std::vector<Stored> before = cli.ReadAll(kDir);
  REQUIRE(before.size() == 1);
  const std::vector<std::string> calls_before = cli.backend().calls;
  const std::string d = kDir;
  const std::string seq = before[0].sequence_number;
  const std::vector<std::string> from_stdin = {"put-records", "--stream-dir", d,
                                               "--records-file", "-"};
  const std::string good = Entry("k", "x").dump();
  // Arguments of a command with its usual leading flags.
  const auto with = [](std::vector<std::string> args,
                       const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  const auto get_records = [&](const std::vector<std::string>& more) {
    return with({"get-records", "--stream-dir", d, "--shard-id",
                 "shardId-000000000000"},
                more);
  };
  const auto put_record = [&](const std::vector<std::string>& more) {
    return with({"put-record", "--stream-dir", d, "--partition-key", "k"},
                more);
  };

  const BadArgs row = GENERATE_COPY(values<BadArgs>({
      {{"list-shards"}, "give --stream-dir DIR (a local stream) or"},
      {{"verify"}, "missing required flag --stream-dir"},
      {{"list-shards", "--stream-dir"}, "--stream-dir needs a value"},
      {{"list-shards", "--stream-dir="}, "--stream-dir must not be empty"},
      {{"list-shards", "--stream-dir", d, "--bogus", "1"},
       "unknown flag --bogus"},
      {{"list-shards", "--stream-dir", d, "extra"},
       "unexpected argument \"extra\""},
      {{"list-shards", "--stream-dir", d, "--stream-dir", d},
       "--stream-dir given more than once"},
      {{"verify", "--stream-dir", d, "--shard-id", "x"},
       "unknown flag --shard-id"},
      {{"create-stream", "--stream-dir", "/new"},
       "missing required flag --shard-count"},
      {{"create-stream", "--stream-dir", "/new", "--shard-count", "0"},
       "--shard-count: expected a whole number from 1 to 10000, got \"0\""},
      {{"create-stream", "--stream-dir", "/new", "--shard-count", "10001"},
       "from 1 to 10000"},
      {{"create-stream", "--stream-dir", "/new", "--shard-count", "two"},
       "got \"two\""},
      {{"create-stream", "--stream-dir", "/new", "--shard-count", " 2"},
       "got \" 2\""},
      {{"create-stream", "--stream-dir", "/new", "--shard-count", "2",
        "--stream-name="},
       "--stream-name must not be empty"},
      {{"put-record", "--stream-dir", d, "--data", "x"},
       "missing required flag --partition-key"},
      {{"put-record", "--stream-dir", d, "--partition-key", "k"},
       "missing --data or --data-base64"},
      {put_record({"--data", "x", "--data-base64", "eA=="}), "not both"},
      {put_record({"--data-base64", "eA"}), "--data-base64: not valid base64"},
      {put_record({"--data-base64", "e!=="}),
       "--data-base64: not valid base64"},
      {put_record({"--data", "x", "--explicit-hash-key", "01"}),
       "--explicit-hash-key: "},
      {put_record({"--data", "x", "--explicit-hash-key",
                   "340282366920938463463374607431768211456"}),
       "--explicit-hash-key: "},
      {{"put-records", "--stream-dir", d},
       "missing required flag --records-file"},
      {{"put-records", "--stream-dir", d, "--records-file",
        "/no/such/file.json"},
       "--records-file /no/such/file.json: cannot be opened"},
      {from_stdin, "--records-file -: not valid JSON", "{\"Records\": ["},
      {from_stdin, "--records-file -: not valid JSON", ""},
      {from_stdin, "expected an object with a \"Records\" array", "[]"},
      {from_stdin, "expected an object with a \"Records\" array",
       "{\"Records\": {}}"},
      {from_stdin, "\"Records\" is empty", "{\"Records\": []}"},
      {from_stdin, "unknown field \"Stream\"",
       "{\"Stream\": \"s\", \"Records\": [" + good + "]}"},
      {from_stdin, "Records[1]: expected an object",
       "{\"Records\": [" + good + ", 7]}"},
      {from_stdin, "Records[1]: missing \"PartitionKey\"",
       "{\"Records\": [" + good + ", {\"Data\": \"eA==\"}]}"},
      {from_stdin, "Records[0]: missing \"Data\"",
       "{\"Records\": [{\"PartitionKey\": \"k\"}]}"},
      {from_stdin, "Records[1].Data: not valid base64",
       "{\"Records\": [" + good +
           ", {\"Data\": \"eA\", \"PartitionKey\": \"k\"}]}"},
      {from_stdin, "Records[0].PartitionKey: expected a string",
       "{\"Records\": [{\"Data\": \"eA==\", \"PartitionKey\": 7}]}"},
      {from_stdin, "Records[0]: unknown field \"Partitionkey\"",
       "{\"Records\": [{\"Data\": \"eA==\", \"Partitionkey\": \"k\"}]}"},
      {{"get-records", "--stream-dir", d, "--shard-iterator-type", "LATEST"},
       "missing required flag --shard-id"},
      {{"get-records", "--stream-dir", d, "--shard-id", "shardId-000000000000"},
       "missing required flag --shard-iterator-type"},
      {get_records({"--shard-iterator-type", "OLDEST"}),
       "--shard-iterator-type: expected TRIM_HORIZON, LATEST, "
       "AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP, got "
       "\"OLDEST\""},
      {get_records({"--shard-iterator-type", "TRIM_HORIZON",
                    "--starting-sequence-number", seq}),
       "--starting-sequence-number does not go with TRIM_HORIZON"},
      {get_records({"--shard-iterator-type", "AT_SEQUENCE_NUMBER"}),
       "--starting-sequence-number is required with AT_SEQUENCE_NUMBER"},
      {get_records({"--shard-iterator-type", "AFTER_SEQUENCE_NUMBER",
                    "--starting-sequence-number", "12x"}),
       "--starting-sequence-number: "},
      {get_records(
           {"--shard-iterator-type", "AFTER_SEQUENCE_NUMBER",
            "--starting-sequence-number",
            "6277101735386680763835789423207666416102355444464034512896"}),
       "is 2^192 or more"},
      {get_records({"--shard-iterator-type", "AT_TIMESTAMP"}),
       "--timestamp is required with AT_TIMESTAMP"},
      {get_records({"--shard-iterator-type", "LATEST", "--timestamp", "5"}),
       "--timestamp does not go with LATEST"},
      {get_records(
           {"--shard-iterator-type", "AT_TIMESTAMP", "--timestamp", "1.5"}),
       "--timestamp: expected a whole number"},
      {get_records(
           {"--shard-iterator-type", "AT_TIMESTAMP", "--timestamp", "-1"}),
       "--timestamp: expected a whole number"},
      {get_records({"--shard-iterator-type", "LATEST", "--limit", "0"}),
       "--limit: expected a whole number from 1 to 10000"},
      {get_records({"--shard-iterator-type", "LATEST", "--limit", "10001"}),
       "--limit: expected a whole number from 1 to 10000"},
      {{"dump", "--stream-dir", d, "--data-limit", "-1"},
       "--data-limit: expected a whole number"},
  }));
  INFO("brook " << absl::StrJoin(row.args, " ") << " <<< " << row.stdin_text);
  RunResult r = cli.Run(row.args, row.stdin_text);
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK(r.out.empty());
  CHECK(absl::StrContains(r.err, row.message));
  CHECK(absl::StrContains(r.err, "usage: brook "));
  CHECK(cli.backend().calls == calls_before);
  CHECK(cli.memory().StreamForTesting("/new") == nullptr);
  const std::vector<Stored> after = cli.ReadAll(kDir);
  REQUIRE(after.size() == before.size());
  CHECK(after[0].data == "kept");
}

TEST_CASE("brook CLI: runtime errors exit 1 with one line", "[cli]") {
  CliFixture cli;
  RunResult missing = cli.Run({"list-shards", "--stream-dir", "/nope"});
  CHECK(missing.code == kExitRuntimeError);
  CHECK(missing.out.empty());
  CHECK(missing.err ==
        "brook list-shards: stream dir /nope: no stream there\n");
  for (const char* command : {"describe-stream-summary", "verify", "dump"}) {
    INFO(command);
    RunResult r = cli.Run({command, "--stream-dir", "/nope"});
    CHECK(r.code == kExitRuntimeError);
    CHECK(absl::StrContains(r.err, "no stream there"));
  }

  cli.CreateStream(kDir, 2);
  for (const std::string& key : {std::string(), std::string(257, 'k')}) {
    RunResult r = cli.Run({"put-record", "--stream-dir", kDir,
                           "--partition-key", key, "--data", "x"});
    CHECK(r.code == kExitRuntimeError);
    CHECK(absl::StartsWith(r.err, "brook put-record: "));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  CHECK(cli.ReadAll(kDir).empty());
  RunResult shard = cli.Run({"get-records", "--stream-dir", kDir, "--shard-id",
                             "shardId-000000000009", "--shard-iterator-type",
                             "TRIM_HORIZON"});
  CHECK(shard.code == kExitRuntimeError);
  CHECK(absl::StrContains(shard.err, "shardId-000000000009"));
  RunResult dump = cli.Run({"dump", "--stream-dir", kDir, "--shard-id", "x"});
  CHECK(dump.code == kExitRuntimeError);
  // A remote stream's 56-digit number parses; a local stream did not issue it.
  const std::string remote =
      "49680734675281032265112259006898146605674192670837178370";
  RunResult foreign =
      cli.Run({"get-records", "--stream-dir", kDir, "--shard-id",
               "shardId-000000000000", "--shard-iterator-type",
               "AT_SEQUENCE_NUMBER", "--starting-sequence-number", remote});
  CHECK(foreign.code == kExitRuntimeError);
  CHECK(absl::StrContains(foreign.err, remote));
  CHECK(absl::StrContains(foreign.err, "not issued by this stream"));
}

TEST_CASE("brook CLI: verify reports counts, damage and exit code 3", "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 2);
  REQUIRE(cli.Run({"put-records", "--stream-dir", kDir, "--records-file", "-"},
                  RecordsFile({Entry("a", "12345"), Entry("b", "678"),
                               Entry("c", "9")}))
              .code == kExitOk);

  RunResult clean = cli.Run({"verify", "--stream-dir", kDir});
  CHECK(clean.code == kExitOk);
  CHECK(clean.err.empty());
  const json report = clean.Json();
  CHECK(report["SegmentsChecked"] == 2);  // one per shard in memory
  CHECK(report["RecordsChecked"] == 3);
  CHECK(report["BytesChecked"] == 3 + 9);  // keys and data
  CHECK(report["Damage"] == json::array());

  cli.memory().AddDamageForTesting(
      kDir, {"shard-000000000001/00000000000000000000.seg", 4096,
             "batch crc mismatch"});
  RunResult damaged = cli.Run({"verify", "--stream-dir", kDir});
  CHECK(damaged.code == kExitDamage);
  const json d = damaged.Json()["Damage"];
  REQUIRE(d.size() == 1);
  CHECK(d[0]["File"] == "shard-000000000001/00000000000000000000.seg");
  CHECK(d[0]["Offset"] == 4096);
  CHECK(d[0]["Message"] == "batch crc mismatch");
  CHECK(absl::StrContains(damaged.err, "1 damaged place(s) found"));
}

TEST_CASE("brook CLI: progress goes to a terminal's stderr only", "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 2);
  REQUIRE(cli.Run({"put-record", "--stream-dir", kDir, "--partition-key", "k",
                   "--data", "x"})
              .code == kExitOk);
  const std::vector<std::string> verify = {"verify", "--stream-dir", kDir};
  const std::vector<std::string> dump = {"dump", "--stream-dir", kDir};

  RunResult v = cli.Run(verify, "", {/*out=*/false, /*err=*/true});
  CHECK(v.code == kExitOk);
  CHECK(
      absl::StartsWith(v.err, "\rverify: 0/2 segments (shardId-000000000000)"));
  CHECK(absl::EndsWith(v.err, "\r"));  // the line is wiped at the end
  CHECK(cli.Run(verify).err.empty());

  RunResult d = cli.Run(dump, "", {/*out=*/false, /*err=*/true});
  CHECK(absl::StartsWith(d.err, "\rdump: 1 records ("));
  // Not when the records themselves go to the same screen.
  CHECK(cli.Run(dump, "", {/*out=*/true, /*err=*/true}).err.empty());
  CHECK(cli.Run(dump).err.empty());
  // Progress never reaches stdout.
  CHECK(d.out == cli.Run(dump).out);
}

TEST_CASE("brook CLI: dump prints one readable line per record", "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 3);
  RunResult put = cli.Run({"put-record", "--stream-dir", kDir,
                           "--partition-key", "user \"7\"", "--data-base64",
                           absl::Base64Escape(std::string("hi\n\x01\xff", 5))});
  REQUIRE(put.code == kExitOk);
  const std::string shard = put.Json()["ShardId"];
  const std::string seq = put.Json()["SequenceNumber"];
  cli.env().Advance(absl::Milliseconds(1));
  REQUIRE(cli.Run({"put-record", "--stream-dir", kDir, "--partition-key", "z",
                   "--data", "abcdef", "--explicit-hash-key", kMaxHashKey})
              .code == kExitOk);

  RunResult one = cli.Run({"dump", "--stream-dir", kDir, "--shard-id", shard});
  REQUIRE(one.code == kExitOk);
  CHECK(one.out == absl::StrCat(shard, " seq=", seq,
                                " arrival=2023-11-14T22:13:20.123Z"
                                " key=\"user \\\"7\\\"\""
                                " data=\"hi\\n\\x01\\xff\" (5 bytes)\n"));

  RunResult all = cli.Run({"dump", "--stream-dir", kDir, "--data-limit", "2"});
  REQUIRE(all.code == kExitOk);
  const std::vector<std::string> lines =
      absl::StrSplit(all.out, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == 2);  // shard by shard; "z" is in the last one
  CHECK(absl::StartsWith(lines[0], shard));
  CHECK(absl::EndsWith(lines[0], " data=\"hi\"... (5 bytes)"));
  CHECK(absl::StartsWith(lines[1], "shardId-000000000002 seq="));
  CHECK(absl::EndsWith(lines[1],
                       " arrival=2023-11-14T22:13:20.124Z key=\"z\""
                       " data=\"ab\"... (6 bytes)"));
}

TEST_CASE("brook CLI: reading commands open the stream read-only", "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 1);
  const std::string d = kDir;
  const std::vector<std::vector<std::string>> readers = {
      {"list-shards", "--stream-dir", d},
      {"describe-stream-summary", "--stream-dir", d},
      {"get-records", "--stream-dir", d, "--shard-id", "shardId-000000000000",
       "--shard-iterator-type", "TRIM_HORIZON"},
      {"dump", "--stream-dir", d},
  };
  for (const std::vector<std::string>& args : readers) {
    INFO(args[0]);
    cli.backend().calls.clear();
    CHECK(cli.Run(args).code == kExitOk);
    CHECK(cli.backend().calls == std::vector<std::string>{"OpenReadOnly " + d});
  }
  cli.backend().calls.clear();
  CHECK(cli.Run({"verify", "--stream-dir", d}).code == kExitOk);
  CHECK(cli.backend().calls == std::vector<std::string>{"Verify " + d});
  cli.backend().calls.clear();
  CHECK(cli.Run({"put-records", "--stream-dir", d, "--records-file", "-"},
                RecordsFile({Entry("k", "v")}))
            .code == kExitOk);
  CHECK(cli.backend().calls ==
        std::vector<std::string>{"OpenForWrite " + d, "Sync"});
}

TEST_CASE("brook CLI: a write that cannot be made durable is an error",
          "[cli]") {
  CliFixture cli;
  cli.CreateStream(kDir, 1);
  cli.backend().sync_status = absl::DataLossError("fsync failed");
  RunResult one = cli.Run({"put-record", "--stream-dir", kDir,
                           "--partition-key", "k", "--data", "v"});
  CHECK(one.code == kExitRuntimeError);
  CHECK(one.out.empty());  // no ShardId/SequenceNumber promised
  CHECK(one.err == "brook put-record: fsync failed\n");
  RunResult many =
      cli.Run({"put-records", "--stream-dir", kDir, "--records-file", "-"},
              RecordsFile({Entry("k", "v")}));
  CHECK(many.code == kExitRuntimeError);
  CHECK(many.out.empty());
  RunResult create = cli.Run(
      {"create-stream", "--stream-dir", "/other", "--shard-count", "1"});
  CHECK(create.code == kExitRuntimeError);
  CHECK(create.err == "brook create-stream: fsync failed\n");
}

#ifdef BROOK_CLI_EXE
// The installed binary: main.cc wired to durable stream directories.
// Runs the binary; `output` gets its stdout, then its stderr.
int RunBinary(const std::string& args, std::string* output,
              const std::string& stdin_path = "/dev/null") {
  const std::string out_path = TempPath("binary_output");
  const std::string err_path = TempPath("binary_errors");
  const std::string command =
      absl::StrCat(BROOK_CLI_EXE, " ", args, " <", stdin_path, " >", out_path,
                   " 2>", err_path);
  const int status =
      std::system(command.c_str());  // NOLINT(concurrency-mt-unsafe)
  const auto slurp = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  *output = slurp(out_path) + slurp(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The JSON at the start of `output` (stdout), without what stderr added.
json JsonPrefix(const std::string& output) {
  const size_t end = output.find("\n}\n");
  REQUIRE(end != std::string::npos);
  return json::parse(output.substr(0, end + 3));
}

TEST_CASE("brook binary: retention changes persist in the stream directory",
          "[cli][binary]") {
  const std::string dir = TempPath("retention_stream");
  std::filesystem::remove_all(dir);
  const std::string at = " --stream-dir " + dir;
  std::string out;
  REQUIRE(RunBinary("create-stream --shard-count 1" + at, &out) == kExitOk);
  REQUIRE(RunBinary("increase-stream-retention-period "
                    "--retention-period-hours 48" +
                        at,
                    &out) == kExitOk);
  CHECK(out.empty());
  REQUIRE(RunBinary("describe-stream-summary" + at, &out) == kExitOk);
  CHECK(json::parse(out)["StreamDescriptionSummary"]["RetentionPeriodHours"] ==
        48);
  REQUIRE(RunBinary("decrease-stream-retention-period "
                    "--retention-period-hours 47" +
                        at,
                    &out) == kExitOk);
  REQUIRE(RunBinary("describe-stream-summary" + at, &out) == kExitOk);
  CHECK(json::parse(out)["StreamDescriptionSummary"]["RetentionPeriodHours"] ==
        47);
  std::filesystem::remove_all(dir);
}

TEST_CASE("brook binary: a durable stream directory end to end",
          "[cli][binary]") {
  const std::string dir = TempPath("durable_stream");
  std::filesystem::remove_all(dir);
  const std::string at = " --stream-dir " + dir;
  std::string out;
  CHECK(RunBinary("--help", &out) == kExitOk);
  CHECK(absl::StrContains(out, "usage: brook COMMAND"));
  CHECK(RunBinary("list-shards" + at, &out) == kExitRuntimeError);
  CHECK(absl::StrContains(out, "not found"));

  REQUIRE(RunBinary("create-stream --shard-count 2" + at, &out) == kExitOk);
  CHECK(out.empty());
  CHECK(RunBinary("create-stream --shard-count 2" + at, &out) ==
        kExitRuntimeError);
  REQUIRE(RunBinary("put-record --partition-key a --data first" + at, &out) ==
          kExitOk);
  CHECK(json::parse(out)["ShardId"] == "shardId-000000000000");
  const std::string records = WriteTempFile(
      "records.json",
      RecordsFile({Entry("a", "second"), Entry("", "bad key"),
                   Entry("a", std::string("\x00\xff binary", 9))}));
  REQUIRE(RunBinary("put-records --records-file -" + at, &out, records) ==
          kExitOk);
  std::remove(records.c_str());
  CHECK(json::parse(out)["FailedRecordCount"] == 1);
  // Bad arguments change nothing.
  CHECK(RunBinary("put-record --partition-key a" + at, &out) == kExitUsage);

  // Every command below opens the directory anew: the records were durable.
  REQUIRE(RunBinary("get-records --shard-id shardId-000000000000 "
                    "--shard-iterator-type TRIM_HORIZON" +
                        at,
                    &out) == kExitOk);
  const json got = json::parse(out)["Records"];
  REQUIRE(got.size() == 3);
  CHECK(got[0]["Data"] == absl::Base64Escape("first"));
  CHECK(got[1]["Data"] == absl::Base64Escape("second"));
  CHECK(got[2]["Data"] ==
        absl::Base64Escape(std::string("\x00\xff binary", 9)));
  REQUIRE(RunBinary("list-shards" + at, &out) == kExitOk);
  CHECK(json::parse(out)["Shards"].size() == 2);
  REQUIRE(RunBinary("describe-stream-summary" + at, &out) == kExitOk);
  CHECK(json::parse(out)["StreamDescriptionSummary"]["OpenShardCount"] == 2);
  REQUIRE(RunBinary("dump --shard-id shardId-000000000000" + at, &out) ==
          kExitOk);
  CHECK(absl::StrContains(out, "data=\"second\""));
  REQUIRE(RunBinary("verify" + at, &out) == kExitOk);
  const json clean = json::parse(out);
  CHECK(clean["RecordsChecked"] == 3);
  CHECK(clean["Damage"].empty());

  // Damage in the first batch, with two good batches after it: data loss,
  // reported with the file and offset; verify exits 3.
  std::string segment;
  for (const auto& e :
       std::filesystem::directory_iterator(dir + "/shardId-000000000000")) {
    if (e.path().extension() == ".seg") segment = e.path().string();
  }
  REQUIRE(!segment.empty());
  {
    std::fstream f(segment, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(60);  // inside the first record of the first batch
    f.put('X');
  }
  CHECK(RunBinary("verify" + at, &out) == kExitDamage);
  const json damaged = JsonPrefix(out);
  REQUIRE(damaged["Damage"].size() == 1);
  CHECK(damaged["Damage"][0]["File"] == segment);
  CHECK(damaged["Damage"][0]["Offset"] == 0);
  CHECK(absl::StrContains(damaged["Damage"][0]["Message"].get<std::string>(),
                          "data loss"));
  // (A writer reopening this cleanly closed directory checks only frame
  // headers, as SEGMENT_FORMAT.md says: finding rot is verify's job.)
  std::filesystem::remove_all(dir);
}
#endif  // BROOK_CLI_EXE

}  // namespace
}  // namespace cli
}  // namespace brook
