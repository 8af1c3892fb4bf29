// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The DynamoDB lease store over AwsJsonClient (JSON 1.0, DynamoDB_20120810),
// and the mapping between a `Lease` and a DynamoDB item in KCL's lease table
// schema. Tests build a store on a fake transport.
//
// Thread safety: the store's methods may run concurrently; the item
// functions are pure.

#ifndef BROOK_LIB_REMOTE_DYNAMODB_LEASE_STORE_IMPL_H_
#define BROOK_LIB_REMOTE_DYNAMODB_LEASE_STORE_IMPL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/dynamodb_lease_store.h"
#include "brook/lease.h"

#include "remote/aws_json_client.h"
#include <nlohmann/json.hpp>

namespace brook {
namespace internal {

// The item (attribute name -> typed value) that stores `lease`: every
// attribute the header lists, absent ones left out.
nlohmann::json LeaseToItem(const Lease& lease);

// The lease an item stores; kDataLoss naming `table` and the key when an
// attribute brook reads is missing or malformed. Unknown attributes are
// ignored.
absl::StatusOr<Lease> LeaseFromItem(const nlohmann::json& item,
                                    absl::string_view table);

// The UpdateItem request that stores `lease` in `table` if the stored item's
// counter is `expected_counter`: SET of every present attribute, REMOVE of
// every absent one (attributes brook does not know stay as they are).
nlohmann::json LeaseUpdateRequest(absl::string_view table, const Lease& lease,
                                  int64_t expected_counter);

// Whether two leases are equal in every field.
bool SameLease(const Lease& a, const Lease& b);

// A store over `transport`. Sends nothing; `EnsureTable()` checks (and
// creates) the table.
class DynamoDbLeaseStore final : public LeaseStore {
 public:
  DynamoDbLeaseStore(const DynamoDbLeaseStoreOptions& options, AwsConfig config,
                     std::unique_ptr<HttpTransport> transport);

  // What `OpenDynamoDbLeaseStore()` does after resolving the configuration.
  absl::Status EnsureTable();

  absl::Status CreateLeaseIfNotExists(const Lease& lease) override;
  absl::StatusOr<Lease> GetLease(absl::string_view lease_key) override;
  absl::StatusOr<std::vector<Lease>> ListLeases() override;
  absl::StatusOr<Lease> UpdateLease(absl::string_view lease_key,
                                    int64_t expected_counter,
                                    const LeaseMutation& mutate) override;
  absl::Status DeleteLease(const Lease& expected) override;

 private:
  // The status for a write whose condition on `expected_counter` failed:
  // reads the lease again; kNotFound if it is gone, else kAborted naming
  // both counters.
  absl::Status LostRace(absl::string_view lease_key, int64_t expected_counter,
                        absl::StatusOr<Lease>* stored);

  const DynamoDbLeaseStoreOptions options_;
  Env* const env_;
  AwsJsonClient json_;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_REMOTE_DYNAMODB_LEASE_STORE_IMPL_H_
