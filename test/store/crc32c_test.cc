// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "util/crc32c.h"

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace brook {
namespace internal {
namespace {

// Bit-at-a-time CRC-32C, the definition the fast version must agree with.
uint32_t SlowCrc32c(const char* data, size_t n) {
  uint32_t crc = ~0u;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint8_t>(data[i]);
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
  }
  return ~crc;
}

TEST_CASE("Crc32c: known vectors", "[store][crc]") {
  CHECK(Crc32c("", 0) == 0);
  CHECK(Crc32c("123456789", 9) == 0xE3069283u);
  // RFC 3720 (iSCSI) B.4.
  const std::string zeros(32, '\0');
  CHECK(Crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  const std::string ones(32, '\xff');
  CHECK(Crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  CHECK(Crc32c(ascending.data(), ascending.size()) == 0x46DD794Eu);
}

// Every implementation this build has, each checked on its own whatever
// Crc32cExtend() chose.
std::vector<std::pair<std::string, uint32_t (*)(uint32_t, const char*, size_t)>>
Implementations() {
  std::vector<
      std::pair<std::string, uint32_t (*)(uint32_t, const char*, size_t)>>
      out = {{"dispatched", &Crc32cExtend},
             {"portable", &Crc32cExtendPortable}};
  if (Crc32cHardwareAvailable()) {
    out.emplace_back("sse4.2", &Crc32cExtendHardware);
  }
  return out;
}

TEST_CASE("Crc32c: matches the bitwise definition at every length and split",
          "[store][crc]") {
  std::mt19937 rng(7);
  std::string data(3 * 4096 * 2 + 777, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (const auto& [name, extend] : Implementations()) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9},
                     size_t{4095}, size_t{3 * 4096 - 1}, size_t{3 * 4096},
                     size_t{3 * 4096 + 5}, data.size()}) {
      INFO(name << ", length " << n);
      const uint32_t expected = SlowCrc32c(data.data(), n);
      CHECK(extend(0, data.data(), n) == expected);
      const size_t split = n / 3;
      CHECK(extend(extend(0, data.data(), split), data.data() + split,
                   n - split) == expected);
      // Unaligned starts.
      if (n > 3) {
        CHECK(extend(0, data.data() + 3, n - 3) ==
              SlowCrc32c(data.data() + 3, n - 3));
      }
    }
  }
}

TEST_CASE("Crc32c: matches the bitwise definition from every start in a page",
          "[store][crc]") {
  // Crc32cExtendFromMemory() runs a long input's head up to a 4 KiB boundary
  // on its own: every head length, with and without a tail of odd length.
  std::mt19937 rng(11);
  std::string data(4 * 4096 + 3 * 4096 * 2 + 100, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const size_t to_page =
      (4096 - reinterpret_cast<uintptr_t>(data.data()) % 4096) % 4096;
  const char* page = data.data() + to_page;
  for (const auto& [name, extend] : Implementations()) {
    for (size_t start : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9},
                         size_t{2048}, size_t{4088}, size_t{4095}}) {
      for (size_t n : {size_t{3 * 4096}, size_t{3 * 4096} + start,
                       size_t{3 * 4096} + start + 13, size_t{6 * 4096 + 99}}) {
        INFO(name << ", start " << start << ", length " << n);
        CHECK(extend(0, page + start, n) == SlowCrc32c(page + start, n));
        CHECK(Crc32cExtendFromMemory(0, page + start, n) ==
              SlowCrc32c(page + start, n));
        const uint32_t half = extend(0x12345678u, page + start, n / 2);
        CHECK(extend(0x12345678u, page + start, n) ==
              extend(half, page + start + n / 2, n - n / 2));
      }
    }
  }
}

TEST_CASE("Crc32c: known vectors on every implementation", "[store][crc]") {
  for (const auto& [name, extend] : Implementations()) {
    INFO(name);
    CHECK(extend(0, "123456789", 9) == 0xE3069283u);
    const std::string zeros(32, '\0');
    CHECK(extend(0, zeros.data(), zeros.size()) == 0x8A9136AAu);
  }
}

TEST_CASE("Crc32c: BROOK_CRC32C=portable forces the portable version",
          "[store][crc]") {
  // The choice is made once per process; CI runs the store tests a second
  // time with the variable set, so both paths run every durability test.
  const char* forced = std::getenv("BROOK_CRC32C");
  const bool portable = forced != nullptr && std::string(forced) == "portable";
  INFO("BROOK_CRC32C=" << (forced ? forced : "(unset)"));
  if (portable || !Crc32cHardwareAvailable()) {
    CHECK(std::string(Crc32cImplementation()) == "portable");
  } else {
    CHECK(std::string(Crc32cImplementation()) == "sse4.2");
  }
}

}  // namespace
}  // namespace internal
}  // namespace brook
