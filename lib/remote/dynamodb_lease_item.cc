// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A Lease as an item of KCL's lease table, and back; the UpdateItem request
// of a compare-and-set on leaseCounter.

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

#include "remote/dynamodb_lease_store_impl.h"

namespace brook {
namespace internal {
namespace {

using nlohmann::json;

// The attributes brook reads and writes, in the order UpdateItem lists them.
constexpr const char* kAttributes[] = {
    "leaseOwner",
    "leaseCounter",
    "checkpoint",
    "checkpointSubSequenceNumber",
    "checkpointTimestampMillis",
    "pendingCheckpoint",
    "pendingCheckpointSubSequenceNumber",
    "pendingCheckpointTimestampMillis",
    "checkpointOwner",
    "ownerSwitchesSinceCheckpoint",
    "parentShardId",
    "childShardIds",
    "startingHashKey",
    "endingHashKey",
    "throughputKBps",
    "throughputRecordsPerSecond",
    "throughputBytesPerSecond",
};

json S(const std::string& value) { return json{{"S", value}}; }
json N(int64_t value) { return json{{"N", absl::StrCat(value)}}; }
json N(uint64_t value) { return json{{"N", absl::StrCat(value)}}; }

// The shortest of %.15g and %.17g that reads back as `value` (finite: the
// store validated it). DynamoDB numbers take this form.
json N(double value) {
  std::string text = absl::StrFormat("%.15g", value);
  double back = 0;
  if (!absl::SimpleAtod(text, &back) || back != value) {
    text = absl::StrFormat("%.17g", value);
  }
  return json{{"N", text}};
}

void PutCheckpoint(json& item, const std::string& prefix,
                   const ExtendedSequenceNumber& checkpoint) {
  item[prefix] = S(checkpoint.ToString());
  item[prefix + "SubSequenceNumber"] = N(checkpoint.subsequence_number());
  if (checkpoint.kind() == ExtendedSequenceNumber::Kind::kAtTimestamp) {
    item[prefix + "TimestampMillis"] = N(checkpoint.timestamp_millis());
  }
}

absl::Status Damaged(absl::string_view table, absl::string_view key,
                     absl::string_view what) {
  return absl::DataLossError(absl::StrCat("dynamodb table ", table, ": item \"",
                                          key, "\" is not a lease: ", what));
}

// Reads typed attributes of one item, remembering the first fault.
class ItemReader {
 public:
  ItemReader(const json& item, absl::string_view table)
      : item_(item), table_(table) {}

  bool Has(const char* name) const { return item_.contains(name); }

  std::string String(const char* name, const std::string& fallback = "") {
    const json* v = Typed(name, "S");
    return v != nullptr ? v->get<std::string>() : fallback;
  }

  template <typename T>
  T Number(const char* name, T fallback) {
    const json* v = Typed(name, "N");
    if (v == nullptr) return fallback;
    T out{};
    bool ok = false;
    if constexpr (std::is_same_v<T, double>) {
      ok = absl::SimpleAtod(v->get<std::string>(), &out);
    } else {
      ok = absl::SimpleAtoi(v->get<std::string>(), &out);
    }
    if (!ok) Fail(absl::StrCat(name, " \"", v->get<std::string>(), "\""));
    return ok ? out : fallback;
  }

  std::vector<std::string> StringSet(const char* name) {
    const json* v = Typed(name, "SS");
    std::vector<std::string> out;
    if (v == nullptr || !v->is_array()) return out;
    for (const json& e : *v) {
      if (!e.is_string()) {
        Fail(absl::StrCat(name, " holds a non-string"));
        return {};
      }
      out.push_back(e.get<std::string>());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  ExtendedSequenceNumber Checkpoint(const std::string& prefix) {
    const std::string text = String(prefix.c_str(), "TRIM_HORIZON");
    const uint64_t sub =
        Number<uint64_t>((prefix + "SubSequenceNumber").c_str(), 0);
    const int64_t millis =
        Number<int64_t>((prefix + "TimestampMillis").c_str(), 0);
    absl::StatusOr<ExtendedSequenceNumber> parsed =
        ExtendedSequenceNumber::Parse(text, sub, millis);
    if (!parsed.ok()) {
      Fail(absl::StrCat(prefix, ": ", parsed.status().message()));
      return ExtendedSequenceNumber();
    }
    return *parsed;
  }

  HashKey Key(const char* name, HashKey fallback) {
    if (!Has(name)) return fallback;
    absl::StatusOr<HashKey> key = ParseHashKey(String(name));
    if (!key.ok()) {
      Fail(absl::StrCat(name, ": ", key.status().message()));
      return fallback;
    }
    return *key;
  }

  void Fail(std::string what) {
    if (fault_.empty()) fault_ = std::move(what);
  }
  const std::string& fault() const { return fault_; }

 private:
  // The value of `name` if it has type `type` ("S", "N", "SS"); null if the
  // attribute is absent, and a fault if it has another type.
  const json* Typed(const char* name, const char* type) {
    auto it = item_.find(name);
    if (it == item_.end()) return nullptr;
    auto v = it->is_object() ? it->find(type) : it->end();
    if (!it->is_object() || v == it->end() ||
        (std::string(type) != "SS" && !v->is_string())) {
      Fail(absl::StrCat(name, " is not of type ", type));
      return nullptr;
    }
    return &*v;
  }

  const json& item_;
  const absl::string_view table_;
  std::string fault_;
};

}  // namespace

json LeaseToItem(const Lease& lease) {
  json item = json::object();
  item["leaseKey"] = S(lease.lease_key);
  if (lease.has_owner()) item["leaseOwner"] = S(lease.lease_owner);
  item["leaseCounter"] = N(lease.lease_counter);
  PutCheckpoint(item, "checkpoint", lease.checkpoint);
  if (lease.has_pending_checkpoint) {
    PutCheckpoint(item, "pendingCheckpoint", lease.pending_checkpoint);
  }
  if (!lease.checkpoint_owner.empty()) {
    item["checkpointOwner"] = S(lease.checkpoint_owner);
  }
  item["ownerSwitchesSinceCheckpoint"] =
      N(lease.owner_switches_since_checkpoint);
  // DynamoDB has no empty sets: an empty list is an absent attribute.
  if (!lease.parent_shard_ids.empty()) {
    item["parentShardId"] = json{{"SS", lease.parent_shard_ids}};
  }
  if (!lease.child_shard_ids.empty()) {
    item["childShardIds"] = json{{"SS", lease.child_shard_ids}};
  }
  item["startingHashKey"] =
      S(HashKeyToString(lease.hash_key_range.starting_hash_key));
  item["endingHashKey"] =
      S(HashKeyToString(lease.hash_key_range.ending_hash_key));
  item["throughputKBps"] = N(lease.throughput_bytes_per_second / 1024);
  item["throughputRecordsPerSecond"] = N(lease.throughput_records_per_second);
  item["throughputBytesPerSecond"] = N(lease.throughput_bytes_per_second);
  return item;
}

absl::StatusOr<Lease> LeaseFromItem(const json& item, absl::string_view table) {
  if (!item.is_object()) return Damaged(table, "?", "not a JSON object");
  ItemReader r(item, table);
  Lease lease;
  lease.lease_key = r.String("leaseKey");
  if (!r.fault().empty() || lease.lease_key.empty()) {
    return Damaged(table, lease.lease_key, "no string leaseKey");
  }
  if (!r.Has("leaseCounter")) {
    return Damaged(table, lease.lease_key, "no leaseCounter");
  }
  lease.lease_owner = r.String("leaseOwner");
  lease.lease_counter = r.Number<int64_t>("leaseCounter", 0);
  lease.checkpoint = r.Checkpoint("checkpoint");
  lease.has_pending_checkpoint = r.Has("pendingCheckpoint");
  if (lease.has_pending_checkpoint) {
    lease.pending_checkpoint = r.Checkpoint("pendingCheckpoint");
  }
  lease.checkpoint_owner = r.String("checkpointOwner");
  lease.owner_switches_since_checkpoint =
      r.Number<int64_t>("ownerSwitchesSinceCheckpoint", 0);
  lease.parent_shard_ids = r.StringSet("parentShardId");
  lease.child_shard_ids = r.StringSet("childShardIds");
  // KCL 1.x leases have no range: the whole key space.
  lease.hash_key_range.starting_hash_key = r.Key("startingHashKey", 0);
  lease.hash_key_range.ending_hash_key = r.Key("endingHashKey", ~HashKey(0));
  lease.throughput_records_per_second =
      r.Number<double>("throughputRecordsPerSecond", 0);
  // A lease a KCL 3.x worker measured has throughputKBps alone.
  lease.throughput_bytes_per_second = r.Number<double>(
      "throughputBytesPerSecond", r.Number<double>("throughputKBps", 0) * 1024);
  if (!r.fault().empty()) return Damaged(table, lease.lease_key, r.fault());
  if (lease.lease_counter < 0) {
    return Damaged(table, lease.lease_key, "negative leaseCounter");
  }
  return lease;
}

json LeaseUpdateRequest(absl::string_view table, const Lease& lease,
                        int64_t expected_counter) {
  const json item = LeaseToItem(lease);
  std::vector<std::string> set;
  std::vector<std::string> remove;
  json names = json::object();
  json values = json::object();
  names["#leaseKey"] = "leaseKey";
  for (const char* attribute : kAttributes) {
    const std::string name = absl::StrCat("#", attribute);
    names[name] = attribute;
    auto it = item.find(attribute);
    if (it == item.end()) {
      remove.push_back(name);
    } else {
      const std::string value = absl::StrCat(":", attribute);
      set.push_back(absl::StrCat(name, " = ", value));
      values[value] = *it;
    }
  }
  values[":expectedLeaseCounter"] = N(expected_counter);
  std::string update = absl::StrCat("SET ", absl::StrJoin(set, ", "));
  if (!remove.empty()) {
    absl::StrAppend(&update, " REMOVE ", absl::StrJoin(remove, ", "));
  }
  return json{
      {"TableName", std::string(table)},
      {"Key", {{"leaseKey", S(lease.lease_key)}}},
      {"UpdateExpression", update},
      {"ConditionExpression",
       "attribute_exists(#leaseKey) AND #leaseCounter = :expectedLeaseCounter"},
      {"ExpressionAttributeNames", names},
      {"ExpressionAttributeValues", values},
      {"ReturnValues", "NONE"},
  };
}

bool SameLease(const Lease& a, const Lease& b) {
  return a.lease_key == b.lease_key && a.lease_owner == b.lease_owner &&
         a.lease_counter == b.lease_counter && a.checkpoint == b.checkpoint &&
         a.checkpoint.subsequence_number() ==
             b.checkpoint.subsequence_number() &&
         a.has_pending_checkpoint == b.has_pending_checkpoint &&
         (!a.has_pending_checkpoint ||
          a.pending_checkpoint == b.pending_checkpoint) &&
         a.checkpoint_owner == b.checkpoint_owner &&
         a.owner_switches_since_checkpoint ==
             b.owner_switches_since_checkpoint &&
         a.parent_shard_ids == b.parent_shard_ids &&
         a.child_shard_ids == b.child_shard_ids &&
         a.hash_key_range == b.hash_key_range &&
         a.throughput_records_per_second == b.throughput_records_per_second &&
         a.throughput_bytes_per_second == b.throughput_bytes_per_second;
}

}  // namespace internal
}  // namespace brook
