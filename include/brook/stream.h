// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A `Stream` is a set of shards that together cover the 128-bit hash key space,
// as in Amazon Kinesis Data Streams, kept in this process. Write to it with a
// `Producer`, read it with a `Consumer`. `Stream::Create()` keeps records in
// memory; `Stream::Open()` keeps them in segment files in a directory, mapped
// into memory, and gives them back when the directory is reopened.
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
//
// A durable stream:
//   options.durability = brook::Durability::kGroupCommit;
//   auto stream = brook::Stream::Open("/var/lib/app/events", options,
//                                     brook::OpenMode::kCreateIfMissing);
//   ...
//   absl::Status s = (*stream)->Close();

#ifndef BROOK_STREAM_H_
#define BROOK_STREAM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

#include "brook/export.h"
#include "brook/options.h"
#include "brook/shard.h"

namespace brook {

// What DescribeStreamSummary says, plus the shard list of DescribeStream.
struct StreamDescription {
  std::string stream_name;
  std::string stream_status;           // "ACTIVE"
  int64_t retention_period_hours = 0;  // rounded up
  int64_t retention_period_millis = 0;
  int open_shard_count = 0;
  std::vector<ShardDescription> shards;
  // Bytes the stream's records occupy now (see StreamOptions::retention_bytes).
  int64_t stored_bytes = 0;
};

// How `Stream::Open()` treats the directory.
enum class OpenMode : int {
  // Opens the stream in the directory, or creates the directory and a stream
  // with the given options if it holds none.
  kCreateIfMissing = 0,
  // Opens the stream in the directory; kNotFound if there is none.
  kMustExist = 1,
  // Opens the stream for reading only, even while another process writes it:
  // takes no writer lock, changes nothing on disk but a shared lock on the
  // READERS file (which stops the writer from reusing dropped segment files
  // this stream may still map), and sees the records that were in the files
  // when it was opened (it does not follow the writer). Appends fail with
  // kFailedPrecondition. Damage is reported, not repaired.
  kReadOnly = 2,
  // As kReadOnly, but checks every frame's checksum whatever state the
  // directory was left in (what `brook verify` does); kReadOnly checks only
  // frame headers of a cleanly closed directory.
  kVerify = 3,
};

// What opening a stream directory found and did.
struct RecoveryReport {
  struct Problem {
    std::string file;    // path of the segment file
    int64_t offset = 0;  // of the first bad byte in it
    int64_t bytes = 0;   // bytes dropped (torn tail) or unreadable
    // True for damage before the tail (records after `offset` in that shard
    // cannot be read) and for records that STREAM or the shard's files say
    // exist but no file holds (`file` then names the missing file or shard
    // directory, `offset` and `bytes` are 0, and `reason` gives the
    // positions lost). False for a torn tail, which was truncated (by a
    // writable open; a read-only one leaves it).
    bool data_loss = false;
    std::string reason;  // e.g. "crc mismatch"
  };
  // True if the stream was closed cleanly (`Close()`) before this open (read
  // or write); only frame headers were then read, plus each shard's last
  // frame, unless the mode is kVerify.
  bool clean_shutdown = true;
  // What was found at open: segment files, and the valid batches, records
  // and bytes of frames in them (headers read).
  int64_t scanned_segments = 0;
  int64_t scanned_batches = 0;
  int64_t scanned_records = 0;
  int64_t scanned_bytes = 0;
  // Bytes of valid frames whose checksum was computed: all of
  // `scanned_bytes` after an unclean shutdown and under kVerify; after a
  // clean one only each shard's last frame (or all, if any header was in
  // doubt).
  int64_t checksummed_bytes = 0;
  std::vector<Problem> problems;
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

  // Opens the durable stream kept in directory `dir` (see `OpenMode`; the
  // parent of `dir` must exist). On-disk layout: lib/store/SEGMENT_FORMAT.md.
  // A new stream takes `options`; an existing one keeps the options it was
  // created with, apart from `options.env`, which is always taken from the
  // argument. Records written before an unclean shutdown are checked: a torn
  // or corrupt last batch is truncated and listed in `recovery_report()`.
  // Returns:
  //   kInvalidArgument     an option is out of range;
  //   kNotFound            kMustExist, kReadOnly or kVerify and `dir` holds no
  //   stream; kFailedPrecondition  another writer (process or `Stream`) has
  //   `dir` open; kDataLoss            a segment is damaged before its tail
  //   (the message
  //                        names the file and offset); open with kReadOnly to
  //                        read every record before the damage;
  //   kResourceExhausted   the disk is full;
  //   other codes          an I/O error, naming the file.
  // Every gap between what STREAM says and what the files hold (a missing
  // shard directory, first, middle or newest segment, a closed shard whose
  // files end before its end position) is data loss like damage: a writable
  // open fails with kDataLoss naming the file and positions rather than give
  // positions out again; a read-only open lists it in `recovery_report()`.
  // Blocking: reads every segment's frame headers, and after an unclean
  // shutdown (or under kVerify) checksums every frame; the preallocated space
  // after the end of each shard's log is not read (about one page of it).
  static absl::StatusOr<std::unique_ptr<Stream>> Open(
      absl::string_view dir, const StreamOptions& options, OpenMode mode);

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
  // `child_shards()` and no next iterator. Shard ids keep counting. A durable
  // stream records the new topology in its metadata before any record can
  // reach a child, so a reopen gives back the same lineage; if that write
  // fails, the call returns its I/O error and changes nothing. All three
  // return kFailedPrecondition on a read-only or closed stream.
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
  virtual absl::Status MergeShards(
      absl::string_view shard_to_merge,
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

  // Blocks until the record with sequence number `n` of shard `shard_id` is
  // durable, syncing it now if the durability policy has not yet; waits up to
  // `timeout` for `n` to be appended if it has not been. Returns OK once it is
  // durable (also if retention has dropped it since), kNotFound for an unknown
  // shard, kInvalidArgument if `n` belongs to another shard,
  // kDeadlineExceeded if `n` was not appended within `timeout`, an I/O error if
  // the sync fails, and kFailedPrecondition for a memory stream or a closed or
  // read-only one.
  virtual absl::Status WaitForDurable(absl::string_view shard_id,
                                      SequenceNumber n,
                                      absl::Duration timeout) = 0;

  // Makes every record acknowledged so far durable; returns the first I/O
  // error. OK with nothing to do for a memory or read-only stream. A durable
  // stream returns kFailedPrecondition after `Close()` (which synced it).
  virtual absl::Status Sync() = 0;

  // Syncs every record, marks the directory cleanly closed (the next open
  // skips checksumming) and releases the writer's lock. Appends and syncs then
  // fail with kFailedPrecondition; reads keep working. Idempotent. The
  // destructor closes a stream that was not closed, ignoring errors.
  virtual absl::Status Close() = 0;

  // What the open of a durable stream found; empty for a memory stream.
  virtual const RecoveryReport& recovery_report() const = 0;

 protected:
  Stream() = default;
};

}  // namespace brook

#endif  // BROOK_STREAM_H_
