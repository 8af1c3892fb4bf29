// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A `LeaseStore` kept in an Amazon DynamoDB table with the schema of the
// Kinesis Client Library's lease table, so brook workers can share one table
// (and, attribute for attribute, the leases' meaning) the way KCL workers do.
//
// The table: hash key `leaseKey` (a string, the shard id), on-demand billing;
// one item per lease with the attributes `Lease` names: leaseOwner (absent
// when nobody owns the lease), leaseCounter, checkpoint,
// checkpointSubSequenceNumber, pendingCheckpoint and
// pendingCheckpointSubSequenceNumber (absent when none), checkpointOwner
// (absent when empty), ownerSwitchesSinceCheckpoint, parentShardId and
// childShardIds (string sets, absent when empty), startingHashKey and
// endingHashKey (decimal strings) and throughputKBps (KCL 3.x). brook adds
// three attributes KCL ignores: checkpointTimestampMillis (the time of an
// AT_TIMESTAMP checkpoint), throughputRecordsPerSecond and
// throughputBytesPerSecond. Attributes brook does not know are left as they
// are by every change.
//
// Consistency: reads are strongly consistent (GetItem and Scan with
// ConsistentRead). Every change is one conditional write: creation is a
// PutItem on `attribute_not_exists(leaseKey)`, a change an UpdateItem and a
// deletion a DeleteItem on `leaseCounter = <the counter the caller saw>`. A
// failed condition (ConditionalCheckFailedException) is the lost race of
// `LeaseStore`: kAborted naming the stored and the expected counter, or
// kNotFound if the lease is gone, or kAlreadyExists for a creation. So
// compare-and-set holds across processes and machines exactly as across
// threads.
//
// Errors, besides those `LeaseStore` lists: the DynamoDB client's
// (see `kinesis_client.h`: kUnavailable when the endpoint does not answer or
// keeps failing until `retry_deadline`, kResourceExhausted when throttled
// until then, kNotFound when the table does not exist, kPermissionDenied,
// kUnauthenticated), each message naming the operation
// ("dynamodb UpdateItem: ..."). A change that fails so may or may not have
// been made; read the lease again. An item that is not a valid lease (an
// unparsable checkpoint, a counter that is not an integer, a missing
// leaseCounter) is kDataLoss naming the table and key.
//
// Thread safety: every method may be called concurrently; connections are
// pooled. Lifetime: the store owns its connections; leases returned are
// values.
//
// Example:
//   brook::DynamoDbLeaseStoreOptions options;
//   options.table_name = "my-app";
//   options.aws.endpoint_url = "http://127.0.0.1:4568";  // e.g. dynalite
//   absl::StatusOr<std::unique_ptr<brook::LeaseStore>> store =
//       brook::OpenDynamoDbLeaseStore(options);

#ifndef BROOK_DYNAMODB_LEASE_STORE_H_
#define BROOK_DYNAMODB_LEASE_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "brook/aws_config.h"
#include "brook/env.h"
#include "brook/export.h"
#include "brook/lease.h"

namespace brook {

// The timeouts, retries and clock (`request_timeout`, `connect_timeout`,
// `retry_deadline`, `initial_backoff`, `max_backoff`, `env`) are
// `AwsRequestOptions`' (aws_config.h), documented there. Here, `env` also
// times the wait for the table, and must outlive the store. On
// `retry_deadline`: a conditional write retried after its first attempt was
// applied finds its condition failed. For a change, the store then reads the
// lease back, and if it holds exactly what the change stored (counter
// included), returns it as a success (so two callers making the very same
// change, same owner included, at one counter may both succeed); a creation
// returns kAlreadyExists and a deletion kNotFound.
struct DynamoDbLeaseStoreOptions : AwsRequestOptions {
  // The lease table (KCL names it after the application): 3 to 255
  // characters of [A-Za-z0-9_.-] (see `ValidateGroupName()`). Required.
  std::string table_name;
  // Region, endpoint, profile and credentials (see `ResolveAwsConfig()`; the
  // service is "dynamodb", so AWS_ENDPOINT_URL_DYNAMODB applies and the
  // default endpoint is https://dynamodb.<region>.amazonaws.com).
  AwsConfigOptions aws;
  // Whether opening creates the table (on-demand billing) when it does not
  // exist, and waits until it is ACTIVE. False: a missing table is
  // kNotFound. Default: true.
  bool create_table_if_missing = true;
  // How long opening waits for the table to become ACTIVE before it returns
  // kDeadlineExceeded. Default: 5 minutes (DynamoDB takes seconds to a
  // minute).
  absl::Duration table_active_timeout = absl::Minutes(5);
};

// OpenDynamoDbLeaseStore()
//
// Resolves the configuration, then checks the table (DescribeTable),
// creating it and waiting for ACTIVE if it is missing and
// `create_table_if_missing`. Returns kInvalidArgument for a bad table name
// (naming it), request options (`ValidateAwsRequestOptions()`) or
// configuration (`ResolveAwsConfig()`'s errors), kNotFound for
// a missing table it may not create, kFailedPrecondition if the table's hash
// key is not the string `leaseKey`, kDeadlineExceeded if it is not ACTIVE in
// time, or the client's errors above.
BROOK_EXPORT absl::StatusOr<std::unique_ptr<LeaseStore>> OpenDynamoDbLeaseStore(
    const DynamoDbLeaseStoreOptions& options);

}  // namespace brook

#endif  // BROOK_DYNAMODB_LEASE_STORE_H_
