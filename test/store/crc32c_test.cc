// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "util/crc32c.h"

#include <cstdint>
#include <random>
#include <string>

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

TEST_CASE("Crc32c: matches the bitwise definition at every length and split",
          "[store][crc]") {
  std::mt19937 rng(7);
  std::string data(3 * 4096 * 2 + 777, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9},
                   size_t{4095}, size_t{3 * 4096 - 1}, size_t{3 * 4096},
                   size_t{3 * 4096 + 5}, data.size()}) {
    INFO("length " << n);
    const uint32_t expected = SlowCrc32c(data.data(), n);
    CHECK(Crc32c(data.data(), n) == expected);
    const size_t split = n / 3;
    CHECK(Crc32cExtend(Crc32c(data.data(), split), data.data() + split,
                       n - split) == expected);
  }
}

}  // namespace
}  // namespace internal
}  // namespace brook
