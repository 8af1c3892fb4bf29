// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` commands on a Kinesis stream, as remote_commands.h documents
// them. `brook tail` is in remote_tail.cc.

#include "tools/brook/remote_commands.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/aggregation.h"
#include "brook/kinesis_client.h"
#include "brook/partitioner.h"
#include "brook/record.h"

#include "tools/brook/json.h"
#include "tools/brook/record_commands.h"

namespace brook {
namespace cli {
namespace {

// How long a command that changes the stream's shards waits for it to be
// ACTIVE again (Kinesis takes seconds to minutes).
constexpr absl::Duration kActiveTimeout = absl::Minutes(5);

// PutRecords' limits per request.
constexpr size_t kMaxPutRecordsEntries = 500;
constexpr size_t kMaxPutRecordsBytes = size_t{5} << 20;

// The JSON of a hash key range from the service's decimal strings.
Json RangeJson(const std::string& start, const std::string& end) {
  Json json;
  json["StartingHashKey"] = start;
  json["EndingHashKey"] = end;
  return json;
}

// A shard as list-shards prints it (the local command's fields).
Json RemoteShardJson(const KinesisShard& shard) {
  Json json;
  json["ShardId"] = shard.shard_id;
  if (!shard.parent_shard_id.empty()) {
    json["ParentShardId"] = shard.parent_shard_id;
  }
  if (!shard.adjacent_parent_shard_id.empty()) {
    json["AdjacentParentShardId"] = shard.adjacent_parent_shard_id;
  }
  json["HashKeyRange"] =
      RangeJson(shard.starting_hash_key, shard.ending_hash_key);
  Json range;
  range["StartingSequenceNumber"] = shard.starting_sequence_number;
  if (!shard.ending_sequence_number.empty()) {
    range["EndingSequenceNumber"] = shard.ending_sequence_number;
  }
  json["SequenceNumberRange"] = std::move(range);
  return json;
}

// Checks an entry as a local stream would before sending it: kInvalidArgument
// for a bad partition key or explicit hash key.
absl::Status CheckEntry(const OwnedPutEntry& e, size_t index) {
  const std::string where = absl::StrCat("Records[", index, "]");
  if (e.empty_explicit_hash_key) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".ExplicitHashKey: must not be empty"));
  }
  if (absl::Status s = ValidatePartitionKey(e.partition_key); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".PartitionKey: ", s.message()));
  }
  if (!e.explicit_hash_key.empty()) {
    if (absl::StatusOr<HashKey> k = ParseHashKey(e.explicit_hash_key);
        !k.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".ExplicitHashKey: ", k.status().message()));
    }
  }
  return absl::OkStatus();
}

// Waits for the stream to be ACTIVE after a change; returns the exit code.
int WaitActive(KinesisClient& client, const std::string& stream,
               const Session& session) {
  if (absl::Status s = client.WaitForStreamActive(stream, kActiveTimeout);
      !s.ok()) {
    return session.Fail(s);
  }
  return kExitOk;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KinesisClient>> CliBackend::ConnectKinesis(
    const KinesisClientOptions& /*options*/) {
  return absl::UnimplementedError(
      "--stream-name: this brook has no Kinesis client (it was built without "
      "libcurl and OpenSSL; tools/install-deps.sh installs them)");
}

absl::Status CheckSequenceNumberText(absl::string_view text) {
  const bool digits =
      !text.empty() && text.size() <= 129 &&
      std::all_of(text.begin(), text.end(),
                  [](char c) { return absl::ascii_isdigit(c); }) &&
      (text.size() == 1 || text[0] != '0');
  if (!digits) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a decimal sequence number (1 to 129 digits, no "
                     "leading zero), got \"",
                     text, "\""));
  }
  return absl::OkStatus();
}

KinesisIteratorType KinesisIteratorTypeOf(ShardIteratorType type) {
  switch (type) {
    case ShardIteratorType::kTrimHorizon:
      return KinesisIteratorType::kTrimHorizon;
    case ShardIteratorType::kLatest:
      return KinesisIteratorType::kLatest;
    case ShardIteratorType::kAtSequenceNumber:
      return KinesisIteratorType::kAtSequenceNumber;
    case ShardIteratorType::kAfterSequenceNumber:
      return KinesisIteratorType::kAfterSequenceNumber;
    case ShardIteratorType::kAtTimestamp:
      return KinesisIteratorType::kAtTimestamp;
  }
  return KinesisIteratorType::kTrimHorizon;
}

std::string PutRecordsErrorCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return "InvalidArgumentException";
    case absl::StatusCode::kResourceExhausted:
      return "ProvisionedThroughputExceededException";
    default:
      return "InternalFailure";
  }
}

const std::string& RemoteStreamName(const Flags& flags) {
  return *FindValue(flags, "stream-name");
}

absl::StatusOr<std::unique_ptr<KinesisClient>> ConnectRemote(
    const Flags& flags, const Session& session) {
  KinesisClientOptions options;
  if (const std::string* region = FindValue(flags, "region")) {
    options.aws.region = *region;
  }
  if (const std::string* url = FindValue(flags, "endpoint-url")) {
    options.aws.endpoint_url = *url;
  }
  if (const std::string* profile = FindValue(flags, "profile")) {
    options.aws.profile = *profile;
  }
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      session.backend().ConnectKinesis(options);
  if (!client.ok() &&
      client.status().code() != absl::StatusCode::kUnimplemented) {
    // The resolver's message names the options and variables of the API;
    // say which flags set them here.
    return absl::Status(
        client.status().code(),
        absl::StrCat(client.status().message(),
                     " (the command line's --region, --endpoint-url and "
                     "--profile override the environment)"));
  }
  return client;
}

int RemotePutRecord(const Flags& flags, const Session& session,
                    absl::string_view partition_key, absl::string_view data,
                    absl::string_view explicit_hash_key) {
  if (absl::Status s = ValidatePartitionKey(partition_key); !s.ok()) {
    return session.Fail(s);  // as the local stream reports it
  }
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  absl::StatusOr<KinesisPutRecordResult> put = (*client)->PutRecord(
      RemoteStreamName(flags), partition_key, data, explicit_hash_key);
  if (!put.ok()) return session.Fail(put.status());
  Json out;
  out["ShardId"] = put->shard_id;
  out["SequenceNumber"] = put->sequence_number;
  session.Print(out);
  return kExitOk;
}

int RemotePutRecords(const Flags& flags, const Session& session,
                     absl::Span<const OwnedPutEntry> entries) {
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  const std::string& stream = RemoteStreamName(flags);
  // One result per entry, in input order; entries checked here fail at once.
  std::vector<KinesisPutRecordsResultEntry> results(entries.size());
  std::vector<size_t> to_send;
  to_send.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (absl::Status s = CheckEntry(entries[i], i); !s.ok()) {
      results[i].error_code = "InvalidArgumentException";
      results[i].error_message = std::string(s.message());
    } else {
      to_send.push_back(i);
    }
  }
  bool sent_any = false;
  for (size_t begin = 0; begin < to_send.size();) {
    std::vector<KinesisPutRecordsEntry> batch;
    size_t bytes = 0;
    size_t end = begin;
    for (; end < to_send.size() && batch.size() < kMaxPutRecordsEntries;
         ++end) {
      const OwnedPutEntry& e = entries[to_send[end]];
      const size_t size = e.partition_key.size() + e.data.size();
      if (!batch.empty() && bytes + size > kMaxPutRecordsBytes) break;
      bytes += size;
      batch.push_back({e.partition_key, e.data, e.explicit_hash_key});
    }
    absl::StatusOr<KinesisPutRecordsResult> put =
        (*client)->PutRecords(stream, batch);
    if (!put.ok() && !sent_any) {
      return session.Fail(put.status());  // nothing written: say why
    }
    for (size_t j = 0; j < batch.size(); ++j) {
      KinesisPutRecordsResultEntry& r = results[to_send[begin + j]];
      if (put.ok() && j < put->records.size()) {
        r = std::move(put->records[j]);
      } else {
        // A later request failed as a whole: its entries fail, the earlier
        // ones stay written and are reported.
        const absl::Status s =
            put.ok() ? absl::InternalError("no result for this entry")
                     : put.status();
        r.error_code = PutRecordsErrorCode(s);
        r.error_message = std::string(s.message());
      }
    }
    sent_any = true;
    begin = end;
  }
  int failed = 0;
  Json records = Json::array();
  for (const KinesisPutRecordsResultEntry& r : results) {
    Json entry;
    if (r.ok()) {
      entry["SequenceNumber"] = r.sequence_number;
      entry["ShardId"] = r.shard_id;
    } else {
      ++failed;
      entry["ErrorCode"] = r.error_code;
      entry["ErrorMessage"] = r.error_message;
    }
    records.push_back(std::move(entry));
  }
  Json out;
  out["FailedRecordCount"] = failed;
  out["Records"] = std::move(records);
  session.Print(out);
  return kExitOk;
}

int RemoteGetRecords(const Flags& flags, const Session& session,
                     absl::string_view shard_id,
                     const KinesisStartingPosition& start, int limit,
                     bool deaggregate) {
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  const std::string& stream = RemoteStreamName(flags);
  absl::StatusOr<std::string> iterator =
      (*client)->GetShardIterator(stream, shard_id, start);
  if (!iterator.ok()) return session.Fail(iterator.status());
  absl::StatusOr<KinesisGetRecordsResult> result =
      (*client)->GetRecords(*iterator, limit);
  if (!result.ok()) return session.Fail(result.status());

  Json records = Json::array();
  AppendRecordsJson(result->records, deaggregate, &records);
  Json out;
  out["Records"] = std::move(records);
  out["MillisBehindLatest"] = result->millis_behind_latest;
  if (result->next_shard_iterator.empty()) {
    // The end of a closed shard. The children from ListShards, which every
    // endpoint has (kinesalite reports no ChildShards in GetRecords).
    absl::StatusOr<std::vector<KinesisShard>> shards =
        (*client)->ListShards(stream);
    if (!shards.ok()) return session.Fail(shards.status());
    Json children = Json::array();
    for (const KinesisShard& s : *shards) {
      if (s.parent_shard_id != shard_id &&
          s.adjacent_parent_shard_id != shard_id) {
        continue;
      }
      Json parents = Json::array();
      for (const std::string* p :
           {&s.parent_shard_id, &s.adjacent_parent_shard_id}) {
        if (!p->empty()) parents.push_back(*p);
      }
      Json c;
      c["ShardId"] = s.shard_id;
      c["ParentShards"] = std::move(parents);
      c["HashKeyRange"] = RangeJson(s.starting_hash_key, s.ending_hash_key);
      children.push_back(std::move(c));
    }
    out["ChildShards"] = std::move(children);
  }
  session.Print(out);
  return kExitOk;
}

void AppendRecordsJson(const std::vector<KinesisRecord>& records,
                       bool deaggregate, Json* out) {
  std::vector<Record> users;
  for (const KinesisRecord& kr : records) {
    Record r;
    r.partition_key = kr.partition_key;
    r.data = kr.data;
    r.approximate_arrival_timestamp_millis =
        kr.approximate_arrival_timestamp_millis;
    if (!deaggregate) {
      out->push_back(RecordJson(r, false, kr.sequence_number));
      continue;
    }
    users.clear();
    if (!Deaggregate(r, &users).ok()) {
      r.damaged_aggregate = true;  // printed as stored, as a local read does
      out->push_back(RecordJson(r, true, kr.sequence_number));
      continue;
    }
    for (const Record& u : users) {
      out->push_back(RecordJson(u, true, kr.sequence_number));
    }
  }
}

int RemoteListShards(const Flags& flags, const Session& session) {
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  absl::StatusOr<std::vector<KinesisShard>> shards =
      (*client)->ListShards(RemoteStreamName(flags));
  if (!shards.ok()) return session.Fail(shards.status());
  Json list = Json::array();
  for (const KinesisShard& shard : *shards) {
    list.push_back(RemoteShardJson(shard));
  }
  Json out;
  out["Shards"] = std::move(list);
  session.Print(out);
  return kExitOk;
}

int RemoteDescribeStreamSummary(const Flags& flags, const Session& session) {
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  absl::StatusOr<KinesisStreamSummary> d =
      (*client)->DescribeStreamSummary(RemoteStreamName(flags));
  if (!d.ok()) return session.Fail(d.status());
  // The local command's fields in the AWS CLI's order, with what only the
  // service has (StreamARN) and without what only brook has (StoredBytes).
  Json summary;
  summary["StreamName"] = d->stream_name;
  if (!d->stream_arn.empty()) summary["StreamARN"] = d->stream_arn;
  summary["StreamStatus"] = d->stream_status;
  if (!d->stream_mode.empty()) {
    summary["StreamModeDetails"] = {{"StreamMode", d->stream_mode}};
  }
  summary["RetentionPeriodHours"] = d->retention_period_hours;
  summary["EnhancedMonitoring"] =
      Json::array({{{"ShardLevelMetrics", d->shard_level_metrics}}});
  if (!d->encryption_type.empty()) {
    summary["EncryptionType"] = d->encryption_type;
  }
  summary["OpenShardCount"] = d->open_shard_count;
  summary["ConsumerCount"] = d->consumer_count;
  Json out;
  out["StreamDescriptionSummary"] = std::move(summary);
  session.Print(out);
  return kExitOk;
}

int RemoteCreateStream(const Flags& flags, const Session& session,
                       int shard_count,
                       std::optional<int> retention_period_hours) {
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  const std::string& stream = RemoteStreamName(flags);
  if (absl::Status s = (*client)->CreateStream(stream, shard_count); !s.ok()) {
    return session.Fail(s);
  }
  if (int code = WaitActive(**client, stream, session); code != kExitOk) {
    return code;
  }
  // Kinesis creates streams with 24 hours.
  if (retention_period_hours.has_value() && *retention_period_hours != 24) {
    const absl::Status s = *retention_period_hours > 24
                               ? (*client)->IncreaseStreamRetentionPeriod(
                                     stream, *retention_period_hours)
                               : (*client)->DecreaseStreamRetentionPeriod(
                                     stream, *retention_period_hours);
    if (!s.ok()) return session.Fail(s);
    return WaitActive(**client, stream, session);
  }
  return kExitOk;  // silent, as `aws kinesis create-stream` is
}

int RemoteChangeRetentionPeriod(const Flags& flags, const Session& session,
                                int retention_period_hours, bool increase) {
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  const std::string& stream = RemoteStreamName(flags);
  const absl::Status s = increase ? (*client)->IncreaseStreamRetentionPeriod(
                                        stream, retention_period_hours)
                                  : (*client)->DecreaseStreamRetentionPeriod(
                                        stream, retention_period_hours);
  if (!s.ok()) return session.Fail(s);
  return kExitOk;  // silent, as the AWS CLI is
}

int RemoteSplitShard(const Flags& flags, const Session& session,
                     absl::string_view shard_id,
                     absl::string_view new_starting_hash_key) {
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  const std::string& stream = RemoteStreamName(flags);
  if (absl::Status s =
          (*client)->SplitShard(stream, shard_id, new_starting_hash_key);
      !s.ok()) {
    return session.Fail(s);
  }
  return WaitActive(**client, stream, session);  // silent on success
}

int RemoteMergeShards(const Flags& flags, const Session& session,
                      absl::string_view shard_id,
                      absl::string_view adjacent_shard_id) {
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  const std::string& stream = RemoteStreamName(flags);
  if (absl::Status s =
          (*client)->MergeShards(stream, shard_id, adjacent_shard_id);
      !s.ok()) {
    return session.Fail(s);
  }
  return WaitActive(**client, stream, session);  // silent on success
}

int RemoteUpdateShardCount(const Flags& flags, const Session& session,
                           int target_shard_count) {
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      ConnectRemote(flags, session);
  if (!client.ok()) return session.Fail(client.status());
  const std::string& stream = RemoteStreamName(flags);
  absl::StatusOr<KinesisStreamSummary> before =
      (*client)->DescribeStreamSummary(stream);
  if (!before.ok()) return session.Fail(before.status());
  if (absl::Status s = (*client)->UpdateShardCount(stream, target_shard_count);
      !s.ok()) {
    return session.Fail(s);
  }
  if (int code = WaitActive(**client, stream, session); code != kExitOk) {
    return code;
  }
  Json out;
  out["StreamName"] = before->stream_name;
  out["CurrentShardCount"] = before->open_shard_count;
  out["TargetShardCount"] = target_shard_count;
  if (!before->stream_arn.empty()) out["StreamARN"] = before->stream_arn;
  session.Print(out);
  return kExitOk;
}

}  // namespace cli
}  // namespace brook
