// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `RunBrookCli()`: finds the command (command_table.h), parses its flags
// (flags.h) and runs it; prints the tool's and the commands' help.

#include "tools/brook/cli.h"

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"

#include "tools/brook/command.h"
#include "tools/brook/command_table.h"
#include "tools/brook/flags.h"

namespace brook {
namespace cli {
namespace {

// The text of `--help` and of usage messages.
constexpr absl::string_view kToolSummary =
    "brook: read and write a brook stream directory, or a Kinesis stream,\n"
    "from the shell, with output shaped like the AWS CLI's `aws kinesis`.\n";

constexpr absl::string_view kRemoteHelp =
    "With --stream-name NAME instead of --stream-dir DIR a command works on\n"
    "the Kinesis stream NAME (or a local emulator's): --region, "
    "--endpoint-url\n"
    "and --profile choose where, and the region, endpoint and credentials\n"
    "not given are found as the AWS CLI finds them (AWS_REGION,\n"
    "AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL,\n"
    "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, "
    "AWS_PROFILE,\n"
    "~/.aws/credentials, ~/.aws/config). Commands marked * work on a stream\n"
    "directory only.\n";

// The flags that reach a Kinesis stream.
constexpr absl::string_view kRemoteFlagNames[] = {"stream-name", "region",
                                                  "endpoint-url", "profile"};

// The first of `kRemoteFlagNames` among `args` (as --name or --name=value),
// or "" if none is there. A value cannot look like a flag (flags.h), so every
// argument that does is one.
absl::string_view FindRemoteFlag(absl::Span<const char* const> args) {
  for (absl::string_view arg : args) {
    if (!absl::ConsumePrefix(&arg, "--")) continue;
    arg = arg.substr(0, arg.find('='));
    for (absl::string_view name : kRemoteFlagNames) {
      if (arg == name) return name;
    }
  }
  return "";
}

// Checks --stream-dir and the Kinesis flags of a parsed command line: exactly
// one of --stream-dir and --stream-name (both only where `command` allows;
// export takes both, see `Command::local_to_kinesis`), neither empty, and
// --region, --endpoint-url and --profile with --stream-name only. Returns the problem, or "" if there is none.
std::string CheckStreamFlags(const Command& command, const Flags& flags) {
  const std::string* dir = FindValue(flags, "stream-dir");
  const std::string* name = FindValue(flags, "stream-name");
  if (command.local_to_kinesis) {
    if (name != nullptr && name->empty()) {
      return "--stream-name must not be empty";
    }
  } else if (TakesStreamName(command.flags)) {
    if (dir == nullptr && name == nullptr) {
      return "give --stream-dir DIR (a local stream) or --stream-name NAME (a "
             "Kinesis stream)";
    }
    if (dir != nullptr && name != nullptr && !command.dir_takes_stream_name) {
      return "give --stream-dir (a local stream) or --stream-name (a Kinesis "
             "stream), not both";
    }
    if (name != nullptr && name->empty()) {
      return "--stream-name must not be empty";
    }
    if (dir != nullptr) {
      for (absl::string_view flag : kRemoteFlagNames) {
        if (flag != "stream-name" && FindValue(flags, flag) != nullptr) {
          return absl::StrCat("--", flag,
                              " goes with --stream-name (a Kinesis stream), "
                              "not with --stream-dir");
        }
      }
    }
  }
  if (dir != nullptr && dir->empty()) return "--stream-dir must not be empty";
  return "";
}

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
     << "       brook COMMAND --stream-name NAME [--region R] "
        "[--endpoint-url URL]\n"
     << "                     [--profile P] [FLAGS]\n"
     << "       brook COMMAND --help\n"
     << "       brook --version\n\n"
     << "Flags take a value as --flag VALUE or --flag=VALUE; a value that\n"
     << "starts with -- needs the second form.\n\nCommands:\n";
  for (const Command* command : CommandTable()) {
    const bool local_only = !TakesStreamName(command->flags);
    os << (local_only ? "* " : "  ") << command->name
       << std::string(command->name.size() < 23 ? 25 - command->name.size() : 2,
                      ' ')
       << command->summary << "\n";
  }
  os << "\n" << kRemoteHelp << "\n" << kExitCodesHelp;
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
  if (!TakesStreamName(command->flags)) {
    if (absl::string_view flag = FindRemoteFlag(args.subspan(2));
        !flag.empty()) {
      return session.Usage(absl::StrCat(
          "--", flag, ": ", name,
          " works on a local stream directory (--stream-dir) only, not on a "
          "Kinesis stream"));
    }
  }
  bool help = false;
  absl::StatusOr<Flags> flags =
      ParseFlags(command->flags, args.subspan(2), &help);
  if (!flags.ok()) return session.Usage(flags.status().message());
  if (help) {
    PrintCommandHelp(*command, io.out);
    return kExitOk;
  }
  if (const std::string problem = CheckStreamFlags(*command, *flags);
      !problem.empty()) {
    return session.Usage(problem);
  }
  return command->run(*flags, session);
}

}  // namespace cli
}  // namespace brook
