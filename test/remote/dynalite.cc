// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "remote/dynalite.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "remote/node_server.h"

namespace brook {
namespace testing {

absl::StatusOr<std::unique_ptr<Dynalite>> Dynalite::Start() {
  pid_t pid = 0;
  int stdin_fd = -1;
  std::string endpoint;
  absl::Status s =
      SpawnNodeServer("dynalite", "BROOK_DYNALITE_DIR", BROOK_DYNALITE_DIR,
                      BROOK_DYNALITE_SERVER_JS, &pid, &stdin_fd, &endpoint);
  if (!s.ok()) return s;
  return std::unique_ptr<Dynalite>(
      new Dynalite(pid, stdin_fd, std::move(endpoint)));
}

Dynalite::~Dynalite() { StopNodeServer(pid_, stdin_fd_); }

DynamoDbLeaseStoreOptions Dynalite::StoreOptions() {
  DynamoDbLeaseStoreOptions options;
  options.table_name = absl::StrCat("leases-", ++tables_);
  options.aws.endpoint_url = endpoint_;
  options.aws.region = "us-east-1";
  options.aws.credentials = AwsCredentials{"AKIDTEST", "testsecret"};
  options.retry_deadline = absl::Seconds(5);
  return options;
}

Dynalite* SharedDynalite(std::string* why) {
  static absl::StatusOr<std::unique_ptr<Dynalite>>* server =
      new absl::StatusOr<std::unique_ptr<Dynalite>>(Dynalite::Start());
  if (!server->ok()) {
    *why = std::string(server->status().message());
    return nullptr;
  }
  return server->value().get();
}

}  // namespace testing
}  // namespace brook
