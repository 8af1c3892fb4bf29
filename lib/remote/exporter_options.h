// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The exporter's option checks and its rule for which failures it retries.
//
// Thread safety: pure functions.

#ifndef BROOK_LIB_REMOTE_EXPORTER_OPTIONS_H_
#define BROOK_LIB_REMOTE_EXPORTER_OPTIONS_H_

#include "absl/status/status.h"

#include "brook/exporter.h"

namespace brook {
namespace internal {

// OK, or kInvalidArgument naming the first option out of its documented
// range (exporter.h) and its value.
absl::Status CheckExporterOptions(const ExporterOptions& options);

// Failures of a PutRecords call worth sending again, because the service or
// the network may recover: kUnavailable, kResourceExhausted,
// kDeadlineExceeded, kInternal (a malformed or cut-off response), kAborted.
bool IsTransientExportError(const absl::Status& status);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_REMOTE_EXPORTER_OPTIONS_H_
