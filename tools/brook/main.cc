// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` command-line tool: RunBrookCli() on the process's standard
// streams with the durable backend. See cli.h.

#include <iostream>
#include <memory>

#include "tools/brook/backend.h"
#include "tools/brook/cli.h"
#include <unistd.h>

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::unique_ptr<brook::cli::CliBackend> backend =
      brook::cli::NewDurableBackend();
  const brook::cli::CliIo io = {std::cin, std::cout, std::cerr,
                                /*out_is_terminal=*/isatty(STDOUT_FILENO) == 1,
                                /*err_is_terminal=*/isatty(STDERR_FILENO) == 1};
  const int code = brook::cli::RunBrookCli(argc, argv, io, *backend);
  std::cout.flush();
  return code;
}
