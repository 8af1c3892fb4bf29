// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// zstd-compressed batches (issue 12): round trips in memory and on disk, at
// several levels, with and without a trained dictionary; compressed frames
// through crash recovery, verify and damage; a follower process; a missing
// dictionary; a frame of a codec this build does not know.

#include "brook/compression.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/stream.h"

#include "bench/payloads.h"
#include "store/batch_format.h"
#include "store/frame_codec.h"
#include "store_testing.h"
#include "stream/stream_impl.h"
#include "stream/stream_meta.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace {

using internal::BatchCodec;
using internal::BatchHeader;
using testing::OwnedRecord;

constexpr char kShard0[] = "shardId-000000000000";

// Appends `count` JSON sensor events (log lines if `logs`) in batches of
// `batch` to shard 0 and returns the (partition key, data) pairs appended.
std::vector<std::pair<std::string, std::string>> AppendEvents(
    Stream* stream, std::mt19937_64& rng, int64_t first, int count, int batch,
    bool logs = false) {
  absl::StatusOr<Shard*> shard = stream->GetShard(kShard0);
  REQUIRE(shard.ok());
  std::vector<std::pair<std::string, std::string>> all;
  for (int done = 0; done < count; done += batch) {
    std::vector<std::pair<std::string, std::string>> kv;
    for (int i = done; i < std::min(count, done + batch); ++i) {
      kv.emplace_back(absl::StrCat("dev-", (first + i) % 97),
                      logs ? bench::LogLine(rng, first + i)
                           : bench::SensorEvent(rng, first + i));
    }
    std::vector<RoutedRecord> records;
    for (const auto& [key, data] : kv) {
      RoutedRecord r;
      r.partition_key = key;
      r.data = data;
      r.hash_key = (*shard)->hash_key_range().starting_hash_key;
      records.push_back(r);
    }
    BROOK_REQUIRE_OK((*shard)->Append(records));
    all.insert(all.end(), kv.begin(), kv.end());
  }
  return all;
}

void CheckSame(const std::vector<OwnedRecord>& got,
               const std::vector<std::pair<std::string, std::string>>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("record " << i);
    REQUIRE(got[i].partition_key == want[i].first);
    REQUIRE(got[i].data == want[i].second);
  }
}

std::string SegmentPath(const std::string& dir) {
  return absl::StrCat(dir, "/", kShard0, "/00000000000000000001.seg");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteFile(const std::string& path, const std::string& bytes) {
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The headers of the frames of a segment file, with their offsets.
std::vector<std::pair<size_t, BatchHeader>> Frames(const std::string& file) {
  std::vector<std::pair<size_t, BatchHeader>> frames;
  for (size_t off = 0; off + internal::kBatchHeaderBytes <= file.size();) {
    const BatchHeader h = internal::DecodeBatchHeader(file.data() + off);
    if (h.frame_bytes == 0) break;
    frames.emplace_back(off, h);
    off += h.frame_bytes;
  }
  return frames;
}

StreamOptions Compressed(int level) {
  StreamOptions o;
  o.compression_level = level;
  o.segment_bytes = 1 << 20;
  return o;
}

TEST_CASE("Compression: memory stream round trip at each level",
          "[store][compression]") {
  const int level = GENERATE(1, 3, 19);
  const bool logs = GENERATE(false, true);
  INFO("level " << level << (logs ? " log lines" : " sensor events"));
  std::mt19937_64 rng(7);
  auto plain = Stream::Create(StreamOptions());
  auto packed = Stream::Create(Compressed(level));
  BROOK_REQUIRE_OK(plain);
  BROOK_REQUIRE_OK(packed);
  std::mt19937_64 rng2(7);
  const auto want = AppendEvents(packed->get(), rng, 0, 3000, 100, logs);
  AppendEvents(plain->get(), rng2, 0, 3000, 100, logs);
  auto got = testing::ReadShard(packed->get(), kShard0);
  BROOK_REQUIRE_OK(got);
  CheckSame(*got, want);
  // Stored (and counted) compressed: at least 2x smaller.
  const int64_t packed_bytes = static_cast<internal::StreamImpl*>(packed->get())
                                   ->StoredBytesForTesting();
  const int64_t plain_bytes =
      static_cast<internal::StreamImpl*>(plain->get())->StoredBytesForTesting();
  CHECK(packed_bytes * 2 < plain_bytes);

  // A read that stops inside a compressed frame resumes at the next record.
  Consumer consumer(packed->get());
  auto it = consumer.GetShardIterator(kShard0, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  std::vector<std::string> data;
  GetRecordsOptions small;
  small.limit = 7;
  while (it->valid() && data.size() < want.size()) {
    auto r = consumer.GetRecords(*it, small);
    BROOK_REQUIRE_OK(r);
    if (r->records().empty()) break;
    for (const Record& rec : r->records()) data.emplace_back(rec.data);
    *it = r->next_shard_iterator();
  }
  REQUIRE(data.size() == want.size());
  for (size_t i = 0; i < data.size(); ++i) REQUIRE(data[i] == want[i].second);
}

TEST_CASE("Compression: compression_level out of range is kInvalidArgument",
          "[store][compression]") {
  const int level = GENERATE(-1, 20, 100);
  auto s = Stream::Create(Compressed(level));
  REQUIRE(absl::IsInvalidArgument(s.status()));
  CHECK_THAT(std::string(s.status().message()),
             Catch::Contains("compression_level"));
}

TEST_CASE("Compression: durable round trip, dictionary, reopen",
          "[store][compression]") {
  testing::TempDir dir;
  std::mt19937_64 rng(11);
  std::vector<std::pair<std::string, std::string>> want;
  uint32_t id = 0;
  {
    auto stream = testing::OpenOrDie(dir.path(), Compressed(3));
    want = AppendEvents(stream.get(), rng, 0, 2000, 50);
    auto trained = TrainCompressionDictionary(stream.get());
    BROOK_REQUIRE_OK(trained);
    id = *trained;
    REQUIRE(id != 0);
    const auto more = AppendEvents(stream.get(), rng, 2000, 2000, 50);
    want.insert(want.end(), more.begin(), more.end());
    auto got = testing::ReadShard(stream.get(), kShard0);
    BROOK_REQUIRE_OK(got);
    CheckSame(*got, want);
    BROOK_REQUIRE_OK(stream->Close());
  }
  // Frames before the dictionary name none, those after it name it.
  const std::string file = ReadFile(SegmentPath(dir.path()));
  int with = 0, without = 0;
  for (const auto& [off, h] : Frames(file)) {
    REQUIRE(h.codec() == BatchCodec::kZstd);
    const uint32_t frame_dict = internal::DictionaryIdOf(
        file.data() + off + internal::kBatchHeaderBytes,
        h.frame_bytes - internal::kBatchHeaderBytes);
    REQUIRE((frame_dict == 0 || frame_dict == id));
    (frame_dict == 0 ? without : with) += 1;
  }
  CHECK(with == 40);
  CHECK(without == 40);

  SECTION("read-only and verify opens read every frame") {
    for (OpenMode mode : {OpenMode::kReadOnly, OpenMode::kVerify}) {
      auto stream = testing::OpenOrDie(dir.path(), StreamOptions(), mode);
      auto got = testing::ReadShard(stream.get(), kShard0);
      BROOK_REQUIRE_OK(got);
      CheckSame(*got, want);
      CHECK(stream->recovery_report().problems.empty());
    }
  }
  SECTION("a reopened writer goes on with the dictionary") {
    auto stream =
        testing::OpenOrDie(dir.path(), Compressed(3), OpenMode::kMustExist);
    const auto more = AppendEvents(stream.get(), rng, 4000, 100, 50);
    want.insert(want.end(), more.begin(), more.end());
    auto got = testing::ReadShard(stream.get(), kShard0);
    BROOK_REQUIRE_OK(got);
    CheckSame(*got, want);
    const std::string after = ReadFile(SegmentPath(dir.path()));
    const auto [off, h] = Frames(after).back();
    CHECK(internal::DictionaryIdOf(
              after.data() + off + internal::kBatchHeaderBytes,
              h.frame_bytes - internal::kBatchHeaderBytes) == id);
  }
  SECTION("a missing dictionary is kDataLoss naming its file") {
    const std::string path = internal::DictionaryPath(dir.path(), id);
    REQUIRE(std::remove(path.c_str()) == 0);
    auto stream =
        testing::OpenOrDie(dir.path(), StreamOptions(), OpenMode::kReadOnly);
    auto got = testing::ReadShard(stream.get(), kShard0);
    REQUIRE(absl::IsDataLoss(got.status()));
    CHECK_THAT(std::string(got.status().message()), Catch::Contains(path));
    // A writer cannot go on with it either.
    auto writer = Stream::Open(dir.path(), Compressed(3), OpenMode::kMustExist);
    REQUIRE(absl::IsDataLoss(writer.status()));
  }
  SECTION("a damaged dictionary is kDataLoss naming its file") {
    const std::string path = internal::DictionaryPath(dir.path(), id);
    std::string bytes = ReadFile(path);
    bytes[bytes.size() / 2] ^= 0x40;
    WriteFile(path, bytes);
    auto stream =
        testing::OpenOrDie(dir.path(), StreamOptions(), OpenMode::kReadOnly);
    auto got = testing::ReadShard(stream.get(), kShard0);
    REQUIRE(absl::IsDataLoss(got.status()));
    CHECK_THAT(std::string(got.status().message()), Catch::Contains(path));
    CHECK_THAT(std::string(got.status().message()),
               Catch::Contains("checksum"));
  }
  SECTION("the stream's format version is 3; the level is stored") {
    auto meta = internal::ReadStreamMeta(Env::Default(), dir.path());
    BROOK_REQUIRE_OK(meta);
    CHECK(meta->format_version() == 3);
    auto other = Stream::Open(dir.path(), Compressed(1), OpenMode::kMustExist);
    REQUIRE(absl::IsFailedPrecondition(other.status()));
    CHECK_THAT(std::string(other.status().message()),
               Catch::Contains("compression_level"));
  }
}

TEST_CASE("Compression: TrainCompressionDictionary refuses what it cannot do",
          "[store][compression]") {
  auto plain = Stream::Create(StreamOptions());
  BROOK_REQUIRE_OK(plain);
  CHECK(absl::IsFailedPrecondition(
      TrainCompressionDictionary(plain->get()).status()));
  auto packed = Stream::Create(Compressed(1));
  BROOK_REQUIRE_OK(packed);
  DictionaryTrainingOptions bad;
  bad.dictionary_bytes = 10;
  auto s = TrainCompressionDictionary(packed->get(), bad);
  REQUIRE(absl::IsInvalidArgument(s.status()));
  CHECK_THAT(std::string(s.status().message()),
             Catch::Contains("dictionary_bytes"));
  // An empty stream has nothing to train on.
  CHECK(absl::IsResourceExhausted(
      TrainCompressionDictionary(packed->get()).status()));
  CHECK(absl::IsInvalidArgument(
      InstallCompressionDictionary(packed->get(), "not a dictionary")
          .status()));
}

TEST_CASE("Compression: a memory stream with a dictionary round trips",
          "[store][compression]") {
  auto stream = Stream::Create(Compressed(1));
  BROOK_REQUIRE_OK(stream);
  std::mt19937_64 rng(3);
  auto want = AppendEvents(stream->get(), rng, 0, 2000, 100, /*logs=*/true);
  BROOK_REQUIRE_OK(TrainCompressionDictionary(stream->get()));
  const auto more = AppendEvents(stream->get(), rng, 2000, 1000, 100, true);
  want.insert(want.end(), more.begin(), more.end());
  auto got = testing::ReadShard(stream->get(), kShard0);
  BROOK_REQUIRE_OK(got);
  CheckSame(*got, want);
}

TEST_CASE("Compression: compressed frames through a crash and a torn tail",
          "[store][compression]") {
  testing::TempDir dir;
  std::mt19937_64 rng(5);
  auto stream = testing::OpenOrDie(dir.path(), Compressed(1));
  const auto want = AppendEvents(stream.get(), rng, 0, 1000, 100);
  testing::Crash(std::move(stream));
  // Tear the last frame: zero its second half.
  std::string file = ReadFile(SegmentPath(dir.path()));
  const auto frames = Frames(file);
  REQUIRE(frames.size() == 10);
  const auto [off, h] = frames.back();
  REQUIRE(h.codec() == BatchCodec::kZstd);
  std::fill(file.begin() + static_cast<std::ptrdiff_t>(off + h.frame_bytes / 2),
            file.begin() + static_cast<std::ptrdiff_t>(off + h.frame_bytes),
            '\0');
  WriteFile(SegmentPath(dir.path()), file);

  auto reopened = testing::OpenOrDie(dir.path(), Compressed(1));
  const RecoveryReport& report = reopened->recovery_report();
  REQUIRE(report.problems.size() == 1);
  CHECK_FALSE(report.problems[0].data_loss);
  CHECK(report.problems[0].offset == static_cast<int64_t>(off));
  auto got = testing::ReadShard(reopened.get(), kShard0);
  BROOK_REQUIRE_OK(got);
  // Every record of the frames before the torn one, in order, once.
  CheckSame(*got, {want.begin(), want.begin() + 900});
}

TEST_CASE("Compression: a flipped byte in a compressed frame is damage",
          "[store][compression]") {
  testing::TempDir dir;
  std::mt19937_64 rng(9);
  std::vector<std::pair<std::string, std::string>> want;
  {
    auto stream = testing::OpenOrDie(dir.path(), Compressed(3));
    want = AppendEvents(stream.get(), rng, 0, 1000, 100);
    BROOK_REQUIRE_OK(stream->Close());
  }
  std::string file = ReadFile(SegmentPath(dir.path()));
  const auto frames = Frames(file);
  REQUIRE(frames.size() == 10);
  const auto [off, h] = frames[4];
  file[off + internal::kBatchHeaderBytes + h.frame_bytes / 2] ^= 0x10;
  WriteFile(SegmentPath(dir.path()), file);

  SECTION("verify reports it; read-only reads serve what precedes it") {
    auto stream =
        testing::OpenOrDie(dir.path(), StreamOptions(), OpenMode::kVerify);
    const RecoveryReport& report = stream->recovery_report();
    REQUIRE(report.problems.size() == 1);
    CHECK(report.problems[0].data_loss);
    CHECK(report.problems[0].offset == static_cast<int64_t>(off));
    CHECK_THAT(report.problems[0].reason, Catch::Contains("crc mismatch"));
    auto got = testing::ReadShard(stream.get(), kShard0);
    BROOK_REQUIRE_OK(got);
    CheckSame(*got, {want.begin(), want.begin() + 400});
  }
}

TEST_CASE(
    "Compression: compressed frames that fail to decompress are kDataLoss",
    "[store][compression]") {
  // CRC matched (recomputed), but the payload is not what it says: verify
  // finds it by decompressing, and a read reports it.
  testing::TempDir dir;
  std::mt19937_64 rng(13);
  {
    auto stream = testing::OpenOrDie(dir.path(), Compressed(1));
    AppendEvents(stream.get(), rng, 0, 300, 100);
    BROOK_REQUIRE_OK(stream->Close());
  }
  std::string file = ReadFile(SegmentPath(dir.path()));
  const auto frames = Frames(file);
  REQUIRE(frames.size() == 3);
  const auto [off, h] = frames[1];
  // Garbage after the zstd frame header, then the frame recommitted.
  for (size_t i = 40; i < 60; ++i) {
    file[off + internal::kBatchHeaderBytes + i] ^= 0x5a;
  }
  char* const frame = &file[off];
  internal::EncodeFixed<uint32_t>(frame + internal::batch_field::kFlags,
                                  h.flags & ~internal::kBatchHasCrc);
  internal::CommitFrame(frame);
  WriteFile(SegmentPath(dir.path()), file);

  auto verify =
      testing::OpenOrDie(dir.path(), StreamOptions(), OpenMode::kVerify);
  REQUIRE(verify->recovery_report().problems.size() == 1);
  CHECK(verify->recovery_report().problems[0].data_loss);
  verify.reset();
  auto stream =
      testing::OpenOrDie(dir.path(), StreamOptions(), OpenMode::kReadOnly);
  auto got = testing::ReadShard(stream.get(), kShard0);
  REQUIRE(absl::IsDataLoss(got.status()));
}

TEST_CASE("Compression: a frame of an unknown codec is refused",
          "[store][compression]") {
  testing::TempDir dir;
  std::mt19937_64 rng(17);
  {
    auto stream = testing::OpenOrDie(dir.path(), Compressed(1));
    AppendEvents(stream.get(), rng, 0, 300, 100);
    BROOK_REQUIRE_OK(stream->Close());
  }
  std::string file = ReadFile(SegmentPath(dir.path()));
  const auto frames = Frames(file);
  const auto [off, h] = frames[1];
  char* const frame = &file[off];
  internal::EncodeFixed<uint32_t>(
      frame + internal::batch_field::kFlags,
      (h.flags & ~(internal::kBatchHasCrc | internal::kBatchCodecMask)) |
          (5u << internal::kBatchCodecShift));
  internal::CommitFrame(frame);
  WriteFile(SegmentPath(dir.path()), file);

  std::string reason;
  CHECK_FALSE(internal::CheckBatchHeader(internal::DecodeBatchHeader(frame),
                                         file.size() - off, &reason));
  CHECK_THAT(reason, Catch::Contains("unknown codec 5"));
  auto stream =
      testing::OpenOrDie(dir.path(), StreamOptions(), OpenMode::kVerify);
  REQUIRE(stream->recovery_report().problems.size() == 1);
  CHECK_THAT(stream->recovery_report().problems[0].reason,
             Catch::Contains("unknown codec 5"));
  auto got = testing::ReadShard(stream.get(), kShard0);
  BROOK_REQUIRE_OK(got);
  CHECK(got->size() == 100);
}

TEST_CASE("Compression: a follower process reads compressed frames",
          "[store][compression]") {
  testing::TempDir dir;
  std::mt19937_64 rng(21);
  auto writer = testing::OpenOrDie(dir.path(), Compressed(3));
  auto want = AppendEvents(writer.get(), rng, 0, 500, 50);
  BROOK_REQUIRE_OK(TrainCompressionDictionary(writer.get()));
  const auto more = AppendEvents(writer.get(), rng, 500, 500, 50);
  want.insert(want.end(), more.begin(), more.end());
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The follower: reads until it has every record, then compares.
    StreamOptions o;
    o.accept_stored_options = true;
    auto follower = Stream::Open(dir.path(), o, OpenMode::kReadOnly);
    if (!follower.ok()) ::_exit(2);
    Consumer consumer(follower->get());
    auto it =
        consumer.GetShardIterator(kShard0, StartingPosition::TrimHorizon());
    if (!it.ok()) ::_exit(3);
    size_t n = 0;
    while (n < want.size() + 100) {
      if (!consumer.WaitForRecords(*it, absl::Seconds(30))) ::_exit(4);
      auto r = consumer.GetRecords(*it);
      if (!r.ok()) ::_exit(5);
      for (const Record& rec : r->records()) {
        const std::string expected =
            n < want.size() ? want[n].second : std::string();
        if (n < want.size() && rec.data != expected) ::_exit(6);
        if (n >= want.size() && rec.data.substr(0, 1) != "{") ::_exit(7);
        ++n;
      }
      *it = r->next_shard_iterator();
    }
    ::_exit(0);
  }
  // Appended while the follower reads: it follows them too.
  AppendEvents(writer.get(), rng, 1000, 100, 50);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace brook
