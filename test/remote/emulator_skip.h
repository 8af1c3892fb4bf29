// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Starting a local emulator (kinesalite.h, dynalite.h) in a test case, or
// skipping the case with the reason when the emulator is not installed.

#ifndef BROOK_TEST_REMOTE_EMULATOR_SKIP_H_
#define BROOK_TEST_REMOTE_EMULATOR_SKIP_H_

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include <catch2/catch.hpp>

// Starts `Type` (a class with `static absl::StatusOr<std::unique_ptr<Type>>
// Start()`, which returns kFailedPrecondition when the emulator is not
// installed) into `var`, a std::unique_ptr<Type>; or prints why not and
// leaves the test case (it counts as passed: a skip).
#define BROOK_START_EMULATOR_OR_SKIP(Type, var)                             \
  std::unique_ptr<Type> var;                                                \
  {                                                                         \
    auto started = Type::Start();                                           \
    if (!started.ok() &&                                                    \
        started.status().code() == absl::StatusCode::kFailedPrecondition) { \
      WARN("SKIPPED: " << started.status().message());                      \
      return;                                                               \
    }                                                                       \
    REQUIRE(started.status() == absl::OkStatus());                          \
    var = std::move(*started);                                              \
  }

#endif  // BROOK_TEST_REMOTE_EMULATOR_SKIP_H_
