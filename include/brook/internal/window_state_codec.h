// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The byte encoding of a window operator's logical state (window_state.h):
// versioned, checksummed, and decoded field by field so that any bytes yield
// either the state they encode or kDataLoss naming what is wrong. The layout
// is documented in lib/window/WINDOW_STATE_FORMAT.md; keep the two in sync.
// Every state written by format version 1 must keep loading in later
// versions (test/testdata/window/ holds such states).
//
// Not API: include "brook/window.h".
//
// Thread safety: pure functions.

#ifndef BROOK_INTERNAL_WINDOW_STATE_CODEC_H_
#define BROOK_INTERNAL_WINDOW_STATE_CODEC_H_

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "brook/codec.h"
#include "brook/export.h"
#include "brook/internal/window_state.h"

namespace brook {
namespace internal {

// "BWST" (brook window state) as a little-endian u32, then the version.
// Version 2 is version 1 with one more sliced field (the next window's max
// timestamp, sliced cumulate windows only); a state without it is written
// as version 1, byte for byte as before.
inline constexpr uint32_t kWindowStateMagic = 0x54535742;
inline constexpr uint32_t kWindowStateVersion = 2;
// Magic, version, and the trailing CRC-32C.
inline constexpr size_t kWindowStateOverhead = 4 + 4 + 4;

// The CRC-32C of `bytes` (lib/util/crc32c.h), which ends the encoding.
BROOK_EXPORT uint32_t WindowStateChecksum(absl::string_view bytes);

// How an aggregate's accumulator is encoded: the aggregate's own static
// EncodeAccumulator/DecodeAccumulator if it has them, else Codec<Accumulator>.
template <typename Agg, typename = void>
struct AccumulatorCodec {
  using A = typename Agg::Accumulator;
  static void Encode(const A& a, std::string* out) { Codec<A>::Encode(a, out); }
  static bool Decode(absl::string_view* in, A* a) {
    return Codec<A>::Decode(in, a);
  }
};
template <typename Agg>
struct AccumulatorCodec<Agg, std::void_t<decltype(&Agg::EncodeAccumulator)>> {
  using A = typename Agg::Accumulator;
  static void Encode(const A& a, std::string* out) {
    Agg::EncodeAccumulator(a, out);
  }
  static bool Decode(absl::string_view* in, A* a) {
    return Agg::DecodeAccumulator(in, a);
  }
};

// How an operator's stored accumulator is encoded: as the aggregate's
// accumulator when it is one, else (e.g. an evictor's elements) with
// Codec<Stored>.
template <typename Agg, typename Stored, typename = void>
struct StoredAccumulatorCodec {
  static void Encode(const Stored& a, std::string* out) {
    Codec<Stored>::Encode(a, out);
  }
  static bool Decode(absl::string_view* in, Stored* a) {
    return Codec<Stored>::Decode(in, a);
  }
};
template <typename Agg, typename Stored>
struct StoredAccumulatorCodec<
    Agg, Stored,
    std::enable_if_t<std::is_same_v<Stored, typename Agg::Accumulator>>>
    : AccumulatorCodec<Agg> {};

// Compares the shape saved with a state to an operator's. Returns
// kInvalidArgument naming the first option that differs, or OK.
inline absl::Status CompareWindowStateShape(const WindowStateShape& saved,
                                            const WindowStateShape& mine) {
  const auto& a = saved.options;
  const auto& b = mine.options;
  for (size_t i = 0; i < a.size() || i < b.size(); ++i) {
    if (i >= a.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("window state: saved without option ", b[i].first,
                       ", which this operator has (", b[i].second, ")"));
    }
    if (i >= b.size() || a[i].first != b[i].first) {
      return absl::InvalidArgumentError(absl::StrCat(
          "window state: saved with option ", a[i].first,
          i >= b.size()
              ? ", which this operator does not have"
              : absl::StrCat(" where this operator has ", b[i].first)));
    }
    if (a[i].second != b[i].second) {
      return absl::InvalidArgumentError(
          absl::StrCat("window state: ", a[i].first, " differs: saved with ",
                       a[i].second, ", this operator has ", b[i].second));
    }
  }
  return absl::OkStatus();
}

// EncodeWindowState()
//
// The bytes of `shape` and `data`. `AccCodec` encodes an `Acc` (as
// `AccumulatorCodec` above); `Codec<Key>` encodes a key.
template <typename Key, typename Acc, typename AccCodec>
std::string EncodeWindowState(const WindowStateShape& shape,
                              const WindowStateData<Key, Acc>& data) {
  std::string out;
  auto put = [&out](const auto& v) {
    Codec<std::decay_t<decltype(v)>>::Encode(v, &out);
  };
  put(kWindowStateMagic);
  put(data.sliced_next_window_max ? kWindowStateVersion : uint32_t{1});
  put(static_cast<uint32_t>(shape.options.size()));
  for (const auto& [name, value] : shape.options) {
    put(name);
    put(value);
  }
  put(data.watermark_millis);
  put(data.dropped_late_elements);
  put(data.late_elements_emitted);
  put(static_cast<uint8_t>((data.sliced_next_window_start ? 1 : 0) |
                           (data.sliced_last_fired_start ? 2 : 0) |
                           (data.sliced_next_window_max ? 4 : 0)));
  if (data.sliced_next_window_start) put(*data.sliced_next_window_start);
  if (data.sliced_last_fired_start) put(*data.sliced_last_fired_start);
  if (data.sliced_next_window_max) put(*data.sliced_next_window_max);
  put(static_cast<uint64_t>(data.keys.size()));
  for (const auto& ks : data.keys) {
    put(ks.key);
    put(static_cast<uint64_t>(ks.windows.size()));
    for (const auto& w : ks.windows) {
      put(w.start_millis);
      put(w.max_timestamp_millis);
      put(w.has_contents);
      if (w.has_contents) AccCodec::Encode(w.acc, &out);
      put(static_cast<uint64_t>(w.trigger_state.size()));
      for (int64_t v : w.trigger_state) put(v);
    }
    put(static_cast<uint64_t>(ks.timers.size()));
    for (const auto& t : ks.timers) {
      put(static_cast<uint8_t>(t.domain));
      put(t.time_millis);
      put(t.window_start_millis);
      put(t.window_max_timestamp_millis);
    }
  }
  put(WindowStateChecksum(out));
  return out;
}

// Reads fixed fields from the front of a byte string, remembering the first
// problem with the offset where it was found.
class WindowStateReader {
 public:
  explicit WindowStateReader(absl::string_view bytes)
      : all_(bytes), in_(bytes) {}

  bool ok() const { return error_.empty(); }
  size_t remaining() const { return in_.size(); }
  absl::string_view* in() { return &in_; }

  // Decodes one `T` with Codec<T> (or `decode` for `DecodeWith`); on failure
  // records "truncated or corrupt <what>".
  template <typename T>
  bool Get(T* v, absl::string_view what) {
    if (!ok()) return false;
    const size_t at = offset();
    if (!Codec<T>::Decode(&in_, v))
      return Fail(at, "truncated or corrupt ", what);
    return true;
  }
  template <typename T, typename Decode>
  bool DecodeWith(T* v, Decode decode, absl::string_view what) {
    if (!ok()) return false;
    const size_t at = offset();
    if (!decode(&in_, v)) return Fail(at, "truncated or corrupt ", what);
    return true;
  }
  // A count of items that take at least `min_size` bytes each: fails when the
  // bytes left cannot hold them, so a bad count never makes a huge
  // allocation.
  bool GetCount(uint64_t* n, size_t min_size, absl::string_view what) {
    if (!Get(n, what)) return false;
    if (*n > remaining() / min_size) {
      return Fail(offset() - 8, what, " ", *n, " needs at least ",
                  static_cast<uint64_t>(min_size), " bytes each, only ",
                  remaining(), " remain");
    }
    return true;
  }
  template <typename... Args>
  bool Fail(size_t at, const Args&... what) {
    if (ok()) {
      error_ = absl::StrCat("window state: ", what..., " at byte ", at, " of ",
                            all_.size());
    }
    return false;
  }
  size_t offset() const { return all_.size() - in_.size(); }
  absl::Status status() const {
    return ok() ? absl::OkStatus() : absl::DataLossError(error_);
  }

 private:
  absl::string_view all_;
  absl::string_view in_;
  std::string error_;
};

// DecodeWindowState()
//
// The inverse of `EncodeWindowState()`. Returns kDataLoss naming what is
// wrong for bytes that are not such an encoding: too short, bad magic,
// unknown version, checksum mismatch, a truncated field, a count beyond the
// bytes, a bad flag or enum byte, trailing bytes. Checks only the encoding;
// whether the state fits an operator is `ImportState()`'s to check.
// If `expected_shape` is given, a saved shape that differs from it returns
// kInvalidArgument (`CompareWindowStateShape()`) before the rest is decoded.
// `verify_checksum` false skips the checksum (fuzzing only), but its four
// bytes must still be there. On error `*shape` and `*data` are unchanged.
template <typename Key, typename Acc, typename AccCodec>
absl::Status DecodeWindowState(absl::string_view bytes, WindowStateShape* shape,
                               WindowStateData<Key, Acc>* data,
                               const WindowStateShape* expected_shape = nullptr,
                               bool verify_checksum = true) {
  if (bytes.size() < kWindowStateOverhead) {
    return absl::DataLossError(
        absl::StrCat("window state: truncated: ", bytes.size(),
                     " bytes, at least ", kWindowStateOverhead, " needed"));
  }
  WindowStateReader r(bytes.substr(0, bytes.size() - 4));
  uint32_t magic = 0, version = 0;
  r.Get(&magic, "magic");
  if (magic != kWindowStateMagic) {
    return absl::DataLossError(
        absl::StrCat("window state: bad magic 0x", absl::Hex(magic),
                     ", not a window operator's saved state"));
  }
  r.Get(&version, "version");
  if (version != 1 && version != kWindowStateVersion) {
    return absl::DataLossError(
        absl::StrCat("window state: unknown format version ", version,
                     " (this build reads 1 to ", kWindowStateVersion, ")"));
  }
  absl::string_view stored = bytes.substr(bytes.size() - 4);
  uint32_t checksum = 0;
  Codec<uint32_t>::Decode(&stored, &checksum);
  if (verify_checksum &&
      checksum != WindowStateChecksum(bytes.substr(0, bytes.size() - 4))) {
    return absl::DataLossError("window state: checksum mismatch");
  }

  WindowStateShape sh;
  WindowStateData<Key, Acc> d;
  uint32_t options = 0;
  r.Get(&options, "option count");
  if (r.ok() && options > r.remaining() / 16) {
    r.Fail(r.offset() - 4, "option count ", options, " beyond the bytes");
  }
  for (uint32_t i = 0; r.ok() && i < options; ++i) {
    std::string name, value;
    r.Get(&name, "option name");
    r.Get(&value, absl::StrCat("option ", name));
    sh.options.emplace_back(std::move(name), std::move(value));
  }
  if (!r.ok()) return r.status();
  if (expected_shape != nullptr) {
    absl::Status s = CompareWindowStateShape(sh, *expected_shape);
    if (!s.ok()) return s;
  }
  r.Get(&d.watermark_millis, "watermark");
  r.Get(&d.dropped_late_elements, "dropped late count");
  r.Get(&d.late_elements_emitted, "late emitted count");
  uint8_t sliced = 0;
  const size_t sliced_at = r.offset();
  r.Get(&sliced, "sliced flags");
  // Bit 2 (the next window's max timestamp) came with version 2.
  if (r.ok() && (sliced & (version >= 2 ? ~7u : ~3u)) != 0) {
    r.Fail(sliced_at, "bad sliced flags ", static_cast<int>(sliced));
  }
  if (r.ok() && (sliced & 1) != 0) {
    absl::int128 v = 0;
    if (r.Get(&v, "sliced next window start")) d.sliced_next_window_start = v;
  }
  if (r.ok() && (sliced & 2) != 0) {
    absl::int128 v = 0;
    if (r.Get(&v, "sliced last fired start")) d.sliced_last_fired_start = v;
  }
  if (r.ok() && (sliced & 4) != 0) {
    absl::int128 v = 0;
    if (r.Get(&v, "sliced next window max timestamp")) {
      d.sliced_next_window_max = v;
    }
  }
  uint64_t keys = 0;
  // A key takes at least its window and timer counts.
  r.GetCount(&keys, 16, "key count");
  for (uint64_t k = 0; r.ok() && k < keys; ++k) {
    typename WindowStateData<Key, Acc>::KeyState ks;
    r.Get(&ks.key, absl::StrCat("key ", k));
    uint64_t windows = 0;
    // start, max, contents flag, trigger state count.
    r.GetCount(&windows, 25, absl::StrCat("key ", k, ": window count"));
    for (uint64_t i = 0; r.ok() && i < windows; ++i) {
      typename WindowStateData<Key, Acc>::Window w;
      r.Get(&w.start_millis, "window start");
      r.Get(&w.max_timestamp_millis, "window max timestamp");
      r.Get(&w.has_contents, "window contents flag");
      if (w.has_contents) {
        r.DecodeWith(
            &w.acc,
            [](absl::string_view* in, Acc* a) {
              return AccCodec::Decode(in, a);
            },
            absl::StrCat("key ", k, ": window ", i, " accumulator"));
      }
      uint64_t n = 0;
      r.GetCount(
          &n, 8,
          absl::StrCat("key ", k, ": window ", i, ": trigger state count"));
      w.trigger_state.resize(r.ok() ? static_cast<size_t>(n) : 0);
      for (int64_t& v : w.trigger_state) r.Get(&v, "trigger state");
      ks.windows.push_back(std::move(w));
    }
    uint64_t timers = 0;
    r.GetCount(&timers, 25, absl::StrCat("key ", k, ": timer count"));
    for (uint64_t i = 0; r.ok() && i < timers; ++i) {
      typename WindowStateData<Key, Acc>::Timer t;
      uint8_t domain = 0;
      const size_t domain_at = r.offset();
      r.Get(&domain, "timer domain");
      if (r.ok() &&
          domain > static_cast<uint8_t>(TimerDomain::kProcessingTime)) {
        r.Fail(domain_at, "key ", k, ": timer ", i, ": unknown domain ",
               static_cast<int>(domain));
      }
      t.domain = static_cast<TimerDomain>(domain);
      r.Get(&t.time_millis, "timer time");
      r.Get(&t.window_start_millis, "timer window start");
      r.Get(&t.window_max_timestamp_millis, "timer window max timestamp");
      ks.timers.push_back(t);
    }
    d.keys.push_back(std::move(ks));
  }
  if (r.ok() && r.remaining() != 0) {
    r.Fail(r.offset(), r.remaining(), " trailing bytes");
  }
  if (!r.ok()) return r.status();
  *shape = std::move(sh);
  *data = std::move(d);
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_INTERNAL_WINDOW_STATE_CODEC_H_
