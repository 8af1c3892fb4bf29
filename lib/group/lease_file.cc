// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "group/lease_file.h"

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

#include "group/lease_internal.h"
#include "proto/lease.pb.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/replace_file.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

constexpr char kMagic[8] = {'B', 'R', 'K', 'L', 'E', 'A', 'S', 'E'};
// Largest payload accepted; a lease is a few hundred bytes.
constexpr uint32_t kMaxPayloadBytes = 1 << 20;

void ToProto(const ExtendedSequenceNumber& value, proto::CheckpointValue* out) {
  out->set_kind(static_cast<int32_t>(value.kind()));
  if (value.is_sequence_number()) {
    const absl::uint128 n = value.sequence_number().value();
    out->set_sequence_high(absl::Uint128High64(n));
    out->set_sequence_low(absl::Uint128Low64(n));
    out->set_sequence_top(value.sequence_number().high());
    out->set_subsequence_number(value.subsequence_number());
  }
  if (value.kind() == ExtendedSequenceNumber::Kind::kAtTimestamp) {
    out->set_timestamp_millis(value.timestamp_millis());
  }
}

absl::StatusOr<ExtendedSequenceNumber> FromProto(
    const proto::CheckpointValue& value) {
  using Kind = ExtendedSequenceNumber::Kind;
  switch (value.kind()) {
    case static_cast<int32_t>(Kind::kAtTimestamp):
      return ExtendedSequenceNumber::AtTimestamp(value.timestamp_millis());
    case static_cast<int32_t>(Kind::kTrimHorizon):
      return ExtendedSequenceNumber::TrimHorizon();
    case static_cast<int32_t>(Kind::kLatest):
      return ExtendedSequenceNumber::Latest();
    case static_cast<int32_t>(Kind::kSequenceNumber):
      return ExtendedSequenceNumber::At(
          SequenceNumber::FromParts(
              value.sequence_top(),
              absl::MakeUint128(value.sequence_high(), value.sequence_low())),
          value.subsequence_number());
    case static_cast<int32_t>(Kind::kShardEnd):
      return ExtendedSequenceNumber::ShardEnd();
    default:
      return absl::DataLossError(
          absl::StrCat("unknown checkpoint kind ", value.kind()));
  }
}

absl::Status Damaged(absl::string_view path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("lease file ", path, ": ", what));
}

}  // namespace

std::string LeaseFilePath(absl::string_view dir, absl::string_view lease_key) {
  return absl::StrCat(dir, "/", lease_key, kLeaseFileSuffix);
}

std::string EncodeLeaseFile(const Lease& lease) {
  proto::LeaseRecord record;
  record.set_lease_key(lease.lease_key);
  record.set_lease_owner(lease.lease_owner);
  record.set_lease_counter(lease.lease_counter);
  ToProto(lease.checkpoint, record.mutable_checkpoint());
  if (lease.has_pending_checkpoint) {
    ToProto(lease.pending_checkpoint, record.mutable_pending_checkpoint());
  }
  record.set_checkpoint_owner(lease.checkpoint_owner);
  record.set_owner_switches_since_checkpoint(
      lease.owner_switches_since_checkpoint);
  for (const std::string& id : lease.parent_shard_ids) {
    record.add_parent_shard_ids(id);
  }
  for (const std::string& id : lease.child_shard_ids) {
    record.add_child_shard_ids(id);
  }
  const HashKeyRange& range = lease.hash_key_range;
  record.set_starting_hash_key_high(
      absl::Uint128High64(range.starting_hash_key));
  record.set_starting_hash_key_low(absl::Uint128Low64(range.starting_hash_key));
  record.set_ending_hash_key_high(absl::Uint128High64(range.ending_hash_key));
  record.set_ending_hash_key_low(absl::Uint128Low64(range.ending_hash_key));
  record.set_throughput_records_per_second(lease.throughput_records_per_second);
  record.set_throughput_bytes_per_second(lease.throughput_bytes_per_second);

  std::string payload;
  record.SerializeToString(&payload);  // cannot fail: no required fields
  // Version 1 unless a sequence number needs its top word (lease_file.h).
  const bool wide = record.checkpoint().sequence_top() != 0 ||
                    record.pending_checkpoint().sequence_top() != 0;
  std::string bytes(kLeaseFileHeaderBytes, '\0');
  std::memcpy(&bytes[0], kMagic, sizeof(kMagic));
  EncodeFixed<uint32_t>(&bytes[8], wide ? 2 : 1);
  EncodeFixed<uint32_t>(&bytes[12], static_cast<uint32_t>(payload.size()));
  bytes += payload;
  char crc[kLeaseFileTrailerBytes];
  EncodeFixed<uint32_t>(crc, Crc32cExtend(0, bytes.data(), bytes.size()));
  bytes.append(crc, sizeof(crc));
  return bytes;
}

absl::StatusOr<Lease> DecodeLeaseFile(absl::string_view path,
                                      absl::string_view lease_key,
                                      absl::string_view bytes) {
  if (bytes.size() < kLeaseFileHeaderBytes + kLeaseFileTrailerBytes) {
    return Damaged(path, absl::StrCat("truncated: ", bytes.size(),
                                      " bytes, shorter than a header"));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return Damaged(path, "bad magic (not a lease file)");
  }
  const uint32_t version = DecodeFixed<uint32_t>(bytes.data() + 8);
  if (version < kOldestLeaseFileVersion || version > kLeaseFileVersion) {
    return Damaged(path, absl::StrCat("format version ", version,
                                      " is not one this build reads (",
                                      kOldestLeaseFileVersion, " to ",
                                      kLeaseFileVersion, ")"));
  }
  const uint32_t length = DecodeFixed<uint32_t>(bytes.data() + 12);
  const uint64_t expected_size =
      uint64_t{kLeaseFileHeaderBytes} + length + kLeaseFileTrailerBytes;
  if (length > kMaxPayloadBytes || bytes.size() != expected_size) {
    return Damaged(path,
                   absl::StrCat("size ", bytes.size(), " bytes, header says ",
                                expected_size, " (truncated or garbage)"));
  }
  const size_t body = kLeaseFileHeaderBytes + length;
  const uint32_t stored_crc = DecodeFixed<uint32_t>(bytes.data() + body);
  if (Crc32cExtend(0, bytes.data(), body) != stored_crc) {
    return Damaged(path, "checksum mismatch");
  }
  proto::LeaseRecord record;
  if (!record.ParseFromArray(bytes.data() + kLeaseFileHeaderBytes,
                             static_cast<int>(length))) {
    return Damaged(path, "payload does not parse");
  }
  if (record.lease_key() != lease_key) {
    return Damaged(path, absl::StrCat("holds lease \"", record.lease_key(),
                                      "\", not ", lease_key));
  }
  if (version < 2 && (record.checkpoint().sequence_top() != 0 ||
                      record.pending_checkpoint().sequence_top() != 0)) {
    return Damaged(path,
                   "a sequence number of 2^128 or more in a version 1 file");
  }
  Lease lease;
  lease.lease_key = record.lease_key();
  lease.lease_owner = record.lease_owner();
  lease.lease_counter = record.lease_counter();
  absl::StatusOr<ExtendedSequenceNumber> checkpoint =
      FromProto(record.checkpoint());
  if (!checkpoint.ok()) return Damaged(path, checkpoint.status().message());
  lease.checkpoint = *checkpoint;
  if (record.has_pending_checkpoint()) {
    absl::StatusOr<ExtendedSequenceNumber> pending =
        FromProto(record.pending_checkpoint());
    if (!pending.ok()) return Damaged(path, pending.status().message());
    lease.has_pending_checkpoint = true;
    lease.pending_checkpoint = *pending;
  }
  lease.checkpoint_owner = record.checkpoint_owner();
  lease.owner_switches_since_checkpoint =
      record.owner_switches_since_checkpoint();
  lease.parent_shard_ids.assign(record.parent_shard_ids().begin(),
                                record.parent_shard_ids().end());
  lease.child_shard_ids.assign(record.child_shard_ids().begin(),
                               record.child_shard_ids().end());
  lease.hash_key_range.starting_hash_key = absl::MakeUint128(
      record.starting_hash_key_high(), record.starting_hash_key_low());
  lease.hash_key_range.ending_hash_key = absl::MakeUint128(
      record.ending_hash_key_high(), record.ending_hash_key_low());
  lease.throughput_records_per_second = record.throughput_records_per_second();
  lease.throughput_bytes_per_second = record.throughput_bytes_per_second();
  absl::Status valid = ValidateLease(lease);
  if (!valid.ok()) return Damaged(path, valid.message());
  return lease;
}

absl::StatusOr<Lease> ReadLeaseFile(Env* env, absl::string_view dir,
                                    absl::string_view lease_key) {
  const std::string path = LeaseFilePath(dir, lease_key);
  absl::StatusOr<std::unique_ptr<File>> file =
      env->OpenFile(path, FileOpenMode::kReadOnly);
  if (!file.ok()) {
    if (absl::IsNotFound(file.status())) {
      return absl::NotFoundError(
          absl::StrCat("lease ", lease_key, ": not found"));
    }
    return file.status();
  }
  BROOK_ASSIGN_OR_RETURN(const uint64_t size, (*file)->Size());
  if (size >
      kMaxPayloadBytes + kLeaseFileHeaderBytes + kLeaseFileTrailerBytes) {
    return Damaged(path, absl::StrCat("size ", size, " bytes is too large"));
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  BROOK_ASSIGN_OR_RETURN(
      const size_t n,
      (*file)->Read(0, absl::MakeSpan(&bytes[0], bytes.size())));
  bytes.resize(n);
  return DecodeLeaseFile(path, lease_key, bytes);
}

absl::Status WriteLeaseFile(Env* env, absl::string_view dir, const Lease& lease,
                            bool sync) {
  const std::string path = LeaseFilePath(dir, lease.lease_key);
  return ReplaceFile(env, dir, path, EncodeLeaseFile(lease), sync);
}

}  // namespace internal
}  // namespace brook
