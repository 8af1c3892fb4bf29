// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/inspect_commands.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/kinesis_client.h"
#include "brook/metrics.h"
#include "brook/options.h"
#include "brook/stream.h"

#include "tools/brook/remote_commands.h"

namespace brook {
namespace cli {
namespace {

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

// One readable line per record; `sequence_number` as printed.
void DumpRecord(absl::string_view shard_id, absl::string_view sequence_number,
                const Record& r, size_t data_limit, std::ostream& out) {
  out << shard_id << " seq=" << sequence_number;
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
        DumpRecord(shard_id, record.sequence_number.ToString(), record,
                   data_limit, out);
      }
      dumped += static_cast<int64_t>(r->records().size());
      progress.Update({shard_id, dumped, 0});
      *it = r->next_shard_iterator();
    }
  }
  out.flush();
  return absl::OkStatus();
}

// DumpShards() on a Kinesis stream: each shard from TRIM_HORIZON until a
// read returns no records with nothing behind the tip (MillisBehindLatest 0:
// Kinesis may return none before the tip), or the shard's end.
absl::Status DumpRemoteShards(KinesisClient& client, const std::string& stream,
                              absl::Span<const std::string> shard_ids,
                              size_t data_limit, std::ostream& out,
                              ProgressLine& progress) {
  int64_t dumped = 0;
  for (const std::string& shard_id : shard_ids) {
    absl::StatusOr<std::string> it = client.GetShardIterator(
        stream, shard_id, KinesisStartingPosition());  // TRIM_HORIZON
    if (!it.ok()) return it.status();
    while (!it->empty()) {
      absl::StatusOr<KinesisGetRecordsResult> r = client.GetRecords(*it);
      if (!r.ok()) return r.status();
      for (const KinesisRecord& kr : r->records) {
        Record record;
        record.partition_key = kr.partition_key;
        record.data = kr.data;
        record.approximate_arrival_timestamp_millis =
            kr.approximate_arrival_timestamp_millis;
        DumpRecord(shard_id, kr.sequence_number, record, data_limit, out);
      }
      dumped += static_cast<int64_t>(r->records.size());
      progress.Update({shard_id, dumped, 0});
      if (r->records.empty() && r->millis_behind_latest == 0) break;
      *it = std::move(r->next_shard_iterator);
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
  if (IsRemote(flags)) {
    absl::StatusOr<std::unique_ptr<KinesisClient>> client =
        ConnectRemote(flags, session);
    if (!client.ok()) return session.Fail(client.status());
    const std::string& name = RemoteStreamName(flags);
    std::vector<std::string> shard_ids;
    if (const std::string* id = FindValue(flags, "shard-id")) {
      shard_ids.push_back(*id);
    } else {
      absl::StatusOr<std::vector<KinesisShard>> shards =
          (*client)->ListShards(name);
      if (!shards.ok()) return session.Fail(shards.status());
      for (const KinesisShard& shard : *shards) {
        shard_ids.push_back(shard.shard_id);
      }
    }
    absl::Status dumped;
    {
      ProgressLine progress(
          session.io().err,
          session.io().err_is_terminal && !session.io().out_is_terminal, "dump",
          "records");
      dumped = DumpRemoteShards(**client, name, shard_ids,
                                static_cast<size_t>(data_limit),
                                session.io().out, progress);
    }
    return dumped.ok() ? kExitOk : session.Fail(dumped);
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

// What the directory holds, per shard, through the API's JSON rendering. A
// read-only open has no live counters of its own (they are in the writing
// process), which the output says.
int RunStats(const Flags& flags, const Session& session) {
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenReadOnly(StreamDir(flags));
  if (!stream.ok()) return session.Fail(stream.status());
  // Reads every shard, so that what each one stores is known.
  const RecoveryReport& report = (*stream)->recovery_report();
  const StreamMetricsSnapshot metrics = (*stream)->GetMetrics();
  absl::StatusOr<Json> json = ParseJson(MetricsToJson(metrics));
  if (!json.ok()) return session.Fail(json.status());
  if (!metrics.live) {
    (*json)["note"] =
        "live rates need the writer: records and bytes in and out, put "
        "latency, batch and aggregation sizes, iterator age and hot keys are "
        "counted in the process that has the stream open for writing (serve "
        "them from it with Stream::GetMetrics() and MetricsToPrometheus()); "
        "this shows what the stream directory holds";
  }
  if (!report.problems.empty()) {
    (*json)["damaged_places"] = static_cast<int64_t>(report.problems.size());
  }
  session.Print(*json);
  return kExitOk;
}

constexpr FlagSpec kDumpFlags[] = {
    kStreamDirOrNameFlag,
    kStreamNameFlag,
    kRegionFlag,
    kEndpointUrlFlag,
    kProfileFlag,
    {"shard-id", "S", false, "shard to dump (default: every shard)"},
    {"data-limit", "N", false,
     "data bytes shown per record, 0 for all (default 200)"},
};

}  // namespace

const Command kVerifyCommand = {
    "verify",
    "Checks every segment of the stream; reports damage with file and offset.",
    kStreamDirOnlyFlags,
    "Prints {\"SegmentsChecked\", \"BatchesChecked\", \"RecordsChecked\",\n"
    "\"BytesChecked\", \"Damage\": [{\"File\", \"Offset\", \"Message\"}]} and "
    "exits\n"
    "3 if Damage is not empty. Never modifies the stream. Shows progress on\n"
    "stderr when it is a terminal.\n",
    RunVerify};

const Command kStatsCommand = {
    "stats", "Prints the stream's metrics as JSON: what each shard stores.",
    kStreamDirOnlyFlags,
    "Prints MetricsToJson() of a read-only open (include/brook/metrics.h):\n"
    "{\"stream\", \"live\": false, \"total\", \"shards\": [{\"shard_id\", "
    "\"open\",\n"
    "\"stored_records\", \"stored_bytes\", \"segments\", "
    "\"newest_arrival_millis\"}],\n"
    "\"hot_keys\": [], \"note\"}. Reads every shard's segments. Live "
    "counters\n"
    "(rates, latency, hot keys) are kept by the process writing the stream,\n"
    "which serves them with Stream::GetMetrics(); \"note\" says so. Never\n"
    "modifies the stream.\n",
    RunStats};

const Command kDumpCommand = {
    "dump", "Prints the records of a shard, or of every shard, one a line.",
    kDumpFlags,
    "Each line reads\n"
    "  shardId-000000000000 seq=<n> arrival=2026-11-22T00:00:00.123Z\n"
    "      key=\"<escaped>\" data=\"<escaped>\"[...] (<size> bytes)\n"
    "(on one line) with C escapes for bytes that are not printable ASCII;\n"
    "\"...\" marks data cut at --data-limit. Shows progress on stderr when "
    "it\n"
    "is a terminal and stdout is not.\n"
    "With --stream-name: GetRecords on each shard from TRIM_HORIZON until a\n"
    "read returns nothing with MillisBehindLatest 0, or the shard's end.\n",
    RunDump};

}  // namespace cli
}  // namespace brook
