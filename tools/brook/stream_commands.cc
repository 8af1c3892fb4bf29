// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/stream_commands.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "brook/compression.h"
#include "brook/options.h"
#include "brook/partitioner.h"
#include "brook/stream.h"

#include "tools/brook/remote_commands.h"

namespace brook {
namespace cli {
namespace {

// The stream's name when create-stream is not given one: the directory's last
// component.
std::string DefaultStreamName(absl::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  if (size_t slash = dir.rfind('/'); slash != absl::string_view::npos) {
    dir.remove_prefix(slash + 1);
  }
  return dir.empty() ? "stream" : std::string(dir);
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

// Kinesis's longest retention period: 365 days.
constexpr int64_t kMaxRetentionHours = int64_t{365} * 24;

// Parses --retention-period-hours: hours, as the AWS CLI takes them; Kinesis's
// most, 8760 (365 days), and at least one (Kinesis's least is 24, which a
// local stream need not keep).
absl::StatusOr<absl::Duration> ParseRetentionPeriod(absl::string_view hours) {
  absl::StatusOr<int64_t> h =
      ParseIntFlag("retention-period-hours", hours, 1, kMaxRetentionHours);
  if (!h.ok()) return h.status();
  return absl::Hours(*h);
}

// The values of create-stream's --on-full, in the tool's spelling.
constexpr absl::string_view kOnFullNames[] = {"reject-writes", "drop-oldest"};
constexpr RetentionFullPolicy kOnFullPolicies[] = {
    RetentionFullPolicy::kRejectWrites, RetentionFullPolicy::kDropOldest};

// Sets the retention options of create-stream's flags in `options`; returns
// kExitOk, or the usage error's code having reported it.
int RetentionFlags(const Flags& flags, const Session& session,
                   StreamOptions* options) {
  if (const std::string* hours = FindValue(flags, "retention-period-hours")) {
    absl::StatusOr<absl::Duration> period = ParseRetentionPeriod(*hours);
    if (!period.ok()) return session.Usage(period.status().message());
    options->retention_period = *period;
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
    absl::StatusOr<size_t> i =
        ParseChoiceFlag("on-full", *policy, kOnFullNames);
    if (!i.ok()) return session.Usage(i.status().message());
    options->on_full = kOnFullPolicies[*i];
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
  if (IsRemote(flags)) {
    for (absl::string_view local :
         {"retention-bytes", "on-full", "compression-level"}) {
      if (FindValue(flags, local) != nullptr) {
        return session.Usage(absl::StrCat(
            "--", local,
            " is for a local stream (--stream-dir); Kinesis has no such "
            "setting"));
      }
    }
    std::optional<int> hours;
    if (const std::string* h = FindValue(flags, "retention-period-hours")) {
      absl::StatusOr<absl::Duration> period = ParseRetentionPeriod(*h);
      if (!period.ok()) return session.Usage(period.status().message());
      hours = static_cast<int>(absl::ToInt64Hours(*period));
    }
    return RemoteCreateStream(flags, session, options.shard_count, hours);
  }
  options.name = name != nullptr ? *name : DefaultStreamName(StreamDir(flags));
  if (int code = RetentionFlags(flags, session, &options); code != kExitOk) {
    return code;
  }
  if (const std::string* level = FindValue(flags, "compression-level")) {
    absl::StatusOr<int64_t> n =
        ParseIntFlag("compression-level", *level, 0, 19);
    if (!n.ok()) return session.Usage(n.status().message());
    options.compression_level = static_cast<int>(*n);
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
  if (IsRemote(flags)) return RemoteDescribeStreamSummary(flags, session);
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

int RunChangeRetentionPeriod(const Flags& flags, const Session& session,
                             bool increase) {
  absl::StatusOr<absl::Duration> period =
      ParseRetentionPeriod(*FindValue(flags, "retention-period-hours"));
  if (!period.ok()) return session.Usage(period.status().message());
  if (IsRemote(flags)) {
    return RemoteChangeRetentionPeriod(
        flags, session, static_cast<int>(absl::ToInt64Hours(*period)),
        increase);
  }
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenForWrite(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  absl::Status s = increase ? (*stream)->IncreaseStreamRetentionPeriod(*period)
                            : (*stream)->DecreaseStreamRetentionPeriod(*period);
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

int RunTrainDictionary(const Flags& flags, const Session& session) {
  DictionaryTrainingOptions options;
  if (const std::string* n = FindValue(flags, "max-sample-records")) {
    absl::StatusOr<int64_t> v =
        ParseIntFlag("max-sample-records", *n, 100, 10000000);
    if (!v.ok()) return session.Usage(v.status().message());
    options.max_sample_records = *v;
  }
  if (const std::string* n = FindValue(flags, "dictionary-bytes")) {
    absl::StatusOr<int64_t> v =
        ParseIntFlag("dictionary-bytes", *n, 1024, int64_t{1} << 20);
    if (!v.ok()) return session.Usage(v.status().message());
    options.dictionary_bytes = *v;
  }
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenForWrite(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  absl::StatusOr<uint32_t> id =
      TrainCompressionDictionary(stream->get(), options);
  if (!id.ok()) return session.Fail(id.status());
  if (absl::Status s = session.backend().Sync(**stream); !s.ok()) {
    return session.Fail(s);
  }
  Json out;
  out["DictionaryId"] = *id;
  session.Print(out);
  return kExitOk;
}

int RunListShards(const Flags& flags, const Session& session) {
  if (IsRemote(flags)) return RemoteListShards(flags, session);
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

constexpr FlagSpec kCreateStreamFlags[] = {
    kStreamDirOrNameFlag,
    {"stream-name", "NAME", false,
     "with --stream-dir: the name describe-stream-summary shows (default: "
     "the directory's name); without: the Kinesis stream to create"},
    kRegionFlag,
    kEndpointUrlFlag,
    kProfileFlag,
    {"shard-count", "N", true, "number of shards, 1 to 10000"},
    {"retention-period-hours", "H", false,
     "hours a record is kept, 1 to 8760 (default 24, as in Kinesis)"},
    {"retention-bytes", "B", false,
     "bound on the bytes the records take, 0 for none (the default) or at "
     "least 8388608 (twice the 4 MiB segment size)"},
    {"on-full", "P", false,
     "at --retention-bytes: reject-writes (default; writes fail) or "
     "drop-oldest (the oldest records are dropped)"},
    {"compression-level", "N", false,
     "zstd level batches are stored at, 1 to 19; 0 (the default) stores "
     "them uncompressed"},
};
constexpr FlagSpec kTrainDictionaryFlags[] = {
    kStreamDirFlag,
    {"max-sample-records", "N", false,
     "records sampled from the oldest on, 100 to 10000000 (default 100000)"},
    {"dictionary-bytes", "B", false,
     "size of the dictionary, 1024 to 1048576 (default 114688)"},
};
constexpr FlagSpec kRetentionPeriodFlags[] = {
    kStreamDirOrNameFlag,
    kStreamNameFlag,
    kRegionFlag,
    kEndpointUrlFlag,
    kProfileFlag,
    {"retention-period-hours", "N", true,
     "the new retention period in hours, 1 to 8760"},
};
constexpr FlagSpec kRetentionBytesFlags[] = {
    kStreamDirFlag,
    {"retention-bytes", "N", true,
     "the new bound on stored bytes; 0 for none, else at least twice the "
     "segment size"},
};

}  // namespace

const Command kCreateStreamCommand = {
    "create-stream",
    "Creates a stream in an empty directory (or a Kinesis stream).",
    kCreateStreamFlags,
    "Prints nothing on success, as `aws kinesis create-stream` does. Fails\n"
    "(exit 1), changing nothing, if the directory already holds a stream or\n"
    "is being created by another command at the same time. The options are\n"
    "stored with the stream.\n"
    "With --stream-name alone it creates the Kinesis stream NAME and waits\n"
    "(up to 5 minutes) until it is ACTIVE; --retention-period-hours (24 to\n"
    "8760 there) is then set on it; --retention-bytes, --on-full and\n"
    "--compression-level are local only.\n",
    RunCreateStream,
    "(--stream-dir DIR [--stream-name NAME] | --stream-name NAME)\n"
    "       --shard-count N [--retention-period-hours H]\n"
    "       [--retention-bytes B [--on-full P]] [--compression-level N]",
    /*dir_takes_stream_name=*/true};

const Command kDescribeStreamSummaryCommand = {
    "describe-stream-summary",
    "Prints {\"StreamDescriptionSummary\": {...}} as the AWS CLI does.",
    kStreamOnlyFlags,
    "StreamARN and StreamCreationTimestamp are left out: a local stream has\n"
    "neither. ConsumerCount is 0 and EncryptionType NONE. StoredBytes, not\n"
    "in Kinesis, is what the records take in storage now, headers included\n"
    "(the figure create-stream --retention-bytes bounds).\n"
    "With --stream-name: the service's summary, with StreamARN and without\n"
    "StoredBytes; StreamModeDetails and EncryptionType are printed as the\n"
    "service reports them (kinesalite reports no StreamModeDetails).\n",
    RunDescribeStreamSummary};

const Command kListShardsCommand = {
    "list-shards",
    "Prints {\"Shards\": [...]}: every shard, open and closed, in id order.",
    kStreamOnlyFlags,
    "ParentShardId, AdjacentParentShardId and EndingSequenceNumber appear\n"
    "only when set (after resharding; for closed shards). With --stream-name,\n"
    "sequence numbers are the service's decimal strings (56 digits), every\n"
    "page of ListShards read.\n",
    RunListShards};

const Command kIncreaseStreamRetentionPeriodCommand = {
    "increase-stream-retention-period",
    "Lengthens the retention period (IncreaseStreamRetentionPeriod).",
    kRetentionPeriodFlags,
    "Prints nothing on success, as the AWS CLI does. The new period must not\n"
    "be shorter than the current one. Records that had already expired stay\n"
    "expired. Kept in the stream directory.\n",
    RunIncreaseStreamRetentionPeriod};

const Command kDecreaseStreamRetentionPeriodCommand = {
    "decrease-stream-retention-period",
    "Shortens the retention period (DecreaseStreamRetentionPeriod).",
    kRetentionPeriodFlags,
    "Prints nothing on success, as the AWS CLI does. The new period must not\n"
    "be longer than the current one. Records older than it are no longer\n"
    "readable and their segments are freed at once.\n",
    RunDecreaseStreamRetentionPeriod};

const Command kTrainDictionaryCommand = {
    "train-dictionary",
    "Trains a zstd dictionary from the stream's records (brook only).",
    kTrainDictionaryFlags,
    "Prints {\"DictionaryId\": N}. The stream must have been created with\n"
    "--compression-level; batches written from then on are compressed with\n"
    "the dictionary, which is kept in the stream directory\n"
    "(DICTIONARY-<id>). Earlier batches keep theirs.\n",
    RunTrainDictionary};

const Command kUpdateRetentionBytesCommand = {
    "update-retention-bytes",
    "Sets the bound on the bytes the stream stores (brook only).",
    kRetentionBytesFlags,
    "Prints nothing on success. Under the drop-oldest policy the oldest\n"
    "segments are dropped at once down to the new bound; under reject-writes\n"
    "writes fail until retention brings the stream under it.\n",
    RunUpdateRetentionBytes};

}  // namespace cli
}  // namespace brook
