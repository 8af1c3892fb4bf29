// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` tool's one JSON writer and reader, and the JSON shapes of the
// AWS CLI that more than one command prints. Every command prints through
// `WriteJson()` (via `Session::Print()`) and reads JSON input through
// `ParseJson()`. Internal to the tool.
//
// Thread safety: everything here is a pure function of its arguments.

#ifndef BROOK_TOOLS_BROOK_JSON_H_
#define BROOK_TOOLS_BROOK_JSON_H_

#include <ostream>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/partitioner.h"

#include <nlohmann/json.hpp>

namespace brook {
namespace cli {

// Insertion-ordered, so fields come out in the AWS CLI's order.
using Json = nlohmann::ordered_json;

// WriteJson()
//
// Prints `json` and a newline to `out` as the AWS CLI does: 4-space indent,
// UTF-8 kept as is; bytes that are not valid UTF-8 become U+FFFD.
void WriteJson(const Json& json, std::ostream& out);

// ParseJson()
//
// Parses one JSON document, strictly: returns kInvalidArgument "not valid
// JSON" for text that is not one, and "field \"K\" given more than once" for
// an object that repeats a key K (rather than keeping one of the values).
absl::StatusOr<Json> ParseJson(absl::string_view text);

// HashKeyRangeJson()
//
// {"StartingHashKey", "EndingHashKey"} in decimal, as list-shards and
// get-records' ChildShards print a `HashKeyRange`.
Json HashKeyRangeJson(const HashKeyRange& range);

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_JSON_H_
