// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What every lease store shares: checking a lease before it is stored, and
// applying a compare-and-set change to a stored lease.
//
// Thread safety: pure functions.

#ifndef BROOK_LIB_GROUP_LEASE_INTERNAL_H_
#define BROOK_LIB_GROUP_LEASE_INTERNAL_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "brook/lease.h"

namespace brook {
namespace internal {

// Longest `Lease::lease_owner` and `checkpoint_owner`, in bytes.
inline constexpr size_t kMaxLeaseOwnerBytes = 256;

// OK if `lease` may be stored: valid key and owners, counter and owner
// switches not negative, throughput finite and not negative, parent and child
// ids valid lease keys. Else kInvalidArgument naming the lease and field.
absl::Status ValidateLease(const Lease& lease);

// The lease that a compare-and-set of `stored` expecting `expected_counter`
// with `mutate` stores: kAborted if the counter differs, else `mutate`'s
// error, kInvalidArgument if it changed the key or counter or left an invalid
// lease, else the mutated lease with the counter one higher.
absl::StatusOr<Lease> ApplyLeaseMutation(const Lease& stored,
                                         int64_t expected_counter,
                                         const LeaseMutation& mutate);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_GROUP_LEASE_INTERNAL_H_
