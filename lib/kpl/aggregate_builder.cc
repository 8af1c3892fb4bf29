// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AggregateBuilder: encodes the KPL AggregatedRecord by hand, field by field,
// in the order protobuf serializes it (all of field 1, then 2, then 3), so that
// the bytes equal those of protobuf's generated code and of KPL for the same
// input (test/stream/aggregation_test.cc checks both). The size is kept as
// records are added; nothing is serialized twice.

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/aggregation.h"

#include "kpl/aggregate_internal.h"
#include "kpl/wire.h"
#include "util/md5.h"

namespace brook {

using internal::kpl::AppendTag;
using internal::kpl::AppendVarint;
using internal::kpl::kWireLengthDelimited;
using internal::kpl::kWireVarint;
using internal::kpl::VarintSize;

struct AggregateBuilder::Tables {
  // The protobuf, by field: table entries and records, each with its tag.
  std::string partition_key_section;
  std::string hash_key_section;
  std::string record_section;
  absl::flat_hash_map<std::string, uint64_t> partition_key_index;
  absl::flat_hash_map<std::string, uint64_t> hash_key_index;
  std::string first_partition_key;
  std::string first_explicit_hash_key;  // as given; empty for none
  HashKey first_hash_key = 0;
};

namespace {

// Bytes of a length-delimited field of `n` bytes with a one-byte tag.
int64_t FieldSize(uint64_t n) {
  return 1 + VarintSize(n) + static_cast<int64_t>(n);
}

// Bytes of an AggregatedRecord.Record's fields (without its own tag and
// length).
uint64_t RecordBodySize(uint64_t partition_key_index, bool has_hash_key,
                        uint64_t hash_key_index, size_t data_size) {
  return 1 + VarintSize(partition_key_index) +
         (has_hash_key ? 1 + VarintSize(hash_key_index) : 0) +
         static_cast<uint64_t>(FieldSize(data_size));
}

void AppendLengthDelimited(std::string* out, int field, absl::string_view s) {
  AppendTag(out, field, kWireLengthDelimited);
  AppendVarint(out, s.size());
  out->append(s.data(), s.size());
}

}  // namespace

AggregateBuilder::AggregateBuilder(int64_t max_bytes)
    : max_bytes_(max_bytes), tables_(std::make_unique<Tables>()) {}
AggregateBuilder::AggregateBuilder(AggregateBuilder&&) noexcept = default;
AggregateBuilder& AggregateBuilder::operator=(AggregateBuilder&&) noexcept =
    default;
AggregateBuilder::~AggregateBuilder() = default;

absl::StatusOr<bool> AggregateBuilder::Add(absl::string_view partition_key,
                                           absl::string_view explicit_hash_key,
                                           absl::string_view data) {
  if (absl::Status s = ValidatePartitionKey(partition_key); !s.ok()) {
    return s;
  }
  HashKey hash_key = 0;
  if (!explicit_hash_key.empty()) {
    absl::StatusOr<HashKey> parsed = ParseHashKey(explicit_hash_key);
    if (!parsed.ok()) return parsed.status();
    hash_key = *parsed;
  }
  if (tables_ == nullptr) tables_ = std::make_unique<Tables>();  // moved from
  Tables& t = *tables_;
  const bool has_hash_key = !explicit_hash_key.empty();

  // The record alone, in an empty builder: its keys get index 0.
  const int64_t alone =
      static_cast<int64_t>(partition_key.size()) +
      kAggregatedRecordOverheadBytes + FieldSize(partition_key.size()) +
      (has_hash_key ? FieldSize(explicit_hash_key.size()) : 0) +
      FieldSize(RecordBodySize(0, has_hash_key, 0, data.size()));
  if (alone > max_bytes_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "aggregate: a user record of ", alone,
        " bytes (partition key, data and aggregation overhead) never fits "
        "max_bytes ",
        max_bytes_));
  }

  // Its size beside the records already added.
  int64_t added = 0;
  uint64_t pk_index = t.partition_key_index.size();
  if (auto it = t.partition_key_index.find(partition_key);
      it != t.partition_key_index.end()) {
    pk_index = it->second;
  } else {
    added += FieldSize(partition_key.size());
  }
  uint64_t hk_index = t.hash_key_index.size();
  if (has_hash_key) {
    if (auto it = t.hash_key_index.find(explicit_hash_key);
        it != t.hash_key_index.end()) {
      hk_index = it->second;
    } else {
      added += FieldSize(explicit_hash_key.size());
    }
  }
  const uint64_t body =
      RecordBodySize(pk_index, has_hash_key, hk_index, data.size());
  added += FieldSize(body);
  const int64_t before = empty() ? static_cast<int64_t>(partition_key.size()) +
                                       kAggregatedRecordOverheadBytes
                                 : size_bytes_;
  if (before + added > max_bytes_) return false;

  if (empty()) {
    t.first_partition_key.assign(partition_key.data(), partition_key.size());
    t.first_explicit_hash_key.assign(explicit_hash_key.data(),
                                     explicit_hash_key.size());
    t.first_hash_key =
        has_hash_key ? hash_key : PartitionKeyHash(partition_key);
  }
  if (pk_index == t.partition_key_index.size()) {
    t.partition_key_index.emplace(std::string(partition_key), pk_index);
    AppendLengthDelimited(&t.partition_key_section, 1, partition_key);
  }
  if (has_hash_key && hk_index == t.hash_key_index.size()) {
    t.hash_key_index.emplace(std::string(explicit_hash_key), hk_index);
    AppendLengthDelimited(&t.hash_key_section, 2, explicit_hash_key);
  }
  std::string& r = t.record_section;
  AppendTag(&r, 3, kWireLengthDelimited);
  AppendVarint(&r, body);
  AppendTag(&r, 1, kWireVarint);
  AppendVarint(&r, pk_index);
  if (has_hash_key) {
    AppendTag(&r, 2, kWireVarint);
    AppendVarint(&r, hk_index);
  }
  AppendLengthDelimited(&r, 3, data);
  size_bytes_ = before + added;
  ++record_count_;
  return true;
}

absl::StatusOr<AggregateBuilder::Aggregate> AggregateBuilder::Finish() {
  Aggregate a;
  if (absl::Status s = FinishImpl(/*digest=*/true, &a); !s.ok()) return s;
  return a;
}

absl::Status AggregateBuilder::FinishImpl(bool digest, Aggregate* out) {
  if (empty()) {
    return absl::FailedPreconditionError(
        "aggregate: Finish() with no user record added");
  }
  Tables& t = *tables_;
  Aggregate& a = *out;  // assigned, not moved into: `out` may be reused
  a.partition_key.assign(t.first_partition_key);
  if (t.first_explicit_hash_key.empty()) {
    a.explicit_hash_key = HashKeyToString(t.first_hash_key);
  } else {
    a.explicit_hash_key.assign(t.first_explicit_hash_key);
  }
  a.record_count = record_count_;
  const size_t proto_size = t.partition_key_section.size() +
                            t.hash_key_section.size() + t.record_section.size();
  a.data.clear();
  a.data.reserve(proto_size + kAggregatedRecordOverheadBytes);
  a.data.append(kAggregatedRecordMagic.data(), kAggregatedRecordMagic.size());
  a.data.append(t.partition_key_section);
  a.data.append(t.hash_key_section);
  a.data.append(t.record_section);
  if (digest) {
    const std::array<uint8_t, 16> md5 = internal::Md5(
        absl::string_view(a.data).substr(kAggregatedRecordMagic.size()));
    a.data.append(reinterpret_cast<const char*>(md5.data()), md5.size());
  } else {
    a.data.append(internal::kAggregateDigestBytes, '\0');
  }
  Clear();
  return absl::OkStatus();
}

namespace internal {

absl::Status AggregateBuilderAccess::FinishWithoutDigest(
    AggregateBuilder& builder, AggregateBuilder::Aggregate* out) {
  return builder.FinishImpl(/*digest=*/false, out);
}

void SignAggregates(AggregateBuilder::Aggregate* aggregates, size_t n) {
  constexpr size_t kGroup = 32;  // a few times the widest lane count
  absl::string_view protos[kGroup];
  std::array<uint8_t, 16> digests[kGroup];
  const size_t magic = kAggregatedRecordMagic.size();
  for (size_t begin = 0; begin < n; begin += kGroup) {
    const size_t count = std::min(kGroup, n - begin);
    for (size_t i = 0; i < count; ++i) {
      const std::string& data = aggregates[begin + i].data;
      protos[i] = absl::string_view(data).substr(
          magic, data.size() - magic - kAggregateDigestBytes);
    }
    Md5ManyLong(protos, count, digests);
    for (size_t i = 0; i < count; ++i) {
      std::string& data = aggregates[begin + i].data;
      std::memcpy(&data[data.size() - kAggregateDigestBytes], digests[i].data(),
                  kAggregateDigestBytes);
    }
  }
}

}  // namespace internal

void AggregateBuilder::Clear() {
  if (tables_ == nullptr) tables_ = std::make_unique<Tables>();
  Tables& t = *tables_;
  t.partition_key_section.clear();
  t.hash_key_section.clear();
  t.record_section.clear();
  // clear() frees a table of over 127 slots; room for as many keys as the
  // last aggregate had is one allocation, not a series of rehashes.
  const size_t partition_keys = t.partition_key_index.size();
  const size_t hash_keys = t.hash_key_index.size();
  t.partition_key_index.clear();
  t.hash_key_index.clear();
  t.partition_key_index.reserve(partition_keys);
  t.hash_key_index.reserve(hash_keys);
  t.first_partition_key.clear();
  t.first_explicit_hash_key.clear();
  t.first_hash_key = 0;
  record_count_ = 0;
  size_bytes_ = 0;
}

}  // namespace brook
