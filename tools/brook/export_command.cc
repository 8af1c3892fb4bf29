// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/brook/export_command.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "brook/exporter.h"
#include "brook/kinesis_client.h"
#include "brook/stream.h"

#include "tools/brook/stop_signals.h"

namespace brook {
namespace cli {
namespace {

// Set by `RequestExportStop()`, from a signal handler or another thread.
std::atomic<bool> export_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free,
              "RequestExportStop() must be async-signal-safe");

extern "C" void OnExportSignal(int /*signal*/) { RequestExportStop(); }

// How often the command looks at the stop request and the clock.
constexpr auto kStopCheckInterval = std::chrono::milliseconds(50);

// The client's own retries are kept short, so that a stop is not held up
// by them; the exporter backs off and retries for as long as it takes.
constexpr absl::Duration kClientRetryDeadline = absl::Seconds(2);

Json ProgressJson(absl::string_view event, const ExportProgress& p) {
  Json line;
  line["Event"] = std::string(event);
  line["RecordsSent"] = p.records_sent;
  line["BytesSent"] = p.bytes_sent;
  line["Requests"] = p.requests;
  line["FailedRequests"] = p.failed_requests;
  line["FailedEntries"] = p.failed_entries;
  line["RecordsLost"] = p.records_lost;
  line["TotalRecordsExported"] = p.total_records_exported;
  line["ShardsFinished"] = p.shards_finished;
  line["ShardsActive"] = p.shards_active;
  line["CheckpointsSaved"] = p.checkpoints_saved;
  if (!p.last_error.ok()) {
    line["LastError"] = std::string(p.last_error.message());
  }
  return line;
}

void PrintLine(const Json& line, std::ostream& out) {
  out << line.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
  out.flush();
}

// Parses an optional whole-number flag into `*out`; a usage problem if bad.
absl::Status IntFlag(const Flags& flags, absl::string_view name, int64_t min,
                     int64_t max, int64_t* out) {
  const std::string* text = FindValue(flags, name);
  if (text == nullptr) return absl::OkStatus();
  absl::StatusOr<int64_t> v = ParseIntFlag(name, *text, min, max);
  if (!v.ok()) return v.status();
  *out = *v;
  return absl::OkStatus();
}

int RunExport(const Flags& flags, const Session& session) {
  export_stop.store(false);
  const std::string& dir = StreamDir(flags);
  ExporterOptions options;
  options.remote_stream_name = *FindValue(flags, "stream-name");
  int64_t batch_records = options.batch_records;
  int64_t checkpoint_interval_ms =
      absl::ToInt64Milliseconds(options.checkpoint_interval);
  int64_t progress_interval_ms = 1000;
  for (absl::Status s :
       {IntFlag(flags, "batch-records", 1, kMaxExportBatchRecords,
                &batch_records),
        IntFlag(flags, "batch-bytes", 1, kMaxExportBatchBytes,
                &options.batch_bytes),
        IntFlag(flags, "max-records-per-second", 0, int64_t{1} << 40,
                &options.max_records_per_second),
        IntFlag(flags, "max-bytes-per-second", 0, int64_t{1} << 40,
                &options.max_bytes_per_second),
        IntFlag(flags, "checkpoint-interval-ms", 0, 3'600'000,
                &checkpoint_interval_ms),
        IntFlag(flags, "progress-interval-ms", 10, 3'600'000,
                &progress_interval_ms)}) {
    if (!s.ok()) return session.Usage(s.message());
  }
  options.batch_records = static_cast<int>(batch_records);
  options.checkpoint_interval = absl::Milliseconds(checkpoint_interval_ms);
  if (const std::string* durable = FindValue(flags, "durable-only")) {
    absl::StatusOr<size_t> on =
        ParseChoiceFlag("durable-only", *durable, {"false", "true"});
    if (!on.ok()) return session.Usage(on.status().message());
    options.durable_only = *on == 1;
  }
  if (const std::string* strict = FindValue(flags, "strict-key-order")) {
    absl::StatusOr<size_t> on =
        ParseChoiceFlag("strict-key-order", *strict, {"false", "true"});
    if (!on.ok()) return session.Usage(on.status().message());
    options.strict_key_order = *on == 1;
  }
  bool until_caught_up = false;
  if (const std::string* until = FindValue(flags, "until-caught-up")) {
    absl::StatusOr<size_t> on =
        ParseChoiceFlag("until-caught-up", *until, {"false", "true"});
    if (!on.ok()) return session.Usage(on.status().message());
    until_caught_up = *on == 1;
  }
  const std::string* checkpoint = FindValue(flags, "checkpoint-path");
  options.checkpoint_path =
      checkpoint != nullptr
          ? *checkpoint
          : DefaultExportCheckpointPath(dir, options.remote_stream_name);
  KinesisClientOptions client_options;
  if (const std::string* v = FindValue(flags, "endpoint-url")) {
    client_options.aws.endpoint_url = *v;
  }
  if (const std::string* v = FindValue(flags, "region")) {
    client_options.aws.region = *v;
  }
  if (const std::string* v = FindValue(flags, "profile")) {
    client_options.aws.profile = *v;
  }
  client_options.retry_deadline = kClientRetryDeadline;

  const StopSignals signals(OnExportSignal);
  absl::StatusOr<std::shared_ptr<Stream>> stream =
      session.backend().OpenReadOnly(dir);
  if (!stream.ok()) return session.Fail(stream.status());
  absl::StatusOr<std::unique_ptr<KinesisClient>> client =
      KinesisClient::Create(client_options);
  if (!client.ok()) return session.Fail(client.status());

  std::ostream& out = session.io().out;
  std::mutex out_mu;
  options.on_retry = [&](const absl::Status& why) {
    Json line;
    line["Event"] = "Retry";
    line["Error"] = std::string(why.message());
    std::lock_guard<std::mutex> lock(out_mu);
    PrintLine(line, out);
  };
  options.on_loss = [&](const std::string& shard_id, uint64_t records) {
    Json line;
    line["Event"] = "RecordsLost";
    line["ShardId"] = shard_id;
    line["Records"] = records;
    std::lock_guard<std::mutex> lock(out_mu);
    PrintLine(line, out);
  };
  absl::StatusOr<std::unique_ptr<Exporter>> exporter =
      Exporter::Create(stream->get(), client->get(), options);
  if (!exporter.ok()) {
    if (absl::IsInvalidArgument(exporter.status())) {
      return session.Usage(exporter.status().message());
    }
    return session.Fail(exporter.status());
  }

  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  absl::Status result;
  std::thread worker([&] {
    absl::Status s =
        until_caught_up ? (*exporter)->RunUntilCaughtUp() : (*exporter)->Run();
    std::lock_guard<std::mutex> lock(done_mu);
    result = std::move(s);
    done = true;
    done_cv.notify_all();
  });
  const absl::Duration progress_interval =
      absl::Milliseconds(progress_interval_ms);
  absl::Time next_progress = absl::Now() + progress_interval;
  bool stop_sent = false;
  {
    std::unique_lock<std::mutex> lock(done_mu);
    while (!done) {
      done_cv.wait_for(lock, kStopCheckInterval);
      if (done) break;
      if (export_stop.load() && !stop_sent) {
        (*exporter)->Stop();
        stop_sent = true;
      }
      if (absl::Now() >= next_progress) {
        next_progress = absl::Now() + progress_interval;
        const ExportProgress p = (*exporter)->progress();
        std::lock_guard<std::mutex> out_lock(out_mu);
        PrintLine(ProgressJson("Progress", p), out);
      }
    }
  }
  worker.join();
  const bool stopped = absl::IsCancelled(result) || stop_sent;
  if (!result.ok() && !absl::IsCancelled(result)) return session.Fail(result);
  PrintLine(ProgressJson(stopped || !until_caught_up ? "Stopped" : "CaughtUp",
                         (*exporter)->progress()),
            out);
  if (!out) {
    return session.Fail(absl::UnavailableError("writing the output failed"));
  }
  return kExitOk;
}

constexpr FlagSpec kExportFlags[] = {
    kStreamDirFlag,
    {"stream-name", "NAME", true,
     "the remote Kinesis stream to send to (it must exist)"},
    {"endpoint-url", "URL", false,
     "the service endpoint, e.g. http://127.0.0.1:4567 for kinesalite "
     "(default: AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL, else the "
     "region's)"},
    {"region", "R", false,
     "the AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)"},
    {"profile", "P", false,
     "the profile of ~/.aws/credentials and ~/.aws/config (default: "
     "AWS_PROFILE, else default)"},
    {"batch-records", "N", false,
     "most records per PutRecords request, 1 to 500 (default 500)"},
    {"batch-bytes", "N", false,
     "most bytes (keys plus data) per request, 1 to 5242880 (default "
     "5242880)"},
    {"max-records-per-second", "N", false,
     "rate limit in records per second, 0 for none (default 0)"},
    {"max-bytes-per-second", "N", false,
     "rate limit in bytes per second, 0 for none (default 0)"},
    {"durable-only", "B", false,
     "true: export only records the writer has made durable, so a power loss "
     "cannot take back an exported record (default false)"},
    {"strict-key-order", "B", false,
     "true: at most one record of a partition key per request, so a failed "
     "entry is never overtaken by its key's next record (default false)"},
    {"checkpoint-path", "PATH", false,
     "the checkpoint file (default DIR/exports/NAME.checkpoint)"},
    {"checkpoint-interval-ms", "MS", false,
     "how often the checkpoint is saved while sending, 0 to 3600000, 0 "
     "after every request (default 1000)"},
    {"until-caught-up", "B", false,
     "true: stop once everything present was exported (default false: run "
     "until SIGINT or SIGTERM)"},
    {"progress-interval-ms", "MS", false,
     "how often a progress line is printed, 10 to 3600000 (default 1000)"},
};

}  // namespace

void RequestExportStop() { export_stop.store(true); }

const Command kExportCommand = {
    "export",
    "Forwards the stream to a remote Kinesis stream, resuming where it left "
    "off.",
    kExportFlags,
    "Opens the stream read-only (a writer may be appending to it) and sends\n"
    "every shard's records with PutRecords, in lineage order (a child shard\n"
    "after its parents), each with its hash key as ExplicitHashKey: each\n"
    "partition key's records arrive in order, at least once. Where it got to\n"
    "is saved in the checkpoint file, so a restart (after SIGINT, a crash or\n"
    "an outage) goes on from there; after a crash, records sent since the\n"
    "last save are sent again. Failures of the service or the network are\n"
    "retried with back-off until they pass; other errors end the command\n"
    "(exit 1). Prints JSON lines: {\"Event\": \"Progress\", \"RecordsSent\",\n"
    "\"BytesSent\", \"Requests\", \"FailedRequests\", \"FailedEntries\",\n"
    "\"RecordsLost\", \"TotalRecordsExported\", \"ShardsFinished\",\n"
    "\"ShardsActive\", \"CheckpointsSaved\", \"LastError\"} every\n"
    "--progress-interval-ms, {\"Event\": \"Retry\", \"Error\"} before each\n"
    "back-off, {\"Event\": \"RecordsLost\", \"ShardId\", \"Records\"} when\n"
    "retention removed records before they were sent, and a last line with\n"
    "\"Event\" \"Stopped\" (after SIGINT or SIGTERM, checkpoint saved, exit "
    "0)\n"
    "or \"CaughtUp\" (--until-caught-up true). Credentials come from the\n"
    "environment or the profile, as for the AWS CLI.\n",
    RunExport,
    "--stream-dir DIR --stream-name NAME [--endpoint-url URL] [--region R]\n"
    "       [--profile P] [--batch-records N] [--batch-bytes N]\n"
    "       [--max-records-per-second N] [--max-bytes-per-second N]\n"
    "       [--strict-key-order B] [--durable-only B]\n"
    "       [--checkpoint-path PATH] [--checkpoint-interval-ms MS]\n"
    "       [--until-caught-up B] [--progress-interval-ms MS]",
    /*dir_takes_stream_name=*/false,
    /*local_to_kinesis=*/true};

}  // namespace cli
}  // namespace brook
