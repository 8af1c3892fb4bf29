// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "remote/kinesalite.h"

#include <utility>

namespace brook {
namespace testing {

absl::StatusOr<std::unique_ptr<Kinesalite>> Kinesalite::Start() {
  pid_t pid = 0;
  int stdin_fd = -1;
  std::string endpoint;
  absl::Status s = SpawnNodeServer(
      "kinesalite", "BROOK_KINESALITE_DIR", BROOK_KINESALITE_DIR,
      BROOK_KINESALITE_SERVER_JS, &pid, &stdin_fd, &endpoint);
  if (!s.ok()) return s;
  return std::unique_ptr<Kinesalite>(
      new Kinesalite(pid, stdin_fd, std::move(endpoint)));
}

Kinesalite::~Kinesalite() { StopNodeServer(pid_, stdin_fd_); }

}  // namespace testing
}  // namespace brook
