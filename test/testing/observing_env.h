// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `ObservingEnv`: an `EnvWrapper` that lets a test see and steer the syncs and
// waits a stream makes, so that durability tests need no sleeps:
//   - counts syncs (MappedRegion::Sync, File::Sync, Env::SyncDir) and can fail
//     the next N of them with a chosen code, without touching the target, so a
//     `FaultInjectionEnv` below records nothing as durable;
//   - counts calls of `WaitUntil()` and lets a test block until a thread is
//     blocked in one: `AwaitBlocked()` waits for the call to start, then
//     takes and releases the mutex the waiter holds until its condition
//     variable releases it, so the waiter is then registered with the clock
//     (or already returning), and moving a `ManualClockEnv` below reaches it.
//     The mutexes of waits must outlive the `AwaitBlocked()` calls (a
//     stream's own mutexes live as long as the stream). A wait that never
//     comes (the thread expected to wait exited, or is stuck elsewhere) ends
//     the test binary after `kHangGuard` of real time, with a message naming
//     it, rather than hanging CI until its own timeout.
// Put it above a `FaultInjectionEnv` or `ManualClockEnv`; clock and waits are
// forwarded to the target.
//
// Thread safety: thread-safe.

#ifndef BROOK_TEST_TESTING_OBSERVING_ENV_H_
#define BROOK_TEST_TESTING_OBSERVING_ENV_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/env.h"

namespace brook {
namespace testing {

class ObservingEnv : public EnvWrapper {
 public:
  // How long (real time) `AwaitBlocked()` waits for a wait that should come
  // at once before it ends the test binary.
  static constexpr std::chrono::seconds kHangGuard{120};

  explicit ObservingEnv(Env* target) : EnvWrapper(target) {}

  // Syncs attempted so far, failed ones included.
  int64_t syncs() {
    std::lock_guard<std::mutex> lock(mu_);
    return syncs_;
  }
  // Fails the next `n` syncs with `code`, as a device reporting a write-back
  // error would.
  void FailNextSyncs(int n,
                     absl::StatusCode code = absl::StatusCode::kUnavailable) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_syncs_ = n;
    fail_code_ = code;
  }
  // Calls of WaitUntil() so far.
  int64_t waits() {
    std::lock_guard<std::mutex> lock(mu_);
    return waits_;
  }
  // Blocks until at least `n` calls of WaitUntil() have started and the
  // latest of them is blocked (or returning; see above). Returns the calls so
  // far.
  int64_t AwaitBlocked(int64_t n) {
    std::mutex* waiter_mu;
    int64_t waits;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!waits_cv_.wait_for(lock, kHangGuard, [&] { return waits_ >= n; })) {
        HangGuardExpired(
            absl::StrCat("AwaitBlocked(", n, "): ", waits_, " waits started"));
      }
      waiter_mu = last_mu_;
      waits = waits_;
    }
    std::lock_guard<std::mutex> held(*waiter_mu);
    return waits;
  }
  // The same for the calls made by thread `id`.
  void AwaitBlockedBy(std::thread::id id, int64_t n) {
    std::mutex* waiter_mu;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!waits_cv_.wait_for(lock, kHangGuard,
                              [&] { return waits_by_[id].count >= n; })) {
        HangGuardExpired(absl::StrCat("AwaitBlockedBy(thread, ", n, "): ",
                                      waits_by_[id].count, " waits started"));
      }
      waiter_mu = waits_by_[id].mu;
    }
    std::lock_guard<std::mutex> held(*waiter_mu);
  }

  // Returns the injected error for a sync of `what`, or OK; counts the sync.
  absl::Status OnSync(absl::string_view what) {
    std::lock_guard<std::mutex> lock(mu_);
    ++syncs_;
    if (fail_syncs_ > 0) {
      --fail_syncs_;
      return absl::Status(fail_code_,
                          absl::StrCat(what, ": injected sync failure"));
    }
    return absl::OkStatus();
  }

  bool WaitUntil(std::condition_variable& cv,
                 std::unique_lock<std::mutex>& lock,
                 int64_t deadline_millis) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      ++waits_;
      last_mu_ = lock.mutex();
      ThreadWaits& mine = waits_by_[std::this_thread::get_id()];
      ++mine.count;
      mine.mu = lock.mutex();
    }
    waits_cv_.notify_all();
    return target()->WaitUntil(cv, lock, deadline_millis);
  }
  absl::Status SyncDir(absl::string_view path) override {
    if (absl::Status s = OnSync(path); !s.ok()) return s;
    return target()->SyncDir(path);
  }
  absl::StatusOr<std::unique_ptr<File>> OpenFile(absl::string_view path,
                                                 FileOpenMode mode) override;

 private:
  // A wait a test counted on never came: says which, and ends the binary (a
  // hang would only end at CI's timeout, naming nothing).
  [[noreturn]] static void HangGuardExpired(const std::string& what) {
    std::fprintf(stderr, "ObservingEnv: %s after %lld s: giving up\n",
                 what.c_str(), static_cast<long long>(kHangGuard.count()));
    std::abort();
  }

  std::mutex mu_;
  std::condition_variable waits_cv_;
  int64_t syncs_ = 0;
  struct ThreadWaits {
    int64_t count = 0;
    std::mutex* mu = nullptr;  // of the latest
  };
  int64_t waits_ = 0;
  std::mutex* last_mu_ = nullptr;
  std::map<std::thread::id, ThreadWaits> waits_by_;
  int fail_syncs_ = 0;
  absl::StatusCode fail_code_ = absl::StatusCode::kUnavailable;
};

class ObservingRegion final : public MappedRegion {
 public:
  ObservingRegion(ObservingEnv* env, std::string path,
                  std::unique_ptr<MappedRegion> target)
      : env_(env), path_(std::move(path)), target_(std::move(target)) {}
  char* data() override { return target_->data(); }
  size_t size() const override { return target_->size(); }
  void Prefault(size_t offset, size_t length) override {
    target_->Prefault(offset, length);
  }
  absl::Status Sync(size_t offset, size_t length) override {
    if (absl::Status s = env_->OnSync(path_); !s.ok()) return s;
    return target_->Sync(offset, length);
  }

 private:
  ObservingEnv* const env_;
  const std::string path_;
  std::unique_ptr<MappedRegion> target_;
};

class ObservingFile final : public File {
 public:
  ObservingFile(ObservingEnv* env, std::unique_ptr<File> target)
      : env_(env), target_(std::move(target)) {}
  const std::string& path() const override { return target_->path(); }
  absl::StatusOr<uint64_t> Size() override { return target_->Size(); }
  absl::Status Allocate(uint64_t size) override {
    return target_->Allocate(size);
  }
  absl::Status Truncate(uint64_t size) override {
    return target_->Truncate(size);
  }
  absl::Status Write(uint64_t offset, absl::string_view data) override {
    return target_->Write(offset, data);
  }
  absl::StatusOr<size_t> Read(uint64_t offset, absl::Span<char> dst) override {
    return target_->Read(offset, dst);
  }
  absl::Status Sync() override {
    if (absl::Status s = env_->OnSync(path()); !s.ok()) return s;
    return target_->Sync();
  }
  absl::StatusOr<std::unique_ptr<MappedRegion>> Map(size_t length,
                                                    bool writable) override {
    absl::StatusOr<std::unique_ptr<MappedRegion>> r =
        target_->Map(length, writable);
    if (!r.ok()) return r.status();
    return std::unique_ptr<MappedRegion>(
        new ObservingRegion(env_, path(), *std::move(r)));
  }

 private:
  ObservingEnv* const env_;
  std::unique_ptr<File> target_;
};

inline absl::StatusOr<std::unique_ptr<File>> ObservingEnv::OpenFile(
    absl::string_view path, FileOpenMode mode) {
  absl::StatusOr<std::unique_ptr<File>> f = target()->OpenFile(path, mode);
  if (!f.ok()) return f.status();
  return std::unique_ptr<File>(new ObservingFile(this, *std::move(f)));
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_TESTING_OBSERVING_ENV_H_
