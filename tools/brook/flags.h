// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` tool's one flag parser: the flags a command declares
// (`FlagSpec`), their parsed values (`Flags`), and the parsers of a value
// (whole numbers, one of a fixed set of words). Every error is
// kInvalidArgument with a message that names the flag and what was wrong,
// printed by the caller as a usage error. Internal to the tool.
//
// Thread safety: everything here is a pure function of its arguments.

#ifndef BROOK_TOOLS_BROOK_FLAGS_H_
#define BROOK_TOOLS_BROOK_FLAGS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace brook {
namespace cli {

// A flag a command accepts. Every flag takes a value, given as `--name value`
// or `--name=value`; a value that starts with "--" must use the second form.
struct FlagSpec {
  absl::string_view name;        // without the leading "--"
  absl::string_view value_name;  // shown in usage: DIR, N, ...
  bool required;
  absl::string_view help;
};

// The flag every command takes first (`RunBrookCli()` relies on it).
inline constexpr FlagSpec kStreamDirFlag = {"stream-dir", "DIR", true,
                                            "directory that holds the stream"};
// The flags of a command that takes only --stream-dir.
inline constexpr FlagSpec kStreamDirOnlyFlags[] = {kStreamDirFlag};

// The flags given, by name (without "--"), each with its value.
using Flags = std::map<std::string, std::string, std::less<>>;

// IsHelpFlag()
//
// True for "--help" and "-h".
bool IsHelpFlag(absl::string_view arg);

// ParseFlags()
//
// Splits `args` (the arguments after the command's name) into flags, checked
// against `specs`. Returns kInvalidArgument for an argument that is not a
// flag ("unexpected argument \"x\""), a flag not in `specs` ("unknown flag
// --x"), a flag without a value ("--x needs a value ..."), a flag given twice
// ("--x given more than once"), or a required flag not given ("missing
// required flag --x"), in the order the arguments show them. Stops with
// `*help` set at a --help or -h where a flag may stand (not where a value is
// expected), returning the flags before it unchecked for required ones.
absl::StatusOr<Flags> ParseFlags(absl::Span<const FlagSpec> specs,
                                 absl::Span<const char* const> args,
                                 bool* help);

// FindValue()
//
// The value of flag `name`, or null if it was not given. The pointer is valid
// as long as `flags`.
const std::string* FindValue(const Flags& flags, absl::string_view name);

// StreamDir()
//
// The value of --stream-dir. REQUIRES: `flags` were parsed against specs that
// hold `kStreamDirFlag`, as every command's do.
const std::string& StreamDir(const Flags& flags);

// ParseIntFlag()
//
// Parses a flag's decimal value in [min, max]: an optional '-' and digits,
// nothing else. Returns kInvalidArgument naming the flag, the range and the
// text ("--limit: expected a whole number from 1 to 10000, got \"0\"").
absl::StatusOr<int64_t> ParseIntFlag(absl::string_view name,
                                     absl::string_view text, int64_t min,
                                     int64_t max);

// ParseChoiceFlag()
//
// Returns the index in `choices` of `text`, the value of flag `name`, which
// must match one exactly (case included). Returns kInvalidArgument listing
// the choices ("--on-full: expected reject-writes or drop-oldest, got \"x\"").
// REQUIRES: `choices` is not empty.
absl::StatusOr<size_t> ParseChoiceFlag(
    absl::string_view name, absl::string_view text,
    absl::Span<const absl::string_view> choices);

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_FLAGS_H_
