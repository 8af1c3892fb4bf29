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

// A command that works on a local stream or on a Kinesis stream takes these
// five first, in this order, instead of `kStreamDirFlag`: --stream-dir is
// then optional, and `RunBrookCli()` requires exactly one of --stream-dir
// and --stream-name. --region, --endpoint-url and --profile go with
// --stream-name only; left out, they are found as the AWS CLI finds them
// (`ResolveAwsConfig()`, include/brook/aws_config.h).
inline constexpr FlagSpec kStreamDirOrNameFlag = {
    "stream-dir", "DIR", false,
    "directory that holds the stream (or --stream-name for a Kinesis stream)"};
inline constexpr FlagSpec kStreamNameFlag = {
    "stream-name", "NAME", false,
    "Kinesis stream to work on instead of a directory"};
inline constexpr FlagSpec kRegionFlag = {
    "region", "R", false,
    "with --stream-name: AWS region, e.g. eu-west-1 (default: AWS_REGION, "
    "AWS_DEFAULT_REGION, else the profile's region)"};
inline constexpr FlagSpec kEndpointUrlFlag = {
    "endpoint-url", "URL", false,
    "with --stream-name: http(s)://host[:port] of the service, e.g. a local "
    "emulator (default: AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL, else "
    "https://kinesis.<region>.amazonaws.com)"};
inline constexpr FlagSpec kProfileFlag = {
    "profile", "P", false,
    "with --stream-name: profile of ~/.aws/credentials and ~/.aws/config "
    "(default: AWS_PROFILE, else default); credentials otherwise come from "
    "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN"};
// The flags of a command that takes only a stream, local or Kinesis.
inline constexpr FlagSpec kStreamOnlyFlags[] = {kStreamDirOrNameFlag,
                                                kStreamNameFlag, kRegionFlag,
                                                kEndpointUrlFlag, kProfileFlag};

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
// The value of --stream-dir, or "" when it was not given (a command run on a
// Kinesis stream, `IsRemote()`).
const std::string& StreamDir(const Flags& flags);

// IsRemote()
//
// True when the command is to work on a Kinesis stream: --stream-name was
// given without --stream-dir (create-stream takes both for a local stream
// with a name).
bool IsRemote(const Flags& flags);

// TakesStreamName()
//
// True if `specs` hold `kStreamNameFlag`: the command can work on a Kinesis
// stream.
bool TakesStreamName(absl::Span<const FlagSpec> specs);

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
