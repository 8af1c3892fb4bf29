// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Helpers for tests that fork: `SharedMapping<T>`, a zero-filled T in memory
// shared with every child forked after it was made (MAP_SHARED |
// MAP_ANONYMOUS), and `ChildProcesses`, which forks children, reaps them and
// kills (SIGKILL) and reaps those still running when it goes.
//
// Thread safety: neither is thread-safe; use each from the test's thread.
// Fork before starting threads in the parent (a child gets only the forking
// thread). A child must end with `_exit()` (never return into the test
// framework); `Fork()` makes it exit 99 if its function returns.

#ifndef BROOK_TEST_TESTING_CHILD_PROCESSES_H_
#define BROOK_TEST_TESTING_CHILD_PROCESSES_H_

#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace brook {
namespace testing {

// A T in shared anonymous memory, zero-filled (T's constructor does not run:
// T must be made of atomics and plain data for which all zero is a valid
// start, as such shared blocks are).
template <typename T>
class SharedMapping {
 public:
  static_assert(std::is_trivially_destructible<T>::value,
                "a shared block is unmapped, never destroyed");
  SharedMapping() {
    void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    shared_ = static_cast<T*>(p);
  }
  ~SharedMapping() { ::munmap(shared_, sizeof(T)); }
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;

  T* get() const { return shared_; }

 private:
  T* shared_ = nullptr;
};

class ChildProcesses {
 public:
  ChildProcesses() = default;
  ~ChildProcesses() {
    for (pid_t pid : pids_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  ChildProcesses(const ChildProcesses&) = delete;
  ChildProcesses& operator=(const ChildProcesses&) = delete;

  // Forks a child that runs `child()` and exits (99 if `child` returns);
  // returns its pid in the parent.
  template <typename F>
  pid_t Fork(F&& child) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      std::forward<F>(child)();
      _exit(99);
    }
    pids_.push_back(pid);
    return pid;
  }

  // Reaps `pid`; its exit code, or 128 + the signal that ended it.
  int Wait(pid_t pid) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    pids_.erase(std::find(pids_.begin(), pids_.end(), pid));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Whether `pid` has exited (without reaping it: Wait() still does).
  static bool Exited(pid_t pid) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info,
                    WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid;
  }

 private:
  std::vector<pid_t> pids_;
};

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_TESTING_CHILD_PROCESSES_H_
