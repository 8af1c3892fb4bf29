// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The batch frame: how a batch of records is laid out inside a segment, the
// one place that knows it (LevelDB's log_format/log_writer/log_reader).
// Appends encode frames with `BatchWriter`, a durable store commits them with
// `CommitFrame()`, readers walk a frame's records with `BatchReader`, and
// recovery and verification check frames with `CheckFrame()`. SEGMENT_FORMAT.md
// describes the format and its recovery rules. All integers are little-endian.
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
//   28     4     flags           kBatchHasCrc; codec and aggregation bits
//                                reserved (0, see `BatchCodec`)
//   32           records, back to back:
//     0    4     data_bytes
//     4    2     partition_key_bytes
//     6    1     record flags    kRecordExplicitHashKey
//     7    1     reserved (0)
//     8    16    hash_key        low 64 bits, then high 64 bits
//     24         partition key bytes, then data bytes
//
// A record's sequence number is not stored: it is derived from its position
// and the shard number, by the stream layer.
//
// Compression: a frame's flags carry its codec (`BatchCodec`, bits 1-3); bit
// 4 (KPL aggregates) is reserved and 0. A zstd frame (codec 1) keeps this
// header and stores its records' bytes as one zstd frame after it
// (frame_codec.h), `frame_bytes` counting the compressed bytes and the CRC
// covering them: `BatchWriter::Finish()` compresses, a reader decompresses
// (`DecompressRecords()`) into a buffer it owns and walks the records there
// with `BatchReader`, and `CheckBatchHeader()` refuses a codec this build
// does not know.
//
// Thread safety: pure functions and single-threaded value types. A frame is
// final for readers once its bytes are published (see segment.h);
// `CommitFrame()` and `CheckFrame()` order the CRC and its flag so that a
// reader in another process never takes a frame in progress for a committed
// one.

#ifndef BROOK_LIB_STORE_BATCH_FORMAT_H_
#define BROOK_LIB_STORE_BATCH_FORMAT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "brook/record.h"

#include "store/frame_codec.h"
#include "util/coding.h"

namespace brook {
namespace internal {

inline constexpr size_t kBatchHeaderBytes = 32;
inline constexpr size_t kRecordHeaderBytes = 24;

// Frame flags. Persisted: never renumber.
// Set at commit, with the CRC: the frame is complete and checksummed.
inline constexpr uint32_t kBatchHasCrc = 1u << 0;
// Reserved: the frame's `BatchCodec`.
inline constexpr uint32_t kBatchCodecMask = 7u << 1;
inline constexpr int kBatchCodecShift = 1;
// Reserved: the frame's records are KPL aggregates, each to be expanded into
// the user records it holds.
inline constexpr uint32_t kBatchAggregated = 1u << 4;

// How a frame's record bytes are stored. Persisted: never renumber.
enum class BatchCodec : uint32_t {
  kNone = 0,  // records as laid out above
  kZstd = 1,  // records as laid out above, compressed as one zstd frame
};

// Record flags. Persisted: never renumber.
inline constexpr uint8_t kRecordExplicitHashKey = 1u << 0;

// The fields of a frame header.
struct BatchHeader {
  uint32_t frame_bytes = 0;
  uint32_t crc = 0;
  uint64_t first_position = 0;
  int64_t arrival_millis = 0;
  uint32_t record_count = 0;
  uint32_t flags = 0;

  BatchCodec codec() const {
    return static_cast<BatchCodec>((flags & kBatchCodecMask) >>
                                   kBatchCodecShift);
  }
  uint64_t end_position() const { return first_position + record_count; }
};

// Where each field of a header is, from the frame's start. Only this file
// and batch_format.cc read fields at these offsets.
namespace batch_field {
inline constexpr size_t kFrameBytes = 0;
inline constexpr size_t kCrc = 4;
inline constexpr size_t kFirstPosition = 8;
inline constexpr size_t kArrivalMillis = 16;
inline constexpr size_t kRecordCount = 24;
inline constexpr size_t kFlags = 28;
// The CRC covers the frame from here to its end.
inline constexpr size_t kCrcStart = kFirstPosition;
}  // namespace batch_field

inline void EncodeBatchHeader(char* dst, const BatchHeader& h) {
  EncodeFixed<uint32_t>(dst + batch_field::kFrameBytes, h.frame_bytes);
  EncodeFixed<uint32_t>(dst + batch_field::kCrc, h.crc);
  EncodeFixed<uint64_t>(dst + batch_field::kFirstPosition, h.first_position);
  EncodeFixed<int64_t>(dst + batch_field::kArrivalMillis, h.arrival_millis);
  EncodeFixed<uint32_t>(dst + batch_field::kRecordCount, h.record_count);
  EncodeFixed<uint32_t>(dst + batch_field::kFlags, h.flags);
}

// REQUIRES: `src` has kBatchHeaderBytes readable bytes.
inline BatchHeader DecodeBatchHeader(const char* src) {
  BatchHeader h;
  h.frame_bytes = DecodeFixed<uint32_t>(src + batch_field::kFrameBytes);
  h.crc = DecodeFixed<uint32_t>(src + batch_field::kCrc);
  h.first_position = DecodeFixed<uint64_t>(src + batch_field::kFirstPosition);
  h.arrival_millis = DecodeFixed<int64_t>(src + batch_field::kArrivalMillis);
  h.record_count = DecodeFixed<uint32_t>(src + batch_field::kRecordCount);
  h.flags = DecodeFixed<uint32_t>(src + batch_field::kFlags);
  return h;
}

// One field of the encoded header at `frame`, for code that needs only it.
inline uint32_t FrameBytesOf(const char* frame) {
  return DecodeFixed<uint32_t>(frame + batch_field::kFrameBytes);
}
inline uint64_t FirstPositionOf(const char* frame) {
  return DecodeFixed<uint64_t>(frame + batch_field::kFirstPosition);
}

// The CRC-32C a frame of `frame_bytes` at `frame` stores: of its bytes from
// `first_position` to its end, flags included.
uint32_t ComputeFrameCrc(const char* frame, size_t frame_bytes);

// True if `n` bytes at `p` are all zero.
bool AllZero(const char* p, size_t n);

// ---------------------------------------------------------------------------
// Writing

// Bytes `r` takes in a frame.
inline size_t EncodedRecordBytes(const RoutedRecord& r) {
  return kRecordHeaderBytes + r.partition_key.size() + r.data.size();
}

// Copies `n` bytes; keys are short, so this avoids a call for most of them:
// up to 32 bytes with two overlapping moves of the widest size that fits.
// With kCheck, also ORs into `*bits` the bytes as the copy reads them (words
// that overlap, so every byte at least once): the key is ASCII when no byte
// of `*bits` has its high bit set. Keys of more than 32 bytes are read a
// second time for that.
template <bool kCheck>
inline void CopyKeyBytes(char* dst, const char* src, size_t n, uint64_t* bits) {
  if (n > 32) {
    std::memcpy(dst, src, n);
    if constexpr (kCheck) {
      uint64_t w;
      for (size_t i = 0; i + 8 <= n; i += 8) {
        std::memcpy(&w, src + i, 8);
        *bits |= w;
      }
      std::memcpy(&w, src + n - 8, 8);
      *bits |= w;
    }
  } else if (n >= 16) {
    uint64_t a[2], b[2];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(dst, a, 16);
    std::memcpy(dst + n - 16, b, 16);
    if constexpr (kCheck) *bits |= a[0] | a[1] | b[0] | b[1];
  } else if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
    if constexpr (kCheck) *bits |= a | b;
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
    if constexpr (kCheck) *bits |= a | b;
  } else if (n > 0) {
    const unsigned char a = static_cast<unsigned char>(src[0]);
    const unsigned char b = static_cast<unsigned char>(src[n / 2]);
    const unsigned char c = static_cast<unsigned char>(src[n - 1]);
    dst[0] = static_cast<char>(a);
    dst[n / 2] = static_cast<char>(b);
    dst[n - 1] = static_cast<char>(c);
    if constexpr (kCheck) *bits |= a | b | c;
  }
}

inline void CopyShort(char* dst, const char* src, size_t n) {
  CopyKeyBytes<false>(dst, src, n, nullptr);
}

inline void CopyKey(char* dst, const char* src, size_t n, uint64_t* bits) {
  CopyKeyBytes<true>(dst, src, n, bits);
}

// The first eight bytes of a record's header as one word: data_bytes,
// partition_key_bytes, the record flags and the reserved byte (0).
inline uint64_t RecordHeaderWord(const RoutedRecord& r) {
  const uint64_t flags =
      r.has_explicit_hash_key ? uint64_t{kRecordExplicitHashKey} : 0;
  return uint64_t{static_cast<uint32_t>(r.data.size())} |
         uint64_t{static_cast<uint16_t>(r.partition_key.size())} << 32 |
         flags << 48;
}

// Writes `r` at `dst` and returns the bytes written (EncodedRecordBytes(r)).
inline size_t EncodeRecord(char* dst, const RoutedRecord& r) {
  EncodeFixed<uint64_t>(dst, RecordHeaderWord(r));
  EncodeFixed<uint64_t>(dst + 8, absl::Uint128Low64(r.hash_key));
  EncodeFixed<uint64_t>(dst + 16, absl::Uint128High64(r.hash_key));
  CopyShort(dst + kRecordHeaderBytes, r.partition_key.data(),
            r.partition_key.size());
  std::memcpy(dst + kRecordHeaderBytes + r.partition_key.size(), r.data.data(),
              r.data.size());
  return kRecordHeaderBytes + r.partition_key.size() + r.data.size();
}

// Encodes one frame into a segment's space, records first, header last. The
// frame is written uncommitted (no kBatchHasCrc): a durable store commits it
// with CommitFrame() before it is published.
//
// Example:
//   BatchWriter w(segment.data() + offset, first_position, arrival_millis);
//   for (const RoutedRecord& r : records) w.Add(r);
//   offset += w.Finish();
class BatchWriter {
 public:
  // Starts a frame at `dst`, whose records get positions from
  // `first_position` on and share `arrival_millis`.
  // REQUIRES: `dst` has room for kBatchHeaderBytes plus EncodedRecordBytes()
  // of every record added.
  BatchWriter(char* dst, uint64_t first_position, int64_t arrival_millis)
      : dst_(dst), p_(dst + kBatchHeaderBytes) {
    header_.first_position = first_position;
    header_.arrival_millis = arrival_millis;
  }
  // Starts a frame whose records are compressed as `compression` says (level
  // 0: not at all) at Finish(). `raw_bytes` is the frame's size
  // uncompressed, header included: the records are encoded in a buffer of
  // the calling thread first. A frame that compression does not make smaller
  // is stored uncompressed, so the frame never takes more than `raw_bytes`.
  // REQUIRES: `dst` has room for `raw_bytes`; `compression` outlives the
  // writer.
  BatchWriter(char* dst, size_t raw_bytes, uint64_t first_position,
              int64_t arrival_millis, const FrameCompression& compression)
      : BatchWriter(dst, first_position, arrival_millis) {
    if (compression.level > 0) {
      compression_ = &compression;
      scratch_ = CompressionScratch(raw_bytes - kBatchHeaderBytes);
      p_ = scratch_;
    }
  }

  void Add(const RoutedRecord& r) {
    p_ += EncodeRecord(p_, r);
    ++header_.record_count;
  }
  // Adds every record of `records`, in order; the write position stays in a
  // register across them.
  void Add(absl::Span<const RoutedRecord> records) {
    char* p = p_;
    for (const RoutedRecord& r : records) p += EncodeRecord(p, r);
    p_ = p;
    header_.record_count += static_cast<uint32_t>(records.size());
  }
  // Add() that also checks that every partition key is ASCII, reading the
  // key bytes as they are copied (for an append that checks its records in
  // the passes it makes anyway): true if they all are. The records are
  // written either way; a caller that gets false must not Finish() the
  // frame or publish its bytes.
  bool AddCheckingKeys(absl::Span<const RoutedRecord> records) {
    char* p = p_;
    uint64_t key_bits = 0;
    for (const RoutedRecord& r : records) {
      EncodeFixed<uint64_t>(p, RecordHeaderWord(r));
      EncodeFixed<uint64_t>(p + 8, absl::Uint128Low64(r.hash_key));
      EncodeFixed<uint64_t>(p + 16, absl::Uint128High64(r.hash_key));
      const size_t key = r.partition_key.size();
      CopyKey(p + kRecordHeaderBytes, r.partition_key.data(), key, &key_bits);
      std::memcpy(p + kRecordHeaderBytes + key, r.data.data(), r.data.size());
      p += kRecordHeaderBytes + key + r.data.size();
    }
    p_ = p;
    header_.record_count += static_cast<uint32_t>(records.size());
    return (key_bits & 0x8080808080808080ULL) == 0;
  }
  // Writes the header; returns the frame's bytes.
  // REQUIRES: at least one record was added.
  size_t Finish() {
    if (compression_ != nullptr) return FinishCompressed();
    header_.frame_bytes = static_cast<uint32_t>(p_ - dst_);
    EncodeBatchHeader(dst_, header_);
    return header_.frame_bytes;
  }

 private:
  size_t FinishCompressed();

  char* const dst_;
  char* p_;
  BatchHeader header_;
  const FrameCompression* compression_ = nullptr;
  char* scratch_ = nullptr;  // the records, uncompressed, when compressing
};

// Commits the frame written at `frame`: stores its CRC, which covers the
// kBatchHasCrc flag, and then, after a release fence, the flag, so that a
// reader that sees the flag (CheckFrame(), maybe in another process) sees the
// whole frame. Returns the committed header.
// REQUIRES: a complete frame (BatchWriter::Finish()) is at `frame`.
BatchHeader CommitFrame(char* frame);

// ---------------------------------------------------------------------------
// Reading

// Bytes the record whose header is at `record` takes, and its partition key's
// bytes. REQUIRES: kRecordHeaderBytes readable bytes at `record`.
inline size_t RecordBytesAt(const char* record) {
  return kRecordHeaderBytes + size_t{DecodeFixed<uint16_t>(record + 4)} +
         DecodeFixed<uint32_t>(record);
}
inline size_t PartitionKeyBytesAt(const char* record) {
  return DecodeFixed<uint16_t>(record + 4);
}

// The stored fields of one record, as views into its frame.
struct StoredRecord {
  bool has_explicit_hash_key;
  HashKey hash_key;
  absl::string_view partition_key;
  absl::string_view data;
};

// Decodes the record at `src` into `out` and returns its encoded size, or 0
// if it does not fit in `available` bytes.
inline size_t DecodeRecord(const char* src, size_t available,
                           StoredRecord* out) {
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

// As above, into `out`'s key, data and hash fields.
inline size_t DecodeRecord(const char* src, size_t available, Record* out) {
  StoredRecord r;
  const size_t n = DecodeRecord(src, available, &r);
  if (n == 0) return 0;
  out->has_explicit_hash_key = r.has_explicit_hash_key;
  out->hash_key = r.hash_key;
  out->partition_key = r.partition_key;
  out->data = r.data;
  return n;
}

// How far ahead of the next record a scan of a frame's `records_bytes` of
// `record_count` records asks for bytes (__builtin_prefetch). Each record's
// header is a load the next record's address depends on, so a scan of
// records not in cache waits a memory latency per record unless the bytes
// are asked for well ahead: 32 records' worth of the frame's average record
// (1 KiB to 64 KiB), enough to keep the memory busy at 100 B and at 1 KiB
// records alike (bench/README.md, "Scans of records not in cache" and "The
// reader's prefetch distance on the AMD guest"). A prefetch past the mapped
// bytes is harmless: it never faults.
inline size_t ScanPrefetchDistance(size_t records_bytes,
                                   uint32_t record_count) {
  constexpr size_t kRecords = 32;
  return std::clamp<size_t>(
      kRecords * (records_bytes / std::max<uint32_t>(record_count, 1)),
      size_t{1} << 10, size_t{64} << 10);
}

// Walks the records of one frame, as views into it, in position order.
//
// Example:
//   BatchReader r(frame, header);
//   Record rec;
//   while (!r.done()) {
//     if (!r.Next(&rec)) return DataLoss(...);  // overruns the frame
//     ... rec.partition_key, rec.data point into the frame ...
//   }
class BatchReader {
 public:
  // Reads the frame at `frame` whose header `header` passed
  // CheckBatchHeader(); the views it gives live as long as the frame's bytes.
  // REQUIRES: an uncompressed frame (BatchCodec::kNone).
  BatchReader(const char* frame, const BatchHeader& header)
      : BatchReader(frame + kBatchHeaderBytes,
                    header.frame_bytes - kBatchHeaderBytes, header) {}
  // Reads the records of the frame `header` describes from `records[0,
  // records_bytes)`: a compressed frame's, decompressed (DecompressRecords()).
  // Offsets count as if the records followed the header; the views live as
  // long as `records`.
  BatchReader(const char* records, size_t records_bytes,
              const BatchHeader& header)
      : records_(records),
        frame_bytes_(records_bytes + kBatchHeaderBytes),
        offset_(kBatchHeaderBytes),
        position_(header.first_position),
        end_position_(header.end_position()) {}

  // Moves to the record at byte `offset` of the frame, which holds
  // `position`: where an earlier reader of the frame was (offset() and
  // position()), so a reader resumes there without walking the records
  // before it.
  // REQUIRES: offset() and position() of an earlier reader of this frame.
  void Resume(size_t offset, uint64_t position) {
    offset_ = offset;
    position_ = position;
  }

  bool done() const { return position_ >= end_position_; }
  // The position and frame offset of the next record.
  uint64_t position() const { return position_; }
  size_t offset() const { return offset_; }

  // Decodes the next record's key, data and hash key into `out` and moves
  // past it. Returns false, and stays, if the record overruns the frame.
  // REQUIRES: !done().
  template <typename Out>  // Record or StoredRecord
  bool Next(Out* out) {
    const size_t n = DecodeRecord(at(offset_), frame_bytes_ - offset_, out);
    if (n == 0) return false;
    offset_ += n;
    ++position_;
    return true;
  }
  // Moves past the next record; false, and stays, if it overruns the frame.
  // REQUIRES: !done().
  bool Skip() {
    const size_t left = frame_bytes_ - offset_;
    if (left < kRecordHeaderBytes) return false;
    const size_t n = RecordBytesAt(at(offset_));
    if (n > left) return false;
    offset_ += n;
    ++position_;
    return true;
  }

  // Where the next record's bytes start, for prefetching.
  const char* next_bytes() const { return at(offset_); }
  // The frame's bytes uncompressed, header included.
  size_t frame_bytes() const { return frame_bytes_; }

 private:
  const char* at(size_t offset) const {
    return records_ + (offset - kBatchHeaderBytes);
  }

  const char* records_;
  size_t frame_bytes_;
  size_t offset_;
  uint64_t position_;
  uint64_t end_position_;
};

// ---------------------------------------------------------------------------
// Checking

// Checks what every reader relies on in a decoded header, with `available`
// bytes from the frame's start to the end of what may be read: the frame
// fits and can hold a record, and it holds at least one. On failure sets
// `*reason` and returns false. Never reads frame bytes.
// A frame of a codec this build does not know fails it too.
bool CheckBatchHeader(const BatchHeader& h, size_t available,
                      std::string* reason);

// The records of the compressed frame at `frame` (header `h`, passed
// CheckBatchHeader()), decompressed into `buffer` (resized to them; its
// capacity is reused): kDataLoss saying what is wrong if they do not
// decompress, or not to a size that can hold `h.record_count` records.
// `codec` gives dictionaries (null: a frame that needs one fails).
absl::Status DecompressRecords(const char* frame, const BatchHeader& h,
                               const FrameCodec* codec, std::string* buffer);

// What CheckFrame() found at an offset.
enum class FrameCheck {
  kEnd,    // the end of the log
  kValid,  // a committed frame
  kBad,    // damage, or a frame never committed
};

// The one frame checker recovery and verification use. Checks the frame at
// `off` of `data[0, size)`, expected to hold position `expected` (any
// position if 0), and decodes its header into `*h` (when at least a header's
// bytes are left). Never reads past `size`. The end of the log is a zero
// header, the end of `data`, or an old checksummed frame of a recycled file
// (position below `expected`). A valid frame passes CheckBatchHeader(), has
// the expected position and kBatchHasCrc and, if `verify_crc`, its CRC
// matches and its records fill it exactly (a compressed frame's once
// decompressed; of one compressed with a dictionary, which recovery does
// not load, only the zstd header: its records are checked when read). A bad
// one sets `*reason`.
FrameCheck CheckFrame(const char* data, size_t size, size_t off,
                      uint64_t expected, bool verify_crc, BatchHeader* h,
                      std::string* reason);

// A cheap look at the header at `off` (at least a header's bytes before
// `size`) before any checksum: could a committed frame start there?
bool PlausibleCommittedHeader(const char* data, size_t size, size_t off);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STORE_BATCH_FORMAT_H_
