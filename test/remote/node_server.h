// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Running Node.js scripts beside a test or a benchmark: a server that prints
// its loopback port (kinesalite, dynalite, bench/remote/'s stub), or a
// one-shot script that prints one result line (the AWS SDK baseline). The
// child's standard input is a pipe whose closing tells it to exit, so it never
// outlives the process that started it. No test framework here: the tests'
// skip macros are in emulator_skip.h.
//
// Environment: BROOK_NODE (default "node" on PATH).
//
// Thread safety: the functions may run on several threads at once; each call
// owns the child it starts.

#ifndef BROOK_TEST_REMOTE_NODE_SERVER_H_
#define BROOK_TEST_REMOTE_NODE_SERVER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include <sys/types.h>

namespace brook {
namespace testing {

// Starts `node <script> <args...>` and waits up to `wait` for the first line
// it writes to standard output, returned without its newline. On success the
// child runs on and `*child_pid`, `*child_stdin` are the caller's to give to
// `StopNodeServer()`. kFailedPrecondition when Node.js cannot be run (the
// message says how to install it); kUnavailable when no line came in time
// (the child is stopped).
absl::Status SpawnNode(const std::string& script,
                       const std::vector<std::string>& args,
                       absl::Duration wait, pid_t* child_pid, int* child_stdin,
                       std::string* first_line);

// Starts `node <script> <package dir> <extra_args...>` (the directory from
// environment variable `dir_var`, else `default_dir`) and reads the port the
// script prints; the server exits when `*child_stdin` closes. kFailedPrecondition
// when Node.js or the package is absent, naming what to install. Shared by
// the kinesalite and dynalite helpers and the remote benchmark.
absl::Status SpawnNodeServer(absl::string_view package, const char* dir_var,
                             const std::string& default_dir,
                             const std::string& script, pid_t* child_pid,
                             int* child_stdin, std::string* endpoint,
                             const std::vector<std::string>& extra_args = {});

// Closes the child's standard input, sends SIGTERM and waits for it.
void StopNodeServer(pid_t pid, int stdin_fd);

// The package directory from environment variable `dir_var`, else
// `default_dir`.
std::string NodePackageDir(const char* dir_var, const std::string& default_dir);

// A loopback port nothing listens on (bound, then closed), for tests of an
// unreachable endpoint.
int UnusedLoopbackPort();

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_REMOTE_NODE_SERVER_H_
