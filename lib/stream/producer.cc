// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/producer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

#include "brook/partitioner.h"

#include "stream/sequence.h"
#include "stream/stream_impl.h"
#include "util/md5.h"

namespace brook {
namespace {

// Checks one entry as PutRecord would and fills `out` except, when it has no
// explicit hash key, its hash key: the caller hashes those keys in bulk.
absl::Status CheckEntry(const internal::StreamImpl& stream,
                        const PutRecordsEntry& entry, RoutedRecord* out) {
  const size_t size = entry.partition_key.size() + entry.data.size();
  if (size > static_cast<uint64_t>(stream.fixed_options().max_record_bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "record of ", size,
        " bytes (partition key + data) exceeds the max record size of ",
        stream.fixed_options().max_record_bytes));
  }
  absl::Status s = ValidatePartitionKey(entry.partition_key);
  if (!s.ok()) return s;
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

// Reshards close shards; an append that lost that race is routed again, a
// bounded number of times (each retry sees a newer routing table).
constexpr int kMaxReroutes = 64;

}  // namespace

Producer::Producer(Stream* stream) : stream_(stream) {}

absl::StatusOr<PutRecordResult> Producer::PutRecord(
    absl::string_view partition_key, absl::string_view data,
    absl::string_view explicit_hash_key) {
  auto& stream = static_cast<internal::StreamImpl&>(*stream_);
  RoutedRecord record;
  absl::Status s =
      CheckEntry(stream, {partition_key, data, explicit_hash_key}, &record);
  if (!s.ok()) return s;
  if (!record.has_explicit_hash_key) {
    record.hash_key = PartitionKeyHash(partition_key);
  }
  // A reshard may close the shard between routing and appending; the append
  // then fails whole and the record is routed again.
  for (int attempt = 0;; ++attempt) {
    internal::ShardImpl* shard = stream.routing()->Route(record.hash_key);
    absl::StatusOr<SequenceNumber> n = shard->AppendValidated({&record, 1});
    if (n.ok()) return PutRecordResult{shard->id(), *n};
    if (!absl::IsAborted(n.status()) || attempt == kMaxReroutes) {
      return n.status();
    }
  }
}

absl::StatusOr<PutRecordsResult> Producer::PutRecords(
    absl::Span<const PutRecordsEntry> entries) {
  if (entries.empty()) {
    return absl::InvalidArgumentError("PutRecords: no records");
  }
  auto& stream = static_cast<internal::StreamImpl&>(*stream_);
  const size_t n = entries.size();
  PutRecordsResult result;
  result.records.resize(n);
  std::vector<RoutedRecord> routed(n);
  std::vector<internal::ShardImpl*> shards(n, nullptr);
  std::vector<uint32_t> to_hash;
  std::vector<absl::string_view> keys;
  for (size_t i = 0; i < n; ++i) {
    absl::Status s = CheckEntry(stream, entries[i], &routed[i]);
    if (!s.ok()) {
      result.records[i].status = std::move(s);
    } else if (!routed[i].has_explicit_hash_key) {
      to_hash.push_back(static_cast<uint32_t>(i));
      keys.push_back(entries[i].partition_key);
    }
  }
  // MD5 dominates routing; hashing keys together quadruples its throughput.
  std::vector<std::array<uint8_t, 16>> digests(keys.size());
  internal::Md5Many(keys.data(), keys.size(), digests.data());
  for (size_t k = 0; k < to_hash.size(); ++k) {
    routed[to_hash[k]].hash_key = internal::DigestToUint128(digests[k]);
  }
  std::vector<uint32_t> pending;
  pending.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (result.records[i].status.ok()) {
      pending.push_back(static_cast<uint32_t>(i));
    }
  }
  // Group by shard, keeping input order within a shard, and append each group
  // as one batch. A group whose shard a reshard closed meanwhile fails whole
  // and is routed again with the newer routing table.
  std::vector<uint32_t> order, retry, slot;
  std::vector<RoutedRecord> batch;
  for (int attempt = 0; !pending.empty(); ++attempt) {
    std::shared_ptr<const internal::StreamImpl::RoutingTable> routing =
        stream.routing();
    for (uint32_t i : pending) shards[i] = routing->Route(routed[i].hash_key);
    // A counting sort by shard number: stable, linear in entries + shards.
    slot.assign(stream.shard_count() + 1, 0);
    for (uint32_t i : pending) ++slot[shards[i]->number() + 1];
    for (size_t k = 1; k < slot.size(); ++k) slot[k] += slot[k - 1];
    order.resize(pending.size());
    for (uint32_t i : pending) order[slot[shards[i]->number()]++] = i;

    retry.clear();
    for (size_t begin = 0; begin < order.size();) {
      internal::ShardImpl* shard = shards[order[begin]];
      size_t end = begin;
      batch.clear();
      while (end < order.size() && shards[order[end]] == shard) {
        batch.push_back(routed[order[end]]);
        ++end;
      }
      absl::StatusOr<SequenceNumber> first = shard->AppendValidated(batch);
      if (!first.ok() && absl::IsAborted(first.status()) &&
          attempt < kMaxReroutes) {
        retry.insert(retry.end(), order.begin() + begin, order.begin() + end);
        begin = end;
        continue;
      }
      for (size_t k = begin; k < end; ++k) {
        PutRecordsResultEntry& r = result.records[order[k]];
        if (first.ok()) {
          r.shard_id = shard->id();
          r.sequence_number = internal::MakeSequenceNumber(
              internal::PositionOf(*first) + (k - begin), shard->number());
        } else {
          r.status = first.status();
        }
      }
      begin = end;
    }
    std::sort(retry.begin(), retry.end());  // input order again
    pending.swap(retry);
  }
  for (const PutRecordsResultEntry& r : result.records) {
    if (!r.status.ok()) ++result.failed_record_count;
  }
  return result;
}

}  // namespace brook
