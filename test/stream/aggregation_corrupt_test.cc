// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Damaged KPL aggregates: every one gives kDataLoss and appends nothing, never
// a crash or a read out of bounds (CI runs this under ASan and UBSan). Where
// damage leaves valid protobuf behind (a cut at a field boundary, with the MD5
// made right again), the records decoded must be what protobuf's generated
// parser reads from the same bytes.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include <catch2/catch.hpp>

#include "brook/aggregation.h"

#include "proto/kpl_aggregate.pb.h"
#include "testing/conformance.h"
#include "testing/status_testing.h"
#include "util/md5.h"

namespace brook {
namespace {

// Magic, `proto` and a right MD5.
std::string Framed(const std::string& proto) {
  const std::array<uint8_t, 16> d = internal::Md5(proto);
  return std::string(kAggregatedRecordMagic) + proto +
         std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string ProtoOf(const std::string& blob) {
  return blob.substr(4, blob.size() - 20);
}

// Deaggregates `blob` into a vector already holding one record; on failure
// checks that nothing was appended and that the error is kDataLoss. The
// records point into `blob`: keep it alive while they are used.
absl::Status DeaggregateChecked(const std::string& blob,
                                std::vector<Record>* users) {
  Record sentinel;
  sentinel.data = "sentinel";
  std::vector<Record> out = {sentinel};
  Record r;
  r.sequence_number = SequenceNumber::FromValue(42);
  r.data = blob;
  const absl::Status s = Deaggregate(r, &out);
  if (!s.ok()) {
    CHECK(s.code() == absl::StatusCode::kDataLoss);
    CHECK(absl::StartsWith(s.message(), "aggregated record 42: "));
    CHECK(out.size() == 1);
  }
  users->assign(out.begin() + 1, out.end());
  return s;
}

// Ours and the generated parser agree: if ours decodes, protobuf parses the
// same records; if protobuf refuses, ours refuses.
void CheckAgainstProtobuf(const std::string& proto) {
  const std::string framed = Framed(proto);  // the views point into it
  std::vector<Record> users;
  const absl::Status ours = DeaggregateChecked(framed, &users);
  internal::proto::AggregatedRecord m;
  const bool theirs = m.ParseFromString(proto);
  if (!theirs) CHECK(!ours.ok());
  if (!ours.ok()) return;
  REQUIRE(theirs);
  REQUIRE(users.size() == static_cast<size_t>(m.records_size()));
  for (int i = 0; i < m.records_size(); ++i) {
    const auto& r = m.records(i);
    CHECK(users[i].data == r.data());
    CHECK(users[i].partition_key ==
          m.partition_key_table(static_cast<int>(r.partition_key_index())));
    CHECK(users[i].has_explicit_hash_key == r.has_explicit_hash_key_index());
  }
}

std::vector<std::string> VectorBlobs() {
  std::vector<std::string> blobs;
  const nlohmann::json doc = testing::LoadConformance("kpl/vectors.json");
  for (const auto& v : doc["vectors"]) {
    blobs.push_back(absl::HexStringToBytes(v["blob_hex"].get<std::string>()));
  }
  // One with tags and an unknown field, from the generated serializer.
  internal::proto::AggregatedRecord m;
  m.add_partition_key_table("pk");
  m.add_explicit_hash_key_table("12345");
  auto* r = m.add_records();
  r->set_partition_key_index(0);
  r->set_explicit_hash_key_index(0);
  r->set_data("tagged");
  auto* tag = r->add_tags();
  tag->set_key("k");
  tag->set_value("v");
  blobs.push_back(Framed(m.SerializeAsString() + std::string("\x28\x07", 2)));
  return blobs;
}

TEST_CASE("Aggregation corrupt: truncation at every byte", "[aggregation]") {
  for (const std::string& blob : VectorBlobs()) {
    for (size_t n = 0; n < blob.size(); ++n) {
      INFO("cut to " << n << " of " << blob.size());
      const std::string cut = blob.substr(0, n);
      std::vector<Record> users;
      const absl::Status s = DeaggregateChecked(cut, &users);
      if (IsAggregatedRecord(cut)) {
        CHECK(!s.ok());  // the MD5 no longer matches
      } else {
        BROOK_CHECK_OK(s);  // too short for an aggregate: passed on as is
        REQUIRE(users.size() == 1);
        CHECK(users[0].data == cut);
      }
    }
    // The protobuf cut at every byte, with a right MD5.
    const std::string proto = ProtoOf(blob);
    for (size_t n = 0; n < proto.size(); ++n) {
      INFO("protobuf cut to " << n << " of " << proto.size());
      CheckAgainstProtobuf(proto.substr(0, n));
    }
  }
}

TEST_CASE("Aggregation corrupt: a flipped byte everywhere", "[aggregation]") {
  for (const std::string& blob : VectorBlobs()) {
    for (size_t i = 0; i < blob.size(); ++i) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
        INFO("byte " << i << " ^ " << int{mask});
        std::string bad = blob;
        bad[i] = static_cast<char>(bad[i] ^ mask);
        std::vector<Record> users;
        const absl::Status s = DeaggregateChecked(bad, &users);
        if (i < 4) {  // no magic: an ordinary record
          BROOK_CHECK_OK(s);
          CHECK(users.size() == 1);
        } else {
          CHECK(!s.ok());  // MD5 or its trailer
        }
        if (i >= 4 && i < blob.size() - 16) {
          // The same damage behind a right MD5 reaches the parser.
          std::string proto = ProtoOf(blob);
          proto[i - 4] = static_cast<char>(proto[i - 4] ^ mask);
          CheckAgainstProtobuf(proto);
        }
      }
    }
  }
}

TEST_CASE("Aggregation corrupt: bad MD5 names it", "[aggregation]") {
  std::string blob = VectorBlobs()[0];
  blob.back() = static_cast<char>(blob.back() ^ 1);
  std::vector<Record> users;
  const absl::Status s = DeaggregateChecked(blob, &users);
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK(absl::StrContains(s.message(), "MD5"));
}

// The protobuf of one record with the given fields, written by hand.
std::string OneKey(const std::string& record_body) {
  std::string p = std::string("\x0a\x01k", 3);  // partition_key_table "k"
  p += '\x1a';
  p += static_cast<char>(record_body.size());
  p += record_body;
  return p;
}

void CheckDamaged(const std::string& proto, absl::string_view what) {
  INFO(absl::BytesToHexString(proto));
  std::vector<Record> users;
  const absl::Status s = DeaggregateChecked(Framed(proto), &users);
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK(absl::StrContains(s.message(), what));
}

TEST_CASE("Aggregation corrupt: each fault named", "[aggregation]") {
  // A well-formed one first.
  const std::string good = Framed(OneKey(std::string("\x08\x00\x1a\x01x", 5)));
  std::vector<Record> users;
  BROOK_REQUIRE_OK(DeaggregateChecked(good, &users));
  REQUIRE(users.size() == 1);
  CHECK(users[0].data == "x");

  SECTION("index out of range") {
    CheckDamaged(OneKey(std::string("\x08\x01\x1a\x01x", 5)),
                 "partition_key_index 1 is past the table of 1");
    CheckDamaged(OneKey(std::string("\x08\x00\x10\x00\x1a\x01x", 7)),
                 "explicit_hash_key_index 0 is past the table of 0");
  }
  SECTION("missing required field") {
    CheckDamaged(OneKey(std::string("\x1a\x01x", 3)), "no partition_key_index");
    CheckDamaged(OneKey(std::string("\x08\x00", 2)), "no data");
    // A tag without its key.
    CheckDamaged(OneKey(std::string("\x08\x00\x1a\x01x\x22\x02\x12\x00", 9)),
                 "Tag without its required key");
  }
  SECTION("wrong wire type") {
    CheckDamaged(std::string("\x08\x01", 2),
                 "AggregatedRecord field 1 has wire type 0");
    CheckDamaged(OneKey(std::string("\x0a\x00\x1a\x01x", 5)),
                 "Record field 1 has wire type 2");
    CheckDamaged(OneKey(std::string("\x08\x00\x18\x01", 4)),
                 "Record field 3 has wire type 0");
    CheckDamaged(std::string("\x0b\x0c", 2), "unsupported wire type");
  }
  SECTION("bad varints and lengths") {
    CheckDamaged(OneKey(std::string("\x08\x80", 2)), "truncated varint");
    CheckDamaged(std::string("\x0a\x05k", 3), "past the end");
    CheckDamaged(OneKey(std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                                    "\x02\x1a\x01x",
                                    14)),
                 "varint above 2^64-1");
    CheckDamaged(std::string("\x00\x00", 2), "field number 0");
  }
  SECTION("a bad explicit hash key") {
    CheckDamaged(std::string("\x0a\x01k\x12\x02") + "01" +
                     std::string("\x1a\x07\x08\x00\x10\x00\x1a\x01x", 9),
                 "leading zero");
  }
}

}  // namespace
}  // namespace brook
