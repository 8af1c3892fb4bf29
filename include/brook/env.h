// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// An `Env` is brook's window on the operating system: the clock, files,
// directories, memory maps and locks (leveldb's Env). Every such access a
// stream makes goes through one, so a test can drive time by hand instead of
// sleeping, and can inject faults (failed writes, a full disk, lost unsynced
// bytes) into a durable stream.
//
// Time: durations are `absl::Duration`; points in time are `int64_t`
// milliseconds since the Unix epoch, in names ending `_millis`.
//
// Thread safety: every method of an `Env` may be called from any thread. A
// `File` or `MappedRegion` may be used from several threads as long as they do
// not destroy it concurrently with another call.
// Ownership: `Env::Default()` is owned by brook and never destroyed; files,
// regions and locks are owned by the caller and release their resource when
// destroyed. A `MappedRegion` stays valid after its `File` is destroyed and
// after the file is removed.
//
// Example:
//   brook::ManualClockEnv env(/*now_millis=*/1'700'000'000'000);
//   brook::StreamOptions options;
//   options.env = &env;
//   ... env.Advance(absl::Seconds(1));  // records appended now arrive 1 s later

#ifndef BROOK_ENV_H_
#define BROOK_ENV_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "brook/export.h"

namespace brook {

// Part of a file mapped into memory (mmap). Unmapped when destroyed.
class BROOK_EXPORT MappedRegion {
 public:
  MappedRegion() = default;
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;
  virtual ~MappedRegion();

  // The mapped bytes; writable only if the region was mapped writable.
  virtual char* data() = 0;
  virtual size_t size() const = 0;

  // Writes bytes [offset, offset + length) of the region back to the file and
  // waits until the device has them (msync(MS_SYNC); the range is widened to
  // whole pages). Returns an error (kResourceExhausted for a full device) if
  // the bytes may not be durable.
  virtual absl::Status Sync(size_t offset, size_t length) = 0;

  // Maps bytes [offset, offset + length) of a writable region into memory
  // ahead of their first write (MADV_POPULATE_WRITE), so that writing them
  // later takes no page fault. Only a hint: failures are ignored.
  virtual void Prefault(size_t offset, size_t length) = 0;
};

// An open file.
class BROOK_EXPORT File {
 public:
  File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  virtual ~File();

  virtual const std::string& path() const = 0;
  virtual absl::StatusOr<uint64_t> Size() = 0;

  // Makes the file at least `size` bytes long with its blocks reserved, so
  // that writing through a map below `size` cannot fail for lack of space
  // (fallocate). Returns kResourceExhausted when the device is full.
  virtual absl::Status Allocate(uint64_t size) = 0;
  // Sets the file's size; bytes past the old end read as zeros.
  virtual absl::Status Truncate(uint64_t size) = 0;

  // Writes `data` at `offset` (pwrite, all of it or an error).
  virtual absl::Status Write(uint64_t offset, absl::string_view data) = 0;
  // Reads up to `dst.size()` bytes at `offset`; returns how many were read
  // (fewer only at the end of the file).
  virtual absl::StatusOr<size_t> Read(uint64_t offset,
                                      absl::Span<char> dst) = 0;

  // Makes the file's written data and size durable (fdatasync).
  virtual absl::Status Sync() = 0;

  // Maps bytes [0, length) of the file, shared with the file (MAP_SHARED):
  // writes to a writable region reach the file. (The POSIX `Env` asks for
  // huge pages, MADV_HUGEPAGE, on writable maps of 2 MiB or more.)
  // REQUIRES: the file was opened writable if `writable`.
  virtual absl::StatusOr<std::unique_ptr<MappedRegion>> Map(size_t length,
                                                            bool writable) = 0;
};

// An exclusive lock on a file, released when destroyed or when the process
// exits.
class BROOK_EXPORT FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  virtual ~FileLock();
};

// How `Env::OpenFile()` opens a file.
enum class FileOpenMode : int {
  kReadOnly = 0,   // must exist
  kReadWrite = 1,  // must exist
  kCreate = 2,     // read-write, created empty if missing
};

class BROOK_EXPORT Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env();

  // The process-wide default environment: the system's real-time clock (read
  // through Abseil's `absl::GetCurrentTimeNanos()`) and the POSIX file system. Never null; owned by brook; lives until the process
  // exits.
  static Env* Default();

  // Milliseconds since the Unix epoch. Streams stamp records with it
  // (ApproximateArrivalTimestamp) and apply age retention with it. It need not
  // be monotonic: a stream never stamps a record earlier than the one before it
  // in the same shard.
  virtual int64_t NowMillis() = 0;

  // Waiting. Every wait of a stream goes through these two, so that a test
  // clock (`ManualClockEnv`) decides when a wait ends, not the passing of real
  // time. An `Env` that overrides `NowMillis()` must override both to match
  // its clock (`EnvWrapper` forwards all three to its target).

  // Blocks the calling thread for `duration` of this Env's clock (leveldb's
  // SleepForMicroseconds); returns at once if `duration` <= 0, and never
  // returns for `absl::InfiniteDuration()`. Used for retry back-off, with
  // durations of a few milliseconds.
  virtual void SleepFor(absl::Duration duration) = 0;

  // Waits on `cv`, as `cv.wait(lock)` does, until `cv` is notified or this
  // Env's clock reaches `deadline_millis` (`NowMillis() >= deadline_millis`),
  // whichever is first; INT64_MAX waits without a deadline. May also return
  // early for no reason (a spurious wake-up), so callers re-check what they
  // wait for in a loop. Returns true if the deadline has been reached (at
  // once, without waiting, if it had been already), false otherwise.
  // REQUIRES: `lock` holds its mutex; it holds it again on return, though it
  // may have been released and retaken in between. `cv` and the mutex stay
  // valid until the call returns; nothing refers to them afterwards.
  virtual bool WaitUntil(std::condition_variable& cv,
                         std::unique_lock<std::mutex>& lock,
                         int64_t deadline_millis) = 0;

  // Opens `path`. Returns kNotFound if it is missing (unless kCreate).
  virtual absl::StatusOr<std::unique_ptr<File>> OpenFile(absl::string_view path,
                                                         FileOpenMode mode) = 0;
  // Creates directory `path`; OK if it exists already.
  virtual absl::Status CreateDir(absl::string_view path) = 0;
  // The names (not paths) in directory `path`, without "." and "..", in no
  // particular order. Returns kNotFound if it is missing.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      absl::string_view path) = 0;
  virtual absl::StatusOr<bool> FileExists(absl::string_view path) = 0;
  virtual absl::Status RemoveFile(absl::string_view path) = 0;
  // Atomically replaces `to` with `from` (rename(2)).
  virtual absl::Status RenameFile(absl::string_view from,
                                  absl::string_view to) = 0;
  // Makes the creation, removal and renaming of entries of directory `path`
  // durable (fsync of the directory).
  virtual absl::Status SyncDir(absl::string_view path) = 0;
  // Takes a lock on `path` (created if missing) without waiting: exclusive,
  // or shared with other shared locks (flock). Locks conflict whether they
  // are taken by two processes or twice in one process. Returns
  // kFailedPrecondition if a conflicting lock is held.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      absl::string_view path, bool shared) = 0;
};

// An `Env` that forwards every call to another (leveldb's EnvWrapper); derive
// from it to override a few methods.
class BROOK_EXPORT EnvWrapper : public Env {
 public:
  // `target` is not owned and must outlive this.
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  int64_t NowMillis() override { return target_->NowMillis(); }
  void SleepFor(absl::Duration duration) override {
    target_->SleepFor(duration);
  }
  bool WaitUntil(std::condition_variable& cv,
                 std::unique_lock<std::mutex>& lock,
                 int64_t deadline_millis) override {
    return target_->WaitUntil(cv, lock, deadline_millis);
  }
  absl::StatusOr<std::unique_ptr<File>> OpenFile(absl::string_view path,
                                                 FileOpenMode mode) override {
    return target_->OpenFile(path, mode);
  }
  absl::Status CreateDir(absl::string_view path) override {
    return target_->CreateDir(path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(
      absl::string_view path) override {
    return target_->ListDir(path);
  }
  absl::StatusOr<bool> FileExists(absl::string_view path) override {
    return target_->FileExists(path);
  }
  absl::Status RemoveFile(absl::string_view path) override {
    return target_->RemoveFile(path);
  }
  absl::Status RenameFile(absl::string_view from,
                          absl::string_view to) override {
    return target_->RenameFile(from, to);
  }
  absl::Status SyncDir(absl::string_view path) override {
    return target_->SyncDir(path);
  }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(absl::string_view path,
                                                     bool shared) override {
    return target_->LockFile(path, shared);
  }

 private:
  Env* const target_;
};

// An `Env` whose clock stands still until the test moves it; files go to
// `Env::Default()`. Waits follow the clock, not real time: a thread in
// `WaitUntil()` with a deadline 100 ms ahead wakes when the clock is moved
// 100 ms (by `Advance()`, `SetNowMillis()` or a sleep), however much or
// little real time that takes. `SleepFor()` does not block: it moves the
// clock forward by that much and returns (as RocksDB's mock clock does), so a
// retry loop cannot hang a test; other threads see the time move. The clock
// counts whole microseconds: a move by a part of one is dropped.
// Thread safety: all methods are safe to call concurrently, except that
// `Advance()`, `SetNowMillis()` and `SleepFor()` must not be called while
// holding a mutex that a thread in `WaitUntil()` waits with.
// Lifetime: must outlive every wait on it.
class BROOK_EXPORT ManualClockEnv : public EnvWrapper {
 public:
  explicit ManualClockEnv(int64_t now_millis = 0);
  ~ManualClockEnv() override;

  int64_t NowMillis() override;
  // Moves the clock forward by `duration` (see `Advance()`) if it is
  // positive; never blocks.
  void SleepFor(absl::Duration duration) override;
  bool WaitUntil(std::condition_variable& cv,
                 std::unique_lock<std::mutex>& lock,
                 int64_t deadline_millis) override;

  // Sets the clock (it may go backwards) and wakes the waiters. Times beyond
  // +-9.2e15 ms (292,000 years) are clamped to that.
  void SetNowMillis(int64_t now_millis);
  // Moves the clock by `delta` (backwards if negative), truncated towards zero
  // to whole microseconds, and wakes the waiters whose deadline that reaches.
  // The clock stops at +-9.2e15 ms; `absl::InfiniteDuration()` (or its
  // negation) moves it there.
  void Advance(absl::Duration delta);

 private:
  struct Waiter;
  // Moves the clock by `micros` (saturating) and calls ClockMoved().
  void MoveMicros(int64_t micros);
  // Wakes every thread in WaitUntil() to look at the clock.
  void ClockMoved();

  std::atomic<int64_t> now_micros_;
  std::mutex waiters_mu_;                         // after a waiter's own mutex
  std::vector<std::shared_ptr<Waiter>> waiters_;  // guarded by waiters_mu_
};

}  // namespace brook

#endif  // BROOK_ENV_H_
