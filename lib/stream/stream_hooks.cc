// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// StreamImpl's side of Producer and Consumer (the hooks of stream.h): routing
// checked records to shards and appending them, re-routing around shards a
// reshard closed; making iterators, reading and waiting.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "stream/sequence.h"
#include "stream/stream_impl.h"

namespace brook {
namespace internal {
namespace {

// Reshards close shards; an append that lost that race is routed again, a
// bounded number of times (each retry sees a newer routing table).
constexpr int kMaxReroutes = 64;

}  // namespace

void StreamImpl::DoPutRecords(absl::Span<const RoutedRecord> records,
                              absl::Span<PutRecordsResultEntry> results) {
  const size_t n = records.size();
  if (n == 1) {
    // PutRecord: no grouping, no allocation. A reshard may close the shard
    // between routing and appending; the append then fails whole (kAborted)
    // and the record is routed again.
    if (!results[0].status.ok()) return;
    for (int attempt = 0;; ++attempt) {
      ShardImpl* shard;
      {
        // Not routing(): no copy of the table's shared_ptr (two atomic
        // read-modify-writes less per record).
        MutexLock lock(&topology_mu_);
        shard = routing_->Route(records[0].hash_key);
      }
      absl::StatusOr<SequenceNumber> first = shard->AppendValidated(records);
      if (first.ok()) {
        results[0].shard_id = shard->id();
        results[0].sequence_number = *first;
        return;
      }
      if (!absl::IsAborted(first.status()) || attempt == kMaxReroutes) {
        results[0].status = first.status();
        return;
      }
    }
  }
  std::vector<ShardImpl*> shards(n, nullptr);
  std::vector<uint32_t> pending;
  pending.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (results[i].status.ok()) pending.push_back(static_cast<uint32_t>(i));
  }
  // Group by shard, keeping input order within a shard, and append each group
  // as one batch. A group whose shard a reshard closed meanwhile fails whole
  // (kAborted) and is routed again with the newer routing table.
  std::vector<uint32_t> order, retry, slot;
  std::vector<RoutedRecord> batch;
  batch.reserve(pending.size());  // no regrowth while grouping
  for (int attempt = 0; !pending.empty(); ++attempt) {
    std::shared_ptr<const RoutingTable> routing = this->routing();
    for (uint32_t i : pending) shards[i] = routing->Route(records[i].hash_key);
    // A counting sort by shard number: stable, linear in entries + shards.
    slot.assign(shard_count() + 1, 0);
    for (uint32_t i : pending) ++slot[shards[i]->number() + 1];
    for (size_t k = 1; k < slot.size(); ++k) slot[k] += slot[k - 1];
    order.resize(pending.size());
    for (uint32_t i : pending) order[slot[shards[i]->number()]++] = i;

    retry.clear();
    for (size_t begin = 0; begin < order.size();) {
      ShardImpl* shard = shards[order[begin]];
      size_t end = begin + 1;
      while (end < order.size() && shards[order[end]] == shard) ++end;
      batch.resize(end - begin);
      for (size_t k = begin; k < end; ++k) {
        batch[k - begin] = records[order[k]];
      }
      // Under provisioned-mode limits only a prefix may be stored; the
      // rest of the group fails with `partial.rest` (see ShardImpl).
      ShardImpl::PartialAppend partial;
      absl::StatusOr<SequenceNumber> first =
          shard->AppendValidated(batch, &partial);
      if (!first.ok() && absl::IsAborted(first.status()) &&
          attempt < kMaxReroutes) {
        retry.insert(retry.end(), order.begin() + begin, order.begin() + end);
        begin = end;
        continue;
      }
      for (size_t k = begin; k < end; ++k) {
        PutRecordsResultEntry& r = results[order[k]];
        if (first.ok() && k - begin >= partial.appended) {
          r.status = partial.rest;
        } else if (first.ok()) {
          r.shard_id = shard->id();
          r.sequence_number = MakeSequenceNumber(
              PositionOf(*first) + (k - begin), shard->number());
        } else {
          r.status = first.status();
        }
      }
      begin = end;
    }
    std::sort(retry.begin(), retry.end());  // input order again
    pending.swap(retry);
  }
}

absl::StatusOr<ShardIterator> StreamImpl::DoGetShardIterator(
    absl::string_view shard_id, const StartingPosition& start) const {
  absl::StatusOr<ShardImpl*> shard = FindShard(shard_id);
  if (!shard.ok()) return shard.status();
  return (*shard)->NewIterator(start);
}

absl::StatusOr<GetRecordsResult> StreamImpl::DoGetRecords(
    const ShardIterator& iterator, const GetRecordsOptions& options) const {
  return ShardOf(iterator).Read(iterator, options);
}

bool StreamImpl::DoWaitForRecords(const ShardIterator& iterator,
                                  absl::Duration timeout) const {
  return ShardOf(iterator).WaitForRecords(iterator, timeout);
}

bool StreamImpl::DoWaitForRecordsInterruptibly(const ShardIterator& iterator,
                                               absl::Duration timeout,
                                               WaitInterrupt* interrupt) const {
  return ShardOf(iterator).WaitForRecords(iterator, timeout, interrupt);
}

}  // namespace internal
}  // namespace brook
