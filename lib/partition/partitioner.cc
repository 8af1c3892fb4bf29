// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/partitioner.h"

#include <cassert>

#include "absl/strings/str_cat.h"

#include "util/decimal.h"
#include "util/md5.h"
#include "util/utf8.h"

namespace brook {

absl::Status ValidatePartitionKey(absl::string_view partition_key) {
  if (!partition_key.empty() && partition_key.size() <= kMaxPartitionKeyChars &&
      internal::IsAscii(partition_key)) {
    return absl::OkStatus();  // one byte per character
  }
  if (partition_key.empty()) {
    return absl::InvalidArgumentError("partition key: must not be empty");
  }
  // A key of over 4 * 256 bytes has more than 256 characters in any case.
  if (partition_key.size() > 4 * kMaxPartitionKeyChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition key: longer than ", kMaxPartitionKeyChars,
                     " characters (", partition_key.size(), " bytes)"));
  }
  const internal::Utf8Check check = internal::CheckUtf8(partition_key);
  if (!check.valid) {
    return absl::InvalidArgumentError(absl::StrCat(
        "partition key: invalid UTF-8 at byte ", check.error_offset));
  }
  if (check.chars > kMaxPartitionKeyChars) {
    return absl::InvalidArgumentError(absl::StrCat(
        "partition key: ", check.chars, " characters, more than the limit of ",
        kMaxPartitionKeyChars));
  }
  return absl::OkStatus();
}

HashKey PartitionKeyHash(absl::string_view partition_key) {
  return internal::DigestToUint128(internal::Md5(partition_key));
}

absl::StatusOr<HashKey> ParseHashKey(absl::string_view text) {
  HashKey key;
  switch (internal::ParseDecimalUint128(text, &key)) {
    case internal::DecimalError::kNone:
      return key;
    case internal::DecimalError::kEmpty:
      return absl::InvalidArgumentError("explicit hash key: empty");
    case internal::DecimalError::kLeadingZero:
      return absl::InvalidArgumentError(
          absl::StrCat("explicit hash key: \"", text, "\" has a leading zero"));
    case internal::DecimalError::kTooLarge:
      return absl::InvalidArgumentError(
          absl::StrCat("explicit hash key: \"", text, "\" is above 2^128-1"));
    case internal::DecimalError::kNotDigits:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat("explicit hash key: \"",
                                                 text.substr(0, 64),
                                                 "\" is not a decimal number"));
}

std::string HashKeyToString(HashKey key) {
  return internal::FormatDecimalUint128(key);
}

std::vector<HashKeyRange> UniformHashKeyRanges(int shard_count) {
  assert(shard_count >= 1);
  std::vector<HashKeyRange> ranges;
  ranges.reserve(static_cast<size_t>(shard_count));
  // floor(2^128 / n), computed without 2^128: (2^128-1)/n, plus one when n
  // divides 2^128 (a power of two).
  const HashKey max = absl::Uint128Max();
  const HashKey n = static_cast<uint64_t>(shard_count);
  HashKey width = max / n;
  if (max % n == n - 1) width += 1;
  for (int i = 0; i < shard_count; ++i) {
    const HashKey start = width * static_cast<uint64_t>(i);
    const HashKey end =
        i + 1 == shard_count ? max : width * static_cast<uint64_t>(i + 1) - 1;
    ranges.push_back({start, end});
  }
  return ranges;
}

absl::StatusOr<RoutedRecord> RouteRecord(absl::string_view partition_key,
                                         absl::string_view data,
                                         absl::string_view explicit_hash_key) {
  absl::Status s = ValidatePartitionKey(partition_key);
  if (!s.ok()) return s;
  RoutedRecord r;
  r.partition_key = partition_key;
  r.data = data;
  if (explicit_hash_key.empty()) {
    r.hash_key = PartitionKeyHash(partition_key);
  } else {
    absl::StatusOr<HashKey> key = ParseHashKey(explicit_hash_key);
    if (!key.ok()) return key.status();
    r.hash_key = *key;
    r.has_explicit_hash_key = true;
  }
  return r;
}

}  // namespace brook
