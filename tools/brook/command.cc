// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/command.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace brook {
namespace cli {

std::string CommandUsageLine(const Command& command) {
  std::string line = absl::StrCat("usage: brook ", command.name);
  if (!command.synopsis.empty()) {
    return absl::StrCat(line, " ", command.synopsis);
  }
  for (const FlagSpec& flag : command.flags) {
    const std::string text =
        absl::StrCat("--", flag.name, " ", flag.value_name);
    absl::StrAppend(&line, flag.required ? " " : " [", text,
                    flag.required ? "" : "]");
  }
  return line;
}

int Session::Usage(absl::string_view problem) const {
  io_.err << "brook " << command_.name << ": " << problem << "\n"
          << CommandUsageLine(command_) << "\n"
          << "Run 'brook " << command_.name << " --help' for more.\n";
  return kExitUsage;
}

const std::string* FindValue(const Flags& flags, absl::string_view name) {
  auto it = flags.find(name);
  return it == flags.end() ? nullptr : &it->second;
}

const std::string& StreamDir(const Flags& flags) {
  return *FindValue(flags, "stream-dir");  // required by every command
}

absl::StatusOr<int64_t> ParseIntFlag(absl::string_view name,
                                     absl::string_view text, int64_t min,
                                     int64_t max) {
  absl::string_view digits = text;
  absl::ConsumePrefix(&digits, "-");
  int64_t value = 0;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(),
                   [](char c) { return absl::ascii_isdigit(c); }) ||
      !absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": expected a whole number from ", min, " to ",
                     max, ", got \"", text, "\""));
  }
  return value;
}

}  // namespace cli
}  // namespace brook
