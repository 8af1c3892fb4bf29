// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Runs the `brook` tool in-process (`RunBrookCli()`) against a test backend
// and captures what it printed: the one way the CLI tests call the tool.
//
// Example:
//   MemoryBackend backend;
//   CliRun r = RunCli(backend, {"list-shards", "--stream-dir", "/s"});
//   REQUIRE(r.code == kExitOk);
//   CHECK(r.Json()["Shards"].size() == 1);
//
// Thread safety: as the backend; each call has its own streams.

#ifndef BROOK_TEST_TOOLS_CLI_RUN_H_
#define BROOK_TEST_TOOLS_CLI_RUN_H_

#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tools/brook/backend.h"
#include "tools/brook/cli.h"
#include <nlohmann/json.hpp>

namespace brook {
namespace cli {

// What one run printed, and its exit code (kExit*).
struct CliRun {
  int code = -1;
  std::string out;
  std::string err;

  // Standard output parsed as one JSON document (a test failure if it is
  // not, with both outputs in the message).
  nlohmann::json Json() const {
    INFO("stdout: " << out << "stderr: " << err);
    return nlohmann::json::parse(out);
  }
};

// Whether the tool is to believe its outputs are terminals.
struct CliTerminal {
  bool out = false;
  bool err = false;
};

// Runs `brook args...` with `stdin_text` as standard input.
inline CliRun RunCli(CliBackend& backend, const std::vector<std::string>& args,
                     const std::string& stdin_text = "",
                     CliTerminal terminal = {}) {
  std::vector<const char*> argv = {"brook"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  const CliIo io = {in, out, err, terminal.out, terminal.err};
  CliRun r;
  r.code = RunBrookCli(static_cast<int>(argv.size()), argv.data(), io, backend);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TEST_TOOLS_CLI_RUN_H_
