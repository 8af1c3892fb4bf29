// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The table of the `brook` tool's commands, in the order `brook --help`
// lists them: the one place a command is registered (command.h says how).
// Internal to the tool.
//
// Thread safety: the table is constant.

#ifndef BROOK_TOOLS_BROOK_COMMAND_TABLE_H_
#define BROOK_TOOLS_BROOK_COMMAND_TABLE_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "tools/brook/command.h"

namespace brook {
namespace cli {

// CommandTable()
//
// Every command, in the order of `brook --help`. The pointers are never null
// and live as long as the program.
absl::Span<const Command* const> CommandTable();

// FindCommand()
//
// The command called `name`, or null if there is none.
const Command* FindCommand(absl::string_view name);

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_COMMAND_TABLE_H_
