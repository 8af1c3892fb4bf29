// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Options of a stream. Each field says whose it is:
//  - "Stored with the stream": a property of the stream, kept in a durable
//    stream's directory. It is set when the stream is created and changes only
//    by an explicit call (`Stream::UpdateShardCount()`, the retention calls
//    `Stream::IncreaseStreamRetentionPeriod()`,
//    `Stream::DecreaseStreamRetentionPeriod()` and
//    `Stream::UpdateRetentionBytes()`), never by
//    reopening. `Stream::Open()` of an existing stream compares each one
//    passed with the stream's current value and fails with
//    kFailedPrecondition naming the first that differs, unless
//    `accept_stored_options` is set.
//  - "Of this open": how this `Stream` object writes (durability, group
//    commit, env). Each open uses the value it is given; nothing of it is
//    read back from the directory, so two opens of one directory may differ.
// A memory stream (`Stream::Create()`) takes every field as given.
//
// Durations are `absl::Duration`. A stream keeps them in milliseconds, so each
// must be a whole number of milliseconds and within its documented range;
// `Stream::Create()` and `Stream::Open()` return kInvalidArgument naming the
// option and the value otherwise (e.g. "stream s: retention_period must be a
// whole number of milliseconds, got 1.5ms"). None accepts
// `absl::InfiniteDuration()`.
//
// Thread safety: plain values.

#ifndef BROOK_OPTIONS_H_
#define BROOK_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

#include "brook/record.h"

namespace brook {

class Env;

// What a stream does when a write would take it past `retention_bytes`.
// Persisted: never renumber.
enum class RetentionFullPolicy : int {
  // The write fails with kResourceExhausted and nothing is stored; the stream
  // keeps every record until age retention removes it.
  kRejectWrites = 0,
  // The write succeeds and the stream drops its oldest sealed segments (of any
  // shard, open or closed, oldest first by the arrival time of their first
  // record) until it is back under the bound (AWS IoT Greengrass's choice). A
  // segment is sealed once its shard appends to a newer one, and every
  // segment of a shard closed by a reshard is; only an open shard's newest
  // segment is never dropped.
  kDropOldest = 1,
};

// When a durable stream (`Stream::Open()`) makes appended records durable,
// that is, able to survive a power loss or kernel crash. Every policy survives
// a crash of the process: an acknowledged record is in the page cache.
// Under every policy a failed sync is sticky: appends, syncs and waits then
// return its error until the stream is reopened (see `Stream::Sync()`).
// A memory stream (`Stream::Create()`) ignores it.
// Persisted: never renumber.
enum class Durability : int {
  // Records are synced only by `Stream::Sync()`, `Stream::WaitForDurable()`,
  // `Stream::Close()` and when the kernel writes pages back on its own.
  kNone = 0,
  // Group commit: the append that brings a shard's unsynced bytes to
  // `group_commit_bytes` syncs them before it returns, and a background thread
  // starts a sync of a shard once its oldest unsynced record was acknowledged
  // `group_commit_interval` ago. So an acknowledged record is durable once
  // `group_commit_bytes` more bytes follow it in its shard (that append returns
  // after the sync), and at the latest `group_commit_interval` after its
  // acknowledgement plus the time the sync takes. The clock is `env`'s: the
  // thread waits through `Env::WaitUntil()`, so under a `ManualClockEnv` it
  // syncs when the test moves the clock. `Stream::WaitForDurable()` with
  // `DurableWait::kGroupCommit` waits for this sync instead of making its own.
  kGroupCommit = 1,
  // Every append is synced before it is acknowledged: an acknowledged record
  // is durable.
  kAlways = 2,
};

// Throughput limits of a stream: Kinesis's provisioned-mode per-shard limits
// (`provisioned`) and on-demand mode's automatic splitting of a busy shard
// (`on_demand`), emulated so that an application can be tested against them.
// Both are off by default; either may be on without the other. Stored with
// the stream, all fields: `Stream::Open()` of an existing stream compares
// them as it compares the other stored options; they cannot change after
// creation. Rates are per shard and per second of the stream's `Env` clock
// (a `ManualClockEnv` in tests decides when buckets refill). Sizes count
// partition key plus data bytes, as `max_record_bytes` does.
//
// Provisioned mode. Each limit is a token bucket that refills at its rate
// and holds at most `burst` worth of it (1 MiB of write bytes at the
// defaults), full when the shard is made. A record larger than a whole
// bucket goes through a full bucket, which then owes the difference.
//  - Writes (`Producer::PutRecord()`, `PutRecords()`, `Shard::Append()`):
//    bytes and records are counted separately. A throttled write stores
//    nothing and fails with kResourceExhausted and the message
//    "stream <name>: provisioned throughput exceeded for shard <shard id>:
//    write limit of <n> bytes/s" (or "... <n> records/s"). A `PutRecords()`
//    batch is decided per shard in input order, as Kinesis decides per
//    entry: of the entries bound for one shard, the longest prefix the
//    buckets admit is stored and every later entry of that shard fails with
//    that status (so a retry keeps per-key order; Kinesis may fail entries
//    out of order). `PutRecord()` and `Shard::Append()` are all or nothing;
//    a batch larger than a whole bucket goes through a full one as a large
//    record does (the async producer's batches do), so it is never refused
//    for ever.
//  - Polling reads (`Consumer::GetRecords()`, which consumer groups and the
//    pipeline use): `read_calls_per_second` calls and
//    `read_bytes_per_second` bytes shared by every reader of the shard in
//    this `Stream` object. A call is admitted while its calls bucket holds a
//    call and its bytes bucket is not in debt; the bytes it returns are then
//    taken, into debt if need be (Kinesis: "if a call returns 10 MiB, calls
//    in the next 5 seconds are throttled"). A throttled call returns
//    kResourceExhausted naming "GetRecords limit of 5 calls/s" or "...
//    bytes/s" in the message above, and reads nothing. `WaitForRecords()`
//    and `GetShardIterator()` are not counted. A read-only open (a follower,
//    in this process or another) has buckets of its own: the limits count
//    the readers of one `Stream` object, never readers of other processes.
//  - Push subscribers (subscription.h): each subscription has a bucket of
//    its own at `subscriber_bytes_per_second`, and is not counted in the
//    polling limits. It paces rather than fails: its reader waits (on the
//    `Env` clock) until the bucket is out of debt before each read.
//
// On-demand mode: a shard whose writes (bytes accepted) averaged more than
// `split_bytes_per_second` over a window of `split_window` is split in two
// at the median hash key of those writes (weighted by bytes, estimated from a
// uniform sample of 512 records of the window), not at the middle of its
// range, so that each child gets about half of the traffic. The check runs
// in the writing thread, at the first append after the window closes (after
// that append is stored), through `Stream::SplitShard()`: lineage,
// followers and consumer groups see an ordinary split, and the metadata
// write of a durable stream is paid by that append. A shard whose traffic no
// split can divide (one hash key carries more than 90% of it, or the median
// is a key no split may start at) is not split: the stream reports it once
// in `Stream::AutoSplitEvents()` and never checks that shard again. Nothing
// is split on a read-only stream.
struct ThroughputOptions {
  // Enables the provisioned-mode limits below. Default: false.
  bool provisioned = false;
  // Write bytes per shard per second, 1 KiB to 1 GiB. Default: 1 MiB.
  int64_t write_bytes_per_second = int64_t{1} << 20;
  // Records written per shard per second, 1 to 1,000,000. Default: 1000.
  int64_t write_records_per_second = 1000;
  // GetRecords calls per shard per second, 1 to 10,000. Default: 5.
  int64_t read_calls_per_second = 5;
  // GetRecords bytes per shard per second, 1 KiB to 1 GiB. Default: 2 MiB.
  int64_t read_bytes_per_second = int64_t{2} << 20;
  // Bytes per push subscriber per second, 1 KiB to 1 GiB. Default: 2 MiB.
  int64_t subscriber_bytes_per_second = int64_t{2} << 20;
  // How much of its rate each bucket holds at most: 1 ms to 1 hour, a whole
  // number of milliseconds; a bucket holds at least one token. Default: 1 s.
  absl::Duration burst = absl::Seconds(1);

  // Enables automatic splitting (on-demand mode). Default: false.
  bool on_demand = false;
  // A shard is split when its writes averaged more than this over a
  // `split_window`: 1 byte to 1 GiB per second. Default: 500 KB/s (500,000).
  int64_t split_bytes_per_second = 500000;
  // The window: 1 ms to 24 hours, a whole number of milliseconds.
  // Default: 1 minute.
  absl::Duration split_window = absl::Minutes(1);
};

struct StreamOptions {
  // The stream's name, used in DescribeStream and in error messages.
  // Stored with the stream. Default: "stream".
  std::string name = "stream";

  // Number of shards the stream is created with, 1 to 10000; their hash key
  // ranges are those Kinesis gives (see `UniformHashKeyRanges()`).
  // Stored with the stream; changed by `SplitShard()`, `MergeShards()` and
  // `UpdateShardCount()`. Reopening compares it with the number of open
  // shards the stream has now (DescribeStreamSummary's OpenShardCount), not
  // with the count it was created with. Default: 1.
  int shard_count = 1;

  // Largest record accepted, partition key bytes plus data bytes, 1 byte to
  // 10 MiB (Kinesis's range). Stored with the stream. Default: 1 MiB.
  int64_t max_record_bytes = kDefaultMaxRecordBytes;

  // Records that arrived longer ago than this are never returned to readers.
  // Their storage is freed a whole segment at a time, once the segment's
  // newest record has expired, in every shard, open or closed, without the
  // application calling `Stream::TrimExpired()`: see the retention sweep in
  // stream.h. A whole number of milliseconds, 1 ms to INT64_MAX ms (292
  // million years, which in effect keeps records forever). Stored with the
  // stream. Default: 24 hours (Kinesis's default). Can change after creation
  // (`Stream::IncreaseStreamRetentionPeriod()` and
  // `Stream::DecreaseStreamRetentionPeriod()`).
  absl::Duration retention_period = absl::Hours(24);

  // Upper bound on the bytes the stream's records take in storage (their
  // encoded size, headers included), over all shards, open and closed; 0 for
  // no bound. With kRejectWrites the bound is exact (a write that would pass
  // it first frees what age retention has expired, then fails). With
  // kDropOldest it is kept at segment granularity: the stream may exceed it by
  // up to one open segment per open shard (a closed shard's segments are all
  // droppable). When not 0, must be at least 2 * `segment_bytes`. Stored with the stream.
  // Default: 0.
  // Can change after creation (`Stream::UpdateRetentionBytes()`).
  int64_t retention_bytes = 0;

  // What happens at `retention_bytes`. Stored with the stream.
  // Default: kRejectWrites, so that nothing is lost silently.
  RetentionFullPolicy on_full = RetentionFullPolicy::kRejectWrites;

  // Size of a segment, the unit of storage, retention and recycling: 64 KiB to
  // 1 GiB. A record batch never spans segments; a record larger than a segment
  // gets a segment of its own. Stored with the stream. Default: 4 MiB.
  int64_t segment_bytes = int64_t{4} << 20;

  // A segment whose first record arrived this long ago takes no more records:
  // the next append starts a new one (Kafka's segment.ms), so age retention
  // can free a slowly written shard's storage; zero never rolls by age. A
  // whole number of milliseconds, 0 to INT64_MAX ms. Stored with the stream.
  // Default: zero.
  absl::Duration segment_roll_age = absl::ZeroDuration();

  // When appended records become durable; see `Durability`. Of this open: a
  // reopen with another value writes from then on with that one. (The
  // STREAM file still holds the creating open's value, for older builds; this
  // one never reads it back.) Default: kNone.
  Durability durability = Durability::kNone;

  // Under kGroupCommit, a shard syncs once this many bytes (frames, headers
  // included) are unsynced; 0 for no byte trigger. Of this open, as
  // `durability`. Default: 1 MiB.
  int64_t group_commit_bytes = int64_t{1} << 20;

  // Under kGroupCommit, the longest a record stays unsynced after it was
  // acknowledged; zero for no time trigger. A whole number of milliseconds, 0
  // to INT64_MAX ms. At least one of `group_commit_bytes` and
  // `group_commit_interval` must be positive. Of this open, as `durability`.
  // Default: 100 ms.
  absl::Duration group_commit_interval = absl::Milliseconds(100);

  // Source of time, and of files and memory maps for a durable stream. Not
  // owned; must outlive the stream. Of this open; not persisted. Default
  // (null): `Env::Default()`.
  Env* env = nullptr;

  // For `Stream::Open()` of an existing stream in kCreateIfMissing or
  // kMustExist mode: true opens it with its stored options whatever the
  // fields above hold (the fields of this open are still taken from here),
  // for a caller that does not care how the stream was made; false (the
  // default) fails with kFailedPrecondition when a stored option passed here
  // differs from the stream's. A new stream, a kReadOnly open and
  // `Stream::Create()` ignore it. Of this open; not persisted.
  // Default: false.
  bool accept_stored_options = false;

  // For `Stream::Open()` in `OpenMode::kReadOnly`: true follows the writer
  // (records, segment files, retention and reshards it makes after the open
  // appear without reopening; see `OpenMode::kReadOnly`); false gives a
  // snapshot, as before: each shard holds what its files held when it was
  // first read, and the shard list is STREAM's at open. Other modes ignore
  // it (kVerify never follows). Of this open; not persisted. Default: true.
  bool follow = true;

  // How long `Consumer::WaitForRecords()` (and a subscription's delivery
  // thread, which waits the same way) spins before it sleeps, for the lowest
  // wake-up latency: real time with one core busy per waiting thread. A wait
  // on a stream written in this process polls the shard's wake-up line (no
  // lock held); a following read-only open polls the writer's notify word
  // and the shard's published end in the FOLLOW file. Either returns as soon
  // as a record at the iterator is published (one cache-line transfer after
  // the writer's publication); the GetRecords that follows then reads it
  // (a follower checks and indexes the new frames then, not in the wait).
  // Zero never spins: the wait sleeps on a
  // condition variable (in process) or a futex (a follower) until the
  // writer publishes. Of this open; not persisted. 0 to 1 s. Default: zero.
  absl::Duration wait_spin = absl::ZeroDuration();

  // zstd compression of stored batches: 0 stores records as they are; 1 to
  // 19 compresses each batch frame with zstd at that level (1 fastest; 3 is
  // zstd's default; higher levels compress better and slower; zstd's "ultra"
  // levels 20 to 22 are not offered). A frame that does not get smaller is
  // stored uncompressed. Readers decompress transparently (every reader:
  // `Consumer`, subscriptions, groups, followers, the CLI); a frame
  // compressed with a trained dictionary (`TrainCompressionDictionary()` in
  // compression.h) names it, and reads of it need the dictionary's file. A
  // durable stream with compression is written in a format version (3) that
  // builds before compression refuse. Stored with the stream; cannot change
  // after creation. Default: 0.
  int compression_level = 0;

  // Metrics (include/brook/metrics.h, `Stream::GetMetrics()`). All of this
  // open; not persisted; fixed after the open.
  // Keeps the per-shard counters, histograms and hot-key summaries. Costs
  // per append call two clock reads (put latency; see metrics.h) and a few
  // relaxed atomic stores, plus the hot-key summary's work per sampled
  // record; per GetRecords call a few relaxed atomic adds. False keeps none
  // of them (snapshots then hold zero counters, no hot keys, and the
  // `stored_*` fields). Default: true.
  bool metrics = true;
  // Partition keys the hot-key report tracks (k, the space-saving summary's
  // counters per shard; metrics.h states the error bound, N/k), 0 to 4096;
  // 0 keeps no hot-key summary. Memory: about 64 bytes plus the key per
  // counter, per shard that was appended to. Default: 32.
  int hot_key_count = 32;
  // The hot-key summary counts every n-th record of each shard's appends
  // (n = this, 1 to 65536; 1 counts every record). A sampled record costs
  // the append path about 0.2 us when it takes a counter over (many distinct
  // keys), so 1 in 64 keeps the summary within about 2% of a 100 B append;
  // a key hot enough to matter is still sampled thousands of times a
  // second. Default: 64.
  int hot_key_sample_every = 64;

  // Provisioned-mode limits and on-demand splitting; see
  // `ThroughputOptions`. Stored with the stream. Default: both off.
  ThroughputOptions throughput;
};

}  // namespace brook

#endif  // BROOK_OPTIONS_H_
