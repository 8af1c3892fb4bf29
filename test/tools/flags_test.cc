// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` tool's flag parser and value parsers, and the command table's
// contract with `RunBrookCli()`, checked directly rather than through a
// command.

#include "tools/brook/flags.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "testing/status_testing.h"
#include "tools/brook/command_table.h"

namespace brook {
namespace cli {
namespace {

constexpr FlagSpec kSpecs[] = {
    kStreamDirFlag,
    {"limit", "N", false, "a number"},
    {"name", "S", true, "a name"},
};

// Parses `args` against kSpecs; `help` says whether --help stopped it.
absl::StatusOr<Flags> Parse(std::vector<const char*> args,
                            bool* help = nullptr) {
  bool ignored = false;
  return ParseFlags(kSpecs, args, help != nullptr ? help : &ignored);
}

std::string MessageOf(const absl::Status& status) {
  return std::string(status.message());
}

TEST_CASE("brook CLI flags: both value forms, any order", "[cli]") {
  absl::StatusOr<Flags> flags =
      Parse({"--name=--x", "--stream-dir", "/s", "--limit", "-3"});
  BROOK_REQUIRE_OK(flags);
  CHECK(StreamDir(*flags) == "/s");
  REQUIRE(FindValue(*flags, "name") != nullptr);
  CHECK(*FindValue(*flags, "name") == "--x");
  CHECK(*FindValue(*flags, "limit") == "-3");
  // An empty value is a value; its meaning is the command's to judge.
  flags = Parse({"--stream-dir=", "--name", ""});
  BROOK_REQUIRE_OK(flags);
  CHECK(StreamDir(*flags).empty());
  CHECK(FindValue(*flags, "limit") == nullptr);
}

TEST_CASE("brook CLI flags: each bad argument list names its problem",
          "[cli]") {
  struct Case {
    std::vector<const char*> args;
    const char* message;
  };
  const Case cases[] = {
      {{"/s"}, "unexpected argument \"/s\""},
      {{"-x"}, "unexpected argument \"-x\""},
      {{"--"}, "unexpected argument \"--\""},
      {{"--stream-dir", "/s", "--bogus", "1"}, "unknown flag --bogus"},
      {{"--bogus=1"}, "unknown flag --bogus"},
      {{"--stream-dir"},
       "--stream-dir needs a value (write --stream-dir=VALUE for a value that "
       "starts with --)"},
      {{"--stream-dir", "--name", "n"},
       "--stream-dir needs a value (write --stream-dir=VALUE for a value that "
       "starts with --)"},
      {{"--stream-dir", "/a", "--stream-dir=/b", "--name", "n"},
       "--stream-dir given more than once"},
      {{"--stream-dir", "/s"}, "missing required flag --name"},
      {{}, "missing required flag --stream-dir"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.message);
    absl::StatusOr<Flags> flags = Parse(c.args);
    BROOK_CHECK_CODE(flags, kInvalidArgument);
    CHECK(MessageOf(flags.status()) == c.message);
  }
}

TEST_CASE("brook CLI flags: --help stops parsing where a flag may stand",
          "[cli]") {
  bool help = false;
  // Before the required flags and before an unknown one: still help.
  BROOK_CHECK_OK(Parse({"--limit", "1", "-h", "--bogus"}, &help));
  CHECK(help);
  // Where a value is expected, "--help" is taken for a missing value.
  absl::StatusOr<Flags> flags = Parse({"--limit", "--help"}, &help);
  BROOK_CHECK_CODE(flags, kInvalidArgument);
  CHECK_FALSE(help);
  // As a value given with '=', it is just a value.
  BROOK_CHECK_OK(Parse({"--stream-dir=/s", "--name=--help"}, &help));
  CHECK_FALSE(help);
}

TEST_CASE("brook CLI flags: ParseIntFlag takes plain decimals in range",
          "[cli]") {
  CHECK(*ParseIntFlag("n", "1", 1, 10) == 1);
  CHECK(*ParseIntFlag("n", "10", 1, 10) == 10);
  CHECK(*ParseIntFlag("n", "-5", -5, 0) == -5);
  CHECK(*ParseIntFlag("n", "007", 0, 10) == 7);
  CHECK(*ParseIntFlag("n", "9223372036854775807", 0, INT64_MAX) == INT64_MAX);
  for (const char* text : {"0", "11", "", "-", "+1", " 1", "1 ", "1x", "0x1",
                           "1e1", "--1", "9223372036854775808"}) {
    CAPTURE(text);
    absl::StatusOr<int64_t> n = ParseIntFlag("n", text, 1, 10);
    BROOK_CHECK_CODE(n, kInvalidArgument);
    CHECK(MessageOf(n.status()) ==
          "--n: expected a whole number from 1 to 10, got \"" +
              std::string(text) + "\"");
  }
}

TEST_CASE("brook CLI flags: ParseChoiceFlag matches exactly and lists all",
          "[cli]") {
  constexpr absl::string_view kOne[] = {"A"};
  constexpr absl::string_view kTwo[] = {"a", "b"};
  constexpr absl::string_view kThree[] = {"x", "y", "z"};
  CHECK(*ParseChoiceFlag("t", "A", kOne) == 0);
  CHECK(*ParseChoiceFlag("t", "b", kTwo) == 1);
  CHECK(*ParseChoiceFlag("t", "z", kThree) == 2);
  CHECK(MessageOf(ParseChoiceFlag("t", "a", kOne).status()) ==
        "--t: expected A, got \"a\"");
  CHECK(MessageOf(ParseChoiceFlag("t", "", kTwo).status()) ==
        "--t: expected a or b, got \"\"");
  CHECK(MessageOf(ParseChoiceFlag("t", "x ", kThree).status()) ==
        "--t: expected x, y or z, got \"x \"");
  BROOK_CHECK_CODE(ParseChoiceFlag("t", "B", kTwo), kInvalidArgument);
}

// RunBrookCli() reads --stream-dir of every command and finds commands by
// name; a command registered without it, or twice, would break that.
TEST_CASE("brook CLI command table: unique names, --stream-dir first",
          "[cli]") {
  std::set<absl::string_view> names;
  REQUIRE_FALSE(CommandTable().empty());
  for (const Command* command : CommandTable()) {
    REQUIRE(command != nullptr);
    CAPTURE(std::string(command->name));
    CHECK(names.insert(command->name).second);
    CHECK(FindCommand(command->name) == command);
    CHECK(command->run != nullptr);
    CHECK_FALSE(command->summary.empty());
    REQUIRE_FALSE(command->flags.empty());
    CHECK(command->flags[0].name == "stream-dir");
    // Required, unless --stream-name may stand for it (a Kinesis stream);
    // export takes both.
    CHECK(command->flags[0].required !=
          (TakesStreamName(command->flags) && !command->local_to_kinesis));
  }
  CHECK(FindCommand("no-such-command") == nullptr);
  CHECK(FindCommand("") == nullptr);
}

}  // namespace
}  // namespace cli
}  // namespace brook
