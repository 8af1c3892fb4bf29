// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The commands of the `brook` tool that inspect a stream directory without
// changing it, beyond what `aws kinesis` offers: verify (checks every segment)
// dump (prints every record, one a line; also of a Kinesis stream, with
// --stream-name) and stats (the stream's metrics). Each is a `Command`
// (command.h) that command_table.cc lists. Internal to the tool.
//
// Thread safety: as `RunBrookCli()`.

#ifndef BROOK_TOOLS_BROOK_INSPECT_COMMANDS_H_
#define BROOK_TOOLS_BROOK_INSPECT_COMMANDS_H_

#include "tools/brook/command.h"

namespace brook {
namespace cli {

extern const Command kVerifyCommand;
extern const Command kDumpCommand;
extern const Command kStatsCommand;

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_INSPECT_COMMANDS_H_
