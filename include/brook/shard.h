// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A `Shard` is one ordered log of a stream, owning an inclusive range of hash
// keys. Producers normally reach shards through `Producer`, which routes each
// record; a producer that routes records itself (batching per shard, as the
// KPL does) appends to a `Shard` directly.
//
// Thread safety: all methods are thread-safe. Appends to one shard are
// serialised; reads never wait for an append to finish copying.
// Lifetime: a `Shard*` is owned by its `Stream` and valid until the stream is
// destroyed.
//
// Example:
//   brook::Shard* shard = *stream->GetShard("shardId-000000000000");
//   std::vector<brook::RoutedRecord> batch = ...;  // hash keys in range
//   absl::StatusOr<brook::SequenceNumber> first = shard->Append(batch);

#ifndef BROOK_SHARD_H_
#define BROOK_SHARD_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

#include "brook/export.h"
#include "brook/partitioner.h"
#include "brook/record.h"

namespace brook {

// What ListShards says of a shard, with Kinesis's field names in snake case.
struct ShardDescription {
  std::string shard_id;
  // Set once the stream has been resharded; empty otherwise.
  std::string parent_shard_id;
  std::string adjacent_parent_shard_id;
  HashKeyRange hash_key_range;
  // SequenceNumberRange: the first number the shard issues, and for a closed
  // shard the last one it may have issued.
  SequenceNumber starting_sequence_number;
  std::optional<SequenceNumber> ending_sequence_number;
  bool is_open() const { return !ending_sequence_number.has_value(); }
};

// A child shard as GetRecords reports it at the end of a closed shard.
struct ChildShard {
  std::string shard_id;
  std::vector<std::string> parent_shards;
  HashKeyRange hash_key_range;
};

class BROOK_EXPORT Shard {
 public:
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;
  virtual ~Shard();

  // "shardId-" followed by a 12-digit counter.
  virtual const std::string& id() const = 0;
  virtual const HashKeyRange& hash_key_range() const = 0;
  virtual ShardDescription Describe() const = 0;

  // Appends `records` in order, all or none, and returns the sequence number
  // given to the first; the others follow in increasing order. All records of
  // one call share an arrival time. Returns:
  //   kInvalidArgument     `records` is empty, a hash key is outside this
  //                        shard's range, a partition key is invalid, or a
  //                        record is over the stream's max record size;
  //   kResourceExhausted   the stream is at `retention_bytes` under
  //                        kRejectWrites;
  //   kAborted             the shard was closed by a reshard (this call or
  //                        one racing with it): the records belong to one of
  //                        its children now. Route them again (look the
  //                        shards up anew, e.g. with `Stream::ListShards()`)
  //                        and retry there; `Producer` does this by itself;
  //   kFailedPrecondition  the stream was closed or opened read-only (do not
  //                        retry);
  //   kResourceExhausted   (durable stream) the disk is full;
  //   other codes          (durable stream) a write or sync failed; the
  //                        message names the file.
  // Nothing is stored unless OK is returned. In a durable stream an OK record
  // is as durable as `StreamOptions::durability` says (see `Durability`), and
  // a failed append's frames are removed again; only if that removal cannot
  // be synced may some of its records reappear after a power loss.
  // Thread safety: serialised per shard; may run concurrently with reads.
  virtual absl::StatusOr<SequenceNumber> Append(
      absl::Span<const RoutedRecord> records) = 0;

  // As `Append()`, and on OK stores record g's sequence number in
  // `sequence_numbers[g]` for every g. brook's own shards number the records
  // of one call `first`, then `first` plus g * 2^64 (see `SequenceNumber`);
  // a shard of a remote stream (remote_stream.h) gives each record the
  // number the service gave it, which follows no such rule. The default
  // calls `Append()` and numbers as brook's shards do. Returns
  // kInvalidArgument, storing nothing, if `sequence_numbers.size()` differs
  // from `records.size()`; otherwise what `Append()` returns (and, on an
  // error, leaves `sequence_numbers` unspecified).
  // Thread safety: as `Append()`.
  virtual absl::Status AppendWithSequenceNumbers(
      absl::Span<const RoutedRecord> records,
      absl::Span<SequenceNumber> sequence_numbers);

 protected:
  Shard() = default;
};

}  // namespace brook

#endif  // BROOK_SHARD_H_
