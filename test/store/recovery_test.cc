// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Recovery of damaged segment files (LevelDB's log tests, applied to brook's
// frames): every cut, flipped byte, zeroed tail and bad length of the last
// batch loses that batch only, and says so; damage before the tail is data
// loss, reported with its file and offset.

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/stream.h"

#include "store/batch_format.h"
#include "store/store_testing.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include "util/coding.h"
#include <unistd.h>

namespace brook {
namespace {

using internal::BatchHeader;
using internal::DecodeBatchHeader;
using internal::EncodeFixed;
using testing::AppendBatch;
using testing::CheckNumbered;
using testing::Crash;
using testing::OpenOrDie;
using testing::OwnedRecord;
using testing::ReadFileBytes;
using testing::ReadShard;
using testing::TempDir;
using testing::WriteFileBytes;

constexpr int kPerBatch = 3;

struct Frame {
  size_t offset;
  size_t bytes;
  int records;
};

// The frames of segment file `path`, read as the format says.
std::vector<Frame> FramesOf(const std::string& path) {
  const std::string bytes = ReadFileBytes(path);
  std::vector<Frame> frames;
  size_t off = 0;
  while (off + internal::kBatchHeaderBytes <= bytes.size()) {
    const BatchHeader h = DecodeBatchHeader(bytes.data() + off);
    if (h.frame_bytes == 0) break;
    frames.push_back({off, h.frame_bytes, static_cast<int>(h.record_count)});
    off += h.frame_bytes;
  }
  return frames;
}

// A stream directory holding `batches` batches of kPerBatch records in shard
// 0, left as a crash leaves it. Returns the shard's segment paths, in order.
std::vector<std::string> MakeCrashedStream(const std::string& dir, int batches,
                                           size_t data_bytes = 40) {
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
  for (int b = 0; b < batches; ++b) {
    AppendBatch(stream.get(), b * kPerBatch, kPerBatch, data_bytes);
  }
  Crash(std::move(stream));
  std::vector<std::string> files;
  for (const auto& e :
       std::filesystem::directory_iterator(dir + "/shardId-000000000000")) {
    // Not the shard's bounds marker.
    if (e.path().extension() == ".seg") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Opens `dir` for writing and checks that it holds exactly the first
// `records` records, that the problems are as expected, that the stream takes
// new records, and that a second open finds nothing wrong.
void CheckRecovered(const std::string& dir, int records, bool expect_problem,
                    const std::string& file, size_t offset) {
  StreamOptions options;
  options.accept_stored_options = true;  // as MakeCrashedStream made it
  {
    std::unique_ptr<Stream> stream =
        OpenOrDie(dir, options, OpenMode::kMustExist);
    const RecoveryReport& report = stream->recovery_report();
    CHECK_FALSE(report.clean_shutdown);
    if (expect_problem) {
      REQUIRE(report.problems.size() == 1);
      CHECK(report.problems[0].file == file);
      CHECK(report.problems[0].offset == static_cast<int64_t>(offset));
      CHECK(report.problems[0].bytes > 0);
      CHECK_FALSE(report.problems[0].data_loss);
      CHECK(!report.problems[0].reason.empty());
    } else {
      CHECK(report.problems.empty());
    }
    testing::CheckShardNumbered(stream.get(), records);
    AppendBatch(stream.get(), records, kPerBatch);
    Crash(std::move(stream));
  }
  std::unique_ptr<Stream> stream =
      OpenOrDie(dir, options, OpenMode::kMustExist);
  CHECK(stream->recovery_report().problems.empty());
  testing::CheckShardNumbered(stream.get(), records + kPerBatch);
}

// A crashed stream of 20 batches in one segment, and a work copy to damage.
struct LastBatch {
  LastBatch() {
    const std::vector<std::string> files =
        MakeCrashedStream(tmp.Sub("pristine"), 20);
    REQUIRE(files.size() == 1);
    pristine = ReadFileBytes(files[0]);
    last = FramesOf(files[0]).back();
    path = work + "/shardId-000000000000/" +
           std::filesystem::path(files[0]).filename().string();
  }
  // A fresh work copy whose segment holds `bytes`.
  void Write(const std::string& bytes) const {
    testing::CopyDir(tmp.Sub("pristine"), work);
    WriteFileBytes(path, bytes);
  }

  TempDir tmp;
  const std::string work = tmp.Sub("work");
  std::string pristine;
  Frame last;
  std::string path;
};

TEST_CASE("Recovery: the last batch cut at every byte offset",
          "[store][recovery]") {
  LastBatch f;
  const std::string& path = f.path;
  const Frame& last = f.last;
  for (size_t cut = 0; cut < last.bytes; ++cut) {
    INFO("cut at " << cut << " of " << last.bytes);
    // Torn write: bytes from the cut on never reached the file.
    std::string bytes = f.pristine;
    std::fill(bytes.begin() + static_cast<long>(last.offset + cut),
              bytes.begin() + static_cast<long>(last.offset + last.bytes),
              '\0');
    f.Write(bytes);
    CheckRecovered(f.work, 19 * kPerBatch, cut > 0, path, last.offset);
    // Short file: it ends at the cut.
    f.Write(f.pristine);
    REQUIRE(::truncate(path.c_str(), static_cast<off_t>(last.offset + cut)) ==
            0);
    CheckRecovered(f.work, 19 * kPerBatch, cut > 0, path, last.offset);
  }
}

TEST_CASE("Recovery: every byte of the last batch flipped",
          "[store][recovery]") {
  LastBatch f;
  const std::string& path = f.path;
  const Frame& last = f.last;
  for (size_t i = 0; i < last.bytes; ++i) {
    INFO("byte " << i << " of " << last.bytes);
    std::string bytes = f.pristine;
    bytes[last.offset + i] = static_cast<char>(bytes[last.offset + i] ^ 0x5a);
    f.Write(bytes);
    CheckRecovered(f.work, 19 * kPerBatch, true, path, last.offset);
  }
}

TEST_CASE("Recovery: zeroed tail and corrupt lengths of the last batch",
          "[store][recovery]") {
  LastBatch f;
  const std::string& path = f.path;
  const Frame& last = f.last;

  SECTION("the whole batch zeroed reads as the end of the log") {
    std::string bytes = f.pristine;
    std::fill_n(bytes.begin() + static_cast<long>(last.offset), last.bytes,
                '\0');
    f.Write(bytes);
    CheckRecovered(f.work, 19 * kPerBatch, false, path, last.offset);
  }
  SECTION("bad frame lengths") {
    const uint32_t length = GENERATE_COPY(
        uint32_t{1}, uint32_t{31}, uint32_t{32}, uint32_t{55},
        static_cast<uint32_t>(last.bytes - 1),
        static_cast<uint32_t>(last.bytes + 1), uint32_t{1} << 20, ~uint32_t{0});
    INFO("frame length " << length);
    std::string bytes = f.pristine;
    EncodeFixed<uint32_t>(&bytes[last.offset], length);
    f.Write(bytes);
    CheckRecovered(f.work, 19 * kPerBatch, true, path, last.offset);
  }
  SECTION("a zero length before a written header is a torn header") {
    std::string bytes = f.pristine;
    EncodeFixed<uint32_t>(&bytes[last.offset], 0);
    f.Write(bytes);
    CheckRecovered(f.work, 19 * kPerBatch, true, path, last.offset);
  }
  SECTION("garbage after the last batch is dropped") {
    std::string bytes = f.pristine;
    const size_t end = last.offset + last.bytes;
    for (size_t i = 0; i < 100; ++i)
      bytes[end + i] = static_cast<char>(0x11 + i);
    f.Write(bytes);
    CheckRecovered(f.work, 20 * kPerBatch, true, path, end);
  }
}

TEST_CASE("Recovery: damage before the tail is data loss, never skipped",
          "[store][recovery]") {
  TempDir tmp;
  // 300 batches of three 200-byte records fill four 64 KiB segments.
  const std::vector<std::string> files =
      MakeCrashedStream(tmp.Sub("pristine"), 300, 200);
  REQUIRE(files.size() >= 3);
  const std::string work = tmp.Sub("work");
  StreamOptions options;
  options.accept_stored_options = true;  // as MakeCrashedStream made it

  // Which segment and which of its frames to damage.
  const size_t file_index = GENERATE(size_t{0}, size_t{1}, size_t{99});
  const std::string victim = files[std::min(file_index, files.size() - 1)];
  const std::vector<Frame> frames = FramesOf(victim);
  REQUIRE(frames.size() >= 3);
  const Frame bad = frames[frames.size() / 2];
  const std::string name = std::filesystem::path(victim).filename().string();
  const std::string path = work + "/shardId-000000000000/" + name;
  // Records before the damaged batch (a batch may be split between
  // segments, so count what the frames say).
  int before = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i] == victim) break;
    for (const Frame& f : FramesOf(files[i])) before += f.records;
  }
  for (size_t i = 0; i < frames.size() / 2; ++i) before += frames[i].records;

  // Flip a data byte, bad length, zero crc, zero the whole header.
  const int how = GENERATE(0, 1, 2, 3);
  INFO("segment " << name << " frame at " << bad.offset << " damage " << how);
  testing::CopyDir(tmp.Sub("pristine"), work);
  std::string bytes = ReadFileBytes(path);
  if (how == 0) bytes[bad.offset + bad.bytes - 3] ^= 0x01;
  if (how == 1)
    EncodeFixed<uint32_t>(&bytes[bad.offset],
                          static_cast<uint32_t>(bad.bytes + 7));
  if (how == 2) EncodeFixed<uint32_t>(&bytes[bad.offset + 4], 0);
  if (how == 3)
    std::fill_n(&bytes[bad.offset], internal::kBatchHeaderBytes, '\0');
  WriteFileBytes(path, bytes);

  absl::StatusOr<std::unique_ptr<Stream>> writer =
      Stream::Open(work, options, OpenMode::kMustExist);
  BROOK_CHECK_CODE(writer, kDataLoss);
  CHECK(writer.status().message().find(
            absl::StrCat("segment ", path, " offset ", bad.offset, ":")) !=
        absl::string_view::npos);

  std::unique_ptr<Stream> reader =
      OpenOrDie(work, options, OpenMode::kReadOnly);
  const RecoveryReport& report = reader->recovery_report();
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].data_loss);
  CHECK(report.problems[0].file == path);
  CHECK(report.problems[0].offset == static_cast<int64_t>(bad.offset));
  // Every record before the damage. In a file the open's recovery did not
  // walk (all but the last), the damage was found when first reached
  // (here by the report): every read at it says so.
  std::vector<testing::OwnedRecord> records;
  const absl::Status read =
      testing::ReadShardInto(reader.get(), "shardId-000000000000",
                             StartingPosition::TrimHorizon(), &records);
  if (victim == files.back()) {
    BROOK_CHECK_OK(read);
  } else {
    BROOK_CHECK_CODE(read, kDataLoss);
    CHECK(absl::StrContains(read.message(), path));
  }
  testing::CheckNumbered(records, before);
  // Nothing was changed on disk.
  CHECK(ReadFileBytes(path) == bytes);
}

TEST_CASE("Recovery: old frames in reused segment files end the log quietly",
          "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const StreamOptions options = testing::DropOldestOptions();
  const bool clean = GENERATE(true, false);
  INFO((clean ? "clean close" : "crash"));
  int first_kept = 0;
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
    // Ten times the bound: every file has been reused several times, and the
    // open segment is a reused file with old frames after its last batch.
    for (int b = 0; b < 900; ++b) {
      AppendBatch(stream.get(), b * kPerBatch, kPerBatch, 300);
    }
    absl::StatusOr<std::vector<OwnedRecord>> r =
        ReadShard(stream.get(), "shardId-000000000000");
    BROOK_REQUIRE_OK(r);
    REQUIRE(!r->empty());
    first_kept = std::stoi(r->front().data.substr(1));
    if (clean) {
      BROOK_REQUIRE_OK(stream->Close());
    } else {
      Crash(std::move(stream));
    }
  }
  std::unique_ptr<Stream> stream =
      OpenOrDie(dir, options, OpenMode::kMustExist);
  CHECK(stream->recovery_report().problems.empty());
  absl::StatusOr<std::vector<OwnedRecord>> r =
      ReadShard(stream.get(), "shardId-000000000000");
  BROOK_REQUIRE_OK(r);
  REQUIRE(r->size() == static_cast<size_t>(900 * kPerBatch - first_kept));
  for (size_t i = 0; i < r->size(); ++i) {
    REQUIRE(std::stoi((*r)[i].data.substr(1)) ==
            first_kept + static_cast<int>(i));
  }
}

}  // namespace
}  // namespace brook
