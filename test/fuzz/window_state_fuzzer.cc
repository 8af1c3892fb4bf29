// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Fuzzes `WindowOperator::RestoreState()` (the logical state format's
// decoder and `ImportState()`'s checks): any bytes either are refused with
// kDataLoss or kInvalidArgument, changing nothing, or restore into an
// operator that then runs a workload without crashing and saves state that
// restores again to the same bytes. Input format: see window_fuzz.h.

#include <cstddef>
#include <cstdint>

#include "fuzz/window_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int config = data[0] % brook::fuzz::kWindowConfigs;
  const std::string bytes = brook::fuzz::WithChecksum(
      absl::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  brook::fuzz::RunWindowConfig(config, bytes);
  return 0;
}
