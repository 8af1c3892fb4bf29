// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/cli.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "tools/brook/command.h"
#include "tools/brook/reshard_commands.h"
#include <nlohmann/json.hpp>

namespace brook {
namespace cli {
namespace {

// The text of `--help` and of usage messages.
constexpr absl::string_view kToolSummary =
    "brook: read and write a brook stream directory from the shell, with\n"
    "output shaped like the AWS CLI's `aws kinesis`.\n";

constexpr absl::string_view kExitCodesHelp =
    "Exit codes: 0 success; 1 runtime error (no stream there, invalid\n"
    "partition key, store failure); 2 bad arguments (nothing was opened);\n"
    "3 verify found damage.\n";

void PrintCommandHelp(const Command& command, std::ostream& os) {
  os << CommandUsageLine(command) << "\n\n" << command.summary << "\n\n";
  for (const FlagSpec& flag : command.flags) {
    os << "  --" << flag.name << " " << flag.value_name << "\n      "
       << flag.help << "\n";
  }
  if (!command.details.empty()) os << "\n" << command.details;
  os << "\n" << kExitCodesHelp;
}

// Shows how far a long command has got on a terminal, as one line rewritten in
// place with '\r', at most ten times a second; prints nothing when disabled.
class ProgressLine {
 public:
  ProgressLine(std::ostream& err, bool enabled, absl::string_view label,
               absl::string_view unit)
      : err_(err), enabled_(enabled), label_(label), unit_(unit) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { Clear(); }

  void Update(const Progress& progress) {
    if (!enabled_) return;
    const int64_t now = Env::Default()->NowMillis();
    if (shown_ && now - last_millis_ < 100) return;
    last_millis_ = now;
    std::string line = absl::StrCat(label_, ": ", progress.done);
    if (progress.total > 0) absl::StrAppend(&line, "/", progress.total);
    absl::StrAppend(&line, " ", unit_);
    if (!progress.item.empty())
      absl::StrAppend(&line, " (", progress.item, ")");
    const size_t width = std::max(width_, line.size());
    line.resize(width, ' ');
    err_ << '\r' << line << std::flush;
    width_ = width;
    shown_ = true;
  }

  // Wipes the line so that what follows starts on a clean one.
  void Clear() {
    if (!shown_) return;
    err_ << '\r' << std::string(width_, ' ') << '\r' << std::flush;
    shown_ = false;
    width_ = 0;
  }

 private:
  std::ostream& err_;
  const bool enabled_;
  const std::string label_;
  const std::string unit_;
  bool shown_ = false;
  int64_t last_millis_ = 0;
  size_t width_ = 0;
};

// --- Argument parsing ------------------------------------------------------

bool IsHelpFlag(absl::string_view arg) {
  return arg == "--help" || arg == "-h";
}

const FlagSpec* FindFlag(const Command& command, absl::string_view name) {
  for (const FlagSpec& flag : command.flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

// Splits `args` into flags, checking names, values, repeats and required flags
// against `command`; the message names the problem. Stops with `*help` set at
// a --help or -h where a flag may stand (not where a value is expected).
absl::StatusOr<Flags> ParseFlags(const Command& command,
                                 absl::Span<const char* const> args,
                                 bool* help) {
  Flags flags;
  *help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (IsHelpFlag(arg)) {
      *help = true;
      return flags;
    }
    if (!absl::ConsumePrefix(&arg, "--") || arg.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", args[i], "\""));
    }
    absl::string_view name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
      has_value = true;
    }
    if (FindFlag(command, name) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!has_value) {
      if (i + 1 == args.size() ||
          absl::StartsWith(absl::string_view(args[i + 1]), "--")) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value (write --", name,
                         "=VALUE for a value that starts with --)"));
      }
      value = args[++i];
    }
    if (!flags.emplace(std::string(name), std::move(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " given more than once"));
    }
  }
  for (const FlagSpec& flag : command.flags) {
    if (flag.required && flags.find(flag.name) == flags.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing required flag --", flag.name));
    }
  }
  return flags;
}

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

// The stream's name when create-stream is not given one: the directory's last
// component.
std::string DefaultStreamName(absl::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  if (size_t slash = dir.rfind('/'); slash != absl::string_view::npos) {
    dir.remove_prefix(slash + 1);
  }
  return dir.empty() ? "stream" : std::string(dir);
}

// --- JSON in the shapes of the AWS CLI -------------------------------------

Json HashKeyRangeJson(const HashKeyRange& range) {
  Json json;
  json["StartingHashKey"] = HashKeyToString(range.starting_hash_key);
  json["EndingHashKey"] = HashKeyToString(range.ending_hash_key);
  return json;
}

Json ShardJson(const ShardDescription& shard) {
  Json json;
  json["ShardId"] = shard.shard_id;
  if (!shard.parent_shard_id.empty()) {
    json["ParentShardId"] = shard.parent_shard_id;
  }
  if (!shard.adjacent_parent_shard_id.empty()) {
    json["AdjacentParentShardId"] = shard.adjacent_parent_shard_id;
  }
  json["HashKeyRange"] = HashKeyRangeJson(shard.hash_key_range);
  Json range;
  range["StartingSequenceNumber"] = shard.starting_sequence_number.ToString();
  if (shard.ending_sequence_number.has_value()) {
    range["EndingSequenceNumber"] = shard.ending_sequence_number->ToString();
  }
  json["SequenceNumberRange"] = std::move(range);
  return json;
}

// The AWS CLI prints timestamps as seconds since the epoch with a fraction.
double ArrivalSeconds(int64_t millis) {
  return static_cast<double>(millis) / 1000.0;
}

absl::string_view PutRecordsErrorCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return "InvalidArgumentException";
    case absl::StatusCode::kResourceExhausted:
      return "ProvisionedThroughputExceededException";
    default:
      return "InternalFailure";
  }
}

// --- Commands ----------------------------------------------------------------

// Kinesis's longest retention period: 365 days.
constexpr int64_t kMaxRetentionHours = 365 * 24;

// Sets the retention options of create-stream's flags in `options`; returns
// kExitOk, or the usage error's code having reported it.
int RetentionFlags(const Flags& flags, const Session& session,
                   StreamOptions* options) {
  if (const std::string* hours = FindValue(flags, "retention-period-hours")) {
    absl::StatusOr<int64_t> h =
        ParseIntFlag("retention-period-hours", *hours, 1, kMaxRetentionHours);
    if (!h.ok()) return session.Usage(h.status().message());
    options->retention_period = absl::Hours(*h);
  }
  if (const std::string* bytes = FindValue(flags, "retention-bytes")) {
    absl::StatusOr<int64_t> b =
        ParseIntFlag("retention-bytes", *bytes, 0, INT64_MAX);
    if (!b.ok()) return session.Usage(b.status().message());
    const int64_t least = 2 * options->segment_bytes;
    if (*b != 0 && *b < least) {
      return session.Usage(absl::StrCat(
          "--retention-bytes: expected 0 (no bound) or at least ", least,
          " (twice the segment size), got \"", *bytes, "\""));
    }
    options->retention_bytes = *b;
  }
  if (const std::string* policy = FindValue(flags, "on-full")) {
    if (*policy == "reject-writes") {
      options->on_full = RetentionFullPolicy::kRejectWrites;
    } else if (*policy == "drop-oldest") {
      options->on_full = RetentionFullPolicy::kDropOldest;
    } else {
      return session.Usage(absl::StrCat(
          "--on-full: expected reject-writes or drop-oldest, got \"", *policy,
          "\""));
    }
    if (options->retention_bytes == 0) {
      return session.Usage("--on-full needs --retention-bytes");
    }
  }
  return kExitOk;
}

int RunCreateStream(const Flags& flags, const Session& session) {
  StreamOptions options;
  absl::StatusOr<int64_t> shard_count =
      ParseIntFlag("shard-count", *FindValue(flags, "shard-count"), 1, 10000);
  if (!shard_count.ok()) return session.Usage(shard_count.status().message());
  options.shard_count = static_cast<int>(*shard_count);
  const std::string* name = FindValue(flags, "stream-name");
  if (name != nullptr && name->empty()) {
    return session.Usage("--stream-name must not be empty");
  }
  options.name = name != nullptr ? *name : DefaultStreamName(StreamDir(flags));
  if (int code = RetentionFlags(flags, session, &options); code != kExitOk) {
    return code;
  }

  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().CreateStream(StreamDir(flags), options);
  if (!stream.ok()) return session.Fail(stream.status());
  if (absl::Status s = session.backend().Sync(**stream); !s.ok()) {
    return session.Fail(s);
  }
  return kExitOk;  // silent, as `aws kinesis create-stream` is
}

int RunDescribeStreamSummary(const Flags& flags, const Session& session) {
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenReadOnly(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  // DescribeStream() reads only STREAM for a cleanly closed directory (its
  // stored bytes are recorded there); for one a writer has open, or that was
  // not closed cleanly, it reads every shard's frames to count them.
  const StreamDescription d = (*stream)->DescribeStream();
  Json summary;
  summary["StreamName"] = d.stream_name;
  summary["StreamStatus"] = d.stream_status;
  summary["StreamModeDetails"] = {{"StreamMode", "PROVISIONED"}};
  summary["RetentionPeriodHours"] =  // rounded up, as Kinesis's
      absl::ToInt64Hours(absl::Ceil(d.retention_period, absl::Hours(1)));
  summary["EnhancedMonitoring"] =
      Json::array({{{"ShardLevelMetrics", Json::array()}}});
  summary["EncryptionType"] = "NONE";
  summary["OpenShardCount"] = d.open_shard_count;
  summary["ConsumerCount"] = 0;
  summary["StoredBytes"] = d.stored_bytes;  // brook's; Kinesis has none
  Json out;
  out["StreamDescriptionSummary"] = std::move(summary);
  session.Print(out);
  return kExitOk;
}

// Hours, as the AWS CLI takes them; Kinesis's most, 8760 (365 days), and at
// least one (Kinesis's least is 24, which a local stream need not keep).
absl::StatusOr<int64_t> ParseRetentionHours(const Flags& flags) {
  return ParseIntFlag("retention-period-hours",
                      *FindValue(flags, "retention-period-hours"), 1, 8760);
}

int RunChangeRetentionPeriod(const Flags& flags, const Session& session,
                             bool increase) {
  absl::StatusOr<int64_t> hours = ParseRetentionHours(flags);
  if (!hours.ok()) return session.Usage(hours.status().message());
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenForWrite(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  const absl::Duration period = absl::Hours(*hours);
  absl::Status s = increase ? (*stream)->IncreaseStreamRetentionPeriod(period)
                            : (*stream)->DecreaseStreamRetentionPeriod(period);
  if (!s.ok()) return session.Fail(s);
  return kExitOk;  // silent, as the AWS CLI is
}

int RunIncreaseStreamRetentionPeriod(const Flags& flags,
                                     const Session& session) {
  return RunChangeRetentionPeriod(flags, session, /*increase=*/true);
}

int RunDecreaseStreamRetentionPeriod(const Flags& flags,
                                     const Session& session) {
  return RunChangeRetentionPeriod(flags, session, /*increase=*/false);
}

int RunUpdateRetentionBytes(const Flags& flags, const Session& session) {
  absl::StatusOr<int64_t> bytes = ParseIntFlag(
      "retention-bytes", *FindValue(flags, "retention-bytes"), 0, INT64_MAX);
  if (!bytes.ok()) return session.Usage(bytes.status().message());
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenForWrite(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  if (absl::Status s = (*stream)->UpdateRetentionBytes(*bytes); !s.ok()) {
    return session.Fail(s);
  }
  return kExitOk;
}

int RunListShards(const Flags& flags, const Session& session) {
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenReadOnly(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  Json shards = Json::array();
  for (const ShardDescription& shard : (*stream)->ListShards()) {
    shards.push_back(ShardJson(shard));
  }
  Json out;
  out["Shards"] = std::move(shards);
  session.Print(out);
  return kExitOk;
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

// A PutRecords entry that owns its bytes.
struct OwnedEntry {
  std::string partition_key;
  std::string data;
  std::string explicit_hash_key;
  // Set for "ExplicitHashKey": "", which the producer's API cannot tell from
  // no key: the entry fails on its own, as put-record's flag does.
  bool empty_explicit_hash_key = false;
};

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
absl::StatusOr<std::vector<OwnedEntry>> ParseRecordsDocument(
    absl::string_view text) {
  // nlohmann keeps the last of repeated keys; find them while parsing. One
  // set of keys per object open at `depth`.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const Json::parser_callback_t find_duplicates = [&](int depth,
                                                      Json::parse_event_t event,
                                                      Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.resize(static_cast<size_t>(depth) + 1);
      open_objects[static_cast<size_t>(depth)].clear();
    } else if (event == Json::parse_event_t::key && depth > 0 &&
               open_objects.size() >= static_cast<size_t>(depth)) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects[static_cast<size_t>(depth) - 1].insert(key).second &&
          duplicate.empty()) {
        duplicate = key;
      }
    }
    return true;
  };
  const Json doc = Json::parse(text.begin(), text.end(), find_duplicates,
                               /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  if (!duplicate.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", duplicate, "\" given more than once"));
  }
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
  std::vector<OwnedEntry> entries;
  entries.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const Json& r = records[i];
    const std::string where = absl::StrCat("Records[", i, "]");
    if (!r.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected an object"));
    }
    OwnedEntry entry;
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
  absl::StatusOr<std::vector<OwnedEntry>> owned = ParseRecordsDocument(*text);
  if (!owned.ok()) {
    return session.Usage(
        absl::StrCat("--records-file ", path, ": ", owned.status().message()));
  }
  std::vector<PutRecordsEntry> entries;
  entries.reserve(owned->size());
  for (const OwnedEntry& e : *owned) {
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
      entry["ErrorCode"] = std::string(PutRecordsErrorCode(r.status));
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

int RunGetRecords(const Flags& flags, const Session& session) {
  absl::StatusOr<ShardIteratorType> type =
      ParseShardIteratorType(*FindValue(flags, "shard-iterator-type"));
  if (!type.ok()) {
    return session.Usage(absl::StrCat(
        "--shard-iterator-type: expected TRIM_HORIZON, LATEST, "
        "AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP, got \"",
        *FindValue(flags, "shard-iterator-type"), "\""));
  }
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
  if (sequence != nullptr) {
    absl::StatusOr<SequenceNumber> n = SequenceNumber::Parse(*sequence);
    if (!n.ok()) {
      return session.Usage(
          absl::StrCat("--starting-sequence-number: ", n.status().message()));
    }
    start.sequence_number = *n;
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
    Json record;
    record["SequenceNumber"] = r.sequence_number.ToString();
    if (r.subsequence_number != 0) {
      record["SubSequenceNumber"] = r.subsequence_number;
    }
    record["ApproximateArrivalTimestamp"] =
        ArrivalSeconds(r.approximate_arrival_timestamp_millis);
    record["Data"] = absl::Base64Escape(r.data);
    record["PartitionKey"] = std::string(r.partition_key);
    records.push_back(std::move(record));
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

int RunVerify(const Flags& flags, const Session& session) {
  absl::StatusOr<VerifyReport> report;
  {
    ProgressLine progress(session.io().err, session.io().err_is_terminal,
                          "verify", "segments");
    report = session.backend().Verify(
        StreamDir(flags),
        [&progress](const Progress& p) { progress.Update(p); });
  }
  if (!report.ok()) return session.Fail(report.status());
  Json damage = Json::array();
  for (const Damage& d : report->damage) {
    damage.push_back(
        {{"File", d.file}, {"Offset", d.offset}, {"Message", d.message}});
  }
  Json out;
  out["SegmentsChecked"] = report->segments_checked;
  out["BatchesChecked"] = report->batches_checked;
  out["RecordsChecked"] = report->records_checked;
  out["BytesChecked"] = report->bytes_checked;
  out["Damage"] = std::move(damage);
  session.Print(out);
  if (report->damage.empty()) return kExitOk;
  session.io().err << "brook verify: " << report->damage.size()
                   << " damaged place(s) found in " << StreamDir(flags) << "\n";
  return kExitDamage;
}

// One readable line per record.
void DumpRecord(absl::string_view shard_id, const Record& r, size_t data_limit,
                std::ostream& out) {
  out << shard_id << " seq=" << r.sequence_number.ToString();
  if (r.subsequence_number != 0) out << " subseq=" << r.subsequence_number;
  const bool cut = data_limit != 0 && r.data.size() > data_limit;
  out << " arrival="
      << absl::FormatTime(
             "%Y-%m-%dT%H:%M:%E3SZ",
             absl::FromUnixMillis(r.approximate_arrival_timestamp_millis),
             absl::UTCTimeZone())
      << " key=\"" << absl::CHexEscape(r.partition_key) << "\" data=\""
      << absl::CHexEscape(cut ? r.data.substr(0, data_limit) : r.data) << "\""
      << (cut ? "..." : "") << " (" << r.data.size() << " bytes)\n";
}

// Prints every record of `shard_ids` from the oldest on, one line each.
absl::Status DumpShards(Stream* stream, absl::Span<const std::string> shard_ids,
                        size_t data_limit, std::ostream& out,
                        ProgressLine& progress) {
  Consumer consumer(stream);
  int64_t dumped = 0;
  for (const std::string& shard_id : shard_ids) {
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(shard_id, StartingPosition::TrimHorizon());
    if (!it.ok()) return it.status();
    while (it->valid()) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
      if (!r.ok()) return r.status();
      if (r->records().empty()) break;  // the tip of an open shard
      for (const Record& record : r->records()) {
        DumpRecord(shard_id, record, data_limit, out);
      }
      dumped += static_cast<int64_t>(r->records().size());
      progress.Update({shard_id, dumped, 0});
      *it = r->next_shard_iterator();
    }
  }
  out.flush();
  return absl::OkStatus();
}

int RunDump(const Flags& flags, const Session& session) {
  int64_t data_limit = 200;
  if (const std::string* limit = FindValue(flags, "data-limit")) {
    absl::StatusOr<int64_t> n =
        ParseIntFlag("data-limit", *limit, 0, kLargestMaxRecordBytes);
    if (!n.ok()) return session.Usage(n.status().message());
    data_limit = *n;
  }

  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenReadOnly(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  std::vector<std::string> shard_ids;
  if (const std::string* id = FindValue(flags, "shard-id")) {
    shard_ids.push_back(*id);
  } else {
    for (const ShardDescription& shard : (*stream)->ListShards()) {
      shard_ids.push_back(shard.shard_id);
    }
  }
  absl::Status dumped;
  {
    // Wiped before any error is printed.
    ProgressLine progress(
        session.io().err,
        session.io().err_is_terminal && !session.io().out_is_terminal, "dump",
        "records");
    dumped =
        DumpShards(stream->get(), shard_ids, static_cast<size_t>(data_limit),
                   session.io().out, progress);
  }
  return dumped.ok() ? kExitOk : session.Fail(dumped);
}

// --- The command table -------------------------------------------------------

constexpr FlagSpec kCreateStreamFlags[] = {
    kStreamDirFlag,
    {"shard-count", "N", true, "number of shards, 1 to 10000"},
    {"stream-name", "NAME", false,
     "name shown by describe-stream-summary (default: the directory's name)"},
    {"retention-period-hours", "H", false,
     "hours a record is kept, 1 to 8760 (default 24, as in Kinesis)"},
    {"retention-bytes", "B", false,
     "bound on the bytes the records take, 0 for none (the default) or at "
     "least 8388608 (twice the 4 MiB segment size)"},
    {"on-full", "P", false,
     "at --retention-bytes: reject-writes (default; writes fail) or "
     "drop-oldest (the oldest records are dropped)"},
};
constexpr FlagSpec kStreamDirOnly[] = {kStreamDirFlag};
constexpr FlagSpec kPutRecordFlags[] = {
    kStreamDirFlag,
    {"partition-key", "K", true, "partition key, 1 to 256 characters"},
    {"data", "S", false, "the record's bytes, given as text"},
    {"data-base64", "B", false, "the record's bytes, base64-encoded"},
    {"explicit-hash-key", "H", false,
     "decimal hash key that overrides the partition key's MD5"},
};
constexpr FlagSpec kPutRecordsFlags[] = {
    kStreamDirFlag,
    {"records-file", "F", true,
     "JSON file of records, or - for standard input"},
};
constexpr FlagSpec kGetRecordsFlags[] = {
    kStreamDirFlag,
    {"shard-id", "S", true, "shard to read, e.g. shardId-000000000000"},
    {"shard-iterator-type", "T", true,
     "TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or "
     "AT_TIMESTAMP"},
    {"starting-sequence-number", "N", false,
     "with AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER only"},
    {"timestamp", "MS", false,
     "with AT_TIMESTAMP only: milliseconds since the Unix epoch"},
    {"limit", "L", false, "most records returned, 1 to 10000 (default 10000)"},
};
constexpr FlagSpec kRetentionPeriodFlags[] = {
    kStreamDirFlag,
    {"retention-period-hours", "N", true,
     "the new retention period in hours, 1 to 8760"},
};
constexpr FlagSpec kRetentionBytesFlags[] = {
    kStreamDirFlag,
    {"retention-bytes", "N", true,
     "the new bound on stored bytes; 0 for none, else at least twice the "
     "segment size"},
};
constexpr FlagSpec kDumpFlags[] = {
    kStreamDirFlag,
    {"shard-id", "S", false, "shard to dump (default: every shard)"},
    {"data-limit", "N", false,
     "data bytes shown per record, 0 for all (default 200)"},
};

constexpr Command kCommands[] = {
    {"create-stream", "Creates a stream in an empty directory.",
     kCreateStreamFlags,
     "Prints nothing on success, as `aws kinesis create-stream` does. Fails\n"
     "(exit 1), changing nothing, if the directory already holds a stream or\n"
     "is being created by another command at the same time. The options are\n"
     "stored with the stream.\n",
     RunCreateStream},
    {"describe-stream-summary",
     "Prints {\"StreamDescriptionSummary\": {...}} as the AWS CLI does.",
     kStreamDirOnly,
     "StreamARN and StreamCreationTimestamp are left out: a local stream has\n"
     "neither. ConsumerCount is 0 and EncryptionType NONE. StoredBytes, not\n"
     "in Kinesis, is what the records take in storage now, headers included\n"
     "(the figure create-stream --retention-bytes bounds).\n",
     RunDescribeStreamSummary},
    {"list-shards",
     "Prints {\"Shards\": [...]}: every shard, open and closed, in id order.",
     kStreamDirOnly,
     "ParentShardId, AdjacentParentShardId and EndingSequenceNumber appear\n"
     "only when set (after resharding; for closed shards).\n",
     RunListShards},
    {"put-record",
     "Writes one record; prints {\"ShardId\", \"SequenceNumber\"}.",
     kPutRecordFlags,
     "Give exactly one of --data and --data-base64. An invalid partition key\n"
     "or a record over the stream's max record size is a runtime error.\n",
     RunPutRecord,
     "--stream-dir DIR --partition-key K (--data S | --data-base64 B)\n"
     "       [--explicit-hash-key H]"},
    {"put-records",
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
     "is no 500-entry limit.\n",
     RunPutRecords},
    {"get-records",
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
     "SequenceNumber and run again with AFTER_SEQUENCE_NUMBER.\n",
     RunGetRecords,
     "--stream-dir DIR --shard-id S --shard-iterator-type T\n"
     "       [--starting-sequence-number N | --timestamp MS] [--limit L]"},
    {"verify",
     "Checks every segment of the stream; reports damage with file and offset.",
     kStreamDirOnly,
     "Prints {\"SegmentsChecked\", \"BatchesChecked\", \"RecordsChecked\",\n"
     "\"BytesChecked\", \"Damage\": [{\"File\", \"Offset\", \"Message\"}]} and "
     "exits\n"
     "3 if Damage is not empty. Never modifies the stream. Shows progress on\n"
     "stderr when it is a terminal.\n",
     RunVerify},
    {"dump", "Prints the records of a shard, or of every shard, one a line.",
     kDumpFlags,
     "Each line reads\n"
     "  shardId-000000000000 seq=<n> arrival=2026-11-22T00:00:00.123Z\n"
     "      key=\"<escaped>\" data=\"<escaped>\"[...] (<size> bytes)\n"
     "(on one line) with C escapes for bytes that are not printable ASCII;\n"
     "\"...\" marks data cut at --data-limit. Shows progress on stderr when "
     "it\n"
     "is a terminal and stdout is not.\n",
     RunDump},
    kSplitShardCommand,
    kMergeShardsCommand,
    kUpdateShardCountCommand,

    {"increase-stream-retention-period",
     "Lengthens the retention period (IncreaseStreamRetentionPeriod).",
     kRetentionPeriodFlags,
     "Prints nothing on success, as the AWS CLI does. The new period must not\n"
     "be shorter than the current one. Records that had already expired stay\n"
     "expired. Kept in the stream directory.\n",
     RunIncreaseStreamRetentionPeriod},
    {"decrease-stream-retention-period",
     "Shortens the retention period (DecreaseStreamRetentionPeriod).",
     kRetentionPeriodFlags,
     "Prints nothing on success, as the AWS CLI does. The new period must not\n"
     "be longer than the current one. Records older than it are no longer\n"
     "readable and their segments are freed at once.\n",
     RunDecreaseStreamRetentionPeriod},
    {"update-retention-bytes",
     "Sets the bound on the bytes the stream stores (brook only).",
     kRetentionBytesFlags,
     "Prints nothing on success. Under the drop-oldest policy the oldest\n"
     "segments are dropped at once down to the new bound; under reject-writes\n"
     "writes fail until retention brings the stream under it.\n",
     RunUpdateRetentionBytes},
};

void PrintToolHelp(std::ostream& os) {
  os << kToolSummary << "\nusage: brook COMMAND --stream-dir DIR [FLAGS]\n"
     << "       brook COMMAND --help\n"
     << "       brook --version\n\n"
     << "Flags take a value as --flag VALUE or --flag=VALUE; a value that\n"
     << "starts with -- needs the second form.\n\nCommands:\n";
  for (const Command& command : kCommands) {
    os << "  " << command.name
       << std::string(command.name.size() < 23 ? 25 - command.name.size() : 2,
                      ' ')
       << command.summary << "\n";
  }
  os << "\n" << kExitCodesHelp;
}

}  // namespace

int RunBrookCli(int argc, const char* const* argv, const CliIo& io,
                CliBackend& backend) {
  const absl::Span<const char* const> args(argv, argc > 0 ? argc : 0);
  if (args.size() < 2) {
    io.err << "brook: missing command\n";
    PrintToolHelp(io.err);
    return kExitUsage;
  }
  const absl::string_view name = args[1];
  if (IsHelpFlag(name) || name == "help") {
    PrintToolHelp(io.out);
    return kExitOk;
  }
  if (name == "--version") {
    io.out << "brook " << BROOK_VERSION_STRING << "\n";
    return kExitOk;
  }
  const Command* command = nullptr;
  for (const Command& c : kCommands) {
    if (c.name == name) command = &c;
  }
  if (command == nullptr) {
    io.err << "brook: unknown command \"" << name << "\"\n";
    PrintToolHelp(io.err);
    return kExitUsage;
  }
  const Session session(io, backend, *command);
  bool help = false;
  absl::StatusOr<Flags> flags = ParseFlags(*command, args.subspan(2), &help);
  if (!flags.ok()) return session.Usage(flags.status().message());
  if (help) {
    PrintCommandHelp(*command, io.out);
    return kExitOk;
  }
  if (StreamDir(*flags).empty()) {
    return session.Usage("--stream-dir must not be empty");
  }
  return command->run(*flags, session);
}

}  // namespace cli
}  // namespace brook
