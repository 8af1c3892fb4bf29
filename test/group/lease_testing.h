// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Helpers for lease tests: leases with hash ranges, and a store of either
// kind for tests that every store must pass.

#ifndef BROOK_TEST_GROUP_LEASE_TESTING_H_
#define BROOK_TEST_GROUP_LEASE_TESTING_H_

#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include <catch2/catch.hpp>

#include "brook/lease.h"
#include "brook/partitioner.h"

#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace testing {

inline std::string ShardKey(int n) {
  return absl::StrFormat("shardId-%012d", n);
}

// Lease `n` covering range `i` of `of` uniform ranges.
inline Lease MakeLease(int n, int i = 0, int of = 1) {
  Lease lease;
  lease.lease_key = ShardKey(n);
  lease.hash_key_range = UniformHashKeyRanges(of)[static_cast<size_t>(i)];
  return lease;
}

// A store of the kind a test case is generated for; `dir` keeps the durable
// one's files.
inline std::unique_ptr<LeaseStore> NewStoreOfKind(bool durable,
                                                  const TempDir& dir) {
  if (!durable) return NewMemoryLeaseStore();
  absl::StatusOr<std::unique_ptr<LeaseStore>> store =
      OpenDurableLeaseStore(dir.path(), "app", DurableLeaseStoreOptions());
  BROOK_REQUIRE_OK(store);
  return *std::move(store);
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_GROUP_LEASE_TESTING_H_
