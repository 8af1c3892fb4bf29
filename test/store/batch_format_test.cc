// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The batch frame module (batch_format.h) on its own: what BatchWriter and
// CommitFrame() write is what SEGMENT_FORMAT.md documents, BatchReader reads
// it back, and CheckFrame() tells committed, uncommitted and damaged frames
// apart.

#include "store/batch_format.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "util/coding.h"
#include "util/crc32c.h"

namespace brook {
namespace internal {
namespace {

std::vector<RoutedRecord> ThreeRecords() {
  std::vector<RoutedRecord> records(3);
  records[0].partition_key = "a";
  records[0].data = "first";
  records[0].hash_key = absl::MakeUint128(1, 2);
  records[1].partition_key = "key-two";
  records[1].data = "";
  records[1].hash_key = absl::MakeUint128(~uint64_t{0}, 7);
  records[1].has_explicit_hash_key = true;
  // Views: the bytes must outlive every caller's use of the records.
  static const std::string* const kLongKey = new std::string(300, 'k');
  static const std::string* const kLongData = new std::string(1000, 'd');
  records[2].partition_key = *kLongKey;
  records[2].data = *kLongData;
  records[2].hash_key = 42;
  return records;
}

// A committed frame of `records` at positions from 100, arrival 1234.
std::string CommittedFrame(const std::vector<RoutedRecord>& records) {
  size_t bytes = kBatchHeaderBytes;
  for (const RoutedRecord& r : records) bytes += EncodedRecordBytes(r);
  std::string frame(bytes + kBatchHeaderBytes, '\0');  // and a zero header
  BatchWriter writer(frame.data(), 100, 1234);
  for (const RoutedRecord& r : records) writer.Add(r);
  REQUIRE(writer.Finish() == bytes);
  CommitFrame(frame.data());
  return frame;
}

TEST_CASE("BatchFormat: header fields sit where SEGMENT_FORMAT.md says",
          "[store]") {
  const std::vector<RoutedRecord> records = ThreeRecords();
  const std::string frame = CommittedFrame(records);
  const char* p = frame.data();
  const uint32_t frame_bytes = DecodeFixed<uint32_t>(p);
  CHECK(frame_bytes == frame.size() - kBatchHeaderBytes);
  CHECK(DecodeFixed<uint32_t>(p + 4) == Crc32c(p + 8, frame_bytes - 8));
  CHECK(DecodeFixed<uint64_t>(p + 8) == 100);
  CHECK(DecodeFixed<int64_t>(p + 16) == 1234);
  CHECK(DecodeFixed<uint32_t>(p + 24) == 3);
  // Committed, no codec, not aggregated: only kBatchHasCrc.
  CHECK(DecodeFixed<uint32_t>(p + 28) == kBatchHasCrc);
  const BatchHeader h = DecodeBatchHeader(p);
  CHECK(h.codec() == BatchCodec::kNone);
  CHECK(h.end_position() == 103);
  // The first record: data bytes, key bytes, flags, reserved, hash, key, data.
  const char* r = p + kBatchHeaderBytes;
  CHECK(DecodeFixed<uint32_t>(r) == 5);
  CHECK(DecodeFixed<uint16_t>(r + 4) == 1);
  CHECK(r[6] == 0);
  CHECK(DecodeFixed<uint64_t>(r + 8) == 2);
  CHECK(DecodeFixed<uint64_t>(r + 16) == 1);
  CHECK(std::string(r + 24, 6) == "afirst");
}

TEST_CASE("BatchFormat: BatchReader gives back every record as written",
          "[store]") {
  const std::vector<RoutedRecord> records = ThreeRecords();
  const std::string frame = CommittedFrame(records);
  const BatchHeader h = DecodeBatchHeader(frame.data());
  BatchReader reader(frame.data(), h);
  for (size_t i = 0; i < records.size(); ++i) {
    REQUIRE_FALSE(reader.done());
    CHECK(reader.position() == 100 + i);
    Record out;
    REQUIRE(reader.Next(&out));
    CHECK(out.partition_key == records[i].partition_key);
    CHECK(out.data == records[i].data);
    CHECK(out.hash_key == records[i].hash_key);
    CHECK(out.has_explicit_hash_key == records[i].has_explicit_hash_key);
  }
  CHECK(reader.done());
  CHECK(reader.offset() == h.frame_bytes);

  SECTION("a reader resumes where an earlier one was") {
    BatchReader first(frame.data(), h);
    REQUIRE(first.Skip());
    BatchReader resumed(frame.data(), h);
    resumed.Resume(first.offset(), first.position());
    Record out;
    REQUIRE(resumed.Next(&out));
    CHECK(out.partition_key == "key-two");
  }
}

TEST_CASE("BatchFormat: CheckFrame tells committed frames from the rest",
          "[store]") {
  const std::vector<RoutedRecord> records = ThreeRecords();
  std::string frame = CommittedFrame(records);
  const size_t size = frame.size();
  BatchHeader h;
  std::string reason;
  REQUIRE(CheckFrame(frame.data(), size, 0, 100, true, &h, &reason) ==
          FrameCheck::kValid);
  CHECK(h.record_count == 3);
  const size_t end = h.frame_bytes;
  CHECK(CheckFrame(frame.data(), size, end, 103, true, &h, &reason) ==
        FrameCheck::kEnd);

  SECTION("a later position than expected") {
    CHECK(CheckFrame(frame.data(), size, 0, 99, true, &h, &reason) ==
          FrameCheck::kBad);
    CHECK(reason == "batch starts at position 100, expected 99");
  }
  SECTION("an older checksummed frame ends the log (a recycled file)") {
    CHECK(CheckFrame(frame.data(), size, 0, 500, true, &h, &reason) ==
          FrameCheck::kEnd);
  }
  SECTION("never committed") {
    EncodeFixed<uint32_t>(&frame[batch_field::kFlags], 0);
    CHECK(CheckFrame(frame.data(), size, 0, 100, true, &h, &reason) ==
          FrameCheck::kBad);
    CHECK(reason == "batch never committed (no crc)");
  }
  SECTION("a flipped data byte fails the CRC only when it is checked") {
    frame[end - 1] ^= 1;
    CHECK(CheckFrame(frame.data(), size, 0, 100, false, &h, &reason) ==
          FrameCheck::kValid);
    CHECK(CheckFrame(frame.data(), size, 0, 100, true, &h, &reason) ==
          FrameCheck::kBad);
    CHECK(reason.rfind("crc mismatch", 0) == 0);
  }
  SECTION("records that do not fill the frame, checksummed anyway") {
    EncodeFixed<uint32_t>(&frame[batch_field::kRecordCount], 2);
    EncodeFixed<uint32_t>(&frame[batch_field::kFlags], 0);
    CommitFrame(frame.data());
    CHECK(CheckFrame(frame.data(), size, 0, 100, true, &h, &reason) ==
          FrameCheck::kBad);
    CHECK(reason == "1324 bytes after the batch's last record");
  }
  SECTION("a length past the data") {
    EncodeFixed<uint32_t>(&frame[batch_field::kFrameBytes],
                          static_cast<uint32_t>(size + 1));
    CHECK(CheckFrame(frame.data(), size, 0, 100, false, &h, &reason) ==
          FrameCheck::kBad);
    CHECK_FALSE(CheckBatchHeader(h, size, &reason));
  }
  SECTION("a torn header") {
    EncodeFixed<uint32_t>(&frame[batch_field::kFrameBytes], 0);
    CHECK(CheckFrame(frame.data(), size, 0, 100, false, &h, &reason) ==
          FrameCheck::kBad);
    CHECK(reason == "torn batch header");
  }
}

}  // namespace
}  // namespace internal
}  // namespace brook
