// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// KPL aggregation, both ways: many small user records packed into one Kinesis
// record, in the format of the Kinesis Producer Library (KPL) that the Kinesis
// Client Library (KCL) de-aggregates. An aggregated record's data is
//
//   F3 89 9A C2 | protobuf AggregatedRecord (proto2) | MD5 of the protobuf
//
// where `AggregatedRecord` holds a table of partition keys, a table of
// explicit hash keys and the user records, each naming its keys by index
// (lib/proto/kpl_aggregate.proto; ../shared/DESIGN.md section 4). A record
// whose data does not start with the magic is an ordinary record.
//
// Thread safety: the free functions are pure and may be called from any
// thread. An `AggregateBuilder` is a value: use each from one thread at a time.
//
// Example (the producer side; `records` all bound for one shard):
//   brook::AggregateBuilder builder;
//   for (const Input& in : records) {
//     absl::StatusOr<bool> added = builder.Add(in.key, "", in.data);
//     if (!added.ok()) return added.status();
//     if (!*added) {  // full: put what it holds, then start a new one
//       absl::StatusOr<brook::AggregateBuilder::Aggregate> a = builder.Finish();
//       producer.PutRecord(a->partition_key, a->data, a->explicit_hash_key);
//       added = builder.Add(in.key, "", in.data);  // fits an empty builder
//     }
//   }
//
// The reader side: `GetRecordsOptions::deaggregate` (consumer.h), or
// `Deaggregate()` on each record read.

#ifndef BROOK_AGGREGATION_H_
#define BROOK_AGGREGATION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/export.h"
#include "brook/partitioner.h"
#include "brook/record.h"

namespace brook {

// The 4 bytes an aggregated record's data starts with.
inline constexpr absl::string_view kAggregatedRecordMagic("\xF3\x89\x9A\xC2",
                                                          4);
// Bytes an aggregated record adds around its protobuf: the magic and the
// 16-byte MD5 trailer.
inline constexpr int64_t kAggregatedRecordOverheadBytes = 4 + 16;

// IsAggregatedRecord()
//
// True if `data` starts with the magic F3 89 9A C2 and is long enough to hold
// the MD5 trailer after it (20 bytes or more). Says nothing about whether the
// rest is intact: `Deaggregate()` checks that.
BROOK_EXPORT bool IsAggregatedRecord(absl::string_view data);

// Deaggregate()
//
// Appends the user records of `record` to `*out`, in the order the aggregate
// holds them. Each gets its own partition key and data; its hash key is its
// explicit hash key (`has_explicit_hash_key` set) or else the MD5 of its
// partition key (`PartitionKeyHash()`); it shares the aggregate's
// `sequence_number` and `approximate_arrival_timestamp_millis`, and its
// `subsequence_number` is its index in the aggregate (0, 1, ...). Tags (a KPL
// field nobody reads) are checked and dropped.
//
// A record whose data is not aggregated (`IsAggregatedRecord()` false) is
// appended unchanged, and OK is returned.
//
// Returns kDataLoss, appending nothing, for a damaged aggregate: an MD5 that
// does not match, protobuf that does not parse (truncated, a field of the
// wrong wire type, a varint over 10 bytes, field number 0), a user record
// without its partition key index or data (required fields), a key index
// past its table, or an explicit hash key that is not a decimal number below
// 2^128. The message starts with the aggregate's sequence number and names
// the fault and its byte offset in the protobuf. Callers that must not lose
// the record pass the original on (GetRecords does, flagged
// `Record::damaged_aggregate`).
//
// Lifetime: the appended records' `partition_key` and `data` are views into
// `record.data` (no copy): they are valid as long as the bytes of
// `record.data` are.
// REQUIRES: `out` is not null.
BROOK_EXPORT absl::Status Deaggregate(const Record& record,
                                      std::vector<Record>* out);

// CheckAggregateInRange()
//
// Returns OK if every user record of the aggregated `data` has its hash key in
// `range` (the hash key range of the shard the aggregate is put to), else
// kInvalidArgument naming the first user record outside it. Returns the
// errors of `Deaggregate()` (kDataLoss) for damaged data, and
// kInvalidArgument for data that is not aggregated. A check for tests and
// debugging: it decodes the whole aggregate.
BROOK_EXPORT absl::Status CheckAggregateInRange(absl::string_view data,
                                                const HashKeyRange& range);

// Packs user records into one aggregated record, as KPL's aggregator does:
// partition keys and explicit hash keys go in their tables once each, in
// order of first use, and user records keep the order they were added in.
// `Finish()` gives bytes identical to KPL's (and aws-kinesis-agg's) for the
// same input.
//
// The builder does not route: the caller gives it only records bound for one
// shard (their hash keys in one shard's range), so that the aggregate, put
// with the key `Finish()` gives, lands where every user record belongs.
// `CheckAggregateInRange()` checks an aggregate afterwards.
//
// Cost: `Add()` is O(size of the record) with no re-serialization; it
// allocates only when the builder's buffers grow or a key is new. Reusing a
// builder after `Finish()` keeps its buffers.
namespace internal {
class AggregateBuilderAccess;  // lib/kpl/aggregate_internal.h
}  // namespace internal

class BROOK_EXPORT AggregateBuilder {
 public:
  // What `Finish()` gives: the record to put.
  struct Aggregate {
    // The first user record's partition key (as KPL does).
    std::string partition_key;
    // The first user record's hash key in decimal: its explicit hash key, or
    // the MD5 of its partition key. Always set (as KPL does), so that the
    // aggregate goes to the shard of its first user record, and so of all of
    // them, whatever the partition key would say.
    std::string explicit_hash_key;
    // Magic, protobuf and MD5.
    std::string data;
    // Number of user records in `data`.
    int64_t record_count = 0;
  };

  // `max_bytes`: most bytes of the aggregated record, counted as Kinesis
  // counts a record against its size limit: the aggregate's partition key
  // plus its data. Default: Kinesis's 1 MiB limit. Any value is accepted; one
  // too small for a record makes `Add()` return kInvalidArgument for it.
  explicit AggregateBuilder(int64_t max_bytes = kDefaultMaxRecordBytes);

  AggregateBuilder(const AggregateBuilder&) = delete;
  AggregateBuilder& operator=(const AggregateBuilder&) = delete;
  AggregateBuilder(AggregateBuilder&&) noexcept;
  AggregateBuilder& operator=(AggregateBuilder&&) noexcept;
  ~AggregateBuilder();

  // Adds a user record. `explicit_hash_key` is a decimal hash key that
  // overrides the partition key's MD5, or empty for none.
  // Returns true if added; false if it does not fit within `max_bytes`
  // beside the records already added (nothing added: `Finish()` and add it
  // again). Returns kInvalidArgument (nothing added) for a partition key
  // `ValidatePartitionKey()` refuses, an explicit hash key `ParseHashKey()`
  // refuses, or a record too large to fit even an empty builder.
  // The views are copied; they need to be valid only during the call.
  absl::StatusOr<bool> Add(absl::string_view partition_key,
                           absl::string_view explicit_hash_key,
                           absl::string_view data);

  // User records added since the last `Finish()` or `Clear()`.
  int64_t record_count() const { return record_count_; }
  bool empty() const { return record_count_ == 0; }
  // Bytes the aggregated record would count if finished now (partition key
  // plus data, as `max_bytes`); 0 when empty. Never above `max_bytes()`.
  int64_t size_bytes() const { return size_bytes_; }
  int64_t max_bytes() const { return max_bytes_; }

  // Returns the aggregated record of the records added and empties the
  // builder. Returns kFailedPrecondition if no record was added.
  absl::StatusOr<Aggregate> Finish();

  // Drops the records added.
  void Clear();

 private:
  friend class internal::AggregateBuilderAccess;
  struct Tables;  // the protobuf built so far and the key tables

  // Finish() into `*out` (its strings' capacity reused), with the MD5
  // trailer left as 16 zero bytes when `!digest`.
  absl::Status FinishImpl(bool digest, Aggregate* out);

  int64_t max_bytes_;
  int64_t record_count_ = 0;
  int64_t size_bytes_ = 0;  // see size_bytes()
  std::unique_ptr<Tables> tables_;
};

}  // namespace brook

#endif  // BROOK_AGGREGATION_H_
