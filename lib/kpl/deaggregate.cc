// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Deaggregate(): reads the KPL AggregatedRecord with a view-returning reader
// (wire.h), checking every field, in two passes over the protobuf: the first
// collects the key tables (protobuf lets fields come in any order), the second
// decodes the user records. Nothing is appended until all of them decoded.

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/aggregation.h"

#include "kpl/wire.h"
#include "util/md5.h"
#include "util/status_macros.h"

namespace brook {
namespace {

using internal::kpl::kWireLengthDelimited;
using internal::kpl::kWireVarint;
using internal::kpl::WireReader;

// A key table; each entry's hash key is worked out on first use.
struct KeyTable {
  absl::InlinedVector<absl::string_view, 8> keys;
  absl::InlinedVector<HashKey, 8> hashes;
  absl::InlinedVector<bool, 8> known;

  void Push(absl::string_view key) {
    keys.push_back(key);
    hashes.push_back(0);
    known.push_back(false);
  }
};

// One user record as decoded, before its keys are looked up.
struct UserFields {
  bool has_partition_key_index = false;
  bool has_hash_key_index = false;
  bool has_data = false;
  uint64_t partition_key_index = 0;
  uint64_t hash_key_index = 0;
  absl::string_view data;
};

class AggregateParser {
 public:
  AggregateParser(const Record& record, absl::string_view proto)
      : record_(record), proto_(proto) {}

  // Appends the user records, or returns kDataLoss having appended nothing.
  absl::Status Parse(std::vector<Record>* out);

 private:
  absl::Status ReadTables(uint64_t* count);
  absl::Status ReadUserRecord(absl::string_view body, uint64_t index,
                              Record* user);
  absl::Status ReadFields(absl::string_view body, UserFields* f) const;
  absl::Status CheckTag(absl::string_view body) const;
  absl::Status HashKeyOf(const UserFields& f, uint64_t index, HashKey* key);

  absl::Status Damaged(size_t offset, absl::string_view what) const {
    return absl::DataLossError(
        absl::StrCat("aggregated record ", record_.sequence_number.ToString(),
                     ": protobuf byte ", offset, ": ", what));
  }
  // The reader's fault; `part` is the view it reads.
  absl::Status Damaged(const WireReader& r, absl::string_view part) const {
    return Damaged(OffsetOf(part) + r.offset(), r.what());
  }
  size_t OffsetOf(absl::string_view part) const {
    return static_cast<size_t>(part.data() - proto_.data());
  }

  const Record& record_;
  absl::string_view proto_;
  KeyTable partition_keys_;
  KeyTable hash_keys_;
};

absl::Status AggregateParser::Parse(std::vector<Record>* out) {
  uint64_t count = 0;
  BROOK_RETURN_IF_ERROR(ReadTables(&count));
  const size_t first = out->size();
  out->reserve(first + count);
  WireReader r(proto_);
  uint64_t index = 0;
  absl::Status s;
  while (!r.done() && s.ok()) {
    uint32_t field = 0;
    int wire_type = 0;
    absl::string_view body;
    // ReadTables() checked the structure: these reads do not fail.
    if (!r.ReadTag(&field, &wire_type)) return Damaged(r, proto_);
    if (field != 3) {
      if (!r.Skip(wire_type)) return Damaged(r, proto_);
      continue;
    }
    if (!r.ReadLengthDelimited(&body)) return Damaged(r, proto_);
    out->emplace_back();
    s = ReadUserRecord(body, index++, &out->back());
  }
  if (!s.ok()) out->resize(first);
  return s;
}

absl::Status AggregateParser::ReadTables(uint64_t* count) {
  WireReader r(proto_);
  while (!r.done()) {
    uint32_t field = 0;
    int wire_type = 0;
    if (!r.ReadTag(&field, &wire_type)) return Damaged(r, proto_);
    if (field < 1 || field > 3) {  // unknown: skipped, as protobuf does
      if (!r.Skip(wire_type)) return Damaged(r, proto_);
      continue;
    }
    if (wire_type != kWireLengthDelimited) {
      return Damaged(
          OffsetOf(proto_) + r.offset(),
          absl::StrCat("AggregatedRecord field ", field, " has wire type ",
                       wire_type, ", expected 2 (length-delimited)"));
    }
    absl::string_view v;
    if (!r.ReadLengthDelimited(&v)) return Damaged(r, proto_);
    if (field == 1) partition_keys_.Push(v);
    if (field == 2) hash_keys_.Push(v);
    if (field == 3) ++*count;
  }
  return absl::OkStatus();
}

absl::Status AggregateParser::ReadFields(absl::string_view body,
                                         UserFields* f) const {
  WireReader r(body);
  while (!r.done()) {
    uint32_t field = 0;
    int wire_type = 0;
    if (!r.ReadTag(&field, &wire_type)) return Damaged(r, body);
    const int expected = field == 1 || field == 2   ? kWireVarint
                         : field == 3 || field == 4 ? kWireLengthDelimited
                                                    : -1;
    if (expected < 0) {
      if (!r.Skip(wire_type)) return Damaged(r, body);
      continue;
    }
    if (wire_type != expected) {
      return Damaged(OffsetOf(body) + r.offset(),
                     absl::StrCat("Record field ", field, " has wire type ",
                                  wire_type, ", expected ", expected));
    }
    bool ok = true;
    absl::string_view v;
    switch (field) {
      case 1:
        ok = r.ReadVarint(&f->partition_key_index);
        f->has_partition_key_index = true;
        break;
      case 2:
        ok = r.ReadVarint(&f->hash_key_index);
        f->has_hash_key_index = true;
        break;
      case 3:
        ok = r.ReadLengthDelimited(&f->data);
        f->has_data = true;
        break;
      default:  // 4: a tag, checked and dropped
        ok = r.ReadLengthDelimited(&v);
        if (ok) BROOK_RETURN_IF_ERROR(CheckTag(v));
        break;
    }
    if (!ok) return Damaged(r, body);
  }
  return absl::OkStatus();
}

absl::Status AggregateParser::CheckTag(absl::string_view body) const {
  WireReader r(body);
  bool has_key = false;
  while (!r.done()) {
    uint32_t field = 0;
    int wire_type = 0;
    if (!r.ReadTag(&field, &wire_type)) return Damaged(r, body);
    if ((field == 1 || field == 2) && wire_type != kWireLengthDelimited) {
      return Damaged(OffsetOf(body) + r.offset(),
                     absl::StrCat("Tag field ", field, " has wire type ",
                                  wire_type, ", expected 2"));
    }
    if (field == 1) has_key = true;
    if (!r.Skip(wire_type)) return Damaged(r, body);
  }
  if (!has_key) {
    return Damaged(OffsetOf(body), "Tag without its required key");
  }
  return absl::OkStatus();
}

absl::Status AggregateParser::HashKeyOf(const UserFields& f, uint64_t index,
                                        HashKey* key) {
  KeyTable& table = f.has_hash_key_index ? hash_keys_ : partition_keys_;
  const uint64_t i =
      f.has_hash_key_index ? f.hash_key_index : f.partition_key_index;
  if (!table.known[i]) {
    if (f.has_hash_key_index) {
      absl::StatusOr<HashKey> parsed = ParseHashKey(table.keys[i]);
      if (!parsed.ok()) {
        return absl::DataLossError(absl::StrCat(
            "aggregated record ", record_.sequence_number.ToString(),
            ": user record ", index, ": ", parsed.status().message()));
      }
      table.hashes[i] = *parsed;
    } else {
      table.hashes[i] = PartitionKeyHash(table.keys[i]);
    }
    table.known[i] = true;
  }
  *key = table.hashes[i];
  return absl::OkStatus();
}

absl::Status AggregateParser::ReadUserRecord(absl::string_view body,
                                             uint64_t index, Record* user) {
  UserFields f;
  BROOK_RETURN_IF_ERROR(ReadFields(body, &f));
  const auto fault = [&](absl::string_view what) {
    return Damaged(OffsetOf(body),
                   absl::StrCat("user record ", index, ": ", what));
  };
  if (!f.has_partition_key_index) {
    return fault("no partition_key_index (a required field)");
  }
  if (!f.has_data) return fault("no data (a required field)");
  if (f.partition_key_index >= partition_keys_.keys.size()) {
    return fault(absl::StrCat("partition_key_index ", f.partition_key_index,
                              " is past the table of ",
                              partition_keys_.keys.size()));
  }
  if (f.has_hash_key_index && f.hash_key_index >= hash_keys_.keys.size()) {
    return fault(absl::StrCat("explicit_hash_key_index ", f.hash_key_index,
                              " is past the table of ",
                              hash_keys_.keys.size()));
  }
  BROOK_RETURN_IF_ERROR(HashKeyOf(f, index, &user->hash_key));
  user->sequence_number = record_.sequence_number;
  user->subsequence_number = index;
  user->approximate_arrival_timestamp_millis =
      record_.approximate_arrival_timestamp_millis;
  user->has_explicit_hash_key = f.has_hash_key_index;
  user->partition_key = partition_keys_.keys[f.partition_key_index];
  user->data = f.data;
  return absl::OkStatus();
}

}  // namespace

bool IsAggregatedRecord(absl::string_view data) {
  return data.size() >= static_cast<size_t>(kAggregatedRecordOverheadBytes) &&
         std::memcmp(data.data(), kAggregatedRecordMagic.data(),
                     kAggregatedRecordMagic.size()) == 0;
}

absl::Status Deaggregate(const Record& record, std::vector<Record>* out) {
  if (!IsAggregatedRecord(record.data)) {
    out->push_back(record);
    return absl::OkStatus();
  }
  const absl::string_view proto = record.data.substr(
      kAggregatedRecordMagic.size(),
      record.data.size() - static_cast<size_t>(kAggregatedRecordOverheadBytes));
  const absl::string_view trailer = record.data.substr(record.data.size() - 16);
  const std::array<uint8_t, 16> digest = internal::Md5(proto);
  if (std::memcmp(digest.data(), trailer.data(), digest.size()) != 0) {
    return absl::DataLossError(
        absl::StrCat("aggregated record ", record.sequence_number.ToString(),
                     ": MD5 of the ", proto.size(),
                     " protobuf bytes does not match the trailer"));
  }
  return AggregateParser(record, proto).Parse(out);
}

absl::Status CheckAggregateInRange(absl::string_view data,
                                   const HashKeyRange& range) {
  if (!IsAggregatedRecord(data)) {
    return absl::InvalidArgumentError(
        "aggregate range check: the data is not an aggregated record");
  }
  Record record;
  record.data = data;
  std::vector<Record> users;
  BROOK_RETURN_IF_ERROR(Deaggregate(record, &users));
  for (const Record& u : users) {
    if (!range.Contains(u.hash_key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "aggregate range check: user record ", u.subsequence_number,
          " (partition key \"", u.partition_key, "\") has hash key ",
          HashKeyToString(u.hash_key), ", outside ",
          HashKeyToString(range.starting_hash_key), "..",
          HashKeyToString(range.ending_hash_key)));
    }
  }
  return absl::OkStatus();
}

}  // namespace brook
