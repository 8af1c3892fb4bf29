// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "remote/exporter_options.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

constexpr int64_t kMaxRate = int64_t{1} << 40;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("exporter: ", what));
}

absl::Status CheckDuration(absl::string_view name, absl::Duration value,
                           absl::Duration min, absl::Duration max) {
  if (value >= min && value <= max) return absl::OkStatus();
  return Invalid(absl::StrCat(name, " ", absl::FormatDuration(value),
                              " is not in ", absl::FormatDuration(min), "..",
                              absl::FormatDuration(max)));
}

}  // namespace

absl::Status CheckExporterOptions(const ExporterOptions& o) {
  const std::string& name = o.remote_stream_name;
  if (name.empty() || name.size() > 128 ||
      !std::all_of(name.begin(), name.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
      })) {
    return Invalid(absl::StrCat("remote_stream_name \"", name,
                                "\" is not 1 to 128 of [a-zA-Z0-9_.-]"));
  }
  if (o.checkpoint_path.empty()) return Invalid("checkpoint_path is empty");
  if (o.batch_records < 1 || o.batch_records > kMaxExportBatchRecords) {
    return Invalid(
        absl::StrCat("batch_records ", o.batch_records, " is not in 1..500"));
  }
  if (o.batch_bytes < 1 || o.batch_bytes > kMaxExportBatchBytes) {
    return Invalid(absl::StrCat("batch_bytes ", o.batch_bytes,
                                " is not in 1..5242880 (5 MiB)"));
  }
  if (o.max_records_per_second < 0 || o.max_records_per_second > kMaxRate) {
    return Invalid(absl::StrCat("max_records_per_second ",
                                o.max_records_per_second,
                                " is not in 0..2^40"));
  }
  if (o.max_bytes_per_second < 0 || o.max_bytes_per_second > kMaxRate) {
    return Invalid(absl::StrCat("max_bytes_per_second ", o.max_bytes_per_second,
                                " is not in 0..2^40"));
  }
  BROOK_RETURN_IF_ERROR(CheckDuration("checkpoint_interval",
                                      o.checkpoint_interval,
                                      absl::ZeroDuration(), absl::Hours(1)));
  BROOK_RETURN_IF_ERROR(CheckDuration("initial_backoff", o.initial_backoff,
                                      absl::Milliseconds(1),
                                      absl::Minutes(10)));
  BROOK_RETURN_IF_ERROR(CheckDuration("max_backoff", o.max_backoff,
                                      o.initial_backoff, absl::Minutes(10)));
  BROOK_RETURN_IF_ERROR(CheckDuration("poll_interval", o.poll_interval,
                                      absl::Milliseconds(1), absl::Minutes(1)));
  return absl::OkStatus();
}

bool IsTransientExportError(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:  // a malformed or cut-off response
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

}  // namespace internal
}  // namespace brook
