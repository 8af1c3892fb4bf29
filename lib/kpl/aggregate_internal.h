// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What the async producer needs of `AggregateBuilder` beyond its public
// interface: records added without being checked again, aggregates finished
// without their MD5 trailer, and the
// trailers of several aggregates computed at once (`Md5ManyLong()`, each
// message in its own SIMD lane), which is several times the speed of one MD5
// after another (bench/README.md, issue 12).

#ifndef BROOK_LIB_KPL_AGGREGATE_INTERNAL_H_
#define BROOK_LIB_KPL_AGGREGATE_INTERNAL_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/aggregation.h"
#include "brook/partitioner.h"
#include "brook/record.h"

namespace brook {
namespace internal {

// Bytes of an aggregate's MD5 trailer.
inline constexpr size_t kAggregateDigestBytes = 16;

class AggregateBuilderAccess {
 public:
  // As `builder.Finish()`, into `*out`, whose strings' capacity is reused
  // (a caller that keeps its aggregates allocates, and page-faults, once),
  // with the trailer's 16 bytes left zero: the aggregate is not valid until
  // `SignAggregates()` has written it. The same errors as `Finish()`.
  static absl::Status FinishWithoutDigest(AggregateBuilder& builder,
                                          AggregateBuilder::Aggregate* out);

  // As `builder.Add()`, for a record already checked and routed (by
  // `AsyncProducer::Put()`): its partition key is valid, and `hash_key` is
  // its explicit hash key (`has_explicit_hash_key`, written in decimal into
  // the aggregate) or the MD5 of its partition key, which then also indexes
  // the key table (no hashing of the key's bytes, no MD5 for the
  // aggregate's key). Returns what `Add()` does: false when it does not fit
  // beside the records added, kInvalidArgument when it fits no aggregate.
  // The bytes are those `Add()` gives.
  static absl::StatusOr<bool> AddRouted(AggregateBuilder& builder,
                                        const RoutedRecord& record);

  // `Add()` after its checks: `hash_key` is the record's hash key (parsed
  // from `explicit_hash_key` if that is not empty, else the MD5 of
  // `partition_key`), or null if the caller does not have it;
  // `partition_key_md5` the low half of the MD5 of `partition_key`, or null.
  static absl::StatusOr<bool> AddChecked(AggregateBuilder& builder,
                                         absl::string_view partition_key,
                                         absl::string_view explicit_hash_key,
                                         absl::string_view data,
                                         const HashKey* hash_key,
                                         const uint64_t* partition_key_md5);
};

// Writes the MD5 trailer of each of `aggregates[0..n)` (finished by
// FinishWithoutDigest()), hashing several at once. Thread safety: touches
// only `aggregates`.
void SignAggregates(AggregateBuilder::Aggregate* aggregates, size_t n);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_KPL_AGGREGATE_INTERNAL_H_
