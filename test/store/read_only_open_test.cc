// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What `Stream::Open()` reads and creates: a read-only open reads a shard's
// segments only when the shard is first read (or the recovery report is
// asked for), and opens of something that is not a stream directory fail
// clearly and create nothing.

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "store/store_testing.h"
#include "testing/barrier.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include "util/mutex.h"

namespace brook {
namespace {

using testing::OpenOrDie;
using testing::ReadShard;
using testing::TempDir;

// Remembers every segment file opened, per shard directory, and fails the
// opens of files whose path contains `fail_` with kUnavailable.
class SegmentOpenLog : public EnvWrapper {
 public:
  SegmentOpenLog() : EnvWrapper(Env::Default()) {}

  absl::StatusOr<std::unique_ptr<File>> OpenFile(absl::string_view path,
                                                 FileOpenMode mode) override {
    if (absl::EndsWith(path, ".seg")) {
      internal::MutexLock lock(&mu_);
      const std::string p(path);
      const std::string shard =
          std::filesystem::path(p).parent_path().filename().string();
      ++opens_[shard];
      if (!fail_.empty() && absl::StrContains(path, fail_)) {
        return absl::UnavailableError(absl::StrCat(path, ": injected"));
      }
    }
    return target()->OpenFile(path, mode);
  }

  // Segment files opened so far, by shard id.
  std::map<std::string, int> opens() {
    internal::MutexLock lock(&mu_);
    return opens_;
  }
  void FailOpensOf(std::string path_part) {
    internal::MutexLock lock(&mu_);
    fail_ = std::move(path_part);
  }

 private:
  internal::Mutex mu_;
  std::map<std::string, int> opens_ ABSL_GUARDED_BY(mu_);
  std::string fail_ ABSL_GUARDED_BY(mu_);
};

// Appends `count` records of `bytes` bytes to shard `shard_id`, in batches of
// 10, with data "<shard_id>/<i>." padded with dots.
void AppendTo(Stream* stream, const std::string& shard_id, int count,
              size_t bytes) {
  absl::StatusOr<Shard*> shard = stream->GetShard(shard_id);
  REQUIRE(shard.ok());
  for (int first = 0; first < count; first += 10) {
    std::vector<std::string> datas;
    std::vector<RoutedRecord> records;
    for (int i = first; i < first + 10 && i < count; ++i) {
      std::string d = absl::StrCat(shard_id, "/", i, ".");
      d.resize(std::max(d.size(), bytes), '.');
      datas.push_back(std::move(d));
    }
    for (const std::string& d : datas) {
      RoutedRecord r;
      r.partition_key = "k";
      r.data = d;
      r.hash_key = (*shard)->hash_key_range().starting_hash_key;
      r.has_explicit_hash_key = true;
      records.push_back(r);
    }
    BROOK_REQUIRE_OK((*shard)->Append(records));
  }
}

void CheckShardHolds(Stream* stream, const std::string& shard_id, int count) {
  absl::StatusOr<std::vector<testing::OwnedRecord>> r =
      ReadShard(stream, shard_id);
  BROOK_REQUIRE_OK(r);
  REQUIRE(r->size() == static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    REQUIRE(
        absl::StartsWith((*r)[i].data, absl::StrCat(shard_id, "/", i, ".")));
  }
}

const char* const kShards[] = {"shardId-000000000000", "shardId-000000000001",
                               "shardId-000000000002"};

// A three-shard stream with 64 KiB segments: shard i holds 300 * (i + 1)
// records of 1 KiB (several segments each). Returns what the writer
// described just before closing; the writer is closed cleanly, or crashed.
StreamDescription MakeStream(const std::string& dir, bool clean) {
  StreamOptions options;
  options.shard_count = 3;
  options.segment_bytes = 64 << 10;
  std::unique_ptr<Stream> writer = OpenOrDie(dir, options);
  for (int i = 0; i < 3; ++i)
    AppendTo(writer.get(), kShards[i], 300 * (i + 1), 1024);
  StreamDescription d = writer->DescribeStream();
  if (clean) {
    BROOK_REQUIRE_OK(writer->Close());
  } else {
    testing::Crash(std::move(writer));
  }
  return d;
}

// The segment files of shard `shard_id` in `dir`.
int SegmentFiles(const std::string& dir, const std::string& shard_id) {
  int n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(dir + "/" + shard_id)) {
    n += e.path().extension() == ".seg" ? 1 : 0;
  }
  return n;
}

// The segment files of `dir` this process has mapped now.
int MappedSegmentFiles(const std::string& dir) {
  std::ifstream maps("/proc/self/maps");
  int n = 0;
  for (std::string line; std::getline(maps, line);) {
    n += absl::StrContains(line, dir + "/") &&
                 (absl::EndsWith(line, ".seg") ||
                  absl::EndsWith(line, ".seg (deleted)"))
             ? 1
             : 0;
  }
  return n;
}

bool SameShards(const std::vector<ShardDescription>& a,
                const std::vector<ShardDescription>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].shard_id != b[i].shard_id ||
        a[i].hash_key_range.starting_hash_key !=
            b[i].hash_key_range.starting_hash_key ||
        a[i].hash_key_range.ending_hash_key !=
            b[i].hash_key_range.ending_hash_key ||
        a[i].parent_shard_id != b[i].parent_shard_id ||
        a[i].adjacent_parent_shard_id != b[i].adjacent_parent_shard_id ||
        a[i].starting_sequence_number != b[i].starting_sequence_number ||
        a[i].ending_sequence_number != b[i].ending_sequence_number) {
      return false;
    }
  }
  return true;
}

TEST_CASE(
    "Read-only open: listing and describing a cleanly closed stream open no "
    "segment file, a read opens only its shard's",
    "[store][readonly]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const StreamDescription written = MakeStream(dir, /*clean=*/true);
  REQUIRE(written.stored_bytes > int64_t{3} * (64 << 10));

  SegmentOpenLog env;
  StreamOptions options;
  options.env = &env;
  std::unique_ptr<Stream> reader = OpenOrDie(dir, options, OpenMode::kReadOnly);
  const StreamDescription d = reader->DescribeStream();
  CHECK(SameShards(reader->ListShards(), written.shards));
  CHECK(SameShards(d.shards, written.shards));
  CHECK(d.open_shard_count == 3);
  CHECK(d.stored_bytes == written.stored_bytes);
  CHECK(env.opens().empty());

  // One GetRecords of shard 1 opens shard 1's segments only.
  Consumer consumer(reader.get());
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(kShards[1], StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  GetRecordsOptions ten;
  ten.limit = 10;
  absl::StatusOr<GetRecordsResult> got = consumer.GetRecords(*it, ten);
  BROOK_REQUIRE_OK(got);
  REQUIRE(got->records().size() == 10);
  CHECK(got->records()[0].data.substr(0, 23) == "shardId-000000000001/0.");
  std::map<std::string, int> opens = env.opens();
  CHECK(opens.size() == 1);
  CHECK(opens[kShards[1]] == 2);  // its last segment and its first
  const int shard1_files = SegmentFiles(dir, kShards[1]);
  REQUIRE(shard1_files > 2);
  // Stored bytes are the same, now counted from the recovered shard.
  CHECK(reader->DescribeStream().stored_bytes == written.stored_bytes);

  // The recovery report covers every shard, each recovered once.
  const RecoveryReport& report = reader->recovery_report();
  CHECK(report.problems.empty());
  CHECK(report.scanned_records == 300 + 600 + 900);
  CHECK(report.scanned_bytes == written.stored_bytes);
  opens = env.opens();
  CHECK(opens.size() == 3);
  CHECK(opens[kShards[1]] == shard1_files);  // each opened once
  for (int i = 0; i < 3; ++i)
    CheckShardHolds(reader.get(), kShards[i], 300 * (i + 1));
  CHECK(reader->DescribeStream().stored_bytes == written.stored_bytes);
}

TEST_CASE(
    "Read-only open: reading a shard at its tail opens and maps only its last "
    "segment file, a TRIM_HORIZON read adds only its first",
    "[store][readonly][lazy]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const bool clean = GENERATE(true, false);
  INFO((clean ? "closed cleanly" : "crashed"));
  MakeStream(dir, clean);
  SegmentOpenLog env;
  StreamOptions options;
  options.env = &env;
  options.follow = GENERATE(true, false);
  INFO("follow " << options.follow);
  std::unique_ptr<Stream> reader = OpenOrDie(dir, options, OpenMode::kReadOnly);
  Consumer consumer(reader.get());
  for (const char* shard : kShards) {
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(shard, StartingPosition::Latest());
    BROOK_REQUIRE_OK(it);
    absl::StatusOr<GetRecordsResult> got = consumer.GetRecords(*it);
    BROOK_REQUIRE_OK(got);
    CHECK(got->records().empty());
  }
  std::map<std::string, int> opens = env.opens();
  for (const char* shard : kShards) {
    INFO(shard);
    REQUIRE(SegmentFiles(dir, shard) > 2);
    CHECK(opens[shard] == 1);
  }
  CHECK(MappedSegmentFiles(dir) == 3);

  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(kShards[2], StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  GetRecordsOptions ten;
  ten.limit = 10;
  absl::StatusOr<GetRecordsResult> got = consumer.GetRecords(*it, ten);
  BROOK_REQUIRE_OK(got);
  REQUIRE(got->records().size() == 10);
  CHECK(got->records()[0].data.substr(0, 23) == "shardId-000000000002/0.");
  opens = env.opens();
  CHECK(opens[kShards[0]] == 1);
  CHECK(opens[kShards[2]] == 2);
  CHECK(MappedSegmentFiles(dir) == 4);

  for (int i = 0; i < 3; ++i)
    CheckShardHolds(reader.get(), kShards[i], 300 * (i + 1));
  CHECK(reader->recovery_report().problems.empty());
}

TEST_CASE(
    "Read-only open: stored bytes of a directory not closed cleanly come from "
    "its frames",
    "[store][readonly]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const StreamDescription written = MakeStream(dir, /*clean=*/false);
  std::unique_ptr<Stream> reader = OpenOrDie(dir, {}, OpenMode::kReadOnly);
  CHECK(SameShards(reader->ListShards(), written.shards));
  CHECK(reader->DescribeStream().stored_bytes == written.stored_bytes);
  for (int i = 0; i < 3; ++i)
    CheckShardHolds(reader.get(), kShards[i], 300 * (i + 1));
}

TEST_CASE(
    "Read-only open: a closed shard's ending sequence number comes from the "
    "metadata, the same as after reading it",
    "[store][readonly]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::vector<ShardDescription> written;
  {
    std::unique_ptr<Stream> writer = OpenOrDie(dir, {});
    AppendTo(writer.get(), kShards[0], 25, 10);
    BROOK_REQUIRE_OK(writer->UpdateShardCount(2));
    written = writer->ListShards();
    BROOK_REQUIRE_OK(writer->Close());
  }
  REQUIRE(written.size() == 3);
  REQUIRE(written[0].ending_sequence_number.has_value());
  SegmentOpenLog env;
  StreamOptions options;
  options.env = &env;
  std::unique_ptr<Stream> reader = OpenOrDie(dir, options, OpenMode::kReadOnly);
  CHECK(SameShards(reader->ListShards(), written));
  CHECK(env.opens().empty());
  CheckShardHolds(reader.get(), kShards[0], 25);
  CHECK(SameShards(reader->ListShards(), written));
}

TEST_CASE(
    "Read-only open: a shard that cannot be recovered fails its reads and is "
    "listed in the report, the others read",
    "[store][readonly]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  MakeStream(dir, /*clean=*/true);
  SegmentOpenLog env;
  env.FailOpensOf(kShards[2]);
  StreamOptions options;
  options.env = &env;
  std::unique_ptr<Stream> reader = OpenOrDie(dir, options, OpenMode::kReadOnly);
  Consumer consumer(reader.get());
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(kShards[2], StartingPosition::TrimHorizon());
  BROOK_CHECK_CODE(it, kUnavailable);
  CHECK(absl::StrContains(it.status().message(), kShards[2]));
  const int tries = env.opens()[kShards[2]];
  // Sticky: the same error again, without touching the disk.
  BROOK_CHECK_CODE(
      consumer.GetShardIterator(kShards[2], StartingPosition::Latest()),
      kUnavailable);
  CHECK(env.opens()[kShards[2]] == tries);
  CheckShardHolds(reader.get(), kShards[0], 300);

  const RecoveryReport& report = reader->recovery_report();
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].file == dir + "/" + kShards[2]);
  CHECK(report.problems[0].data_loss);
  CHECK(absl::StartsWith(report.problems[0].reason, "cannot be read: "));
  CHECK(report.scanned_records == 300 + 600);
  CheckShardHolds(reader.get(), kShards[1], 600);
}

TEST_CASE(
    "Read-only open: the report lists problems in shard order whatever order "
    "the shards were read in",
    "[store][readonly]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  MakeStream(dir, /*clean=*/true);
  // A torn header just past the last batch of shards 0 and 2.
  std::vector<std::pair<std::string, size_t>> torn;
  for (int i : {0, 2}) {
    std::string last;
    for (const auto& e : std::filesystem::directory_iterator(
             absl::StrCat(dir, "/", kShards[i]))) {
      if (e.path().extension() != ".seg") continue;  // the bounds marker
      if (e.path().string() > last) last = e.path().string();
    }
    std::string bytes = testing::ReadFileBytes(last);
    const size_t end = bytes.find_last_not_of('\0') + 1;
    bytes[end + 5] = 'X';
    testing::WriteFileBytes(last, bytes);
    torn.emplace_back(last, end);
  }
  std::unique_ptr<Stream> reader = OpenOrDie(dir, {}, OpenMode::kReadOnly);
  CheckShardHolds(reader.get(), kShards[2], 900);
  CheckShardHolds(reader.get(), kShards[1], 600);
  const RecoveryReport& report = reader->recovery_report();
  REQUIRE(report.problems.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(report.problems[i].file == torn[i].first);
    CHECK(report.problems[i].offset == static_cast<int64_t>(torn[i].second));
    CHECK_FALSE(report.problems[i].data_loss);
  }
  CHECK(report.scanned_records == 300 + 600 + 900);
}

TEST_CASE(
    "Read-only open: threads reading a shard at once recover it once and "
    "all see every record",
    "[store][readonly][concurrency]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  MakeStream(dir, /*clean=*/true);
  SegmentOpenLog env;
  StreamOptions options;
  options.env = &env;
  std::unique_ptr<Stream> reader = OpenOrDie(dir, options, OpenMode::kReadOnly);
  constexpr int kThreads = 4;
  testing::Barrier start(kThreads);
  std::vector<absl::StatusOr<std::vector<testing::OwnedRecord>>> got(
      kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.ArriveAndWait();
      got[t] = ReadShard(reader.get(), kShards[2]);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    BROOK_REQUIRE_OK(got[t]);
    REQUIRE(got[t]->size() == 900);
    CHECK(*got[t] == *got[0]);
  }
  std::map<std::string, int> opens = env.opens();
  CHECK(opens.size() == 1);
  // Each file once: 900 KiB of records in 64 KiB segments.
  std::set<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(
           absl::StrCat(dir, "/", kShards[2]))) {
    if (e.path().extension() == ".seg") files.insert(e.path().string());
  }
  CHECK(opens[kShards[2]] == static_cast<int>(files.size()));
}

TEST_CASE("Stream::Open: a regular file is not a stream directory, in any mode",
          "[store]") {
  const OpenMode mode = GENERATE(OpenMode::kCreateIfMissing,
                                 OpenMode::kMustExist, OpenMode::kReadOnly);
  INFO("mode " << static_cast<int>(mode));
  TempDir tmp;
  const std::string file = tmp.Sub("file");
  { std::ofstream(file) << "not a stream"; }
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Open(file, {}, mode);
  BROOK_CHECK_CODE(s, kFailedPrecondition);
  CHECK(s.status().message() ==
        absl::StrCat("stream directory ", file, ": not a directory"));
  CHECK(testing::ReadFileBytes(file) == "not a stream");
  // Nothing else was created beside it.
  int entries = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(tmp.path())) {
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE(
    "Stream::Open: a read-only open of a directory holding no stream creates "
    "nothing",
    "[store]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("empty");
  std::filesystem::create_directory(dir);
  const bool with_other_file = GENERATE(false, true);
  if (with_other_file) std::ofstream(dir + "/notes.txt") << "x";
  absl::StatusOr<std::unique_ptr<Stream>> s =
      Stream::Open(dir, {}, OpenMode::kReadOnly);
  BROOK_CHECK_CODE(s, kNotFound);
  CHECK(s.status().message() ==
        absl::StrCat("stream directory ", dir, ": holds no stream"));
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  CHECK(names == (with_other_file ? std::vector<std::string>{"notes.txt"}
                                  : std::vector<std::string>{}));
  // A missing directory still says so.
  absl::StatusOr<std::unique_ptr<Stream>> missing =
      Stream::Open(tmp.Sub("missing"), {}, OpenMode::kReadOnly);
  BROOK_CHECK_CODE(missing, kNotFound);
  CHECK(absl::EndsWith(missing.status().message(), ": not found"));
}

}  // namespace
}  // namespace brook
