// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `MemoryBackend` keeps the `brook` tool's streams in memory, keyed by the
// directory name they would live in, using `Stream::Create()`. Tests run the
// tool against it; nothing touches the file system.
//
// Thread safety: not thread-safe (the tool is single-threaded).
// Lifetime: streams live as long as the backend.
//
// Example:
//   brook::ManualClockEnv env(1'700'000'000'000);
//   brook::cli::MemoryBackend backend(&env);
//   RunBrookCli({"brook", "create-stream", "--stream-dir", "/s",
//                "--shard-count", "2"}, io, backend);
//   std::shared_ptr<brook::Stream> s = backend.StreamForTesting("/s");

#ifndef BROOK_TEST_TOOLS_MEMORY_BACKEND_H_
#define BROOK_TEST_TOOLS_MEMORY_BACKEND_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tools/brook/backend.h"

namespace brook {

class Env;

namespace cli {

class MemoryBackend : public CliBackend {
 public:
  // `env` (not owned, may be null for the real clock) is given to every
  // stream the backend creates; it must outlive the backend.
  explicit MemoryBackend(Env* env = nullptr) : env_(env) {}

  absl::StatusOr<std::shared_ptr<Stream>> CreateStream(
      absl::string_view dir, const StreamOptions& options) override;
  absl::StatusOr<std::shared_ptr<Stream>> OpenForWrite(
      absl::string_view dir) override;
  absl::StatusOr<std::shared_ptr<Stream>> OpenReadOnly(
      absl::string_view dir) override;
  absl::Status Sync(Stream& stream) override;

  // Reads every record of every shard, counting each shard as one segment and
  // each record as one batch, and reports the damage added with
  // `AddDamageForTesting()`.
  absl::StatusOr<VerifyReport> Verify(absl::string_view dir,
                                      const ProgressFn& progress) override;

  // Consumer groups: memory lease stores made by AddGroupForTesting().
  absl::StatusOr<std::vector<std::string>> ListConsumerGroups(
      absl::string_view dir) override;
  absl::StatusOr<std::shared_ptr<LeaseStore>> OpenLeaseStore(
      absl::string_view dir, absl::string_view group) override;
  // The env's clock (the real one without an env).
  int64_t NowMillis() override;

  // The stream in `dir`, or null.
  std::shared_ptr<Stream> StreamForTesting(absl::string_view dir) const;
  // Makes consumer group `group` of the stream in `dir`, with an empty
  // memory lease store, and returns the store (kept by the backend).
  std::shared_ptr<LeaseStore> AddGroupForTesting(absl::string_view dir,
                                                 absl::string_view group);
  // Makes `Verify(dir)` report `damage` as well.
  void AddDamageForTesting(absl::string_view dir, Damage damage);

 private:
  absl::StatusOr<std::shared_ptr<Stream>> Find(absl::string_view dir) const;

  Env* const env_;
  std::map<std::string, std::shared_ptr<Stream>, std::less<>> streams_;
  std::map<std::string, std::vector<Damage>, std::less<>> damage_;
  // By directory, then group name.
  std::map<std::string, std::map<std::string, std::shared_ptr<LeaseStore>>,
           std::less<>>
      groups_;
};

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TEST_TOOLS_MEMORY_BACKEND_H_
