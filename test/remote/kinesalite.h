// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A kinesalite server for one test: started with Node.js on 127.0.0.1 on a
// port the system picks (test/remote/kinesalite_server.js prints it), in
// memory, with streams ACTIVE at once; stopped when the object goes (its
// standard input closes, and SIGTERM follows). Tests skip, with the reason
// printed, when Node.js or kinesalite is not installed
// (`BROOK_WITH_NODE=1 bash tools/install-deps.sh` installs both).
//
// Environment: BROOK_NODE (default "node" on PATH), BROOK_KINESALITE_DIR
// (default: the configured one, .deps/node/node_modules/kinesalite).
//
// Thread safety: not thread-safe; use from the test's thread.

#ifndef BROOK_TEST_REMOTE_KINESALITE_H_
#define BROOK_TEST_REMOTE_KINESALITE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <catch2/catch.hpp>

#include "brook/kinesis_client.h"

#include "emulator_skip.h"
#include "remote/node_server.h"
#include <sys/types.h>

namespace brook {
namespace testing {

class Kinesalite {
 public:
  // Starts a server. kFailedPrecondition when Node.js or kinesalite is
  // absent (the message says what to install: skip the test), another code
  // when it was there but did not start.
  static absl::StatusOr<std::unique_ptr<Kinesalite>> Start();
  // As above, on loopback port `port` (0: one the system picks), keeping
  // the streams in LevelDB files under directory `path` (empty: in memory),
  // so that a server started again on the same port and path has them.
  static absl::StatusOr<std::unique_ptr<Kinesalite>> Start(
      int port, const std::string& path);
  ~Kinesalite();

  // "http://127.0.0.1:<port>".
  const std::string& endpoint() const { return endpoint_; }

 private:
  Kinesalite(pid_t pid, int stdin_fd, std::string endpoint)
      : pid_(pid), stdin_fd_(stdin_fd), endpoint_(std::move(endpoint)) {}

  pid_t pid_;
  int stdin_fd_;
  std::string endpoint_;
};

// One server for the whole test process (started at the first call), or
// null when kinesalite is not installed; `*why` then says why. Tests sharing
// it name their streams apart.
Kinesalite* SharedKinesalite(std::string* why);

// A client of `endpoint` (an emulator on loopback) with fixed credentials
// (kinesalite and dynalite take any) and a short connect timeout.
inline std::unique_ptr<KinesisClient> ClientFor(
    const std::string& endpoint,
    absl::Duration retry_deadline = absl::Seconds(10)) {
  KinesisClientOptions options;
  options.aws.endpoint_url = endpoint;
  options.aws.region = "us-east-1";
  options.aws.credentials = AwsCredentials{"AKIDLOCAL", "localsecret"};
  options.retry_deadline = retry_deadline;
  options.connect_timeout = absl::Milliseconds(500);
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      KinesisClient::Create(options);
  REQUIRE(client.status() == absl::OkStatus());
  return std::move(*client);
}

}  // namespace testing
}  // namespace brook

// Starts kinesalite into `var` (a std::unique_ptr<Kinesalite>), or prints why not
// and leaves the test case (emulator_skip.h).
#define BROOK_START_KINESALITE_OR_SKIP(var) \
  BROOK_START_EMULATOR_OR_SKIP(::brook::testing::Kinesalite, var)

#endif  // BROOK_TEST_REMOTE_KINESALITE_H_
