// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What every fuzz target shares: how an oracle reports a finding.

#ifndef BROOK_TEST_FUZZ_FUZZ_UTIL_H_
#define BROOK_TEST_FUZZ_FUZZ_UTIL_H_

#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"

namespace brook {
namespace fuzz {

// Aborts (a finding, for libFuzzer and for the replay main) with `what`.
[[noreturn]] inline void Fail(absl::string_view what) {
  std::fprintf(stderr, "fuzz oracle failed: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace fuzz
}  // namespace brook

#endif  // BROOK_TEST_FUZZ_FUZZ_UTIL_H_
