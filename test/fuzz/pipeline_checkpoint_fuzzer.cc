// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Fuzzes `WindowPipeline::Checkpoint::Deserialize()` and a pipeline resumed
// from it (watermark generator and combiner state, window snapshot): any
// bytes either fail with kDataLoss, make `Create()` fail with a status, or
// resume a pipeline that runs, checkpoints and finishes without crashing.
// Input format: see pipeline_fuzz.h.

#include <cstddef>
#include <cstdint>

#include "fuzz/pipeline_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using brook::fuzz::Fail;
  using brook::fuzz::FuzzPipeline;
  if (size < 1) return 0;
  const int config = data[0] % brook::fuzz::kWindowConfigs;
  const std::string bytes = brook::fuzz::WithChecksum(
      absl::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  absl::StatusOr<FuzzPipeline::Checkpoint> c =
      FuzzPipeline::Checkpoint::Deserialize(bytes);
  if (!c.ok()) {
    if (!absl::IsDataLoss(c.status())) Fail(c.status().ToString());
    return 0;
  }
  brook::fuzz::PipelineFixture f;
  f.Put(20, 100);
  auto p = f.Make(config, &*c);
  if (!p.ok()) return 0;  // a status is the right answer
  f.Rounds(**p, 4);
  const std::string again = (*p)->TakeCheckpoint().Serialize();
  if (auto back = FuzzPipeline::Checkpoint::Deserialize(again); !back.ok()) {
    Fail(absl::StrCat("the pipeline's own checkpoint does not decode: ",
                      back.status().ToString()));
  }
  (*p)->FinishAll();
  return 0;
}
