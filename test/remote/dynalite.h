// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A dynalite server (a DynamoDB emulator) for tests: started with Node.js on
// 127.0.0.1 on a port the system picks (test/remote/dynalite_server.js prints
// it), in memory, with tables ACTIVE at once; stopped when the object goes.
// Tests skip, with the reason printed, when Node.js or dynalite is not
// installed (`BROOK_WITH_NODE=1 bash tools/install-deps.sh` installs both).
//
// Environment: BROOK_NODE (default "node" on PATH), BROOK_DYNALITE_DIR
// (default: the configured one, .deps/node/node_modules/dynalite).
//
// Thread safety: not thread-safe; use from the test's thread.

#ifndef BROOK_TEST_REMOTE_DYNALITE_H_
#define BROOK_TEST_REMOTE_DYNALITE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

#include "brook/dynamodb_lease_store.h"

#include "emulator_skip.h"
#include <sys/types.h>

namespace brook {
namespace testing {

class Dynalite {
 public:
  // Starts a server. kFailedPrecondition when Node.js or dynalite is absent
  // (the message says what to install: skip the test), another code when it
  // was there but did not start.
  static absl::StatusOr<std::unique_ptr<Dynalite>> Start();
  ~Dynalite();

  // "http://127.0.0.1:<port>".
  const std::string& endpoint() const { return endpoint_; }

  // Options of a lease store on a new table of this server (each call names
  // another table), with test credentials and a short retry deadline.
  DynamoDbLeaseStoreOptions StoreOptions();

 private:
  Dynalite(pid_t pid, int stdin_fd, std::string endpoint)
      : pid_(pid), stdin_fd_(stdin_fd), endpoint_(std::move(endpoint)) {}

  pid_t pid_;
  int stdin_fd_;
  std::string endpoint_;
  int tables_ = 0;
};

// One server for the whole test process (started at the first call), or
// null when dynalite is not installed; `*why` then says why.
Dynalite* SharedDynalite(std::string* why);

}  // namespace testing
}  // namespace brook

// Starts dynalite into `var` (a std::unique_ptr<Dynalite>), or prints why not
// and leaves the test case (emulator_skip.h).
#define BROOK_START_DYNALITE_OR_SKIP(var) \
  BROOK_START_EMULATOR_OR_SKIP(::brook::testing::Dynalite, var)

#endif  // BROOK_TEST_REMOTE_DYNALITE_H_
