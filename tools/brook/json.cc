// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/json.h"

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace brook {
namespace cli {

void WriteJson(const Json& json, std::ostream& out) {
  out << json.dump(4, ' ', /*ensure_ascii=*/false,
                   Json::error_handler_t::replace)
      << "\n";
}

absl::StatusOr<Json> ParseJson(absl::string_view text) {
  // nlohmann keeps the last of repeated keys; find them while parsing. One
  // set of keys per object open at `depth`.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const Json::parser_callback_t find_duplicates = [&](int depth,
                                                      Json::parse_event_t event,
                                                      Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.resize(static_cast<size_t>(depth) + 1);
      open_objects[static_cast<size_t>(depth)].clear();
    } else if (event == Json::parse_event_t::key && depth > 0 &&
               open_objects.size() >= static_cast<size_t>(depth)) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects[static_cast<size_t>(depth) - 1].insert(key).second &&
          duplicate.empty()) {
        duplicate = key;
      }
    }
    return true;
  };
  Json doc = Json::parse(text.begin(), text.end(), find_duplicates,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  if (!duplicate.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", duplicate, "\" given more than once"));
  }
  return doc;
}

Json HashKeyRangeJson(const HashKeyRange& range) {
  Json json;
  json["StartingHashKey"] = HashKeyToString(range.starting_hash_key);
  json["EndingHashKey"] = HashKeyToString(range.ending_hash_key);
  return json;
}

}  // namespace cli
}  // namespace brook
