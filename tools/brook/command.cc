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
  const bool remote = TakesStreamName(command.flags);
  if (remote)
    absl::StrAppend(&line, " (--stream-dir DIR | --stream-name NAME)");
  for (const FlagSpec& flag : command.flags) {
    if (remote && (flag.name == "stream-dir" || flag.name == "stream-name" ||
                   flag.name == "region" || flag.name == "endpoint-url" ||
                   flag.name == "profile")) {
      continue;  // the --stream-name group, said once above
    }
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
