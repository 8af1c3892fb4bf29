// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `brook tail`: run in-process on a thread against MemoryBackend (a stream in
// memory, written by the test while tail follows it), and as the real binary
// in a child process against a stream directory, stopped with SIGINT. No
// sleeps: the test waits for tail's output lines.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include <catch2/catch.hpp>

#include "brook/aggregation.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include "tools/brook/cli.h"
#include "tools/brook/tail_command.h"
#include "tools/cli_run.h"
#include "tools/memory_backend.h"
#include "tools/tail_thread.h"
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace cli {
namespace {

using nlohmann::json;

constexpr char kDir[] = "/streams/tail";

std::string Data(const json& line) {
  std::string bytes;
  REQUIRE(absl::Base64Unescape(line["Data"].get<std::string>(), &bytes));
  return bytes;
}

void Put(Producer& producer, const std::string& key, const std::string& data) {
  BROOK_REQUIRE_OK(producer.PutRecord(key, data));
}

TEST_CASE("brook tail: prints records as they arrive, in shard order",
          "[cli][tail]") {
  MemoryBackend backend;
  StreamOptions options;
  options.shard_count = 2;
  REQUIRE(backend.CreateStream(kDir, options).ok());
  std::shared_ptr<Stream> stream = backend.StreamForTesting(kDir);
  Producer producer(stream.get());
  Put(producer, "a", "before");  // before the tail: TRIM_HORIZON prints it

  TailThread tail(
      backend, {"--stream-dir", kDir, "--shard-iterator-type", "TRIM_HORIZON"});
  std::vector<std::string> lines = tail.WaitForLines(1);
  REQUIRE(lines.size() == 1);
  for (int i = 0; i < 20; ++i) {
    Put(producer, absl::StrCat("k", i % 5), absl::StrCat("live-", i));
  }
  lines = tail.WaitForLines(21);
  REQUIRE(tail.Stop() == kExitOk);
  INFO(tail.err());
  REQUIRE(lines.size() == 21);
  CHECK(Data(json::parse(lines[0])) == "before");
  // Per key, the order of the puts; each line carries its shard and the
  // get-records fields.
  std::map<std::string, int> last;
  for (size_t i = 1; i < lines.size(); ++i) {
    const json line = json::parse(lines[i]);
    REQUIRE(line.contains("ShardId"));
    REQUIRE(line.contains("SequenceNumber"));
    REQUIRE(line.contains("ApproximateArrivalTimestamp"));
    const std::string key = line["PartitionKey"].get<std::string>();
    const int n = std::stoi(Data(line).substr(5));
    CHECK(n % 5 == std::stoi(key.substr(1)));
    if (last.count(key) != 0) CHECK(n > last[key]);
    last[key] = n;
  }
  CHECK(last.size() == 5);
}

TEST_CASE("brook tail: LATEST prints only records put after it started",
          "[cli][tail]") {
  MemoryBackend backend;
  REQUIRE(backend.CreateStream(kDir, StreamOptions()).ok());
  std::shared_ptr<Stream> stream = backend.StreamForTesting(kDir);
  Producer producer(stream.get());
  Put(producer, "a", "old");
  TailThread tail(backend, {"--stream-dir", kDir});  // LATEST by default
  // The tail has started once it printed a record put after it: put until
  // one shows ("old" never may). Records put before it started are not
  // printed, so each put waits only a little for its line.
  std::vector<std::string> lines;
  for (int i = 0; lines.empty() && i < 300; ++i) {
    Put(producer, "a", absl::StrCat("new-", i));
    lines = tail.WaitForLines(1, std::chrono::milliseconds(100));
  }
  REQUIRE(!lines.empty());
  REQUIRE(tail.Stop() == kExitOk);
  for (const std::string& l : lines) {
    CHECK(Data(json::parse(l)).rfind("new-", 0) == 0);
  }
}

TEST_CASE("brook tail: after a reshard, children follow their parents",
          "[cli][tail]") {
  MemoryBackend backend;
  REQUIRE(backend.CreateStream(kDir, StreamOptions()).ok());
  std::shared_ptr<Stream> stream = backend.StreamForTesting(kDir);
  Producer producer(stream.get());
  const std::string parent = stream->ListShards()[0].shard_id;
  for (int i = 0; i < 10; ++i) Put(producer, "key", absl::StrCat(i));
  // Split before the tail starts ("key" hashes into the upper child), and
  // merge the children while it runs: every parent record comes out before
  // any child's.
  BROOK_REQUIRE_OK(stream->SplitShard(parent, "1000"));
  for (int i = 10; i < 20; ++i) Put(producer, "key", absl::StrCat(i));

  const bool one_shard = GENERATE(false, true);
  std::vector<std::string> args = {"--stream-dir", kDir,
                                   "--shard-iterator-type", "TRIM_HORIZON"};
  if (one_shard) {
    args.push_back("--shard-id");
    args.push_back(parent);  // and its descendants
  }
  TailThread tail(backend, args);
  std::vector<std::string> lines = tail.WaitForLines(20);
  REQUIRE(lines.size() == 20);
  std::vector<ShardDescription> shards = stream->ListShards();
  REQUIRE(shards.size() == 3);
  BROOK_REQUIRE_OK(stream->MergeShards(shards[1].shard_id, shards[2].shard_id));
  for (int i = 20; i < 30; ++i) Put(producer, "key", absl::StrCat(i));
  lines = tail.WaitForLines(30);
  REQUIRE(tail.Stop() == kExitOk);
  REQUIRE(lines.size() == 30);
  shards = stream->ListShards();
  REQUIRE(shards.size() == 4);
  for (size_t i = 0; i < lines.size(); ++i) {
    const json line = json::parse(lines[i]);
    INFO(lines[i]);
    CHECK(Data(line) == absl::StrCat(i));
    CHECK(line["ShardId"] == shards[i < 10 ? 0 : i < 20 ? 2 : 3].shard_id);
  }
}

TEST_CASE(
    "brook tail: AFTER_SEQUENCE_NUMBER starts in its shard, children from "
    "their first record",
    "[cli][tail]") {
  MemoryBackend backend;
  REQUIRE(backend.CreateStream(kDir, StreamOptions()).ok());
  std::shared_ptr<Stream> stream = backend.StreamForTesting(kDir);
  Producer producer(stream.get());
  const std::string parent = stream->ListShards()[0].shard_id;
  std::vector<SequenceNumber> numbers;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<PutRecordResult> put =
        producer.PutRecord("key", absl::StrCat(i));
    BROOK_REQUIRE_OK(put);
    numbers.push_back(put->sequence_number);
  }
  BROOK_REQUIRE_OK(stream->SplitShard(parent, "1000"));
  for (int i = 5; i < 8; ++i) Put(producer, "key", absl::StrCat(i));
  TailThread tail(backend,
                  {"--stream-dir", kDir, "--shard-id", parent,
                   "--shard-iterator-type", "AFTER_SEQUENCE_NUMBER",
                   "--starting-sequence-number", numbers[2].ToString()});
  const std::vector<std::string> lines = tail.WaitForLines(5);
  REQUIRE(tail.Stop() == kExitOk);
  INFO(tail.err());
  REQUIRE(lines.size() == 5);
  for (size_t i = 0; i < lines.size(); ++i) {
    CHECK(Data(json::parse(lines[i])) == absl::StrCat(i + 3));
  }
}

TEST_CASE("brook tail: bad flags are usage errors", "[cli][tail]") {
  MemoryBackend backend;
  REQUIRE(backend.CreateStream(kDir, StreamOptions()).ok());
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"tail", "--stream-dir", kDir});
    const CliRun r = RunCli(backend, args);
    INFO(r.err);
    CHECK(r.out.empty());
    return std::make_pair(r.code, r.err);
  };
  auto [code, err] = run({"--shard-iterator-type", "AT_SEQUENCE_NUMBER",
                          "--starting-sequence-number", "1"});
  CHECK(code == kExitUsage);
  CHECK(err.find("--shard-id is required") != std::string::npos);
  std::tie(code, err) = run({"--shard-iterator-type", "SOMEWHERE"});
  CHECK(code == kExitUsage);
  std::tie(code, err) = run({"--timestamp", "5"});
  CHECK(code == kExitUsage);
  std::tie(code, err) = run({"--durable-only", "maybe"});
  CHECK(code == kExitUsage);
  std::tie(code, err) = run({"--shard-id", "shardId-000000000042"});
  CHECK(code == kExitRuntimeError);
  CHECK(err.find("shardId-000000000042") != std::string::npos);
}

#ifdef BROOK_CLI_EXE

// The binary as a child process with its stdout on a pipe.
class TailProcess {
 public:
  explicit TailProcess(const std::vector<std::string>& args) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv = {const_cast<char*>(BROOK_CLI_EXE),
                                 const_cast<char*>("tail")};
      for (const std::string& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(BROOK_CLI_EXE, argv.data());
      _exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }
  ~TailProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }

  // Reads until `n` lines came or `timeout` passed; returns the lines so far.
  std::vector<std::string> WaitForLines(
      size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Lines().size() < n && !eof_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p = {fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      ReadSome();
    }
    return Lines();
  }
  // Sends `signal`, reads the rest of the output, returns the exit status.
  int StopWith(int signal) {
    REQUIRE(::kill(pid_, signal) == 0);
    while (!eof_) ReadSome();
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return status;
  }
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines = absl::StrSplit(text_, '\n');
    lines.pop_back();  // after the last newline
    return lines;
  }

 private:
  void ReadSome() {
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n <= 0) {
      eof_ = true;
      return;
    }
    text_.append(buf, static_cast<size_t>(n));
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  bool eof_ = false;
  std::string text_;
};

// A stream directory with `records` records, written by this process.
void WriteStream(const std::string& dir, int records) {
  StreamOptions options;
  options.shard_count = 2;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir, options, OpenMode::kCreateOnly);
  BROOK_REQUIRE_OK(stream);
  Producer producer(stream->get());
  for (int i = 0; i < records; ++i) {
    Put(producer, absl::StrCat("k", i), absl::StrCat("r", i));
  }
  BROOK_REQUIRE_OK((*stream)->Close());
}

TEST_CASE("brook tail binary: SIGINT and SIGTERM end it with status 0",
          "[cli][tail]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("s");
  WriteStream(dir, 50);
  const int signal = GENERATE(SIGINT, SIGTERM);
  TailProcess tail(
      {"--stream-dir", dir, "--shard-iterator-type", "TRIM_HORIZON"});
  REQUIRE(tail.WaitForLines(50).size() == 50);
  const int status = tail.StopWith(signal);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // Whole lines only, each a record.
  std::vector<std::string> lines = tail.Lines();
  CHECK(lines.size() == 50);
  for (const std::string& l : lines) CHECK(json::parse(l).contains("Data"));
}

TEST_CASE("brook tail binary: follows a writer in this process",
          "[cli][tail][follow]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("s");
  StreamOptions options;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;  // rolls while the tail follows
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir, options, OpenMode::kCreateOnly);
  BROOK_REQUIRE_OK(stream);
  Producer producer(stream->get());
  Put(producer, "k", "first");
  TailProcess tail(
      {"--stream-dir", dir, "--shard-iterator-type", "TRIM_HORIZON"});
  REQUIRE(tail.WaitForLines(1).size() == 1);
  // Written after the tail opened the stream: only a follower sees them.
  const std::string big(1000, 'x');
  for (int i = 0; i < 200; ++i) Put(producer, "k", absl::StrCat(i, big));
  BROOK_REQUIRE_OK(
      (*stream)->SplitShard((*stream)->ListShards()[1].shard_id,
                            "255211775190703847597530955573826158592"));
  for (int i = 200; i < 210; ++i) Put(producer, "k", absl::StrCat(i, big));
  std::vector<std::string> lines = tail.WaitForLines(211);
  REQUIRE(lines.size() == 211);
  for (int i = 0; i < 210; ++i) {
    CHECK(Data(json::parse(lines[static_cast<size_t>(i) + 1])) ==
          absl::StrCat(i, big));
  }
  const int status = tail.StopWith(SIGINT);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("brook tail binary: --durable-only prints what the writer synced",
          "[cli][tail][follow]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("s");
  StreamOptions options;
  options.shard_count = 1;
  options.durability = Durability::kNone;  // durable only by Sync()
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir, options, OpenMode::kCreateOnly);
  BROOK_REQUIRE_OK(stream);
  Producer producer(stream->get());
  for (int i = 0; i < 5; ++i) Put(producer, "k", absl::StrCat("synced", i));
  BROOK_REQUIRE_OK((*stream)->Sync());
  for (int i = 0; i < 3; ++i) Put(producer, "k", absl::StrCat("later", i));
  TailProcess tail({"--stream-dir", dir, "--shard-iterator-type",
                    "TRIM_HORIZON", "--durable-only", "true"});
  REQUIRE(tail.WaitForLines(5).size() == 5);
  // The three unsynced records are published (a plain tail prints them) but
  // not durable: a durable-only tail holds them back.
  {
    TailProcess plain(
        {"--stream-dir", dir, "--shard-iterator-type", "TRIM_HORIZON"});
    REQUIRE(plain.WaitForLines(8).size() == 8);
  }
  CHECK(tail.WaitForLines(6, std::chrono::milliseconds(300)).size() == 5);
  BROOK_REQUIRE_OK((*stream)->Sync());
  std::vector<std::string> lines = tail.WaitForLines(8);
  REQUIRE(lines.size() == 8);
  for (int i = 0; i < 5; ++i) {
    CHECK(Data(json::parse(lines[static_cast<size_t>(i)])) ==
          absl::StrCat("synced", i));
  }
  for (int i = 0; i < 3; ++i) {
    CHECK(Data(json::parse(lines[static_cast<size_t>(i) + 5])) ==
          absl::StrCat("later", i));
  }
  const int status = tail.StopWith(SIGINT);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

#endif  // BROOK_CLI_EXE

}  // namespace
}  // namespace cli
}  // namespace brook

namespace brook {
namespace cli {
namespace {

TEST_CASE("brook tail: --deaggregate prints user records", "[cli][tail]") {
  MemoryBackend backend;
  REQUIRE(backend.CreateStream(kDir, StreamOptions()).ok());
  std::shared_ptr<Stream> stream = backend.StreamForTesting(kDir);
  Producer producer(stream.get());
  AggregateBuilder builder;
  REQUIRE(*builder.Add("u1", "", "first"));
  REQUIRE(*builder.Add("u2", "", "second"));
  const AggregateBuilder::Aggregate a = *builder.Finish();
  BROOK_REQUIRE_OK(
      producer.PutRecord(a.partition_key, a.data, a.explicit_hash_key));
  TailThread tail(backend, {"--stream-dir", kDir, "--shard-iterator-type",
                            "TRIM_HORIZON", "--deaggregate", "true"});
  const std::vector<std::string> lines = tail.WaitForLines(2);
  REQUIRE(tail.Stop() == kExitOk);
  REQUIRE(lines.size() == 2);
  for (int i = 0; i < 2; ++i) {
    const json line = json::parse(lines[i]);
    CHECK(line["ShardId"] == "shardId-000000000000");
    CHECK(line["SubSequenceNumber"] == i);
    CHECK(Data(line) == (i == 0 ? "first" : "second"));
    CHECK(line["PartitionKey"] == (i == 0 ? "u1" : "u2"));
  }
}

}  // namespace
}  // namespace cli
}  // namespace brook
