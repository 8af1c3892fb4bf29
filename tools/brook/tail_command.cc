// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/tail_command.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/consumer.h"
#include "brook/stream.h"

#include "tools/brook/lineage_reader.h"
#include "tools/brook/record_commands.h"
#include "tools/brook/remote_commands.h"
#include "tools/brook/stop_signals.h"

namespace brook {
namespace cli {
namespace {

// Set by `RequestTailStop()`, from a signal handler or another thread.
std::atomic<bool> tail_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free,
              "RequestTailStop() must be async-signal-safe");

extern "C" void OnTailSignal(int /*signal*/) { RequestTailStop(); }

// How often a tail with nothing to print looks at the stop request.
constexpr absl::Duration kStopCheckInterval = absl::Milliseconds(100);

constexpr absl::string_view kShardIteratorTypeNames[] = {
    "TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
    "AT_TIMESTAMP"};

// The starting position the flags give; a usage problem otherwise.
absl::StatusOr<StartingPosition> ParseStart(const Flags& flags) {
  StartingPosition start = StartingPosition::Latest();
  if (const std::string* type_flag = FindValue(flags, "shard-iterator-type")) {
    absl::StatusOr<size_t> i = ParseChoiceFlag(
        "shard-iterator-type", *type_flag, kShardIteratorTypeNames);
    if (!i.ok()) return i.status();
    absl::StatusOr<ShardIteratorType> type =
        ParseShardIteratorType(kShardIteratorTypeNames[*i]);
    if (!type.ok()) return type.status();
    start.type = *type;
  }
  const absl::string_view type_name = ShardIteratorTypeName(start.type);
  const bool wants_sequence =
      start.type == ShardIteratorType::kAtSequenceNumber ||
      start.type == ShardIteratorType::kAfterSequenceNumber;
  const bool wants_timestamp = start.type == ShardIteratorType::kAtTimestamp;
  const std::string* sequence = FindValue(flags, "starting-sequence-number");
  const std::string* timestamp = FindValue(flags, "timestamp");
  if (wants_sequence != (sequence != nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--starting-sequence-number ",
        wants_sequence ? "is required with " : "does not go with ", type_name));
  }
  if (wants_timestamp != (timestamp != nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--timestamp ",
        wants_timestamp ? "is required with " : "does not go with ",
        type_name));
  }
  if (wants_sequence && FindValue(flags, "shard-id") == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard-id is required with ", type_name));
  }
  if (sequence != nullptr) {
    // A Kinesis stream's numbers are longer than `SequenceNumber` holds (the
    // remote tail takes the text).
    absl::Status checked = CheckSequenceNumberText(*sequence);
    if (checked.ok() && !IsRemote(flags)) {
      absl::StatusOr<SequenceNumber> n = SequenceNumber::Parse(*sequence);
      if (n.ok()) start.sequence_number = *n;
      checked = n.status();
    }
    if (!checked.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--starting-sequence-number: ", checked.message()));
    }
  }
  if (timestamp != nullptr) {
    absl::StatusOr<int64_t> millis =
        ParseIntFlag("timestamp", *timestamp, 0, INT64_MAX);
    if (!millis.ok()) return millis.status();
    start.timestamp_millis = *millis;
  }
  return start;
}

int RunTail(const Flags& flags, const Session& session) {
  tail_stop.store(false);
  absl::StatusOr<StartingPosition> start = ParseStart(flags);
  if (!start.ok()) return session.Usage(start.status().message());
  LineageReader::Options options;
  options.start = *start;
  if (const std::string* shard = FindValue(flags, "shard-id")) {
    options.shard_id = *shard;
  }
  if (const std::string* durable = FindValue(flags, "durable-only")) {
    absl::StatusOr<size_t> on =
        ParseChoiceFlag("durable-only", *durable, {"false", "true"});
    if (!on.ok()) return session.Usage(on.status().message());
    options.get.durable_only = *on == 1;
  }
  absl::StatusOr<bool> deaggregate = ParseDeaggregateFlag(flags);
  if (!deaggregate.ok()) return session.Usage(deaggregate.status().message());
  options.get.deaggregate = *deaggregate;
  const StopSignals signals(OnTailSignal);
  if (IsRemote(flags)) {
    if (options.get.durable_only) {
      return session.Usage(
          "--durable-only is for a local stream (--stream-dir): what Kinesis "
          "returns is durable");
    }
    KinesisStartingPosition at;
    at.type = KinesisIteratorTypeOf(start->type);
    if (const std::string* n = FindValue(flags, "starting-sequence-number")) {
      at.sequence_number = *n;
    }
    at.timestamp_millis = start->timestamp_millis.value_or(0);
    return RemoteTail(flags, session, options.shard_id, at,
                      options.get.deaggregate, [] { return tail_stop.load(); });
  }

  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenReadOnly(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  LineageReader reader(stream->get(), options);
  if (absl::Status s = reader.Start(); !s.ok()) return session.Fail(s);
  std::ostream& out = session.io().out;
  const LineageReader::Sink print = [&](const std::string& shard_id,
                                        const GetRecordsResult& result) {
    if (result.skipped_records() != 0) {
      session.io().err << "brook tail: shard " << shard_id << ": "
                       << result.skipped_records()
                       << " records were removed by retention before they "
                          "were read\n";
    }
    for (const Record& r : result.records()) {
      Json line;
      line["ShardId"] = shard_id;
      const Json record = RecordJson(r, options.get.deaggregate);
      for (const auto& [key, value] : record.items()) line[key] = value;
      out << line.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
    }
    out.flush();
  };
  while (!tail_stop.load()) {
    absl::StatusOr<int64_t> read = reader.ReadAvailable(print);
    if (!read.ok()) return session.Fail(read.status());
    if (!out) {
      return session.Fail(absl::UnavailableError("writing the output failed"));
    }
    if (*read == 0 && !tail_stop.load()) reader.Wait(kStopCheckInterval);
  }
  out.flush();
  return kExitOk;
}

constexpr FlagSpec kTailFlags[] = {
    kStreamDirOrNameFlag,
    kStreamNameFlag,
    kRegionFlag,
    kEndpointUrlFlag,
    kProfileFlag,
    {"shard-id", "S", false,
     "follow this shard and its descendants only (default: every shard)"},
    {"shard-iterator-type", "T", false,
     "where to start: TRIM_HORIZON, LATEST (default), AT_SEQUENCE_NUMBER, "
     "AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP"},
    {"starting-sequence-number", "N", false,
     "with AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER (and --shard-id) only"},
    {"timestamp", "MS", false,
     "with AT_TIMESTAMP only: milliseconds since the Unix epoch"},
    {"durable-only", "B", false,
     "true: print only records the writer has made durable (default false)"},
    kDeaggregateFlag,
};

}  // namespace

void RequestTailStop() { tail_stop.store(true); }

const Command kTailCommand = {
    "tail",
    "Follows the stream, printing its records as JSON lines as they arrive.",
    kTailFlags,
    "Opens the stream read-only and follows its writer (another process may\n"
    "write it). Prints one line per record, get-records' record object with\n"
    "the shard first: {\"ShardId\", \"SequenceNumber\",\n"
    "\"ApproximateArrivalTimestamp\", \"Data\" (base64), \"PartitionKey\"}.\n"
    "Shards are followed in lineage order: after a reshard a child shard is\n"
    "printed only once its parents were read to their end, so each partition\n"
    "key's records come out in order. With --shard-id, that shard and the\n"
    "shards descending from it. The starting position applies to the shards\n"
    "there are at the start (LATEST skips closed ones); children start at\n"
    "their first record (AT_TIMESTAMP: at the timestamp). Records removed by\n"
    "retention before they were read are counted on stderr. Runs until\n"
    "SIGINT or SIGTERM, then flushes its output and exits 0.\n"
    "--deaggregate true expands KPL aggregated records as get-records does.\n"
    "With --stream-name it polls the Kinesis stream: one GetRecords per\n"
    "shard at most every 200 ms (Kinesis allows 5 a second), children after\n"
    "their parents as above, found with ListShards when a parent ends.\n",
    RunTail,
    "(--stream-dir DIR | --stream-name NAME) [--shard-id S]\n"
    "       [--shard-iterator-type T]\n"
    "       [--starting-sequence-number N | --timestamp MS] [--durable-only "
    "B]\n"
    "       [--deaggregate B]"};

}  // namespace cli
}  // namespace brook
