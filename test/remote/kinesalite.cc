// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "remote/kinesalite.h"

#include <string>
#include <utility>
#include <vector>

namespace brook {
namespace testing {

absl::StatusOr<std::unique_ptr<Kinesalite>> Kinesalite::Start() {
  return Start(0, "");
}

absl::StatusOr<std::unique_ptr<Kinesalite>> Kinesalite::Start(
    int port, const std::string& path) {
  pid_t pid = 0;
  int stdin_fd = -1;
  std::string endpoint;
  std::vector<std::string> args;
  if (port != 0 || !path.empty()) args.push_back(std::to_string(port));
  if (!path.empty()) args.push_back(path);
  absl::Status s = SpawnNodeServer(
      "kinesalite", "BROOK_KINESALITE_DIR", BROOK_KINESALITE_DIR,
      BROOK_KINESALITE_SERVER_JS, &pid, &stdin_fd, &endpoint, args);
  if (!s.ok()) return s;
  return std::unique_ptr<Kinesalite>(
      new Kinesalite(pid, stdin_fd, std::move(endpoint)));
}

Kinesalite::~Kinesalite() { StopNodeServer(pid_, stdin_fd_); }

Kinesalite* SharedKinesalite(std::string* why) {
  static absl::StatusOr<std::unique_ptr<Kinesalite>>* server =
      new absl::StatusOr<std::unique_ptr<Kinesalite>>(Kinesalite::Start());
  if (!server->ok()) {
    *why = std::string(server->status().message());
    return nullptr;
  }
  return server->value().get();
}

}  // namespace testing
}  // namespace brook
