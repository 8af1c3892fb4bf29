// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The `brook` tool's backend over durable stream directories
// (`Stream::Open()`), as backend.h documents each method.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/lease.h"
#include "brook/stream.h"

#include "tools/brook/backend.h"

namespace brook {
namespace cli {
namespace {

absl::StatusOr<std::shared_ptr<Stream>> OpenShared(absl::string_view dir,
                                                   const StreamOptions& options,
                                                   OpenMode mode) {
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Open(dir, options, mode);
  if (!s.ok()) return s.status();
  return std::shared_ptr<Stream>(*std::move(s));
}

class DurableBackend : public CliBackend {
 public:
  absl::StatusOr<std::shared_ptr<Stream>> CreateStream(
      absl::string_view dir, const StreamOptions& options) override {
    // kCreateOnly, not a check for the STREAM file and then an open, which
    // another creator could slip between.
    return OpenShared(dir, options, OpenMode::kCreateOnly);
  }

  absl::StatusOr<std::shared_ptr<Stream>> OpenForWrite(
      absl::string_view dir) override {
    StreamOptions options;
    options.accept_stored_options = true;  // the tool writes any stream
    return OpenShared(dir, options, OpenMode::kMustExist);
  }

  absl::StatusOr<std::shared_ptr<Stream>> OpenReadOnly(
      absl::string_view dir) override {
    return OpenShared(dir, StreamOptions(), OpenMode::kReadOnly);
  }

  absl::Status Sync(Stream& stream) override { return stream.Sync(); }

#if BROOK_CLI_WITH_REMOTE
  absl::StatusOr<std::unique_ptr<KinesisClient>> ConnectKinesis(
      const KinesisClientOptions& options) override {
    return KinesisClient::Create(options);
  }
#endif

  // Groups live in <dir>/groups/<group>/ (lib/group/LEASE_FORMAT.md).
  absl::StatusOr<std::vector<std::string>> ListConsumerGroups(
      absl::string_view dir) override {
    Env* const env = Env::Default();
    absl::StatusOr<bool> stream = env->FileExists(absl::StrCat(dir, "/STREAM"));
    if (!stream.ok()) return stream.status();
    if (!*stream) {
      return absl::NotFoundError(absl::StrCat(dir, ": no stream there"));
    }
    const std::string groups_dir = absl::StrCat(dir, "/groups");
    absl::StatusOr<bool> any = env->FileExists(groups_dir);
    if (!any.ok()) return any.status();
    std::vector<std::string> groups;
    if (!*any) return groups;
    absl::StatusOr<std::vector<std::string>> names = env->ListDir(groups_dir);
    if (!names.ok()) return names.status();
    for (std::string& name : *names) {
      if (ValidateGroupName(name).ok()) groups.push_back(std::move(name));
    }
    std::sort(groups.begin(), groups.end());
    return groups;
  }

  absl::StatusOr<std::shared_ptr<LeaseStore>> OpenLeaseStore(
      absl::string_view dir, absl::string_view group) override {
    absl::StatusOr<std::vector<std::string>> groups = ListConsumerGroups(dir);
    if (!groups.ok()) return groups.status();
    if (std::find(groups->begin(), groups->end(), group) == groups->end()) {
      return absl::NotFoundError(absl::StrCat(
          "consumer group ", group, ": not found in ", dir, "/groups"));
    }
    absl::StatusOr<std::unique_ptr<LeaseStore>> store =
        OpenDurableLeaseStore(dir, group, DurableLeaseStoreOptions());
    if (!store.ok()) return store.status();
    return std::shared_ptr<LeaseStore>(*std::move(store));
  }

  // A kVerify open checksums every frame of every segment; then every
  // shard is read through, as a consumer would, so that records that decode
  // badly are found too.
  absl::StatusOr<VerifyReport> Verify(absl::string_view dir,
                                      const ProgressFn& progress) override {
    absl::StatusOr<std::unique_ptr<Stream>> s =
        Stream::Open(dir, StreamOptions(), OpenMode::kVerify);
    if (!s.ok()) return s.status();
    Stream& stream = **s;
    const RecoveryReport& recovery = stream.recovery_report();
    VerifyReport report;
    report.segments_checked = recovery.scanned_segments;
    report.batches_checked = recovery.scanned_batches;
    report.records_checked = recovery.scanned_records;
    report.bytes_checked = recovery.checksummed_bytes;
    for (const RecoveryReport::Problem& p : recovery.problems) {
      report.damage.push_back(
          {p.file, p.offset,
           absl::StrCat(p.data_loss ? "data loss: " : "torn tail: ", p.reason,
                        " (", p.bytes, " bytes)")});
    }
    Consumer consumer(&stream);
    const std::vector<ShardDescription> shards = stream.ListShards();
    int64_t done = 0;
    for (const ShardDescription& shard : shards) {
      if (progress) {
        progress({shard.shard_id, done, static_cast<int64_t>(shards.size())});
      }
      absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
          shard.shard_id, StartingPosition::TrimHorizon());
      while (it.ok() && it->valid()) {
        absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
        if (!r.ok()) {
          report.damage.push_back({absl::StrCat(dir, "/", shard.shard_id), 0,
                                   std::string(r.status().message())});
          break;
        }
        if (r->records().empty() && r->next_shard_iterator().valid()) break;
        *it = r->next_shard_iterator();
      }
      ++done;
    }
    if (progress) progress({"", done, static_cast<int64_t>(shards.size())});
    return report;
  }
};

}  // namespace

std::unique_ptr<CliBackend> NewDurableBackend() {
  return std::make_unique<DurableBackend>();
}

}  // namespace cli
}  // namespace brook
