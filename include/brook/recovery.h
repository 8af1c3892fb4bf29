// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// `RecoveryReport`: what opening a durable stream directory found and did
// (`Stream::recovery_report()` in stream.h). Its own header so that the
// storage layer, which fills it in, needs nothing of the stream API.
//
// Thread safety: a plain value; copy it to share it.

#ifndef BROOK_RECOVERY_H_
#define BROOK_RECOVERY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace brook {

// What opening a stream directory found and did. For a `kReadOnly` stream,
// what recovering its shards found: `Stream::recovery_report()` recovers
// every shard not read yet before it returns the report.
struct RecoveryReport {
  struct Problem {
    std::string file;    // path of the segment file
    int64_t offset = 0;  // of the first bad byte in it
    int64_t bytes = 0;   // bytes dropped (torn tail) or unreadable
    // True for damage before the tail (records after `offset` in that shard
    // cannot be read) and for records that STREAM or the shard's files say
    // exist but no file holds (`file` then names the missing file or shard
    // directory, `offset` and `bytes` are 0, and `reason` gives the
    // positions lost). Also true, with `file` the shard's directory, for a
    // shard of a `kReadOnly` stream that could not be recovered at all
    // (`reason` starts "cannot be read: " and names the I/O error). False for
    // a torn tail, which was truncated (by a writable open; a read-only one
    // leaves it).
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

}  // namespace brook

#endif  // BROOK_RECOVERY_H_
