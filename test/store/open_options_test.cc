// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Stream::Open of an existing directory: stored options are compared with the
// stream's (or accepted with `accept_stored_options`), the options of this
// open take effect, and kCreateOnly creates a stream exactly once.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/producer.h"
#include "brook/stream.h"

#include "store/store_testing.h"
#include "testing/barrier.h"
#include "testing/fault_injection_env.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::Crash;
using testing::FaultInjectionEnv;
using testing::OpenOrDie;
using testing::ReadShard;
using testing::TempDir;

constexpr char kShard0[] = "shardId-000000000000";

StreamOptions BaseOptions() {
  StreamOptions options;
  options.name = "orders";
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 1 << 20;
  return options;
}

bool Contains(const absl::Status& s, absl::string_view text) {
  return s.message().find(text) != absl::string_view::npos;
}

// Creates the stream in `dir` with `options`, puts one record in shard 0
// and closes it cleanly.
void CreateWithOneRecord(const std::string& dir, const StreamOptions& options) {
  std::unique_ptr<Stream> stream =
      OpenOrDie(dir, options, OpenMode::kCreateIfMissing);
  Producer producer(stream.get());
  BROOK_REQUIRE_OK(
      producer.PutRecord("k", "kept", /*explicit_hash_key=*/"0").status());
  BROOK_REQUIRE_OK(stream->Close());
}

TEST_CASE("Stream::Open: a stored option passed with another value fails",
          "[store][options]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const StreamOptions base = BaseOptions();
  CreateWithOneRecord(dir, base);
  const std::string stream_file = testing::ReadFileBytes(dir + "/STREAM");

  struct Case {
    const char* option;
    std::function<void(StreamOptions&)> change;
    const char* stored;
    const char* passed;
  };
  const Case c = GENERATE(
      Case{"name", [](StreamOptions& o) { o.name = "clicks"; }, "\"orders\"",
           "\"clicks\""},
      Case{"shard_count", [](StreamOptions& o) { o.shard_count = 8; },
           "2 (open shards)", "8"},
      Case{"max_record_bytes",
           [](StreamOptions& o) { o.max_record_bytes = 1000; }, "1048576",
           "1000"},
      Case{"retention_period",
           [](StreamOptions& o) { o.retention_period = absl::Hours(1); }, "24h",
           "1h"},
      Case{"retention_bytes",
           [](StreamOptions& o) { o.retention_bytes = 2 << 20; }, "1048576",
           "2097152"},
      Case{"on_full",
           [](StreamOptions& o) {
             o.on_full = RetentionFullPolicy::kDropOldest;
           },
           "kRejectWrites", "kDropOldest"},
      Case{"segment_bytes",
           [](StreamOptions& o) { o.segment_bytes = 128 << 10; }, "65536",
           "131072"},
      Case{"segment_roll_age",
           [](StreamOptions& o) { o.segment_roll_age = absl::Seconds(1); }, "0",
           "1s"});
  const OpenMode mode =
      GENERATE(OpenMode::kCreateIfMissing, OpenMode::kMustExist);
  INFO("option " << c.option << " mode " << static_cast<int>(mode));
  StreamOptions passed = base;
  c.change(passed);
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Open(dir, passed, mode);
  REQUIRE(absl::IsFailedPrecondition(s.status()));
  INFO(s.status());
  CHECK(Contains(s.status(), absl::StrCat("option ", c.option, " is ", c.stored,
                                          " in the stream but ", c.passed,
                                          " in the options passed")));
  CHECK(Contains(s.status(), dir));
  CHECK(Contains(s.status(), "accept_stored_options"));

  // Nothing was changed: the directory is still cleanly closed, and the
  // lock is free again.
  CHECK(testing::ReadFileBytes(dir + "/STREAM") == stream_file);
  std::unique_ptr<Stream> again = OpenOrDie(dir, base, OpenMode::kMustExist);
  CHECK(again->recovery_report().clean_shutdown);
  absl::StatusOr<std::vector<testing::OwnedRecord>> records =
      ReadShard(again.get(), kShard0);
  BROOK_REQUIRE_OK(records);
  REQUIRE(records->size() == 1);
  CHECK((*records)[0].data == "kept");
}

// The case: a stream made as `brook create-stream` makes it, then
// opened by an application asking for 8 shards, 1 h and kAlways.
TEST_CASE("Stream::Open: create-if-missing does not hide a different stream",
          "[store][options]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  StreamOptions made;
  made.shard_count = 2;
  CreateWithOneRecord(dir, made);

  StreamOptions wanted;
  wanted.shard_count = 8;
  wanted.retention_period = absl::Hours(1);
  wanted.durability = Durability::kAlways;
  absl::StatusOr<std::unique_ptr<Stream>> s =
      Stream::Open(dir, wanted, OpenMode::kCreateIfMissing);
  REQUIRE(absl::IsFailedPrecondition(s.status()));
  CHECK(Contains(s.status(), "shard_count"));

  SECTION("accept_stored_options opens the stream as it is") {
    wanted.accept_stored_options = true;
    std::unique_ptr<Stream> stream =
        OpenOrDie(dir, wanted, OpenMode::kCreateIfMissing);
    CHECK(stream->options().shard_count == 2);
    CHECK(stream->ListShards().size() == 2);
    CHECK(stream->options().retention_period == absl::Hours(24));
    CHECK(stream->DescribeStream().retention_period == absl::Hours(24));
    // ... with this open's durability.
    CHECK(stream->options().durability == Durability::kAlways);
    CHECK(stream->options().accept_stored_options);
  }
}

TEST_CASE("Stream::Open: shard_count is compared with the open shards now",
          "[store][options]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  StreamOptions options;
  options.shard_count = 2;
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
    BROOK_REQUIRE_OK(stream->UpdateShardCount(4));
    BROOK_REQUIRE_OK(stream->Close());
  }
  absl::StatusOr<std::unique_ptr<Stream>> as_created =
      Stream::Open(dir, options, OpenMode::kMustExist);
  REQUIRE(absl::IsFailedPrecondition(as_created.status()));
  CHECK(Contains(as_created.status(),
                 "option shard_count is 4 (open shards) in the stream but 2"));
  as_created = absl::UnknownError("released");

  options.shard_count = 4;
  std::unique_ptr<Stream> now = OpenOrDie(dir, options, OpenMode::kMustExist);
  CHECK(now->DescribeStream().open_shard_count == 4);
}

TEST_CASE("Stream::Open: a read-only open takes the stored options",
          "[store][options]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  CreateWithOneRecord(dir, BaseOptions());
  std::unique_ptr<Stream> reader =
      OpenOrDie(dir, StreamOptions(), OpenMode::kReadOnly);
  CHECK(reader->options().name == "orders");
  CHECK(reader->options().shard_count == 2);
  CHECK(reader->options().retention_bytes == 1 << 20);
}

TEST_CASE("Stream::Open: the durability of this open takes effect",
          "[store][options][fault]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  FaultInjectionEnv env;
  StreamOptions options = BaseOptions();
  options.env = &env;
  options.durability = Durability::kNone;
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
    BROOK_REQUIRE_OK(stream->Close());
  }
  // Reopened with kAlways: no other option differs, so no opt-in is needed,
  // and every acknowledged record survives a power loss.
  options.durability = Durability::kAlways;
  std::unique_ptr<Stream> stream =
      OpenOrDie(dir, options, OpenMode::kMustExist);
  CHECK(stream->options().durability == Durability::kAlways);
  Producer producer(stream.get());
  for (int i = 0; i < 20; ++i) {
    BROOK_REQUIRE_OK(producer
                         .PutRecord("k", absl::StrCat("record-", i),
                                    /*explicit_hash_key=*/"0")
                         .status());
  }
  env.SetFilesystemActive(false);
  Crash(std::move(stream));
  BROOK_REQUIRE_OK(env.DropUnsyncedData());
  env.SetFilesystemActive(true);

  options.durability = Durability::kNone;
  std::unique_ptr<Stream> reopened =
      OpenOrDie(dir, options, OpenMode::kMustExist);
  absl::StatusOr<std::vector<testing::OwnedRecord>> records =
      ReadShard(reopened.get(), kShard0);
  BROOK_REQUIRE_OK(records);
  REQUIRE(records->size() == 20);
  for (int i = 0; i < 20; ++i) {
    CHECK((*records)[i].data == absl::StrCat("record-", i));
  }
}

TEST_CASE("Stream::Open: kCreateOnly fails on a directory holding a stream",
          "[store][options]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  CreateWithOneRecord(dir, BaseOptions());
  const std::string stream_file = testing::ReadFileBytes(dir + "/STREAM");

  // Same or other options: kAlreadyExists either way, and nothing changes.
  StreamOptions options = GENERATE(BaseOptions(), StreamOptions());
  absl::StatusOr<std::unique_ptr<Stream>> s =
      Stream::Open(dir, options, OpenMode::kCreateOnly);
  REQUIRE(absl::IsAlreadyExists(s.status()));
  CHECK(Contains(s.status(), absl::StrCat("stream directory ", dir)));
  CHECK(testing::ReadFileBytes(dir + "/STREAM") == stream_file);

  // While a writer holds it, too.
  std::unique_ptr<Stream> writer =
      OpenOrDie(dir, BaseOptions(), OpenMode::kMustExist);
  s = Stream::Open(dir, BaseOptions(), OpenMode::kCreateOnly);
  CHECK(absl::IsAlreadyExists(s.status()));
  absl::StatusOr<std::vector<testing::OwnedRecord>> records =
      ReadShard(writer.get(), kShard0);
  BROOK_REQUIRE_OK(records);
  REQUIRE(records->size() == 1);
  CHECK((*records)[0].data == "kept");
}

TEST_CASE("Stream::Open: kCreateOnly creates in a new or empty directory",
          "[store][options]") {
  TempDir tmp;
  const bool exists = GENERATE(false, true);
  const std::string dir = tmp.Sub("s");
  if (exists) BROOK_REQUIRE_OK(Env::Default()->CreateDir(dir));
  std::unique_ptr<Stream> stream =
      OpenOrDie(dir, BaseOptions(), OpenMode::kCreateOnly);
  CHECK(stream->ListShards().size() == 2);
  CHECK(stream->options().name == "orders");
}

TEST_CASE("Stream::Open: of two concurrent kCreateOnly opens exactly one wins",
          "[store][options][concurrency]") {
  TempDir tmp;
  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    const std::string dir = tmp.Sub(absl::StrCat("s", round));
    testing::Barrier start(2);
    absl::Status results[2];
    std::unique_ptr<Stream> streams[2];
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        StreamOptions options = BaseOptions();
        options.shard_count = t + 1;  // tells the winner apart on disk
        start.ArriveAndWait();
        absl::StatusOr<std::unique_ptr<Stream>> s =
            Stream::Open(dir, options, OpenMode::kCreateOnly);
        results[t] = s.status();
        if (s.ok()) streams[t] = *std::move(s);
      });
    }
    for (std::thread& th : threads) th.join();
    REQUIRE(results[0].ok() != results[1].ok());
    const int winner = results[0].ok() ? 0 : 1;
    INFO(results[1 - winner]);
    CHECK(absl::IsAlreadyExists(results[1 - winner]));
    BROOK_REQUIRE_OK(streams[winner]->Close());
    streams[winner].reset();
    std::unique_ptr<Stream> reader =
        OpenOrDie(dir, StreamOptions(), OpenMode::kReadOnly);
    CHECK(reader->ListShards().size() == static_cast<size_t>(winner + 1));
  }
}

}  // namespace
}  // namespace brook
