// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` tool's resharding commands, create-stream's retention flags,
// `--version`, StoredBytes, and put-records' per-entry and duplicate-field
// checks, run in-process against MemoryBackend; and create-stream against a
// real directory through the binary.

#include <algorithm>
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
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "tools/brook/cli.h"
#include "tools/cli_run.h"
#include "tools/memory_backend.h"
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace cli {
namespace {

using nlohmann::json;

constexpr char kDir[] = "/streams/orders";
// Where Kinesis splits a 2-shard stream's key space.
constexpr char kHalf[] = "170141183460469231731687303715884105728";

using RunResult = CliRun;

// Counts the backend calls that could touch a stream.
class CountingBackend : public MemoryBackend {
 public:
  explicit CountingBackend(Env* env) : MemoryBackend(env) {}
  absl::StatusOr<std::shared_ptr<Stream>> CreateStream(
      absl::string_view dir, const StreamOptions& options) override {
    ++calls;
    return MemoryBackend::CreateStream(dir, options);
  }
  absl::StatusOr<std::shared_ptr<Stream>> OpenForWrite(
      absl::string_view dir) override {
    ++calls;
    return MemoryBackend::OpenForWrite(dir);
  }
  int calls = 0;
};

class Cli {
 public:
  Cli() : env_(1'700'000'000'000), backend_(&env_) {}

  RunResult Run(const std::vector<std::string>& args,
                const std::string& stdin_text = "") {
    return RunCli(backend_, args, stdin_text);
  }

  void Create(int shards) {
    RunResult r = Run({"create-stream", "--stream-dir", kDir, "--shard-count",
                       std::to_string(shards)});
    INFO(r.err);
    REQUIRE(r.code == kExitOk);
  }

  // "shardId-...:open" or ":closed" per shard, in id order.
  std::vector<std::string> Shards() {
    std::vector<std::string> shards;
    for (const ShardDescription& s : stream()->ListShards()) {
      shards.push_back(absl::StrCat(
          s.shard_id,
          s.ending_sequence_number.has_value() ? ":closed" : ":open"));
    }
    return shards;
  }

  std::shared_ptr<Stream> stream() { return backend_.StreamForTesting(kDir); }
  CountingBackend& backend() { return backend_; }

 private:
  ManualClockEnv env_;
  CountingBackend backend_;
};

json Entry(const std::string& key, const std::string& data) {
  return {{"Data", absl::Base64Escape(data)}, {"PartitionKey", key}};
}

std::string RecordsFile(const std::vector<json>& records) {
  return json{{"Records", records}}.dump();
}

TEST_CASE("brook CLI: --version prints the project version", "[cli]") {
  Cli cli;
  RunResult r = cli.Run({"--version"});
  CHECK(r.code == kExitOk);
  CHECK(r.out == absl::StrCat("brook ", BROOK_PROJECT_VERSION, "\n"));
  CHECK(r.err.empty());
  CHECK(absl::StrContains(cli.Run({"--help"}).out, "brook --version"));
}

TEST_CASE("brook CLI: create-stream stores the retention flags", "[cli]") {
  Cli cli;
  RunResult r =
      cli.Run({"create-stream", "--stream-dir", kDir, "--shard-count", "2",
               "--retention-period-hours", "48", "--retention-bytes", "8388608",
               "--on-full", "drop-oldest"});
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  CHECK(r.out.empty());
  const StreamOptions& o = cli.stream()->options();
  CHECK(o.retention_period == absl::Hours(48));
  CHECK(o.retention_bytes == 8388608);
  CHECK(o.on_full == RetentionFullPolicy::kDropOldest);
  const json summary =
      cli.Run({"describe-stream-summary", "--stream-dir", kDir})
          .Json()["StreamDescriptionSummary"];
  CHECK(summary["RetentionPeriodHours"] == 48);

  SECTION("reject-writes, and the defaults") {
    REQUIRE(
        cli.Run({"create-stream", "--stream-dir", "/b", "--shard-count", "1",
                 "--retention-bytes", "9000000", "--on-full", "reject-writes"})
            .code == kExitOk);
    CHECK(cli.backend().StreamForTesting("/b")->options().on_full ==
          RetentionFullPolicy::kRejectWrites);
    REQUIRE(
        cli.Run({"create-stream", "--stream-dir", "/c", "--shard-count", "1"})
            .code == kExitOk);
    const StreamOptions& d = cli.backend().StreamForTesting("/c")->options();
    CHECK(d.retention_period == absl::Hours(24));
    CHECK(d.retention_bytes == 0);
  }
}

TEST_CASE("brook CLI: create-stream --compression-level and train-dictionary",
          "[cli]") {
  Cli cli;
  RunResult r = cli.Run({"create-stream", "--stream-dir", kDir, "--shard-count",
                         "1", "--compression-level", "3"});
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  CHECK(cli.stream()->options().compression_level == 3);
  CHECK(cli.Run({"create-stream", "--stream-dir", "/x", "--shard-count", "1",
                 "--compression-level", "20"})
            .code == kExitUsage);
  // Too little to train on: a runtime error naming the command.
  RunResult empty = cli.Run({"train-dictionary", "--stream-dir", kDir});
  CHECK(empty.code == kExitRuntimeError);
  CHECK_THAT(empty.err, Catch::Contains("brook train-dictionary: "));
  Shard* shard = *cli.stream()->GetShard("shardId-000000000000");
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<std::string> data;
    std::vector<RoutedRecord> records;
    for (int i = 0; i < 100; ++i) {
      const int n = batch * 100 + i;
      data.push_back(absl::StrCat(
          "{\"device\":\"dev-", n % 37, "\",\"temperature\":", (n * 7919) % 400,
          ",\"seq\":", n, ",\"status\":\"", n % 5 ? "ok" : "degraded", "\"}"));
    }
    for (const std::string& d : data) {
      RoutedRecord rec;
      rec.partition_key = "k";
      rec.data = d;
      records.push_back(rec);
    }
    REQUIRE(shard->Append(records).ok());
  }
  RunResult trained =
      cli.Run({"train-dictionary", "--stream-dir", kDir, "--max-sample-records",
               "2000", "--dictionary-bytes", "4096"});
  INFO(trained.err);
  REQUIRE(trained.code == kExitOk);
  CHECK(trained.Json()["DictionaryId"].get<int64_t>() > 0);
  // Reads (get-records) decompress what comes after.
  RoutedRecord last;
  last.partition_key = "k";
  last.data = "{\"device\":\"dev-1\",\"temperature\":1,\"seq\":9}";
  REQUIRE(shard->Append({last}).ok());
  Consumer consumer(cli.stream().get());
  auto it = consumer.GetShardIterator("shardId-000000000000",
                                      StartingPosition::TrimHorizon());
  REQUIRE(it.ok());
  size_t n = 0;
  std::string final_data;
  for (;;) {
    auto got = consumer.GetRecords(*it);
    REQUIRE(got.ok());
    if (got->records().empty()) break;
    n += got->records().size();
    final_data = std::string(got->records().back().data);
    *it = got->next_shard_iterator();
  }
  CHECK(n == 2001);
  CHECK(final_data == last.data);
}

TEST_CASE("brook CLI: describe-stream-summary shows StoredBytes", "[cli]") {
  Cli cli;
  cli.Create(2);
  const auto stored = [&cli] {
    return cli.Run({"describe-stream-summary", "--stream-dir", kDir})
        .Json()["StreamDescriptionSummary"]["StoredBytes"];
  };
  CHECK(stored() == 0);
  REQUIRE(cli.Run({"put-record", "--stream-dir", kDir, "--partition-key", "k",
                   "--data", std::string(1000, 'x')})
              .code == kExitOk);
  const json after = stored();
  REQUIRE(after.is_number_integer());
  CHECK(after.get<int64_t>() == cli.stream()->DescribeStream().stored_bytes);
  CHECK(after.get<int64_t>() >= 1001);  // key and data, plus headers
}

TEST_CASE("brook CLI: split-shard and merge-shards print nothing and reshard",
          "[cli]") {
  Cli cli;
  cli.Create(1);
  RunResult split =
      cli.Run({"split-shard", "--stream-dir", kDir, "--shard-to-split",
               "shardId-000000000000", "--new-starting-hash-key", kHalf});
  INFO(split.err);
  REQUIRE(split.code == kExitOk);
  CHECK(split.out.empty());
  CHECK(split.err.empty());
  CHECK(cli.Shards() == std::vector<std::string>{"shardId-000000000000:closed",
                                                 "shardId-000000000001:open",
                                                 "shardId-000000000002:open"});
  const std::vector<ShardDescription> shards = cli.stream()->ListShards();
  CHECK(HashKeyToString(shards[2].hash_key_range.starting_hash_key) == kHalf);

  // The upper child first: either order of the ranges is accepted.
  RunResult merge = cli.Run({"merge-shards", "--stream-dir", kDir,
                             "--shard-to-merge", "shardId-000000000002",
                             "--adjacent-shard-to-merge=shardId-000000000001"});
  INFO(merge.err);
  REQUIRE(merge.code == kExitOk);
  CHECK(merge.out.empty());
  const std::vector<ShardDescription> merged = cli.stream()->ListShards();
  REQUIRE(merged.size() == 4);
  CHECK(merged[3].parent_shard_id == "shardId-000000000002");
  CHECK(merged[3].adjacent_parent_shard_id == "shardId-000000000001");
  CHECK(merged[3].hash_key_range.starting_hash_key == 0);
  CHECK(!merged[3].ending_sequence_number.has_value());
}

TEST_CASE("brook CLI: update-shard-count prints what the AWS CLI prints",
          "[cli]") {
  Cli cli;
  cli.Create(2);
  const bool with_type = GENERATE(false, true);
  std::vector<std::string> args = {"update-shard-count", "--stream-dir", kDir,
                                   "--target-shard-count", "4"};
  if (with_type) {
    args.insert(args.end(), {"--scaling-type", "UNIFORM_SCALING"});
  }
  RunResult r = cli.Run(args);
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  // Field order too, as `aws kinesis update-shard-count` prints it.
  CHECK(r.out ==
        "{\n"
        "    \"StreamName\": \"orders\",\n"
        "    \"CurrentShardCount\": 2,\n"
        "    \"TargetShardCount\": 4\n"
        "}\n");
  CHECK(cli.stream()->DescribeStream().open_shard_count == 4);
}

struct BadArgs {
  std::vector<std::string> args;
  std::string message;
  std::string stdin_text = "";
};

TEST_CASE("brook CLI: new commands' and flags' bad arguments exit 2", "[cli]") {
  Cli cli;
  cli.Create(2);
  const std::vector<std::string> shards_before = cli.Shards();
  const int calls_before = cli.backend().calls;
  const std::string d = kDir;
  const std::string s0 = "shardId-000000000000";
  const std::string s1 = "shardId-000000000001";
  const auto create = [](std::vector<std::string> more) {
    std::vector<std::string> args = {"create-stream", "--stream-dir", "/new",
                                     "--shard-count", "1"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  const std::string good = Entry("k", "x").dump();
  const BadArgs row = GENERATE_COPY(values<BadArgs>({
      {create({"--retention-period-hours", "0"}),
       "--retention-period-hours: expected a whole number from 1 to 8760, "
       "got \"0\""},
      {create({"--retention-period-hours", "8761"}), "from 1 to 8760"},
      {create({"--retention-period-hours", "1.5"}), "got \"1.5\""},
      {create({"--retention-bytes", "-1"}),
       "--retention-bytes: expected a whole number from 0"},
      {create({"--retention-bytes", "8388607"}),
       "--retention-bytes: expected 0 (no bound) or at least 8388608 (twice "
       "the segment size), got \"8388607\""},
      {create({"--retention-bytes", "8388608", "--on-full", "DROP_OLDEST"}),
       "--on-full: expected reject-writes or drop-oldest, got "
       "\"DROP_OLDEST\""},
      {create({"--on-full", "drop-oldest"}),
       "--on-full needs --retention-bytes"},
      {{"split-shard", "--stream-dir", d, "--shard-to-split", s0},
       "missing required flag --new-starting-hash-key"},
      {{"split-shard", "--stream-dir", d, "--new-starting-hash-key", kHalf},
       "missing required flag --shard-to-split"},
      {{"split-shard", "--stream-dir", d, "--shard-to-split", s0,
        "--new-starting-hash-key", "12a"},
       "--new-starting-hash-key: "},
      {{"split-shard", "--stream-dir", d, "--shard-to-split", s0,
        "--new-starting-hash-key", "340282366920938463463374607431768211456"},
       "--new-starting-hash-key: "},
      {{"split-shard", "--stream-dir", d,
        "--shard-to-split=", "--new-starting-hash-key", kHalf},
       "--shard-to-split must not be empty"},
      {{"merge-shards", "--stream-dir", d, "--shard-to-merge", s0},
       "missing required flag --adjacent-shard-to-merge"},
      {{"merge-shards", "--stream-dir", d, "--shard-to-merge", s0,
        "--adjacent-shard-to-merge", s0},
       "are the same shard shardId-000000000000"},
      {{"merge-shards", "--stream-dir", d, "--shard-to-merge", s0,
        "--adjacent-shard-to-merge="},
       "must not be empty"},
      {{"update-shard-count", "--stream-dir", d},
       "missing required flag --target-shard-count"},
      {{"update-shard-count", "--stream-dir", d, "--target-shard-count", "0"},
       "--target-shard-count: expected a whole number from 1 to 10000"},
      {{"update-shard-count", "--stream-dir", d, "--target-shard-count",
        "10001"},
       "from 1 to 10000"},
      {{"update-shard-count", "--stream-dir", d, "--target-shard-count", "4",
        "--scaling-type", "uniform_scaling"},
       "--scaling-type: expected UNIFORM_SCALING, got \"uniform_scaling\""},
      {{"update-shard-count", "--stream-dir", d, "--target-shard-count", "4",
        "--scaling-type="},
       "--scaling-type: expected UNIFORM_SCALING, got \"\""},
      {{"put-records", "--stream-dir", d, "--records-file", "-"},
       "--records-file -: field \"Data\" given more than once",
       R"({"Records": [{"Data": "eA==", "PartitionKey": "k", "Data": "eQ=="}]})"},
      {{"put-records", "--stream-dir", d, "--records-file", "-"},
       "field \"PartitionKey\" given more than once",
       "{\"Records\": [" + good +
           R"(, {"PartitionKey": "a", "Data": "eA==", "PartitionKey": "b"}]})"},
      {{"put-records", "--stream-dir", d, "--records-file", "-"},
       "field \"Records\" given more than once",
       "{\"Records\": [" + good + "], \"Records\": [" + good + "]}"},
  }));
  INFO("brook " << absl::StrJoin(row.args, " ") << " <<< " << row.stdin_text);
  RunResult r = cli.Run(row.args, row.stdin_text);
  INFO("stderr: " << r.err);
  CHECK(r.code == kExitUsage);
  CHECK(r.out.empty());
  CHECK(absl::StrContains(r.err, row.message));
  CHECK(absl::StrContains(r.err, "usage: brook "));
  CHECK(cli.backend().calls == calls_before);
  CHECK(cli.backend().StreamForTesting("/new") == nullptr);
  CHECK(cli.Shards() == shards_before);
  CHECK(cli.stream()->DescribeStream().stored_bytes == 0);
}

TEST_CASE("brook CLI: resharding errors the stream finds exit 1", "[cli]") {
  Cli cli;
  cli.Create(2);
  REQUIRE(cli.Run({"merge-shards", "--stream-dir", kDir, "--shard-to-merge",
                   "shardId-000000000000", "--adjacent-shard-to-merge",
                   "shardId-000000000001"})
              .code == kExitOk);
  const std::vector<std::string> before = cli.Shards();
  struct Row {
    std::vector<std::string> args;
    std::string message;
  };
  const Row row = GENERATE(values<Row>({
      {{"split-shard", "--shard-to-split", "shardId-000000000009",
        "--new-starting-hash-key", "5"},
       "shardId-000000000009"},
      {{"split-shard", "--shard-to-split", "shardId-000000000000",
        "--new-starting-hash-key", "5"},
       "shardId-000000000000"},  // closed
      {{"split-shard", "--shard-to-split", "shardId-000000000002",
        "--new-starting-hash-key", "1"},
       "shardId-000000000002"},  // not greater than start + 1
      {{"merge-shards", "--shard-to-merge", "shardId-000000000002",
        "--adjacent-shard-to-merge", "shardId-000000000001"},
       "shardId-000000000001"},  // closed
  }));
  std::vector<std::string> args = row.args;
  args.insert(args.begin() + 1, {"--stream-dir", kDir});
  RunResult r = cli.Run(args);
  INFO(r.err);
  CHECK(r.code == kExitRuntimeError);
  CHECK(r.out.empty());
  CHECK(absl::StartsWith(r.err, absl::StrCat("brook ", args[0], ": ")));
  CHECK(absl::StrContains(r.err, row.message));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(cli.Shards() == before);

  RunResult missing = cli.Run({"update-shard-count", "--stream-dir", "/nope",
                               "--target-shard-count", "2"});
  CHECK(missing.code == kExitRuntimeError);
  CHECK(missing.out.empty());
}

TEST_CASE("brook CLI: put-records fails an empty ExplicitHashKey on its own",
          "[cli]") {
  Cli cli;
  cli.Create(2);
  json empty_key = Entry("k", "not stored");
  empty_key["ExplicitHashKey"] = "";
  json explicit_key = Entry("k", "upper");
  explicit_key["ExplicitHashKey"] = kHalf;
  RunResult r =
      cli.Run({"put-records", "--stream-dir", kDir, "--records-file", "-"},
              RecordsFile({Entry("a", "first"), empty_key, explicit_key}));
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  const json out = r.Json();
  CHECK(out["FailedRecordCount"] == 1);
  const json& recs = out["Records"];
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].contains("SequenceNumber"));
  CHECK(recs[1]["ErrorCode"] == "InvalidArgumentException");
  CHECK(recs[1]["ErrorMessage"] ==
        "Records[1].ExplicitHashKey: must not be empty");
  CHECK(recs[2]["ShardId"] == "shardId-000000000001");
  CHECK(cli.stream()->DescribeStream().stored_bytes > 0);

  // Only entries that fail: nothing is written, and the output says why.
  const int64_t stored = cli.stream()->DescribeStream().stored_bytes;
  RunResult only =
      cli.Run({"put-records", "--stream-dir", kDir, "--records-file", "-"},
              RecordsFile({empty_key}));
  REQUIRE(only.code == kExitOk);
  CHECK(only.Json()["FailedRecordCount"] == 1);
  CHECK(cli.stream()->DescribeStream().stored_bytes == stored);
}

TEST_CASE("brook CLI: get-records' help says it is a point-in-time read",
          "[cli]") {
  Cli cli;
  RunResult r = cli.Run({"get-records", "--help"});
  CHECK(r.code == kExitOk);
  CHECK(absl::StrContains(r.out, "point-in-time read"));
  CHECK(absl::StrContains(r.out,
                          "LATEST, which starts after the last\n"
                          "record, always prints no records"));
  for (const char* command :
       {"split-shard", "merge-shards", "update-shard-count"}) {
    INFO(command);
    CHECK(absl::StrContains(cli.Run({"--help"}).out, command));
    CHECK(cli.Run({command, "--help"}).code == kExitOk);
  }
}

#ifdef BROOK_CLI_EXE
// Runs the installed binary with `args`; returns its exit code, with its
// stdout then stderr in `output`.
int RunBinary(const std::string& args, std::string* output) {
  const std::string base =
      absl::StrCat(std::filesystem::temp_directory_path().string(),
                   "/brook_cli_cmd_", getpid());
  const std::string command = absl::StrCat(
      BROOK_CLI_EXE, " ", args, " </dev/null >", base, ".out 2>", base, ".err");
  const int status =
      std::system(command.c_str());  // NOLINT(concurrency-mt-unsafe)
  const auto slurp = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(f)), {});
    std::remove(path.c_str());
    return text;
  };
  *output = slurp(base + ".out");
  *output += slurp(base + ".err");
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("brook binary: create-stream is create-only and keeps the options",
          "[cli][binary]") {
  const std::string dir =
      absl::StrCat(std::filesystem::temp_directory_path().string(),
                   "/brook_cli_cmd_dir_", getpid());
  std::filesystem::remove_all(dir);
  const std::string at = " --stream-dir " + dir;
  std::string out;
  CHECK(RunBinary("--version", &out) == kExitOk);
  CHECK(out == absl::StrCat("brook ", BROOK_PROJECT_VERSION, "\n"));

  REQUIRE(RunBinary("create-stream --shard-count 2 --retention-period-hours 48"
                    " --retention-bytes 8388608 --on-full drop-oldest" +
                        at,
                    &out) == kExitOk);
  CHECK(out.empty());
  // A second create fails cleanly and changes nothing.
  CHECK(RunBinary("create-stream --shard-count 8" + at, &out) ==
        kExitRuntimeError);
  CHECK(out == absl::StrCat("brook create-stream: stream directory ", dir,
                            ": holds a stream\n"));
  // Bad flags never touch the directory.
  CHECK(
      RunBinary(
          "create-stream --shard-count 1 --on-full drop-oldest --stream-dir " +
              dir + "-bad",
          &out) == kExitUsage);
  CHECK(!std::filesystem::exists(dir + "-bad"));

  // The writing commands open it as it is stored.
  REQUIRE(RunBinary("put-record --partition-key a --data x" + at, &out) ==
          kExitOk);
  REQUIRE(RunBinary("split-shard --shard-to-split shardId-000000000000 "
                    "--new-starting-hash-key 5" +
                        at,
                    &out) == kExitOk);
  CHECK(out.empty());
  REQUIRE(RunBinary("update-shard-count --target-shard-count 2" + at, &out) ==
          kExitOk);
  CHECK(json::parse(out)["CurrentShardCount"] == 3);
  REQUIRE(RunBinary("describe-stream-summary" + at, &out) == kExitOk);
  const json summary = json::parse(out)["StreamDescriptionSummary"];
  CHECK(summary["RetentionPeriodHours"] == 48);
  CHECK(summary["OpenShardCount"] == 2);
  CHECK(summary["StoredBytes"].get<int64_t>() > 0);
  // The stored options survive every reopen.
  StreamOptions options;
  options.accept_stored_options = true;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir, options, OpenMode::kReadOnly);
  REQUIRE(stream.ok());
  CHECK((*stream)->options().retention_bytes == 8388608);
  CHECK((*stream)->options().on_full == RetentionFullPolicy::kDropOldest);
  stream = absl::UnknownError("closed");
  std::filesystem::remove_all(dir);
}
#endif  // BROOK_CLI_EXE

}  // namespace
}  // namespace cli
}  // namespace brook
