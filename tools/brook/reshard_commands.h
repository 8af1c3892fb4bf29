// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The resharding commands of the `brook` tool: split-shard, merge-shards and
// update-shard-count, as `aws kinesis` names and prints them. Each is a
// `Command` (command.h) that command_table.cc lists. Internal to the tool.
//
// Thread safety: as `RunBrookCli()`.

#ifndef BROOK_TOOLS_BROOK_RESHARD_COMMANDS_H_
#define BROOK_TOOLS_BROOK_RESHARD_COMMANDS_H_

#include "tools/brook/command.h"

namespace brook {
namespace cli {

extern const Command kSplitShardCommand;
extern const Command kMergeShardsCommand;
extern const Command kUpdateShardCountCommand;

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_RESHARD_COMMANDS_H_
