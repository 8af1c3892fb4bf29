// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/codec.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/watermark.h"

#include "testing/status_testing.h"

namespace {

struct Click {
  std::string page;
  int64_t time = 0;
  bool operator==(const Click& o) const {
    return page == o.page && time == o.time;
  }
};

}  // namespace

// A user type, as codec.h's example shows.
template <>
struct brook::Codec<Click> {
  static void Encode(const Click& c, std::string* out) {
    brook::Codec<std::string>::Encode(c.page, out);
    brook::Codec<int64_t>::Encode(c.time, out);
  }
  static bool Decode(absl::string_view* in, Click* c) {
    return brook::Codec<std::string>::Decode(in, &c->page) &&
           brook::Codec<int64_t>::Decode(in, &c->time);
  }
};

namespace brook {
namespace {

template <typename T>
T RoundTrip(const T& value, size_t* size = nullptr) {
  std::string bytes;
  Codec<T>::Encode(value, &bytes);
  if (size != nullptr) *size = bytes.size();
  absl::string_view in = bytes;
  T back{};
  REQUIRE(Codec<T>::Decode(&in, &back));
  CHECK(in.empty());
  // Every strict prefix fails to decode instead of reading past its end.
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    absl::string_view part(bytes.data(), cut);
    T ignored{};
    CHECK_FALSE(Codec<T>::Decode(&part, &ignored));
  }
  return back;
}

TEST_CASE("Codec: built-in types round-trip and reject truncation",
          "[window][codec]") {
  CHECK(RoundTrip<int64_t>(-5) == -5);
  CHECK(RoundTrip<uint32_t>(7) == 7);
  CHECK(RoundTrip<double>(2.5) == 2.5);
  CHECK(RoundTrip<bool>(true));
  const absl::int128 big = absl::int128(1) << 100;
  CHECK(RoundTrip<absl::int128>(-big) == -big);
  CHECK(RoundTrip<absl::int128>(absl::Int128Min()) == absl::Int128Min());
  CHECK(RoundTrip<absl::uint128>(absl::Uint128Max()) == absl::Uint128Max());
  CHECK(RoundTrip<absl::uint128>(absl::MakeUint128(1, 2)) ==
        absl::MakeUint128(1, 2));
  {
    // Low 64 bits first, then the high 64 bits.
    std::string bytes;
    Codec<absl::int128>::Encode(absl::MakeInt128(-1, 2), &bytes);
    REQUIRE(bytes.size() == 16);
    CHECK(bytes[0] == 2);
    CHECK(static_cast<unsigned char>(bytes[15]) == 0xff);
    absl::string_view short_in(bytes.data(), 15);
    absl::int128 v;
    CHECK_FALSE(Codec<absl::int128>::Decode(&short_in, &v));
  }
  CHECK(RoundTrip<std::string>(std::string("a\0b", 3)) ==
        std::string("a\0b", 3));
  CHECK(RoundTrip(std::vector<std::string>{"x", "", "yz"}) ==
        std::vector<std::string>{"x", "", "yz"});
  CHECK(RoundTrip(std::optional<int>(3)) == std::optional<int>(3));
  CHECK(RoundTrip(std::optional<int>()) == std::optional<int>());
  CHECK(RoundTrip(std::make_pair(std::string("k"), int64_t{9})) ==
        std::make_pair(std::string("k"), int64_t{9}));
  CHECK(RoundTrip(std::vector<Click>{{"/home", 1}, {"/cart", 2}}) ==
        std::vector<Click>{{"/home", 1}, {"/cart", 2}});
}

TEST_CASE("Codec: a corrupt length never allocates past the input",
          "[window][codec]") {
  std::string bytes;
  Codec<uint64_t>::Encode(~uint64_t{0}, &bytes);  // an absurd count
  absl::string_view in = bytes;
  std::vector<int64_t> v;
  CHECK_FALSE(Codec<std::vector<int64_t>>::Decode(&in, &v));
  in = bytes;
  std::string s;
  CHECK_FALSE(Codec<std::string>::Decode(&in, &s));
}

TEST_CASE("Codec: a bool is the byte 0 or 1, any other byte is refused",
          "[window][codec]") {
  for (int byte : {2, 0x7f, 0xff}) {
    CAPTURE(byte);
    const std::string bytes(1, static_cast<char>(byte));
    absl::string_view in = bytes;
    bool v = false;
    CHECK_FALSE(Codec<bool>::Decode(&in, &v));
    CHECK(in.size() == 1);  // nothing consumed
    // Through the containers that hold one.
    in = bytes;
    std::optional<int32_t> opt;
    CHECK_FALSE(Codec<std::optional<int32_t>>::Decode(&in, &opt));
  }
  std::string zero_one;
  Codec<bool>::Encode(false, &zero_one);
  Codec<bool>::Encode(true, &zero_one);
  CHECK(zero_one == std::string("\0\1", 2));
}

}  // namespace
}  // namespace brook
