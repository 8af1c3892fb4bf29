// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// SequenceNumber's 192 bits: remote (Kinesis) numbers of 56 digits, and
// local numbers, below 2^128, that behave as they did with 128 bits.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/record.h"
#include "brook/stream.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

// A sequence number kinesalite gave (186 bits), and its three words.
constexpr char kKinesalite[] =
    "49680734675281032265112259006898146605674192670837178370";
constexpr uint64_t kKinesaliteHigh = 145998557388734464u;
constexpr absl::uint128 kKinesaliteLow =
    absl::MakeUint128(6, 12748026983993049090u);

constexpr char k2To128[] = "340282366920938463463374607431768211456";
constexpr char k2To192Minus1[] =
    "6277101735386680763835789423207666416102355444464034512895";
constexpr char k2To192[] =
    "6277101735386680763835789423207666416102355444464034512896";

// Canonical decimals order by length, then digit by digit.
bool DecimalLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

TEST_CASE(
    "SequenceNumber: a kinesalite number parses into its three words "
    "and prints back unchanged",
    "[partition][sequence]") {
  absl::StatusOr<SequenceNumber> n = SequenceNumber::Parse(kKinesalite);
  BROOK_REQUIRE_OK(n);
  CHECK(n->high() == kKinesaliteHigh);
  CHECK(n->value() == kKinesaliteLow);
  CHECK(*n == SequenceNumber::FromParts(kKinesaliteHigh, kKinesaliteLow));
  CHECK(n->ToString() == kKinesalite);

  absl::StatusOr<SequenceNumber> top = SequenceNumber::Parse(k2To192Minus1);
  BROOK_REQUIRE_OK(top);
  CHECK(top->high() == ~uint64_t{0});
  CHECK(top->value() == ~absl::uint128(0));
  CHECK(top->ToString() == k2To192Minus1);

  absl::StatusOr<SequenceNumber> wide = SequenceNumber::Parse(k2To128);
  BROOK_REQUIRE_OK(wide);
  CHECK(*wide == SequenceNumber::FromParts(1, 0));
  CHECK(SequenceNumber::FromParts(1, 0).ToString() == k2To128);
  // 10^19 boundaries inside the formatter's chunks.
  CHECK(SequenceNumber::FromParts(1, 1).ToString() ==
        "340282366920938463463374607431768211457");
  CHECK(SequenceNumber::FromParts(0, 0).ToString() == "0");
}

TEST_CASE("SequenceNumber: local numbers (below 2^128) are unchanged",
          "[partition][sequence]") {
  const uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::vector<absl::uint128> values = {0, 1, ~absl::uint128(0),
                                       absl::MakeUint128(1, 0),
                                       absl::MakeUint128(12345, 7)};
  for (int i = 0; i < 2000; ++i) {
    // Mixed widths, so both short and 39-digit numbers come up.
    const int bits = static_cast<int>(rng() % 129);
    absl::uint128 v = absl::MakeUint128(rng(), rng());
    v = bits == 128 ? v : (v & ((absl::uint128(1) << bits) - 1));
    values.push_back(v);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const SequenceNumber n = SequenceNumber::FromValue(values[i]);
    CHECK(n.high() == 0);
    CHECK(n.value() == values[i]);
    // The same text as the 128-bit formatter gives (hash keys use it).
    REQUIRE(n.ToString() == HashKeyToString(values[i]));
    absl::StatusOr<SequenceNumber> back = SequenceNumber::Parse(n.ToString());
    BROOK_REQUIRE_OK(back);
    CHECK(*back == n);
    // Order as before: by the 128-bit value.
    const absl::uint128 other = values[(i * 7 + 3) % values.size()];
    const SequenceNumber m = SequenceNumber::FromValue(other);
    CHECK((n < m) == (values[i] < other));
    CHECK((n == m) == (values[i] == other));
    CHECK((n >= m) == (values[i] >= other));
  }
}

TEST_CASE("SequenceNumber: 192-bit round trip and order, randomized",
          "[partition][sequence]") {
  const uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::vector<SequenceNumber> numbers;
  for (int i = 0; i < 3000; ++i) {
    const uint64_t high = (i % 3 == 0) ? 0 : (rng() >> (rng() % 64));
    numbers.push_back(SequenceNumber::FromParts(
        high, absl::MakeUint128(rng() >> (rng() % 64), rng())));
  }
  numbers.push_back(SequenceNumber::FromParts(~uint64_t{0}, 0));
  numbers.push_back(SequenceNumber::FromParts(0, ~absl::uint128(0)));
  for (size_t i = 0; i < numbers.size(); ++i) {
    const SequenceNumber n = numbers[i];
    const std::string text = n.ToString();
    INFO(text);
    REQUIRE(text.size() <= 58);
    absl::StatusOr<SequenceNumber> back = SequenceNumber::Parse(text);
    BROOK_REQUIRE_OK(back);
    REQUIRE(*back == n);
    CHECK(back->high() == n.high());
    // Order over all 192 bits agrees with the numbers' decimal order.
    const SequenceNumber m = numbers[(i * 13 + 5) % numbers.size()];
    const std::string other = m.ToString();
    CHECK((n < m) == DecimalLess(text, other));
    CHECK((n > m) == DecimalLess(other, text));
    CHECK((n == m) == (text == other));
    CHECK((n != m) == (text != other));
    CHECK((n <= m) == !DecimalLess(other, text));
  }
}

TEST_CASE("SequenceNumber: the top word takes part in every comparison",
          "[partition][sequence]") {
  const SequenceNumber local_max = SequenceNumber::FromValue(~absl::uint128(0));
  const SequenceNumber remote = SequenceNumber::FromParts(1, 0);
  CHECK(local_max < remote);
  CHECK(remote > local_max);
  // Same low 128 bits, different top word: different numbers.
  const SequenceNumber low = SequenceNumber::FromValue(kKinesaliteLow);
  const SequenceNumber full =
      SequenceNumber::FromParts(kKinesaliteHigh, kKinesaliteLow);
  CHECK(low != full);
  CHECK_FALSE(low == full);
  CHECK(low < full);
  CHECK(full >= low);
  CHECK(SequenceNumber::FromParts(2, 0) > SequenceNumber::FromParts(1, 5));
  CHECK(SequenceNumber::FromParts(1, 5) <= SequenceNumber::FromParts(1, 5));
  std::vector<SequenceNumber> sorted = {full, remote, low, local_max};
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<SequenceNumber>{low, local_max, remote, full});
}

TEST_CASE("SequenceNumber: bad text is kInvalidArgument naming it and why",
          "[partition][sequence]") {
  struct Bad {
    std::string text;
    const char* why;
  };
  const std::vector<Bad> bad = {
      {k2To192, "2^192 or more"},
      {std::string(58, '9'), "2^192 or more"},
      {std::string("0") + kKinesalite, "leading zero"},
      {"007", "leading zero"},
      {std::string("-") + kKinesalite, "not a decimal number"},
      {std::string("+") + kKinesalite, "not a decimal number"},
      {std::string(kKinesalite) + " ", "not a decimal number"},
      {"12a", "not a decimal number"},
      {std::string(kKinesalite).substr(0, 40) + "x" +
           std::string(kKinesalite).substr(40),
       "not a decimal number"},
  };
  for (const Bad& b : bad) {
    INFO(b.text);
    absl::StatusOr<SequenceNumber> n = SequenceNumber::Parse(b.text);
    BROOK_CHECK_CODE(n, kInvalidArgument);
    const std::string message(n.status().message());
    CHECK_THAT(message, Catch::Contains("sequence number"));
    CHECK_THAT(message, Catch::Contains("\"" + b.text + "\""));
    CHECK_THAT(message, Catch::Contains(b.why));
  }
  // The limit is by value, not length: 57 and 58 digits below 2^192 parse.
  BROOK_CHECK_OK(SequenceNumber::Parse(std::string(kKinesalite) + "0"));
  BROOK_CHECK_OK(SequenceNumber::Parse(std::string(58, '5')));
  absl::StatusOr<SequenceNumber> empty = SequenceNumber::Parse("");
  BROOK_CHECK_CODE(empty, kInvalidArgument);
  CHECK_THAT(std::string(empty.status().message()), Catch::Contains("empty"));
  // A long input is named by its first 80 characters.
  absl::StatusOr<SequenceNumber> huge =
      SequenceNumber::Parse(std::string(1000, '7'));
  BROOK_CHECK_CODE(huge, kInvalidArgument);
  CHECK_THAT(std::string(huge.status().message()),
             Catch::Contains(std::string(80, '7') + "\"..."));
}

TEST_CASE("SequenceNumber: sizes on x86-64 (Record stays 96 bytes)",
          "[partition][sequence]") {
#if defined(__x86_64__)
  // Three words, aligned to 8: `Record` keeps its size because its two
  // flags sit together before the 16-byte-aligned hash key.
  CHECK(sizeof(SequenceNumber) == 24);
  CHECK(alignof(SequenceNumber) == 8);
  CHECK(sizeof(Record) == 96);
#else
  SUCCEED("sizes are checked on x86-64 only");
#endif
}

TEST_CASE(
    "SequenceNumber: a local stream rejects a remote number whose low "
    "bits it issued",
    "[consumer][sequence]") {
  StreamOptions options;
  options.shard_count = 1;
  absl::StatusOr<std::unique_ptr<Stream>> stream = Stream::Create(options);
  BROOK_REQUIRE_OK(stream);
  Producer producer(stream->get());
  Consumer consumer(stream->get());
  absl::StatusOr<PutRecordResult> put = producer.PutRecord("a", "x");
  BROOK_REQUIRE_OK(put);
  const SequenceNumber n = put->sequence_number;
  CHECK(n.high() == 0);
  BROOK_CHECK_OK(consumer.GetShardIterator(
      put->shard_id, StartingPosition::AtSequenceNumber(n)));
  for (const StartingPosition& p :
       {StartingPosition::AtSequenceNumber(
            SequenceNumber::FromParts(1, n.value())),
        StartingPosition::AfterSequenceNumber(
            SequenceNumber::FromParts(kKinesaliteHigh, n.value()))}) {
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(put->shard_id, p);
    BROOK_CHECK_CODE(it, kInvalidArgument);
    CHECK_THAT(std::string(it.status().message()),
               Catch::Contains("not issued by this stream"));
    CHECK_THAT(std::string(it.status().message()),
               Catch::Contains(p.sequence_number->ToString()));
  }
}

TEST_CASE("Shard: AppendWithSequenceNumbers gives each record its number",
          "[shard]") {
  StreamOptions options;
  options.shard_count = 2;
  absl::StatusOr<std::unique_ptr<Stream>> stream = Stream::Create(options);
  BROOK_REQUIRE_OK(stream);
  Shard* shard = *(*stream)->GetShard("shardId-000000000001");
  const HashKey start = shard->hash_key_range().starting_hash_key;
  BROOK_REQUIRE_OK(shard->Append({{"a", "0", start, true}}));
  std::vector<RoutedRecord> batch = {{"a", "1", start, true},
                                     {"b", "2", start + 1, true},
                                     {"c", "3", start + 2, true}};
  std::vector<SequenceNumber> numbers(batch.size());
  BROOK_REQUIRE_OK(
      shard->AppendWithSequenceNumbers(batch, absl::MakeSpan(numbers)));

  // Each number is the one a reader sees on that record.
  Consumer consumer(stream->get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      shard->id(), StartingPosition::AtSequenceNumber(numbers[0]));
  BROOK_REQUIRE_OK(it);
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(r);
  REQUIRE(r->records().size() == 3);
  for (size_t g = 0; g < 3; ++g) {
    INFO(g);
    CHECK(r->records()[g].sequence_number == numbers[g]);
    CHECK(r->records()[g].data == batch[g].data);
  }

  // A span of the wrong size is refused, storing nothing.
  std::vector<SequenceNumber> two(2);
  BROOK_CHECK_CODE(shard->AppendWithSequenceNumbers(batch, absl::MakeSpan(two)),
                   kInvalidArgument);
  // As Append(): a record outside the shard's range spoils the batch.
  batch.push_back({"d", "4", start - 1, true});
  std::vector<SequenceNumber> four(4);
  BROOK_CHECK_CODE(
      shard->AppendWithSequenceNumbers(batch, absl::MakeSpan(four)),
      kInvalidArgument);
  absl::StatusOr<ShardIterator> all =
      consumer.GetShardIterator(shard->id(), StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(all);
  absl::StatusOr<GetRecordsResult> every = consumer.GetRecords(*all);
  BROOK_REQUIRE_OK(every);
  CHECK(every->records().size() == 4);
}

}  // namespace
}  // namespace brook
