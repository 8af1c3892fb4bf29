// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Consumer-group workers sharing a DynamoDB lease table (on dynalite) over a
// memory stream: a dead worker's lease fails over to the other, which
// resumes after the dead one's checkpoint. The workers' clock is the
// manual one of TestGroup; the store signs with the real clock.

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/consumer_group.h"
#include "brook/dynamodb_lease_store.h"
#include "brook/lease.h"

#include "group/worker_testing.h"
#include "remote/dynalite.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::Shard;
using testing::TestGroup;

TEST_CASE(
    "DynamoDbLeaseStore: a dead worker's shard fails over to the other "
    "worker, which resumes after its checkpoint",
    "[remote]") {
  BROOK_START_DYNALITE_OR_SKIP(dynalite);
  const DynamoDbLeaseStoreOptions options = dynalite->StoreOptions();
  // Each worker has its own store on the one table, as two processes would.
  absl::StatusOr<std::unique_ptr<LeaseStore>> store_a =
      OpenDynamoDbLeaseStore(options);
  BROOK_REQUIRE_OK(store_a);
  absl::StatusOr<std::unique_ptr<LeaseStore>> store_b =
      OpenDynamoDbLeaseStore(options);
  BROOK_REQUIRE_OK(store_b);

  TestGroup group(1);
  std::vector<std::string> produced = group.PutMany("a", 5);
  std::unique_ptr<Worker> a =
      group.NewWorker(group.Options("a"), store_a->get());
  std::unique_ptr<Worker> b =
      group.NewWorker(group.Options("b"), store_b->get());
  group.Round({a.get(), b.get()});
  REQUIRE(a->Stats().shards.size() == 1);
  CHECK(b->Stats().shards.empty());
  std::vector<std::string> later = group.PutMany("b", 5);
  a->Abort();  // dies: nothing more written

  // Before the failover time b leaves the lease alone; after it, b takes it.
  for (int i = 0; i < 9; ++i) group.Round({b.get()});
  CHECK(b->Stats().shards.empty());
  for (int i = 0; i < 3; ++i) group.Round({b.get()});
  REQUIRE(b->Stats().shards.size() == 1);

  // Every record once: a checkpointed its batch, b resumed after it.
  produced.insert(produced.end(), later.begin(), later.end());
  CHECK(group.log().Data() == produced);
  for (const testing::Delivery& d : group.log().deliveries()) {
    CHECK(d.worker == (d.data[0] == 'a' ? "a" : "b"));
  }
  absl::StatusOr<Lease> lease = (*store_a)->GetLease(Shard(0));
  BROOK_REQUIRE_OK(lease);
  CHECK(lease->lease_owner == "b");
  CHECK(lease->checkpoint.is_sequence_number());
}

}  // namespace
}  // namespace brook
