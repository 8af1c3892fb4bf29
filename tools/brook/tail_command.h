// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `brook tail`: follows a stream and prints its records as JSON lines as they
// arrive, every shard (or one and its descendants) in lineage order
// (lineage_reader.h), until SIGINT or SIGTERM. A `Command` (command.h) that
// command_table.cc lists. Internal to the tool.
//
// Thread safety: as `RunBrookCli()`, except that the stop request is
// process-wide: `RequestTailStop()` (or a signal) ends every tail running in
// the process.

#ifndef BROOK_TOOLS_BROOK_TAIL_COMMAND_H_
#define BROOK_TOOLS_BROOK_TAIL_COMMAND_H_

#include "tools/brook/command.h"

namespace brook {
namespace cli {

extern const Command kTailCommand;

// RequestTailStop()
//
// Makes a running `brook tail` stop, as SIGINT does: it finishes the line it
// prints, flushes the output and returns 0 within about 100 ms. A tail that
// starts later is not affected (each run clears the request when it starts).
// Thread-safe and async-signal-safe (it stores to a lock-free atomic): the
// tail's SIGINT and SIGTERM handlers call it, and tests call it from another
// thread.
void RequestTailStop();

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_TAIL_COMMAND_H_
