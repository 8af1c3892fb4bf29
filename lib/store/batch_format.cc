// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The batch frame's committing and checking (batch_format.h).

#include "store/batch_format.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "util/crc32c.h"

namespace brook {
namespace internal {

uint32_t ComputeFrameCrc(const char* frame, size_t frame_bytes) {
  // Checked where the frame is stored, mostly not in cache (recovery, a
  // follower); CommitFrame() computes it on bytes just written.
  return Crc32cExtendFromMemory(0, frame + batch_field::kCrcStart,
                                frame_bytes - batch_field::kCrcStart);
}

size_t BatchWriter::FinishCompressed() {
  const size_t raw = static_cast<size_t>(p_ - scratch_);
  // Stored compressed only if that is smaller and can hold a record header
  // (recovery's checks want a frame at least that long).
  const size_t z = CompressFrame(*compression_, scratch_, raw,
                                 dst_ + kBatchHeaderBytes, raw - 1);
  if (z >= kRecordHeaderBytes) {
    header_.flags |= static_cast<uint32_t>(BatchCodec::kZstd)
                     << kBatchCodecShift;
    header_.frame_bytes = static_cast<uint32_t>(kBatchHeaderBytes + z);
  } else {
    std::memcpy(dst_ + kBatchHeaderBytes, scratch_, raw);
    header_.frame_bytes = static_cast<uint32_t>(kBatchHeaderBytes + raw);
  }
  EncodeBatchHeader(dst_, header_);
  return header_.frame_bytes;
}

absl::Status DecompressRecords(const char* frame, const BatchHeader& h,
                               const FrameCodec* codec, std::string* buffer) {
  const char* const payload = frame + kBatchHeaderBytes;
  const size_t n = h.frame_bytes - kBatchHeaderBytes;
  absl::StatusOr<size_t> size = DecompressedBytes(payload, n);
  if (!size.ok()) return size.status();
  if (*size / kRecordHeaderBytes < h.record_count) {
    return absl::DataLossError(absl::StrCat("compressed records: ", *size,
                                            " bytes cannot hold ",
                                            h.record_count, " records"));
  }
  buffer->resize(*size);
  return DecompressFrame(payload, n, codec, &(*buffer)[0], *size);
}

bool AllZero(const char* p, size_t n) {
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    if (v != 0) return false;
  }
  for (; n > 0; --n, ++p) {
    if (*p != 0) return false;
  }
  return true;
}

BatchHeader CommitFrame(char* frame) {
  BatchHeader h = DecodeBatchHeader(frame);
  h.flags |= kBatchHasCrc;
  // The CRC covers the flags as they will read; they come after it in the
  // checksummed range, so it is computed around their new value.
  char flags[4];
  EncodeFixed<uint32_t>(flags, h.flags);
  uint32_t crc = Crc32cExtend(0, frame + batch_field::kCrcStart,
                              batch_field::kFlags - batch_field::kCrcStart);
  crc = Crc32cExtend(crc, flags, sizeof(flags));
  crc = Crc32cExtend(crc, frame + kBatchHeaderBytes,
                     h.frame_bytes - kBatchHeaderBytes);
  h.crc = crc;
  // The CRC is stored before the flag, so that a reader (a read-only stream,
  // maybe another process) that sees kBatchHasCrc sees a complete frame: a
  // frame without the flag is an append in progress.
  EncodeFixed<uint32_t>(frame + batch_field::kCrc, h.crc);
  std::atomic_thread_fence(std::memory_order_release);
  EncodeFixed<uint32_t>(frame + batch_field::kFlags, h.flags);
  return h;
}

bool CheckBatchHeader(const BatchHeader& h, size_t available,
                      std::string* reason) {
  if (h.frame_bytes < kBatchHeaderBytes + kRecordHeaderBytes ||
      h.frame_bytes > available) {
    *reason = absl::StrCat("frame length ", h.frame_bytes, " out of bounds (",
                           available, " bytes left)");
    return false;
  }
  if (h.record_count == 0) {
    *reason = "batch of no records";
    return false;
  }
  const BatchCodec codec = h.codec();
  if (codec != BatchCodec::kNone && codec != BatchCodec::kZstd) {
    *reason =
        absl::StrCat("batch of unknown codec ", static_cast<uint32_t>(codec),
                     " (this build reads 0 and 1)");
    return false;
  }
  return true;
}

namespace {

bool CheckRecordLayout(BatchReader records, const BatchHeader& h,
                       std::string* reason) {
  for (uint32_t i = 0; i < h.record_count; ++i) {
    if (!records.Skip()) {
      *reason = absl::StrCat("record ", i, " overruns its batch");
      return false;
    }
  }
  if (records.offset() != records.frame_bytes()) {
    *reason = absl::StrCat(records.frame_bytes() - records.offset(),
                           " bytes after the batch's last record");
    return false;
  }
  return true;
}

// With the CRC matched: the records must fill the frame exactly.
bool CheckRecords(const char* frame, const BatchHeader& h,
                  std::string* reason) {
  if (h.codec() == BatchCodec::kZstd) {
    const char* const payload = frame + kBatchHeaderBytes;
    const size_t n = h.frame_bytes - kBatchHeaderBytes;
    if (DictionaryIdOf(payload, n) != 0) {
      absl::StatusOr<size_t> size = DecompressedBytes(payload, n);
      if (size.ok()) return true;
      *reason = std::string(size.status().message());
      return false;
    }
    thread_local std::string buffer;
    absl::Status s = DecompressRecords(frame, h, nullptr, &buffer);
    if (!s.ok()) {
      *reason = std::string(s.message());
      return false;
    }
    return CheckRecordLayout(BatchReader(buffer.data(), buffer.size(), h), h,
                             reason);
  }
  return CheckRecordLayout(BatchReader(frame, h), h, reason);
}

}  // namespace

FrameCheck CheckFrame(const char* data, size_t size, size_t off,
                      uint64_t expected, bool verify_crc, BatchHeader* h,
                      std::string* reason) {
  const size_t left = size - off;
  if (left < kBatchHeaderBytes) {
    if (AllZero(data + off, left)) return FrameCheck::kEnd;
    *reason = "truncated batch header";
    return FrameCheck::kBad;
  }
  // The writer sets kBatchHasCrc last (after a release fence, see
  // CommitFrame()): once it is seen, the rest of the frame is final.
  const uint32_t flags =
      DecodeFixed<uint32_t>(data + off + batch_field::kFlags);
  std::atomic_thread_fence(std::memory_order_acquire);
  *h = DecodeBatchHeader(data + off);
  h->flags = flags;
  if (h->frame_bytes == 0) {
    if (AllZero(data + off, kBatchHeaderBytes)) return FrameCheck::kEnd;
    *reason = "torn batch header";
    return FrameCheck::kBad;
  }
  if (!CheckBatchHeader(*h, left, reason)) return FrameCheck::kBad;
  if (expected != 0 && h->first_position != expected) {
    // A recycled segment file holds old frames past the end of the log:
    // checksummed, and older than anything this segment can hold. A damaged
    // position fails the checksum instead.
    if (h->first_position < expected && (h->flags & kBatchHasCrc) != 0 &&
        ComputeFrameCrc(data + off, h->frame_bytes) == h->crc) {
      return FrameCheck::kEnd;
    }
    *reason = absl::StrCat("batch starts at position ", h->first_position,
                           ", expected ", expected);
    return FrameCheck::kBad;
  }
  if ((h->flags & kBatchHasCrc) == 0) {
    *reason = "batch never committed (no crc)";
    return FrameCheck::kBad;
  }
  if (!verify_crc) return FrameCheck::kValid;
  const uint32_t crc = ComputeFrameCrc(data + off, h->frame_bytes);
  if (crc != h->crc) {
    *reason = absl::StrFormat("crc mismatch (stored %08x, computed %08x)",
                              h->crc, crc);
    return FrameCheck::kBad;
  }
  if (!CheckRecords(data + off, *h, reason)) return FrameCheck::kBad;
  return FrameCheck::kValid;
}

bool PlausibleCommittedHeader(const char* data, size_t size, size_t off) {
  const BatchHeader h = DecodeBatchHeader(data + off);
  return h.frame_bytes >= kBatchHeaderBytes + kRecordHeaderBytes &&
         h.frame_bytes <= size - off &&
         (h.flags & ~kBatchCodecMask) == kBatchHasCrc &&
         h.codec() <= BatchCodec::kZstd && h.record_count != 0;
}

}  // namespace internal
}  // namespace brook
