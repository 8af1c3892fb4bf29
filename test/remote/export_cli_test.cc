// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `brook export`, the real binary as a child process, against kinesalite on
// loopback (skipped, with the reason printed, when Node.js or kinesalite is
// absent): SIGKILLed mid-run and started again, every record arrives in
// per-key order (a re-sent suffix at most); it follows records this process
// appends meanwhile; SIGINT saves the checkpoint and exits 0; bad flags are
// usage errors.

#include <cerrno>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <catch2/catch.hpp>

#include "brook/kinesis_client.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "remote/kinesalite.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT

namespace brook {
namespace {

// A `brook` child process with its standard output on a pipe.
class BrookChild {
 public:
  explicit BrookChild(const std::vector<std::string>& args) {
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> all = {BROOK_CLI_EXE};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    // kinesalite accepts any credentials; the child must find some.
    std::vector<std::string> env = {"AWS_ACCESS_KEY_ID=AKIDLOCAL",
                                    "AWS_SECRET_ACCESS_KEY=localsecret",
                                    "AWS_REGION=us-east-1"};
    for (char** e = environ; *e != nullptr; ++e) {
      if (absl::StartsWith(*e, "AWS_")) continue;
      env.emplace_back(*e);
    }
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(&e[0]);
    envp.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(),
                               envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    REQUIRE(rc == 0);
    out_ = out[0];
  }
  ~BrookChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
    if (out_ >= 0) ::close(out_);
  }

  // The next line of output; false at the end of it. Blocks until then.
  bool ReadLine(std::string* line) {
    for (;;) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        *line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      char buf[4096];
      const ssize_t n = ::read(out_, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }

  void Signal(int sig) { REQUIRE(::kill(pid_, sig) == 0); }

  // Its exit code, or 128 + the signal that ended it.
  int Wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

using testing::ClientFor;

std::unique_ptr<Stream> WriteStream(const std::string& dir, int records,
                                    int keys,
                                    std::map<std::string, int>* next) {
  StreamOptions options;
  options.name = "local";
  options.shard_count = 2;
  absl::StatusOr<std::unique_ptr<Stream>> s =
      Stream::Open(dir, options, OpenMode::kCreateIfMissing);
  REQUIRE(s.status() == absl::OkStatus());
  Producer producer(s->get());
  for (int i = 0; i < records; ++i) {
    const std::string key = absl::StrCat("k", i % keys);
    const std::string data = absl::StrCat(key, ":", (*next)[key]++);
    REQUIRE(producer.PutRecord(key, data).status() == absl::OkStatus());
  }
  return std::move(*s);
}

// Per partition key, the numbers of the records ("k3:17") in remote order.
std::map<std::string, std::vector<int>> RemoteByKey(KinesisClient* client) {
  std::map<std::string, std::vector<int>> out;
  absl::StatusOr<std::vector<KinesisShard>> shards =
      client->ListShards("remote");
  REQUIRE(shards.status() == absl::OkStatus());
  for (const KinesisShard& shard : *shards) {
    absl::StatusOr<std::string> it =
        client->GetShardIterator("remote", shard.shard_id, {});
    REQUIRE(it.status() == absl::OkStatus());
    std::string iterator = *it;
    for (;;) {
      absl::StatusOr<KinesisGetRecordsResult> r = client->GetRecords(iterator);
      REQUIRE(r.status() == absl::OkStatus());
      if (r->records.empty()) break;
      for (const KinesisRecord& rec : r->records) {
        std::vector<std::string> parts = absl::StrSplit(rec.data, ':');
        REQUIRE(parts.size() == 2);
        int n = 0;
        REQUIRE(absl::SimpleAtoi(parts[1], &n));
        out[rec.partition_key].push_back(n);
      }
      iterator = r->next_shard_iterator;
    }
  }
  return out;
}

nlohmann::json Parse(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  INFO(line);
  REQUIRE(j.is_object());
  return j;
}

TEST_CASE(
    "brook export: SIGKILLed mid-run and restarted, all records arrive "
    "in per-key order",
    "[remote][cli]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("remote", 2));
  testing::TempDir dir;
  const std::string stream_dir = dir.Sub("s");
  std::map<std::string, int> next;
  auto writer = WriteStream(stream_dir, 2000, 8, &next);
  const std::vector<std::string> common = {
      "export",           "--stream-dir",    stream_dir,
      "--stream-name",    "remote",          "--endpoint-url",
      server->endpoint(), "--batch-records", "20"};

  {
    std::vector<std::string> args = common;
    for (const char* a :
         {"--max-records-per-second", "500", "--checkpoint-interval-ms", "100",
          "--progress-interval-ms", "10"}) {
      args.push_back(a);
    }
    BrookChild child(args);
    std::string line;
    int64_t sent = 0;
    while (sent < 600) {
      REQUIRE(child.ReadLine(&line));
      const nlohmann::json j = Parse(line);
      if (j["Event"] == "Progress") sent = j["RecordsSent"].get<int64_t>();
    }
    child.Signal(SIGKILL);
    CHECK(child.Wait() == 128 + SIGKILL);
    INFO("killed after " << sent << " records");
    CHECK(sent < 2000);
  }
  std::vector<std::string> args = common;
  args.push_back("--until-caught-up");
  args.push_back("true");
  BrookChild child(args);
  std::string line, last;
  while (child.ReadLine(&line)) last = line;
  REQUIRE(child.Wait() == 0);
  const nlohmann::json j = Parse(last);
  CHECK(j["Event"] == "CaughtUp");
  CHECK(j["TotalRecordsExported"].get<int64_t>() >= 2000);

  for (const auto& [key, numbers] : RemoteByKey(client.get())) {
    INFO(key);
    // 0..m-1, then j..n-1 with j <= m: a re-sent suffix at most.
    size_t m = 0;
    while (m < numbers.size() && numbers[m] == static_cast<int>(m)) ++m;
    if (m < numbers.size()) {
      const int from = numbers[m];
      REQUIRE(from <= static_cast<int>(m));
      std::vector<int> rest(numbers.begin() + static_cast<long>(m),
                            numbers.end());
      std::vector<int> want;
      for (int i = from; i < next[key]; ++i) want.push_back(i);
      CHECK(rest == want);
    } else {
      CHECK(static_cast<int>(m) == next[key]);
    }
  }
}

TEST_CASE(
    "brook export: follows a writer in another process, SIGINT saves the "
    "checkpoint and exits 0 (strict key order)",
    "[remote][cli]") {
  BROOK_START_KINESALITE_OR_SKIP(server);
  auto client = ClientFor(server->endpoint());
  BROOK_REQUIRE_OK(client->CreateStream("remote", 1));
  testing::TempDir dir;
  const std::string stream_dir = dir.Sub("s");
  std::map<std::string, int> next;
  auto writer = WriteStream(stream_dir, 50, 3, &next);
  const std::vector<std::string> common = {"export",
                                           "--stream-dir",
                                           stream_dir,
                                           "--stream-name",
                                           "remote",
                                           "--endpoint-url",
                                           server->endpoint(),
                                           "--checkpoint-interval-ms",
                                           "3600000",
                                           "--progress-interval-ms",
                                           "10",
                                           "--strict-key-order",
                                           "true"};
  {
    BrookChild child(common);
    std::string line;
    int64_t sent = 0;
    while (sent < 50) {
      REQUIRE(child.ReadLine(&line));
      const nlohmann::json j = Parse(line);
      if (j["Event"] == "Progress") sent = j["RecordsSent"].get<int64_t>();
    }
    // This process appends while the child follows it, read-only.
    Producer producer(writer.get());
    for (int i = 0; i < 30; ++i) {
      const std::string key = absl::StrCat("k", i % 3);
      BROOK_REQUIRE_OK(
          producer.PutRecord(key, absl::StrCat(key, ":", next[key]++))
              .status());
    }
    while (sent < 80) {
      REQUIRE(child.ReadLine(&line));
      const nlohmann::json j = Parse(line);
      if (j["Event"] == "Progress") sent = j["RecordsSent"].get<int64_t>();
    }
    child.Signal(SIGINT);
    std::string last = line;
    while (child.ReadLine(&line)) last = line;
    CHECK(child.Wait() == 0);
    const nlohmann::json j = Parse(last);
    CHECK(j["Event"] == "Stopped");
    CHECK(j["RecordsSent"] == 80);
  }
  std::vector<std::string> args = common;
  args.push_back("--until-caught-up");
  args.push_back("true");
  BrookChild child(args);
  std::string line, last;
  while (child.ReadLine(&line)) last = line;
  REQUIRE(child.Wait() == 0);
  const nlohmann::json j = Parse(last);
  CHECK(j["Event"] == "CaughtUp");
  CHECK(j["RecordsSent"] == 0);  // the checkpoint had all 80
  CHECK(j["TotalRecordsExported"] == 80);
  for (const auto& [key, numbers] : RemoteByKey(client.get())) {
    std::vector<int> want;
    for (int i = 0; i < next[key]; ++i) want.push_back(i);
    CHECK(numbers == want);
  }
}

TEST_CASE("brook export: bad flag values are usage errors", "[remote][cli]") {
  testing::TempDir dir;
  for (std::vector<std::string> bad : {
           std::vector<std::string>{"--batch-records", "501"},
           std::vector<std::string>{"--batch-bytes", "0"},
           std::vector<std::string>{"--until-caught-up", "yes"},
           std::vector<std::string>{"--strict-key-order", "1"},
           std::vector<std::string>{"--checkpoint-interval-ms", "-1"},
       }) {
    std::vector<std::string> args = {"export", "--stream-dir", dir.Sub("s"),
                                     "--stream-name", "remote"};
    args.insert(args.end(), bad.begin(), bad.end());
    BrookChild child(args);
    std::string line;
    while (child.ReadLine(&line)) {
    }
    INFO(bad[0]);
    CHECK(child.Wait() == 2);
  }
}

}  // namespace
}  // namespace brook
