// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `brook export`: forwards a stream to a remote Kinesis stream with an
// `Exporter` (include/brook/exporter.h), printing progress as JSON lines,
// until SIGINT or SIGTERM (or, with --until-caught-up true, until nothing is
// left to send). A `Command` (command.h) that command_table.cc lists when
// brook is built with the Kinesis client. Internal to the tool.
//
// Thread safety: as `RunBrookCli()`, except that the stop request is
// process-wide: `RequestExportStop()` (or a signal) ends every export running
// in the process.

#ifndef BROOK_TOOLS_BROOK_EXPORT_COMMAND_H_
#define BROOK_TOOLS_BROOK_EXPORT_COMMAND_H_

#include "tools/brook/command.h"

namespace brook {
namespace cli {

extern const Command kExportCommand;

// RequestExportStop()
//
// Makes a running `brook export` stop as SIGINT does: it saves its checkpoint,
// prints a last progress line and returns 0. Each run clears the request when
// it starts. Thread-safe and async-signal-safe.
void RequestExportStop();

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_EXPORT_COMMAND_H_
