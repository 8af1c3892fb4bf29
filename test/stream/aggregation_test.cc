// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// KPL aggregation both ways: the aws-kinesis-agg vectors, round trips of
// random records, the builder's limits, and the generated protobuf parser as
// a second opinion on the bytes.

#include "brook/aggregation.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/partitioner.h"

#include "kpl/aggregate_internal.h"
#include "proto/kpl_aggregate.pb.h"
#include "testing/conformance.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

// A user record as the tests give and expect it.
struct UserRecord {
  std::string partition_key;
  std::string explicit_hash_key;  // empty for none
  std::string data;
};

std::vector<Record> DeaggregateOrFail(absl::string_view blob,
                                      SequenceNumber seq = {}) {
  Record r;
  r.sequence_number = seq;
  r.approximate_arrival_timestamp_millis = 1234;
  r.data = blob;
  std::vector<Record> out;
  BROOK_REQUIRE_OK(Deaggregate(r, &out));
  return out;
}

AggregateBuilder::Aggregate BuildOrFail(
    const std::vector<UserRecord>& in,
    int64_t max_bytes = kDefaultMaxRecordBytes) {
  AggregateBuilder builder(max_bytes);
  for (const UserRecord& u : in) {
    absl::StatusOr<bool> added =
        builder.Add(u.partition_key, u.explicit_hash_key, u.data);
    BROOK_REQUIRE_OK(added);
    REQUIRE(*added);
  }
  absl::StatusOr<AggregateBuilder::Aggregate> a = builder.Finish();
  BROOK_REQUIRE_OK(a);
  REQUIRE(builder.empty());
  return *std::move(a);
}

void CheckUserRecords(const std::vector<Record>& got,
                      const std::vector<UserRecord>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("user record " << i);
    CHECK(got[i].partition_key == want[i].partition_key);
    CHECK(got[i].data == want[i].data);
    CHECK(got[i].subsequence_number == i);
    CHECK(got[i].has_explicit_hash_key == !want[i].explicit_hash_key.empty());
    const HashKey expected = want[i].explicit_hash_key.empty()
                                 ? PartitionKeyHash(want[i].partition_key)
                                 : *ParseHashKey(want[i].explicit_hash_key);
    CHECK(got[i].hash_key == expected);
  }
}

// The vector's expected user records.
std::vector<UserRecord> Expected(const nlohmann::json& v) {
  std::vector<UserRecord> out;
  for (const auto& u : v["expected_user_records"]) {
    UserRecord r;
    r.partition_key = u["partition_key"].get<std::string>();
    r.data = u["data"].get<std::string>();
    if (!u["explicit_hash_key"].is_null()) {
      r.explicit_hash_key = u["explicit_hash_key"].get<std::string>();
    }
    out.push_back(r);
  }
  return out;
}

TEST_CASE("Aggregation: every KPL vector decodes",
          "[aggregation][conformance]") {
  const nlohmann::json doc = testing::LoadConformance("kpl/vectors.json");
  REQUIRE(doc["vectors"].size() >= 3);
  for (const auto& v : doc["vectors"]) {
    INFO(v["name"].get<std::string>());
    const std::string blob =
        absl::HexStringToBytes(v["blob_hex"].get<std::string>());
    CHECK(IsAggregatedRecord(blob));
    const SequenceNumber seq = SequenceNumber::FromValue(77);
    const std::vector<Record> got = DeaggregateOrFail(blob, seq);
    CheckUserRecords(got, Expected(v));
    size_t i = 0;
    for (const Record& r : got) {
      CHECK(r.subsequence_number ==
            v["expected_user_records"][i++]["subsequence"]);
      CHECK(r.sequence_number == seq);
      CHECK(r.approximate_arrival_timestamp_millis == 1234);
      CHECK(!r.damaged_aggregate);
      // Zero copy: the views point into the blob.
      CHECK(r.data.data() >= blob.data());
      CHECK(r.data.data() + r.data.size() <= blob.data() + blob.size());
    }
  }
}

TEST_CASE("Aggregation: every KPL vector encodes to the same bytes",
          "[aggregation][conformance]") {
  const nlohmann::json doc = testing::LoadConformance("kpl/vectors.json");
  for (const auto& v : doc["vectors"]) {
    INFO(v["name"].get<std::string>());
    const std::vector<UserRecord> in = Expected(v);
    const AggregateBuilder::Aggregate a = BuildOrFail(in);
    CHECK(absl::BytesToHexString(a.data) == v["blob_hex"].get<std::string>());
    CHECK(a.record_count == static_cast<int64_t>(in.size()));
    // Put with the first user record's key and its hash key.
    CHECK(a.partition_key == in[0].partition_key);
    CHECK(a.explicit_hash_key ==
          (in[0].explicit_hash_key.empty()
               ? HashKeyToString(PartitionKeyHash(in[0].partition_key))
               : in[0].explicit_hash_key));
  }
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string RandomKey(std::mt19937_64& rng, size_t n) {
  std::string s(n, 'a');
  for (char& c : s) c = static_cast<char>('!' + rng() % 94);
  return s;
}

TEST_CASE("Aggregation: random round trips", "[aggregation]") {
  const uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 200; ++round) {
    // Few distinct keys (many duplicates) or many; long keys; empty data.
    const int distinct = 1 + static_cast<int>(rng() % (round % 2 ? 3 : 300));
    std::vector<std::string> keys;
    for (int k = 0; k < distinct; ++k) {
      keys.push_back(RandomKey(rng, 1 + rng() % (rng() % 4 == 0 ? 256 : 12)));
    }
    std::vector<std::string> hash_keys = {
        "0", "340282366920938463463374607431768211455",
        HashKeyToString(absl::MakeUint128(rng(), rng()))};
    std::vector<UserRecord> in(1 + rng() % 300);
    for (UserRecord& u : in) {
      u.partition_key = keys[rng() % keys.size()];
      if (rng() % 3 == 0) u.explicit_hash_key = hash_keys[rng() % 3];
      u.data = RandomBytes(rng, rng() % 4 == 0 ? 0 : rng() % 300);
    }
    const AggregateBuilder::Aggregate a = BuildOrFail(in);
    CheckUserRecords(DeaggregateOrFail(a.data), in);

    // protobuf's generated parser reads the same records, and its
    // serializer writes the same bytes.
    internal::proto::AggregatedRecord message;
    const std::string proto = a.data.substr(4, a.data.size() - 20);
    REQUIRE(message.ParseFromString(proto));
    REQUIRE(message.records_size() == static_cast<int>(in.size()));
    for (int i = 0; i < message.records_size(); ++i) {
      const auto& r = message.records(i);
      CHECK(message.partition_key_table(static_cast<int>(
                r.partition_key_index())) == in[i].partition_key);
      CHECK(r.data() == in[i].data);
      CHECK(r.has_explicit_hash_key_index() ==
            !in[i].explicit_hash_key.empty());
    }
    CHECK(message.SerializeAsString() == proto);
  }
}

TEST_CASE("Aggregation: the key tables hold each key once, in first use order",
          "[aggregation]") {
  const AggregateBuilder::Aggregate a = BuildOrFail(
      {{"b", "", "1"}, {"a", "7", "2"}, {"b", "7", "3"}, {"a", "8", "4"}});
  internal::proto::AggregatedRecord m;
  REQUIRE(m.ParseFromString(a.data.substr(4, a.data.size() - 20)));
  REQUIRE(m.partition_key_table_size() == 2);
  CHECK(m.partition_key_table(0) == "b");
  CHECK(m.partition_key_table(1) == "a");
  REQUIRE(m.explicit_hash_key_table_size() == 2);
  CHECK(m.explicit_hash_key_table(0) == "7");
  CHECK(m.explicit_hash_key_table(1) == "8");
  CHECK(m.records(2).partition_key_index() == 0);
  CHECK(m.records(2).explicit_hash_key_index() == 0);
  CHECK(a.explicit_hash_key == HashKeyToString(PartitionKeyHash("b")));
}

TEST_CASE("Aggregation: size_bytes is what Kinesis counts, and max_bytes holds",
          "[aggregation]") {
  const uint64_t seed = std::random_device()();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int64_t max_bytes : {int64_t{200}, int64_t{1000}, int64_t{5000}}) {
    AggregateBuilder builder(max_bytes);
    int64_t refused = 0;
    for (int i = 0; i < 500; ++i) {
      const std::string key = RandomKey(rng, 1 + rng() % 20);
      const std::string data = RandomBytes(rng, rng() % 100);
      absl::StatusOr<bool> added = builder.Add(key, "", data);
      BROOK_REQUIRE_OK(added);
      if (*added) {
        REQUIRE(builder.size_bytes() <= max_bytes);
        continue;
      }
      ++refused;
      const int64_t size = builder.size_bytes();
      const int64_t count = builder.record_count();
      absl::StatusOr<AggregateBuilder::Aggregate> a = builder.Finish();
      BROOK_REQUIRE_OK(a);
      // The size it reported is the record's size as Kinesis counts it.
      CHECK(size ==
            static_cast<int64_t>(a->partition_key.size() + a->data.size()));
      CHECK(a->record_count == count);
      CHECK(DeaggregateOrFail(a->data).size() == static_cast<size_t>(count));
      added = builder.Add(key, "", data);
      BROOK_REQUIRE_OK(added);
      CHECK(*added);  // an empty builder takes it
    }
    CHECK(refused > 0);
  }
}

TEST_CASE("Aggregation: Add refuses bad input and changes nothing",
          "[aggregation]") {
  AggregateBuilder builder(100);
  REQUIRE(*builder.Add("k", "", "x"));
  const int64_t size = builder.size_bytes();
  BROOK_CHECK_CODE(builder.Add("", "", "x"), kInvalidArgument);
  BROOK_CHECK_CODE(builder.Add(std::string(257, 'k'), "", "x"),
                   kInvalidArgument);
  BROOK_CHECK_CODE(builder.Add("k", "01", "x"), kInvalidArgument);
  BROOK_CHECK_CODE(
      builder.Add("k", "340282366920938463463374607431768211456", "x"),
      kInvalidArgument);
  // Can never fit, even alone.
  BROOK_CHECK_CODE(builder.Add("k", "", std::string(100, 'x')),
                   kInvalidArgument);
  CHECK(builder.record_count() == 1);
  CHECK(builder.size_bytes() == size);
  // A 256-character key is fine.
  AggregateBuilder big;
  CHECK(*big.Add(std::string(256, 'k'), "", ""));

  AggregateBuilder empty;
  BROOK_CHECK_CODE(empty.Finish(), kFailedPrecondition);
}

TEST_CASE("Aggregation: records without the magic pass through",
          "[aggregation]") {
  for (const std::string& data :
       {std::string(), std::string("plain"),
        std::string("\xF3\x89\x9A\xC2", 4) + std::string(15, 'x')}) {
    CHECK(!IsAggregatedRecord(data));
    Record r;
    r.data = data;
    r.partition_key = "k";
    r.subsequence_number = 0;
    std::vector<Record> out;
    BROOK_REQUIRE_OK(Deaggregate(r, &out));
    REQUIRE(out.size() == 1);
    CHECK(out[0].data.data() == r.data.data());
    CHECK(out[0].partition_key == "k");
  }
}

TEST_CASE("Aggregation: CheckAggregateInRange", "[aggregation]") {
  const AggregateBuilder::Aggregate a =
      BuildOrFail({{"k", "100", "x"}, {"k", "200", "y"}});
  BROOK_CHECK_OK(CheckAggregateInRange(a.data, {100, 200}));
  BROOK_CHECK_CODE(CheckAggregateInRange(a.data, {100, 199}), kInvalidArgument);
  BROOK_CHECK_CODE(CheckAggregateInRange("plain", {0, 1}), kInvalidArgument);
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

TEST_CASE("Aggregation: trailers signed together equal Finish()'s",
          "[aggregation]") {
  const uint64_t seed = std::random_device()();
  WARN("Aggregation signed together: seed " << seed);
  AggregateBuilder empty;
  AggregateBuilder::Aggregate unused;
  BROOK_CHECK_CODE(
      internal::AggregateBuilderAccess::FinishWithoutDigest(empty, &unused),
      kFailedPrecondition);
  std::mt19937_64 rng(seed);
  // 0 to 40 aggregates of 1 to 600 records of 0 to 300 bytes: lengths from
  // one MD5 block to a few hundred, so lanes end at different blocks.
  std::vector<AggregateBuilder::Aggregate> got;  // kept across rounds
  for (int round = 0; round < 20; ++round) {
    const size_t n = rng() % 41;
    std::vector<AggregateBuilder::Aggregate> want;
    AggregateBuilder one, many;
    for (size_t a = 0; a < n; ++a) {
      const size_t records = 1 + rng() % 600;
      for (size_t r = 0; r < records; ++r) {
        const std::string key = absl::StrCat("key-", rng() % 50);
        const std::string data(rng() % 301, static_cast<char>(rng()));
        BROOK_REQUIRE_OK(one.Add(key, "", data));
        BROOK_REQUIRE_OK(many.Add(key, "", data));
      }
      absl::StatusOr<AggregateBuilder::Aggregate> w = one.Finish();
      BROOK_REQUIRE_OK(w);
      want.push_back(*std::move(w));
      // Into a reused aggregate (the last round's), or a fresh one.
      if (a >= got.size()) got.emplace_back();
      BROOK_REQUIRE_OK(
          internal::AggregateBuilderAccess::FinishWithoutDigest(many, &got[a]));
    }
    internal::SignAggregates(got.data(), n);
    for (size_t a = 0; a < n; ++a) {
      INFO("seed " << seed << " round " << round << " aggregate " << a);
      CHECK(got[a].data == want[a].data);
      CHECK(got[a].partition_key == want[a].partition_key);
      CHECK(got[a].explicit_hash_key == want[a].explicit_hash_key);
      CHECK(got[a].record_count == want[a].record_count);
    }
  }
}

TEST_CASE(
    "Aggregation: a builder reused across Finish(), and records added routed, "
    "give a fresh builder's bytes",
    "[aggregation]") {
  const uint64_t seed = std::random_device()();
  WARN("Aggregation reused builder: seed " << seed);
  std::mt19937_64 rng(seed);
  // Keys shared by the aggregates (found again in a table that was cleared,
  // not freed) and keys new to each; up to 3000 in one aggregate, so the
  // tables grow, then fewer, so they are reused at a size they outgrew.
  std::vector<std::string> shared;
  for (int k = 0; k < 500; ++k)
    shared.push_back(RandomKey(rng, 1 + rng() % 40));
  AggregateBuilder reused, routed, mixed;
  for (int round = 0; round < 60; ++round) {
    INFO("seed " << seed << " round " << round);
    const size_t records = 1 + rng() % (round % 10 == 3 ? 3000 : 300);
    std::vector<UserRecord> in(records);
    for (UserRecord& u : in) {
      u.partition_key = rng() % 2 ? shared[rng() % shared.size()]
                                  : RandomKey(rng, 1 + rng() % 40);
      // Explicit hash keys in decimal as AddRouted() writes them.
      if (rng() % 5 == 0) {
        u.explicit_hash_key =
            HashKeyToString(absl::MakeUint128(rng() % 4, rng() % 3));
      }
      u.data = RandomBytes(rng, rng() % 50);
    }
    const AggregateBuilder::Aggregate want = BuildOrFail(in);
    for (size_t i = 0; i < in.size(); ++i) {
      const UserRecord& u = in[i];
      BROOK_REQUIRE_OK(
          reused.Add(u.partition_key, u.explicit_hash_key, u.data));
      RoutedRecord r{u.partition_key, u.data, 0, !u.explicit_hash_key.empty()};
      r.hash_key = r.has_explicit_hash_key ? *ParseHashKey(u.explicit_hash_key)
                                           : PartitionKeyHash(u.partition_key);
      absl::StatusOr<bool> added =
          internal::AggregateBuilderAccess::AddRouted(routed, r);
      BROOK_REQUIRE_OK(added);
      REQUIRE(*added);
      // One path then the other within an aggregate: the key table moves
      // from the MD5 to absl::Hash and must still find every key.
      if ((i / 7 + round) % 2 == 0) {
        added = internal::AggregateBuilderAccess::AddRouted(mixed, r);
      } else {
        added = mixed.Add(u.partition_key, u.explicit_hash_key, u.data);
      }
      BROOK_REQUIRE_OK(added);
      REQUIRE(*added);
    }
    for (AggregateBuilder* b : {&reused, &routed, &mixed}) {
      REQUIRE(b->record_count() == static_cast<int64_t>(in.size()));
      absl::StatusOr<AggregateBuilder::Aggregate> got = b->Finish();
      BROOK_REQUIRE_OK(got);
      CHECK(got->data == want.data);
      CHECK(got->partition_key == want.partition_key);
      CHECK(got->explicit_hash_key == want.explicit_hash_key);
      CHECK(got->record_count == want.record_count);
    }
  }
}

TEST_CASE("Aggregation: AddRouted refuses what fits no aggregate",
          "[aggregation]") {
  AggregateBuilder builder(100);
  const std::string data(200, 'd');
  const RoutedRecord big{"k", data, PartitionKeyHash("k"), false};
  BROOK_CHECK_CODE(internal::AggregateBuilderAccess::AddRouted(builder, big),
                   kInvalidArgument);
  CHECK(builder.empty());
  const RoutedRecord small{"k", "x", PartitionKeyHash("k"), false};
  absl::StatusOr<bool> added =
      internal::AggregateBuilderAccess::AddRouted(builder, small);
  BROOK_REQUIRE_OK(added);
  CHECK(*added);
  // Added until full; the one that does not fit changes nothing.
  const std::string rest(30, 'r');
  const RoutedRecord more{"other-key", rest, PartitionKeyHash("other-key"),
                          false};
  int64_t count = 1;
  for (;;) {
    const int64_t size = builder.size_bytes();
    added = internal::AggregateBuilderAccess::AddRouted(builder, more);
    BROOK_REQUIRE_OK(added);
    if (!*added) {
      CHECK(builder.size_bytes() == size);
      break;
    }
    ++count;
    REQUIRE(count < 10);
  }
  CHECK(count > 1);
  CHECK(builder.record_count() == count);
}

}  // namespace
}  // namespace brook
