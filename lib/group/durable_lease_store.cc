// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The durable lease store: one file per lease in <stream dir>/groups/<group>/,
// each replaced atomically (lease_file.h), every change made under an
// exclusive flock(2) of the group's LOCK file so that compare-and-set holds
// across processes. Why one file per lease and not one file per group: a
// checkpoint, the most frequent change, then rewrites a few hundred bytes
// rather than every lease of the group.
//
// Lock order: DurableLeaseStore::mu_, then the flock of LOCK.

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "brook/env.h"
#include "brook/lease.h"

#include "group/lease_file.h"
#include "group/lease_internal.h"
#include "util/mutex.h"
#include "util/status_macros.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace brook {
namespace internal {
namespace {

absl::Status ErrnoError(absl::string_view context, int error) {
  const std::string message = absl::StrCat(context, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(message);
    case ENOSPC:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

class DurableLeaseStore final : public LeaseStore {
 public:
  DurableLeaseStore(Env* env, std::string dir, int lock_fd, bool sync)
      : env_(env), dir_(std::move(dir)), lock_fd_(lock_fd), sync_(sync) {}
  ~DurableLeaseStore() override { ::close(lock_fd_); }

  absl::Status CreateLeaseIfNotExists(const Lease& lease) override {
    BROOK_RETURN_IF_ERROR(ValidateLease(lease));
    MutexLock lock(&mu_);
    BROOK_RETURN_IF_ERROR(LockGroup());
    absl::Status s = CreateLocked(lease);
    UnlockGroup();
    return s;
  }

  absl::StatusOr<Lease> GetLease(absl::string_view lease_key) override {
    BROOK_RETURN_IF_ERROR(ValidateLeaseKey(lease_key));
    return ReadLeaseFile(env_, dir_, lease_key);
  }

  absl::StatusOr<std::vector<Lease>> ListLeases() override {
    BROOK_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir_));
    std::sort(names.begin(), names.end());
    std::vector<Lease> leases;
    leases.reserve(names.size());
    for (const std::string& name : names) {
      if (!absl::EndsWith(name, kLeaseFileSuffix)) continue;
      const absl::string_view key = absl::string_view(name).substr(
          0, name.size() - kLeaseFileSuffix.size());
      if (!ValidateLeaseKey(key).ok()) {
        return absl::DataLossError(absl::StrCat(
            "lease file ", dir_, "/", name, ": not a lease key's file name"));
      }
      absl::StatusOr<Lease> lease = ReadLeaseFile(env_, dir_, key);
      if (absl::IsNotFound(lease.status())) continue;  // deleted meanwhile
      if (!lease.ok()) return lease.status();
      leases.push_back(*std::move(lease));
    }
    // The file name order is the key order except where '.' (before "lease")
    // meets other characters; sort by key.
    std::sort(leases.begin(), leases.end(), [](const Lease& a, const Lease& b) {
      return a.lease_key < b.lease_key;
    });
    return leases;
  }

  absl::StatusOr<Lease> UpdateLease(absl::string_view lease_key,
                                    int64_t expected_counter,
                                    const LeaseMutation& mutate) override {
    BROOK_RETURN_IF_ERROR(ValidateLeaseKey(lease_key));
    MutexLock lock(&mu_);
    BROOK_RETURN_IF_ERROR(LockGroup());
    absl::StatusOr<Lease> s = UpdateLocked(lease_key, expected_counter, mutate);
    UnlockGroup();
    return s;
  }

  absl::Status DeleteLease(const Lease& expected) override {
    BROOK_RETURN_IF_ERROR(ValidateLeaseKey(expected.lease_key));
    MutexLock lock(&mu_);
    BROOK_RETURN_IF_ERROR(LockGroup());
    absl::Status s = DeleteLocked(expected);
    UnlockGroup();
    return s;
  }

 private:
  absl::Status LockGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (::flock(lock_fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        return ErrnoError(absl::StrCat(dir_, "/LOCK: flock"), errno);
      }
    }
    return absl::OkStatus();
  }
  void UnlockGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ::flock(lock_fd_, LOCK_UN);  // cannot fail on a valid descriptor
  }

  absl::Status CreateLocked(const Lease& lease)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::StatusOr<bool> exists =
        env_->FileExists(LeaseFilePath(dir_, lease.lease_key));
    if (!exists.ok()) return exists.status();
    if (*exists) {
      return absl::AlreadyExistsError(
          absl::StrCat("lease ", lease.lease_key, ": already exists"));
    }
    return WriteLeaseFile(env_, dir_, lease, sync_);
  }

  absl::StatusOr<Lease> UpdateLocked(absl::string_view lease_key,
                                     int64_t expected_counter,
                                     const LeaseMutation& mutate)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    BROOK_ASSIGN_OR_RETURN(const Lease stored,
                           ReadLeaseFile(env_, dir_, lease_key));
    BROOK_ASSIGN_OR_RETURN(
        Lease updated, ApplyLeaseMutation(stored, expected_counter, mutate));
    BROOK_RETURN_IF_ERROR(WriteLeaseFile(env_, dir_, updated, sync_));
    return updated;
  }

  absl::Status DeleteLocked(const Lease& expected)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    BROOK_ASSIGN_OR_RETURN(const Lease stored,
                           ReadLeaseFile(env_, dir_, expected.lease_key));
    BROOK_RETURN_IF_ERROR(
        ApplyLeaseMutation(stored, expected.lease_counter, [](Lease&) {
          return absl::OkStatus();
        }).status());
    BROOK_RETURN_IF_ERROR(
        env_->RemoveFile(LeaseFilePath(dir_, expected.lease_key)));
    if (sync_) BROOK_RETURN_IF_ERROR(env_->SyncDir(dir_));
    return absl::OkStatus();
  }

  Env* const env_;
  const std::string dir_;  // <stream dir>/groups/<group>
  const int lock_fd_;      // <dir>/LOCK, flock'd during each change
  const bool sync_;
  // Serialises this object's changes: the flock belongs to the open file
  // description, which all threads of this object share.
  Mutex mu_;
};

}  // namespace
}  // namespace internal

absl::StatusOr<std::unique_ptr<LeaseStore>> OpenDurableLeaseStore(
    absl::string_view stream_dir, absl::string_view group_name,
    const DurableLeaseStoreOptions& options) {
  BROOK_RETURN_IF_ERROR(ValidateGroupName(group_name));
  Env* env = options.env != nullptr ? options.env : Env::Default();
  absl::StatusOr<bool> exists = env->FileExists(stream_dir);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    return absl::NotFoundError(
        absl::StrCat("stream directory ", stream_dir, ": not found"));
  }
  const std::string groups = absl::StrCat(stream_dir, "/groups");
  const std::string dir = absl::StrCat(groups, "/", group_name);
  BROOK_RETURN_IF_ERROR(env->CreateDir(groups));
  BROOK_RETURN_IF_ERROR(env->CreateDir(dir));
  const std::string lock_path = absl::StrCat(dir, "/LOCK");
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return internal::ErrnoError(lock_path, errno);
  if (options.sync) {
    absl::Status s = env->SyncDir(groups);
    if (s.ok()) s = env->SyncDir(dir);
    if (!s.ok()) {
      ::close(fd);
      return s;
    }
  }
  return std::unique_ptr<LeaseStore>(
      new internal::DurableLeaseStore(env, dir, fd, options.sync));
}

}  // namespace brook
