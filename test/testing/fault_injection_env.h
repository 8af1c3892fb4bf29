// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `FaultInjectionEnv` (LevelDB's and RocksDB's fault-injection Env, for
// brook's Env): forwards to a real Env while it
//   - remembers, per file, the bytes a sync made durable (File::Sync,
//     MappedRegion::Sync) and whether its directory entry was synced, so that
//     `DropUnsyncedData()` can put every file back to what a power loss would
//     leave (unsynced bytes read as zeros, or as garbage; files created
//     since their directory's last sync vanish);
//   - fails the Nth fallible operation (allocate, truncate, write, sync,
//     rename, directory sync, create) with a chosen code;
//   - reports a full disk (kResourceExhausted) for allocations and writes;
//   - after `SetFilesystemActive(false)`, fails every fallible operation, so a
//     stream being torn down cannot make more bytes durable.
// Model limits: a rename is durable at once (brook syncs the directory right
// after each one); sizes set by Allocate/Truncate survive a drop.
//
// Thread safety: thread-safe.

#ifndef BROOK_TEST_TESTING_FAULT_INJECTION_ENV_H_
#define BROOK_TEST_TESTING_FAULT_INJECTION_ENV_H_

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/env.h"

#include "util/mutex.h"

namespace brook {
namespace testing {

class FaultInjectionEnv : public EnvWrapper {
 public:
  explicit FaultInjectionEnv(Env* target = Env::Default())
      : EnvWrapper(target) {}

  // Fails the `n`th fallible operation from now (1 = the next) with `code`;
  // 0 turns it off.
  void FailNthOperation(int n, absl::StatusCode code) {
    internal::MutexLock lock(&mu_);
    fail_countdown_ = n;
    fail_code_ = code;
  }
  void SetDiskFull(bool full) {
    internal::MutexLock lock(&mu_);
    disk_full_ = full;
  }
  void SetFilesystemActive(bool active) {
    internal::MutexLock lock(&mu_);
    active_ = active;
  }
  // Fallible operations attempted so far.
  int operations() const {
    internal::MutexLock lock(&mu_);
    return operations_;
  }

  // What a power loss leaves of bytes that were written but never synced.
  enum class Unsynced { kZeros, kGarbage };

  // Puts every file this env created or synced back to its durable state:
  // bytes that differ from what the last syncs wrote become zeros, or with
  // kGarbage, bytes from a generator seeded with `seed` (torn pages).
  // REQUIRES: nothing maps or writes the files (the stream is destroyed).
  absl::Status DropUnsyncedData(Unsynced unsynced = Unsynced::kZeros,
                                uint64_t seed = 1) {
    internal::MutexLock lock(&mu_);
    uint64_t x = seed | 1;
    for (auto& [path, state] : files_) {
      Env* const env = target();
      if (!state.name_synced) {
        absl::Status s = env->RemoveFile(path);
        if (!s.ok() && !absl::IsNotFound(s)) return s;
        continue;
      }
      absl::StatusOr<std::unique_ptr<File>> file =
          env->OpenFile(path, FileOpenMode::kReadWrite);
      if (!file.ok()) return file.status();
      absl::StatusOr<uint64_t> size = (*file)->Size();
      if (!size.ok()) return size.status();
      std::string image = state.synced;
      image.resize(std::max<size_t>(image.size(), static_cast<size_t>(*size)),
                   '\0');
      if (unsynced == Unsynced::kGarbage) {
        std::string now(static_cast<size_t>(*size), '\0');
        absl::StatusOr<size_t> n =
            (*file)->Read(0, absl::MakeSpan(&now[0], now.size()));
        if (!n.ok()) return n.status();
        for (size_t i = 0; i < now.size(); ++i) {
          if (now[i] == image[i]) continue;
          x ^= x << 13;  // xorshift64
          x ^= x >> 7;
          x ^= x << 17;
          image[i] = static_cast<char>(x);
        }
      }
      absl::Status s = (*file)->Write(0, image);
      if (!s.ok()) return s;
    }
    files_.clear();
    renamed_.clear();
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<File>> OpenFile(absl::string_view path,
                                                 FileOpenMode mode) override;
  absl::Status CreateDir(absl::string_view path) override {
    if (absl::Status f = MaybeFail(false, path); !f.ok()) return f;
    return target()->CreateDir(path);
  }
  absl::Status RemoveFile(absl::string_view path) override {
    if (absl::Status f = MaybeFail(false, path); !f.ok()) return f;
    absl::Status s = target()->RemoveFile(path);
    internal::MutexLock lock(&mu_);
    files_.erase(std::string(path));
    return s;
  }
  absl::Status RenameFile(absl::string_view from,
                          absl::string_view to) override {
    if (absl::Status f = MaybeFail(false, from); !f.ok()) return f;
    absl::Status s = target()->RenameFile(from, to);
    if (!s.ok()) return s;
    internal::MutexLock lock(&mu_);
    auto it = files_.find(std::string(from));
    if (it != files_.end()) {
      FileState state = std::move(it->second);
      files_.erase(it);
      state.name_synced = true;  // see the model limits above
      files_[std::string(to)] = std::move(state);
    }
    // Maps made under the old name sync the renamed file.
    renamed_[std::string(from)] = std::string(to);
    renamed_.erase(std::string(to));
    return s;
  }
  absl::Status SyncDir(absl::string_view path) override {
    if (absl::Status f = MaybeFail(false, path); !f.ok()) return f;
    absl::Status s = target()->SyncDir(path);
    if (!s.ok()) return s;
    internal::MutexLock lock(&mu_);
    const std::string prefix = absl::StrCat(path, "/");
    for (auto& [file, state] : files_) {
      if (file.compare(0, prefix.size(), prefix) == 0 &&
          file.find('/', prefix.size()) == std::string::npos) {
        state.name_synced = true;
      }
    }
    return s;
  }

  // Returns the error to inject into the operation on `what`, or OK.
  // `space` says whether the operation needs disk space.
  absl::Status MaybeFail(bool space, absl::string_view what) {
    internal::MutexLock lock(&mu_);
    ++operations_;
    if (!active_) {
      return absl::UnavailableError(
          absl::StrCat(what, ": injected fault (file system inactive)"));
    }
    if (space && disk_full_) {
      return absl::ResourceExhaustedError(
          absl::StrCat(what, ": injected fault: No space left on device"));
    }
    if (fail_countdown_ > 0 && --fail_countdown_ == 0) {
      return absl::Status(fail_code_, absl::StrCat(what, ": injected fault"));
    }
    return absl::OkStatus();
  }

  // A sync of `path` made bytes [offset, offset + bytes.size()) durable.
  void Synced(std::string path, size_t offset, absl::string_view bytes) {
    internal::MutexLock lock(&mu_);
    for (auto it = renamed_.find(path); it != renamed_.end();
         it = renamed_.find(path)) {
      path = it->second;
    }
    std::string& image = files_[path].synced;
    if (image.size() < offset + bytes.size()) {
      image.resize(offset + bytes.size(), '\0');
    }
    std::copy(bytes.begin(), bytes.end(),
              image.begin() + static_cast<long>(offset));
  }

 private:
  struct FileState {
    std::string synced;        // bytes a sync made durable
    bool name_synced = false;  // directory entry durable
  };

  mutable internal::Mutex mu_;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> renamed_ ABSL_GUARDED_BY(mu_);  // from, to
  int operations_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_countdown_ ABSL_GUARDED_BY(mu_) = 0;
  absl::StatusCode fail_code_ ABSL_GUARDED_BY(mu_) =
      absl::StatusCode::kUnavailable;
  bool disk_full_ ABSL_GUARDED_BY(mu_) = false;
  bool active_ ABSL_GUARDED_BY(mu_) = true;

 public:
  // Starts tracking `path`, opened through this env.
  void Track(const std::string& path, bool created) {
    internal::MutexLock lock(&mu_);
    if (created) renamed_.erase(path);  // a new file under an old name
    if (files_.count(path) != 0) return;
    FileState& state = files_[path];
    state.name_synced = !created;
    if (!created) {
      // A file from before: what is on disk now counts as durable.
      absl::StatusOr<std::unique_ptr<File>> f =
          target()->OpenFile(path, FileOpenMode::kReadOnly);
      if (f.ok()) {
        absl::StatusOr<uint64_t> size = (*f)->Size();
        if (size.ok()) {
          state.synced.resize(static_cast<size_t>(*size));
          (*f)->Read(0, absl::MakeSpan(&state.synced[0], state.synced.size()))
              .IgnoreError();
        }
      }
    }
  }
};

class FaultRegion final : public MappedRegion {
 public:
  FaultRegion(FaultInjectionEnv* env, std::string path,
              std::unique_ptr<MappedRegion> target)
      : env_(env), path_(std::move(path)), target_(std::move(target)) {}
  char* data() override { return target_->data(); }
  size_t size() const override { return target_->size(); }
  void Prefault(size_t offset, size_t length) override {
    target_->Prefault(offset, length);
  }
  absl::Status Sync(size_t offset, size_t length) override {
    if (absl::Status f = env_->MaybeFail(false, path_); !f.ok()) return f;
    absl::Status s = target_->Sync(offset, length);
    if (s.ok()) {
      length = std::min(length, target_->size() - offset);
      env_->Synced(path_, offset, absl::string_view(data() + offset, length));
    }
    return s;
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  std::unique_ptr<MappedRegion> target_;
};

class FaultFile final : public File {
 public:
  FaultFile(FaultInjectionEnv* env, std::unique_ptr<File> target)
      : env_(env), target_(std::move(target)) {}
  const std::string& path() const override { return target_->path(); }
  absl::StatusOr<uint64_t> Size() override { return target_->Size(); }
  absl::Status Allocate(uint64_t size) override {
    if (absl::Status f = env_->MaybeFail(true, path()); !f.ok()) return f;
    return target_->Allocate(size);
  }
  absl::Status Truncate(uint64_t size) override {
    if (absl::Status f = env_->MaybeFail(false, path()); !f.ok()) return f;
    return target_->Truncate(size);
  }
  absl::Status Write(uint64_t offset, absl::string_view data) override {
    if (absl::Status f = env_->MaybeFail(true, path()); !f.ok()) return f;
    return target_->Write(offset, data);
  }
  absl::StatusOr<size_t> Read(uint64_t offset, absl::Span<char> dst) override {
    return target_->Read(offset, dst);
  }
  absl::Status Sync() override {
    if (absl::Status f = env_->MaybeFail(false, path()); !f.ok()) return f;
    absl::Status s = target_->Sync();
    if (!s.ok()) return s;
    absl::StatusOr<uint64_t> size = target_->Size();
    if (!size.ok()) return size.status();
    std::string bytes(static_cast<size_t>(*size), '\0');
    absl::StatusOr<size_t> n =
        target_->Read(0, absl::MakeSpan(&bytes[0], bytes.size()));
    if (!n.ok()) return n.status();
    env_->Synced(path(), 0, bytes);
    return s;
  }
  absl::StatusOr<std::unique_ptr<MappedRegion>> Map(size_t length,
                                                    bool writable) override {
    absl::StatusOr<std::unique_ptr<MappedRegion>> r =
        target_->Map(length, writable);
    if (!r.ok()) return r.status();
    return std::unique_ptr<MappedRegion>(
        new FaultRegion(env_, path(), *std::move(r)));
  }

 private:
  FaultInjectionEnv* const env_;
  std::unique_ptr<File> target_;
};

inline absl::StatusOr<std::unique_ptr<File>> FaultInjectionEnv::OpenFile(
    absl::string_view path, FileOpenMode mode) {
  bool created = false;
  if (mode == FileOpenMode::kCreate) {
    absl::StatusOr<bool> exists = target()->FileExists(path);
    if (!exists.ok()) return exists.status();
    created = !*exists;
    if (created) {
      if (absl::Status f = MaybeFail(true, path); !f.ok()) return f;
    }
  }
  absl::StatusOr<std::unique_ptr<File>> f = target()->OpenFile(path, mode);
  if (!f.ok()) return f.status();
  if (mode != FileOpenMode::kReadOnly) Track(std::string(path), created);
  return std::unique_ptr<File>(new FaultFile(this, *std::move(f)));
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_TESTING_FAULT_INJECTION_ENV_H_
