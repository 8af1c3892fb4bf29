// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Options fixed when a stream is created. None can change after creation:
// reopening a stream directory (`Stream::Open()`) restores the options it was
// created with, except `env`.
//
// Thread safety: plain values.

#ifndef BROOK_OPTIONS_H_
#define BROOK_OPTIONS_H_

#include <cstdint>
#include <string>

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
  // shard) until it is back under the bound (AWS IoT Greengrass's choice).
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
  // `group_commit_millis` ago. So an acknowledged record is durable once
  // `group_commit_bytes` more bytes follow it in its shard (that append returns
  // after the sync), and at the latest `group_commit_millis` after its
  // acknowledgement plus the time the sync takes. The clock is `env`'s: the
  // thread waits through `Env::WaitUntil()`, so under a `ManualClockEnv` it
  // syncs when the test moves the clock. `Stream::WaitForDurable()` with
  // `DurableWait::kGroupCommit` waits for this sync instead of making its own.
  kGroupCommit = 1,
  // Every append is synced before it is acknowledged: an acknowledged record
  // is durable.
  kAlways = 2,
};

struct StreamOptions {
  // The stream's name, used in DescribeStream and in error messages.
  // Default: "stream".
  std::string name = "stream";

  // Number of shards the stream is created with, 1 to 10000; their hash key
  // ranges are those Kinesis gives (see `UniformHashKeyRanges()`).
  // Default: 1.
  int shard_count = 1;

  // Largest record accepted, partition key bytes plus data bytes, 1 byte to
  // 10 MiB (Kinesis's range). Default: 1 MiB.
  int64_t max_record_bytes = kDefaultMaxRecordBytes;

  // Records that arrived longer ago than this are never returned to readers.
  // Their storage is freed a whole segment at a time, once the segment's
  // newest record has expired. Must be at least 1. Default: 24 hours
  // (Kinesis's default).
  int64_t retention_period_millis = int64_t{24} * 60 * 60 * 1000;

  // Upper bound on the bytes the stream's records take in storage (their
  // encoded size, headers included), over all shards; 0 for no bound. With
  // kRejectWrites the bound is exact. With kDropOldest it is kept at segment
  // granularity: the stream may exceed it by up to one open segment per shard.
  // When not 0, must be at least 2 * `segment_bytes`. Default: 0.
  int64_t retention_bytes = 0;

  // What happens at `retention_bytes`. Default: kRejectWrites, so that nothing
  // is lost silently.
  RetentionFullPolicy on_full = RetentionFullPolicy::kRejectWrites;

  // Size of a segment, the unit of storage, retention and recycling: 64 KiB to
  // 1 GiB. A record batch never spans segments; a record larger than a segment
  // gets a segment of its own. Default: 4 MiB.
  int64_t segment_bytes = int64_t{4} << 20;

  // A segment whose first record arrived this many milliseconds ago takes no
  // more records: the next append starts a new one (Kafka's segment.ms), so
  // age retention can free a slowly written shard's storage; 0 never rolls by
  // age. Must not be negative. Default: 0.
  int64_t segment_roll_millis = 0;

  // When appended records become durable; see `Durability`. Default: kNone.
  Durability durability = Durability::kNone;

  // Under kGroupCommit, a shard syncs once this many bytes (frames, headers
  // included) are unsynced; 0 for no byte trigger. Default: 1 MiB.
  int64_t group_commit_bytes = int64_t{1} << 20;

  // Under kGroupCommit, the longest a record stays unsynced after it was
  // acknowledged, in milliseconds; 0 for no time trigger. At least one of
  // `group_commit_bytes` and `group_commit_millis` must be positive.
  // Default: 100.
  int64_t group_commit_millis = 100;

  // Source of time, and of files and memory maps for a durable stream. Not
  // owned; must outlive the stream. Not persisted. Default (null):
  // `Env::Default()`.
  Env* env = nullptr;
};

}  // namespace brook

#endif  // BROOK_OPTIONS_H_
