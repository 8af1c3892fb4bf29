// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/record.h"

#include "absl/strings/str_cat.h"

#include "util/decimal.h"

namespace brook {

absl::StatusOr<SequenceNumber> SequenceNumber::Parse(absl::string_view text) {
  absl::uint128 value;
  if (internal::ParseDecimalUint128(text, &value) !=
      internal::DecimalError::kNone) {
    return absl::InvalidArgumentError(
        absl::StrCat("sequence number: \"", text.substr(0, 64),
                     "\" is not a canonical decimal number below 2^128"));
  }
  return SequenceNumber(value);
}

std::string SequenceNumber::ToString() const {
  return internal::FormatDecimalUint128(value_);
}

}  // namespace brook
