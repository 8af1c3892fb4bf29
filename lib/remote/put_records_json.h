// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// PutRecords' request and response bodies written and read as streams, with
// no JSON tree: a batch is up to 500 records and 5 MiB, and a tree costs
// several allocations per record (issue 14's benchmark measured about half
// of the client's CPU time in building, printing and parsing trees).
//
// Thread safety: functions of their arguments only.

#ifndef BROOK_LIB_REMOTE_PUT_RECORDS_JSON_H_
#define BROOK_LIB_REMOTE_PUT_RECORDS_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "brook/kinesis_client.h"

namespace brook {
namespace internal {

// Appends `text` to `out` as a JSON string: quoted, with `"`, `\` and the
// control characters escaped. REQUIRES: `text` is valid UTF-8.
void AppendJsonString(absl::string_view text, std::string* out);

// Appends `data` to `out` in base64 (RFC 4648, padded, no line breaks).
void AppendBase64(absl::string_view data, std::string* out);

// The PutRecords request for `entries` to `stream_name`.
// REQUIRES: partition keys and explicit hash keys are valid UTF-8.
std::string PutRecordsBody(absl::string_view stream_name,
                           absl::Span<const KinesisPutRecordsEntry> entries);

// Reads a PutRecords response for `expected` entries into `*out` (entries in
// order, `failed_record_count` counted from them). kInternal ("kinesis
// PutRecords: malformed response: ...") when `body` is not a JSON object, has
// no `Records` array of `expected` entries, or an entry has neither a
// sequence number nor an error code.
absl::Status ReadPutRecordsResponse(absl::string_view body, size_t expected,
                                    KinesisPutRecordsResult* out);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_REMOTE_PUT_RECORDS_JSON_H_
