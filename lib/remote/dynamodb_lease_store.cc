// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// LeaseStore over DynamoDB: consistent reads, and every change one write
// conditional on leaseCounter. A failed condition is read back to tell a lost
// race (kAborted) from a deleted lease (kNotFound) and from our own write
// applied by an earlier attempt of a retried call (success).

#include "brook/dynamodb_lease_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "group/lease_internal.h"
#include "remote/dynamodb_lease_store_impl.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

using nlohmann::json;

constexpr char kConditionFailed[] = "ConditionalCheckFailedException";

bool ConditionFailed(const absl::Status& status) {
  return !status.ok() && AwsErrorCodeOf(status) == kConditionFailed;
}

json Key(absl::string_view lease_key) {
  return json{{"leaseKey", {{"S", std::string(lease_key)}}}};
}

AwsJsonClientOptions JsonOptions(const DynamoDbLeaseStoreOptions& options,
                                 AwsConfig config) {
  AwsJsonClientOptions out = JsonClientOptions(options, std::move(config));
  out.service = "dynamodb";
  out.target_prefix = "DynamoDB_20120810";
  out.content_type = "application/x-amz-json-1.0";
  return out;
}

absl::Status NotFound(absl::string_view lease_key) {
  return absl::NotFoundError(absl::StrCat("lease ", lease_key, ": not found"));
}

absl::Status Aborted(absl::string_view lease_key, int64_t stored,
                     int64_t expected) {
  return absl::AbortedError(
      absl::StrCat("lease ", lease_key, ": leaseCounter is ", stored,
                   ", expected ", expected, " (changed by another worker)"));
}

}  // namespace

DynamoDbLeaseStore::DynamoDbLeaseStore(const DynamoDbLeaseStoreOptions& options,
                                       AwsConfig config,
                                       std::unique_ptr<HttpTransport> transport)
    : options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()),
      json_(JsonOptions(options, std::move(config)), std::move(transport)) {}

absl::Status DynamoDbLeaseStore::EnsureTable() {
  const json name = {{"TableName", options_.table_name}};
  absl::StatusOr<json> described = json_.Call("DescribeTable", name);
  if (absl::IsNotFound(described.status()) &&
      options_.create_table_if_missing) {
    const json create = {
        {"TableName", options_.table_name},
        {"AttributeDefinitions", json::array({{{"AttributeName", "leaseKey"},
                                               {"AttributeType", "S"}}})},
        {"KeySchema",
         json::array({{{"AttributeName", "leaseKey"}, {"KeyType", "HASH"}}})},
        {"BillingMode", "PAY_PER_REQUEST"},
    };
    absl::Status created = json_.Call("CreateTable", create).status();
    // Another worker creating it at the same time is fine.
    if (!created.ok() && AwsErrorCodeOf(created) != "ResourceInUseException") {
      return created;
    }
    described = json_.Call("DescribeTable", name);
  }
  if (!described.ok()) return described.status();
  const int64_t deadline =
      env_->NowMillis() +
      absl::ToInt64Milliseconds(options_.table_active_timeout);
  absl::Duration poll = absl::Milliseconds(100);
  for (;;) {
    const json& table = (*described)["Table"];
    if (!table.is_object()) {
      return absl::InternalError(
          "dynamodb DescribeTable: malformed response: no Table");
    }
    const json& keys = table.value("KeySchema", json::array());
    const json& attrs = table.value("AttributeDefinitions", json::array());
    bool key_ok = keys.is_array() && keys.size() == 1 &&
                  keys[0].value("AttributeName", "") == "leaseKey" &&
                  keys[0].value("KeyType", "") == "HASH";
    if (key_ok && attrs.is_array()) {
      key_ok = std::any_of(attrs.begin(), attrs.end(), [](const json& a) {
        return a.value("AttributeName", "") == "leaseKey" &&
               a.value("AttributeType", "") == "S";
      });
    }
    if (!key_ok) {
      return absl::FailedPreconditionError(absl::StrCat(
          "dynamodb table ", options_.table_name,
          ": its key is not the string hash key leaseKey of a lease table"));
    }
    const std::string status = table.value("TableStatus", "");
    if (status == "ACTIVE") return absl::OkStatus();
    if (env_->NowMillis() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "dynamodb table ", options_.table_name, ": still ", status, " after ",
          absl::FormatDuration(options_.table_active_timeout)));
    }
    env_->SleepFor(poll);
    poll = std::min(poll * 2, absl::Seconds(2));
    described = json_.Call("DescribeTable", name);
    if (!described.ok()) return described.status();
  }
}

absl::Status DynamoDbLeaseStore::CreateLeaseIfNotExists(const Lease& lease) {
  BROOK_RETURN_IF_ERROR(ValidateLease(lease));
  const json request = {
      {"TableName", options_.table_name},
      {"Item", LeaseToItem(lease)},
      {"ConditionExpression", "attribute_not_exists(leaseKey)"},
  };
  const absl::Status s = json_.Call("PutItem", request).status();
  if (!ConditionFailed(s)) return s;
  // (So does a retried PutItem whose first attempt was stored: the caller
  // reads the lease and finds it as it wanted it.)
  return absl::AlreadyExistsError(
      absl::StrCat("lease ", lease.lease_key, ": already exists"));
}

absl::StatusOr<Lease> DynamoDbLeaseStore::GetLease(
    absl::string_view lease_key) {
  BROOK_RETURN_IF_ERROR(ValidateLeaseKey(lease_key));
  const json request = {
      {"TableName", options_.table_name},
      {"Key", Key(lease_key)},
      {"ConsistentRead", true},
  };
  BROOK_ASSIGN_OR_RETURN(json response, json_.Call("GetItem", request));
  auto it = response.find("Item");
  if (it == response.end()) return NotFound(lease_key);
  return LeaseFromItem(*it, options_.table_name);
}

absl::StatusOr<std::vector<Lease>> DynamoDbLeaseStore::ListLeases() {
  std::vector<Lease> leases;
  json request = {{"TableName", options_.table_name}, {"ConsistentRead", true}};
  for (;;) {
    BROOK_ASSIGN_OR_RETURN(json response, json_.Call("Scan", request));
    auto items = response.find("Items");
    if (items == response.end() || !items->is_array()) {
      return absl::InternalError("dynamodb Scan: malformed response: no Items");
    }
    for (const json& item : *items) {
      BROOK_ASSIGN_OR_RETURN(Lease lease,
                             LeaseFromItem(item, options_.table_name));
      leases.push_back(std::move(lease));
    }
    auto last = response.find("LastEvaluatedKey");
    if (last == response.end() || last->empty()) break;
    request["ExclusiveStartKey"] = *last;
  }
  std::sort(leases.begin(), leases.end(), [](const Lease& a, const Lease& b) {
    return a.lease_key < b.lease_key;
  });
  return leases;
}

absl::Status DynamoDbLeaseStore::LostRace(absl::string_view lease_key,
                                          int64_t expected_counter,
                                          absl::StatusOr<Lease>* stored) {
  *stored = GetLease(lease_key);
  if (absl::IsNotFound(stored->status())) return NotFound(lease_key);
  if (!stored->ok()) return stored->status();
  return Aborted(lease_key, (*stored)->lease_counter, expected_counter);
}

absl::StatusOr<Lease> DynamoDbLeaseStore::UpdateLease(
    absl::string_view lease_key, int64_t expected_counter,
    const LeaseMutation& mutate) {
  BROOK_ASSIGN_OR_RETURN(Lease current, GetLease(lease_key));
  // Checks the counter (kAborted early, `mutate` not called), applies and
  // validates the change.
  BROOK_ASSIGN_OR_RETURN(Lease updated,
                         ApplyLeaseMutation(current, expected_counter, mutate));
  const absl::Status s =
      json_
          .Call("UpdateItem", LeaseUpdateRequest(options_.table_name, updated,
                                                 expected_counter))
          .status();
  if (s.ok()) return updated;
  if (!ConditionFailed(s)) return s;
  absl::StatusOr<Lease> stored;
  absl::Status lost = LostRace(lease_key, expected_counter, &stored);
  // Our own write, applied by an attempt whose answer was lost.
  if (stored.ok() && SameLease(*stored, updated)) return updated;
  return lost;
}

absl::Status DynamoDbLeaseStore::DeleteLease(const Lease& expected) {
  BROOK_RETURN_IF_ERROR(ValidateLeaseKey(expected.lease_key));
  const json request = {
      {"TableName", options_.table_name},
      {"Key", Key(expected.lease_key)},
      {"ConditionExpression",
       "attribute_exists(leaseKey) AND leaseCounter = :expectedLeaseCounter"},
      {"ExpressionAttributeValues",
       {{":expectedLeaseCounter",
         {{"N", absl::StrCat(expected.lease_counter)}}}}},
  };
  const absl::Status s = json_.Call("DeleteItem", request).status();
  if (!ConditionFailed(s)) return s;
  // (A retried delete whose first attempt went through reads as kNotFound.)
  absl::StatusOr<Lease> stored;
  return LostRace(expected.lease_key, expected.lease_counter, &stored);
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<LeaseStore>> OpenDynamoDbLeaseStore(
    const DynamoDbLeaseStoreOptions& options) {
  absl::Status s = ValidateGroupName(options.table_name);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("dynamodb lease table: ", s.message()));
  }
  BROOK_RETURN_IF_ERROR(ValidateAwsRequestOptions(options));
  BROOK_ASSIGN_OR_RETURN(AwsConfig config,
                         ResolveAwsConfig(options.aws, "dynamodb"));
  internal::CurlTransportOptions transport;
  transport.connect_timeout = options.connect_timeout;
  auto store = std::make_unique<internal::DynamoDbLeaseStore>(
      options, std::move(config), internal::NewCurlTransport(transport));
  BROOK_RETURN_IF_ERROR(store->EnsureTable());
  return std::unique_ptr<LeaseStore>(std::move(store));
}

}  // namespace brook
