// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// An `Env` is brook's window on the operating system: the clock, files,
// directories, memory maps and locks (leveldb's Env). Every such access a
// stream makes goes through one, so a test can drive time by hand instead of
// sleeping, and can inject faults (failed writes, a full disk, lost unsynced
// bytes) into a durable stream.
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
//   ... env.AdvanceMillis(1000);  // records appended now arrive 1 s later

#ifndef BROOK_ENV_H_
#define BROOK_ENV_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
  // writes to a writable region reach the file. REQUIRES: the file was opened
  // writable if `writable`.
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

  // The process-wide default environment: the system's real-time clock and
  // the POSIX file system. Never null; owned by brook; lives until the process
  // exits.
  static Env* Default();

  // Milliseconds since the Unix epoch. Streams stamp records with it
  // (ApproximateArrivalTimestamp) and apply age retention with it. It need not
  // be monotonic: a stream never stamps a record earlier than the one before it
  // in the same shard.
  virtual int64_t NowMillis() = 0;

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
// `Env::Default()`.
// Thread safety: all methods are safe to call concurrently.
class BROOK_EXPORT ManualClockEnv : public EnvWrapper {
 public:
  explicit ManualClockEnv(int64_t now_millis = 0)
      : EnvWrapper(Env::Default()), now_millis_(now_millis) {}

  int64_t NowMillis() override {
    return now_millis_.load(std::memory_order_acquire);
  }
  void SetNowMillis(int64_t now_millis) {
    now_millis_.store(now_millis, std::memory_order_release);
  }
  void AdvanceMillis(int64_t delta) {
    now_millis_.fetch_add(delta, std::memory_order_acq_rel);
  }

 private:
  std::atomic<int64_t> now_millis_;
};

}  // namespace brook

#endif  // BROOK_ENV_H_
