// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "remote/export_checkpoint.h"

#include <cstring>
#include <memory>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

#include "brook/exporter.h"

#include "proto/export_checkpoint.pb.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/replace_file.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

constexpr char kMagic[8] = {'B', 'R', 'K', 'E', 'X', 'P', 'R', 'T'};
constexpr size_t kHeaderBytes = 16;  // magic, version, payload length
constexpr size_t kTrailerBytes = 4;  // CRC-32C
// A checkpoint holds ~40 bytes per shard; 10,000 shards fit many times.
constexpr uint32_t kMaxPayloadBytes = 16 << 20;

absl::Status Damaged(absl::string_view path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("export checkpoint ", path, ": ", what));
}

}  // namespace

std::string EncodeExportCheckpoint(const ExportCheckpointData& data) {
  proto::ExportCheckpoint p;
  p.set_local_stream_name(data.local_stream_name);
  p.set_remote_stream_name(data.remote_stream_name);
  for (const ExportShardCheckpoint& s : data.shards) {
    proto::ExportShardPosition* out = p.add_shards();
    out->set_shard_id(s.shard_id);
    out->set_finished(s.finished);
    if (!s.finished && s.acknowledged.has_value()) {
      out->set_has_acknowledged(true);
      out->set_acknowledged_high(absl::Uint128High64(s.acknowledged->value()));
      out->set_acknowledged_low(absl::Uint128Low64(s.acknowledged->value()));
    }
  }
  p.set_records_lost(data.records_lost);
  p.set_records_exported(data.records_exported);
  p.set_saved_at_millis(data.saved_at_millis);
  const std::string payload = p.SerializeAsString();
  std::string bytes(kHeaderBytes, '\0');
  std::memcpy(&bytes[0], kMagic, sizeof(kMagic));
  EncodeFixed<uint32_t>(&bytes[8], kExportCheckpointVersion);
  EncodeFixed<uint32_t>(&bytes[12], static_cast<uint32_t>(payload.size()));
  bytes += payload;
  char crc[kTrailerBytes];
  EncodeFixed<uint32_t>(crc, Crc32c(bytes.data(), bytes.size()));
  bytes.append(crc, sizeof(crc));
  return bytes;
}

absl::StatusOr<ExportCheckpointData> DecodeExportCheckpoint(
    absl::string_view path, absl::string_view bytes) {
  if (bytes.size() < kHeaderBytes + kTrailerBytes ||
      std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return Damaged(path, "not an export checkpoint (bad magic or too short)");
  }
  const uint32_t version = DecodeFixed<uint32_t>(bytes.data() + 8);
  if (version != kExportCheckpointVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "export checkpoint ", path, ": format version ", version,
        " is not the one this brook reads (", kExportCheckpointVersion, ")"));
  }
  const uint32_t length = DecodeFixed<uint32_t>(bytes.data() + 12);
  if (length > kMaxPayloadBytes ||
      bytes.size() != kHeaderBytes + length + kTrailerBytes) {
    return Damaged(path, absl::StrCat("payload length ", length, " for a ",
                                      bytes.size(), "-byte file"));
  }
  const uint32_t stored =
      DecodeFixed<uint32_t>(bytes.data() + kHeaderBytes + length);
  if (Crc32c(bytes.data(), kHeaderBytes + length) != stored) {
    return Damaged(path, "checksum mismatch");
  }
  proto::ExportCheckpoint p;
  if (!p.ParseFromArray(bytes.data() + kHeaderBytes,
                        static_cast<int>(length))) {
    return Damaged(path, "payload does not parse");
  }
  ExportCheckpointData data;
  data.local_stream_name = p.local_stream_name();
  data.remote_stream_name = p.remote_stream_name();
  data.records_lost = p.records_lost();
  data.records_exported = p.records_exported();
  data.saved_at_millis = p.saved_at_millis();
  std::set<std::string> seen;
  for (const proto::ExportShardPosition& s : p.shards()) {
    if (s.shard_id().empty() || !seen.insert(s.shard_id()).second) {
      return Damaged(path, absl::StrCat("empty or repeated shard id \"",
                                        absl::CHexEscape(s.shard_id()), "\""));
    }
    ExportShardCheckpoint shard;
    shard.shard_id = s.shard_id();
    shard.finished = s.finished();
    if (s.has_acknowledged()) {
      shard.acknowledged = SequenceNumber::FromValue(
          absl::MakeUint128(s.acknowledged_high(), s.acknowledged_low()));
    }
    data.shards.push_back(std::move(shard));
  }
  return data;
}

absl::StatusOr<std::unique_ptr<FileLock>> LockExportCheckpoint(
    Env* env, absl::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash != absl::string_view::npos && slash > 0) {
    const absl::string_view dir = path.substr(0, slash);
    const size_t parent = dir.rfind('/');
    if (dir.substr(parent == absl::string_view::npos ? 0 : parent + 1) ==
        "exports") {
      BROOK_RETURN_IF_ERROR(env->CreateDir(dir));
    }
  }
  absl::StatusOr<std::unique_ptr<FileLock>> lock =
      env->LockFile(absl::StrCat(path, ".lock"), /*shared=*/false);
  if (absl::IsFailedPrecondition(lock.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("export checkpoint ", path,
                     ": in use by another exporter (this or another "
                     "process)"));
  }
  return lock;
}

absl::StatusOr<std::optional<ExportCheckpointData>> ReadExportCheckpoint(
    Env* env, absl::string_view path) {
  absl::StatusOr<std::unique_ptr<File>> file =
      env->OpenFile(path, FileOpenMode::kReadOnly);
  if (!file.ok()) {
    if (absl::IsNotFound(file.status())) {
      return std::optional<ExportCheckpointData>();
    }
    return file.status();
  }
  BROOK_ASSIGN_OR_RETURN(const uint64_t size, (*file)->Size());
  if (size > kHeaderBytes + kMaxPayloadBytes + kTrailerBytes) {
    return Damaged(path, absl::StrCat("size ", size, " bytes is too large"));
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  BROOK_ASSIGN_OR_RETURN(
      const size_t n,
      (*file)->Read(0, absl::MakeSpan(&bytes[0], bytes.size())));
  bytes.resize(n);
  BROOK_ASSIGN_OR_RETURN(ExportCheckpointData data,
                         DecodeExportCheckpoint(path, bytes));
  return std::optional<ExportCheckpointData>(std::move(data));
}

absl::Status WriteExportCheckpoint(Env* env, absl::string_view path,
                                   const ExportCheckpointData& data) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == absl::string_view::npos
          ? std::string(".")
          : std::string(path.substr(0, slash == 0 ? 1 : slash));
  return ReplaceFile(env, dir, path, EncodeExportCheckpoint(data));
}

}  // namespace internal

// Public (exporter.h), kept with the checkpoint's format.
std::string DefaultExportCheckpointPath(absl::string_view stream_dir,
                                        absl::string_view remote_stream_name) {
  return absl::StrCat(stream_dir, "/exports/", remote_stream_name,
                      ".checkpoint");
}

}  // namespace brook
