// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `brook stats --stream-dir DIR` over a real directory (the durable
// backend): what each shard stores, and the note that live counters need
// the writer; and its errors.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include "tools/brook/cli.h"
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace cli {
namespace {

constexpr char kLow[] = "1";
constexpr char kHigh[] = "300000000000000000000000000000000000000";

// Runs the `brook` binary (its backend is the durable one) with `args`;
// returns its exit code, with its stdout and stderr.
int Run(const std::vector<std::string>& args, std::string* out,
        std::string* err) {
  const std::string base =
      absl::StrCat(std::filesystem::temp_directory_path().string(),
                   "/brook_stats_test_", getpid());
  std::string command = BROOK_CLI_EXE;
  for (const std::string& a : args) absl::StrAppend(&command, " '", a, "'");
  absl::StrAppend(&command, " </dev/null >", base, ".out 2>", base, ".err");
  const int status =
      std::system(command.c_str());  // NOLINT(concurrency-mt-unsafe)
  const auto slurp = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(f)), {});
    std::remove(path.c_str());
    return text;
  };
  *out = slurp(base + ".out");
  *err = slurp(base + ".err");
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("brook stats: prints what each shard stores as JSON", "[cli]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("s");
  {
    StreamOptions options;
    options.name = "clicks";
    options.shard_count = 2;
    absl::StatusOr<std::unique_ptr<Stream>> w =
        Stream::Open(dir, options, OpenMode::kCreateIfMissing);
    BROOK_REQUIRE_OK(w);
    Producer producer(w->get());
    for (int i = 0; i < 5; ++i) {
      BROOK_REQUIRE_OK(producer.PutRecord("k", "data", i < 4 ? kLow : kHigh));
    }
    BROOK_REQUIRE_OK((*w)->Close());
  }
  std::string out, err;
  REQUIRE(Run({"stats", "--stream-dir", dir}, &out, &err) == kExitOk);
  INFO(out << err);
  CHECK(err.empty());
  const nlohmann::json j = nlohmann::json::parse(out);
  CHECK(j.at("stream") == "clicks");
  CHECK(j.at("live") == false);
  CHECK(absl::StrContains(j.at("note").get<std::string>(),
                          "live rates need the writer"));
  REQUIRE(j.at("shards").size() == 2);
  CHECK(j.at("shards").at(0).at("shard_id") == "shardId-000000000000");
  CHECK(j.at("shards").at(0).at("stored_records") == 4);
  CHECK(j.at("shards").at(1).at("stored_records") == 1);
  CHECK(j.at("shards").at(0).at("segments") == 1);
  CHECK(j.at("total").at("stored_records") == 5);
  CHECK(j.at("total").at("stored_bytes").get<int64_t>() > 5 * 5);
  CHECK(j.at("shards").at(0).count("records_in") == 0);  // not live
  CHECK(j.count("damaged_places") == 0);
}

TEST_CASE("brook stats: a directory without a stream exits 1", "[cli]") {
  testing::TempDir tmp;
  std::string out, err;
  CHECK(Run({"stats", "--stream-dir", tmp.Sub("none")}, &out, &err) ==
        kExitRuntimeError);
  CHECK(out.empty());
  CHECK(absl::StartsWith(err, "brook stats: "));
  CHECK(absl::StrContains(err, "not found"));
}

}  // namespace
}  // namespace cli
}  // namespace brook
