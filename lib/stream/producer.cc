// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The producer's share of PutRecord and PutRecords, the same for every
// stream: checking entries and hashing partition keys. Routing and appending
// are the stream's (`Stream::DoPutRecords()`; brook's in stream_hooks.cc).

#include "brook/producer.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"

#include "brook/partitioner.h"
#include "brook/stream.h"

#include "util/md5.h"
#include "util/utf8.h"

namespace brook {
namespace {

// Checks one entry as PutRecord would and fills `out` except, when it has no
// explicit hash key, its hash key: the caller hashes those keys in bulk.
absl::Status CheckEntry(int64_t max_record_bytes, const PutRecordsEntry& entry,
                        RoutedRecord* out) {
  const size_t size = entry.partition_key.size() + entry.data.size();
  if (size > static_cast<uint64_t>(max_record_bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record of ", size,
        " bytes (partition key + data) exceeds the max record size of ",
        max_record_bytes));
  }
  // The common key (1 to 256 ASCII bytes) inline; anything else is checked
  // in full.
  const absl::string_view pk = entry.partition_key;
  if (pk.empty() || pk.size() > static_cast<size_t>(kMaxPartitionKeyChars) ||
      !internal::IsAscii(pk)) {
    absl::Status s = ValidatePartitionKey(pk);
    if (!s.ok()) return s;
  }
  out->partition_key = entry.partition_key;
  out->data = entry.data;
  if (!entry.explicit_hash_key.empty()) {
    absl::StatusOr<HashKey> key = ParseHashKey(entry.explicit_hash_key);
    if (!key.ok()) return key.status();
    out->hash_key = *key;
    out->has_explicit_hash_key = true;
  }
  return absl::OkStatus();
}

}  // namespace

Producer::Producer(Stream* stream) : stream_(stream) {}

absl::StatusOr<PutRecordResult> Producer::PutRecord(
    absl::string_view partition_key, absl::string_view data,
    absl::string_view explicit_hash_key) {
  RoutedRecord record;
  absl::Status s =
      CheckEntry(stream_->max_record_bytes(),
                 {partition_key, data, explicit_hash_key}, &record);
  if (!s.ok()) return s;
  if (!record.has_explicit_hash_key) {
    record.hash_key = PartitionKeyHash(partition_key);
  }
  PutRecordsResultEntry result;
  stream_->DoPutRecords({&record, 1}, {&result, 1});
  if (!result.status.ok()) return result.status;
  return PutRecordResult{result.shard_id, result.sequence_number};
}

absl::StatusOr<PutRecordsResult> Producer::PutRecords(
    absl::Span<const PutRecordsEntry> entries) {
  if (entries.empty()) {
    return absl::InvalidArgumentError("PutRecords: no records");
  }
  const size_t max_record_bytes =
      static_cast<size_t>(stream_->max_record_bytes());
  const size_t n = entries.size();
  PutRecordsResult result;
  result.records.resize(n);
  // Filled in order, each entry written once (no value-initialising pass
  // over the whole request first).
  std::vector<RoutedRecord> routed;
  routed.reserve(n);
  // One pass over blocks of entries: check each, then hash the block's keys
  // together while its entries are in cache (Md5Many fills 32 SIMD lanes at
  // a time; a block is two fills).
  constexpr size_t kBlock = 64;
  auto bit = [](bool b) { return static_cast<unsigned>(b); };
  absl::string_view keys[kBlock];
  uint32_t hashed[kBlock];
  std::array<uint8_t, 16> digests[kBlock];
  for (size_t block = 0; block < n; block += kBlock) {
    const size_t end = std::min(n, block + kBlock);
    size_t m = 0;
    for (size_t i = block; i < end; ++i) {
      const PutRecordsEntry& e = entries[i];
      RoutedRecord& r = routed.emplace_back();
      r.partition_key = e.partition_key;
      r.data = e.data;
      // The common entry, checked inline without a branch per check (each
      // as 0 or 1, combined with `&`): a key of 1 to 256 ASCII characters,
      // no explicit hash key, within the size.
      const size_t key = e.partition_key.size();
      const unsigned plain =
          bit(key - 1 < static_cast<size_t>(kMaxPartitionKeyChars)) &
          bit(key + e.data.size() <= max_record_bytes) &
          bit(e.explicit_hash_key.empty()) &
          bit(internal::IsAscii(e.partition_key));
      if (ABSL_PREDICT_TRUE(plain != 0)) {
        keys[m] = e.partition_key;
        hashed[m++] = static_cast<uint32_t>(i);
        continue;
      }
      absl::Status s =
          CheckEntry(static_cast<int64_t>(max_record_bytes), e, &r);
      if (!s.ok()) {
        result.records[i].status = std::move(s);
      } else if (!r.has_explicit_hash_key) {
        keys[m] = e.partition_key;
        hashed[m++] = static_cast<uint32_t>(i);
      }
    }
    internal::Md5Many(keys, m, digests);
    for (size_t k = 0; k < m; ++k) {
      routed[hashed[k]].hash_key = internal::DigestToUint128(digests[k]);
    }
  }
  // The stream stores the entries still OK and reports on each.
  stream_->DoPutRecords(routed, absl::MakeSpan(result.records));
  for (const PutRecordsResultEntry& r : result.records) {
    if (!r.status.ok()) ++result.failed_record_count;
  }
  return result;
}

}  // namespace brook
