// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The producer's share of PutRecord and PutRecords, the same for every
// stream: checking entries and hashing partition keys. Routing and appending
// are the stream's (`Stream::DoPutRecords()`; brook's in stream_hooks.cc).

#include "brook/producer.h"

#include <array>
#include <cstdint>

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
  const int64_t max_record_bytes = stream_->max_record_bytes();
  const size_t n = entries.size();
  PutRecordsResult result;
  result.records.resize(n);
  std::vector<RoutedRecord> routed(n);
  std::vector<uint32_t> to_hash;
  std::vector<absl::string_view> keys;
  to_hash.reserve(n);
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    absl::Status s = CheckEntry(max_record_bytes, entries[i], &routed[i]);
    if (!s.ok()) {
      result.records[i].status = std::move(s);
    } else if (!routed[i].has_explicit_hash_key) {
      to_hash.push_back(static_cast<uint32_t>(i));
      keys.push_back(entries[i].partition_key);
    }
  }
  // MD5 dominates routing; hashing keys together (Md5Many) multiplies its
  // throughput.
  std::vector<std::array<uint8_t, 16>> digests(keys.size());
  internal::Md5Many(keys.data(), keys.size(), digests.data());
  for (size_t k = 0; k < to_hash.size(); ++k) {
    routed[to_hash[k]].hash_key = internal::DigestToUint128(digests[k]);
  }
  // The stream stores the entries still OK and reports on each.
  stream_->DoPutRecords(routed, absl::MakeSpan(result.records));
  for (const PutRecordsResultEntry& r : result.records) {
    if (!r.status.ok()) ++result.failed_record_count;
  }
  return result;
}

}  // namespace brook
