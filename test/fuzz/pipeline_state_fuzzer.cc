// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Fuzzes `WindowPipeline::RestoreState()` (pipeline state of format version
// 1 and 2 with the shards' lineage, watermark assigner and combiner state,
// the window operator's state) and a pipeline resumed from it, over a stream
// with a split shard: any bytes either are refused with a status, changing
// nothing, or resume a pipeline that runs, saves state that restores again,
// and finishes without crashing. Input format: see pipeline_fuzz.h.

#include <cstddef>
#include <cstdint>

#include "fuzz/pipeline_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using brook::fuzz::Fail;
  if (size < 1) return 0;
  const int config = data[0] % brook::fuzz::kWindowConfigs;
  const std::string bytes = brook::fuzz::WithChecksum(
      absl::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  brook::fuzz::PipelineFixture f;
  f.Standard();
  auto p = f.Make(config);
  if (!p.ok()) Fail(p.status().ToString());
  f.Rounds(**p, 1);
  const std::string before = (*p)->SaveState();
  if (absl::Status s = (*p)->RestoreState(bytes); !s.ok()) {
    if ((*p)->SaveState() != before) Fail("a refused restore changed state");
    return 0;  // a status is the right answer
  }
  f.Rounds(**p, 4);
  const std::string again = (*p)->SaveState();
  auto fresh = f.Make(config);
  if (!fresh.ok()) Fail(fresh.status().ToString());
  if (absl::Status back = (*fresh)->RestoreState(again); !back.ok()) {
    Fail(absl::StrCat("the pipeline's own saved state does not restore: ",
                      back.ToString()));
  }
  (*p)->FinishAll();
  return 0;
}
