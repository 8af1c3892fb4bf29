// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Issue 7: read-only opens. A clean directory is read like the writer reads
// it (headers only); kVerify checksums everything; a writer appending,
// rolling and dropping segments meanwhile is never reported as damage.

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/stream.h"

#include "store/batch_format.h"
#include "store/mmap_recovery.h"
#include "store/store_testing.h"
#include "testing/barrier.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::AppendBatch;
using testing::Crash;
using testing::OpenOrDie;
using testing::ReadShard;
using testing::TempDir;

StreamOptions SmallSegments() {
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  return options;
}

TEST_CASE("Recovery: a read-only open of a clean directory reads headers",
          "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, SmallSegments());
    for (int b = 0; b < 300; ++b) AppendBatch(stream.get(), b * 3, 3, 200);
    BROOK_REQUIRE_OK(stream->Close());
  }
  std::unique_ptr<Stream> reader =
      OpenOrDie(dir, StreamOptions(), OpenMode::kReadOnly);
  const RecoveryReport& report = reader->recovery_report();
  CHECK(report.clean_shutdown);
  CHECK(report.problems.empty());
  CHECK(report.scanned_records == 900);
  // Only the shard's last batch was checksummed.
  CHECK(report.checksummed_bytes > 0);
  CHECK(report.checksummed_bytes < report.scanned_bytes / 100);
  testing::CheckShardNumbered(reader.get(), 900);

  std::unique_ptr<Stream> verifier =
      OpenOrDie(dir, StreamOptions(), OpenMode::kVerify);
  const RecoveryReport& verified = verifier->recovery_report();
  CHECK(verified.clean_shutdown);
  CHECK(verified.scanned_records == 900);
  CHECK(verified.checksummed_bytes == verified.scanned_bytes);
}

TEST_CASE("Recovery: kVerify finds a flipped byte a clean open does not read",
          "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, SmallSegments());
    for (int b = 0; b < 10; ++b) AppendBatch(stream.get(), b * 3, 3, 20);
    BROOK_REQUIRE_OK(stream->Close());
  }
  std::string segment;
  for (const auto& e :
       std::filesystem::directory_iterator(dir + "/shardId-000000000000")) {
    if (e.path().extension() == ".seg") segment = e.path().string();
  }
  std::string bytes = testing::ReadFileBytes(segment);
  bytes[60] ^= 0x01;  // in the first batch's first record
  testing::WriteFileBytes(segment, bytes);
  {
    std::unique_ptr<Stream> reader =
        OpenOrDie(dir, StreamOptions(), OpenMode::kReadOnly);
    CHECK(reader->recovery_report().problems.empty());
  }
  std::unique_ptr<Stream> verifier =
      OpenOrDie(dir, StreamOptions(), OpenMode::kVerify);
  const RecoveryReport& report = verifier->recovery_report();
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].data_loss);
  CHECK(report.problems[0].file == segment);
  CHECK(report.problems[0].offset == 0);
}

TEST_CASE("Recovery: read-only, an uncommitted last batch is the live end",
          "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, SmallSegments());
    for (int b = 0; b < 10; ++b) AppendBatch(stream.get(), b * 3, 3, 20);
    Crash(std::move(stream));
  }
  std::string segment;
  for (const auto& e :
       std::filesystem::directory_iterator(dir + "/shardId-000000000000")) {
    if (e.path().extension() == ".seg") segment = e.path().string();
  }
  // The last batch as an append in progress leaves it: no kBatchHasCrc.
  std::string bytes = testing::ReadFileBytes(segment);
  size_t off = 0, last = 0;
  while (internal::DecodeFixed<uint32_t>(&bytes[off]) != 0) {
    last = off;
    off += internal::DecodeFixed<uint32_t>(&bytes[off]);
  }
  internal::EncodeFixed<uint32_t>(&bytes[last + internal::batch_field::kFlags],
                                  0);
  testing::WriteFileBytes(segment, bytes);
  for (const OpenMode mode : {OpenMode::kReadOnly, OpenMode::kVerify}) {
    std::unique_ptr<Stream> reader = OpenOrDie(dir, StreamOptions(), mode);
    CHECK(reader->recovery_report().problems.empty());
    testing::CheckShardNumbered(reader.get(), 27);
  }
  // The writer truncates it, and says so.
  std::unique_ptr<Stream> writer =
      OpenOrDie(dir, StreamOptions(), OpenMode::kMustExist);
  REQUIRE(writer->recovery_report().problems.size() == 1);
  CHECK_FALSE(writer->recovery_report().problems[0].data_loss);
  testing::CheckShardNumbered(writer.get(), 27);
}

// Records "r<k>".."r<k+n-1>" for some k: what retention and a live writer
// leave readable. A reader follows the writer, so retention may also drop
// records while it reads: then the records go on past a gap, and the reads
// counted at least that many records as skipped (never a silent loss).
void CheckConsecutive(const std::vector<testing::OwnedRecord>& records,
                      uint64_t skipped) {
  uint64_t gaps = 0;
  for (size_t i = 1; i < records.size(); ++i) {
    const int prev = std::stoi(records[i - 1].data.substr(1));
    const int cur = std::stoi(records[i].data.substr(1));
    INFO("record " << i << " after r" << prev << ", " << skipped << " skipped");
    REQUIRE(cur > prev);
    gaps += static_cast<uint64_t>(cur - prev - 1);
    REQUIRE(gaps <= skipped);
    REQUIRE(records[i].partition_key == absl::StrCat("key-", cur));
  }
}

TEST_CASE("Recovery: read-only opens racing a writer report no damage",
          "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  // Small segments and byte retention: the writer rolls, drops and reuses
  // segment files all the time.
  const StreamOptions options = testing::DropOldestOptions();
  std::unique_ptr<Stream> writer = OpenOrDie(dir, options);
  constexpr int kRounds = 40;
  constexpr int kMaxBatchesPerRound = 5000;
  std::vector<std::unique_ptr<testing::Barrier>> rounds;
  for (int r = 0; r < kRounds; ++r) {
    rounds.push_back(std::make_unique<testing::Barrier>(2));
  }
  std::atomic<int> reader_done{-1};  // the last round the reader finished
  std::thread appender([&] {
    int next = 0;
    for (int r = 0; r < kRounds; ++r) {
      rounds[r]->ArriveAndWait();
      // Appends for as long as the reader opens (sizes vary so that frames
      // do not line up with pages).
      for (int b = 0; b < kMaxBatchesPerRound &&
                      reader_done.load(std::memory_order_acquire) < r;
           ++b) {
        const int count = 1 + (next % 5);
        AppendBatch(writer.get(), next, count, 100 + (next % 300));
        next += count;
      }
    }
  });
  int opened = 0;
  for (int r = 0; r < kRounds; ++r) {
    rounds[r]->ArriveAndWait();
    const OpenMode mode = r % 2 == 0 ? OpenMode::kReadOnly : OpenMode::kVerify;
    absl::StatusOr<std::unique_ptr<Stream>> reader =
        Stream::Open(dir, StreamOptions(), mode);
    if (!reader.ok()) {
      FAIL_CHECK("round " << r << ": " << reader.status());
      reader_done.store(r, std::memory_order_release);
      continue;
    }
    ++opened;
    const RecoveryReport& report = (*reader)->recovery_report();
    for (const RecoveryReport::Problem& p : report.problems) {
      FAIL_CHECK("round " << r << ": " << p.file << " offset " << p.offset
                          << ": " << p.reason);
    }
    uint64_t skipped = 0;
    absl::StatusOr<std::vector<testing::OwnedRecord>> records =
        ReadShard(reader->get(), "shardId-000000000000",
                  StartingPosition::TrimHorizon(), &skipped);
    BROOK_CHECK_OK(records);
    if (records.ok()) CheckConsecutive(*records, skipped);
    reader->reset();
    reader_done.store(r, std::memory_order_release);
  }
  appender.join();
  CHECK(opened == kRounds);
  BROOK_REQUIRE_OK(writer->Close());
}

// Runs `hook` after each segment file the writer makes: a new file, or a
// recycled one renamed to a segment's name (before the writer wrote to it).
class SegmentHookEnv : public EnvWrapper {
 public:
  SegmentHookEnv(Env* target, std::function<void()> hook)
      : EnvWrapper(target), hook_(std::move(hook)) {}
  absl::StatusOr<std::unique_ptr<File>> OpenFile(absl::string_view path,
                                                 FileOpenMode mode) override {
    absl::StatusOr<std::unique_ptr<File>> f = EnvWrapper::OpenFile(path, mode);
    if (f.ok() && mode == FileOpenMode::kCreate) MaybeHook(path);
    return f;
  }
  absl::Status RenameFile(absl::string_view from,
                          absl::string_view to) override {
    absl::Status s = EnvWrapper::RenameFile(from, to);
    if (s.ok()) MaybeHook(to);
    return s;
  }
  int hooked() const { return hooked_; }

 private:
  void MaybeHook(absl::string_view path) {
    uint64_t base = 0;
    if (!internal::ParseSegmentName(path.substr(path.rfind('/') + 1), &base)) {
      return;
    }
    ++hooked_;
    hook_();
  }
  std::function<void()> hook_;
  int hooked_ = 0;
};

TEST_CASE(
    "Recovery: a read-only open at the moment the writer makes a segment "
    "file reports no damage",
    "[store][recovery]") {
  // Deterministic form of the race above: a verify open runs inside the
  // writer's append, right after each segment file appears (new, or recycled
  // and still holding old frames), while the frames of an append that spans
  // two segments are not all written yet.
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  std::vector<std::string> problems;
  bool opened = false;
  SegmentHookEnv env(Env::Default(), [&] {
    if (!opened) return;  // the writer's own open
    absl::StatusOr<std::unique_ptr<Stream>> reader =
        Stream::Open(dir, StreamOptions(), OpenMode::kVerify);
    if (!reader.ok()) {
      problems.push_back(std::string(reader.status().message()));
      return;
    }
    for (const RecoveryReport::Problem& p :
         (*reader)->recovery_report().problems) {
      problems.push_back(
          absl::StrCat(p.file, " offset ", p.offset, ": ", p.reason));
    }
  });
  StreamOptions options = testing::DropOldestOptions();
  options.env = &env;
  std::unique_ptr<Stream> writer = OpenOrDie(dir, options);
  opened = true;
  // Batches of 1-9 records of 100-399 bytes: many appends span two segments;
  // retention drops and recycles segment files all along.
  int next = 0;
  while (env.hooked() < 40) {
    const int count = 1 + (next % 9);
    AppendBatch(writer.get(), next, count, 100 + (next * 37 % 300));
    next += count;
  }
  for (const std::string& p : problems) FAIL_CHECK(p);
  CHECK(problems.empty());
  BROOK_REQUIRE_OK(writer->Close());
}

}  // namespace
}  // namespace brook
