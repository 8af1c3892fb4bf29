// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `StopSignals` installs a handler for SIGINT and SIGTERM for the life of the
// object and puts the old handlers back after; the commands that run until
// stopped (`tail`, `export`) use it. No SA_RESTART: a blocking wait returns
// early on the signal. Internal to the tool.
//
// Thread safety: construct and destroy on one thread; the handler must be
// async-signal-safe (store to a lock-free atomic).

#ifndef BROOK_TOOLS_BROOK_STOP_SIGNALS_H_
#define BROOK_TOOLS_BROOK_STOP_SIGNALS_H_

#include <signal.h>

namespace brook {
namespace cli {

class StopSignals {
 public:
  explicit StopSignals(void (*handler)(int)) {
    struct sigaction action = {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    installed_ = ::sigaction(SIGINT, &action, &old_int_) == 0 &&
                 ::sigaction(SIGTERM, &action, &old_term_) == 0;
  }
  ~StopSignals() {
    if (!installed_) return;
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  bool installed_ = false;
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_STOP_SIGNALS_H_
