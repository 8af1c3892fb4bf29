// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/partitioner.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include <catch2/catch.hpp>

#include "testing/conformance.h"
#include "testing/status_testing.h"
#include "util/md5.h"

namespace brook {
namespace {

std::string Hex(const std::array<uint8_t, 16>& d) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

TEST_CASE("Md5: RFC 1321 test suite", "[partition]") {
  CHECK(Hex(internal::Md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(Hex(internal::Md5("a")) == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(Hex(internal::Md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(Hex(internal::Md5("message digest")) ==
        "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(Hex(internal::Md5("abcdefghijklmnopqrstuvwxyz")) ==
        "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(Hex(internal::Md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789")) == "d174ab98d277d9f5a5611c2c9f419d9f");
  CHECK(Hex(internal::Md5("1234567890123456789012345678901234567890123456789012"
                          "3456789012345678901234567890")) ==
        "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("Md5: lengths around the block padding boundary", "[partition]") {
  // 55, 56, 63, 64 and 65 bytes take one or two padding blocks.
  CHECK(Hex(internal::Md5(std::string(55, 'a'))) ==
        "ef1772b6dff9a122358552954ad0df65");
  CHECK(Hex(internal::Md5(std::string(56, 'a'))) ==
        "3b0c8ac703f828b04c6c197006d17218");
  CHECK(Hex(internal::Md5(std::string(63, 'a'))) ==
        "b06521f39153d618550606be297466d5");
  CHECK(Hex(internal::Md5(std::string(64, 'a'))) ==
        "014842d480b571495a4a0363793f7367");
  CHECK(Hex(internal::Md5(std::string(65, 'a'))) ==
        "c743a45e0d2e6a95cb859adae0248435");
}

TEST_CASE("Partitioner: every kinesalite routing vector",
          "[partition][conformance]") {
  const nlohmann::json doc = testing::LoadConformance("kinesis/routing.json");
  REQUIRE(doc["keys"].size() > 0);
  for (const auto& key : doc["keys"]) {
    const std::string pk = key["partition_key"];
    INFO("partition key " << pk);
    CHECK(Hex(internal::Md5(pk)) == key["md5"].get<std::string>());
    absl::StatusOr<RoutedRecord> r = RouteRecord(pk, "data", "");
    BROOK_REQUIRE_OK(r);
    CHECK(HashKeyToString(r->hash_key) == key["hash_key"].get<std::string>());
    CHECK_FALSE(r->has_explicit_hash_key);
  }
  for (const auto& e : doc["explicit_hash_keys"]) {
    const std::string ehk = e["explicit_hash_key"];
    INFO("explicit hash key " << ehk);
    absl::StatusOr<RoutedRecord> r = RouteRecord(e["partition_key"], "", ehk);
    BROOK_REQUIRE_OK(r);
    CHECK(HashKeyToString(r->hash_key) == ehk);
    CHECK(r->has_explicit_hash_key);
  }
}

TEST_CASE("Partitioner: shard ranges match kinesalite for 1 to 8 shards",
          "[partition][conformance]") {
  const nlohmann::json doc = testing::LoadConformance("kinesis/ranges.json");
  REQUIRE(doc["streams"].size() >= 8);
  for (const auto& stream : doc["streams"]) {
    const int n = stream["shard_count"];
    INFO("shard count " << n);
    const std::vector<HashKeyRange> ranges = UniformHashKeyRanges(n);
    REQUIRE(ranges.size() == stream["shards"].size());
    for (size_t i = 0; i < ranges.size(); ++i) {
      const auto& expected = stream["shards"][i]["HashKeyRange"];
      CHECK(HashKeyToString(ranges[i].starting_hash_key) ==
            expected["StartingHashKey"].get<std::string>());
      CHECK(HashKeyToString(ranges[i].ending_hash_key) ==
            expected["EndingHashKey"].get<std::string>());
    }
  }
}

TEST_CASE("Partitioner: ranges tile the key space for many shard counts",
          "[partition]") {
  for (int n : {1, 2, 3, 5, 7, 16, 100, 1000, 10000}) {
    const std::vector<HashKeyRange> ranges = UniformHashKeyRanges(n);
    REQUIRE(ranges.size() == static_cast<size_t>(n));
    CHECK(ranges.front().starting_hash_key == 0);
    CHECK(ranges.back().ending_hash_key == absl::Uint128Max());
    for (size_t i = 1; i < ranges.size(); ++i) {
      CHECK(ranges[i].starting_hash_key == ranges[i - 1].ending_hash_key + 1);
    }
  }
}

TEST_CASE("ParseHashKey: canonical decimals only", "[partition]") {
  CHECK(*ParseHashKey("0") == 0);
  CHECK(*ParseHashKey("340282366920938463463374607431768211455") ==
        absl::Uint128Max());
  for (const char* bad :
       {"", "01", "00", "1e3", "0x10", "-1", "+1", " 1", "1 ", "1.0",
        "340282366920938463463374607431768211456",
        "999999999999999999999999999999999999999999", "abc"}) {
    INFO("input \"" << bad << "\"");
    absl::StatusOr<HashKey> k = ParseHashKey(bad);
    BROOK_CHECK_CODE(k, kInvalidArgument);
    CHECK(k.status().message().find("explicit hash key") == 0);
  }
}

TEST_CASE("ValidatePartitionKey: length in characters, UTF-8", "[partition]") {
  BROOK_CHECK_OK(ValidatePartitionKey("a"));
  BROOK_CHECK_OK(ValidatePartitionKey(std::string(256, 'x')));
  BROOK_CHECK_CODE(ValidatePartitionKey(std::string(257, 'x')),
                   kInvalidArgument);
  BROOK_CHECK_CODE(ValidatePartitionKey(""), kInvalidArgument);
  // Kinesis counts characters: 256 four-byte characters are allowed.
  std::string emoji;
  for (int i = 0; i < 256; ++i) emoji += "\xF0\x9F\x98\x80";
  BROOK_CHECK_OK(ValidatePartitionKey(emoji));
  BROOK_CHECK_CODE(ValidatePartitionKey(emoji + "a"), kInvalidArgument);
  // 256 two-byte characters: 512 bytes, fine.
  std::string cyrillic;
  for (int i = 0; i < 256; ++i) cyrillic += "\xD0\xB6";
  BROOK_CHECK_OK(ValidatePartitionKey(cyrillic));

  for (const char* bad : {"\xFF", "ab\xC0\xAF", "\xED\xA0\x80", "\xE2\x82",
                          "\xF4\x90\x80\x80", "\x80", "abc\xF0\x9F\x98"}) {
    absl::Status s = ValidatePartitionKey(bad);
    BROOK_CHECK_CODE(s, kInvalidArgument);
    CHECK(s.message().find("invalid UTF-8") != absl::string_view::npos);
  }
}

TEST_CASE("SequenceNumber: decimal round trip and bad text", "[partition]") {
  const SequenceNumber n =
      SequenceNumber::FromValue(absl::MakeUint128(12345, 7));
  absl::StatusOr<SequenceNumber> back = SequenceNumber::Parse(n.ToString());
  BROOK_REQUIRE_OK(back);
  CHECK(*back == n);
  BROOK_CHECK_CODE(SequenceNumber::Parse("12a"), kInvalidArgument);
  BROOK_CHECK_CODE(SequenceNumber::Parse(""), kInvalidArgument);
  BROOK_CHECK_CODE(SequenceNumber::Parse("007"), kInvalidArgument);
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

TEST_CASE("Md5Many: same digests as one at a time, any mix of lengths",
          "[partition]") {
  std::vector<std::string> owned;
  for (size_t len : {0, 1, 3, 16, 36, 54, 55, 56, 63, 64, 65, 120, 255, 2, 7}) {
    owned.push_back(std::string(len, static_cast<char>('a' + len % 26)));
  }
  for (size_t n = 0; n <= owned.size(); ++n) {
    std::vector<absl::string_view> views(owned.begin(), owned.begin() + n);
    std::vector<std::array<uint8_t, 16>> digests(n);
    internal::Md5Many(views.data(), n, digests.data());
    for (size_t i = 0; i < n; ++i) {
      INFO("n " << n << " message " << i << " length " << owned[i].size());
      CHECK(digests[i] == internal::Md5(owned[i]));
    }
  }
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

// Every Md5Many() implementation this machine can run, with its name.
std::vector<std::pair<std::string, decltype(&internal::Md5Many)>> Md5Paths() {
  std::vector<std::pair<std::string, decltype(&internal::Md5Many)>> paths = {
      {"dispatch", &internal::Md5Many},
      {"portable", &internal::Md5ManyPortable}};
  if (internal::Md5Avx2Available()) {
    paths.push_back({"avx2", &internal::Md5ManyAvx2});
  }
  if (internal::Md5Avx512Available()) {
    paths.push_back({"avx512", &internal::Md5ManyAvx512});
  }
  return paths;
}

TEST_CASE("Md5Many: every path gives every kinesalite routing digest",
          "[partition][conformance]") {
  const nlohmann::json doc = testing::LoadConformance("kinesis/routing.json");
  std::vector<std::string> keys;
  std::vector<std::string> want;
  for (const auto& key : doc["keys"]) {
    keys.push_back(key["partition_key"]);
    want.push_back(key["md5"]);
  }
  REQUIRE(!keys.empty());
  INFO("Md5Many uses " << internal::Md5ManyImplementation());
  for (const auto& [name, md5_many] : Md5Paths()) {
    // Every vector at each position of a lane group: batches of 1 to 33
    // starting at every offset.
    for (size_t batch = 1; batch <= 33; ++batch) {
      for (size_t begin = 0; begin < keys.size(); begin += batch) {
        const size_t n = std::min(batch, keys.size() - begin);
        std::vector<absl::string_view> views(keys.begin() + begin,
                                             keys.begin() + begin + n);
        std::vector<std::array<uint8_t, 16>> digests(n);
        md5_many(views.data(), n, digests.data());
        for (size_t i = 0; i < n; ++i) {
          INFO("path " << name << " batch " << batch << " key "
                       << keys[begin + i]);
          CHECK(Hex(digests[i]) == want[begin + i]);
        }
      }
    }
  }
}

TEST_CASE("Md5Many: every path agrees with Md5 on a million random keys",
          "[partition]") {
  const uint64_t seed = std::random_device()();
  WARN("Md5Many random keys: seed "
       << seed << "; Md5Many uses " << internal::Md5ManyImplementation()
       << "; avx2 " << internal::Md5Avx2Available() << ", avx512 "
       << internal::Md5Avx512Available());
  std::mt19937_64 rng(seed);
  constexpr size_t kKeys = 1000000;
  constexpr size_t kChunk = 10000;
  std::vector<std::string> keys(kChunk);
  std::vector<absl::string_view> views(kChunk);
  std::vector<std::array<uint8_t, 16>> want(kChunk);
  std::vector<std::array<uint8_t, 16>> got(kChunk);
  const auto paths = Md5Paths();
  for (size_t done = 0; done < kKeys; done += kChunk) {
    for (size_t i = 0; i < kChunk; ++i) {
      // Mostly one-block lengths (0-55), some up to two blocks and beyond,
      // any byte values.
      const uint64_t r = rng();
      const size_t len = (r & 15) == 0 ? (r >> 8) % 140 : (r >> 8) % 56;
      keys[i].resize(len);
      for (char& c : keys[i]) c = static_cast<char>(rng());
      views[i] = keys[i];
      want[i] = internal::Md5(keys[i]);
    }
    for (const auto& [name, md5_many] : paths) {
      // Uneven batch sizes, so every lane count is reached.
      for (size_t begin = 0; begin < kChunk;) {
        const size_t n = std::min<size_t>(1 + rng() % 40, kChunk - begin);
        md5_many(views.data() + begin, n, got.data() + begin);
        begin += n;
      }
      for (size_t i = 0; i < kChunk; ++i) {
        if (got[i] != want[i]) {
          FAIL("path " << name << " seed " << seed << " key " << done + i
                       << " length " << keys[i].size() << ": " << Hex(got[i])
                       << " != " << Hex(want[i]));
        }
      }
    }
  }
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

// Every Md5ManyLong() implementation this machine can run, with its name.
std::vector<std::pair<std::string, decltype(&internal::Md5ManyLong)>>
Md5LongPaths() {
  std::vector<std::pair<std::string, decltype(&internal::Md5ManyLong)>> paths =
      {{"dispatch", &internal::Md5ManyLong},
       {"portable", &internal::Md5ManyLongPortable}};
  if (internal::Md5Avx2Available()) {
    paths.push_back({"avx2", &internal::Md5ManyLongAvx2});
  }
  if (internal::Md5Avx512Available()) {
    paths.push_back({"avx512", &internal::Md5ManyLongAvx512});
  }
  return paths;
}

// Hashes `messages` with `md5_many` in calls of 1, 2, ... `max_batch`
// messages (so that lanes are left idle, refilled and mixed) and checks each
// digest against Md5().
void CheckLongPath(const std::string& name,
                   decltype(&internal::Md5ManyLong) md5_many,
                   const std::vector<std::string>& messages, size_t max_batch) {
  std::vector<absl::string_view> views(messages.begin(), messages.end());
  std::vector<std::array<uint8_t, 16>> want;
  for (const std::string& m : messages) want.push_back(internal::Md5(m));
  for (size_t batch = 1; batch <= max_batch; ++batch) {
    std::vector<std::array<uint8_t, 16>> got(messages.size());
    for (size_t begin = 0; begin < messages.size(); begin += batch) {
      const size_t n = std::min(batch, messages.size() - begin);
      md5_many(views.data() + begin, n, got.data() + begin);
    }
    for (size_t i = 0; i < messages.size(); ++i) {
      if (got[i] != want[i]) {
        FAIL("path " << name << " batch " << batch << " message " << i
                     << " length " << messages[i].size() << ": " << Hex(got[i])
                     << " != " << Hex(want[i]));
      }
    }
  }
}

TEST_CASE("Md5ManyLong: every path gives the RFC, routing and KPL digests",
          "[partition][conformance]") {
  std::vector<std::string> messages = {
      "",
      "a",
      "abc",
      "message digest",
      "abcdefghijklmnopqrstuvwxyz",
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
      "1234567890123456789012345678901234567890123456789012345678901234567890"
      "1234567890"};
  // Every length around one, two and three blocks' padding.
  for (size_t len = 50; len <= 200; ++len) {
    messages.push_back(std::string(len, static_cast<char>('a' + len % 26)));
  }
  const nlohmann::json routing =
      testing::LoadConformance("kinesis/routing.json");
  for (const auto& key : routing["keys"]) {
    messages.push_back(key["partition_key"]);
  }
  // The protobuf each KPL vector's MD5 trailer covers (between the 4-byte
  // magic and the 16-byte trailer).
  const nlohmann::json kpl = testing::LoadConformance("kpl/vectors.json");
  for (const auto& v : kpl["vectors"]) {
    const std::string blob =
        absl::HexStringToBytes(v["blob_hex"].get<std::string>());
    REQUIRE(blob.size() >= 20);
    const std::string proto = blob.substr(4, blob.size() - 20);
    std::array<uint8_t, 16> trailer;
    std::memcpy(trailer.data(), blob.data() + blob.size() - 16, 16);
    CHECK(internal::Md5(proto) == trailer);
    messages.push_back(proto);
  }
  CHECK(Hex(internal::Md5(messages[3])) == "f96b697d7cb7938d525a2f31aaf161d0");
  INFO("Md5ManyLong uses " << internal::Md5ManyImplementation());
  for (const auto& [name, md5_many] : Md5LongPaths()) {
    CheckLongPath(name, md5_many, messages, 40);
  }
}

TEST_CASE(
    "Md5ManyLong: every path agrees with Md5 on random messages of "
    "random lengths up to 200 KB",
    "[partition]") {
  const uint64_t seed = std::random_device()();
  WARN("Md5ManyLong random messages: seed "
       << seed << "; Md5ManyLong uses " << internal::Md5ManyImplementation());
  std::mt19937_64 rng(seed);
  const auto paths = Md5LongPaths();
  for (int round = 0; round < 4; ++round) {
    // 48 messages: mostly 0..200 KB, some within a few blocks, any bytes.
    std::vector<std::string> messages(48);
    for (std::string& m : messages) {
      const uint64_t r = rng();
      const size_t len =
          (r & 3) == 0 ? (r >> 8) % 300 : (r >> 8) % (200 * 1024 + 1);
      m.resize(len);
      for (size_t i = 0; i < len; i += 8) {
        const uint64_t bytes = rng();
        std::memcpy(&m[i], &bytes, std::min<size_t>(8, len - i));
      }
    }
    for (const auto& [name, md5_many] : paths) {
      INFO("seed " << seed << " round " << round);
      CheckLongPath(name, md5_many, messages, 20);
    }
  }
}

}  // namespace
}  // namespace brook
