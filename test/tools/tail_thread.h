// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `brook tail` run in-process on a thread of its own (`TailThread`), its
// output read line by line as it comes (`LineBuffer`), for the tail tests of
// local streams (tail_test.cc) and of Kinesis streams (remote_cli_test.cc).
// No sleeps: a test waits for the lines it expects.
//
// Thread safety: a `LineBuffer` may be written by one thread and waited on
// by another; a `TailThread` belongs to the test's thread.

#ifndef BROOK_TEST_TOOLS_TAIL_THREAD_H_
#define BROOK_TEST_TOOLS_TAIL_THREAD_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tools/brook/backend.h"
#include "tools/brook/cli.h"
#include "tools/brook/tail_command.h"

namespace brook {
namespace cli {

// An output that another thread may wait on, line by line.
class LineBuffer : public std::streambuf {
 public:
  // Waits until at least `n` whole lines were written; returns them all
  // (fewer on timeout).
  std::vector<std::string> WaitForLines(
      size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return lines_.size() >= n; });
    return lines_;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    std::lock_guard<std::mutex> lock(mu_);
    if (c == '\n') {
      lines_.push_back(std::move(partial_));
      partial_.clear();
      cv_.notify_all();
    } else {
      partial_.push_back(static_cast<char>(c));
    }
    return c;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string partial_;
  std::vector<std::string> lines_;
};

// A tail running on its own thread; stopped and joined by Stop().
class TailThread {
 public:
  TailThread(CliBackend& backend, std::vector<std::string> args)
      : args_(std::move(args)) {
    thread_ = std::thread([this, &backend] {
      std::vector<const char*> argv = {"brook", "tail"};
      for (const std::string& a : args_) argv.push_back(a.c_str());
      std::istringstream in;
      std::ostream out(&out_);
      const CliIo io = {in, out, err_};
      code_ =
          RunBrookCli(static_cast<int>(argv.size()), argv.data(), io, backend);
    });
  }
  ~TailThread() {
    if (thread_.joinable()) Stop();
  }

  std::vector<std::string> WaitForLines(
      size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return out_.WaitForLines(n, timeout);
  }
  // Requests the stop, joins, returns the exit code.
  int Stop() {
    RequestTailStop();
    thread_.join();
    return code_;
  }
  std::string err() const { return err_.str(); }

 private:
  const std::vector<std::string> args_;
  LineBuffer out_;
  std::ostringstream err_;  // read after the join only
  int code_ = -1;
  std::thread thread_;
};

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TEST_TOOLS_TAIL_THREAD_H_
