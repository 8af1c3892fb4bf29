// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Where the consumer-group tests keep their leases (issue 14): one memory
// store, or, in a test file compiled with BROOK_GROUP_TEST_DYNAMODB (into
// brook_remote_tests, see test/remote/CMakeLists.txt), a new DynamoDB table
// on the shared dynalite server (test/remote/dynalite.h) with a store of its
// own for each worker, as workers in separate processes would have. So the
// group's failover, handoff and ordering tests run on both stores, their
// names prefixed apart (`BROOK_GROUP_TEST_NAME`).
//
// Thread safety: a `GroupLeaseTable` is used from the test's thread; the
// stores it hands out are `LeaseStore`s (thread-safe).

#ifndef BROOK_TEST_GROUP_GROUP_LEASE_TABLE_H_
#define BROOK_TEST_GROUP_GROUP_LEASE_TABLE_H_

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/lease.h"

#include "testing/status_testing.h"

#ifdef BROOK_GROUP_TEST_DYNAMODB
#include "brook/dynamodb_lease_store.h"

#include "remote/dynalite.h"
#endif

#ifdef BROOK_GROUP_TEST_DYNAMODB
#define BROOK_GROUP_TEST_NAME(name) "DynamoDbLeases: " name
#else
#define BROOK_GROUP_TEST_NAME(name) name
#endif

namespace brook {
namespace testing {
// The two builds of what follows differ; their own inline namespaces keep
// them apart should one binary ever hold both.
#ifdef BROOK_GROUP_TEST_DYNAMODB
inline namespace dynamodb_leases {
#else
inline namespace memory_leases {
#endif

// Why the lease table of this build cannot be opened (dynalite is not
// installed: the test should skip), or empty.
inline std::string GroupLeaseTableSkipReason() {
#ifdef BROOK_GROUP_TEST_DYNAMODB
  std::string why;
  if (SharedDynalite(&why) == nullptr) {
    return why.empty() ? std::string("dynalite did not start") : why;
  }
#endif
  return "";
}

class GroupLeaseTable {
 public:
  // Opens the table and its first store (the test's own). REQUIRES:
  // `GroupLeaseTableSkipReason()` is empty (the test fails here otherwise).
  GroupLeaseTable() {
#ifdef BROOK_GROUP_TEST_DYNAMODB
    std::string why;
    Dynalite* server = SharedDynalite(&why);
    INFO(why);
    REQUIRE(server != nullptr);
    options_ = server->StoreOptions();  // a new table
#endif
    stores_.push_back(Open());
  }
  GroupLeaseTable(const GroupLeaseTable&) = delete;
  GroupLeaseTable& operator=(const GroupLeaseTable&) = delete;

  // The test's store: for reading and changing leases behind the workers.
  LeaseStore* store() const { return stores_.front().get(); }

  // A store for one more worker: on DynamoDB another client of the same
  // table; in memory the one store (a memory store is its own table). Valid
  // as long as this table: destroy the workers first.
  LeaseStore* WorkerStore() {
#ifdef BROOK_GROUP_TEST_DYNAMODB
    stores_.push_back(Open());
    return stores_.back().get();
#else
    return store();
#endif
  }

 private:
  std::unique_ptr<LeaseStore> Open() {
#ifdef BROOK_GROUP_TEST_DYNAMODB
    absl::StatusOr<std::unique_ptr<LeaseStore>> store =
        OpenDynamoDbLeaseStore(options_);
    BROOK_REQUIRE_OK(store);
    return *std::move(store);
#else
    return NewMemoryLeaseStore();
#endif
  }

#ifdef BROOK_GROUP_TEST_DYNAMODB
  DynamoDbLeaseStoreOptions options_;
#endif
  std::vector<std::unique_ptr<LeaseStore>> stores_;
};

}  // namespace dynamodb_leases / memory_leases
}  // namespace testing
}  // namespace brook

// Leaves the test case with the reason printed (a skip) when this build's
// lease table cannot be opened; nothing in the memory build.
#define BROOK_GROUP_LEASE_TABLE_OR_SKIP()              \
  do {                                                 \
    const std::string brook_skip_why =                 \
        ::brook::testing::GroupLeaseTableSkipReason(); \
    if (!brook_skip_why.empty()) {                     \
      WARN("SKIPPED: " << brook_skip_why);             \
      return;                                          \
    }                                                  \
  } while (false)

#endif  // BROOK_TEST_GROUP_GROUP_LEASE_TABLE_H_
