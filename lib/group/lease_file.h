// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// One lease file of the durable lease store (lib/group/LEASE_FORMAT.md):
// encoding, decoding with every check, and the atomic replace.
//
// Thread safety: pure functions over `Env`; writers must hold the group lock.

#ifndef BROOK_LIB_GROUP_LEASE_FILE_H_
#define BROOK_LIB_GROUP_LEASE_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/env.h"
#include "brook/lease.h"

namespace brook {
namespace internal {

// The newest format version this build reads and writes, and the oldest it
// reads. It writes version 1 unless a checkpoint's sequence number needs its
// top 64 bits (`CheckpointValue.sequence_top`), then version 2, which builds
// that read only version 1 refuse rather than misread.
inline constexpr uint32_t kLeaseFileVersion = 2;
inline constexpr uint32_t kOldestLeaseFileVersion = 1;
// Bytes before the payload (magic, version, length) and after it (CRC).
inline constexpr size_t kLeaseFileHeaderBytes = 16;
inline constexpr size_t kLeaseFileTrailerBytes = 4;
// A lease file name ends with this; the rest is the lease key.
inline constexpr absl::string_view kLeaseFileSuffix = ".lease";

// "<dir>/<lease_key>.lease".
std::string LeaseFilePath(absl::string_view dir, absl::string_view lease_key);

// The whole file for `lease`.
std::string EncodeLeaseFile(const Lease& lease);

// Decodes the bytes of file `path`, which should hold lease `lease_key`.
// kDataLoss naming `path` and the fault for anything but a whole, valid file
// of a version this build reads holding that lease.
absl::StatusOr<Lease> DecodeLeaseFile(absl::string_view path,
                                      absl::string_view lease_key,
                                      absl::string_view bytes);

// Reads lease `lease_key` from `dir`: kNotFound naming it if there is no file,
// kDataLoss as DecodeLeaseFile(), or the I/O error.
absl::StatusOr<Lease> ReadLeaseFile(Env* env, absl::string_view dir,
                                    absl::string_view lease_key);

// Replaces (or creates) the file of `lease` atomically: writes
// "<file>.tmp", syncs it if `sync`, renames it over the file, then syncs the
// directory if `sync`. A crash at any point leaves the old file or the new.
absl::Status WriteLeaseFile(Env* env, absl::string_view dir, const Lease& lease,
                            bool sync);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_GROUP_LEASE_FILE_H_
