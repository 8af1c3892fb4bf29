// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// StreamImpl's side of Producer and Consumer (the hooks of stream.h): routing
// checked records to shards and appending them, re-routing around shards a
// reshard closed; making iterators, reading and waiting.

#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "stream/scan_result.h"
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
  // Group by shard, keeping input order within a shard, and append each group
  // as one batch. Three passes over the entries: route and count, copy each
  // into its group's place, then each result. A group whose shard a reshard
  // closed meanwhile fails whole (kAborted) and is routed again with the
  // newer routing table.
  // `group[i]`: entry i's group (its shard's index in the routing table) in
  // this attempt, or kDone once its result is set (or it failed before).
  constexpr uint32_t kDone = ~uint32_t{0};
  std::vector<uint32_t> group(n);
  for (size_t i = 0; i < n; ++i) {
    group[i] = results[i].status.ok() ? 0 : kDone;
  }
  // Per routing-table index: first the group's size, then its place in
  // `outcomes`, which holds only the groups that have records.
  std::vector<uint32_t> slot;
  struct Outcome {
    size_t begin = 0;  // the group's first record in `batch`
    size_t count = 0;
    size_t next = 0;      // records placed, then results set, so far
    size_t ok_below = 0;  // results [0, ok_below) of the group are stored
    ShardImpl* shard = nullptr;
    absl::string_view shard_id;
    uint32_t shard_number = 0;
    uint64_t first_position = 0;
    bool retry = false;
    absl::StatusOr<SequenceNumber> first;
    ShardImpl::PartialAppend partial;
  };
  std::vector<Outcome> outcomes;
  // The entries grouped by shard, copied into place (scattered), so left
  // uninitialised until then: RoutedRecord is trivially copyable and
  // destructible, and every slot of [0, todo) is written before it is read.
  static_assert(std::is_trivially_copyable<RoutedRecord>::value &&
                    std::is_trivially_destructible<RoutedRecord>::value,
                "RoutedRecord is copied into raw storage");
  std::unique_ptr<unsigned char[]> batch_storage;
  size_t batch_capacity = 0;
  for (int attempt = 0;; ++attempt) {
    std::shared_ptr<const RoutingTable> routing = this->routing();
    slot.assign(routing->size(), 0);
    size_t todo = 0;
    for (size_t i = 0; i < n; ++i) {
      if (group[i] == kDone) continue;
      const uint32_t g =
          static_cast<uint32_t>(routing->RouteIndex(records[i].hash_key));
      group[i] = g;
      ++slot[g];
      ++todo;
    }
    if (todo == 0) return;
    outcomes.clear();
    size_t begin = 0;
    for (size_t g = 0; g < slot.size(); ++g) {
      if (slot[g] == 0) continue;
      Outcome& o = outcomes.emplace_back();
      o.begin = begin;
      o.count = slot[g];
      o.shard = routing->shard(g);
      begin += o.count;
      slot[g] = static_cast<uint32_t>(outcomes.size() - 1);
    }
    // One group of every entry (one shard, or all keys in one): the entries
    // are the batch as they stand.
    absl::Span<const RoutedRecord> stored = records;
    if (outcomes.size() > 1 || todo < n) {
      if (batch_capacity < todo) {
        // operator new[] aligns for any fundamental type (16 bytes here).
        static_assert(alignof(RoutedRecord) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
                      "RoutedRecord needs over-aligned storage");
        batch_storage.reset(new unsigned char[todo * sizeof(RoutedRecord)]);
        batch_capacity = todo;
      }
      RoutedRecord* batch =
          reinterpret_cast<RoutedRecord*>(batch_storage.get());
      for (size_t i = 0; i < n; ++i) {
        if (group[i] == kDone) continue;
        Outcome& o = outcomes[slot[group[i]]];
        new (&batch[o.begin + o.next++]) RoutedRecord(records[i]);
      }
      stored = absl::MakeConstSpan(batch, todo);
    }
    bool retry = false;
    for (Outcome& o : outcomes) {
      o.next = 0;
      // Under provisioned-mode limits only a prefix may be stored; the
      // rest of the group fails with `partial.rest` (see ShardImpl).
      o.first = o.shard->AppendValidated(stored.subspan(o.begin, o.count),
                                         &o.partial);
      if (o.first.ok()) {
        o.ok_below = o.partial.appended;
        o.shard_id = o.shard->id();
        o.shard_number = o.shard->number();
        o.first_position = PositionOf(*o.first);
      } else if (absl::IsAborted(o.first.status()) && attempt < kMaxReroutes) {
        o.retry = true;
        retry = true;
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (group[i] == kDone) continue;
      Outcome& o = outcomes[slot[group[i]]];
      const size_t k = o.next++;
      PutRecordsResultEntry& r = results[i];
      if (k < o.ok_below) {
        r.shard_id = o.shard_id;
        r.sequence_number =
            MakeSequenceNumber(o.first_position + k, o.shard_number);
      } else if (o.retry) {
        continue;  // routed again, with the entries still to do, below
      } else {
        r.status = o.first.ok() ? o.partial.rest : o.first.status();
      }
      group[i] = kDone;
    }
    if (!retry) return;
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

absl::StatusOr<ScanRecordsResult> StreamImpl::DoScanRecords(
    const ShardIterator& iterator, const GetRecordsOptions& options,
    absl::FunctionRef<void(const Record&)> visit) const {
  int64_t visited = 0;
  absl::StatusOr<GetRecordsResult> read =
      ShardOf(iterator).Read(iterator, options, &visit, &visited);
  if (!read.ok()) return read.status();
  return ScanResultOf(*read, visited);
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
