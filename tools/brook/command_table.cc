// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/command_table.h"

#ifdef BROOK_CLI_WITH_EXPORT
#include "tools/brook/export_command.h"
#endif
#include "tools/brook/group_commands.h"
#include "tools/brook/inspect_commands.h"
#include "tools/brook/record_commands.h"
#include "tools/brook/reshard_commands.h"
#include "tools/brook/stream_commands.h"
#include "tools/brook/tail_command.h"

namespace brook {
namespace cli {
namespace {

// Addresses only, so the order in which the files' `Command`s are initialised
// does not matter.
const Command* const kCommands[] = {
    &kCreateStreamCommand,
    &kDescribeStreamSummaryCommand,
    &kListShardsCommand,
    &kPutRecordCommand,
    &kPutRecordsCommand,
    &kGetRecordsCommand,
    &kTailCommand,
#ifdef BROOK_CLI_WITH_EXPORT
    &kExportCommand,
#endif
    &kVerifyCommand,
    &kDumpCommand,
    &kStatsCommand,
    &kSplitShardCommand,
    &kMergeShardsCommand,
    &kUpdateShardCountCommand,
    &kIncreaseStreamRetentionPeriodCommand,
    &kDecreaseStreamRetentionPeriodCommand,
    &kUpdateRetentionBytesCommand,
    &kTrainDictionaryCommand,
    &kListConsumerGroupsCommand,
    &kDescribeConsumerGroupCommand,
    &kResetConsumerGroupCommand,
};

}  // namespace

absl::Span<const Command* const> CommandTable() { return kCommands; }

const Command* FindCommand(absl::string_view name) {
  for (const Command* command : kCommands) {
    if (command->name == name) return command;
  }
  return nullptr;
}

}  // namespace cli
}  // namespace brook
