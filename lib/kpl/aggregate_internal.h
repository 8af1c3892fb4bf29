// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What the async producer needs of `AggregateBuilder` beyond its public
// interface: aggregates finished without their MD5 trailer, and the
// trailers of several aggregates computed at once (`Md5ManyLong()`, each
// message in its own SIMD lane), which is several times the speed of one MD5
// after another (bench/README.md, issue 12).

#ifndef BROOK_LIB_KPL_AGGREGATE_INTERNAL_H_
#define BROOK_LIB_KPL_AGGREGATE_INTERNAL_H_

#include <cstddef>

#include "absl/status/status.h"

#include "brook/aggregation.h"

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
};

// Writes the MD5 trailer of each of `aggregates[0..n)` (finished by
// FinishWithoutDigest()), hashing several at once. Thread safety: touches
// only `aggregates`.
void SignAggregates(AggregateBuilder::Aggregate* aggregates, size_t n);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_KPL_AGGREGATE_INTERNAL_H_
