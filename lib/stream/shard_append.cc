// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `ShardImpl::Append()`, the public `Shard::Append()`: the checks of a batch
// appended directly (hash key in the shard's range, size, partition key), in
// one branchless pass for the common batch and record by record, naming the
// first bad record, otherwise. What passes goes on to `AppendValidated()`
// (shard_impl.cc), which `Producer`'s already checked records reach
// directly.

#include <cstdint>

#include "absl/strings/str_cat.h"

#include "brook/partitioner.h"

#include "stream/shard_impl.h"
#include "stream/stream_impl.h"
#include "util/utf8.h"

namespace brook {
namespace internal {

namespace {

// `key` in [`first`, `first` + `span`] (`span` = last - first), without a
// branch: one unsigned subtraction and compare, on 128-bit registers where
// the compiler has them.
inline bool InRange(HashKey key, HashKey first, HashKey span) {
#if defined(ABSL_HAVE_INTRINSIC_INT128)
  using Wide = unsigned __int128;
  return static_cast<Wide>(key) - static_cast<Wide>(first) <=
         static_cast<Wide>(span);
#else
  const HashKey d = key - first;
  const uint64_t dh = absl::Uint128High64(d);
  const uint64_t sh = absl::Uint128High64(span);
  return (dh < sh) |
         ((dh == sh) & (absl::Uint128Low64(d) <= absl::Uint128Low64(span)));
#endif
}

// True if every record has its hash key in `range`, fits `max_record_bytes`
// and has a partition key of 1 to 256 ASCII characters: what Append()
// checks, in one pass without a call or a branch per check. False sends
// Append() to its record-by-record checks, which also accept non-ASCII
// UTF-8 keys.
bool AllPlainRecords(absl::Span<const RoutedRecord> records,
                     const HashKeyRange& range, int64_t max_record_bytes) {
  // Each check as 0 or 1, combined with `&` (not `&&`): no branch.
  auto bit = [](bool b) { return static_cast<unsigned>(b); };
  unsigned ok = 1;
  const size_t max_bytes = static_cast<size_t>(max_record_bytes);
  const HashKey first = range.starting_hash_key;
  const HashKey span = range.ending_hash_key - range.starting_hash_key;
  for (const RoutedRecord& r : records) {
    const size_t key = r.partition_key.size();
    ok &= bit(InRange(r.hash_key, first, span)) &
          bit(key + r.data.size() <= max_bytes) &
          bit(key - 1 < static_cast<size_t>(kMaxPartitionKeyChars)) &
          bit(internal::IsAscii(r.partition_key));
  }
  return ok != 0;
}

}  // namespace

absl::StatusOr<SequenceNumber> ShardImpl::Append(
    absl::Span<const RoutedRecord> records) {
  if (records.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(id_, ": append of no records"));
  }
  const int64_t max_record_bytes = stream_->fixed_options().max_record_bytes;
  if (AllPlainRecords(records, range_, max_record_bytes)) {
    return AppendValidated(records);
  }
  // Something is wrong: find the first bad record and say why.
  for (size_t i = 0; i < records.size(); ++i) {
    const RoutedRecord& r = records[i];
    if (!range_.Contains(r.hash_key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          id_, ": record ", i, ": hash key ", HashKeyToString(r.hash_key),
          " is outside the shard's range ",
          HashKeyToString(range_.starting_hash_key), "..",
          HashKeyToString(range_.ending_hash_key)));
    }
    const size_t size = r.partition_key.size() + r.data.size();
    if (size > static_cast<uint64_t>(max_record_bytes)) {
      return absl::InvalidArgumentError(absl::StrCat(
          id_, ": record ", i, ": ", size,
          " bytes (partition key + data) exceed the max record size of ",
          max_record_bytes));
    }
    absl::Status s = ValidatePartitionKey(r.partition_key);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(id_, ": record ", i, ": ", s.message()));
    }
  }
  return AppendValidated(records);
}

}  // namespace internal
}  // namespace brook
