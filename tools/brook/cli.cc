// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `RunBrookCli()`: finds the command (command_table.h), parses its flags
// (flags.h) and runs it; prints the tool's and the commands' help.

#include "tools/brook/cli.h"

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "tools/brook/command.h"
#include "tools/brook/command_table.h"
#include "tools/brook/flags.h"

namespace brook {
namespace cli {
namespace {

// The text of `--help` and of usage messages.
constexpr absl::string_view kToolSummary =
    "brook: read and write a brook stream directory from the shell, with\n"
    "output shaped like the AWS CLI's `aws kinesis`.\n";

constexpr absl::string_view kExitCodesHelp =
    "Exit codes: 0 success; 1 runtime error (no stream there, invalid\n"
    "partition key, store failure); 2 bad arguments (nothing was opened);\n"
    "3 verify found damage.\n";

void PrintCommandHelp(const Command& command, std::ostream& os) {
  os << CommandUsageLine(command) << "\n\n" << command.summary << "\n\n";
  for (const FlagSpec& flag : command.flags) {
    os << "  --" << flag.name << " " << flag.value_name << "\n      "
       << flag.help << "\n";
  }
  if (!command.details.empty()) os << "\n" << command.details;
  os << "\n" << kExitCodesHelp;
}

void PrintToolHelp(std::ostream& os) {
  os << kToolSummary << "\nusage: brook COMMAND --stream-dir DIR [FLAGS]\n"
     << "       brook COMMAND --help\n"
     << "       brook --version\n\n"
     << "Flags take a value as --flag VALUE or --flag=VALUE; a value that\n"
     << "starts with -- needs the second form.\n\nCommands:\n";
  for (const Command* command : CommandTable()) {
    os << "  " << command->name
       << std::string(command->name.size() < 23 ? 25 - command->name.size() : 2,
                      ' ')
       << command->summary << "\n";
  }
  os << "\n" << kExitCodesHelp;
}

}  // namespace

int RunBrookCli(int argc, const char* const* argv, const CliIo& io,
                CliBackend& backend) {
  const absl::Span<const char* const> args(argv, argc > 0 ? argc : 0);
  if (args.size() < 2) {
    io.err << "brook: missing command\n";
    PrintToolHelp(io.err);
    return kExitUsage;
  }
  const absl::string_view name = args[1];
  if (IsHelpFlag(name) || name == "help") {
    PrintToolHelp(io.out);
    return kExitOk;
  }
  if (name == "--version") {
    io.out << "brook " << BROOK_VERSION_STRING << "\n";
    return kExitOk;
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    io.err << "brook: unknown command \"" << name << "\"\n";
    PrintToolHelp(io.err);
    return kExitUsage;
  }
  const Session session(io, backend, *command);
  bool help = false;
  absl::StatusOr<Flags> flags =
      ParseFlags(command->flags, args.subspan(2), &help);
  if (!flags.ok()) return session.Usage(flags.status().message());
  if (help) {
    PrintCommandHelp(*command, io.out);
    return kExitOk;
  }
  if (StreamDir(*flags).empty()) {
    return session.Usage("--stream-dir must not be empty");
  }
  return command->run(*flags, session);
}

}  // namespace cli
}  // namespace brook
