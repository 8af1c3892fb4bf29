// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Helpers shared by the durable store tests: opening streams, appending
// recognisable records and reading whole shards into owned copies.

#ifndef BROOK_TEST_STORE_STORE_TESTING_H_
#define BROOK_TEST_STORE_STORE_TESTING_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "stream/stream_impl.h"
#include "testing/status_testing.h"

namespace brook {
namespace testing {

// A record read back, owning its bytes.
struct OwnedRecord {
  SequenceNumber sequence_number;
  int64_t arrival = 0;
  HashKey hash_key = 0;
  bool explicit_hash_key = false;
  std::string partition_key;
  std::string data;
  bool operator==(const OwnedRecord& o) const {
    return sequence_number == o.sequence_number && arrival == o.arrival &&
           hash_key == o.hash_key && explicit_hash_key == o.explicit_hash_key &&
           partition_key == o.partition_key && data == o.data;
  }
};

// Opens `dir` or fails the test. An existing stream opens as it is stored
// (`accept_stored_options`): the tests that use this check what the stream
// holds, not the comparison of stored options (open_options_test.cc does).
inline std::unique_ptr<Stream> OpenOrDie(
    const std::string& dir, StreamOptions options,
    OpenMode mode = OpenMode::kCreateIfMissing) {
  options.accept_stored_options = true;
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Open(dir, options, mode);
  BROOK_REQUIRE_OK(s);
  return *std::move(s);
}

// Options that open an existing stream as it is stored.
inline StreamOptions AcceptStored() {
  StreamOptions options;
  options.accept_stored_options = true;
  return options;
}

// Crashes `stream` (see StreamImpl::SimulateCrashForTesting) and destroys it.
inline void Crash(std::unique_ptr<Stream> stream) {
  static_cast<internal::StreamImpl*>(stream.get())->SimulateCrashForTesting();
  stream.reset();
}

// Reads shard `shard_id` from `start` to its current end into `out`, and
// returns the error that stopped it (OK at the end), keeping what it read
// before; if `skipped` is set, adds to it the records retention removed
// before they could be read.
inline absl::Status ReadShardInto(Stream* stream, const std::string& shard_id,
                                  const StartingPosition& start,
                                  std::vector<OwnedRecord>* out,
                                  uint64_t* skipped = nullptr) {
  Consumer consumer(stream);
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(shard_id, start);
  if (!it.ok()) return it.status();
  for (;;) {
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
    if (!r.ok()) return r.status();
    if (skipped != nullptr) *skipped += r->skipped_records();
    if (r->records().empty()) return absl::OkStatus();
    for (const Record& rec : r->records()) {
      out->push_back({rec.sequence_number,
                      rec.approximate_arrival_timestamp_millis, rec.hash_key,
                      rec.has_explicit_hash_key, std::string(rec.partition_key),
                      std::string(rec.data)});
    }
    if (!r->next_shard_iterator().valid()) return absl::OkStatus();
    *it = r->next_shard_iterator();  // else a closed shard's end
  }
}

// Every record of shard `shard_id` from `start` (TRIM_HORIZON) to its
// current end, or the error that stopped the read (ReadShardInto()).
inline absl::StatusOr<std::vector<OwnedRecord>> ReadShard(
    Stream* stream, const std::string& shard_id,
    const StartingPosition& start = StartingPosition::TrimHorizon(),
    uint64_t* skipped = nullptr) {
  std::vector<OwnedRecord> out;
  const absl::Status status =
      ReadShardInto(stream, shard_id, start, &out, skipped);
  if (!status.ok()) return status;
  return out;
}

// Appends `count` records in one batch to shard 0 of `stream`, with data
// "r<first + i>" padded to `data_bytes`; every third has an explicit hash key.
// Returns the first sequence number.
inline SequenceNumber AppendBatch(Stream* stream, int first, int count,
                                  size_t data_bytes = 0) {
  absl::StatusOr<Shard*> shard = stream->GetShard("shardId-000000000000");
  REQUIRE(shard.ok());
  std::vector<std::string> keys, datas;
  std::vector<RoutedRecord> records;
  for (int i = 0; i < count; ++i) {
    keys.push_back(absl::StrCat("key-", first + i));
    std::string d = absl::StrCat("r", first + i);
    if (d.size() < data_bytes) d.resize(data_bytes, 'x');
    datas.push_back(std::move(d));
  }
  const HashKeyRange range = (*shard)->hash_key_range();
  for (int i = 0; i < count; ++i) {
    RoutedRecord r;
    r.partition_key = keys[i];
    r.data = datas[i];
    r.has_explicit_hash_key = (first + i) % 3 == 0;
    r.hash_key = range.starting_hash_key + static_cast<uint64_t>(first + i);
    records.push_back(r);
  }
  absl::StatusOr<SequenceNumber> n = (*shard)->Append(records);
  BROOK_REQUIRE_OK(n);
  return *n;
}

// Checks that `records` are exactly "r<0>".."r<n-1>" of AppendBatch().
inline void CheckNumbered(const std::vector<OwnedRecord>& records, int n) {
  REQUIRE(records.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    INFO("record " << i);
    REQUIRE(records[i].data.substr(0, absl::StrCat("r", i).size()) ==
            absl::StrCat("r", i));
    REQUIRE(records[i].partition_key == absl::StrCat("key-", i));
    REQUIRE(records[i].explicit_hash_key == (i % 3 == 0));
    if (i > 0)
      REQUIRE(records[i - 1].sequence_number < records[i].sequence_number);
  }
}

// 64 KiB segments, at most 256 KiB kept, the oldest dropped (so dropped
// segment files are reused).
inline StreamOptions DropOldestOptions() {
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 256 << 10;
  options.on_full = RetentionFullPolicy::kDropOldest;
  return options;
}

// Checks that shard 0 of `stream` holds exactly "r<0>".."r<n-1>".
inline void CheckShardNumbered(Stream* stream, int n) {
  absl::StatusOr<std::vector<OwnedRecord>> r =
      ReadShard(stream, "shardId-000000000000");
  BROOK_REQUIRE_OK(r);
  CheckNumbered(*r, n);
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_STORE_STORE_TESTING_H_
