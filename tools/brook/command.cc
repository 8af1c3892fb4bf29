// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/command.h"

#include "absl/strings/str_cat.h"

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

}  // namespace cli
}  // namespace brook
