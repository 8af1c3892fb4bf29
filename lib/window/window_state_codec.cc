// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "brook/internal/window_state_codec.h"

#include "util/crc32c.h"

namespace brook {
namespace internal {

uint32_t WindowStateChecksum(absl::string_view bytes) {
  return Crc32c(bytes.data(), bytes.size());
}

}  // namespace internal
}  // namespace brook
