// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/record.h"

#include "absl/strings/str_cat.h"

#include "util/decimal.h"

namespace brook {

absl::StatusOr<SequenceNumber> SequenceNumber::Parse(absl::string_view text) {
  uint64_t high = 0;
  absl::uint128 low = 0;
  const char* fault = nullptr;
  switch (internal::ParseDecimalUint192(text, &high, &low)) {
    case internal::DecimalError::kNone:
      return SequenceNumber(high, low);
    case internal::DecimalError::kEmpty:
      return absl::InvalidArgumentError("sequence number: empty");
    case internal::DecimalError::kNotDigits:
      fault = "is not a decimal number (digits only, no sign or spaces)";
      break;
    case internal::DecimalError::kLeadingZero:
      fault = "has a leading zero";
      break;
    case internal::DecimalError::kTooLarge:
      fault = "is 2^192 or more";
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("sequence number: \"", text.substr(0, 80), "\"",
                   text.size() > 80 ? "..." : "", " ", fault));
}

std::string SequenceNumber::ToString() const {
  return internal::FormatDecimalUint192(high_, value());
}

}  // namespace brook
