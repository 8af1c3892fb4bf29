// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Under Durability::kNone a roll leaves the bounds marker's move to the new
// segment to the store's preparer thread, which syncs the shard directory
// first (the marker must never name a segment file a power loss can take
// back). A segment file created while such a directory sync is finishing is
// not covered by it: its own move must sync again. Here the preparer's sync
// is held on its way out while the appender rolls into fresh segment files;
// after a power loss the stream must reopen (it used to report the newest
// segment missing).

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/match.h"
#include <catch2/catch.hpp>

#include "brook/env.h"
#include "brook/stream.h"

#include "store/store_testing.h"
#include "testing/fault_injection_env.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::AppendBatch;
using testing::Crash;
using testing::FaultInjectionEnv;
using testing::OpenOrDie;
using testing::TempDir;

constexpr std::chrono::seconds kHangGuard{120};

// Over a FaultInjectionEnv: holds the next directory sync after it is done
// (the model has marked the names synced) and before it returns, until
// released; counts renames to a bounds marker.
class HoldingEnv : public EnvWrapper {
 public:
  explicit HoldingEnv(Env* target) : EnvWrapper(target) {}

  void HoldNextSyncDir() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  // Waits (real time, bounded) until a directory sync is held.
  bool AwaitHeld() {
    return Await([&] { return held_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  int marker_renames() {
    std::lock_guard<std::mutex> lock(mu_);
    return marker_renames_;
  }
  // Waits (real time, bounded) until `n` renames to a bounds marker.
  bool AwaitMarkerRenames(int n) {
    return Await([&] { return marker_renames_ >= n; });
  }

  absl::Status SyncDir(absl::string_view path) override {
    absl::Status s = target()->SyncDir(path);
    std::unique_lock<std::mutex> lock(mu_);
    if (hold_) {
      hold_ = false;
      held_ = true;
      cv_.notify_all();
      cv_.wait_for(lock, kHangGuard, [&] { return released_; });
    }
    return s;
  }
  absl::Status RenameFile(absl::string_view from,
                          absl::string_view to) override {
    absl::Status s = target()->RenameFile(from, to);
    if (s.ok() && absl::EndsWith(to, ".bounds")) {
      std::lock_guard<std::mutex> lock(mu_);
      ++marker_renames_;
      cv_.notify_all();
    }
    return s;
  }

 private:
  // Waits until `done()` (read under mu_) or the hang guard; its result.
  template <typename Done>
  bool Await(Done done) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kHangGuard, done);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
  bool held_ = false;
  bool released_ = false;
  int marker_renames_ = 0;
};

TEST_CASE(
    "Durability kNone: a segment created while the preparer's directory sync "
    "finishes is synced before the marker names it",
    "[store][fault]") {
  TempDir tmp;
  FaultInjectionEnv faults;
  HoldingEnv env(&faults);
  StreamOptions options;
  options.env = &env;
  options.durability = Durability::kNone;
  options.segment_bytes = 64 << 10;
  const std::string dir = tmp.Sub("s");
  std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
  // 10 records of 1000 bytes a batch: about six batches a segment.
  int appended = 0;
  const auto append = [&] {
    AppendBatch(stream.get(), appended, 10, 1000);
    appended += 10;
  };
  append();
  env.HoldNextSyncDir();
  // Roll (a segment holds about six batches), which asks the preparer to
  // move the marker to the new segment; wait until it is held in that
  // move's directory sync (on a loaded machine it may be scheduled late).
  for (int b = 0; b < 8; ++b) append();
  REQUIRE(env.AwaitHeld());
  const int renames = env.marker_renames();
  // Three segments' worth while it is held: the first roll may take a
  // spare the preparer made before, the later ones create fresh files whose
  // names the held sync did not cover.
  for (int b = 0; b < 20; ++b) append();
  env.Release();
  // The held move, then the move to the newest segment.
  REQUIRE(env.AwaitMarkerRenames(renames + 2));

  faults.SetFilesystemActive(false);
  Crash(std::move(stream));
  BROOK_REQUIRE_OK(faults.DropUnsyncedData());
  faults.SetFilesystemActive(true);
  // Nothing was synced, so no record need survive; but the stream must open,
  // and what it holds is a numbered prefix of what was appended.
  absl::StatusOr<std::unique_ptr<Stream>> reopened =
      Stream::Open(dir, options, OpenMode::kMustExist);
  BROOK_REQUIRE_OK(reopened);
  absl::StatusOr<std::vector<testing::OwnedRecord>> records =
      testing::ReadShard(reopened->get(), "shardId-000000000000");
  BROOK_REQUIRE_OK(records);
  CHECK(static_cast<int>(records->size()) <= appended);
  testing::CheckNumbered(*records, static_cast<int>(records->size()));
}

}  // namespace
}  // namespace brook
