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
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "brook/auto_split.h"
#include "brook/consumer.h"
#include "brook/export.h"
#include "brook/metrics.h"
#include "brook/open_mode.h"
#include "brook/options.h"
#include "brook/producer.h"
#include "brook/recovery.h"
#include "brook/shard.h"

namespace brook {

// What DescribeStreamSummary says, plus the shard list of DescribeStream.
struct StreamDescription {
  std::string stream_name;
  std::string stream_status;  // "ACTIVE"
  // The retention period as it is now (Kinesis's RetentionPeriodHours, which
  // is this rounded up to whole hours).
  absl::Duration retention_period = absl::ZeroDuration();
  int open_shard_count = 0;
  std::vector<ShardDescription> shards;
  // Bytes the stream's records occupy now (see StreamOptions::retention_bytes).
  // For a `kReadOnly` stream, a shard not read yet counts the bytes its
  // writer recorded in the directory's metadata at its last clean `Close()`;
  // see `OpenMode::kReadOnly` for when the segments are read instead.
  int64_t stored_bytes = 0;
};

// Options of one `Stream::UpdateShardCount()` call.
struct UpdateShardCountOptions {
  // Enforces Kinesis's per-call scaling limits: the target may be at most
  // double and at least half the stream's open shard count (with 7 open
  // shards, 4 to 14; half is not rounded, so 3 is refused). False lifts them:
  // any target from 1 to 10000 is accepted and planned in one call. Kinesis's
  // other limits (scalings per 24 hours, calls per second) are not enforced.
  // Default: true.
  bool kinesis_scaling_limits = true;
};

// How `Stream::WaitForDurable()` gets a record to durable storage.
enum class DurableWait : int {
  // Syncs the record's shard now unless the record is durable already. Each
  // call may cost a sync (an fdatasync-like flush, ~150 us here), so an
  // application that confirms every batch this way syncs once per batch.
  kSyncNow = 0,
  // Issues no sync: waits until the stream's `Durability` policy, or another
  // caller's sync, makes the record durable. Under kGroupCommit that is the
  // next group commit (at most `group_commit_interval` after the record was
  // acknowledged, or when `group_commit_bytes` more bytes follow it), so any
  // number of waiters share one sync. Under kAlways an acknowledged record is
  // durable already and the call returns at once. Under kNone nothing syncs on
  // its own: the call waits for `Sync()`, a `kSyncNow` wait or `Close()` on
  // another thread, or times out.
  kGroupCommit = 1,
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
  // A new stream takes `options`. An existing one keeps its stored options
  // (options.h says which fields are stored): each one passed must equal the
  // stream's current value unless `options.accept_stored_options` is set or
  // the mode is kReadOnly; the fields "of this open" (durability, group
  // commit, env) are always taken from `options`. `options()` then returns the
  // stored fields (retention as last changed) and this open's. Records written before an unclean shutdown
  // are checked: a torn or corrupt last batch is truncated and listed in
  // `recovery_report()`.
  // Returns:
  //   kInvalidArgument     an option is out of range (with kReadOnly, or
  //                        kMustExist and `accept_stored_options`, only the
  //                        fields of this open are checked), or an unknown
  //                        `mode`; nothing is changed on disk;
  //   kAlreadyExists       kCreateOnly and `dir` holds a stream or another
  //                        writer has it open; nothing is changed;
  //   kNotFound            kMustExist, kReadOnly or kVerify and `dir` holds
  //                        no stream
  //                        ("stream directory <dir>: not found" if nothing is
  //                        there, "...: holds no stream" for a directory);
  //   kFailedPrecondition  another writer (process or `Stream`) has `dir` open;
  //                        or, in any mode, `dir` is not a directory (a
  //                        regular file): "stream directory <dir>: not a
  //                        directory", and nothing is created;
  //                        or a stored option passed differs from the
  //                        stream's: the message names the option, the stored
  //                        value and the passed one, and nothing is changed
  //                        (the options are valid, the directory is not in the
  //                        state they ask for: Abseil's rule for this code);
  //   kDataLoss            a segment is damaged before its tail (the message
  //                        names the file and offset); open with kReadOnly to
  //                        read every record before the damage;
  //   kResourceExhausted   the disk is full;
  //   other codes          an I/O error, naming the file.
  // Every gap between what STREAM says and what the files hold (a missing
  // shard directory, first, middle or newest segment, a closed shard whose
  // files end before its end position) is data loss like damage: a writable
  // open fails with kDataLoss naming the file and positions rather than give
  // positions out again; a read-only open lists it in `recovery_report()`.
  // Blocking: kCreateIfMissing, kMustExist and kCreateOnly read every
  // segment's frame headers, and after an unclean shutdown checksum every
  // frame; the preallocated space after the end of each shard's log is not
  // read (about one page of it). kReadOnly and kVerify read only the metadata;
  // a shard's segments are read at its first read (see `OpenMode`; kVerify
  // then checksums every frame), and their I/O errors come from that read.
  static absl::StatusOr<std::unique_ptr<Stream>> Open(
      absl::string_view dir, const StreamOptions& options, OpenMode mode);

  // The stream's options as they are now: those it was created with, but the
  // retention bounds as last changed (`IncreaseStreamRetentionPeriod()`,
  // `DecreaseStreamRetentionPeriod()`, `UpdateRetentionBytes()`); `env` is
  // the one given to `Create()` or `Open()`. A copy: it does not follow later
  // changes. Thread-safe (the changeable fields are atomics).
  virtual StreamOptions options() const = 0;

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
  // many shards has. As in Kinesis, this creates short-lived shards besides
  // the final ones, closed as soon as they are made. First each target
  // boundary that does not yet start an open shard is made to by a split (two
  // new shards); a boundary at an open shard's last key, or just past its
  // first, is first merged away with the neighbouring shard (one more new
  // shard). Then each old boundary left inside a target range is removed by a
  // merge (one new shard), from the range's low end. So a call creates two
  // shards per split and one per merge, for example:
  //   7 -> 10      creates 24 shards (9 splits, 6 merges; 10 stay open);
  //   1 -> 1000    creates 1998 (999 splits), 1000 -> 1 creates 999 (999
  //                merges);
  //   4 -> 8       creates 8, 8 -> 4 creates 4: old boundaries are new ones;
  //   3 -> 6       creates 12 and 10 -> 20 creates 47: the uniform widths
  //                round differently, so old boundaries miss the new ones by
  //                a few keys and cost merges of their own.
  // Shard ids keep counting through the short-lived shards, which list as
  // closed with no records. All the splits and merges are planned first and
  // made at once with one metadata write: the result (shard ids, lineage,
  // ranges, sequence numbers) is that of making them one by one, producers
  // wait only while the new routing is switched in, and if the metadata write
  // fails nothing changes (the call returns its I/O error and the old shards
  // keep taking records). Cost: O((n + m) log n) for n open shards and m
  // splits and merges, plus one directory per new shard of a durable stream.
  // Returns kInvalidArgument unless 1 <= target <= 10000, and, with
  // `options.kinesis_scaling_limits` (the default), when the target is more
  // than double or less than half the open shard count (Kinesis's
  // LimitExceededException); the message names the bound crossed, e.g.
  // "UpdateShardCount: target 9 is more than double the 4 open shards of
  // stream s". A target equal to the open count with uniform shards already
  // is OK and changes nothing.
  absl::Status UpdateShardCount(int target_shard_count) {
    return UpdateShardCount(target_shard_count, UpdateShardCountOptions());
  }
  virtual absl::Status UpdateShardCount(
      int target_shard_count, const UpdateShardCountOptions& options) = 0;

  // Retention. Records that arrived more than the retention period ago are
  // hidden from readers at once, and their storage is freed a whole segment at
  // a time, in every shard, open or closed. The freeing is driven by activity
  // anywhere in the stream rather than by a thread of its own (a memory
  // stream has no threads, and the work stays on the `Env` clock, so tests
  // drive it with `ManualClockEnv`): every accepted append, read (`GetRecords`)
  // and `DescribeStream()` reads two atomics, and at most once per sweep
  // interval of the `Env` clock (the retention period, capped at 1 s) one of
  // them sweeps every shard, freeing its expired segments; a shard whose
  // appender is busy at that moment is skipped (its append trims it). So
  // storage a closed parent or an idle shard holds is freed by the first
  // activity at least one sweep interval after its segments expired. Under
  // `RetentionFullPolicy::kRejectWrites` a write that does not fit first
  // sweeps every shard (waiting for busy appenders) and tries again: it is
  // rejected only if the stream is full of unexpired records.

  // Frees the segments that age retention has expired, in every shard, and
  // returns the number of records they held. The retention sweep above does
  // this as the stream is used, so calling it is only needed to free the
  // memory of a stream that is neither written, read nor described. Expired
  // records are hidden from readers whether or not it is called.
  virtual int64_t TrimExpired() = 0;

  // IncreaseStreamRetentionPeriod() and DecreaseStreamRetentionPeriod() (as
  // Kinesis's calls of those names) set the retention period to
  // `retention_period`. An increase must not make the period shorter, a
  // decrease must not make it longer (an equal period is allowed and changes
  // nothing); the period must be a whole number of milliseconds from 1 ms to
  // INT64_MAX ms, as `StreamOptions::retention_period`. Effective at once: after a
  // decrease, readers no longer see records older than the new period, and
  // their segments are freed before the call returns; after an increase, the
  // records that had expired under the old period stay expired (as in
  // Kinesis), only the unexpired ones are kept longer. A durable stream
  // records the new period in its metadata (STREAM) before the call returns,
  // so a reopen keeps it; if that write fails, the call returns the I/O error
  // and changes nothing.
  // Returns:
  //   kInvalidArgument     the period is below 1 ms, not a whole number of
  //                        milliseconds or infinite (the message names the
  //                        value), or an increase would make it shorter (a
  //                        decrease longer) than the current one (the
  //                        message names both periods);
  //   kFailedPrecondition  the stream is read-only or closed;
  //   other codes          an I/O error writing the metadata.
  // Thread-safe; serialised with each other, `UpdateRetentionBytes()` and
  // `Close()`. Blocking: a durable stream syncs its metadata file; a decrease
  // frees expired segments of every shard.
  virtual absl::Status IncreaseStreamRetentionPeriod(
      absl::Duration retention_period) = 0;
  virtual absl::Status DecreaseStreamRetentionPeriod(
      absl::Duration retention_period) = 0;

  // Sets `StreamOptions::retention_bytes`, the bound on the bytes the stream
  // stores, to `retention_bytes` (0 for no bound), with the validation of
  // `Stream::Create()`. Named after Kinesis's Update* calls (UpdateShardCount)
  // that set a value either way; Kinesis itself has no byte bound. Effective
  // at once: a lower bound under kDropOldest drops the oldest sealed segments
  // before the call returns; under kRejectWrites nothing is dropped, and
  // writes fail with kResourceExhausted until age retention has brought the
  // stream under the new bound. Persisted as the retention period is (above).
  // Returns:
  //   kInvalidArgument     `retention_bytes` is negative, or positive and less
  //                        than twice `segment_bytes`;
  //   kFailedPrecondition  the stream is read-only or closed;
  //   other codes          an I/O error writing the metadata.
  // Thread-safe, as above.
  virtual absl::Status UpdateRetentionBytes(int64_t retention_bytes) = 0;

  // Blocks until the record with sequence number `n` of shard `shard_id` is
  // durable, getting it there as `how` says (see `DurableWait`); waits up to
  // `timeout` on the clock of the stream's `Env` for `n` to be appended if it
  // has not been, and under kGroupCommit for it to be synced too. A zero
  // timeout does not wait; `absl::InfiniteDuration()` waits without limit.
  // A kSyncNow sync itself is not bounded by `timeout`. Returns:
  //   OK                   the record is durable (also if retention has
  //                        dropped it since);
  //   kNotFound            unknown shard;
  //   kInvalidArgument     `n` belongs to another shard, or to no local
  //                        stream (`n.high() != 0`, a remote number);
  //   kDeadlineExceeded    `n` was not appended, or (kGroupCommit) not made
  //                        durable, within `timeout`;
  //   kFailedPrecondition  a memory stream, or a closed or read-only one;
  //   the sticky error     a sync of the stream failed, now or earlier (see
  //                        `Sync()`), with that sync's code (often
  //                        kUnavailable, or kResourceExhausted for a full
  //                        device), even for records synced before it.
  // Thread safety: any number of threads may wait at once.
  virtual absl::Status WaitForDurable(absl::string_view shard_id,
                                      SequenceNumber n, absl::Duration timeout,
                                      DurableWait how) = 0;
  // WaitForDurable() with DurableWait::kSyncNow.
  absl::Status WaitForDurable(absl::string_view shard_id, SequenceNumber n,
                              absl::Duration timeout) {
    return WaitForDurable(shard_id, n, timeout, DurableWait::kSyncNow);
  }

  // Makes every record acknowledged so far durable; returns the first I/O
  // error. OK with nothing to do for a memory or read-only stream. A durable
  // stream returns kFailedPrecondition after `Close()` (which synced it).
  //
  // Sync errors are sticky (as LevelDB's and RocksDB's background error):
  // the kernel reports a failed write-back only once, so after the first
  // failed sync of a durable stream (whether `Sync()`, `WaitForDurable()`, an
  // append under kAlways or `group_commit_bytes`, the group-commit thread or a
  // directory sync made it), appends, `Sync()`, `WaitForDurable()`, resharding
  // and `Close()` all return that error, with its code and a message naming the
  // file and saying that the stream must be reopened; no later call reports a
  // record durable. Records already acknowledged stay readable. Close the
  // stream and open it again: recovery then checks every frame and keeps what
  // reached the disk.
  virtual absl::Status Sync() = 0;

  // Syncs every record, marks the directory cleanly closed (the next open
  // skips checksumming) and releases the writer's lock. Appends and syncs then
  // fail with kFailedPrecondition; reads keep working. Idempotent. The
  // destructor closes a stream that was not closed, ignoring errors. After a
  // failed sync (see `Sync()`) it returns that sticky error and does not mark
  // the directory clean, but still releases the lock, so the stream can be
  // reopened.
  virtual absl::Status Close() = 0;

  // True once `Close()` has been called on this object (whatever it
  // returned): no record will be appended any more. Code built on the public
  // interface polls it to end what follows the stream (push subscriptions,
  // subscription.h). A `Stream` subclass that does not override it is never
  // closed. Thread-safe; cheap (one uncontended lock).
  virtual bool closed() const { return false; }

  // What the open of a durable stream found; empty for a memory stream. For a
  // `kReadOnly` stream, first recovers (reads and checks) every shard not
  // read yet, so the report covers every segment; blocking, the cost of a
  // full scan on the first call, free afterwards. The returned reference is
  // valid for the stream's lifetime and does not change afterwards.
  virtual const RecoveryReport& recovery_report() const = 0;

  // The stream's metrics now (metrics.h): per shard and in total, records
  // and bytes in and out, throttled calls, put latency, batch and
  // aggregation sizes, iterator age, what each shard stores, and the
  // hot-key report. Counters count what this `Stream` object did since it
  // was created or opened (`live`); a read-only stream has none of its own
  // (its writer's are in the writer's process) and reports only what it
  // stores, for the shards it has read (`ShardMetricsSnapshot::
  // stored_known`; `recovery_report()` reads them all first).
  // Thread-safe; reads each shard's counters without stopping appends,
  // takes each shard's append lock briefly to copy its hot-key summary
  // (k entries), and allocates the snapshot. The default, for a `Stream`
  // subclass that keeps no metrics, lists `ListShards()` with `live` false.
  virtual StreamMetricsSnapshot GetMetrics() const;

  // What on-demand mode (`ThroughputOptions::on_demand`) did since the
  // stream was opened, oldest first: each automatic split, each shard
  // reported as holding a hot key, each failed split. Keeps the last 64
  // events (older ones are dropped); not persisted. Empty when on-demand
  // mode is off, and for a `Stream` subclass that does not override it.
  // Thread-safe; returns a copy.
  virtual std::vector<AutoSplitEvent> AutoSplitEvents() const { return {}; }

 protected:
  Stream() = default;

  // The stream's side of `Producer` and `Consumer`.
  //
  // Design: `Producer` and `Consumer` are concrete classes that hold a
  // `Stream*` and use only its public methods and the protected hooks below
  // (they are friends for that), never a downcast to an implementation. A
  // `Stream` subclass, brook's own or another (an adapter to a remote Kinesis
  // stream, a test fake), implements the hooks, and every `Producer` and
  // `Consumer` then works over it unchanged. The producer keeps what is the
  // same for every stream (checking records, hashing partition keys in
  // bulk, counting failures); the stream does what depends on where records
  // live (routing to shards, appending, reading). The hooks take whole
  // batches, so a `PutRecords` call costs one virtual call. Iterators and
  // results are built with the helpers after the hooks.
  // Thread safety: every hook may be called from many threads at once.

  // The largest record accepted, partition key plus data bytes
  // (`StreamOptions::max_record_bytes`), read without copying the options.
  virtual int64_t max_record_bytes() const = 0;

  // Stores the records of `records` whose `results` entry is OK, routing each
  // to the open shard that owns its `hash_key`, and sets that entry's
  // `shard_id` and `sequence_number`, or its `status` to why that record
  // alone failed (the codes of `PutRecordsResultEntry`); entries that are
  // not OK on entry are skipped and left as they are. Records bound for one
  // shard are stored in input order (a remote stream, remote_stream.h, keeps
  // that order unless the service fails an entry alone and stores a later
  // one: the retried entry then lands after it). A shard closed by a reshard
  // meanwhile is routed around (brook's stream routes again, at most 64
  // times).
  // REQUIRES: `records.size() == results.size()`; every record to store
  // passed `Producer`'s checks (size, partition key) and has its hash key.
  // The views in `records` are valid only during the call.
  virtual void DoPutRecords(absl::Span<const RoutedRecord> records,
                            absl::Span<PutRecordsResultEntry> results) = 0;

  // `Consumer::GetShardIterator()`: kNotFound for an unknown shard,
  // kInvalidArgument for a bad `start`.
  virtual absl::StatusOr<ShardIterator> DoGetShardIterator(
      absl::string_view shard_id, const StartingPosition& start) const = 0;
  // `Consumer::GetRecords()` (kInvalidArgument for out-of-range `options`) and
  // `Consumer::WaitForRecords()`, once the consumer checked that `iterator` is
  // valid and was made by this stream (by `MakeShardIterator()`).
  virtual absl::StatusOr<GetRecordsResult> DoGetRecords(
      const ShardIterator& iterator,
      const GetRecordsOptions& options) const = 0;
  // `Consumer::ScanRecords()`, checked as for `DoGetRecords()`; with
  // `GetRecordsOptions::deaggregate` the consumer expands what `visit` is
  // given. The default reads with `DoGetRecords()` and visits its records:
  // override it to visit records without collecting them.
  virtual absl::StatusOr<ScanRecordsResult> DoScanRecords(
      const ShardIterator& iterator, const GetRecordsOptions& options,
      absl::FunctionRef<void(const Record&)> visit) const;
  virtual bool DoWaitForRecords(const ShardIterator& iterator,
                                absl::Duration timeout) const = 0;
  // `Consumer::WaitForRecords()` with a `WaitInterrupt` (not null): as
  // `DoWaitForRecords()`, but returns as soon as `interrupt` is interrupted.
  // The default checks `interrupt` once, then calls `DoWaitForRecords()`:
  // override it to wake a sleeping waiter (`WaitInterrupt::AddWaker()`).
  virtual bool DoWaitForRecordsInterruptibly(const ShardIterator& iterator,
                                             absl::Duration timeout,
                                             WaitInterrupt* interrupt) const {
    if (interrupt->interrupted()) return false;
    return DoWaitForRecords(iterator, timeout);
  }

  // `Consumer::GetRecords()` with `GetRecordsOptions::deaggregate`, after
  // expanding a result of `iterator` that held at least one aggregate that
  // could be expanded: `counts` has `kHistogramBuckets` entries, entry i the
  // number of those aggregates whose user-record count falls in histogram
  // bucket i (metrics.h); `user_records` is their user records in all. For
  // the stream's metrics (`aggregation_records`); the default ignores it.
  virtual void DoCountAggregates(const ShardIterator& iterator,
                                 absl::Span<const int64_t> counts,
                                 int64_t user_records) const {
    (void)iterator;
    (void)counts;
    (void)user_records;
  }

  // Helpers for the hooks. An iterator of this stream over `shard` (one of
  // this stream's shards; not null) at `position`, a number whose meaning the
  // stream defines (brook's: the position of the next record to read).
  ShardIterator MakeShardIterator(const Shard* shard, uint64_t position) const {
    ShardIterator it;
    it.stream_ = this;
    it.shard_ = shard;
    it.position_ = position;
    return it;
  }
  // As above, with an opaque `cursor` the iterator carries (and shares with
  // its copies) for the stream that made it: state a position number cannot
  // hold, such as a remote service's iterator. The stream defines what it is
  // and must make it safe to use from the threads that use the copies.
  ShardIterator MakeShardIterator(const Shard* shard, uint64_t position,
                                  std::shared_ptr<const void> cursor) const {
    ShardIterator it = MakeShardIterator(shard, position);
    it.cursor_ = std::move(cursor);
    return it;
  }
  // The shard, position and cursor `MakeShardIterator()` was given (the
  // cursor is null if none was).
  static const Shard* ShardIteratorShard(const ShardIterator& iterator) {
    return iterator.shard_;
  }
  static uint64_t ShardIteratorPosition(const ShardIterator& iterator) {
    return iterator.position_;
  }
  static const std::shared_ptr<const void>& ShardIteratorCursor(
      const ShardIterator& iterator) {
    return iterator.cursor_;
  }
  // A result of `records`, whose views point into `storage` (or into
  // storage that outlives every result), which the result keeps alive.
  // `next` is invalid at the end of a closed shard, whose `child_shards` are
  // then given.
  static GetRecordsResult MakeGetRecordsResult(
      std::vector<Record> records, ShardIterator next,
      absl::Duration behind_latest, std::vector<ChildShard> child_shards,
      uint64_t skipped_records, std::shared_ptr<const void> storage) {
    GetRecordsResult r;
    r.records_ = std::move(records);
    r.next_ = next;
    r.behind_latest_ = behind_latest;
    r.child_shards_ = std::move(child_shards);
    r.skipped_records_ = skipped_records;
    if (storage != nullptr) r.pins_.push_back(std::move(storage));
    return r;
  }

 private:
  friend class Producer;
  friend class Consumer;
};

}  // namespace brook

#endif  // BROOK_STREAM_H_
