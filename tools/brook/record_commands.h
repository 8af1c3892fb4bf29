// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The commands of the `brook` tool that write and read records: put-record,
// put-records and get-records, as `aws kinesis` names and prints them. Each is
// a `Command` (command.h) that command_table.cc lists. Internal to the tool.
//
// Thread safety: as `RunBrookCli()`.

#ifndef BROOK_TOOLS_BROOK_RECORD_COMMANDS_H_
#define BROOK_TOOLS_BROOK_RECORD_COMMANDS_H_

#include "absl/status/statusor.h"

#include "brook/record.h"

#include "tools/brook/command.h"
#include "tools/brook/flags.h"
#include "tools/brook/json.h"

namespace brook {
namespace cli {

extern const Command kPutRecordCommand;
extern const Command kPutRecordsCommand;
extern const Command kGetRecordsCommand;

// RecordJson()
//
// A record as get-records prints it: {"SequenceNumber", "SubSequenceNumber"
// (only when not 0), "ApproximateArrivalTimestamp" (seconds with fraction),
// "Data" (base64), "PartitionKey"}. `brook tail` prints the same.
// `deaggregated` (--deaggregate): "SubSequenceNumber" always, plus
// "ExplicitHashKey" (decimal) for a user record that has one and
// "DamagedAggregate": true for an aggregate that could not be expanded.
Json RecordJson(const Record& record, bool deaggregated = false);
// The same with `sequence_number` printed instead of the record's own (a
// Kinesis stream's decimal string, which `SequenceNumber` cannot hold).
Json RecordJson(const Record& record, bool deaggregated,
                absl::string_view sequence_number);

// ParseDeaggregateFlag()
//
// The value of --deaggregate ("true" or "false"; false when not given), or
// kInvalidArgument naming the flag.
absl::StatusOr<bool> ParseDeaggregateFlag(const Flags& flags);

// The --deaggregate flag of get-records and tail.
inline constexpr FlagSpec kDeaggregateFlag = {
    "deaggregate", "B", false,
    "true: expand KPL aggregated records into their user records, each with "
    "its SubSequenceNumber (default false)"};

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_RECORD_COMMANDS_H_
