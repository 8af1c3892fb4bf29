// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "tools/memory_backend.h"

#include <utility>

#include "absl/strings/str_cat.h"

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/lease.h"

#include "util/status_macros.h"

namespace brook {
namespace cli {

absl::StatusOr<std::shared_ptr<Stream>> MemoryBackend::CreateStream(
    absl::string_view dir, const StreamOptions& options) {
  if (streams_.find(dir) != streams_.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat("stream dir ", dir, ": already holds a stream"));
  }
  StreamOptions with_env = options;
  with_env.env = env_;
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<Stream> created,
                         Stream::Create(with_env));
  std::shared_ptr<Stream> stream = std::move(created);
  streams_.emplace(std::string(dir), stream);
  return stream;
}

absl::StatusOr<std::shared_ptr<Stream>> MemoryBackend::Find(
    absl::string_view dir) const {
  auto it = streams_.find(dir);
  if (it == streams_.end()) {
    return absl::NotFoundError(
        absl::StrCat("stream dir ", dir, ": no stream there"));
  }
  return it->second;
}

absl::StatusOr<std::shared_ptr<Stream>> MemoryBackend::OpenForWrite(
    absl::string_view dir) {
  return Find(dir);
}

absl::StatusOr<std::shared_ptr<Stream>> MemoryBackend::OpenReadOnly(
    absl::string_view dir) {
  return Find(dir);
}

absl::Status MemoryBackend::Sync(Stream& /*stream*/) {
  return absl::OkStatus();  // nothing to make durable in memory
}

absl::StatusOr<VerifyReport> MemoryBackend::Verify(absl::string_view dir,
                                                   const ProgressFn& progress) {
  BROOK_ASSIGN_OR_RETURN(std::shared_ptr<Stream> stream, Find(dir));
  VerifyReport report;
  Consumer consumer(stream.get());
  const std::vector<ShardDescription> shards = stream->ListShards();
  for (const ShardDescription& shard : shards) {
    progress({shard.shard_id, report.segments_checked,
              static_cast<int64_t>(shards.size())});
    BROOK_ASSIGN_OR_RETURN(
        ShardIterator it, consumer.GetShardIterator(
                              shard.shard_id, StartingPosition::TrimHorizon()));
    while (it.valid()) {
      BROOK_ASSIGN_OR_RETURN(GetRecordsResult r, consumer.GetRecords(it));
      if (r.records().empty()) break;
      for (const Record& record : r.records()) {
        ++report.batches_checked;
        ++report.records_checked;
        report.bytes_checked += static_cast<int64_t>(
            record.partition_key.size() + record.data.size());
      }
      it = r.next_shard_iterator();
    }
    ++report.segments_checked;
  }
  progress({"", report.segments_checked, static_cast<int64_t>(shards.size())});
  if (auto it = damage_.find(dir); it != damage_.end()) {
    report.damage = it->second;
  }
  return report;
}

std::shared_ptr<Stream> MemoryBackend::StreamForTesting(
    absl::string_view dir) const {
  auto it = streams_.find(dir);
  return it == streams_.end() ? nullptr : it->second;
}

void MemoryBackend::AddDamageForTesting(absl::string_view dir, Damage damage) {
  damage_[std::string(dir)].push_back(std::move(damage));
}

absl::StatusOr<std::vector<std::string>> MemoryBackend::ListConsumerGroups(
    absl::string_view dir) {
  BROOK_ASSIGN_OR_RETURN(std::shared_ptr<Stream> stream, Find(dir));
  std::vector<std::string> names;
  auto it = groups_.find(dir);
  if (it == groups_.end()) return names;
  for (const auto& [name, store] : it->second) names.push_back(name);
  return names;
}

absl::StatusOr<std::shared_ptr<LeaseStore>> MemoryBackend::OpenLeaseStore(
    absl::string_view dir, absl::string_view group) {
  BROOK_ASSIGN_OR_RETURN(std::shared_ptr<Stream> stream, Find(dir));
  auto it = groups_.find(dir);
  if (it != groups_.end()) {
    auto g = it->second.find(std::string(group));
    if (g != it->second.end()) return g->second;
  }
  return absl::NotFoundError(
      absl::StrCat("consumer group ", group, ": not found in ", dir));
}

int64_t MemoryBackend::NowMillis() {
  return (env_ != nullptr ? env_ : Env::Default())->NowMillis();
}

std::shared_ptr<LeaseStore> MemoryBackend::AddGroupForTesting(
    absl::string_view dir, absl::string_view group) {
  std::shared_ptr<LeaseStore>& store =
      groups_[std::string(dir)][std::string(group)];
  if (store == nullptr) store = NewMemoryLeaseStore();
  return store;
}

}  // namespace cli
}  // namespace brook
