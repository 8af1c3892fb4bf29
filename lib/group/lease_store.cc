// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The changes every LeaseStore offers, built on UpdateLease(); the checks all
// stores share; and the memory store.

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

#include "brook/lease.h"

#include "group/lease_internal.h"
#include "util/mutex.h"

namespace brook {
namespace internal {
namespace {

bool IsLeaseKeyChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-';
}

absl::Status ValidateOwner(const Lease& lease, absl::string_view field,
                           absl::string_view owner) {
  if (owner.size() > kMaxLeaseOwnerBytes ||
      owner.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lease ", lease.lease_key, ": ", field, " \"", owner,
        "\" must be at most ", kMaxLeaseOwnerBytes, " bytes without NUL"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRate(const Lease& lease, absl::string_view field,
                          double rate) {
  if (!std::isfinite(rate) || rate < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease ", lease.lease_key, ": ", field, " ", rate,
                     " must be finite and not negative"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLease(const Lease& lease) {
  absl::Status s = ValidateLeaseKey(lease.lease_key);
  if (!s.ok()) return s;
  s = ValidateOwner(lease, "leaseOwner", lease.lease_owner);
  if (!s.ok()) return s;
  s = ValidateOwner(lease, "checkpointOwner", lease.checkpoint_owner);
  if (!s.ok()) return s;
  if (lease.lease_counter < 0 || lease.owner_switches_since_checkpoint < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lease ", lease.lease_key, ": leaseCounter ", lease.lease_counter,
        " and ownerSwitchesSinceCheckpoint ",
        lease.owner_switches_since_checkpoint, " must not be negative"));
  }
  for (const auto* ids : {&lease.parent_shard_ids, &lease.child_shard_ids}) {
    for (const std::string& id : *ids) {
      s = ValidateLeaseKey(id);
      if (!s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "lease ", lease.lease_key, ": related shard: ", s.message()));
      }
    }
  }
  s = ValidateRate(lease, "records per second",
                   lease.throughput_records_per_second);
  if (!s.ok()) return s;
  return ValidateRate(lease, "bytes per second",
                      lease.throughput_bytes_per_second);
}

absl::StatusOr<Lease> ApplyLeaseMutation(const Lease& stored,
                                         int64_t expected_counter,
                                         const LeaseMutation& mutate) {
  if (stored.lease_counter != expected_counter) {
    return absl::AbortedError(absl::StrCat(
        "lease ", stored.lease_key, ": leaseCounter is ", stored.lease_counter,
        ", expected ", expected_counter, " (changed by another worker)"));
  }
  if (stored.lease_counter == std::numeric_limits<int64_t>::max()) {
    return absl::OutOfRangeError(absl::StrCat(
        "lease ", stored.lease_key, ": leaseCounter cannot grow any more"));
  }
  Lease updated = stored;
  absl::Status s = mutate(updated);
  if (!s.ok()) return s;
  if (updated.lease_key != stored.lease_key ||
      updated.lease_counter != stored.lease_counter) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease ", stored.lease_key,
                     ": an update may not change leaseKey or leaseCounter"));
  }
  s = ValidateLease(updated);
  if (!s.ok()) return s;
  updated.lease_counter = stored.lease_counter + 1;
  return updated;
}

namespace {

// The memory store: a map under one mutex.
class MemoryLeaseStore final : public LeaseStore {
 public:
  absl::Status CreateLeaseIfNotExists(const Lease& lease) override {
    absl::Status s = ValidateLease(lease);
    if (!s.ok()) return s;
    MutexLock lock(&mu_);
    if (!leases_.emplace(lease.lease_key, lease).second) {
      return absl::AlreadyExistsError(
          absl::StrCat("lease ", lease.lease_key, ": already exists"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Lease> GetLease(absl::string_view lease_key) override {
    absl::Status s = ValidateLeaseKey(lease_key);
    if (!s.ok()) return s;
    MutexLock lock(&mu_);
    auto it = leases_.find(lease_key);
    if (it == leases_.end()) return NotFound(lease_key);
    return it->second;
  }

  absl::StatusOr<std::vector<Lease>> ListLeases() override {
    MutexLock lock(&mu_);
    std::vector<Lease> leases;
    leases.reserve(leases_.size());
    for (const auto& entry : leases_) leases.push_back(entry.second);
    return leases;
  }

  absl::StatusOr<Lease> UpdateLease(absl::string_view lease_key,
                                    int64_t expected_counter,
                                    const LeaseMutation& mutate) override {
    absl::Status s = ValidateLeaseKey(lease_key);
    if (!s.ok()) return s;
    MutexLock lock(&mu_);
    auto it = leases_.find(lease_key);
    if (it == leases_.end()) return NotFound(lease_key);
    absl::StatusOr<Lease> updated =
        ApplyLeaseMutation(it->second, expected_counter, mutate);
    if (updated.ok()) it->second = *updated;
    return updated;
  }

  absl::Status DeleteLease(const Lease& expected) override {
    absl::Status s = ValidateLeaseKey(expected.lease_key);
    if (!s.ok()) return s;
    MutexLock lock(&mu_);
    auto it = leases_.find(expected.lease_key);
    if (it == leases_.end()) return NotFound(expected.lease_key);
    absl::StatusOr<Lease> checked =
        ApplyLeaseMutation(it->second, expected.lease_counter,
                           [](Lease&) { return absl::OkStatus(); });
    if (!checked.ok()) return checked.status();
    leases_.erase(it);
    return absl::OkStatus();
  }

 private:
  static absl::Status NotFound(absl::string_view lease_key) {
    return absl::NotFoundError(
        absl::StrCat("lease ", lease_key, ": not found"));
  }

  Mutex mu_;
  std::map<std::string, Lease, std::less<>> leases_ ABSL_GUARDED_BY(mu_);
};

}  // namespace
}  // namespace internal

LeaseStore::~LeaseStore() = default;

absl::StatusOr<Lease> LeaseStore::TakeLease(const Lease& expected,
                                            absl::string_view new_owner) {
  if (new_owner.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease ", expected.lease_key, ": empty new owner"));
  }
  return UpdateLease(expected.lease_key, expected.lease_counter,
                     [new_owner](Lease& lease) {
                       if (lease.lease_owner != new_owner) {
                         lease.lease_owner = std::string(new_owner);
                         ++lease.owner_switches_since_checkpoint;
                       }
                       lease.checkpoint_owner.clear();
                       return absl::OkStatus();
                     });
}

absl::StatusOr<Lease> LeaseStore::RenewLease(const Lease& expected) {
  return UpdateLease(
      expected.lease_key, expected.lease_counter, [](Lease& lease) {
        if (!lease.has_owner()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "lease ", lease.lease_key, ": has no owner to renew it"));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<Lease> LeaseStore::EvictLease(const Lease& expected) {
  return UpdateLease(expected.lease_key, expected.lease_counter,
                     [](Lease& lease) {
                       lease.lease_owner.clear();
                       lease.checkpoint_owner.clear();
                       return absl::OkStatus();
                     });
}

absl::StatusOr<Lease> LeaseStore::UpdateCheckpoint(
    const Lease& expected, const ExtendedSequenceNumber& checkpoint) {
  return UpdateLease(
      expected.lease_key, expected.lease_counter, [&checkpoint](Lease& lease) {
        if (checkpoint < lease.checkpoint) {
          return absl::InvalidArgumentError(absl::StrCat(
              "lease ", lease.lease_key, ": checkpoint ",
              checkpoint.DebugString(), " is before the stored checkpoint ",
              lease.checkpoint.DebugString(),
              " (checkpoints only move "
              "forward)"));
        }
        lease.checkpoint = checkpoint;
        lease.has_pending_checkpoint = false;
        lease.pending_checkpoint = ExtendedSequenceNumber();
        lease.owner_switches_since_checkpoint = 0;
        return absl::OkStatus();
      });
}

absl::StatusOr<Lease> LeaseStore::UpdateChildShards(
    const Lease& expected, std::vector<std::string> child_shard_ids) {
  std::sort(child_shard_ids.begin(), child_shard_ids.end());
  child_shard_ids.erase(
      std::unique(child_shard_ids.begin(), child_shard_ids.end()),
      child_shard_ids.end());
  return UpdateLease(expected.lease_key, expected.lease_counter,
                     [&child_shard_ids](Lease& lease) {
                       lease.child_shard_ids = child_shard_ids;
                       return absl::OkStatus();
                     });
}

absl::StatusOr<Lease> LeaseStore::UpdateThroughput(const Lease& expected,
                                                   double records_per_second,
                                                   double bytes_per_second) {
  return UpdateLease(expected.lease_key, expected.lease_counter,
                     [=](Lease& lease) {
                       lease.throughput_records_per_second = records_per_second;
                       lease.throughput_bytes_per_second = bytes_per_second;
                       return absl::OkStatus();
                     });
}

absl::Status ValidateLeaseKey(absl::string_view lease_key) {
  const bool ok =
      !lease_key.empty() && lease_key.size() <= 256 && lease_key[0] != '.' &&
      std::all_of(lease_key.begin(), lease_key.end(), internal::IsLeaseKeyChar);
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "lease key \"", lease_key,
      "\": must be 1 to 256 characters of [A-Za-z0-9_.:-], not starting "
      "with '.'"));
}

absl::Status ValidateGroupName(absl::string_view group_name) {
  const bool chars_ok =
      std::all_of(group_name.begin(), group_name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
               (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
      });
  const bool all_dots =
      group_name.find_first_not_of('.') == absl::string_view::npos;
  if (chars_ok && !all_dots && group_name.size() >= 3 &&
      group_name.size() <= 255) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "consumer group name \"", group_name,
      "\": must be 3 to 255 characters of [A-Za-z0-9_.-], not all dots"));
}

std::unique_ptr<LeaseStore> NewMemoryLeaseStore() {
  return std::make_unique<internal::MemoryLeaseStore>();
}

}  // namespace brook
