// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The Kinesis operations: JSON requests in, typed results out. Record data
// and partition keys are checked here so that bad input fails before it is
// sent; everything else the service checks.

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

#include "remote/kinesis_client_impl.h"
#include "remote/put_records_json.h"
#include "util/status_macros.h"
#include "util/utf8.h"

namespace brook {
namespace internal {
namespace {

using nlohmann::json;

constexpr int kMaxPutRecordsEntries = 500;

absl::Status CheckStreamName(absl::string_view op, absl::string_view name) {
  const bool ok =
      !name.empty() && name.size() <= 128 &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
      });
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "kinesis ", op, ": stream name \"", absl::CHexEscape(name.substr(0, 140)),
      "\" is not 1 to 128 of [a-zA-Z0-9_.-]"));
}

// A partition key must be text: JSON carries nothing else.
absl::Status CheckPartitionKey(absl::string_view op, absl::string_view key,
                               absl::string_view where) {
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kinesis ", op, ": ", where, "partition key is empty"));
  }
  if (!IsAscii(key)) {
    const Utf8Check utf8 = CheckUtf8(key);
    if (!utf8.valid) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kinesis ", op, ": ", where,
          "partition key is not valid UTF-8 (byte ", utf8.error_offset, ")"));
    }
  }
  return absl::OkStatus();
}

// "" or decimal digits (the service checks the range).
absl::Status CheckExplicitHashKey(absl::string_view op, absl::string_view key,
                                  absl::string_view where) {
  if (std::all_of(key.begin(), key.end(), absl::ascii_isdigit)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "kinesis ", op, ": ", where, "explicit hash key \"",
      absl::CHexEscape(key.substr(0, 50)), "\" is not a decimal number"));
}

std::string String(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>()
                                               : std::string();
}

int64_t Int(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

absl::Status Malformed(absl::string_view op, absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("kinesis ", op, ": malformed response: ", what));
}

const char* IteratorTypeName(KinesisIteratorType type) {
  switch (type) {
    case KinesisIteratorType::kTrimHorizon:
      return "TRIM_HORIZON";
    case KinesisIteratorType::kLatest:
      return "LATEST";
    case KinesisIteratorType::kAtSequenceNumber:
      return "AT_SEQUENCE_NUMBER";
    case KinesisIteratorType::kAfterSequenceNumber:
      return "AFTER_SEQUENCE_NUMBER";
    case KinesisIteratorType::kAtTimestamp:
      return "AT_TIMESTAMP";
  }
  return "TRIM_HORIZON";
}

AwsJsonClientOptions JsonOptions(const KinesisClientOptions& options,
                                 AwsConfig config) {
  AwsJsonClientOptions out = JsonClientOptions(options, std::move(config));
  out.service = "kinesis";
  out.target_prefix = "Kinesis_20131202";
  return out;
}

}  // namespace

KinesisClientImpl::KinesisClientImpl(const KinesisClientOptions& options,
                                     AwsConfig config,
                                     std::unique_ptr<HttpTransport> transport)
    : env_(options.env != nullptr ? options.env : Env::Default()),
      json_(JsonOptions(options, std::move(config)), std::move(transport)) {}

absl::Status KinesisClientImpl::CreateStream(absl::string_view stream_name,
                                             int shard_count) {
  BROOK_RETURN_IF_ERROR(CheckStreamName("CreateStream", stream_name));
  if (shard_count < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kinesis CreateStream: shard count ", shard_count, " is below 1"));
  }
  return json_
      .Call("CreateStream", {{"StreamName", std::string(stream_name)},
                             {"ShardCount", shard_count}})
      .status();
}

absl::Status KinesisClientImpl::DeleteStream(absl::string_view stream_name) {
  BROOK_RETURN_IF_ERROR(CheckStreamName("DeleteStream", stream_name));
  return json_.Call("DeleteStream", {{"StreamName", std::string(stream_name)}})
      .status();
}

absl::StatusOr<KinesisStreamSummary> KinesisClientImpl::DescribeStreamSummary(
    absl::string_view stream_name) {
  BROOK_RETURN_IF_ERROR(CheckStreamName("DescribeStreamSummary", stream_name));
  BROOK_ASSIGN_OR_RETURN(
      json response, json_.Call("DescribeStreamSummary",
                                {{"StreamName", std::string(stream_name)}}));
  auto it = response.find("StreamDescriptionSummary");
  if (it == response.end() || !it->is_object()) {
    return Malformed("DescribeStreamSummary", "no StreamDescriptionSummary");
  }
  KinesisStreamSummary out;
  out.stream_name = String(*it, "StreamName");
  out.stream_arn = String(*it, "StreamARN");
  out.stream_status = String(*it, "StreamStatus");
  out.open_shard_count = static_cast<int>(Int(*it, "OpenShardCount"));
  out.retention_period_hours =
      static_cast<int>(Int(*it, "RetentionPeriodHours"));
  out.consumer_count = static_cast<int>(Int(*it, "ConsumerCount"));
  if (auto mode = it->find("StreamModeDetails");
      mode != it->end() && mode->is_object()) {
    out.stream_mode = String(*mode, "StreamMode");
  }
  out.encryption_type = String(*it, "EncryptionType");
  if (auto monitoring = it->find("EnhancedMonitoring");
      monitoring != it->end() && monitoring->is_array()) {
    for (const json& m : *monitoring) {
      auto metrics = m.is_object() ? m.find("ShardLevelMetrics") : m.end();
      if (metrics == m.end() || !metrics->is_array()) continue;
      for (const json& name : *metrics) {
        if (name.is_string()) {
          out.shard_level_metrics.push_back(name.get<std::string>());
        }
      }
    }
  }
  return out;
}

absl::Status KinesisClientImpl::WaitForStreamActive(
    absl::string_view stream_name, absl::Duration timeout) {
  const int64_t deadline =
      env_->NowMillis() + absl::ToInt64Milliseconds(timeout);
  absl::Duration pause = absl::Milliseconds(50);
  std::string status;
  for (;;) {
    BROOK_ASSIGN_OR_RETURN(KinesisStreamSummary summary,
                           DescribeStreamSummary(stream_name));
    if (summary.stream_status == "ACTIVE") return absl::OkStatus();
    status = summary.stream_status;
    if (env_->NowMillis() + absl::ToInt64Milliseconds(pause) > deadline) break;
    env_->SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(1));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("kinesis: stream ", stream_name, " still ", status,
                   " after ", absl::FormatDuration(timeout)));
}

namespace {

// The ShardFilter object of a ListShards request for `filter` (null for
// kNone), or why `filter` is not well-formed.
absl::StatusOr<json> ShardFilterJson(const KinesisShardFilter& filter) {
  using T = KinesisShardFilterType;
  const bool after = filter.type == T::kAfterShardId;
  const bool timed =
      filter.type == T::kAtTimestamp || filter.type == T::kFromTimestamp;
  if (after == filter.shard_id.empty()) {
    return absl::InvalidArgumentError(
        after ? "kinesis ListShards: ShardFilter.ShardId is required with "
                "AFTER_SHARD_ID"
              : "kinesis ListShards: ShardFilter.ShardId is allowed only "
                "with AFTER_SHARD_ID");
  }
  if (filter.timestamp_millis != 0 && !timed) {
    return absl::InvalidArgumentError(
        "kinesis ListShards: ShardFilter.Timestamp is allowed only with "
        "AT_TIMESTAMP and FROM_TIMESTAMP");
  }
  if (filter.timestamp_millis < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("kinesis ListShards: ShardFilter.Timestamp ",
                     filter.timestamp_millis, " is before the epoch"));
  }
  const char* type = nullptr;
  switch (filter.type) {
    case T::kNone:
      return json();
    case T::kAfterShardId:
      type = "AFTER_SHARD_ID";
      break;
    case T::kAtTrimHorizon:
      type = "AT_TRIM_HORIZON";
      break;
    case T::kFromTrimHorizon:
      type = "FROM_TRIM_HORIZON";
      break;
    case T::kAtLatest:
      type = "AT_LATEST";
      break;
    case T::kAtTimestamp:
      type = "AT_TIMESTAMP";
      break;
    case T::kFromTimestamp:
      type = "FROM_TIMESTAMP";
      break;
  }
  if (type == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("kinesis ListShards: unknown ShardFilter type ",
                     static_cast<int>(filter.type)));
  }
  json out = {{"Type", type}};
  if (after) out["ShardId"] = filter.shard_id;
  if (timed) {
    out["Timestamp"] = static_cast<double>(filter.timestamp_millis) / 1000.0;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<KinesisShard>> KinesisClientImpl::ListShards(
    absl::string_view stream_name, const KinesisShardFilter& filter) {
  BROOK_RETURN_IF_ERROR(CheckStreamName("ListShards", stream_name));
  BROOK_ASSIGN_OR_RETURN(json shard_filter, ShardFilterJson(filter));
  std::vector<KinesisShard> out;
  json request = {{"StreamName", std::string(stream_name)}};
  if (!shard_filter.is_null()) request["ShardFilter"] = std::move(shard_filter);
  for (int page = 0;; ++page) {
    BROOK_ASSIGN_OR_RETURN(json response, json_.Call("ListShards", request));
    auto shards = response.find("Shards");
    if (shards == response.end() || !shards->is_array()) {
      return Malformed("ListShards", "no Shards array");
    }
    for (const json& s : *shards) {
      if (!s.is_object())
        return Malformed("ListShards", "a shard is not an object");
      KinesisShard shard;
      shard.shard_id = String(s, "ShardId");
      shard.parent_shard_id = String(s, "ParentShardId");
      shard.adjacent_parent_shard_id = String(s, "AdjacentParentShardId");
      if (auto r = s.find("HashKeyRange"); r != s.end() && r->is_object()) {
        shard.starting_hash_key = String(*r, "StartingHashKey");
        shard.ending_hash_key = String(*r, "EndingHashKey");
      }
      if (auto r = s.find("SequenceNumberRange");
          r != s.end() && r->is_object()) {
        shard.starting_sequence_number = String(*r, "StartingSequenceNumber");
        shard.ending_sequence_number = String(*r, "EndingSequenceNumber");
      }
      if (shard.shard_id.empty() || shard.starting_hash_key.empty()) {
        return Malformed("ListShards",
                         "a shard without ShardId or HashKeyRange");
      }
      out.push_back(std::move(shard));
    }
    const std::string next = String(response, "NextToken");
    if (next.empty()) return out;
    if (page >= 100000)
      return Malformed("ListShards", "endless NextToken chain");
    request = {{"NextToken", next}};  // StreamName must not come with it
  }
}

absl::StatusOr<KinesisPutRecordResult> KinesisClientImpl::PutRecord(
    absl::string_view stream_name, absl::string_view partition_key,
    absl::string_view data, absl::string_view explicit_hash_key) {
  BROOK_RETURN_IF_ERROR(CheckStreamName("PutRecord", stream_name));
  BROOK_RETURN_IF_ERROR(CheckPartitionKey("PutRecord", partition_key, ""));
  BROOK_RETURN_IF_ERROR(
      CheckExplicitHashKey("PutRecord", explicit_hash_key, ""));
  json request = {{"StreamName", std::string(stream_name)},
                  {"PartitionKey", std::string(partition_key)},
                  {"Data", absl::Base64Escape(data)}};
  if (!explicit_hash_key.empty()) {
    request["ExplicitHashKey"] = std::string(explicit_hash_key);
  }
  BROOK_ASSIGN_OR_RETURN(json response, json_.Call("PutRecord", request));
  KinesisPutRecordResult out;
  out.shard_id = String(response, "ShardId");
  out.sequence_number = String(response, "SequenceNumber");
  if (out.shard_id.empty() || out.sequence_number.empty()) {
    return Malformed("PutRecord", "no ShardId or SequenceNumber");
  }
  return out;
}

absl::StatusOr<KinesisPutRecordsResult> KinesisClientImpl::PutRecords(
    absl::string_view stream_name,
    absl::Span<const KinesisPutRecordsEntry> entries) {
  BROOK_RETURN_IF_ERROR(CheckStreamName("PutRecords", stream_name));
  if (entries.empty() || entries.size() > kMaxPutRecordsEntries) {
    return absl::InvalidArgumentError(
        absl::StrCat("kinesis PutRecords: ", entries.size(),
                     " entries; a request takes 1 to 500"));
  }
  // Keys must be valid UTF-8 (JSON carries nothing else): ASCII, the common
  // case, is checked inline; anything else fully.
  for (size_t i = 0; i < entries.size(); ++i) {
    const KinesisPutRecordsEntry& e = entries[i];
    if (e.partition_key.empty() || !IsAscii(e.partition_key) ||
        !e.explicit_hash_key.empty()) {
      const std::string where = absl::StrCat("entry ", i, ": ");
      BROOK_RETURN_IF_ERROR(
          CheckPartitionKey("PutRecords", e.partition_key, where));
      BROOK_RETURN_IF_ERROR(
          CheckExplicitHashKey("PutRecords", e.explicit_hash_key, where));
    }
  }
  // Written and read without JSON trees (put_records_json.h).
  KinesisPutRecordsResult out;
  BROOK_ASSIGN_OR_RETURN(
      std::string response,
      json_.CallRaw("PutRecords", PutRecordsBody(stream_name, entries)));
  BROOK_RETURN_IF_ERROR(ReadPutRecordsResponse(response, entries.size(), &out));
  return out;
}

absl::StatusOr<std::string> KinesisClientImpl::GetShardIterator(
    absl::string_view stream_name, absl::string_view shard_id,
    const KinesisStartingPosition& position) {
  BROOK_RETURN_IF_ERROR(CheckStreamName("GetShardIterator", stream_name));
  json request = {{"StreamName", std::string(stream_name)},
                  {"ShardId", std::string(shard_id)},
                  {"ShardIteratorType", IteratorTypeName(position.type)}};
  if (position.type == KinesisIteratorType::kAtSequenceNumber ||
      position.type == KinesisIteratorType::kAfterSequenceNumber) {
    if (position.sequence_number.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kinesis GetShardIterator: ", IteratorTypeName(position.type),
          " needs a sequence number"));
    }
    request["StartingSequenceNumber"] = position.sequence_number;
  } else if (position.type == KinesisIteratorType::kAtTimestamp) {
    request["Timestamp"] =
        static_cast<double>(position.timestamp_millis) / 1000.0;
  }
  BROOK_ASSIGN_OR_RETURN(json response,
                         json_.Call("GetShardIterator", request));
  std::string iterator = String(response, "ShardIterator");
  if (iterator.empty())
    return Malformed("GetShardIterator", "no ShardIterator");
  return iterator;
}

absl::StatusOr<KinesisGetRecordsResult> KinesisClientImpl::GetRecords(
    absl::string_view shard_iterator, int limit) {
  if (shard_iterator.empty()) {
    return absl::InvalidArgumentError(
        "kinesis GetRecords: empty shard iterator");
  }
  if (limit < 1 || limit > 10000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kinesis GetRecords: limit ", limit, " is not in 1..10000"));
  }
  BROOK_ASSIGN_OR_RETURN(
      json response,
      json_.Call("GetRecords", {{"ShardIterator", std::string(shard_iterator)},
                                {"Limit", limit}}));
  auto records = response.find("Records");
  if (records == response.end() || !records->is_array()) {
    return Malformed("GetRecords", "no Records array");
  }
  KinesisGetRecordsResult out;
  out.records.reserve(records->size());
  for (const json& r : *records) {
    if (!r.is_object())
      return Malformed("GetRecords", "a record is not an object");
    KinesisRecord record;
    record.sequence_number = String(r, "SequenceNumber");
    record.partition_key = String(r, "PartitionKey");
    if (!absl::Base64Unescape(String(r, "Data"), &record.data)) {
      return Malformed("GetRecords",
                       absl::StrCat("Data of record ", record.sequence_number,
                                    " is not base64"));
    }
    if (auto t = r.find("ApproximateArrivalTimestamp");
        t != r.end() && t->is_number()) {
      record.approximate_arrival_timestamp_millis =
          std::llround(t->get<double>() * 1000.0);
    }
    out.records.push_back(std::move(record));
  }
  out.next_shard_iterator = String(response, "NextShardIterator");
  out.millis_behind_latest = Int(response, "MillisBehindLatest");
  if (auto c = response.find("ChildShards");
      c != response.end() && c->is_array()) {
    for (const json& child : *c) {
      if (child.is_object())
        out.child_shard_ids.push_back(String(child, "ShardId"));
    }
  }
  return out;
}

absl::Status KinesisClientImpl::SplitShard(
    absl::string_view stream_name, absl::string_view shard_id,
    absl::string_view new_starting_hash_key) {
  BROOK_RETURN_IF_ERROR(CheckStreamName("SplitShard", stream_name));
  return json_
      .Call("SplitShard",
            {{"StreamName", std::string(stream_name)},
             {"ShardToSplit", std::string(shard_id)},
             {"NewStartingHashKey", std::string(new_starting_hash_key)}})
      .status();
}

absl::Status KinesisClientImpl::MergeShards(
    absl::string_view stream_name, absl::string_view shard_id,
    absl::string_view adjacent_shard_id) {
  BROOK_RETURN_IF_ERROR(CheckStreamName("MergeShards", stream_name));
  return json_
      .Call("MergeShards",
            {{"StreamName", std::string(stream_name)},
             {"ShardToMerge", std::string(shard_id)},
             {"AdjacentShardToMerge", std::string(adjacent_shard_id)}})
      .status();
}

absl::Status KinesisClientImpl::UpdateShardCount(absl::string_view stream_name,
                                                 int target_shard_count) {
  BROOK_RETURN_IF_ERROR(CheckStreamName("UpdateShardCount", stream_name));
  return json_
      .Call("UpdateShardCount", {{"StreamName", std::string(stream_name)},
                                 {"TargetShardCount", target_shard_count},
                                 {"ScalingType", "UNIFORM_SCALING"}})
      .status();
}

absl::Status KinesisClientImpl::IncreaseStreamRetentionPeriod(
    absl::string_view stream_name, int retention_period_hours) {
  BROOK_RETURN_IF_ERROR(
      CheckStreamName("IncreaseStreamRetentionPeriod", stream_name));
  return json_
      .Call("IncreaseStreamRetentionPeriod",
            {{"StreamName", std::string(stream_name)},
             {"RetentionPeriodHours", retention_period_hours}})
      .status();
}

absl::Status KinesisClientImpl::DecreaseStreamRetentionPeriod(
    absl::string_view stream_name, int retention_period_hours) {
  BROOK_RETURN_IF_ERROR(
      CheckStreamName("DecreaseStreamRetentionPeriod", stream_name));
  return json_
      .Call("DecreaseStreamRetentionPeriod",
            {{"StreamName", std::string(stream_name)},
             {"RetentionPeriodHours", retention_period_hours}})
      .status();
}

}  // namespace internal

KinesisClient::~KinesisClient() = default;

std::string AwsErrorCode(const absl::Status& status) {
  return internal::AwsErrorCodeOf(status);
}

absl::StatusOr<std::unique_ptr<KinesisClient>> KinesisClient::Create(
    const KinesisClientOptions& options) {
  BROOK_RETURN_IF_ERROR(ValidateAwsRequestOptions(options));
  BROOK_ASSIGN_OR_RETURN(AwsConfig config,
                         ResolveAwsConfig(options.aws, "kinesis"));
  internal::CurlTransportOptions transport;
  transport.connect_timeout = options.connect_timeout;
  return std::unique_ptr<KinesisClient>(new internal::KinesisClientImpl(
      options, std::move(config), internal::NewCurlTransport(transport)));
}

}  // namespace brook
