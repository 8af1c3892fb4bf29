// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `ShardImpl::Append()`, the public `Shard::Append()`: the checks of a batch
// appended directly (hash key in the shard's range, size, partition key).
// The common batch is checked while `AppendValidated()` (shard_impl.cc)
// sizes and writes it; a batch that fails is checked record by record,
// naming the first bad record. `Producer`'s already checked records reach
// `AppendValidated()` directly.

#include <cstdint>

#include "absl/strings/str_cat.h"

#include "brook/partitioner.h"

#include "stream/shard_impl.h"
#include "stream/stream_impl.h"
#include "util/utf8.h"

namespace brook {
namespace internal {

bool AllPlainRecords(absl::Span<const RoutedRecord> records,
                     const HashKeyRange& range, int64_t max_record_bytes) {
  // Each check as 0 or 1, combined with `&` (not `&&`): no branch.
  unsigned ok = 1;
  const size_t max_bytes = static_cast<size_t>(max_record_bytes);
  const HashKey first = range.starting_hash_key;
  const HashKey span = range.ending_hash_key - range.starting_hash_key;
  for (const RoutedRecord& r : records) {
    ok &= PlainRecordBits(r, max_bytes, first, span) &
          static_cast<unsigned>(internal::IsAscii(r.partition_key));
  }
  return ok != 0;
}

namespace {

// The first record of `records` that Append() refuses, and why; OK if none.
absl::Status FirstBadRecord(absl::Span<const RoutedRecord> records,
                            const std::string& id, const HashKeyRange& range,
                            int64_t max_record_bytes) {
  for (size_t i = 0; i < records.size(); ++i) {
    const RoutedRecord& r = records[i];
    if (!range.Contains(r.hash_key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          id, ": record ", i, ": hash key ", HashKeyToString(r.hash_key),
          " is outside the shard's range ",
          HashKeyToString(range.starting_hash_key), "..",
          HashKeyToString(range.ending_hash_key)));
    }
    const size_t size = r.partition_key.size() + r.data.size();
    if (size > static_cast<uint64_t>(max_record_bytes)) {
      return absl::InvalidArgumentError(absl::StrCat(
          id, ": record ", i, ": ", size,
          " bytes (partition key + data) exceed the max record size of ",
          max_record_bytes));
    }
    absl::Status s = ValidatePartitionKey(r.partition_key);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(id, ": record ", i, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SequenceNumber> ShardImpl::Append(
    absl::Span<const RoutedRecord> records) {
  if (records.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(id_, ": append of no records"));
  }
  const int64_t max_record_bytes = stream_->fixed_options().max_record_bytes;
  if (throttle_ == nullptr) {
    // The common batch is checked as it is sized and written (one pass less
    // over the records). On any failure the batch is checked record by
    // record, so that a bad record is reported as it was before the append
    // was tried, whatever else failed.
    AppendChecks checks;
    checks.max_record_bytes = max_record_bytes;
    absl::StatusOr<SequenceNumber> first =
        AppendValidated(records, nullptr, &checks);
    if (first.ok()) return first;
    // The slow record-by-record checks only for a batch that is not plain
    // (the fast pass first: a full stream refusing good batches stays
    // cheap to retry).
    if (checks.failed || !AllPlainRecords(records, range_, max_record_bytes)) {
      absl::Status bad = FirstBadRecord(records, id_, range_, max_record_bytes);
      if (!bad.ok()) return bad;
      // Refused only for a non-ASCII (valid UTF-8) partition key.
      if (checks.failed) return AppendValidated(records);
    }
    return first;
  }
  // Under provisioned limits the checks come first, so that a bad batch
  // takes nothing from the shard's buckets.
  if (!AllPlainRecords(records, range_, max_record_bytes)) {
    absl::Status bad = FirstBadRecord(records, id_, range_, max_record_bytes);
    if (!bad.ok()) return bad;
  }
  return AppendValidated(records);
}

}  // namespace internal
}  // namespace brook
