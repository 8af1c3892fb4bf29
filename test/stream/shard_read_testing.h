// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Reading a shard to its tip (or a closed shard to its end) in tests, for
// every kind of stream (memory, durable, remote); no build define changes
// it, so any test file of any binary may include it.
//
// Thread safety: not thread-safe; use from the test's thread.

#ifndef BROOK_TEST_STREAM_SHARD_READ_TESTING_H_
#define BROOK_TEST_STREAM_SHARD_READ_TESTING_H_

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/stream.h"

#include "testing/status_testing.h"

namespace brook {
namespace testing {

// Every record of `shard_id` from `start` up to the tip (or the end of a
// closed shard), reading with `options`. The results stay alive for the
// records' views; `ended` says the shard ended (its children in
// `children`). A remote read may come back empty before the tip, so the
// read stops at the second empty result in a row.
struct ShardRead {
  std::vector<GetRecordsResult> results;
  std::vector<Record> records;
  std::vector<std::string> data;
  std::vector<ChildShard> children;
  bool ended = false;
};

inline ShardRead ReadShard(
    Stream* stream, const std::string& shard_id,
    const StartingPosition& start = StartingPosition::TrimHorizon(),
    const GetRecordsOptions& options = GetRecordsOptions()) {
  Consumer consumer(stream);
  ShardRead out;
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(shard_id, start);
  BROOK_REQUIRE_OK(it);
  for (int empty = 0; it->valid() && empty < 2;) {
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, options);
    BROOK_REQUIRE_OK(r);
    empty = r->records().empty() ? empty + 1 : 0;
    for (const Record& rec : r->records()) {
      out.records.push_back(rec);
      out.data.emplace_back(rec.data);
    }
    *it = r->next_shard_iterator();
    if (!it->valid()) {
      out.ended = true;
      out.children = r->child_shards();
    }
    out.results.push_back(*std::move(r));
  }
  return out;
}

// The data of `shard_id` from `start` to the tip.
inline std::vector<std::string> ReadAll(
    Stream* stream, const std::string& shard_id,
    const StartingPosition& start = StartingPosition::TrimHorizon()) {
  return ReadShard(stream, shard_id, start).data;
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_STREAM_SHARD_READ_TESTING_H_
