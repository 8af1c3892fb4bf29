// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The commands of the `brook` tool that create a stream and read or change
// the stream as a whole: create-stream, describe-stream-summary, list-shards,
// increase-stream-retention-period, decrease-stream-retention-period and
// update-retention-bytes, as `aws kinesis` names and prints them (the last is
// brook's own). Each is a `Command` (command.h) that command_table.cc lists.
// Internal to the tool.
//
// Thread safety: as `RunBrookCli()`.

#ifndef BROOK_TOOLS_BROOK_STREAM_COMMANDS_H_
#define BROOK_TOOLS_BROOK_STREAM_COMMANDS_H_

#include "tools/brook/command.h"

namespace brook {
namespace cli {

extern const Command kCreateStreamCommand;
extern const Command kDescribeStreamSummaryCommand;
extern const Command kListShardsCommand;
extern const Command kIncreaseStreamRetentionPeriodCommand;
extern const Command kDecreaseStreamRetentionPeriodCommand;
extern const Command kUpdateRetentionBytesCommand;
extern const Command kTrainDictionaryCommand;

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_STREAM_COMMANDS_H_
