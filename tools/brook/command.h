// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What every `brook` command is made of: its flags (`FlagSpec`), the parsed
// values (`Flags`), the `Session` it runs in (input, output, backend, error
// reporting) and its entry in the command table (`Command`). cli.cc holds the
// table and the parser; commands may live in their own files
// (reshard_commands.cc) and use only this header. Internal to the tool.
//
// Thread safety: a `Session` belongs to one run of `RunBrookCli()`.

#ifndef BROOK_TOOLS_BROOK_COMMAND_H_
#define BROOK_TOOLS_BROOK_COMMAND_H_

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "tools/brook/backend.h"
#include "tools/brook/cli.h"
#include <nlohmann/json.hpp>

namespace brook {
namespace cli {

// Insertion-ordered, so fields come out in the AWS CLI's order.
using Json = nlohmann::ordered_json;

// A flag a command accepts. Every flag takes a value, given as `--name value`
// or `--name=value`; a value that starts with "--" must use the second form.
struct FlagSpec {
  absl::string_view name;        // without the leading "--"
  absl::string_view value_name;  // shown in usage: DIR, N, ...
  bool required;
  absl::string_view help;
};

inline constexpr FlagSpec kStreamDirFlag = {"stream-dir", "DIR", true,
                                            "directory that holds the stream"};

using Flags = std::map<std::string, std::string, std::less<>>;

class Session;
using RunFn = int (*)(const Flags& flags, const Session& session);

struct Command {
  absl::string_view name;
  absl::string_view summary;  // one line in `brook --help`
  absl::Span<const FlagSpec> flags;
  absl::string_view details;  // more text in `brook COMMAND --help`
  RunFn run;
  // The flags part of the usage line when `flags` alone cannot say it (flags
  // that exclude each other); empty to derive it from `flags`.
  absl::string_view synopsis = {};
};

// What one run of the tool works with, and how it reports.
class Session {
 public:
  Session(const CliIo& io, CliBackend& backend, const Command& command)
      : io_(io), backend_(backend), command_(command) {}

  const CliIo& io() const { return io_; }
  CliBackend& backend() const { return backend_; }

  // Reports an argument error with the command's usage; returns kExitUsage.
  int Usage(absl::string_view problem) const;
  // Reports a runtime error in one line; returns kExitRuntimeError.
  int Fail(const absl::Status& status) const {
    io_.err << "brook " << command_.name << ": " << status.message() << "\n";
    return kExitRuntimeError;
  }
  // Prints `json` as the AWS CLI does: 4-space indent, UTF-8 kept.
  void Print(const Json& json) const {
    io_.out << json.dump(4, ' ', /*ensure_ascii=*/false,
                         Json::error_handler_t::replace)
            << "\n";
  }

 private:
  const CliIo& io_;
  CliBackend& backend_;
  const Command& command_;
};

// "usage: brook NAME FLAGS..." for `command`.
std::string CommandUsageLine(const Command& command);

// The value of flag `name`, or null if it was not given.
const std::string* FindValue(const Flags& flags, absl::string_view name);

// The value of --stream-dir, which every command requires.
const std::string& StreamDir(const Flags& flags);

// Parses a flag's decimal value in [min, max]: an optional '-' and digits,
// nothing else. The message names the flag, the range and the text.
absl::StatusOr<int64_t> ParseIntFlag(absl::string_view name,
                                     absl::string_view text, int64_t min,
                                     int64_t max);

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_COMMAND_H_
