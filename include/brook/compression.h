// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Trained zstd dictionaries for a stream's compressed batches
// (`StreamOptions::compression_level`). Small records (JSON events, log
// lines) share most of their bytes with each other but a batch holds few of
// them: a dictionary trained on a sample of the stream gives zstd those
// shared bytes up front, so each batch compresses better and faster.
//
// A durable stream keeps each dictionary it was given in its directory
// (`DICTIONARY-<id>`, versioned, with a checksum) and records which one new
// batches use in STREAM; every compressed batch names the dictionary it was
// compressed with, so installing a new one leaves older batches readable
// (their dictionaries' files stay). A read of a batch whose dictionary file
// is missing or damaged fails with kDataLoss naming the file.
//
// Thread safety: both functions may run concurrently with appends and reads
// of the stream; batches appended after the call returns use the new
// dictionary. Lifetime: `stream` must be open for the call.
//
// Example:
//   brook::StreamOptions o;
//   o.compression_level = 3;
//   auto stream = brook::Stream::Open(dir, o, brook::OpenMode::kCreateIfMissing);
//   ... append a representative sample ...
//   absl::StatusOr<uint32_t> id =
//       brook::TrainCompressionDictionary(stream->get());

#ifndef BROOK_COMPRESSION_H_
#define BROOK_COMPRESSION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "brook/export.h"

namespace brook {

class Stream;

struct DictionaryTrainingOptions {
  // Records sampled, at most, from the oldest retained record of each open
  // and closed shard on, in shard order: 100 to 10,000,000. Default: 100,000.
  int64_t max_sample_records = 100000;
  // Bytes sampled, at most (partition keys and data): 1 KiB to 1 GiB.
  // Default: 64 MiB.
  int64_t max_sample_bytes = int64_t{64} << 20;
  // Size of the dictionary to train, 1 KiB to 1 MiB. Default: 112 KiB
  // (zstd's own default).
  int64_t dictionary_bytes = int64_t{112} << 10;
};

// TrainCompressionDictionary()
//
// Trains a zstd dictionary (ZDICT_trainFromBuffer()) from a sample of
// `stream`'s records and installs it for the batches appended from then on;
// returns its id. Returns:
//   kInvalidArgument     an option of `options` is out of range;
//   kFailedPrecondition  the stream does not compress (compression_level 0),
//                        is read-only or closed, or is not one
//                        `Stream::Create()` / `Stream::Open()` made;
//   kResourceExhausted   the sample is too small or uniform to train on
//                        (zstd's message; append more varied records first);
//   the error of reading the sample, or of writing the dictionary's file or
//   STREAM (then nothing changed for new batches).
// Blocks for the training: about a second per 10 MiB of sample.
BROOK_EXPORT absl::StatusOr<uint32_t> TrainCompressionDictionary(
    Stream* stream,
    const DictionaryTrainingOptions& options = DictionaryTrainingOptions());

// InstallCompressionDictionary()
//
// Installs `dictionary`, the bytes of a zstd dictionary trained elsewhere
// (`zstd --train`, ZDICT_trainFromBuffer()), for the batches appended from
// then on; returns its id. kInvalidArgument if zstd cannot load it or it has
// no dictionary id; otherwise as TrainCompressionDictionary().
BROOK_EXPORT absl::StatusOr<uint32_t> InstallCompressionDictionary(
    Stream* stream, absl::string_view dictionary);

}  // namespace brook

#endif  // BROOK_COMPRESSION_H_
