// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The few pieces of the protobuf wire format that the KPL aggregated record
// needs: varints, tags and length-delimited fields, written into a
// std::string and read from a string_view without copying. The reader checks
// every byte it reads against the end and never reads past it.

#ifndef BROOK_LIB_KPL_WIRE_H_
#define BROOK_LIB_KPL_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace brook {
namespace internal {
namespace kpl {

inline constexpr int kWireVarint = 0;
inline constexpr int kWireFixed64 = 1;
inline constexpr int kWireLengthDelimited = 2;
inline constexpr int kWireFixed32 = 5;

inline int VarintSize(uint64_t v) {
  // 7 bits a byte: (significant bits + 6) / 7, at least 1 (without a loop).
  const int bits = 64 - __builtin_clzll(v | 1);
  return (bits + 6) / 7;
}

inline void AppendVarint(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, static_cast<size_t>(n));
}

// Writes `v` as a varint at `p` (room for 10 bytes); returns the byte after.
inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// A tag of a field number below 16 (one byte).
inline void AppendTag(std::string* out, int field, int wire_type) {
  out->push_back(static_cast<char>((field << 3) | wire_type));
}

// Reads protobuf fields from `data`. Each Read returns false, leaving the
// reader where the fault is (`offset()`), for bytes that are not protobuf:
// a truncated varint or field, a varint of more than 10 bytes (or a 10th
// byte above 1), a tag above 2^32-1 or longer than 5 bytes, field number 0,
// or a wire type other than 0, 1, 2 and 5 (groups are not supported).
// `what()` says which.
class WireReader {
 public:
  explicit WireReader(absl::string_view data)
      : begin_(data.data()), p_(data.data()), end_(data.data() + data.size()) {}

  bool done() const { return p_ == end_; }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  const char* what() const { return what_; }

  bool ReadVarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ == end_) return Fail("truncated varint");
      const uint8_t b = static_cast<uint8_t>(*p_);
      if (shift == 63 && b > 1) return Fail("varint above 2^64-1");
      ++p_;
      result |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) {
        *v = result;
        return true;
      }
    }
    return Fail("varint longer than 10 bytes");
  }

  bool ReadTag(uint32_t* field, int* wire_type) {
    uint64_t tag = 0;
    const char* const start = p_;
    if (!ReadVarint(&tag)) return false;
    // protobuf reads a tag as at most 5 bytes, padded encodings included.
    if (p_ - start > 5) return Fail("tag longer than 5 bytes");
    if (tag > 0xffffffffu) return Fail("tag above 2^32-1");
    *field = static_cast<uint32_t>(tag >> 3);
    *wire_type = static_cast<int>(tag & 7);
    if (*field == 0) return Fail("field number 0");
    if (*wire_type != kWireVarint && *wire_type != kWireFixed64 &&
        *wire_type != kWireLengthDelimited && *wire_type != kWireFixed32) {
      return Fail("unsupported wire type (group or invalid)");
    }
    return true;
  }

  bool ReadLengthDelimited(absl::string_view* v) {
    uint64_t n = 0;
    if (!ReadVarint(&n)) return false;
    if (n > static_cast<uint64_t>(end_ - p_)) {
      return Fail("length-delimited field past the end");
    }
    *v = absl::string_view(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }

  // Skips the value of a field of `wire_type` (from ReadTag).
  bool Skip(int wire_type) {
    uint64_t ignored = 0;
    absl::string_view ignored_view;
    switch (wire_type) {
      case kWireVarint:
        return ReadVarint(&ignored);
      case kWireFixed64:
        return SkipBytes(8);
      case kWireLengthDelimited:
        return ReadLengthDelimited(&ignored_view);
      case kWireFixed32:
        return SkipBytes(4);
      default:
        return Fail("unsupported wire type (group or invalid)");
    }
  }

 private:
  bool SkipBytes(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return Fail("truncated field");
    p_ += n;
    return true;
  }
  bool Fail(const char* what) {
    what_ = what;
    return false;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  const char* what_ = "";
};

}  // namespace kpl
}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_KPL_WIRE_H_
