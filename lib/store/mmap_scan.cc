// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Frame-level scanning for recovery (declared in mmap_recovery.h): segment
// and marker names, checking frames, walking a segment, and looking past the
// end of its log.

#include <algorithm>
#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "store/mmap_recovery.h"
#include "store/record_format.h"
#include "util/crc32c.h"

namespace brook {
namespace internal {
namespace {

constexpr size_t kPositionDigits = 20;

// Parses exactly kPositionDigits decimal digits.
bool ParsePosition(absl::string_view digits, uint64_t* out) {
  if (digits.size() != kPositionDigits) return false;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (~uint64_t{0} - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

// What checking one frame found.
enum class FrameKind { kEnd, kValid, kBad };

// Checks the frame at `off` of `data[0, size)`, expected to hold position
// `expected` (any position if `expected` is 0). Never reads past `size`.
// The end of the log is a zero header, or an old checksummed frame of a
// recycled file (position below `expected`).
FrameKind CheckFrame(const char* data, size_t size, size_t off,
                     uint64_t expected, bool verify_crc, BatchHeader* h,
                     std::string* reason) {
  const size_t left = size - off;
  if (left < kBatchHeaderBytes) {
    if (AllZero(data + off, left)) return FrameKind::kEnd;
    *reason = "truncated batch header";
    return FrameKind::kBad;
  }
  // The writer sets kBatchHasCrc last (after a release fence): once it is
  // seen, the rest of the frame is final.
  const uint32_t flags = DecodeFixed<uint32_t>(data + off + 28);
  std::atomic_thread_fence(std::memory_order_acquire);
  *h = DecodeBatchHeader(data + off);
  h->flags = flags;
  if (h->frame_bytes == 0) {
    if (AllZero(data + off, kBatchHeaderBytes)) return FrameKind::kEnd;
    *reason = "torn batch header";
    return FrameKind::kBad;
  }
  if (h->frame_bytes < kBatchHeaderBytes + kRecordHeaderBytes ||
      h->frame_bytes > left) {
    *reason = absl::StrCat("frame length ", h->frame_bytes, " out of bounds (",
                           left, " bytes left)");
    return FrameKind::kBad;
  }
  if (h->record_count == 0) {
    *reason = "batch of no records";
    return FrameKind::kBad;
  }
  if (expected != 0 && h->first_position != expected) {
    // A recycled segment file holds old frames past the end of the log:
    // checksummed, and older than anything this segment can hold. A damaged
    // position fails the checksum instead.
    if (h->first_position < expected && (h->flags & kBatchHasCrc) != 0 &&
        Crc32c(data + off + 8, h->frame_bytes - size_t{8}) == h->crc) {
      return FrameKind::kEnd;
    }
    *reason = absl::StrCat("batch starts at position ", h->first_position,
                           ", expected ", expected);
    return FrameKind::kBad;
  }
  if ((h->flags & kBatchHasCrc) == 0) {
    *reason = "batch never committed (no crc)";
    return FrameKind::kBad;
  }
  if (!verify_crc) return FrameKind::kValid;
  const uint32_t crc = Crc32c(data + off + 8, h->frame_bytes - size_t{8});
  if (crc != h->crc) {
    *reason = absl::StrFormat("crc mismatch (stored %08x, computed %08x)",
                              h->crc, crc);
    return FrameKind::kBad;
  }
  // The records must fill the frame exactly.
  const char* p = data + off + kBatchHeaderBytes;
  size_t rest = h->frame_bytes - kBatchHeaderBytes;
  for (uint32_t i = 0; i < h->record_count; ++i) {
    if (rest < kRecordHeaderBytes) {
      *reason = absl::StrCat("record ", i, " overruns its batch");
      return FrameKind::kBad;
    }
    const size_t n = kRecordHeaderBytes + DecodeFixed<uint16_t>(p + 4) +
                     size_t{DecodeFixed<uint32_t>(p)};
    if (n > rest) {
      *reason = absl::StrCat("record ", i, " overruns its batch");
      return FrameKind::kBad;
    }
    p += n;
    rest -= n;
  }
  if (rest != 0) {
    *reason = absl::StrCat(rest, " bytes after the batch's last record");
    return FrameKind::kBad;
  }
  return FrameKind::kValid;
}

// A cheap look at the header at `off` (at least a header's bytes before
// `size`) before any checksum: could a committed frame start there?
bool PlausibleHeader(const char* data, size_t size, size_t off) {
  const uint32_t frame_bytes = DecodeFixed<uint32_t>(data + off);
  return frame_bytes >= kBatchHeaderBytes + kRecordHeaderBytes &&
         frame_bytes <= size - off &&
         DecodeFixed<uint32_t>(data + off + 28) == kBatchHasCrc &&
         DecodeFixed<uint32_t>(data + off + 24) != 0;
}

}  // namespace

std::string SegmentName(uint64_t base_position) {
  return absl::StrFormat("%020d%s", base_position, kSegmentSuffix);
}

bool ParseSegmentName(absl::string_view name, uint64_t* base) {
  return name.size() == kPositionDigits + kSegmentSuffix.size() &&
         name.substr(kPositionDigits) == kSegmentSuffix &&
         ParsePosition(name.substr(0, kPositionDigits), base);
}

std::string BoundsName(uint64_t trim, uint64_t head) {
  return absl::StrFormat("%020d-%020d%s", trim, head, kBoundsSuffix);
}

bool ParseBoundsName(absl::string_view name, uint64_t* trim, uint64_t* head) {
  return name.size() == 2 * kPositionDigits + 1 + kBoundsSuffix.size() &&
         name[kPositionDigits] == '-' &&
         name.substr(2 * kPositionDigits + 1) == kBoundsSuffix &&
         ParsePosition(name.substr(0, kPositionDigits), trim) &&
         ParsePosition(name.substr(kPositionDigits + 1, kPositionDigits), head);
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

void ContinueScan(ScannedSegment& s, bool verify_crc) {
  s.bad = false;
  s.uncommitted = false;
  s.reason.clear();
  const char* data = s.data();
  size_t off = s.end_offset;
  while (off < s.size) {
    BatchHeader h;
    std::string reason;
    const FrameKind kind =
        CheckFrame(data, s.size, off, s.end_position, verify_crc, &h, &reason);
    if (kind == FrameKind::kEnd) break;
    if (kind == FrameKind::kBad) {
      s.bad = true;
      s.uncommitted =
          s.size - off >= kBatchHeaderBytes && (h.flags & kBatchHasCrc) == 0;
      s.reason = std::move(reason);
      break;
    }
    if (s.batches.empty()) s.first_arrival_millis = h.arrival_millis;
    s.last_arrival_millis = h.arrival_millis;
    s.batches.push_back({h.first_position, static_cast<uint32_t>(off),
                         h.record_count, h.arrival_millis});
    off += h.frame_bytes;
    s.end_position = h.first_position + h.record_count;
    if (verify_crc) s.checksummed += h.frame_bytes;
  }
  s.end_offset = off;
}

void ScanFrames(ScannedSegment& s, bool verify_crc) {
  s.end_offset = 0;
  s.end_position = s.base;
  s.checksummed = 0;
  s.batches.clear();
  ContinueScan(s, verify_crc);
}

bool ValidFrameAt(const ScannedSegment& s, size_t off, uint64_t expected) {
  if (s.region == nullptr || off >= s.size) return false;
  BatchHeader h;
  std::string reason;
  return CheckFrame(s.data(), s.size, off, expected, /*verify_crc=*/true, &h,
                    &reason) == FrameKind::kValid;
}

bool ValidFrameFollows(const ScannedSegment& s, size_t end,
                       uint64_t min_position) {
  if (s.region == nullptr) return false;
  const char* data = s.data();
  const auto valid_at = [&](size_t off) {
    return off + kBatchHeaderBytes <= s.size &&
           PlausibleHeader(data, s.size, off) &&
           DecodeFixed<uint64_t>(data + off + 8) >= min_position &&
           ValidFrameAt(s, off, 0);
  };
  // The records of a frame at `end` whose header was lost: a frame may
  // follow each of them. Every record has a partition key.
  for (size_t off = end + kBatchHeaderBytes;
       off + kRecordHeaderBytes <= s.size;) {
    const size_t key_bytes = DecodeFixed<uint16_t>(data + off + 4);
    if (key_bytes == 0) break;
    const size_t n =
        kRecordHeaderBytes + key_bytes + DecodeFixed<uint32_t>(data + off);
    if (n > s.size - off) break;
    off += n;
    if (valid_at(off)) return true;
  }
  // Any offset, up to a whole page of zeros (no frame starts in one) or an
  // intact older frame of a recycled file (the writer's newer frames would
  // have overwritten it).
  for (size_t off = end + 1; off + kBatchHeaderBytes <= s.size; ++off) {
    if (off % kPageBytes == 0 &&
        AllZero(data + off, std::min(kPageBytes, s.size - off))) {
      return false;
    }
    if (!PlausibleHeader(data, s.size, off)) continue;
    if (DecodeFixed<uint64_t>(data + off + 8) >= min_position) {
      if (ValidFrameAt(s, off, 0)) return true;
    } else if (ValidFrameAt(s, off, 0)) {
      return false;
    }
  }
  return false;
}

}  // namespace internal
}  // namespace brook
