// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A `Stream` is a set of shards that together cover the 128-bit hash key space,
// as in Amazon Kinesis Data Streams, kept in this process. Write to it with a
// `Producer`, read it with a `Consumer`.
//
// Thread safety: all methods are thread-safe.
// Lifetime: shards, producers, consumers and iterators refer to the stream and
// must not outlive it. Records read from it hold the storage they point into
// (see `GetRecordsResult`) but not the stream itself.
//
// Example:
//   brook::StreamOptions options;
//   options.shard_count = 4;
//   absl::StatusOr<std::unique_ptr<brook::Stream>> stream =
//       brook::Stream::Create(options);
//   if (!stream.ok()) return stream.status();
//   brook::Producer producer(stream->get());
//   brook::Consumer consumer(stream->get());

#ifndef BROOK_STREAM_H_
#define BROOK_STREAM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "brook/export.h"
#include "brook/options.h"
#include "brook/shard.h"

namespace brook {

// What DescribeStreamSummary says, plus the shard list of DescribeStream.
struct StreamDescription {
  std::string stream_name;
  std::string stream_status;  // "ACTIVE"
  int64_t retention_period_hours = 0;  // rounded up
  int64_t retention_period_millis = 0;
  int open_shard_count = 0;
  std::vector<ShardDescription> shards;
  // Bytes the stream's records occupy now (see StreamOptions::retention_bytes).
  int64_t stored_bytes = 0;
};

class BROOK_EXPORT Stream {
 public:
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  virtual ~Stream();

  // Creates a stream held in memory. Returns kInvalidArgument naming the option
  // that is out of range.
  static absl::StatusOr<std::unique_ptr<Stream>> Create(
      const StreamOptions& options);

  virtual const StreamOptions& options() const = 0;

  // Every shard, open and closed, in shard-id order (ListShards).
  virtual std::vector<ShardDescription> ListShards() const = 0;
  virtual StreamDescription DescribeStream() const = 0;

  // Returns the shard or kNotFound naming the id.
  virtual absl::StatusOr<Shard*> GetShard(absl::string_view shard_id) const = 0;

  // Resharding, as Kinesis's SplitShard, MergeShards and UpdateShardCount do
  // it, but synchronously: when the call returns, the parents are closed (they
  // keep their records until retention removes them), the children take all
  // new writes, and every sequence number of a child is greater than every
  // number of its parents. Producers and consumers keep working throughout: a
  // write racing with a reshard lands in the parent before it closes or in a
  // child after. A reader reaching the end of a closed shard gets its
  // `child_shards()` and no next iterator. Shard ids keep counting.
  //
  // SplitShard() divides an open shard [start, end] into [start, k-1] and
  // [k, end], k = `new_starting_hash_key` (decimal), which must be greater
  // than start + 1 and less than end (Kinesis's rule). Returns kNotFound for an
  // unknown shard, kFailedPrecondition for a closed one, kInvalidArgument for a
  // bad key.
  virtual absl::Status SplitShard(absl::string_view shard_to_split,
                                  absl::string_view new_starting_hash_key) = 0;

  // MergeShards() joins two open shards whose ranges touch (in either order)
  // into one child covering both; the child's parent is `shard_to_merge` and
  // its adjacent parent `adjacent_shard_to_merge`. Returns kNotFound for an
  // unknown shard, kFailedPrecondition for a closed one, kInvalidArgument if
  // the two are the same or not adjacent.
  virtual absl::Status MergeShards(absl::string_view shard_to_merge,
                                   absl::string_view adjacent_shard_to_merge) = 0;

  // UpdateShardCount() (uniform scaling) splits and merges until the open
  // shards are `target_shard_count` shards of the widths a new stream of that
  // many shards has. Returns kInvalidArgument unless 1 <= target <= 10000.
  virtual absl::Status UpdateShardCount(int target_shard_count) = 0;

  // Frees the segments that age retention has expired and returns the number
  // of records they held. Writes and reads also do this as they go, so calling
  // it is only needed to free memory of a stream that is neither written nor
  // read. Expired records are hidden from readers whether or not it is called.
  virtual int64_t TrimExpired() = 0;

 protected:
  Stream() = default;
};

}  // namespace brook

#endif  // BROOK_STREAM_H_
