// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `ThroughputOptions` (include/brook/options.h): their validation, their
// form in the STREAM metadata (`proto::ThroughputMeta`) and the comparison a
// reopen makes.
//
// Thread safety: pure functions.

#ifndef BROOK_LIB_STREAM_THROUGHPUT_OPTIONS_H_
#define BROOK_LIB_STREAM_THROUGHPUT_OPTIONS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "brook/options.h"

#include "proto/stream_meta.pb.h"

namespace brook {
namespace internal {

// Returns kInvalidArgument naming the field ("throughput.burst") and the
// value when a field of `t` is out of its documented range; `context` starts
// the message ("stream s: ").
absl::Status ValidateThroughputOptions(absl::string_view context,
                                       const ThroughputOptions& t);

void ThroughputToMeta(const ThroughputOptions& t, proto::ThroughputMeta* m);
// The throughput options `m` holds: the defaults if it has none (a STREAM
// written before they existed).
ThroughputOptions ThroughputFromMeta(const proto::OptionsMeta& m);

// Calls `differs(field, stored value, passed value)` for the first field in
// which `passed` differs from `stored` and returns what it returns; OK if
// none differs.
absl::Status CompareThroughput(
    const ThroughputOptions& stored, const ThroughputOptions& passed,
    const std::function<absl::Status(absl::string_view, const std::string&,
                                     const std::string&)>& differs);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_THROUGHPUT_OPTIONS_H_
