// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/env.h"

#include <chrono>

namespace brook {
namespace {

class SystemEnv final : public Env {
 public:
  int64_t NowMillis() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

Env::~Env() = default;

Env* Env::Default() {
  static Env* const env = new SystemEnv();  // never destroyed
  return env;
}

}  // namespace brook
