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
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/hash/hash.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/aggregation.h"

#include "kpl/aggregate_internal.h"
#include "kpl/wire.h"
#include "util/md5.h"

namespace brook {

using internal::kpl::kWireLengthDelimited;
using internal::kpl::kWireVarint;
using internal::kpl::VarintSize;

namespace {

// Bytes written through a pointer into room reserved beforehand: a field
// costs a few stores, not a string call per tag, varint and value. Keeps its
// room when cleared.
class ByteBuffer {
 public:
  size_t size() const { return size_; }
  absl::string_view view() const { return {bytes_.get(), size_}; }
  const char* data() const { return bytes_.get(); }

  // Where `n` more bytes go; `Commit()` the end of what was written.
  char* Reserve(size_t n) {
    if (capacity_ - size_ < n) Grow(n);
    return bytes_.get() + size_;
  }
  void Commit(const char* end) {
    size_ = static_cast<size_t>(end - bytes_.get());
  }
  void clear() { size_ = 0; }

 private:
  void Grow(size_t n) {
    const size_t capacity = std::max({capacity_ * 2, size_ + n, size_t{256}});
    std::unique_ptr<char[]> bytes(new char[capacity]);
    if (size_ > 0) std::memcpy(bytes.get(), bytes_.get(), size_);
    bytes_ = std::move(bytes);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Writes a length-delimited field of a one-byte tag at `p` (room for
// 11 + value.size() bytes); returns the byte after.
char* PutLengthDelimited(char* p, int field, absl::string_view value) {
  *p++ = static_cast<char>((field << 3) | kWireLengthDelimited);
  p = internal::kpl::PutVarint(p, value.size());
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  return p + value.size();
}

// One key table of the protobuf (field 1, partition keys, or 2, explicit
// hash keys): its entries as encoded (`section`), and an index from key to
// entry number by offsets into that section, so that a key costs no
// allocation and `section` may move. The index is open addressing over
// slots stamped with a generation: Clear() raises the generation, which
// empties every slot at once and keeps them (an aggregate's worth of keys is
// found again without a rehash or an allocation).
//
// A key's hash is the low half of its MD5 when the caller has it (the async
// producer hashed every partition key to route it), else absl::Hash of its
// bytes; a table uses one or the other from its first key to Clear(), and
// switches to absl::Hash (rehashing what it holds) if a key comes without
// its MD5.
class KeyTable {
 public:
  absl::string_view section() const { return section_.view(); }
  size_t size() const { return entries_.size(); }

  // The hash to give Find() and Add() for `key`; `md5` is the low half of
  // its MD5, or null if the caller does not have it.
  uint64_t HashOf(absl::string_view key, const uint64_t* md5) {
    if (entries_.empty()) by_md5_ = md5 != nullptr;
    if (by_md5_ && md5 != nullptr) return *md5;
    return HashOfBytes(key);
  }

  // The entry number of `key` (whose HashOf() is `hash`), or size() if it is
  // not in the table.
  uint64_t Find(absl::string_view key, uint64_t hash) const {
    if (slots_.empty()) return size();
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask; slots_[i].generation == generation_;
         i = (i + 1) & mask) {
      const Entry& e = entries_[slots_[i].entry];
      if (e.hash == hash && View(e) == key) return slots_[i].entry;
    }
    return size();
  }

  // Adds `key` (not in the table; HashOf() `hash`) as entry size() of field
  // `field`.
  void Add(int field, absl::string_view key, uint64_t hash) {
    char* p = section_.Reserve(key.size() + 11);
    char* end = PutLengthDelimited(p, field, key);
    section_.Commit(end);
    entries_.push_back({hash,
                        static_cast<uint32_t>(section_.size() - key.size()),
                        static_cast<uint32_t>(key.size())});
    // At most half full.
    if (entries_.size() * 2 > slots_.size()) {
      Rehash(std::max<size_t>(64, slots_.size() * 2));
    } else {
      Insert(entries_.size() - 1);
    }
  }

  void Clear() {
    section_.clear();
    entries_.clear();
    if (++generation_ == 0) {  // wrapped: stamps of 0 mean empty again
      for (Slot& s : slots_) s.generation = 0;
      generation_ = 1;
    }
  }

 private:
  struct Entry {
    uint64_t hash;
    uint32_t offset;  // of the key's bytes in `section_`
    uint32_t size;
  };
  struct Slot {
    uint32_t generation = 0;  // live if it is `generation_`
    uint32_t entry = 0;
  };

  // HashOf() of a key without its MD5: absl::Hash, after moving the table
  // to it if it was by MD5 (this key has none).
  ABSL_ATTRIBUTE_NOINLINE uint64_t HashOfBytes(absl::string_view key) {
    if (by_md5_) {
      by_md5_ = false;
      for (Entry& e : entries_) e.hash = absl::HashOf(View(e));
      Rehash(slots_.size());
    }
    return absl::HashOf(key);
  }
  absl::string_view View(const Entry& e) const {
    return absl::string_view(section_.data() + e.offset, e.size);
  }
  void Insert(size_t entry) {
    const size_t mask = slots_.size() - 1;
    size_t i = entries_[entry].hash & mask;
    while (slots_[i].generation == generation_) i = (i + 1) & mask;
    slots_[i] = {generation_, static_cast<uint32_t>(entry)};
  }
  void Rehash(size_t slots) {
    slots_.assign(slots, Slot());
    generation_ = 1;
    for (size_t e = 0; e < entries_.size(); ++e) Insert(e);
  }

  ByteBuffer section_;
  std::vector<Entry> entries_;
  std::vector<Slot> slots_;  // a power of two, or none
  uint32_t generation_ = 1;
  bool by_md5_ = false;
};

}  // namespace

struct AggregateBuilder::Tables {
  // The protobuf, by field: table entries and records, each with its tag.
  KeyTable partition_keys;
  KeyTable hash_keys;
  ByteBuffer record_section;
  std::string first_partition_key;
  std::string first_explicit_hash_key;  // as given; empty for none
  HashKey first_hash_key = 0;
  std::string decimal;  // AddRouted()'s explicit hash key, in decimal
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
  return internal::AggregateBuilderAccess::AddChecked(
      *this, partition_key, explicit_hash_key, data,
      explicit_hash_key.empty() ? nullptr : &hash_key, nullptr);
}

namespace internal {

absl::StatusOr<bool> AggregateBuilderAccess::AddRouted(
    AggregateBuilder& builder, const RoutedRecord& record) {
  if (builder.tables_ == nullptr) {  // moved from
    builder.tables_ = std::make_unique<AggregateBuilder::Tables>();
  }
  if (record.has_explicit_hash_key) {
    std::string& decimal = builder.tables_->decimal;
    decimal = HashKeyToString(record.hash_key);
    return AddChecked(builder, record.partition_key, decimal, record.data,
                      &record.hash_key, nullptr);
  }
  // The hash key is the MD5 of the partition key: half of it indexes the
  // key table.
  const uint64_t md5 = absl::Uint128Low64(record.hash_key);
  return AddChecked(builder, record.partition_key, {}, record.data,
                    &record.hash_key, &md5);
}

absl::StatusOr<bool> AggregateBuilderAccess::AddChecked(
    AggregateBuilder& builder, absl::string_view partition_key,
    absl::string_view explicit_hash_key, absl::string_view data,
    const HashKey* hash_key, const uint64_t* partition_key_md5) {
  AggregateBuilder& b = builder;
  if (b.tables_ == nullptr) {  // moved from
    b.tables_ = std::make_unique<AggregateBuilder::Tables>();
  }
  AggregateBuilder::Tables& t = *b.tables_;
  const bool has_hash_key = !explicit_hash_key.empty();

  // The record alone, in an empty builder: its keys get index 0.
  const int64_t alone =
      static_cast<int64_t>(partition_key.size()) +
      kAggregatedRecordOverheadBytes + FieldSize(partition_key.size()) +
      (has_hash_key ? FieldSize(explicit_hash_key.size()) : 0) +
      FieldSize(RecordBodySize(0, has_hash_key, 0, data.size()));
  if (alone > b.max_bytes_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "aggregate: a user record of ", alone,
        " bytes (partition key, data and aggregation overhead) never fits "
        "max_bytes ",
        b.max_bytes_));
  }

  // Its size beside the records already added.
  int64_t added = 0;
  const uint64_t pk_hash =
      t.partition_keys.HashOf(partition_key, partition_key_md5);
  const uint64_t pk_index = t.partition_keys.Find(partition_key, pk_hash);
  if (pk_index == t.partition_keys.size()) {
    added += FieldSize(partition_key.size());
  }
  uint64_t hk_hash = 0;
  uint64_t hk_index = t.hash_keys.size();
  if (has_hash_key) {
    hk_hash = t.hash_keys.HashOf(explicit_hash_key, nullptr);
    hk_index = t.hash_keys.Find(explicit_hash_key, hk_hash);
    if (hk_index == t.hash_keys.size()) {
      added += FieldSize(explicit_hash_key.size());
    }
  }
  const uint64_t body =
      RecordBodySize(pk_index, has_hash_key, hk_index, data.size());
  added += FieldSize(body);
  const int64_t before = b.empty()
                             ? static_cast<int64_t>(partition_key.size()) +
                                   kAggregatedRecordOverheadBytes
                             : b.size_bytes_;
  if (before + added > b.max_bytes_) return false;

  if (b.empty()) {
    t.first_partition_key.assign(partition_key.data(), partition_key.size());
    t.first_explicit_hash_key.assign(explicit_hash_key.data(),
                                     explicit_hash_key.size());
    t.first_hash_key =
        hash_key != nullptr ? *hash_key : PartitionKeyHash(partition_key);
  }
  if (pk_index == t.partition_keys.size()) {
    t.partition_keys.Add(1, partition_key, pk_hash);
  }
  if (has_hash_key && hk_index == t.hash_keys.size()) {
    t.hash_keys.Add(2, explicit_hash_key, hk_hash);
  }
  // Record: tag and length, its key indexes, then its data.
  char* p = t.record_section.Reserve(data.size() + 4 * 11);
  *p++ = static_cast<char>((3 << 3) | kWireLengthDelimited);
  p = internal::kpl::PutVarint(p, body);
  *p++ = static_cast<char>((1 << 3) | kWireVarint);
  p = internal::kpl::PutVarint(p, pk_index);
  if (has_hash_key) {
    *p++ = static_cast<char>((2 << 3) | kWireVarint);
    p = internal::kpl::PutVarint(p, hk_index);
  }
  p = PutLengthDelimited(p, 3, data);
  t.record_section.Commit(p);
  b.size_bytes_ = before + added;
  ++b.record_count_;
  return true;
}

}  // namespace internal

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
  const absl::string_view pk_section = t.partition_keys.section();
  const absl::string_view hk_section = t.hash_keys.section();
  a.data.append(pk_section.data(), pk_section.size());
  a.data.append(hk_section.data(), hk_section.size());
  a.data.append(t.record_section.data(), t.record_section.size());
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
