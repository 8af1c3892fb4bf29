// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What a `ScanRecordsResult` says of a read, taken from the
// `GetRecordsResult` that read made (consumer.cc's default
// `Stream::DoScanRecords()`, and brook's own stream's).

#ifndef BROOK_LIB_STREAM_SCAN_RESULT_H_
#define BROOK_LIB_STREAM_SCAN_RESULT_H_

#include <cstdint>

#include "brook/consumer.h"

namespace brook {
namespace internal {

// `read`'s next iterator, lag, children and skipped count, with `records`
// records visited.
inline ScanRecordsResult ScanResultOf(const GetRecordsResult& read,
                                      int64_t records) {
  ScanRecordsResult result;
  result.records = records;
  result.next_shard_iterator = read.next_shard_iterator();
  result.behind_latest = read.behind_latest();
  result.child_shards = read.child_shards();
  result.skipped_records = read.skipped_records();
  return result;
}

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_SCAN_RESULT_H_
