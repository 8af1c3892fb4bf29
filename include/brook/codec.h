// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `Codec<T>` turns values into bytes and back, for saved state that must
// outlive the process (`WindowOperator::SaveState()`,
// `WindowPipeline::SaveState()`). brook provides codecs for arithmetic types,
// enums, `absl::int128`, `absl::uint128`, `std::string`, `std::vector`,
// `std::optional` and `std::pair` of codable types; specialise `brook::Codec`
// for your own key, element and accumulator types:
//
//   template <>
//   struct brook::Codec<Click> {
//     static void Encode(const Click& c, std::string* out) {
//       brook::Codec<std::string>::Encode(c.page, out);
//       brook::Codec<int64_t>::Encode(c.time, out);
//     }
//     static bool Decode(absl::string_view* in, Click* c) {
//       return brook::Codec<std::string>::Decode(in, &c->page) &&
//              brook::Codec<int64_t>::Decode(in, &c->time);
//     }
//   };
//
// `Encode` appends to `out`; `Decode` consumes from the front of `in` and
// returns false for bytes it cannot decode (it never reads past `in`).
// Integers are little-endian, fixed width; lengths are 64-bit; a `bool` is
// one byte, 0 or 1 (`Decode` rejects any other byte).
//
// Thread safety: codecs are stateless.

#ifndef BROOK_CODEC_H_
#define BROOK_CODEC_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"

namespace brook {

template <typename T, typename Enable = void>
struct Codec;  // specialise for your types

// Arithmetic types but `bool`, and enums: their bytes. An enum decodes to any
// value of its underlying type; a decoder that needs a known enumerator checks
// it itself.
template <typename T>
struct Codec<T, std::enable_if_t<(
                    (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) ||
                    std::is_enum_v<T>)>> {
  static void Encode(const T& v, std::string* out) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    out->append(bytes, sizeof(T));
  }
  static bool Decode(absl::string_view* in, T* v) {
    if (in->size() < sizeof(T)) return false;
    std::memcpy(v, in->data(), sizeof(T));
    in->remove_prefix(sizeof(T));
    return true;
  }
};

// `absl::uint128`: 16 bytes, the low 64 bits first, then the high 64 bits
// (each as `uint64_t`).
template <>
struct Codec<absl::uint128> {
  static void Encode(const absl::uint128& v, std::string* out) {
    Codec<uint64_t>::Encode(absl::Uint128Low64(v), out);
    Codec<uint64_t>::Encode(absl::Uint128High64(v), out);
  }
  static bool Decode(absl::string_view* in, absl::uint128* v) {
    uint64_t low = 0, high = 0;
    if (in->size() < 16) return false;
    Codec<uint64_t>::Decode(in, &low);
    Codec<uint64_t>::Decode(in, &high);
    *v = absl::MakeUint128(high, low);
    return true;
  }
};

// `absl::int128`: 16 bytes, two's complement, as `absl::uint128` above (the
// low 64 bits first, then the high 64 bits as `int64_t`).
template <>
struct Codec<absl::int128> {
  static void Encode(const absl::int128& v, std::string* out) {
    Codec<uint64_t>::Encode(absl::Int128Low64(v), out);
    Codec<int64_t>::Encode(absl::Int128High64(v), out);
  }
  static bool Decode(absl::string_view* in, absl::int128* v) {
    uint64_t low = 0;
    int64_t high = 0;
    if (in->size() < 16) return false;
    Codec<uint64_t>::Decode(in, &low);
    Codec<int64_t>::Decode(in, &high);
    *v = absl::MakeInt128(high, low);
    return true;
  }
};

// One byte, 0 or 1; any other byte is not a bool (and copying it into one
// would be undefined behaviour).
template <>
struct Codec<bool> {
  static void Encode(bool v, std::string* out) { out->push_back(v ? 1 : 0); }
  static bool Decode(absl::string_view* in, bool* v) {
    if (in->empty()) return false;
    const unsigned char b = static_cast<unsigned char>(in->front());
    if (b > 1) return false;
    *v = b == 1;
    in->remove_prefix(1);
    return true;
  }
};

template <>
struct Codec<std::string> {
  static void Encode(const std::string& v, std::string* out) {
    Codec<uint64_t>::Encode(v.size(), out);
    out->append(v);
  }
  static bool Decode(absl::string_view* in, std::string* v) {
    uint64_t n;
    if (!Codec<uint64_t>::Decode(in, &n) || n > in->size()) return false;
    v->assign(in->data(), static_cast<size_t>(n));
    in->remove_prefix(static_cast<size_t>(n));
    return true;
  }
};

template <typename T, typename A>
struct Codec<std::vector<T, A>> {
  static void Encode(const std::vector<T, A>& v, std::string* out) {
    Codec<uint64_t>::Encode(v.size(), out);
    for (const T& x : v) Codec<T>::Encode(x, out);
  }
  static bool Decode(absl::string_view* in, std::vector<T, A>* v) {
    uint64_t n;
    // Every element takes at least a byte, so a bad count cannot allocate
    // more than the input's size.
    if (!Codec<uint64_t>::Decode(in, &n) || n > in->size() * 8 + 8) {
      return false;
    }
    v->clear();
    v->reserve(static_cast<size_t>(std::min<uint64_t>(n, in->size())));
    for (uint64_t i = 0; i < n; ++i) {
      T x{};
      if (!Codec<T>::Decode(in, &x)) return false;
      v->push_back(std::move(x));
    }
    return true;
  }
};

template <typename T>
struct Codec<std::optional<T>> {
  static void Encode(const std::optional<T>& v, std::string* out) {
    Codec<bool>::Encode(v.has_value(), out);
    if (v.has_value()) Codec<T>::Encode(*v, out);
  }
  static bool Decode(absl::string_view* in, std::optional<T>* v) {
    bool has;
    if (!Codec<bool>::Decode(in, &has)) return false;
    if (!has) {
      v->reset();
      return true;
    }
    T x{};
    if (!Codec<T>::Decode(in, &x)) return false;
    *v = std::move(x);
    return true;
  }
};

template <typename A, typename B>
struct Codec<std::pair<A, B>> {
  static void Encode(const std::pair<A, B>& v, std::string* out) {
    Codec<A>::Encode(v.first, out);
    Codec<B>::Encode(v.second, out);
  }
  static bool Decode(absl::string_view* in, std::pair<A, B>* v) {
    return Codec<A>::Decode(in, &v->first) && Codec<B>::Decode(in, &v->second);
  }
};

}  // namespace brook

#endif  // BROOK_CODEC_H_
