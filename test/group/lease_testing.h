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

#ifdef BROOK_LEASE_TEST_DYNAMODB
#include "brook/dynamodb_lease_store.h"

#include "remote/dynalite.h"
#endif

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

// The stores the contract tests (lease_store_test.cc) run against. That file
// is compiled into brook_group_tests for the memory and durable stores, and
// into brook_remote_tests with BROOK_LEASE_TEST_DYNAMODB for the DynamoDB
// store on dynalite (test/remote/dynalite.h), its test names prefixed
// apart.
enum class StoreKind { kMemory, kDurable, kDynamoDb };

inline const char* StoreKindName(StoreKind kind) {
  switch (kind) {
    case StoreKind::kMemory:
      return "memory";
    case StoreKind::kDurable:
      return "durable";
    case StoreKind::kDynamoDb:
      return "dynamodb";
  }
  return "?";
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

#ifdef BROOK_LEASE_TEST_DYNAMODB
#define BROOK_LEASE_STORE_KINDS ::brook::testing::StoreKind::kDynamoDb
#define BROOK_LEASE_TEST_NAME(name) "DynamoDbLeaseStore: " name
#else
#define BROOK_LEASE_STORE_KINDS \
  ::brook::testing::StoreKind::kMemory, ::brook::testing::StoreKind::kDurable
#define BROOK_LEASE_TEST_NAME(name) "LeaseStore: " name
#endif

// A store of `kind` into `var`; for the DynamoDB store, a new table of the
// shared dynalite server, or, when dynalite is not installed, a printed reason
// and the test case left (a skip).
inline std::unique_ptr<LeaseStore> NewStoreOfKind(StoreKind kind,
                                                  const TempDir& dir,
                                                  std::string* skip) {
#ifdef BROOK_LEASE_TEST_DYNAMODB
  if (kind == StoreKind::kDynamoDb) {
    Dynalite* server = SharedDynalite(skip);
    if (server == nullptr) return nullptr;
    absl::StatusOr<std::unique_ptr<LeaseStore>> store =
        OpenDynamoDbLeaseStore(server->StoreOptions());
    BROOK_REQUIRE_OK(store);
    return *std::move(store);
  }
#endif
  (void)skip;
  return NewStoreOfKind(kind == StoreKind::kDurable, dir);
}

}  // namespace testing
}  // namespace brook

#define BROOK_NEW_LEASE_STORE_OR_SKIP(var, kind, dir)           \
  std::string var##_skip;                                       \
  std::unique_ptr<::brook::LeaseStore> var =                    \
      ::brook::testing::NewStoreOfKind(kind, dir, &var##_skip); \
  if (var == nullptr) {                                         \
    WARN("SKIPPED: " << var##_skip);                            \
    return;                                                     \
  }

#endif  // BROOK_TEST_GROUP_LEASE_TESTING_H_
