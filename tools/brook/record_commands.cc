// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/record_commands.h"

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "brook/consumer.h"
#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "tools/brook/remote_commands.h"

namespace brook {
namespace cli {
namespace {

// Decodes standard base64 with padding, as the AWS CLI writes it. Anything
// that does not encode back to the same text (missing padding, whitespace,
// stray characters) is rejected rather than guessed at.
absl::StatusOr<std::string> DecodeBase64(absl::string_view text) {
  std::string bytes;
  if (!absl::Base64Unescape(text, &bytes) ||
      absl::Base64Escape(bytes) != text) {
    return absl::InvalidArgumentError("not valid base64");
  }
  return bytes;
}

// The AWS CLI prints timestamps as seconds since the epoch with a fraction.
double ArrivalSeconds(int64_t millis) {
  return static_cast<double>(millis) / 1000.0;
}

int RunPutRecord(const Flags& flags, const Session& session) {
  const std::string* text = FindValue(flags, "data");
  const std::string* base64 = FindValue(flags, "data-base64");
  if (text != nullptr && base64 != nullptr) {
    return session.Usage("give --data or --data-base64, not both");
  }
  if (text == nullptr && base64 == nullptr) {
    return session.Usage("missing --data or --data-base64");
  }
  std::string data;
  if (text != nullptr) {
    data = *text;
  } else {
    absl::StatusOr<std::string> decoded = DecodeBase64(*base64);
    if (!decoded.ok()) {
      return session.Usage(
          absl::StrCat("--data-base64: ", decoded.status().message()));
    }
    data = *std::move(decoded);
  }
  std::string explicit_hash_key;
  if (const std::string* ehk = FindValue(flags, "explicit-hash-key")) {
    if (absl::StatusOr<HashKey> key = ParseHashKey(*ehk); !key.ok()) {
      return session.Usage(
          absl::StrCat("--explicit-hash-key: ", key.status().message()));
    }
    explicit_hash_key = *ehk;
  }
  if (IsRemote(flags)) {
    return RemotePutRecord(flags, session, *FindValue(flags, "partition-key"),
                           data, explicit_hash_key);
  }

  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenForWrite(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  Producer producer(stream->get());
  absl::StatusOr<PutRecordResult> put = producer.PutRecord(
      *FindValue(flags, "partition-key"), data, explicit_hash_key);
  if (!put.ok()) return session.Fail(put.status());
  if (absl::Status s = session.backend().Sync(**stream); !s.ok()) {
    return session.Fail(s);
  }
  Json out;
  out["ShardId"] = std::string(put->shard_id);
  out["SequenceNumber"] = put->sequence_number.ToString();
  session.Print(out);
  return kExitOk;
}

absl::StatusOr<std::string> ReadRecordsFile(absl::string_view path,
                                            std::istream& stdin_stream) {
  std::stringstream buffer;
  if (path == "-") {
    buffer << stdin_stream.rdbuf();
    return buffer.str();
  }
  std::ifstream file{std::string(path), std::ios::binary};
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat("--records-file ", path, ": cannot be opened"));
  }
  buffer << file.rdbuf();
  if (file.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--records-file ", path, ": read failed"));
  }
  return buffer.str();
}

// Reads the AWS CLI's input shape, {"Records": [{"Data": base64,
// "PartitionKey": ..., "ExplicitHashKey": ...}]}; "StreamName" and
// "StreamARN" are allowed and ignored, so an `aws kinesis put-records
// --cli-input-json` file works as is. Values the stream judges (an empty or
// over-long partition key, a malformed explicit hash key) are left to it, so
// that they fail as single entries; so is an empty explicit hash key. A field
// given twice in one object is rejected, not resolved (last wins) by guessing.
absl::StatusOr<std::vector<OwnedPutEntry>> ParseRecordsDocument(
    absl::string_view text) {
  absl::StatusOr<Json> parsed = ParseJson(text);
  if (!parsed.ok()) return parsed.status();
  const Json& doc = *parsed;
  if (!doc.is_object() || !doc.contains("Records") ||
      !doc["Records"].is_array()) {
    return absl::InvalidArgumentError(
        "expected an object with a \"Records\" array");
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "Records" && key != "StreamName" && key != "StreamARN") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field \"", key, "\""));
    }
  }
  const Json& records = doc["Records"];
  if (records.empty()) {
    return absl::InvalidArgumentError("\"Records\" is empty");
  }
  std::vector<OwnedPutEntry> entries;
  entries.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const Json& r = records[i];
    const std::string where = absl::StrCat("Records[", i, "]");
    if (!r.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected an object"));
    }
    OwnedPutEntry entry;
    bool has_data = false;
    bool has_key = false;
    for (const auto& [key, value] : r.items()) {
      if (key == "ExplicitHashKey" && value.is_null()) continue;
      if (key != "Data" && key != "PartitionKey" && key != "ExplicitHashKey") {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": unknown field \"", key, "\""));
      }
      if (!value.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".", key, ": expected a string"));
      }
      const std::string& s = value.get_ref<const std::string&>();
      if (key == "Data") {
        absl::StatusOr<std::string> bytes = DecodeBase64(s);
        if (!bytes.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ".Data: ", bytes.status().message()));
        }
        entry.data = *std::move(bytes);
        has_data = true;
      } else if (key == "PartitionKey") {
        entry.partition_key = s;
        has_key = true;
      } else {
        entry.explicit_hash_key = s;
        entry.empty_explicit_hash_key = s.empty();
      }
    }
    if (!has_data || !has_key) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": missing \"", has_data ? "PartitionKey" : "Data", "\""));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

int RunPutRecords(const Flags& flags, const Session& session) {
  const std::string& path = *FindValue(flags, "records-file");
  absl::StatusOr<std::string> text = ReadRecordsFile(path, session.io().in);
  if (!text.ok()) return session.Usage(text.status().message());
  absl::StatusOr<std::vector<OwnedPutEntry>> owned =
      ParseRecordsDocument(*text);
  if (!owned.ok()) {
    return session.Usage(
        absl::StrCat("--records-file ", path, ": ", owned.status().message()));
  }
  if (IsRemote(flags)) return RemotePutRecords(flags, session, *owned);
  std::vector<PutRecordsEntry> entries;
  entries.reserve(owned->size());
  for (const OwnedPutEntry& e : *owned) {
    if (e.empty_explicit_hash_key) continue;  // fails below, on its own
    entries.push_back({e.partition_key, e.data, e.explicit_hash_key});
  }

  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenForWrite(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  PutRecordsResult put;
  if (!entries.empty()) {
    Producer producer(stream->get());
    absl::StatusOr<PutRecordsResult> stored = producer.PutRecords(entries);
    if (!stored.ok()) return session.Fail(stored.status());
    put = *std::move(stored);
    if (absl::Status s = session.backend().Sync(**stream); !s.ok()) {
      return session.Fail(s);
    }
  }
  // The entries in input order, with the ones left out above failed.
  std::vector<PutRecordsResultEntry> results;
  results.reserve(owned->size());
  size_t next = 0;
  for (size_t i = 0; i < owned->size(); ++i) {
    if ((*owned)[i].empty_explicit_hash_key) {
      PutRecordsResultEntry failed;
      failed.status = absl::InvalidArgumentError(
          absl::StrCat("Records[", i, "].ExplicitHashKey: must not be empty"));
      results.push_back(std::move(failed));
      ++put.failed_record_count;
    } else {
      results.push_back(std::move(put.records[next++]));
    }
  }
  Json records = Json::array();
  for (const PutRecordsResultEntry& r : results) {
    Json entry;
    if (r.status.ok()) {
      entry["SequenceNumber"] = r.sequence_number.ToString();
      entry["ShardId"] = std::string(r.shard_id);
    } else {
      entry["ErrorCode"] = PutRecordsErrorCode(r.status);
      entry["ErrorMessage"] = std::string(r.status.message());
    }
    records.push_back(std::move(entry));
  }
  Json out;
  out["FailedRecordCount"] = put.failed_record_count;
  out["Records"] = std::move(records);
  session.Print(out);
  return kExitOk;
}

// The values of --shard-iterator-type, as `ParseShardIteratorType()` takes
// them.
constexpr absl::string_view kShardIteratorTypeNames[] = {
    "TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
    "AT_TIMESTAMP"};

int RunGetRecords(const Flags& flags, const Session& session) {
  absl::StatusOr<size_t> i = ParseChoiceFlag(
      "shard-iterator-type", *FindValue(flags, "shard-iterator-type"),
      kShardIteratorTypeNames);
  if (!i.ok()) return session.Usage(i.status().message());
  absl::StatusOr<ShardIteratorType> type =
      ParseShardIteratorType(kShardIteratorTypeNames[*i]);
  if (!type.ok()) return session.Usage(type.status().message());
  StartingPosition start;
  start.type = *type;
  const absl::string_view type_name = ShardIteratorTypeName(*type);
  const bool wants_sequence = *type == ShardIteratorType::kAtSequenceNumber ||
                              *type == ShardIteratorType::kAfterSequenceNumber;
  const bool wants_timestamp = *type == ShardIteratorType::kAtTimestamp;
  const std::string* sequence = FindValue(flags, "starting-sequence-number");
  const std::string* timestamp = FindValue(flags, "timestamp");
  if (wants_sequence != (sequence != nullptr)) {
    return session.Usage(absl::StrCat(
        "--starting-sequence-number ",
        wants_sequence ? "is required with " : "does not go with ", type_name));
  }
  if (wants_timestamp != (timestamp != nullptr)) {
    return session.Usage(absl::StrCat(
        "--timestamp ",
        wants_timestamp ? "is required with " : "does not go with ",
        type_name));
  }
  const bool remote = IsRemote(flags);
  if (sequence != nullptr) {
    // A Kinesis stream's numbers are longer than `SequenceNumber` holds: the
    // service judges them; only their form is checked here.
    absl::Status checked = CheckSequenceNumberText(*sequence);
    if (!remote && checked.ok()) {
      absl::StatusOr<SequenceNumber> n = SequenceNumber::Parse(*sequence);
      if (n.ok()) start.sequence_number = *n;
      checked = n.status();
    }
    if (!checked.ok()) {
      return session.Usage(
          absl::StrCat("--starting-sequence-number: ", checked.message()));
    }
  }
  if (timestamp != nullptr) {
    absl::StatusOr<int64_t> millis =
        ParseIntFlag("timestamp", *timestamp, 0, INT64_MAX);
    if (!millis.ok()) return session.Usage(millis.status().message());
    start.timestamp_millis = *millis;
  }
  GetRecordsOptions options;
  if (const std::string* limit = FindValue(flags, "limit")) {
    absl::StatusOr<int64_t> n = ParseIntFlag("limit", *limit, 1, 10000);
    if (!n.ok()) return session.Usage(n.status().message());
    options.limit = static_cast<int>(*n);
  }
  absl::StatusOr<bool> deaggregate = ParseDeaggregateFlag(flags);
  if (!deaggregate.ok()) return session.Usage(deaggregate.status().message());
  options.deaggregate = *deaggregate;
  if (remote) {
    KinesisStartingPosition at;
    at.type = KinesisIteratorTypeOf(*type);
    if (sequence != nullptr) at.sequence_number = *sequence;
    at.timestamp_millis = start.timestamp_millis.value_or(0);
    return RemoteGetRecords(flags, session, *FindValue(flags, "shard-id"), at,
                            options.limit, options.deaggregate);
  }

  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenReadOnly(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  Consumer consumer(stream->get());
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(*FindValue(flags, "shard-id"), start);
  if (!it.ok()) return session.Fail(it.status());
  absl::StatusOr<GetRecordsResult> result = consumer.GetRecords(*it, options);
  if (!result.ok()) return session.Fail(result.status());

  Json records = Json::array();
  for (const Record& r : result->records()) {
    records.push_back(RecordJson(r, options.deaggregate));
  }
  Json out;
  out["Records"] = std::move(records);
  out["MillisBehindLatest"] =
      absl::ToInt64Milliseconds(result->behind_latest());
  if (!result->next_shard_iterator().valid()) {
    Json children = Json::array();
    for (const ChildShard& child : result->child_shards()) {
      Json c;
      c["ShardId"] = child.shard_id;
      c["ParentShards"] = child.parent_shards;
      c["HashKeyRange"] = HashKeyRangeJson(child.hash_key_range);
      children.push_back(std::move(c));
    }
    out["ChildShards"] = std::move(children);
  }
  session.Print(out);
  return kExitOk;
}

constexpr FlagSpec kPutRecordFlags[] = {
    kStreamDirOrNameFlag,
    kStreamNameFlag,
    kRegionFlag,
    kEndpointUrlFlag,
    kProfileFlag,
    {"partition-key", "K", true, "partition key, 1 to 256 characters"},
    {"data", "S", false, "the record's bytes, given as text"},
    {"data-base64", "B", false, "the record's bytes, base64-encoded"},
    {"explicit-hash-key", "H", false,
     "decimal hash key that overrides the partition key's MD5"},
};
constexpr FlagSpec kPutRecordsFlags[] = {
    kStreamDirOrNameFlag,
    kStreamNameFlag,
    kRegionFlag,
    kEndpointUrlFlag,
    kProfileFlag,
    {"records-file", "F", true,
     "JSON file of records, or - for standard input"},
};
constexpr FlagSpec kGetRecordsFlags[] = {
    kStreamDirOrNameFlag,
    kStreamNameFlag,
    kRegionFlag,
    kEndpointUrlFlag,
    kProfileFlag,
    {"shard-id", "S", true, "shard to read, e.g. shardId-000000000000"},
    {"shard-iterator-type", "T", true,
     "TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or "
     "AT_TIMESTAMP"},
    {"starting-sequence-number", "N", false,
     "with AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER only"},
    {"timestamp", "MS", false,
     "with AT_TIMESTAMP only: milliseconds since the Unix epoch"},
    {"limit", "L", false, "most records returned, 1 to 10000 (default 10000)"},
    kDeaggregateFlag,
};

}  // namespace

Json RecordJson(const Record& r, bool deaggregated) {
  return RecordJson(r, deaggregated, r.sequence_number.ToString());
}

Json RecordJson(const Record& r, bool deaggregated,
                absl::string_view sequence_number) {
  Json record;
  record["SequenceNumber"] = std::string(sequence_number);
  if (r.subsequence_number != 0 || deaggregated) {
    record["SubSequenceNumber"] = r.subsequence_number;
  }
  record["ApproximateArrivalTimestamp"] =
      ArrivalSeconds(r.approximate_arrival_timestamp_millis);
  record["Data"] = absl::Base64Escape(r.data);
  record["PartitionKey"] = std::string(r.partition_key);
  if (deaggregated && r.has_explicit_hash_key) {
    record["ExplicitHashKey"] = HashKeyToString(r.hash_key);
  }
  if (r.damaged_aggregate) record["DamagedAggregate"] = true;
  return record;
}

absl::StatusOr<bool> ParseDeaggregateFlag(const Flags& flags) {
  const std::string* value = FindValue(flags, "deaggregate");
  if (value == nullptr) return false;
  absl::StatusOr<size_t> on =
      ParseChoiceFlag("deaggregate", *value, {"false", "true"});
  if (!on.ok()) return on.status();
  return *on == 1;
}

const Command kPutRecordCommand = {
    "put-record",
    "Writes one record; prints {\"ShardId\", \"SequenceNumber\"}.",
    kPutRecordFlags,
    "Give exactly one of --data and --data-base64. An invalid partition key\n"
    "or a record over the stream's max record size is a runtime error.\n",
    RunPutRecord,
    "(--stream-dir DIR | --stream-name NAME) --partition-key K\n"
    "       (--data S | --data-base64 B) [--explicit-hash-key H]"};

const Command kPutRecordsCommand = {
    "put-records",
    "Writes many records, each succeeding or failing on its own.",
    kPutRecordsFlags,
    "The file holds the AWS CLI's input shape:\n"
    "  {\"Records\": [{\"Data\": \"<base64>\", \"PartitionKey\": \"k\",\n"
    "                \"ExplicitHashKey\": \"<decimal>\"(optional)}, ...]}\n"
    "(\"StreamName\" and \"StreamARN\" are ignored). A file that is not of "
    "that\n"
    "shape, a field given twice in one object, or Data that is not base64, "
    "is\n"
    "an argument error and nothing is written. An entry with an invalid\n"
    "partition key or explicit hash key (also an empty \"ExplicitHashKey\")\n"
    "fails on its own. Prints {\"FailedRecordCount\": n, \"Records\": [...]} "
    "in input\n"
    "order, each {\"SequenceNumber\", \"ShardId\"} or {\"ErrorCode\",\n"
    "\"ErrorMessage\"}; ErrorCode is InvalidArgumentException,\n"
    "ProvisionedThroughputExceededException (stream full) or "
    "InternalFailure.\n"
    "Failed entries do not change the exit code, as with the AWS CLI. There\n"
    "is no 500-entry limit: with --stream-name the entries are sent in\n"
    "requests of at most 500 entries and 5 MiB, in order; entries with an\n"
    "invalid key fail without being sent, as locally.\n",
    RunPutRecords};

const Command kGetRecordsCommand = {
    "get-records",
    "Reads records of one shard from a starting position (one GetRecords).",
    kGetRecordsFlags,
    "Unlike `aws kinesis get-records` this takes the position directly, so\n"
    "there is no --shard-iterator and the output has no NextShardIterator.\n"
    "To read on, run again with --shard-iterator-type AFTER_SEQUENCE_NUMBER\n"
    "--starting-sequence-number <the last SequenceNumber printed>. Prints\n"
    "{\"Records\": [{\"SequenceNumber\", \"ApproximateArrivalTimestamp\" "
    "(seconds\n"
    "with fraction), \"Data\" (base64), \"PartitionKey\"}], "
    "\"MillisBehindLatest\"}\n"
    "and, once the end of a closed shard is read, \"ChildShards\".\n"
    "Each run is a point-in-time read of the records stored when it starts;\n"
    "it does not wait for new ones. So LATEST, which starts after the last\n"
    "record, always prints no records: to follow a shard, note the last\n"
    "SequenceNumber and run again with AFTER_SEQUENCE_NUMBER.\n"
    "With --deaggregate true, each KPL aggregated record comes out as its\n"
    "user records (--limit counts stored records), each with its\n"
    "\"SubSequenceNumber\" (and \"ExplicitHashKey\" if it has one); an\n"
    "aggregate that cannot be decoded comes out as stored with\n"
    "\"DamagedAggregate\": true.\n"
    "With --stream-name: one GetShardIterator and one GetRecords on the\n"
    "Kinesis stream; sequence numbers are the service's (56 digits). Kinesis\n"
    "reports a closed shard's end only on a read that returns no records,\n"
    "so ChildShards (taken from ListShards) appear on the read after the\n"
    "last record.\n",
    RunGetRecords,
    "(--stream-dir DIR | --stream-name NAME) --shard-id S\n"
    "       --shard-iterator-type T\n"
    "       [--starting-sequence-number N | --timestamp MS] [--limit L]\n"
    "       [--deaggregate B]"};

}  // namespace cli
}  // namespace brook
