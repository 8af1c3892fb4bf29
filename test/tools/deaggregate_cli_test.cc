// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `brook get-records --deaggregate` (issue 12): KPL aggregated records come
// out as their user records, each with its SubSequenceNumber, run in-process
// against MemoryBackend. (`brook tail --deaggregate`: tail_test.cc.)

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include <catch2/catch.hpp>

#include "brook/aggregation.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/status_testing.h"
#include "tools/brook/cli.h"
#include "tools/cli_run.h"
#include "tools/memory_backend.h"
#include <nlohmann/json.hpp>

namespace brook {
namespace cli {
namespace {

using nlohmann::json;

constexpr char kDir[] = "/streams/kpl";

using Output = CliRun;

Output Run(CliBackend& backend, const std::vector<std::string>& args) {
  return RunCli(backend, args);
}

std::string Data(const json& record) {
  std::string bytes;
  REQUIRE(absl::Base64Unescape(record["Data"].get<std::string>(), &bytes));
  return bytes;
}

TEST_CASE("brook CLI: get-records --deaggregate prints user records",
          "[cli][aggregation]") {
  MemoryBackend backend;
  REQUIRE(backend.CreateStream(kDir, StreamOptions()).ok());
  std::shared_ptr<Stream> stream = backend.StreamForTesting(kDir);
  Producer producer(stream.get());
  AggregateBuilder builder;
  REQUIRE(*builder.Add("u1", "", "first"));
  REQUIRE(*builder.Add("u2", "99", "second"));
  const AggregateBuilder::Aggregate a = *builder.Finish();
  BROOK_REQUIRE_OK(
      producer.PutRecord(a.partition_key, a.data, a.explicit_hash_key));
  std::string damaged = a.data;
  damaged[5] = static_cast<char>(damaged[5] ^ 1);
  BROOK_REQUIRE_OK(producer.PutRecord("d", damaged));
  BROOK_REQUIRE_OK(producer.PutRecord("plain", "text"));
  const std::vector<std::string> get = {
      "get-records", "--stream-dir",         kDir,
      "--shard-id",  "shardId-000000000000", "--shard-iterator-type",
      "TRIM_HORIZON"};

  // Without the flag: as stored.
  Output r = Run(backend, get);
  REQUIRE(r.code == kExitOk);
  json out = json::parse(r.out);
  REQUIRE(out["Records"].size() == 3);
  CHECK(Data(out["Records"][0]) == a.data);
  CHECK_FALSE(out["Records"][0].contains("SubSequenceNumber"));

  std::vector<std::string> args = get;
  args.insert(args.end(), {"--deaggregate", "true"});
  r = Run(backend, args);
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  out = json::parse(r.out);
  const json& records = out["Records"];
  REQUIRE(records.size() == 4);
  CHECK(Data(records[0]) == "first");
  CHECK(records[0]["PartitionKey"] == "u1");
  CHECK(records[0]["SubSequenceNumber"] == 0);
  CHECK_FALSE(records[0].contains("ExplicitHashKey"));
  CHECK(Data(records[1]) == "second");
  CHECK(records[1]["SubSequenceNumber"] == 1);
  CHECK(records[1]["ExplicitHashKey"] == "99");
  CHECK(records[1]["SequenceNumber"] == records[0]["SequenceNumber"]);
  CHECK(Data(records[2]) == damaged);
  CHECK(records[2]["DamagedAggregate"] == true);
  CHECK(Data(records[3]) == "text");
  CHECK(records[3]["SubSequenceNumber"] == 0);
  CHECK_FALSE(records[3].contains("DamagedAggregate"));

  args.back() = "maybe";
  r = Run(backend, args);
  CHECK(r.code == kExitUsage);
  CHECK(r.err.find("--deaggregate") != std::string::npos);
}

}  // namespace
}  // namespace cli
}  // namespace brook
