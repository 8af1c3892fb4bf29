// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// PLACEHOLDER. The durable store (Stream::Open on a directory, read-only opens,
// verification) is not on this branch yet, so every method here fails with
// kUnimplemented and the installed `brook` binary cannot open a stream. When
// the store lands, implement each method as backend.h documents it:
//   CreateStream  create the directory's stream with `options`; kAlreadyExists
//                 if one is there
//   OpenForWrite  open it for appends (recovery allowed); kNotFound if absent
//   OpenReadOnly  open it without writing a byte; kNotFound if absent
//   Sync          make appends durable (flush + fsync of open segments)
//   Verify        scan every segment, CRC every batch, report damage with file
//                 and offset, call `progress` per segment
// The tool's tests run against MemoryBackend and need no change.

#include <memory>

#include "absl/status/status.h"

#include "tools/brook/backend.h"

namespace brook {
namespace cli {
namespace {

absl::Status NotLinked() {
  return absl::UnimplementedError("durable store not linked yet");
}

class DurableBackend : public CliBackend {
 public:
  absl::StatusOr<std::shared_ptr<Stream>> CreateStream(
      absl::string_view /*dir*/, const StreamOptions& /*options*/) override {
    return NotLinked();
  }
  absl::StatusOr<std::shared_ptr<Stream>> OpenForWrite(
      absl::string_view /*dir*/) override {
    return NotLinked();
  }
  absl::StatusOr<std::shared_ptr<Stream>> OpenReadOnly(
      absl::string_view /*dir*/) override {
    return NotLinked();
  }
  absl::Status Sync(Stream& /*stream*/) override { return NotLinked(); }
  absl::StatusOr<VerifyReport> Verify(absl::string_view /*dir*/,
                                      const ProgressFn& /*progress*/) override {
    return NotLinked();
  }
};

}  // namespace

std::unique_ptr<CliBackend> NewDurableBackend() {
  return std::make_unique<DurableBackend>();
}

}  // namespace cli
}  // namespace brook
