// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` command-line tool as a function, so that tests can run it
// in-process: `RunBrookCli()` parses the arguments, reaches the stream
// directory through a `CliBackend` (backend.h), prints JSON shaped like the AWS
// CLI's `aws kinesis` output, and returns the exit code. main.cc calls it with
// the process's streams and the durable backend. `brook --help` lists the
// subcommands; each command is documented where it is defined (the
// `Command`s of the *_commands.cc files, listed in command_table.cc).
//
// Exit codes: 0 success; 1 runtime error (no stream there, invalid partition
// key, store failure), one line on stderr; 2 bad arguments, a usage message on
// stderr, the backend never called; 3 `verify` found damage.
//
// Thread safety: `RunBrookCli()` may run on several threads at once with
// different `CliIo`s and backends.
//
// Example:
//   brook::cli::MemoryBackend backend;
//   std::istringstream in;
//   std::ostringstream out, err;
//   const char* argv[] = {"brook", "list-shards", "--stream-dir", "/s"};
//   int code = brook::cli::RunBrookCli(4, argv, {in, out, err}, backend);

#ifndef BROOK_TOOLS_BROOK_CLI_H_
#define BROOK_TOOLS_BROOK_CLI_H_

#include <istream>
#include <ostream>

#include "tools/brook/backend.h"

namespace brook {
namespace cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitDamage = 3;

// Where the tool reads and writes. Progress lines go to `err` only when
// `err_is_terminal` (and, for `dump`, only when `out` is not a terminal, so
// they do not mix with the records on one screen).
struct CliIo {
  std::istream& in;  // `put-records --records-file -`
  std::ostream& out;
  std::ostream& err;
  bool out_is_terminal = false;
  bool err_is_terminal = false;
};

// RunBrookCli()
//
// Runs `brook` with `argv[0..argc)` (argv[0] is the program name) and returns
// the exit code. Argument errors are found before `backend` is called.
int RunBrookCli(int argc, const char* const* argv, const CliIo& io,
                CliBackend& backend);

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_CLI_H_
