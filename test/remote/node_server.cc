// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "remote/node_server.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT

namespace brook {
namespace testing {
namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
  return v != nullptr && *v != '\0' ? v : fallback;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string NodePackageDir(const char* dir_var,
                           const std::string& default_dir) {
  return EnvOr(dir_var, default_dir.c_str());
}

absl::Status SpawnNode(const std::string& script,
                       const std::vector<std::string>& args,
                       absl::Duration wait, pid_t* child_pid, int* child_stdin,
                       std::string* first_line) {
  const std::string node = EnvOr("BROOK_NODE", "node");
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return absl::InternalError("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(node.c_str()));
  argv.push_back(const_cast<char*>(script.c_str()));
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc =
      posix_spawnp(&pid, node.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", node, ": ", std::strerror(rc),
                     " (BROOK_WITH_NODE=1 bash tools/install-deps.sh "
                     "installs Node.js)"));
  }
  // Wait (bounded) for the first line.
  std::string line;
  bool done = false;
  const int64_t wait_ms = absl::ToInt64Milliseconds(wait);
  for (int64_t waited_ms = 0; !done && waited_ms < wait_ms;) {
    pollfd p{out[0], POLLIN, 0};
    const int r = ::poll(&p, 1, 100);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      waited_ms += 100;
      continue;
    }
    char buf[256];
    const ssize_t n = ::read(out[0], buf, sizeof(buf));
    if (n <= 0) break;  // the child exited
    line.append(buf, static_cast<size_t>(n));
    done = line.find('\n') != std::string::npos;
  }
  ::close(out[0]);
  if (!done) {
    StopNodeServer(pid, in[1]);
    return absl::UnavailableError(absl::StrCat(
        node, " ", script, " printed no line (output: \"", line, "\")"));
  }
  line.resize(line.find('\n'));
  *child_pid = pid;
  *child_stdin = in[1];
  *first_line = std::move(line);
  return absl::OkStatus();
}

absl::Status SpawnNodeServer(absl::string_view package, const char* dir_var,
                             const std::string& default_dir,
                             const std::string& script, pid_t* child_pid,
                             int* child_stdin, std::string* endpoint,
                             const std::vector<std::string>& extra_args) {
  const std::string dir = NodePackageDir(dir_var, default_dir);
  if (!Exists(dir + "/package.json")) {
    return absl::FailedPreconditionError(absl::StrCat(
        package, " is not installed at ", dir,
        " (BROOK_WITH_NODE=1 bash tools/install-deps.sh installs it)"));
  }
  pid_t pid = 0;
  int stdin_fd = -1;
  std::string line;
  std::vector<std::string> args = {dir};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  absl::Status s =
      SpawnNode(script, args, absl::Seconds(20), &pid, &stdin_fd, &line);
  if (!s.ok()) return s;
  int port = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &port) || port <= 0) {
    StopNodeServer(pid, stdin_fd);
    return absl::UnavailableError(absl::StrCat(
        script, " did not report a port (output: \"", line, "\")"));
  }
  *child_pid = pid;
  *child_stdin = stdin_fd;
  *endpoint = absl::StrCat("http://127.0.0.1:", port);
  return absl::OkStatus();
}

void StopNodeServer(pid_t pid, int stdin_fd) {
  if (stdin_fd >= 0) ::close(stdin_fd);
  ::kill(pid, SIGTERM);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

int UnusedLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace testing
}  // namespace brook
