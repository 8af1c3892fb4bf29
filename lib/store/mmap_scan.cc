// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Frame-level scanning for recovery (declared in mmap_recovery.h): segment
// and marker names, walking a segment's frames and looking past the end of
// its log, with the frame checker of batch_format.h.

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "store/batch_format.h"
#include "store/mmap_recovery.h"

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

void ContinueScan(ScannedSegment& s, bool verify_crc) {
  s.bad = false;
  s.uncommitted = false;
  s.reason.clear();
  const char* data = s.data();
  size_t off = s.end_offset;
  while (off < s.size) {
    BatchHeader h;
    std::string reason;
    const FrameCheck kind =
        CheckFrame(data, s.size, off, s.end_position, verify_crc, &h, &reason);
    if (kind == FrameCheck::kEnd) break;
    if (kind == FrameCheck::kBad) {
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
  s.lazy = false;
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
                    &reason) == FrameCheck::kValid;
}

bool ValidFrameFollows(const ScannedSegment& s, size_t end,
                       uint64_t min_position) {
  if (s.region == nullptr) return false;
  const char* data = s.data();
  const auto valid_at = [&](size_t off) {
    return off + kBatchHeaderBytes <= s.size &&
           PlausibleCommittedHeader(data, s.size, off) &&
           FirstPositionOf(data + off) >= min_position &&
           ValidFrameAt(s, off, 0);
  };
  // The records of a frame at `end` whose header was lost: a frame may
  // follow each of them. Every record has a partition key.
  for (size_t off = end + kBatchHeaderBytes;
       off + kRecordHeaderBytes <= s.size;) {
    if (PartitionKeyBytesAt(data + off) == 0) break;
    const size_t n = RecordBytesAt(data + off);
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
    if (!PlausibleCommittedHeader(data, s.size, off)) continue;
    if (FirstPositionOf(data + off) >= min_position) {
      if (ValidFrameAt(s, off, 0)) return true;
    } else if (ValidFrameAt(s, off, 0)) {
      return false;
    }
  }
  return false;
}

}  // namespace internal
}  // namespace brook
