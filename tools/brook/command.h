// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What every `brook` command is made of: its entry in the command table
// (`Command`: name, flags, help, and the function that runs it) and the
// `Session` it runs in (input, output, backend, error reporting). Flags are
// declared and parsed with flags.h, JSON is written and read with json.h.
// Internal to the tool.
//
// How to add a command (each family of commands has its own file pair,
// e.g. stream_commands.{h,cc}; a new family gets a new pair):
//   1. In the .cc, in an anonymous namespace: the flags, a `FlagSpec` array
//      whose first entry is `kStreamDirFlag` (`RunBrookCli()` requires it of
//      every command), or `kStreamDirOrNameFlag` followed by the other four
//      Kinesis flags (flags.h) for a command that also works on a Kinesis
//      stream (its `RunFn` then branches on `IsRemote()` to a function of
//      remote_commands.h), and a `RunFn` that takes the parsed flags and returns
//      the exit code (cli.h), printing through `session`: `Print()` for the
//      JSON result, `Usage()` for a bad flag value (before the backend is
//      called), `Fail()` for a runtime error.
//   2. In the .cc, outside that namespace: `const Command kFooCommand = {...}`
//      with the help texts (`brook foo --help` prints them); in the header:
//      `extern const Command kFooCommand;`.
//   3. In command_table.cc: `&kFooCommand` at the place in the table where
//      `brook --help` should list it.
// `RunBrookCli()` has by then checked the flags against the `FlagSpec`s
// (unknown, repeated, missing required flags, an empty --stream-dir or
// --stream-name, exactly one of the two, the Kinesis flags only with
// --stream-name), so a `RunFn` checks only the values and the combinations of
// its own flags.
//
// Thread safety: a `Session` belongs to one run of `RunBrookCli()`.

#ifndef BROOK_TOOLS_BROOK_COMMAND_H_
#define BROOK_TOOLS_BROOK_COMMAND_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "tools/brook/backend.h"
#include "tools/brook/cli.h"
#include "tools/brook/flags.h"
#include "tools/brook/json.h"

namespace brook {
namespace cli {

class Session;

// Runs a command with its parsed flags; returns the exit code (cli.h), having
// reported any error through `session`.
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
  // True for create-stream alone: --stream-name with --stream-dir names the
  // local stream, so the two may go together there.
  bool dir_takes_stream_name = false;
  // True for export alone: it reads the local stream of --stream-dir and
  // writes the Kinesis stream of --stream-name (with --region,
  // --endpoint-url, --profile), so it takes both, as required flags, and
  // the one-or-the-other rule of the other commands does not apply.
  bool local_to_kinesis = false;
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
  // Prints `json` to the output as the AWS CLI does (`WriteJson()`).
  void Print(const Json& json) const { WriteJson(json, io_.out); }

 private:
  const CliIo& io_;
  CliBackend& backend_;
  const Command& command_;
};

// "usage: brook NAME FLAGS..." for `command`.
std::string CommandUsageLine(const Command& command);

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_COMMAND_H_
