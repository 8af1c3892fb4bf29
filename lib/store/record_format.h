// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The byte layout of record batches inside a segment, shared by every segment
// store. All integers are little-endian.
//
// A segment is a sequence of batch frames followed by zero bytes:
//
//   offset size  field
//   0      4     frame_bytes     whole frame, header included; never 0, so a
//                                zero-filled tail reads as the end of the log
//   4      4     crc32c          of bytes [8, frame_bytes) when kBatchHasCrc
//   8      8     first_position  position of the frame's first record
//   16     8     arrival_millis  arrival time shared by the frame's records
//   24     4     record_count    >= 1
//   28     4     flags           kBatchHasCrc
//   32           records, back to back:
//     0    4     data_bytes
//     4    2     partition_key_bytes
//     6    1     record flags    kRecordExplicitHashKey
//     7    1     reserved (0)
//     8    16    hash_key        low 64 bits, then high 64 bits
//     24         partition key bytes, then data bytes
//
// A record's sequence number is not stored: it is derived from its position
// and the shard (see sequence.h).

#ifndef BROOK_LIB_STORE_RECORD_FORMAT_H_
#define BROOK_LIB_STORE_RECORD_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"

#include "brook/record.h"

#include "util/coding.h"

namespace brook {
namespace internal {

inline constexpr size_t kBatchHeaderBytes = 32;
inline constexpr size_t kRecordHeaderBytes = 24;
inline constexpr uint32_t kBatchHasCrc = 1u << 0;
inline constexpr uint8_t kRecordExplicitHashKey = 1u << 0;

struct BatchHeader {
  uint32_t frame_bytes = 0;
  uint32_t crc = 0;
  uint64_t first_position = 0;
  int64_t arrival_millis = 0;
  uint32_t record_count = 0;
  uint32_t flags = 0;
};

inline size_t EncodedRecordBytes(const RoutedRecord& r) {
  return kRecordHeaderBytes + r.partition_key.size() + r.data.size();
}

inline void EncodeBatchHeader(char* dst, const BatchHeader& h) {
  EncodeFixed<uint32_t>(dst, h.frame_bytes);
  EncodeFixed<uint32_t>(dst + 4, h.crc);
  EncodeFixed<uint64_t>(dst + 8, h.first_position);
  EncodeFixed<int64_t>(dst + 16, h.arrival_millis);
  EncodeFixed<uint32_t>(dst + 24, h.record_count);
  EncodeFixed<uint32_t>(dst + 28, h.flags);
}

inline BatchHeader DecodeBatchHeader(const char* src) {
  BatchHeader h;
  h.frame_bytes = DecodeFixed<uint32_t>(src);
  h.crc = DecodeFixed<uint32_t>(src + 4);
  h.first_position = DecodeFixed<uint64_t>(src + 8);
  h.arrival_millis = DecodeFixed<int64_t>(src + 16);
  h.record_count = DecodeFixed<uint32_t>(src + 24);
  h.flags = DecodeFixed<uint32_t>(src + 28);
  return h;
}

// Copies `n` bytes; keys are short, so this avoids a call for most of them.
inline void CopyShort(char* dst, const char* src, size_t n) {
  if (n >= 16) {
    std::memcpy(dst, src, n);
  } else if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n > 0) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
}

// Writes `r` at `dst` and returns the bytes written (EncodedRecordBytes(r)).
inline size_t EncodeRecord(char* dst, const RoutedRecord& r) {
  EncodeFixed<uint32_t>(dst, static_cast<uint32_t>(r.data.size()));
  EncodeFixed<uint16_t>(dst + 4, static_cast<uint16_t>(r.partition_key.size()));
  dst[6] =
      static_cast<char>(r.has_explicit_hash_key ? kRecordExplicitHashKey : 0);
  dst[7] = 0;
  EncodeFixed<uint64_t>(dst + 8, absl::Uint128Low64(r.hash_key));
  EncodeFixed<uint64_t>(dst + 16, absl::Uint128High64(r.hash_key));
  CopyShort(dst + kRecordHeaderBytes, r.partition_key.data(),
            r.partition_key.size());
  std::memcpy(dst + kRecordHeaderBytes + r.partition_key.size(), r.data.data(),
              r.data.size());
  return kRecordHeaderBytes + r.partition_key.size() + r.data.size();
}

// Decodes the record at `src` into `out`'s key, data and hash fields and
// returns its encoded size, or 0 if it does not fit in `available` bytes.
inline size_t DecodeRecord(const char* src, size_t available, Record* out) {
  if (available < kRecordHeaderBytes) return 0;
  const uint32_t data_bytes = DecodeFixed<uint32_t>(src);
  const uint16_t key_bytes = DecodeFixed<uint16_t>(src + 4);
  const size_t total = kRecordHeaderBytes + size_t{key_bytes} + data_bytes;
  if (total > available) return 0;
  out->has_explicit_hash_key = (src[6] & kRecordExplicitHashKey) != 0;
  out->hash_key = absl::MakeUint128(DecodeFixed<uint64_t>(src + 16),
                                    DecodeFixed<uint64_t>(src + 8));
  out->partition_key = absl::string_view(src + kRecordHeaderBytes, key_bytes);
  out->data =
      absl::string_view(src + kRecordHeaderBytes + key_bytes, data_bytes);
  return total;
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STORE_RECORD_FORMAT_H_
