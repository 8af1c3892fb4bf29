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
#include <vector>

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

namespace {

void AppendLengthDelimited(std::string* out, int field, absl::string_view s) {
  AppendTag(out, field, kWireLengthDelimited);
  AppendVarint(out, s.size());
  out->append(s.data(), s.size());
}

// One key table of the protobuf (field 1, partition keys, or 2, explicit
// hash keys): its entries as encoded, and an index from key to entry number
// whose views point at the key bytes inside `section`, so that a new key
// allocates nothing of its own (a map of std::string allocated each key over
// 15 bytes; with the map's own work, about a fifth of an aggregating
// producer's profile). When `section`
// grows and moves, the views are made again: O(keys), at most once per
// doubling, and never once `section` has the room of an earlier aggregate
// (Clear() keeps it).
class KeyTable {
 public:
  const std::string& section() const { return section_; }
  size_t size() const { return spans_.size(); }

  // The entry number of `key`, or size() if it is not in the table.
  uint64_t Find(absl::string_view key) const {
    auto it = index_.find(key);
    return it == index_.end() ? size() : it->second;
  }

  // Adds `key` (not in the table) as entry size() of field `field`.
  void Add(int field, absl::string_view key) {
    const char* before = section_.data();
    AppendLengthDelimited(&section_, field, key);
    spans_.push_back({static_cast<uint32_t>(section_.size() - key.size()),
                      static_cast<uint32_t>(key.size())});
    if (section_.data() == before) {
      index_.emplace(View(size() - 1), size() - 1);
      return;
    }
    index_.clear();  // every view pointed into the old buffer
    for (uint64_t i = 0; i < size(); ++i) index_.emplace(View(i), i);
  }

  void Clear() {
    const size_t keys = index_.size();
    section_.clear();
    spans_.clear();
    // clear() frees a table of over 127 slots; room for as many keys as the
    // last aggregate had is one allocation, not a series of rehashes.
    index_.clear();
    index_.reserve(keys);
  }

 private:
  struct Span {
    uint32_t offset;
    uint32_t size;
  };
  absl::string_view View(size_t i) const {
    return absl::string_view(section_.data() + spans_[i].offset,
                             spans_[i].size);
  }

  std::string section_;
  std::vector<Span> spans_;
  absl::flat_hash_map<absl::string_view, uint64_t> index_;
};

}  // namespace

struct AggregateBuilder::Tables {
  // The protobuf, by field: table entries and records, each with its tag.
  KeyTable partition_keys;
  KeyTable hash_keys;
  std::string record_section;
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
  const uint64_t pk_index = t.partition_keys.Find(partition_key);
  if (pk_index == t.partition_keys.size()) {
    added += FieldSize(partition_key.size());
  }
  const uint64_t hk_index =
      has_hash_key ? t.hash_keys.Find(explicit_hash_key) : t.hash_keys.size();
  if (has_hash_key && hk_index == t.hash_keys.size()) {
    added += FieldSize(explicit_hash_key.size());
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
  if (pk_index == t.partition_keys.size()) {
    t.partition_keys.Add(1, partition_key);
  }
  if (has_hash_key && hk_index == t.hash_keys.size()) {
    t.hash_keys.Add(2, explicit_hash_key);
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
  const size_t proto_size = t.partition_keys.section().size() +
                            t.hash_keys.section().size() +
                            t.record_section.size();
  a.data.clear();
  a.data.reserve(proto_size + kAggregatedRecordOverheadBytes);
  a.data.append(kAggregatedRecordMagic.data(), kAggregatedRecordMagic.size());
  a.data.append(t.partition_keys.section());
  a.data.append(t.hash_keys.section());
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
  t.partition_keys.Clear();
  t.hash_keys.Clear();
  t.record_section.clear();
  t.first_partition_key.clear();
  t.first_explicit_hash_key.clear();
  t.first_hash_key = 0;
  record_count_ = 0;
  size_bytes_ = 0;
}

}  // namespace brook
