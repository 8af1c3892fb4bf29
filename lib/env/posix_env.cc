// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The POSIX `Env` behind `Env::Default()`.

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "brook/env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace brook {
namespace {

// Abseil's errno mapping (absl::ErrnoToStatus is newer than Debian's absl),
// with the message context-first: "<context>: <strerror>".
absl::Status PosixError(absl::string_view context, int error) {
  absl::StatusCode code;
  switch (error) {
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
      code = absl::StatusCode::kResourceExhausted;
      break;
    case ENOENT:
    case ENOTDIR:
      code = absl::StatusCode::kNotFound;
      break;
    case EEXIST:
      code = absl::StatusCode::kAlreadyExists;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      code = absl::StatusCode::kPermissionDenied;
      break;
    case EWOULDBLOCK:
      code = absl::StatusCode::kFailedPrecondition;
      break;
    case EINVAL:
      code = absl::StatusCode::kInvalidArgument;
      break;
    default:
      code = absl::StatusCode::kUnavailable;  // EIO and friends
      break;
  }
  return absl::Status(code, absl::StrCat(context, ": ", std::strerror(error)));
}

std::string Str(absl::string_view s) { return std::string(s); }

class PosixMappedRegion final : public MappedRegion {
 public:
  PosixMappedRegion(std::string path, char* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  ~PosixMappedRegion() override { ::munmap(data_, size_); }

  char* data() override { return data_; }
  size_t size() const override { return size_; }

  absl::Status Sync(size_t offset, size_t length) override {
    if (length == 0) return absl::OkStatus();
    static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t begin = offset / page * page;
    const size_t end = std::min(size_, offset + length);
    if (::msync(data_ + begin, end - begin, MS_SYNC) != 0) {
      return PosixError(
          absl::StrCat(path_, ": msync offset ", offset, " length ", length),
          errno);
    }
    return absl::OkStatus();
  }

  void Prefault(size_t offset, size_t length) override {
#ifndef MADV_POPULATE_WRITE
    constexpr int MADV_POPULATE_WRITE = 23;  // Linux 5.14
#endif
    static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t begin = offset / page * page;
    const size_t end = std::min(size_, offset + length);
    if (end <= begin) return;
    // Older kernels say EINVAL; the writer then faults pages in itself.
    (void)::madvise(data_ + begin, end - begin, MADV_POPULATE_WRITE);
  }

 private:
  const std::string path_;
  char* const data_;
  const size_t size_;
};

class PosixFile final : public File {
 public:
  PosixFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFile() override { ::close(fd_); }

  const std::string& path() const override { return path_; }

  absl::StatusOr<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return PosixError(path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status Allocate(uint64_t size) override {
    if (size == 0) return absl::OkStatus();
    const int r = ::posix_fallocate(fd_, 0, static_cast<off_t>(size));
    if (r != 0) {
      return PosixError(absl::StrCat(path_, ": allocate ", size, " bytes"), r);
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return PosixError(absl::StrCat(path_, ": truncate to ", size), errno);
    }
    return absl::OkStatus();
  }

  absl::Status Write(uint64_t offset, absl::string_view data) override {
    while (!data.empty()) {
      const ssize_t n =
          ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError(absl::StrCat(path_, ": write at offset ", offset),
                          errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Read(uint64_t offset, absl::Span<char> dst) override {
    size_t done = 0;
    while (done < dst.size()) {
      const ssize_t n = ::pread(fd_, dst.data() + done, dst.size() - done,
                                static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError(absl::StrCat(path_, ": read at offset ", offset),
                          errno);
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  absl::Status Sync() override {
    if (::fdatasync(fd_) != 0) return PosixError(path_ + ": fdatasync", errno);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<MappedRegion>> Map(size_t length,
                                                    bool writable) override {
    if (length == 0) {
      return absl::InvalidArgumentError(path_ + ": map of 0 bytes");
    }
    void* p =
        ::mmap(nullptr, length, writable ? PROT_READ | PROT_WRITE : PROT_READ,
               MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) {
      return PosixError(absl::StrCat(path_, ": mmap ", length, " bytes"),
                        errno);
    }
    // Asks for the file's new pages in 2 MiB folios, mapped by one page-table
    // entry each (Linux 6.16+ on ext4; XFS): a fault on a missing page then
    // reads ahead a whole aligned 2 MiB. That spares a writer one fault per
    // 4 KiB page and, on a VM whose hypervisor tracks guest page tables in
    // software, the 5-7 us each 4 KiB entry's first write costs there (about
    // ten times what write(2) takes to fill the page; bench/README.md "fresh
    // segments"). Only a hint: pages already cached keep their size, and
    // kernels without file-backed huge pages ignore it or say EINVAL.
    constexpr size_t kHugePage = size_t{2} << 20;
    if (writable && length >= kHugePage) {
      (void)::madvise(p, length, MADV_HUGEPAGE);
    }
    return std::unique_ptr<MappedRegion>(
        new PosixMappedRegion(path_, static_cast<char*>(p), length));
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // releases the flock

 private:
  const int fd_;
};

class PosixEnv final : public Env {
 public:
  // Abseil's clock: the system's real-time clock, read through the cycle
  // counter between calibrations (about 20 ns a read on a KVM guest with
  // kvm-clock, where clock_gettime(CLOCK_REALTIME) takes about 55 ns). Every
  // append reads it for the arrival time.
  int64_t NowMillis() override { return absl::GetCurrentTimeNanos() / 1000000; }

  void SleepFor(absl::Duration duration) override {
    if (duration > absl::ZeroDuration()) absl::SleepFor(duration);
  }

  bool WaitUntil(std::condition_variable& cv,
                 std::unique_lock<std::mutex>& lock,
                 int64_t deadline_millis) override {
    if (deadline_millis == std::numeric_limits<int64_t>::max()) {
      cv.wait(lock);
      return false;
    }
    const int64_t left =
        deadline_millis - std::min(deadline_millis, NowMillis());
    if (left <= 0) return true;
    // Timed on the steady clock, so that a step of the real-time clock
    // neither stretches nor cuts the wait by more than the step; at most a
    // day at a time (callers loop), which keeps the time point in range.
    cv.wait_for(lock, std::chrono::milliseconds(
                          std::min<int64_t>(left, int64_t{24} * 3600 * 1000)));
    return NowMillis() >= deadline_millis;
  }

  absl::StatusOr<std::unique_ptr<File>> OpenFile(absl::string_view path,
                                                 FileOpenMode mode) override {
    int flags = O_CLOEXEC;
    switch (mode) {
      case FileOpenMode::kReadOnly:
        flags |= O_RDONLY;
        break;
      case FileOpenMode::kReadWrite:
        flags |= O_RDWR;
        break;
      case FileOpenMode::kCreate:
        flags |= O_RDWR | O_CREAT;
        break;
    }
    std::string p = Str(path);
    int fd;
    do {
      fd = ::open(p.c_str(), flags, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return PosixError(p, errno);
    return std::unique_ptr<File>(new PosixFile(std::move(p), fd));
  }

  absl::Status CreateDir(absl::string_view path) override {
    const std::string p = Str(path);
    if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) {
      return PosixError(p + ": mkdir", errno);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(
      absl::string_view path) override {
    const std::string p = Str(path);
    DIR* d = ::opendir(p.c_str());
    if (d == nullptr) return PosixError(p, errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
        continue;
      names.emplace_back(e->d_name);
    }
    ::closedir(d);
    return names;
  }

  absl::StatusOr<bool> FileExists(absl::string_view path) override {
    const std::string p = Str(path);
    if (::access(p.c_str(), F_OK) == 0) return true;
    if (errno == ENOENT) return false;
    return PosixError(p, errno);
  }

  absl::Status RemoveFile(absl::string_view path) override {
    const std::string p = Str(path);
    if (::unlink(p.c_str()) != 0) return PosixError(p + ": unlink", errno);
    return absl::OkStatus();
  }

  absl::Status RenameFile(absl::string_view from,
                          absl::string_view to) override {
    const std::string f = Str(from), t = Str(to);
    if (::rename(f.c_str(), t.c_str()) != 0) {
      return PosixError(absl::StrCat(f, ": rename to ", t), errno);
    }
    return absl::OkStatus();
  }

  absl::Status SyncDir(absl::string_view path) override {
    const std::string p = Str(path);
    const int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(p, errno);
    const int r = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (r != 0) return PosixError(p + ": fsync", error);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(absl::string_view path,
                                                     bool shared) override {
    const std::string p = Str(path);
    const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(p, errno);
    // flock locks belong to the open file description, so a second open in
    // this process conflicts too (fcntl locks would not).
    if (::flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK) {
        return absl::FailedPreconditionError(
            absl::StrCat(p, ": locked by another process or stream"));
      }
      return PosixError(p + ": flock", error);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

}  // namespace

Env::~Env() = default;
File::~File() = default;
MappedRegion::~MappedRegion() = default;
FileLock::~FileLock() = default;

Env* Env::Default() {
  static Env* const env = new PosixEnv();  // never destroyed
  return env;
}

}  // namespace brook
