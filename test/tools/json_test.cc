// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` tool's JSON writer and reader.

#include "tools/brook/json.h"

#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "testing/status_testing.h"

namespace brook {
namespace cli {
namespace {

TEST_CASE("brook CLI json: WriteJson prints as the AWS CLI does", "[cli]") {
  Json json;
  json["Z"] = 1;  // insertion order, not sorted
  json["A"] = Json::array({"\xc3\xa9", std::string("a\xff", 2)});
  json["E"] = Json::object();
  std::ostringstream out;
  WriteJson(json, out);
  // 4-space indent, UTF-8 kept as is, an invalid byte replaced by U+FFFD.
  CHECK(out.str() ==
        "{\n"
        "    \"Z\": 1,\n"
        "    \"A\": [\n"
        "        \"\xc3\xa9\",\n"
        "        \"a\xef\xbf\xbd\"\n"
        "    ],\n"
        "    \"E\": {}\n"
        "}\n");
}

TEST_CASE("brook CLI json: ParseJson reads one document, in order", "[cli]") {
  absl::StatusOr<Json> json =
      ParseJson(R"( {"b": [1, {"c": null}], "a": "x", "n": {"b": 2}} )");
  BROOK_REQUIRE_OK(json);
  CHECK(json->begin().key() == "b");
  CHECK((*json)["a"] == "x");
  // The same key in different objects is not a repeat.
  CHECK((*json)["n"]["b"] == 2);
  // So are equal keys in sibling objects of an array.
  BROOK_CHECK_OK(ParseJson(R"([{"k": 1}, {"k": 2}])"));
}

TEST_CASE("brook CLI json: ParseJson rejects bad text and repeated keys",
          "[cli]") {
  for (const char* text : {"", "{", "{} {}", "{\"a\": 1,}", "[1 2]", "nul"}) {
    CAPTURE(text);
    absl::StatusOr<Json> json = ParseJson(text);
    BROOK_CHECK_CODE(json, kInvalidArgument);
    CHECK(json.status().message() == "not valid JSON");
  }
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {R"({"a": 1, "a": 2})", "field \"a\" given more than once"},
      {R"({"x": {"a": 1, "b": 2, "a": 3}})",
       "field \"a\" given more than once"},
      {R"([{"r": [{"d": 1, "d": 1}]}])", "field \"d\" given more than once"},
      // The first repeat is named.
      {R"({"a": 1, "b": 1, "b": 1, "a": 1})",
       "field \"b\" given more than once"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    absl::StatusOr<Json> json = ParseJson(c.text);
    BROOK_CHECK_CODE(json, kInvalidArgument);
    CHECK(json.status().message() == c.message);
  }
}

TEST_CASE("brook CLI json: HashKeyRangeJson prints decimal keys", "[cli]") {
  HashKeyRange range;
  range.starting_hash_key = 0;
  range.ending_hash_key = absl::Uint128Max();
  CHECK(HashKeyRangeJson(range).dump() ==
        R"({"StartingHashKey":"0","EndingHashKey":)"
        R"("340282366920938463463374607431768211455"})");
}

}  // namespace
}  // namespace cli
}  // namespace brook
