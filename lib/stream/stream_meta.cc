// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "stream/stream_meta.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "stream/throughput_options.h"
#include "util/replace_file.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

std::string StreamMetaPath(absl::string_view dir) {
  return absl::StrCat(dir, "/STREAM");
}

uint32_t MetaVersionFor(const proto::StreamMeta& meta) {
  return meta.options().compression_level() != 0 ||
                 meta.compression_dictionary_id() != 0
             ? kCompressedStreamMetaVersion
             : kStreamMetaVersion;
}

absl::StatusOr<proto::StreamMeta> ReadStreamMeta(Env* env,
                                                 absl::string_view dir) {
  const std::string path = StreamMetaPath(dir);
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         env->OpenFile(path, FileOpenMode::kReadOnly));
  BROOK_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
  std::string bytes(static_cast<size_t>(size), '\0');
  BROOK_ASSIGN_OR_RETURN(
      const size_t n, file->Read(0, absl::MakeSpan(&bytes[0], bytes.size())));
  bytes.resize(n);
  proto::StreamMeta meta;
  if (!meta.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat(path, ": does not parse"));
  }
  if (meta.format_version() < kOldestStreamMetaVersion ||
      meta.format_version() > kCompressedStreamMetaVersion) {
    return absl::DataLossError(
        absl::StrCat(path, ": format version ", meta.format_version(),
                     " is not one this build reads (", kOldestStreamMetaVersion,
                     " to ", kCompressedStreamMetaVersion, ")"));
  }
  return meta;
}

absl::Status WriteStreamMeta(Env* env, absl::string_view dir,
                             const proto::StreamMeta& meta) {
  const std::string path = StreamMetaPath(dir);
  std::string bytes;
  if (!meta.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat(path, ": does not serialize"));
  }
  return ReplaceFile(env, dir, path, bytes);
}

void OptionsToMeta(const StreamOptions& o, proto::OptionsMeta* m) {
  m->set_name(o.name);
  m->set_shard_count(o.shard_count);
  m->set_max_record_bytes(o.max_record_bytes);
  m->set_retention_period_millis(absl::ToInt64Milliseconds(o.retention_period));
  m->set_retention_bytes(o.retention_bytes);
  m->set_on_full(static_cast<int32_t>(o.on_full));
  m->set_segment_bytes(o.segment_bytes);
  m->set_durability(static_cast<int32_t>(o.durability));
  m->set_group_commit_bytes(o.group_commit_bytes);
  m->set_group_commit_millis(
      absl::ToInt64Milliseconds(o.group_commit_interval));
  m->set_segment_roll_millis(absl::ToInt64Milliseconds(o.segment_roll_age));
  m->set_compression_level(o.compression_level);

  ThroughputToMeta(o.throughput, m->mutable_throughput());
}

StreamOptions OptionsFromMeta(const proto::OptionsMeta& m) {
  StreamOptions o;
  o.name = m.name();
  o.shard_count = m.shard_count();
  o.max_record_bytes = m.max_record_bytes();
  o.retention_period = absl::Milliseconds(m.retention_period_millis());
  o.retention_bytes = m.retention_bytes();
  o.on_full = static_cast<RetentionFullPolicy>(m.on_full());
  o.segment_bytes = m.segment_bytes();
  o.durability = static_cast<Durability>(m.durability());
  o.group_commit_bytes = m.group_commit_bytes();
  o.group_commit_interval = absl::Milliseconds(m.group_commit_millis());
  o.segment_roll_age = absl::Milliseconds(m.segment_roll_millis());
  o.compression_level = m.compression_level();

  o.throughput = ThroughputFromMeta(m);
  return o;
}

StreamOptions OpenedOptions(const proto::OptionsMeta& meta,
                            const StreamOptions& passed) {
  StreamOptions o = OptionsFromMeta(meta);
  o.durability = passed.durability;
  o.group_commit_bytes = passed.group_commit_bytes;
  o.group_commit_interval = passed.group_commit_interval;
  o.env = passed.env;
  o.accept_stored_options = passed.accept_stored_options;
  o.follow = passed.follow;
  o.wait_spin = passed.wait_spin;
  o.metrics = passed.metrics;
  o.hot_key_count = passed.hot_key_count;
  o.hot_key_sample_every = passed.hot_key_sample_every;
  return o;
}

namespace {

const char* OnFullName(RetentionFullPolicy p) {
  switch (p) {
    case RetentionFullPolicy::kRejectWrites:
      return "kRejectWrites";
    case RetentionFullPolicy::kDropOldest:
      return "kDropOldest";
  }
  return "unknown";
}

}  // namespace

absl::Status CheckStoredOptions(const proto::StreamMeta& meta,
                                const StreamOptions& passed,
                                absl::string_view dir) {
  const StreamOptions stored = OptionsFromMeta(meta.options());
  int open_shards = 0;
  for (const proto::ShardMeta& s : meta.shards()) {
    if (!s.closed()) ++open_shards;
  }
  const auto differs = [dir](absl::string_view option, const auto& in_stream,
                             const auto& in_options) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream directory ", dir, ": option ", option, " is ",
                     in_stream, " in the stream but ", in_options,
                     " in the options passed; pass the stream's value or set "
                     "accept_stored_options"));
  };
  if (passed.name != stored.name) {
    return differs("name", absl::StrCat("\"", stored.name, "\""),
                   absl::StrCat("\"", passed.name, "\""));
  }
  if (passed.shard_count != open_shards) {
    return differs("shard_count", absl::StrCat(open_shards, " (open shards)"),
                   passed.shard_count);
  }
  if (passed.max_record_bytes != stored.max_record_bytes) {
    return differs("max_record_bytes", stored.max_record_bytes,
                   passed.max_record_bytes);
  }
  if (passed.retention_period != stored.retention_period) {
    return differs("retention_period",
                   absl::FormatDuration(stored.retention_period),
                   absl::FormatDuration(passed.retention_period));
  }
  if (passed.retention_bytes != stored.retention_bytes) {
    return differs("retention_bytes", stored.retention_bytes,
                   passed.retention_bytes);
  }
  if (passed.on_full != stored.on_full) {
    return differs("on_full", OnFullName(stored.on_full),
                   OnFullName(passed.on_full));
  }
  if (passed.segment_bytes != stored.segment_bytes) {
    return differs("segment_bytes", stored.segment_bytes, passed.segment_bytes);
  }
  if (passed.segment_roll_age != stored.segment_roll_age) {
    return differs("segment_roll_age",
                   absl::FormatDuration(stored.segment_roll_age),
                   absl::FormatDuration(passed.segment_roll_age));
  }
  if (passed.compression_level != stored.compression_level) {
    return differs("compression_level", stored.compression_level,
                   passed.compression_level);
  }

  return CompareThroughput(
      stored.throughput, passed.throughput,
      [&differs](absl::string_view option, const std::string& in_stream,
                 const std::string& in_options) {
        return differs(option, in_stream, in_options);
      });
}

proto::ShardMeta ShardMetaOf(uint32_t number, const HashKeyRange& range,
                             uint64_t start_position,
                             const std::vector<std::string>& parents) {
  proto::ShardMeta shard;
  shard.set_number(number);
  proto::HashKeyRangeMeta* r = shard.mutable_range();
  r->set_starting_high(absl::Uint128High64(range.starting_hash_key));
  r->set_starting_low(absl::Uint128Low64(range.starting_hash_key));
  r->set_ending_high(absl::Uint128High64(range.ending_hash_key));
  r->set_ending_low(absl::Uint128Low64(range.ending_hash_key));
  shard.set_start_position(start_position);
  if (!parents.empty()) shard.set_parent_shard_id(parents[0]);
  if (parents.size() > 1) shard.set_adjacent_parent_shard_id(parents[1]);
  return shard;
}

}  // namespace internal
}  // namespace brook
